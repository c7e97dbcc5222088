"""Products along a dimension: ``prod`` and the running product ``cumprod``, with gradients exact at zeros.

The gradient of a product is the product of the *other* factors. It is built from exclusive running products
(no division), so zeros in the input give the same gradients as PyTorch's.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .formulas.conjugate import conj
from .reduce import _expand
from .value_checks import checked_dim, refuse_kernel


def _exclusive_cumprod(xp: Namespace, a: Any, axis: int) -> Any:
    """``out[i] = prod(a[:i])`` along ``axis`` (1 at the start)."""
    running = xp.cumulative_prod(a, axis=axis, include_initial=True)
    index = tuple(slice(0, a.shape[axis]) if k == axis else slice(None) for k in range(a.ndim))
    return running[index]


def _others_product(xp: Namespace, a: Any, axis: int) -> Any:
    """``out[i] = prod(a[j] for j != i)`` along ``axis``, without dividing."""
    before = _exclusive_cumprod(xp, a, axis)
    after = xp.flip(_exclusive_cumprod(xp, xp.flip(a, axis=axis), axis), axis=axis)
    return before * after


class Prod(Function):
    """Product over ``axis`` (an int); ``keepdims`` keeps it as size 1."""

    axis: int
    keepdims: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.prod(a, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: Namespace, g: Any) -> Any:
        g = _expand(xp, g, (self.axis,), self.keepdims, tuple(self.a.shape))
        return g * conj(xp, _others_product(xp, self.a, self.axis))  # conj: PyTorch's rule for complex


class CumProd(Function):
    """Running product along ``axis``.

    Backward: ``grad[i] = prod(a[:i]) * sum_{j >= i} g[j] * prod(a[i+1 : j+1])``; the inner products form an
    (n, n) table per line, so memory is ``numel * n`` (PyTorch divides by ``a[i]`` where it is nonzero instead).
    """

    axis: int

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.cumulative_prod(a, axis=self.axis)

    def backward(self, xp: Namespace, g: Any) -> Any:
        from ..backend.arrays import device_of as device

        a = xp.moveaxis(self.a, self.axis, -1)
        g = xp.moveaxis(g, self.axis, -1)
        n = a.shape[-1]
        position = xp.arange(n, device=device(a))
        later = position[None, :] > position[:, None]  # [i, k]: k > i
        # table[..., i, j] = prod(a[k] for i < k <= j); used where j >= i
        table = xp.cumulative_prod(xp.where(later, conj(xp, a)[..., None, :], xp.ones_like(a)[..., None, :]), axis=-1)
        table = xp.where(position[None, :] >= position[:, None], table, xp.zeros_like(table))
        inner = xp.sum(table * g[..., None, :], axis=-1)
        grad = conj(xp, _exclusive_cumprod(xp, a, a.ndim - 1)) * inner
        return xp.moveaxis(grad, -1, self.axis)


def _counting_dtype(input: Tensor, dtype: Any) -> Tensor:
    """Integers and booleans multiply in int64, as in PyTorch; ``dtype`` casts first."""
    if dtype is not None:
        return input.astype(dtype)
    if not input.backend.xp.isdtype(input.array.dtype, ("real floating", "complex floating")):
        return input.astype("int64")
    return input




def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Product of all elements, or over ``dim`` (``torch.prod``); integers multiply in int64."""
    input = _counting_dtype(input, dtype)
    if dim is None:
        out = Prod.apply(input.reshape(-1), axis=0, keepdims=False)
    elif input.ndim == 0:
        checked_dim("prod", input, dim)  # (dims 0 and -1 only, as PyTorch's)
        return input
    else:
        out = Prod.apply(input, axis=checked_dim("prod", input, dim), keepdims=bool(keepdim))
    return out if out.dtype == input.dtype else out.astype(input.dtype)  # an integer dtype= asked for


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running product along ``dim`` (``torch.cumprod``); integers multiply in int64."""
    input = _counting_dtype(input, dtype)
    if dtype is not None:  # dtype=bool (or a bool out=), as PyTorch's
        refuse_kernel("cumprod", "cumprod_out_cpu", ("bool",), input)
    if input.ndim == 0:
        checked_dim("cumprod", input, dim)
        return input
    out = CumProd.apply(input, axis=checked_dim("cumprod", input, dim))
    return out if out.dtype == input.dtype else out.astype(input.dtype)  # an integer dtype= asked for


FUNCTIONS: dict[str, Any] = {"prod": prod, "cumprod": cumprod}

__all__ = ["CumProd", "FUNCTIONS", "Prod", "cumprod", "prod"]
