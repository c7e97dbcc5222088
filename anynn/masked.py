"""``torch.masked``: reductions and normalizations over the elements a boolean ``mask`` keeps.

Each function reads ``input`` where ``mask`` (broadcast to it) is True and ignores the rest, as PyTorch's: a
masked-out element is replaced by the operation's identity (0 for sums, 1 for products, -inf for maxima and
softmax, +inf for minima) before the plain operation runs, and a mean, variance or median counts only the kept
elements. A slice with nothing kept gives what PyTorch's gives there: 0 (sum), 1 (prod), NaN (mean, var, std,
median, softmax), -inf (amax, logsumexp), +inf (amin). ``mask=None`` keeps everything. All are differentiable.

``MaskedTensor`` (``masked_tensor``, ``as_masked_tensor``) is a tensor subclass that PyTorch dispatches through
``__torch_dispatch__``; anynn has no such dispatch, so making one raises NotImplementedError naming these
functions, which take the mask as an argument instead.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

from .autograd.tensor import Tensor
from .backend import dtype_name
from .functional.tensor_extras import where

__all__ = ["MaskedTensor", "amax", "amin", "argmax", "argmin", "as_masked_tensor", "cumprod", "cumsum",
           "is_masked_tensor", "log_softmax", "logaddexp", "logsumexp", "masked_tensor", "mean", "median", "norm",
           "normalize", "prod", "softmax", "softmin", "std", "sum", "var"]

Dims = Any  # an int, a tuple of ints or None (every dimension)


def _kept(input: Tensor, mask: Tensor | None, fill: float, dtype: Any = None) -> Tensor:
    """``input`` (cast to ``dtype`` first) with the elements ``mask`` drops replaced by ``fill``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"torch.masked: input must be a Tensor, got {type(input).__name__}")
    x = input if dtype is None else input.to(dtype)
    if mask is None:
        return x
    if not isinstance(mask, Tensor) or dtype_name(mask.array.dtype) != "bool":
        given = f"a {dtype_name(mask.array.dtype)} Tensor" if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"torch.masked: mask must be a boolean Tensor, got {given}")
    return where(mask, x, fill)


def _count(input: Tensor, mask: Tensor | None, dim: Dims, keepdim: bool, like: Tensor) -> Tensor:
    """How many elements each reduced slice keeps, in ``like``'s dtype."""
    kept = input.new_ones(input.shape, dtype="bool") if mask is None else mask.expand(input.shape)
    return kept.to(like.dtype).sum(dim=dim, keepdim=keepdim)


def _extreme(x: Tensor, largest: bool) -> float:
    """The identity of a maximum (``largest``: the smallest value of x's dtype) or of a minimum."""
    if x.is_floating_point():
        return -math.inf if largest else math.inf
    from .type_info import iinfo

    info = iinfo(x.dtype)
    return info.min if largest else info.max


def _over(x: Tensor, dim: Dims, keepdim: bool, reduce: str) -> Tensor:
    """``x.<reduce>(dim, keepdim)`` for an int, a tuple or None as ``dim`` (prod takes one dim at a time)."""
    if reduce != "prod":
        return getattr(x, reduce)(dim=dim, keepdim=keepdim) if dim is not None else getattr(x, reduce)()
    dims = range(x.ndim) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    out = x
    for d in sorted((d % x.ndim if x.ndim else d for d in dims), reverse=True):  # (0-d: prod checks the dim)
        out = out.prod(dim=d, keepdim=keepdim)
    return out


def sum(input: Tensor, dim: Dims = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A001
        mask: Tensor | None = None) -> Tensor:
    """The sum of the kept elements (0 where none is kept)."""
    return _over(_kept(input, mask, 0, dtype), dim, keepdim, "sum")


def prod(input: Tensor, dim: Dims = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The product of the kept elements (1 where none is kept)."""
    return _over(_kept(input, mask, 1, dtype), dim, keepdim, "prod")


def amax(input: Tensor, dim: Dims = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The largest kept element (-inf, or the dtype's minimum, where none is kept)."""
    x = input if dtype is None else input.to(dtype)
    return _over(_kept(x, mask, _extreme(x, True)), dim, keepdim, "amax")


def amin(input: Tensor, dim: Dims = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The smallest kept element (+inf, or the dtype's maximum, where none is kept)."""
    x = input if dtype is None else input.to(dtype)
    return _over(_kept(x, mask, _extreme(x, False)), dim, keepdim, "amin")


def argmax(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype: Any = None,
           mask: Tensor | None = None) -> Tensor:
    """Where the largest kept element is."""
    x = input if dtype is None else input.to(dtype)
    return _kept(x, mask, _extreme(x, True)).argmax(dim=dim, keepdim=keepdim)


def argmin(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype: Any = None,
           mask: Tensor | None = None) -> Tensor:
    """Where the smallest kept element is."""
    x = input if dtype is None else input.to(dtype)
    return _kept(x, mask, _extreme(x, False)).argmin(dim=dim, keepdim=keepdim)


def mean(input: Tensor, dim: Dims = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The mean of the kept elements (NaN where none is kept)."""
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return total / _count(input, mask, dim, keepdim, total)


def var(input: Tensor, dim: Dims = None, unbiased: bool | None = None, *, correction: float | None = None,
        keepdim: bool = False, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """The variance of the kept elements, divided by their count less ``correction`` (1 by default; 0 with
    ``unbiased=False``), never below 0; NaN where none is kept."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    center = mean(input, dim, keepdim=True, dtype=dtype, mask=mask)
    x = input if dtype is None else input.to(dtype)
    squares = sum((x - center).abs() ** 2, dim, keepdim=keepdim, mask=mask)
    count = _count(input, mask, dim, keepdim, squares)
    return squares / (count - correction).clamp(min=0)


def std(input: Tensor, dim: Dims = None, unbiased: bool | None = None, *, correction: float | None = None,
        keepdim: bool = False, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """The square root of `var`."""
    return var(input, dim, unbiased, correction=correction, keepdim=keepdim, dtype=dtype, mask=mask).sqrt()


def median(input: Tensor, dim: int = -1, *, keepdim: bool = False, dtype: Any = None,
           mask: Tensor | None = None) -> Tensor:
    """The median of the kept elements along ``dim`` (the lower of the two middle ones; NaN where none is kept)."""
    return _kept(input, mask, math.nan, dtype).nanmedian(dim=dim, keepdim=keepdim).values


def logsumexp(input: Tensor, dim: Dims = None, *, keepdim: bool = False, dtype: Any = None,
              mask: Tensor | None = None) -> Tensor:
    """``log(sum(exp(kept elements)))`` (-inf where none is kept)."""
    x = _kept(input, mask, -math.inf, dtype)
    return x.logsumexp(dim=tuple(range(x.ndim)) if dim is None else dim, keepdim=keepdim)


def norm(input: Tensor, ord: float | None = 2.0, dim: Dims = None, *, keepdim: bool = False,  # noqa: A002
         dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """The vector ``ord``-norm of the kept elements."""
    from .linalg import vector_norm

    order = 2.0 if ord is None else ord
    x = _kept(input, mask, math.inf if order == -math.inf else 0, dtype)
    return vector_norm(x, order, dim=dim, keepdim=keepdim)


def normalize(input: Tensor, ord: float, dim: int, *, eps: float = 1e-12, dtype: Any = None,  # noqa: A002
              mask: Tensor | None = None) -> Tensor:
    """The kept elements divided by their ``ord``-norm along ``dim`` (at least ``eps``); 0 where dropped."""
    size = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return _kept(input, mask, 0, dtype) / size.clamp(min=eps)


def softmax(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Softmax over the kept elements along ``dim``: 0 where dropped, NaN along a slice with none kept."""
    return _kept(input, mask, -math.inf, dtype).softmax(dim)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Log-softmax over the kept elements along ``dim``: -inf where dropped."""
    return _kept(input, mask, -math.inf, dtype).log_softmax(dim)


def softmin(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Softmax of the negated kept elements along ``dim``."""
    return (-_kept(input, mask, math.inf, dtype)).softmax(dim)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Running sums of the kept elements along ``dim`` (a dropped element adds 0)."""
    return _kept(input, mask, 0, dtype).cumsum(dim)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Running products of the kept elements along ``dim`` (a dropped element multiplies by 1)."""
    return _kept(input, mask, 1, dtype).cumprod(dim)


def logaddexp(input: Tensor, other: Tensor, *, dtype: Any = None, input_mask: Tensor | None = None,
              other_mask: Tensor | None = None) -> Tensor:
    """``log(exp(input) + exp(other))``, each operand's dropped elements read as -inf."""
    return _kept(input, input_mask, -math.inf, dtype).logaddexp(_kept(other, other_mask, -math.inf, dtype))


def is_masked_tensor(obj: Any) -> bool:
    """False: anynn makes no MaskedTensor."""
    return False


def _refuse(name: str) -> NoReturn:
    raise NotImplementedError(
        f"torch.masked.{name}: anynn has no MaskedTensor (PyTorch builds it on __torch_dispatch__, which anynn does "
        f"not have); pass the mask to the reductions instead: torch.masked.sum(x, dim, mask=m), mean, amax, "
        f"softmax(x, dim, mask=m)...")


def masked_tensor(data: Any, mask: Any, requires_grad: bool = False) -> NoReturn:
    """``torch.masked.masked_tensor``: refused (see the module docstring)."""
    _refuse("masked_tensor")


def as_masked_tensor(data: Any, mask: Any) -> NoReturn:
    """``torch.masked.as_masked_tensor``: refused (see the module docstring)."""
    _refuse("as_masked_tensor")


class MaskedTensor:
    """``torch.masked.MaskedTensor``: making one is refused (see the module docstring)."""

    def __new__(cls, data: Any, mask: Any, requires_grad: bool = False) -> MaskedTensor:
        _refuse("MaskedTensor")
