"""Input checks at the public boundary of layers: errors name the layer, the expected and the given."""

from __future__ import annotations

from typing import Any

from ..autograd import autocast_mode
from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, dtype_name


def check_input(layer: Any, x: Any, ndim: tuple[int, ...] | None = None, last_dim: int | None = None,
                dim: int | None = None, size: int | None = None, what: str = "features") -> None:
    """Raise a clear error unless ``x`` is a Tensor of the layer's backend/dtype with the right shape.

    ``ndim`` lists the accepted ranks; ``last_dim`` is the required size of the last axis; ``dim`` and
    ``size`` require ``x.shape[dim] == size`` (e.g. channels on axis 1).
    """
    # hot path (every layer call): plain attribute reads, the message is built only on failure
    name = type(layer).__name__
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected an anynn Tensor, got {type(x).__module__}.{type(x).__name__}; "
                        "wrap it with anynn.tensor(...)")
    shape = x.data.shape
    if ndim is not None and len(shape) not in ndim:
        ranks = " or ".join(f"{n}-D" for n in ndim)
        raise ValueError(f"{name}: expected {ranks} input, got {x.ndim}-D input of shape {x.shape}")
    if last_dim is not None and (not shape or shape[-1] != last_dim):
        raise ValueError(f"{name}: expected input with {last_dim} {what} in the last dimension, "
                         f"got shape {x.shape}")
    if dim is not None and size is not None and shape[dim] != size:
        raise ValueError(f"{name}: expected {size} {what} in dimension {dim}, got input of shape {x.shape}")
    params = getattr(layer, "_parameters", None)
    weight = next(iter(params.values()), None) if params else None
    if weight is not None:
        if x.backend is not weight.backend and x.backend != weight.backend:
            raise BackendMismatch(f"{name}: input is on backend {x.backend.key!r} but the layer's parameters are "
                                  f"on {weight.backend.key!r}; move one with .to(...)")
        if x.data.dtype != weight.data.dtype and not (autocast_mode.active_threads and autocast_mode.state.active):
            # (under autocast, float32 layers take float16/bfloat16 inputs, as PyTorch's do)
            raise TypeError(f"{name}: expected input dtype {dtype_name(weight.dtype)} (the layer's), got "
                            f"{dtype_name(x.dtype)}; cast with x.astype(...) or model.to(dtype=...)")
