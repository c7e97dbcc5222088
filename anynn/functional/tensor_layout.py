"""Tensor methods PyTorch programs call about layout and size (``stride``, ``is_contiguous``, ``element_size``,
``itemsize``, ``nbytes``), and a few value fills and rescalings (``fill_diagonal_``, ``renorm``, ``bernoulli_``,
``exponential_``) composed of existing primitives and the host generator.

Layout: anynn presents every tensor as a dense row-major (C-contiguous) array, whatever the backend keeps (NumPy
and PyTorch views may be strided, array-api-strict and JAX expose no strides). ``stride()`` is therefore the
row-major strides of the shape, in elements, as PyTorch gives for a contiguous tensor, and ``is_contiguous()`` is
True: the same answer on every backend. ``contiguous()`` still copies a strided view (`Tensor.contiguous`), so that
a change of the copy stays there, as PyTorch's.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name
from ..backend.arrays import row_major_strides
from .inplace import _assign, _random_fill, _twin, drawn_in_graph
from .tensor_extras import where
from .value_checks import checked_dim, one_dim

ITEMSIZE = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2, "bfloat16": 2, "int32": 4,
            "uint32": 4, "float32": 4, "int64": 8, "uint64": 8, "float64": 8, "complex64": 8, "complex128": 16}


def stride(self: Tensor, dim: int | None = None) -> Any:
    """The row-major strides of the shape, in elements (a tuple; one int for ``dim``): see the module docstring."""
    strides = row_major_strides(tuple(self.shape))
    return strides if dim is None else strides[checked_dim("stride", self, dim)]


def is_contiguous(self: Tensor, memory_format: Any = None) -> bool:
    """True: anynn tensors are row-major (see the module docstring); ``memory_format`` is accepted for PyTorch's
    signature."""
    return True


def dim_order(self: Tensor, *, ambiguity_check: Any = False) -> tuple[int, ...]:
    """The dims from outermost to innermost in memory: ``(0, 1, ..., ndim - 1)``, as `stride` is row-major (see the
    module docstring); ``ambiguity_check`` is accepted for PyTorch's signature."""
    return tuple(range(self.ndim))


def _base(self: Tensor) -> Tensor | None:
    """``x._base``: the tensor a view was taken of (through every view: ``x[0][1:]._base is x``), None for a tensor
    that is no view, as PyTorch's."""
    from ..autograd.views import view_root

    root = view_root(self)
    return None if root is self else root


def element_size(self: Tensor) -> int:
    """Bytes per element of the dtype."""
    return ITEMSIZE[dtype_name(self.dtype)]


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (``x[i, i, ...]``) with ``fill_value``, in place. A tensor of more than 2 dims must
    have all sizes equal; a tall 2-d matrix with ``wrap`` starts the diagonal again every ``columns + 1`` rows, as
    PyTorch (and NumPy) wrap. The gradient through the filled entries is zero."""
    if self.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got a {self.ndim}-d tensor")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got shape "
                           f"{tuple(self.shape)}")
    xp = self.backend.xp
    step = sum(stride(self))  # the flat distance between x[i, i, ...] and x[i + 1, i + 1, ...]
    flat = xp.reshape(xp.arange(math.prod(self.shape), dtype=xp.int64, device=_device(self)), self.shape)
    on_diagonal = flat % step == 0
    if not (wrap and self.ndim == 2):
        on_diagonal = on_diagonal & (flat < min(self.shape) * step)
    return self.masked_fill_(make_tensor(on_diagonal, self.backend, None, 0), fill_value)


def _device(t: Tensor) -> Any:
    from ..backend.arrays import device_of as device

    return device(t.array)


def renorm(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Rescale each slice ``x.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` to norm ``maxnorm`` (by
    ``maxnorm / (norm + 1e-7)``, as PyTorch); the others stay. Differentiable (norm, where, multiply)."""
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if self.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self.ndim} dimensions")
    dim = checked_dim("renorm", self, one_dim("renorm", dim))
    norm = self.norm(p, tuple(d for d in range(self.ndim) if d != dim), keepdim=True)
    return self * where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 1 (probability ``p``, a number or a tensor broadcasting to this one) or 0, in this tensor's dtype,
    drawn on the host (``generator``: a seed or a NumPy ``Generator``; by default `anynn.manual_seed`'s)."""
    from .. import init

    if not isinstance(p, Tensor) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    be = self.backend
    u = drawn_in_graph(self, "uniform", be.xp.float64, generator)
    if u is not None:  # (timm's DropPath: x.new_empty(shape).bernoulli_(keep_prob), a recorded training forward)
        hits = u < (be.xp.astype(p.detach().array, be.xp.float64) if isinstance(p, Tensor) else p)
        return _assign(self, "bernoulli_", make_tensor(be.xp.astype(hits, self.array.dtype), be, None, 0))
    chance = p.detach().numpy() if isinstance(p, Tensor) else p
    host = init._rng(generator).random(size=tuple(self.shape)) < chance
    return _assign(self, "bernoulli_", make_tensor(be.asarray(be.from_host(host), self.array.dtype), be, None, 0))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of the exponential distribution of rate ``lambd`` (mean ``1 / lambd``), drawn on the host,
    in place."""
    from .. import init

    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = drawn_in_graph(self, "uniform", generator=generator)
    if u is not None:
        return _random_fill(self, "exponential_", -self.backend.xp.log1p(-u) / lambd)
    return _random_fill(self, "exponential_", init._rng(generator).exponential(1 / lambd, size=tuple(self.shape)))


def sum_to_size(self: Tensor, *sizes: Any, size: Any = None) -> Tensor:
    """The sum of this tensor down to ``size`` (one that broadcasts to its shape, as a gradient is summed back to an
    operand's shape): the leading axes and those where ``size`` has 1 are summed (``Tensor.sum_to_size``)."""
    if size is not None:  # PyTorch's keyword form, sum_to_size(size=(1, 5))
        sizes = (size,)
    if not sizes or sizes == (None,):
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size" (as PyTorch; a tuple of ints, '
                        '() sums to a 0-d tensor)')
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    lead = self.ndim - len(shape)
    if lead < 0 or any(s not in (1, t) for s, t in zip(shape, self.shape[lead:])):
        raise RuntimeError(f"sum_to_size: size {{{list(shape)}}} is not expandable to size {{{list(self.shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and self.shape[lead + i] != 1)
    return self.sum(dims, keepdim=True).reshape(shape) if dims else self


def bernoulli(self: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """``x.bernoulli()``: 1 with probability ``x`` (or ``p``) else 0, in x's dtype (``torch.bernoulli``)."""
    from ..factories import bernoulli as draw

    return draw(self, p, generator=generator)


METHODS: dict[str, Any] = {
    "sum_to_size": sum_to_size, "bernoulli": bernoulli,
    "stride": stride, "is_contiguous": is_contiguous, "element_size": element_size, "dim_order": dim_order,
    "_base": property(_base), "_is_view": lambda self: _base(self) is not None,
    "itemsize": property(element_size, doc="Bytes per element of the dtype."),
    "nbytes": property(lambda self: element_size(self) * math.prod(self.shape),
                       doc="Bytes the elements take: ``numel() * itemsize``."),
    "fill_diagonal_": fill_diagonal_, "renorm": renorm, "renorm_": _twin("renorm"), "bernoulli_": bernoulli_,
    "exponential_": exponential_,
}
