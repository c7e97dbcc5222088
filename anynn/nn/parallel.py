"""``anynn.nn.parallel``: PyTorch's single-process data-parallel names, `DataParallel` and `data_parallel`.

PyTorch splits each batch over the GPUs of one process and gathers the outputs. anynn runs the wrapped module
once, on the device the data is on: the output, the gradients and the ``module.``-prefixed ``state_dict`` are
those of PyTorch's on one device, so a program written with ``nn.DataParallel(model)`` or
``nn.parallel.data_parallel(...)`` runs unchanged. Data parallelism over several devices or machines is
`anynn.distributed.DistributedDataParallel` (one process per device).
"""

from __future__ import annotations

from typing import Any, Sequence

from ..backend import default_backend
from ..backend.torch_names import cuda_available, cuda_device_count
from .module import Module


def _as_args(inputs: Any) -> tuple[Any, ...]:
    return inputs if isinstance(inputs, tuple) else (inputs,)


def data_parallel(module: Module, inputs: Any, device_ids: Sequence[Any] | None = None, output_device: Any = None,
                  dim: int = 0, module_kwargs: dict[str, Any] | None = None) -> Any:
    """``module(*inputs, **module_kwargs)`` as PyTorch's `torch.nn.parallel.data_parallel` on one device.

    Parameters
    ----------
    module : the module to evaluate.
    inputs : one input or a tuple of positional inputs (split along ``dim`` by PyTorch, whole here).
    device_ids, output_device, dim : accepted for PyTorch's signature; the module runs once where the data is.
    module_kwargs : keyword arguments for the module.
    """
    if not isinstance(module, Module):
        raise TypeError(f"data_parallel: module must be an anynn.nn.Module, got {type(module).__name__}")
    return module(*_as_args(inputs), **(module_kwargs or {}))


class DataParallel(Module):
    """Wraps ``module`` as PyTorch's `torch.nn.DataParallel`: ``self.module``, ``module.``-prefixed state.

    ``forward(*inputs, **kwargs)`` is ``self.module(*inputs, **kwargs)``, run once on the device the data is on
    (PyTorch splits the batch over ``device_ids`` on GPUs; on one device both give the same result).

    Parameters
    ----------
    module : the module to wrap.
    device_ids, output_device, dim : accepted for PyTorch's signature and kept as attributes; as PyTorch's,
        ``device_ids`` is ``[]`` without a usable GPU and every device's index when not given.
    """

    _device_argument = False

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an anynn.nn.Module, got {type(module).__name__}")
        self.module = module
        like = default_backend()
        if not cuda_available(like):  # PyTorch's CPU build keeps no device ids (programs print or index them)
            self.device_ids: list[Any] = []
        else:
            self.device_ids = list(device_ids) if device_ids is not None else list(range(cuda_device_count(like)))
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


__all__ = ["DataParallel", "data_parallel"]


def __getattr__(name: str) -> Any:
    """``DistributedDataParallel`` under PyTorch's path, from `anynn.distributed` (imported on first use: data
    parallelism over processes lives in the higher distributed layer)."""
    if name == "DistributedDataParallel":
        from ..distributed.torch_api import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
