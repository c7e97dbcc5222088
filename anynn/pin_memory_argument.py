"""PyTorch's ``pin_memory=`` keyword on the factories (``torch.zeros(n, pin_memory=True)``, ``torch.tensor(data,
pin_memory=...)``, ``torch.empty_like``...), one wrapper for all of them.

``pin_memory=False`` changes nothing. ``pin_memory=True`` asks for page-locked host memory, which needs a GPU: without
a usable CUDA device for the default backend it raises PyTorch's RuntimeError ("pin_memory=True requires a CUDA or
other accelerator backend"), as PyTorch's CPU build does; with one the tensor is made as without it (anynn's
host-to-device copies go through the GPU library's own staging, as `Tensor.pin_memory` says).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .backend.torch_names import refuse_pinning

# the factories PyTorch gives pin_memory=; the _like ones take it too (their schema's TensorOptions)
FACTORIES = ("tensor", "empty", "zeros", "ones", "full", "rand", "randn", "randint", "randperm", "arange", "linspace",
             "logspace", "eye", "empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
             "randint_like", "scalar_tensor", "empty_strided", "bartlett_window", "blackman_window",
             "hamming_window", "hann_window", "kaiser_window")


def with_pin_memory(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` taking PyTorch's ``pin_memory=`` keyword (checked by `refuse_pinning`, then dropped)."""

    @functools.wraps(function)
    def factory(*args: Any, pin_memory: Any = False, **kwargs: Any) -> Any:
        refuse_pinning(pin_memory)
        return function(*args, **kwargs)

    signature = inspect.signature(function)
    if "pin_memory" not in signature.parameters:
        params = list(signature.parameters.values())
        at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
        params.insert(at, inspect.Parameter("pin_memory", inspect.Parameter.KEYWORD_ONLY, default=False))
        factory.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return factory


def install(namespace: dict[str, Any]) -> None:
    """Replace the factories named in `FACTORIES`, where ``namespace`` has them, by their ``pin_memory=`` forms."""
    for name in FACTORIES:
        if name in namespace:
            namespace[name] = with_pin_memory(namespace[name])
