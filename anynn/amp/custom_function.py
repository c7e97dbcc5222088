"""``torch.amp.custom_fwd`` / ``custom_bwd``: decorators for the ``forward`` and ``backward`` of a custom
``autograd.Function`` under autocast, as PyTorch's.

``custom_fwd`` records the autocast state of ``device_type`` on ``ctx`` when ``forward`` runs; with
``cast_inputs``, inside an autocast region it casts the floating tensors (not float64, only those of that device
type) to that dtype and runs ``forward`` with autocast off. ``custom_bwd`` runs ``backward`` under the state the
forward saw. Outside autocast both change nothing.
"""

from __future__ import annotations

import collections.abc
import functools
from typing import Any, Callable

from .autocast import autocast, get_autocast_dtype, is_autocast_enabled


def _check_device_type(device_type: Any, decorator: str) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"{decorator}: expected `device_type` of type `str`, got: `{type(device_type)}`")


def _cast(value: Any, device_type: str, dtype: Any) -> Any:
    """``value`` with each floating tensor of ``device_type`` (float64 excepted) cast to ``dtype``, through lists,
    tuples and mappings, as PyTorch's ``_cast``."""
    from ..autograd import Tensor

    if isinstance(value, Tensor):
        eligible = value.is_floating_point() and value.device.type == device_type and str(value.dtype) != "float64"
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)) or hasattr(value, "__array_interface__"):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


def custom_fwd(fwd: Callable[..., Any] | None = None, *, device_type: str, cast_inputs: Any = None) -> Any:
    """Decorate a custom Function's ``forward(ctx, ...)``: ``@custom_fwd(device_type="cuda", cast_inputs=None)``."""
    _check_device_type(device_type, "custom_fwd")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(*args: Any, **kwargs: Any) -> Any:
        ctx, enabled = args[0], is_autocast_enabled(device_type)
        ctx._dtype = get_autocast_dtype(device_type)
        ctx._fwd_used_autocast = enabled and cast_inputs is None
        if cast_inputs is None or not enabled:
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))

    return forward


def custom_bwd(bwd: Callable[..., Any] | None = None, *, device_type: str) -> Any:
    """Decorate a custom Function's ``backward(ctx, ...)``: it runs under the autocast state its forward saw."""
    _check_device_type(device_type, "custom_bwd")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return backward
