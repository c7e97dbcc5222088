"""`normalize`: PyTorch's ``F.normalize``, ``input / max(||input||_p, eps)`` along ``dim``.

Composed of the norm (`reduce.norm`, a zero gradient where the norm is zero, as PyTorch's), the clamp at ``eps``
(which passes the gradient where the norm is ``>= eps``, as PyTorch's ``clamp_min``) and a broadcast division:
PyTorch's own definition, so its values and gradients follow, three graph nodes.
"""

from __future__ import annotations

from typing import Any, Sequence

from . import elementwise, reduce
from ..backend import dtype_name
from .value_checks import check_floating


def normalize(input: Any, p: float = 2.0, dim: int | Sequence[int] = 1,  # noqa: A002 - PyTorch's name
              eps: float = 1e-12, out: Any = None) -> Any:
    """``input`` (*) divided by its ``p``-norm over ``dim`` (an int or a tuple of them, kept as size-1 axes), the
    norm clamped below at ``eps``; same shape as ``input``. ``out``, a Tensor of that shape, receives the result
    (``copy_``)."""
    check_floating("normalize", input)
    if input.ndim == 0:
        raise IndexError(f"normalize: a 0-d input has no dim {dim} (give a tensor with at least one dimension)")
    # (a tuple: the norm over those dims; None: over all of them, as PyTorch's)
    for d in dim if isinstance(dim, (tuple, list)) else () if dim is None else (dim,):
        if not -input.ndim <= d < input.ndim:
            raise IndexError(f"normalize: dim {d} is out of range for an input of shape {tuple(input.shape)} "
                             f"(expected in [{-input.ndim}, {input.ndim - 1}])")
    if dtype_name(input.dtype) in ("float16", "bfloat16") and out is None:
        # in float32: a float16 norm overflows from ~65504 (and its eps of 1e-12 is 0), while the quotient is <= 1
        return normalize(input.float(), p, dim, eps).to(input.dtype)
    denominator = elementwise.clip(reduce.norm(input, p, dim, keepdim=True), min=eps)
    result = input / denominator
    if out is None:
        return result
    return out.copy_(result)
