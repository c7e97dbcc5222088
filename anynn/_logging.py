"""``torch._logging``: ``set_logs``, the switch PyTorch's compiler recipes turn on before ``torch.compile``
(``torch._logging.set_logs(recompiles=True)`` in the compiled-optimizer recipe, ``graph_code=True`` in the
torch-logs recipe).

Those logs report TorchDynamo's and Inductor's work (graphs, guards, recompiles, generated kernels). anynn has
neither: `anynn.compile` traces whole steps and says when it traces again through ``CompiledStep.trace_count``.
So ``set_logs`` takes PyTorch's keywords and logs nothing more; a keyword PyTorch does not have is refused as
Python refuses it there.
"""

from __future__ import annotations

from typing import Any

__all__ = ["set_logs"]

# torch._logging.set_logs' keywords (PyTorch 2.13): a log level for each component, a flag for each artifact
_COMPONENTS = ("all", "dynamo", "aot", "autograd", "dynamic", "inductor", "distributed", "c10d", "ddp", "fsdp",
               "dtensor", "onnx", "export", "modules")
_ARTIFACTS = (
    "bytecode", "aot_graphs", "aot_joint_graph", "ddp_graphs", "graph", "graph_code", "graph_code_verbose",
    "graph_breaks", "side_effects", "graph_sizes", "guards", "recompiles", "recompiles_verbose", "trace_source",
    "trace_call", "trace_bytecode", "output_code", "kernel_code", "schedule", "perf_hints", "pre_grad_graphs",
    "post_grad_graphs", "ir_pre_fusion", "ir_post_fusion", "onnx_diagnostics", "fusion", "overlap", "cudagraphs",
    "sym_node", "compiled_autograd", "compiled_autograd_verbose", "cudagraph_static_inputs", "benchmarking",
    "autotuning", "incremental", "graph_region_expansion", "inductor_metrics", "hierarchical_compile",
    "compute_dependencies", "caching")


def set_logs(**settings: Any) -> None:
    """``torch._logging.set_logs(recompiles=True, dynamo=logging.DEBUG, ...)``: accepted, nothing is logged
    (there is no TorchDynamo or Inductor to report on; see the module docstring). Keyword-only, as PyTorch's."""
    unknown = [name for name in settings if name not in _COMPONENTS and name not in _ARTIFACTS]
    if unknown:
        raise TypeError(f"set_logs() got an unexpected keyword argument {unknown[0]!r}")
