"""The architecture's rules, read from anynn's source with `ast` (design.md: principles 1 and 3, the package order).

1. No array library is imported outside ``anynn/backend/``; NumPy only in the host-format modules below.
2. No library name is compared outside ``anynn/backend/`` (code asks the backend for a capability).
3. No upward import: a package imports only packages of its own layer or below (`LAYERS`).
4. No import cycle, among module-level imports or function-level ones.

Every exception is listed here with its reason; a new one fails the test (each rule is also shown to fail on a
deliberately added violation).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "anynn"
LIBRARIES = ("numpy", "cupy", "cupyx", "torch", "jax", "jaxlib", "ndonnx", "spox", "array_api_strict", "onnx")
LIBRARY_NAMES = {"numpy", "cupy", "torch", "jax", "array_api_strict", "ndonnx"}

# module (or package, with a trailing ".") -> why it may import NumPy: it reads, writes or draws host data
NUMPY_HOSTS = {
    "anynn.data.": "datasets, samplers and collation work on host arrays (files, sklearn); the loader moves batches",
    "anynn.io.": "files: safetensors/.npz/JSON bytes are NumPy arrays on the host",
    "anynn.distributed.": "MPI moves host buffers; the sampler splits host indices",
    "anynn.init": "initial weights are drawn on the host with NumPy's Generator (principle 5)",
    "anynn.nn.init": "torch.nn.init's names over anynn.init: the same host draws",
    "anynn.generator": "anynn.Generator wraps NumPy's host Generator (principle 5)",
    "anynn.distributions.draws": "gamma, Poisson and binomial draws (no array API sampler) come from NumPy's host "
    "Generator, as anynn.rand's (principle 5)",
    "anynn.factories": "factories (tensor, arange, rand, randn...) build host arrays, then the backend takes them",
    "anynn.signal.": "torch.signal.windows: windows computed on the host in float64, as the top-level ones",
    "anynn.host_factories": "asarray/frombuffer read host buffers; signal windows are computed on the host in float64",
    "anynn.sparse": "a COO tensor without gradients is summed on the host (the portable scatter-add is a one-hot "
    "matmul, nnz x numel)",
    "anynn.legacy_constructors": "FloatTensor/LongTensor read the host dtype of their data (floats truncate)",
    "anynn.dtypes": "anynn.float32 and friends are named through NumPy's dtype table",
    "anynn.type_info": "finfo/iinfo read a dtype's limits from NumPy's finfo/iinfo tables (host facts, no arrays)",
    "anynn.autograd.grad_check": "central differences in float64 on the host (a numerical reference)",
    "anynn.autograd.gradgrad_check": "the same, for second derivatives",
    "anynn.amp.grad_scaler": "the loss scale is a host float32 number, as PyTorch's",
    "anynn.comparison": "assert_close (a test helper) compares values on the host, as torch.testing does",
    "anynn.utils.benchmark_fuzzer": "the benchmark Fuzzer draws its parameters with NumPy's RandomState, in "
    "PyTorch's order (a seed gives PyTorch's sizes)",
    "anynn.onnx.": "ONNX export reads example inputs on the host and folds initializers (NumPy arrays) in the file",
}
# module -> (libraries, why): modules outside backend/ that import a listed library other than NumPy (and may
# name it). Only file formats: every array library (jax, cupy, ndonnx and its graph builder spox...) is the backend's
LIBRARY_HOSTS = {
    "anynn.onnx.": (("onnx",), "the ONNX file format's own package (protobuf schema, checker, version converter, "
                               "reference evaluator for folding) checks and writes the model the ndonnx backend "
                               "built; a host file format, as safetensors is for io/"),
}
# design.md: data -> nn (functional -> autograd -> backend) -> optim -> train; a lower layer never imports a higher
LAYERS = {
    "backend": 0, "dtypes": 0, "type_info": 0, "device": 0, "generator": 0, "version": 0, "memory_format": 0,
    "autograd": 1,
    "init": 2, "factories": 2, "random": 2,
    "signal": 2,  # torch.signal.windows: host-computed windows handed to factories
    "host_factories": 2,  # torch.asarray, frombuffer, the signal windows: factories over host data
    "layout": 2,  # torch.strided...: factories check layout=; typename/get_device read Tensors
    "absent_devices": 0,  # torch.xpu / torch.mps namespaces: never available
    "fx": 0,  # torch.fx.wrap: hands back its argument, imports nothing
    "nested": 0,  # torch.nested: refused by name, imports nothing
    "export": 0,  # torch.export: refused by name, imports nothing
    "cuda_graphs": 0,  # torch.cuda.CUDAGraph...: refused by name, imports nothing
    "overrides": 2,  # torch.overrides: __torch_function__ helpers (reads Tensor), function modes refused by name
    "__future__": 0,  # torch.__future__'s conversion switches: two flags, imports nothing
    "functional": 3, "data": 3, "out_argument": 3, "pin_memory_argument": 3,
    "nn": 4, "linalg": 4, "metrics": 4, "amp": 4, "cuda": 4, "cuda_memory": 4, "accelerator": 4, "backends": 4,
    "cuda_streams": 4, "cuda_random": 4, "cuda_nvml": 4, "masked": 4,
    "distributions": 4, "sparse": 4, "legacy_constructors": 4, "special": 4, "fft": 4,
    "func": 4,  # torch.func: transforms over autograd, functional_call over nn.Module
    "optim": 5, "io": 5, "serialization": 5,
    "train": 6, "distributed": 6, "compile": 6, "onnx": 6, "utils": 6, "jit": 6,
    "runtime": 4,  # torch.use_deterministic_algorithms, set_default_device...: settings over device, factories
    "cpu": 4,  # torch.cpu, with the deprecated torch.cpu.amp.autocast over amp
    "compiler": 6,  # torch.compiler's decorators next to anynn.compile
    "_higher_order_ops": 6,  # torch.cond / scan / while_loop...: eager control flow over pytrees (utils)
    "_dynamo": 6, "_inductor": 6, "_functorch": 6,  # torch.compile's settings modules, beside compiler
    "_logging": 0,  # torch._logging.set_logs: accepted keywords, imports nothing
    "multiprocessing": 6,  # torch.multiprocessing: the standard module, with Tensors sent through shared memory
    "profiler": 2,  # torch.profiler: schedules and trace files over autograd's Function timer
    "library": 2,  # torch.library's custom operators: PyTorch-style Functions over autograd
    "hub": 5,  # torch.hub: downloads read by io's loader
    "_utils": 4,  # torch._utils' flat buffers: cat/narrow/view of Tensors
    "cuda_nvtx": 0,  # torch.cuda.nvtx: range markers accepted, imports nothing
    "types": 2,  # torch.types: typing aliases over Tensor, Size, device, dtype, layout
    "test_tensors": 4,  # torch.testing.make_tensor: random tensors over factories and functional
    "anynn": 7, "cli": 7, "testing": 7, "comparison": 7, "__main__": 7,
}
# (importer, imported) upward imports still present, each with its reason
KNOWN_UPWARD = {
    ("anynn.autograd.functional", "anynn.functional.elementwise"): "torch.autograd.functional's jacobian/hessian "
                                                                    "are built from the ops (PyTorch's name and place)",
    ("anynn.autograd.functional", "anynn.functional.shape"): "the same",
    ("anynn.nn.utils", "anynn.optim.clip"): "torch.nn.utils.clip_grad_norm_'s name; the clipping lives in optim",
    ("anynn.nn.utils.clip_grad", "anynn.optim.clip"): "torch.nn.utils.clip_grad's module path (mmcv imports it)",
    ("anynn.nn.parallel", "anynn.distributed.torch_api"): "torch.nn.parallel.DistributedDataParallel's name (imported "
                                                          "on first use); data parallelism over processes lives in "
                                                          "distributed",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def imports(module: str, source: str, top_level_only: bool, runtime_only: bool = False) -> list[tuple[str, int]]:
    """``(imported module, line)`` of each import in ``source``; relative imports resolved against ``module``.

    ``runtime_only``: leave out the imports under ``if TYPE_CHECKING:`` (they never run, so they make no cycle).
    """
    tree = ast.parse(source)
    is_package = module not in MODULES or MODULES[module].name == "__init__.py"
    if top_level_only:
        nodes = _top_level(tree.body)
    else:
        nodes = _runtime_nodes(tree) if runtime_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import graph` imports the module anynn.autograd.graph
                full = f"{target}.{alias.name}"
                found.append((full if full in MODULES else target, node.lineno))
    return found


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements run at import: the module body, into ``if``/``try`` blocks but not ``if TYPE_CHECKING``."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If) and not _is_type_checking(node):
            out += _top_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            out += _top_level(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])
    return out


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _runtime_nodes(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` except the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs)."""
    out: list[ast.AST] = []
    for child in ast.iter_child_nodes(node):
        if _is_type_checking(child):
            assert isinstance(child, ast.If)
            out += [n for statement in child.orelse for n in ast.walk(statement)]
            continue
        out.append(child)
        out += _runtime_nodes(child)
    return out


def _in_backend(module: str) -> bool:
    return module == "anynn.backend" or module.startswith("anynn.backend.")


def _listed(module: str, table: dict) -> str | None:
    for key in table:
        if module == key or (key.endswith(".") and (module + ".").startswith(key)):
            return key
    return None


def library_import_violations(module: str, source: str) -> list[str]:
    if _in_backend(module):
        return []
    bad = []
    for target, line in imports(module, source, top_level_only=False):
        library = target.split(".")[0]
        if library not in LIBRARIES:
            continue
        if library == "numpy" and _listed(module, NUMPY_HOSTS):
            continue
        host = _listed(module, LIBRARY_HOSTS)
        if host is not None and library in LIBRARY_HOSTS[host][0]:
            continue
        bad.append(f"{module}:{line} imports {target}")
    return bad


def name_comparison_violations(module: str, source: str) -> list[str]:
    """Comparisons against a library's name: ``x.name == "cupy"``, ``name in ("torch", "numpy")``."""
    if _in_backend(module):
        return []
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        for operand in [node.left, *node.comparators]:
            values = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
            names = {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
            host = _listed(module, LIBRARY_HOSTS)
            allowed = set(LIBRARY_HOSTS[host][0]) if host is not None else set()
            if (names & LIBRARY_NAMES) - allowed:
                bad.append(f"{module}:{node.lineno} compares with {sorted(names & LIBRARY_NAMES)}")
    return bad


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "anynn"


def upward_violations(module: str, source: str) -> list[str]:
    bad = []
    for target, line in imports(module, source, top_level_only=False):
        if target.split(".")[0] != "anynn":
            continue
        here, there = _unit(module), _unit(target)
        if LAYERS[there] > LAYERS[here] and (module, target) not in KNOWN_UPWARD:
            bad.append(f"{module}:{line} ({here}, layer {LAYERS[here]}) imports {target} ({there}, layer "
                       f"{LAYERS[there]})")
    return bad


def import_cycles(sources: dict[str, str], top_level_only: bool) -> list[frozenset[str]]:
    """Strongly connected groups (two or more modules) of the import graph among anynn's modules."""
    edges: dict[str, set[str]] = {m: set() for m in sources}
    for module, source in sources.items():
        for target, _ in imports(module, source, top_level_only, runtime_only=True):
            while target not in sources and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in sources and target != module:
                edges[module].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sources:  # Tarjan's algorithm, iteratively (the package is deep)
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(frozenset(group))
    return groups


SOURCES = {module: path.read_text(encoding="utf-8") for module, path in MODULES.items()}


def _all(check) -> list[str]:
    return [problem for module, source in SOURCES.items() for problem in check(module, source)]


def test_no_array_library_import_outside_backend_and_host_format_modules():
    assert _all(library_import_violations) == []


def test_no_library_name_comparison_outside_backend():
    assert _all(name_comparison_violations) == []


def test_every_package_has_a_layer_and_no_upward_import():
    assert sorted({_unit(m) for m in MODULES} - set(LAYERS)) == []
    assert _all(upward_violations) == []


def test_no_import_cycle_at_import_time():
    assert import_cycles(SOURCES, top_level_only=True) == []


def test_no_import_cycle_even_inside_functions():
    """Imports inside functions make no cycle either (a cycle is a layering mistake, delayed or not): autocast casts
    through Tensor.astype, the grad scaler asks the backend whether CUDA works, files read anynn.version."""
    assert import_cycles(SOURCES, top_level_only=False) == []


def test_the_exception_lists_name_modules_that_exist():
    for key in [*NUMPY_HOSTS, *LIBRARY_HOSTS]:
        assert any(m == key or (m + ".").startswith(key) for m in MODULES), key
    for importer, imported in KNOWN_UPWARD:
        assert importer in MODULES and imported in MODULES, (importer, imported)


# -- each rule fails on a deliberately added violation --------------------------------------------------------
@pytest.mark.parametrize("module, line", [
    ("anynn.functional.conv", "import torch"),
    ("anynn.nn.linear", "from cupy import ndarray"),
    ("anynn.optim.adam", "import numpy as np"),
    ("anynn.autograd.graph", "    import jax.numpy as jnp"),
    ("anynn.compile.traced", "    import jax"),
    ("anynn.compile.captured", "    import cupy"),
    ("anynn.onnx.export", "    import ndonnx"),
    ("anynn.onnx.export", "    import spox.opset.ai.onnx.v21 as op"),
    ("anynn.nn.linear", "import onnx"),
])
def test_library_import_rule_catches_an_added_import(module, line):
    source = SOURCES[module] + f"\n\ndef _added():\n{line if line.startswith(' ') else '    ' + line}\n"
    assert library_import_violations(module, source)
    assert library_import_violations(module, SOURCES[module] + "\n" + line.strip() + "\n")


@pytest.mark.parametrize("comparison", ['backend.name == "cupy"', 'be.name in ("torch", "numpy")',
                                        '"jax" != target.name'])
def test_name_comparison_rule_catches_an_added_comparison(comparison):
    source = SOURCES["anynn.data.loader"] + f"\n\ndef _added(backend, be, target):\n    return {comparison}\n"
    assert name_comparison_violations("anynn.data.loader", source)


@pytest.mark.parametrize("module", ["anynn.compile", "anynn.compile.traced", "anynn.onnx.export"])
def test_compile_and_onnx_ask_the_backend_rather_than_compare_names(module):
    """compile/ and onnx/ have no exception for library names: the path is the backend's step compiler."""
    source = SOURCES[module] + '\n\ndef _added(names):\n    return names == {"jax"} or "ndonnx" in names\n'
    assert name_comparison_violations(module, source)


def test_upward_rule_catches_an_added_import():
    source = SOURCES["anynn.functional.conv"] + "\nfrom ..nn import Linear\n"
    assert upward_violations("anynn.functional.conv", source)
    source = SOURCES["anynn.backend.arrays"] + "\n\ndef _added():\n    from ..autograd.tensor import Tensor\n"
    assert upward_violations("anynn.backend.arrays", source)


def test_cycle_rule_catches_an_added_cycle():
    sources = dict(SOURCES)
    sources["anynn.autograd.tensor"] += "\nfrom . import graph\n"  # graph imports tensor at its top
    assert any({"anynn.autograd.tensor", "anynn.autograd.graph"} <= group
               for group in import_cycles(sources, top_level_only=True))


def test_cycle_rule_counts_function_level_imports_but_not_type_checking_ones():
    """An import under ``if TYPE_CHECKING:`` never runs (type annotations only): no cycle; one in a function does."""
    sources = dict(SOURCES)
    sources["anynn.backend.arrays"] += "\nif TYPE_CHECKING:\n    from ..autograd.graph import backward\n"
    assert not any("anynn.backend.arrays" in group for group in import_cycles(sources, top_level_only=False))
    sources["anynn.backend.arrays"] += "\n\ndef _added():\n    from ..autograd.graph import backward\n"
    assert any({"anynn.backend.arrays", "anynn.autograd.graph"} <= group
               for group in import_cycles(sources, top_level_only=False))
