"""Validation of integer index Tensors (embedding lookups, unpooling), with errors that name the caller."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, dtype_name
from ..backend.arrays import check_range


def check_indices(name: str, indices: Any, like: Tensor, like_what: str, dtype_hint: str, bound: int,
                  range_what: str, shape: tuple[int, ...] | None = None, suffix: str = "") -> None:
    """Raise unless ``indices`` is an integer Tensor on ``like``'s backend with every value in ``[0, bound)``.

    ``like_what`` names ``like`` in messages ("weight", "input"); ``dtype_hint`` says which dtypes are
    expected; ``range_what`` says what ``bound`` counts; ``shape``, if given, is the shape required.
    The range check reads one boolean back from the device (`check_range`; skipped on traced arrays).
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"{name}: expected an integer anynn Tensor of indices, got "
                        f"{type(indices).__module__}.{type(indices).__name__}; wrap it with anynn.tensor(...)")
    if indices.backend != like.backend:
        raise BackendMismatch(f"{name}: indices are on backend {indices.backend.key!r} but the {like_what} is on "
                              f"{like.backend.key!r}; move one with .to(...)")
    kind = dtype_name(indices.dtype)
    if not kind.startswith(("int", "uint")):
        raise TypeError(f"{name}: expected integer indices ({dtype_hint}), got dtype {kind}")
    if shape is not None and tuple(indices.shape) != tuple(shape):
        raise ValueError(f"{name}: expected indices of the {like_what}'s shape {shape}, got indices of shape "
                         f"{indices.shape}")
    if 0 in tuple(indices.shape):  # (not .size: a symbolic axis of a recorded array has no count)
        return
    check_range(indices.backend, indices.array, 0, bound,
                f"{name}: index {{value}} is out of range for {range_what} (expected 0 <= index < {bound}){suffix}")
