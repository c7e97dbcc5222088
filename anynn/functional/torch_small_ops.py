"""PyTorch's small top-level ops and spellings that anynn lacked: comparison and sign aliases (``torch.greater``,
``torch.absolute``...), queries (``is_nonzero``, ``is_signed``, ``isreal``...), and short compositions of existing
differentiable ops (``rsub``, ``frexp``, ``vdot``, ``mvlgamma``, ``unique_consecutive``, ``split_with_sizes``,
``chain_matmul``...). Each composes Tensor methods, so its gradient is theirs; none adds a Function.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from ..autograd.size import Size
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.broadcasting import broadcast_shapes as shared_broadcast_shapes
from .scaled_sum import sub
from .set_ops import without_derivative
from .tensor_extras import cat, where
from .value_checks import check_one_backend, refuse_kernel, refuse_single_tensor


def _tensor(value: Any, op: str, name: str = "input") -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")
    return value


def _method(name: str, alias: str) -> Any:
    def op(input: Any, other: Any, *, out: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
        result = getattr(_tensor(input, alias), name)(other)
        return result if out is None else out.copy_(result)

    op.__name__ = op.__qualname__ = alias
    op.__doc__ = f"``torch.{alias}``: the same as ``torch.{name}`` (``input.{name}(other)``)."
    return op


greater, greater_equal = _method("gt", "greater"), _method("ge", "greater_equal")
less, less_equal, not_equal = _method("lt", "less"), _method("le", "less_equal"), _method("ne", "not_equal")


def absolute(input: Any) -> Tensor:  # noqa: A002
    """``torch.absolute``: ``torch.abs``."""
    return _tensor(input, "absolute").abs()


def detach(input: Any) -> Tensor:  # noqa: A002
    """``torch.detach``: ``input.detach()`` (the same values, out of the graph)."""
    return _tensor(input, "detach").detach()


def fill(input: Any, value: Any) -> Tensor:  # noqa: A002
    """``torch.fill``: a new tensor of ``input``'s shape, dtype and backend holding ``value`` (a number, or a 0-d
    Tensor whose gradient is the sum of the output's)."""
    x = _tensor(input, "fill")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with {value.ndim} "
                               "dimensions.")
        out = value.to(x.dtype).expand(tuple(x.shape)).clone()
    else:
        out = x.new_full(tuple(x.shape), value)
    if x.requires_grad:  # in the graph with a zero gradient, as PyTorch's FillBackward (where: inf * 0 is no issue)
        out = where(x.new_ones(tuple(x.shape), dtype="bool"), out, x)
    return out


def rsub(input: Any, other: Any, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``torch.rsub``: ``other - alpha * input``."""
    x = _tensor(input, "rsub")
    if alpha == 1:
        return other - x
    return sub(other, x, alpha=alpha) if isinstance(other, Tensor) else other - x * alpha


def is_nonzero(input: Any) -> bool:  # noqa: A002
    """``torch.is_nonzero``: whether a one-element tensor is not zero (not False, not 0.0)."""
    x = _tensor(input, "is_nonzero")
    if x.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if x.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(x.item() != 0)


def is_same_size(input: Any, other: Any) -> bool:  # noqa: A002
    """``torch.is_same_size``: whether the two shapes are equal."""
    return tuple(_tensor(input, "is_same_size").shape) == tuple(_tensor(other, "is_same_size", "other").shape)


def _assert(condition: Any, message: str) -> None:
    """``torch._assert``: ``assert condition, message`` as a function (torchvision's models check input sizes with
    it). A plain ``assert``, so ``python -O`` skips it as PyTorch's, and a symbolic size in ``condition`` (ONNX
    export with dynamic axes) is taken as what the model expects, as in an ``assert`` written in the model."""
    assert condition, message


def is_signed(input: Any) -> bool:  # noqa: A002
    """``torch.is_signed``: whether the dtype holds negative values (False for bool and unsigned integers)."""
    name = dtype_name(_tensor(input, "is_signed").dtype)
    return not (name == "bool" or name.startswith("uint"))


def isposinf(input: Any) -> Tensor:  # noqa: A002
    """``torch.isposinf``: where ``input`` is +inf (bool, input's shape)."""
    x = _tensor(input, "isposinf")
    return x.isinf() & (x > 0)


def isneginf(input: Any) -> Tensor:  # noqa: A002
    """``torch.isneginf``: where ``input`` is -inf (bool, input's shape)."""
    x = _tensor(input, "isneginf")
    return x.isinf() & (x < 0)


def isreal(input: Any) -> Tensor:  # noqa: A002
    """``torch.isreal``: where the imaginary part is 0 (every element of a real tensor)."""
    x = _tensor(input, "isreal")
    if x.is_complex():
        return x.detach().imag == 0
    xp = x.backend.xp  # (ones_like: a symbolic axis of an ONNX export has no size to make ones with)
    return Tensor._make(xp.ones_like(x.array, dtype=xp.bool), x.backend, None, 0)


def frexp(input: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``torch.frexp``: ``(mantissa, exponent)`` with ``input = mantissa * 2**exponent``, ``0.5 <= |mantissa| < 1``
    (0 for 0, and inf/NaN kept with exponent 0); the exponent is int32. The mantissa's gradient is
    ``grad / 2**exponent``, as PyTorch's."""
    x = _tensor(input, "frexp")
    if not x.is_floating_point():
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got {dtype_name(x.dtype)}")
    held = x.detach()
    regular = held.isfinite() & (held != 0)
    size = held.abs().where(regular, held.new_ones(()))
    exponent = size.log2().floor() + 1
    scaled = size / exponent.exp2()  # log2 rounds near powers of two: bring the mantissa into [0.5, 1)
    exponent = exponent - (scaled < 0.5).to(exponent.dtype) + (scaled >= 1).to(exponent.dtype)
    exponent = exponent.where(regular, held.new_zeros(()))
    return x / exponent.exp2(), exponent.to("int32")


def vdot(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``torch.vdot``: ``sum(conj(input) * other)`` of two 1-D tensors of one dtype."""
    x, y = _tensor(input, "vdot"), _tensor(other, "vdot", "other")
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    check_one_backend("vdot", x, y)  # (before two libraries' dtypes are compared)
    if x.dtype != y.dtype:
        raise RuntimeError(f"vdot : expected both vectors to have same dtype, but found {dtype_name(x.dtype)} and "
                           f"{dtype_name(y.dtype)}")
    return ((x.conj() if x.is_complex() else x) * y).sum()


def mvlgamma(input: Any, p: int) -> Tensor:  # noqa: A002
    """``torch.mvlgamma``: the log of the multivariate gamma function of dimension ``p``,
    ``p(p-1)/4 log(pi) + sum_j lgamma(input - j/2)``, j = 0..p-1 (defined for elements above ``(p-1)/2``; others are
    computed all the same, as PyTorch 2.13 does)."""
    x = _tensor(input, "mvlgamma")
    if isinstance(p, bool) or not isinstance(p, int) or p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got {p!r}")
    if dtype_name(x.dtype) == "bool":
        raise RuntimeError("mvlgamma: The input tensor may not be a boolean tensor (as in PyTorch); cast it first")
    total = x.lgamma()
    for j in range(1, p):
        total = total + (x - j / 2).lgamma()
    return total + p * (p - 1) / 4 * math.log(math.pi)


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
                       dim: int | None = None) -> Any:
    """``torch.unique_consecutive``: each run of equal consecutive elements (or slices along ``dim``) kept once;
    with ``return_inverse`` the run of each element (input's shape, or (input.shape[dim],)), with ``return_counts``
    each run's length (int64). The values require grad where the input does but have no derivative, as PyTorch's."""
    source = _tensor(input, "unique_consecutive")
    x = source.detach()
    refuse_kernel("unique_consecutive", "unique", ("complex floating",), x)
    if dim is None:
        flat = x.reshape(-1)
        n, along = flat.shape[0], flat
    else:
        axis = dim + x.ndim if dim < 0 else dim
        if not 0 <= axis < max(x.ndim, 1):
            raise IndexError(f"unique_consecutive: dim {dim} is out of range for a {x.ndim}-D tensor")
        rest = math.prod(size for i, size in enumerate(x.shape) if i != axis)
        if sum(size == 0 for size in x.shape) > 1:
            raise RuntimeError("unique_consecutive: Number of zero sized dimensions is more than one, so unique "
                               f"cannot be applied (shape {tuple(x.shape)}, dim={dim})")
        if rest == 0 and x.shape[axis]:
            raise RuntimeError("unique_consecutive: There are 0 sized dimensions, and they aren't selected, so "
                               f"unique cannot be applied (shape {tuple(x.shape)}, dim={dim})")
        along = x.movedim(axis, 0).reshape(x.shape[axis], rest)  # -1 cannot be inferred for an empty tensor
        n = along.shape[0]
    if n == 0:
        starts = ends = along.new_zeros((0,), dtype="bool")
    else:
        differs = along[1:] != along[:-1]
        differs = differs if dim is None else differs.any(dim=1)
        starts = cat([along.new_ones((1,), dtype="bool"), differs])
        ends = cat([differs, along.new_ones((1,), dtype="bool")])
    first = starts.nonzero().reshape(-1)
    if dim is None:
        values = flat.index_select(0, first)
    else:
        values = along.index_select(0, first).reshape((first.shape[0], *[s for i, s in enumerate(x.shape)
                                                                           if i != axis])).movedim(0, axis)
    out = [without_derivative("unique_consecutive", values, source)]
    if return_inverse:
        inverse = starts.to("int64").cumsum(0) - 1
        out.append(inverse.reshape(tuple(x.shape)) if dim is None else inverse)
    if return_counts:  # (the last position of each run, found as the first: no count read from the values, so
        out.append(ends.nonzero().reshape(-1) - first + 1)  # an ONNX export records it, whatever the sizes)
    return out[0] if len(out) == 1 else tuple(out)


def split_with_sizes(input: Any, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """``torch.split_with_sizes``: ``torch.split`` with a list of sizes that must add up to the dimension."""
    x = _tensor(input, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    if sum(sizes) != x.shape[dim] or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {x.shape[dim]} (input tensor's "
                           f"size at dimension {dim}), but got split_sizes={sizes}")
    return tuple(x.split(sizes, dim))


_chain_matmul_warned = [False]  # PyTorch warns once per process (TORCH_WARN_ONCE)


def chain_matmul(*matrices: Any, out: Any = None) -> Tensor:
    """``torch.chain_matmul`` (deprecated in PyTorch for ``torch.linalg.multi_dot``, and its first call says so
    with PyTorch's UserWarning): the product of 2-D matrices, left to right."""
    if not _chain_matmul_warned[0]:
        _chain_matmul_warned[0] = True
        warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                      "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                      "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if _tensor(m, "chain_matmul", f"matrices[{i}]").ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    result = matrices[0] if len(matrices) > 1 else matrices[0].clone()
    for m in matrices[1:]:
        result = result @ m
    return result if out is None else out.copy_(result)


def renorm(input: Any, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """``torch.renorm``: ``input.renorm(p, dim, maxnorm)``, each slice along ``dim`` scaled to p-norm at most
    ``maxnorm``."""
    return _tensor(input, "renorm").renorm(p, dim, maxnorm)


def is_neg(input: Any) -> bool:  # noqa: A002
    """``torch.is_neg``: whether ``input`` is a lazily negated view; anynn has none (see `anynn.resolve_neg`)."""
    _tensor(input, "is_neg")
    return False


def to_dlpack(tensor: Any) -> Any:
    """``torch.to_dlpack`` (``torch.utils.dlpack.to_dlpack``): a DLPack capsule of the tensor's array, which another
    library's ``from_dlpack`` reads without a copy."""
    return _tensor(tensor, "to_dlpack", "tensor").__dlpack__()


def nonzero_static(input: Any, *, size: int, fill_value: int = -1) -> Tensor:  # noqa: A002
    """``torch.nonzero_static``: `nonzero`'s (n, ndim) indices cut or padded with ``fill_value`` to ``size`` rows."""
    found = _tensor(input, "nonzero_static").nonzero()
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    if found.shape[0] >= size:
        return found[:size]
    return cat([found, found.new_full((size - found.shape[0], found.shape[1]), fill_value)])


def unsafe_chunk(input: Any, chunks: int, dim: int = 0) -> Any:  # noqa: A002
    """``torch.unsafe_chunk``: ``torch.chunk`` (anynn's pieces are never views whose writes need checking)."""
    return input.chunk(chunks, dim)


def unsafe_split(input: Any, split_size: int, dim: int = 0) -> Any:  # noqa: A002
    """``torch.unsafe_split``: ``torch.split``."""
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input: Any, split_sizes: Sequence[int], dim: int = 0) -> Any:  # noqa: A002
    """``torch.unsafe_split_with_sizes``: ``torch.split_with_sizes``."""
    return split_with_sizes(input, split_sizes, dim)


def broadcast_to(input: Any, size: Sequence[int]) -> Tensor:  # noqa: A002
    """``torch.broadcast_to``: ``input.broadcast_to(size)`` (-1 keeps a dimension)."""
    return _tensor(input, "broadcast_to").broadcast_to(size)


def broadcast_shapes(*shapes: Any) -> Size:
    """``torch.broadcast_shapes``: the shape the given shapes (ints or sequences) broadcast to, as a `Size`."""
    result: tuple[int, ...] = ()
    for position, shape in enumerate(shapes):
        dims = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if any(d < 0 for d in dims):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(dims)}: {list(dims)}")
        merged = shared_broadcast_shapes(result, dims)
        if merged is None:
            axis = next(-i for i in range(1, len(dims) + 1) if dims[-i] not in (1, result[-i]) and result[-i] != 1)
            raise RuntimeError(f"Attempting to broadcast a dimension of length {dims[axis]} at {axis}! Mismatching "
                               f"argument at index {position} had {dims}; but expected shape should be broadcastable "
                               f"to {list(result)}")
        result = merged
    return Size(result)


def concatenate(tensors: Any, dim: int = 0, *, axis: int | None = None, out: Any = None) -> Tensor:
    """``torch.concatenate``: ``torch.cat`` (``axis=`` too)."""
    refuse_single_tensor("concatenate", tensors)
    result = cat(tensors, dim, axis=axis)
    return result if out is None else out.copy_(result)


__all__ = ["absolute", "broadcast_shapes", "broadcast_to", "chain_matmul", "concatenate", "detach", "fill", "frexp",
           "greater", "greater_equal", "is_neg", "is_nonzero", "is_same_size", "is_signed", "isneginf", "isposinf",
           "isreal", "less", "less_equal", "mvlgamma", "nonzero_static", "not_equal", "renorm", "rsub",
           "split_with_sizes", "to_dlpack", "unique_consecutive", "unsafe_chunk", "unsafe_split",
           "unsafe_split_with_sizes", "vdot"]
