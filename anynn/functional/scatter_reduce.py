"""``scatter_reduce``: entries of ``src`` reduced into ``input`` at ``index`` along ``dim`` (``torch.scatter_reduce``),
and the checks of integer index Tensors that it shares with ``index_add``/``index_copy``/``index_fill``.

The reduction runs on flat positions (the addressing of ``gather``/``scatter``) through the backend's row
primitives: ``scatter_add`` for sums and counts, ``scatter_reduce`` for products, maxima and minima (each a fast
path with a standard-only fallback). Gradients are PyTorch's, including its choices where the reduction is not
differentiable: ties of ``amax``/``amin`` share the gradient evenly among every entry equal to the result (with
``include_self=False`` the input's own entry still counts in that share, then gets no gradient), and the product's
gradient is exact with zeros (the product of the other entries, not a division by zero).
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.arrays import check_range
from ..backend.typing import Namespace
from .formulas.gather_positions import _dim_positions, _zero_pad
from .value_checks import IndexingError, array_on_backend, check_one_backend, checked_dim

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def index_array(name: str, x: Tensor, index: Any, dtypes: tuple[str, ...], bound: int | None,
                negative: bool = False) -> Any:
    """``index``'s native array, checked: an anynn Tensor on ``x``'s backend with a dtype in ``dtypes``, each value
    in ``[0, bound)`` (``[-bound, bound)`` when ``negative``; no range check when ``bound`` is None)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}: index must be an integer anynn Tensor, got {type(index).__name__}")
    data = array_on_backend(index, x.backend, name, "the index", "the input")
    if dtype_name(data.dtype) not in dtypes:
        raise IndexingError(f"{name}: expected an index of dtype {' or '.join(dtypes)}, got {dtype_name(data.dtype)}")
    if bound is not None and 0 not in tuple(data.shape):
        low = -bound if negative else 0
        check_range(x.backend, data, low, bound, f"{name}: index {{value}} is out of bounds for a dimension of size "
                                                  f"{bound} (expected {low} <= index < {bound})", error=IndexingError)
    return data


class ScatterReduce(Function):
    """``out = input`` with the ``src`` entries at ``index`` along ``dim`` reduced into it by ``reduce``.

    input: (*); index: integer, input's number of dimensions, no larger than input outside ``dim`` and than src;
    src: input's dtype. Only the part of ``src`` that ``index`` covers is read; the rest gets no gradient.
    Boolean tensors reduce as integers (sum: or, prod: and), as PyTorch's do.
    """

    dim: int
    reduce: str
    include_self: bool

    @property
    def ties_constant_gradient(self) -> bool:  # type: ignore[override]
        """PyTorch's gradients read the inputs only for prod: the others (masks, counts, gathers) are constants."""
        return self.reduce == "prod"

    def forward(self, xp: Namespace, a: Any, index: Any, src: Any) -> Any:
        self.index_shape, self.src_shape = tuple(index.shape), tuple(src.shape)
        self.positions = xp.reshape(_dim_positions(xp, index, tuple(a.shape), self.dim), (-1,))
        flat = xp.reshape(a, (-1,))
        values = xp.reshape(src[tuple(slice(0, n) for n in self.index_shape)], (-1,))
        boolean = xp.isdtype(a.dtype, "bool")
        if boolean:
            flat, values = xp.astype(flat, xp.int64), xp.astype(values, xp.int64)
        self.flat, self.values = flat, values
        out = self.out = self._combine(xp, flat, values)
        return xp.reshape(out != 0 if boolean else out, tuple(a.shape))

    def _combine(self, xp: Namespace, flat: Any, values: Any) -> Any:
        n, reduce, positions = flat.shape[0], self.reduce, self.positions
        if reduce in ("sum", "mean"):
            self.reduced = op(self.backend, "scatter_add")(positions, values, n)
        else:
            self.reduced = op(self.backend, "scatter_reduce")(positions, values, n, reduce)
        if reduce == "mean" or not self.include_self:
            ones = xp.ones_like(values)
            if xp.isdtype(values.dtype, "complex floating"):  # real counts: complex numbers have no order (> 0)
                ones = xp.ones(values.shape, dtype=xp.real(values).dtype, device=self.backend.device)
            counts = op(self.backend, "scatter_add")(positions, ones, n)
            self.touched = counts > 0
        if reduce == "mean":
            total = flat + self.reduced if self.include_self else self.reduced
            self.count = counts + 1 if self.include_self else xp.where(self.touched, counts, xp.ones_like(counts))
            if xp.isdtype(flat.dtype, "integral"):
                return self._own(xp, flat, xp.floor_divide(total, self.count))  # PyTorch floors integer means
            return self._own(xp, flat, total / self.count)
        if not self.include_self:
            return xp.where(self.touched, self.reduced, flat)
        if reduce == "sum":
            return flat + self.reduced
        if reduce == "prod":
            return flat * self.reduced
        return xp.maximum(flat, self.reduced) if reduce == "amax" else xp.minimum(flat, self.reduced)

    def _own(self, xp: Namespace, flat: Any, reduced: Any) -> Any:
        """``reduced`` where an entry of ``src`` landed, ``flat`` elsewhere (include_self=False)."""
        return reduced if self.include_self else xp.where(self.touched, reduced, flat)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None, Any]:
        need_a, _, need_src = self.needs_input_grad
        grad_a, grad_src = self._gradients(xp, xp.reshape(g, (-1,)))
        if not self.include_self:  # the input's entries where src landed are not part of the result
            grad_a = xp.where(self.touched, xp.zeros((), dtype=g.dtype, device=self.backend.device), grad_a)
        grad_a = xp.reshape(grad_a, tuple(g.shape)) if need_a else None
        if need_src:
            grad_src = _zero_pad(xp, xp.reshape(grad_src, self.index_shape), self.src_shape)
        return grad_a, None, grad_src if need_src else None

    def _gradients(self, xp: Namespace, flat_g: Any) -> tuple[Any, Any]:
        """The flat gradients of the input (before the include_self mask) and of the src entries read."""
        reduce, positions, values = self.reduce, self.positions, self.values
        if reduce == "sum":
            return flat_g, xp.take(flat_g, positions, axis=0)
        if reduce == "mean":
            shared = flat_g / self.count
            return shared, xp.take(shared, positions, axis=0)
        if reduce == "prod":
            return flat_g * self.reduced, xp.take(flat_g, positions, axis=0) * self._others(xp)
        out = self.out  # amax / amin: the gradient is shared by every entry equal to the result
        self_is = xp.astype(self.flat == out, flat_g.dtype)
        src_is = xp.astype(values == xp.take(out, positions, axis=0), flat_g.dtype)
        share = flat_g / (self_is + op(self.backend, "scatter_add")(positions, src_is, flat_g.shape[0]))
        return self_is * share, src_is * xp.take(share, positions, axis=0)

    def _others(self, xp: Namespace) -> Any:
        """For each src entry read, the product of everything else its position reduces (the input included when
        ``include_self``): the position's product over the entry where that is not zero, else, for the position's
        only zero, the product of its other entries, and 0 for a position with two zeros."""
        positions, values, n = self.positions, self.values, self.flat.shape[0]
        zero = values == 0
        safe = xp.where(zero, xp.ones_like(values), values)
        whole, nonzero = self.reduced, op(self.backend, "scatter_reduce")(positions, safe, n, "prod")
        if self.include_self:
            whole, nonzero = whole * self.flat, nonzero * self.flat
        zeros_there = op(self.backend, "scatter_add")(positions, xp.astype(zero, values.dtype), n)
        lone = xp.where(zeros_there == 1, nonzero, xp.zeros_like(nonzero))
        return xp.where(zero, xp.take(lone, positions, axis=0), xp.take(whole, positions, axis=0) / safe)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """``input`` with each ``src[i][j][k]`` reduced into ``[i][index[i][j][k]][k]`` (along ``dim``) by ``reduce``
    ("sum", "prod", "mean", "amax" or "amin"); ``include_self``: whether the input's own value at a position that
    ``src`` reaches joins the reduction (positions no entry reaches keep the input's value either way).

    input: (*); index: int64 or int32, input's number of dimensions, ``index.size(d) <= src.size(d)`` for every d
    and ``<= input.size(d)`` for ``d != dim``; src: input's dtype. Integer means round down, as in PyTorch.
    """
    name = "scatter_reduce"
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"{name}: reduce must be one of {', '.join(REDUCTIONS)}, got {reduce!r}")
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}: src must be an anynn Tensor, got {type(src).__name__}")
    array_on_backend(src, input.backend, name, "src", "the input")
    dim = checked_dim(name, input, dim)
    idx = index_array(name, input, index, ("int64", "int32"), input.shape[dim] if input.ndim else 1)
    if input.ndim == 0:  # PyTorch takes 0-d operands as 1-element vectors
        if idx.ndim != 0 or src.ndim != 0:
            raise RuntimeError(f"{name}: a 0-d input takes a 0-d index and src, got shapes {tuple(idx.shape)} and "
                               f"{src.shape}")
        return scatter_reduce(input.reshape(1), 0, index.reshape(1), src.reshape(1), reduce,
                              include_self=include_self).reshape(())
    if idx.ndim != input.ndim or src.ndim != input.ndim:
        raise RuntimeError(f"{name}: index {tuple(idx.shape)}, src {src.shape} and input {input.shape} must have the "
                           f"same number of dimensions")
    if any(i > s or (d != dim and i > n) for d, (i, s, n) in enumerate(zip(idx.shape, src.shape, input.shape))
           if None not in (i, s, n)):  # (None: a symbolic axis, ONNX export, whose sizes are checked as it runs)
        raise RuntimeError(f"{name}: index of shape {tuple(idx.shape)} must be no larger than src {src.shape} and, "
                           f"outside dim {dim}, than the input {input.shape}")
    check_one_backend(name, input, src)
    if src.dtype != input.dtype:
        raise RuntimeError(f"{name}: src has dtype {dtype_name(src.dtype)}, the input {dtype_name(input.dtype)}; "
                           f"they must match")
    if reduce == "mean" and input.backend.xp.isdtype(input.array.dtype, "bool"):
        raise NotImplementedError(f"{name}: reduce='mean' is not defined for bool tensors (as in PyTorch)")
    if reduce in ("amax", "amin") and input.backend.xp.isdtype(input.array.dtype, "complex floating"):
        raise NotImplementedError(f"{name}: reduce={reduce!r} is not defined for complex tensors (got "
                                  f"{dtype_name(input.dtype)}; they have no order), as in PyTorch")
    return ScatterReduce.apply(input, idx, src, dim=dim, reduce=reduce, include_self=include_self)
