"""More PyTorch functions made of existing operations: ``rot90``, ``select``, ``diagflat``, ``hsplit`` / ``vsplit``
/ ``dsplit``, ``msort``, ``nanmedian``, ``addmv`` / ``addr`` / ``addbmm``, ``fmax`` / ``fmin``, ``copysign``,
``heaviside``, ``float_power``, ``logaddexp2``, ``signbit``, ``ldexp``, ``gcd`` / ``lcm`` (all also Tensor methods),
and the top-level-only ``tril_indices`` / ``triu_indices`` and ``unravel_index``. The differentiable ones are
differentiable through the operations they are made of (no Function of their own)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.arrays import any_true
from . import elementwise, shape
from .binary_math import _floating_pair, logaddexp
from .composite_math import mv
from .diagonal import diag
from .precision import is_low_precision
from .sorting import ValuesIndices, sort
from .tensor_extras import where
from .torch_surface import bmm, flip, scaled_product_sum
from .type_promotion import result_type
from .unary import unary
from .value_checks import (KernelNotImplementedError, check_one_backend, check_reducible, check_same_dtype, checked_dim,
                           python_ints, refuse_boolean, refuse_complex, refuse_float_ints, refuse_numbers)
from .vector_products import outer
from .value_checks import refuse_kernel, require_tensor


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input`` (at least 2-D) turned by ``k`` quarter turns in the plane of ``dims``, from the first dim towards
    the second (``torch.rot90``); the two dims of that plane swap sizes when ``k`` is odd."""
    k = python_ints(k)
    if not isinstance(k, int):
        raise TypeError(f"rot90: k must be an int, got {type(k).__name__}")
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected 2 rotation dims, got dims = {dims}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected a tensor of at least 2 dims, got shape {tuple(input.shape)}")
    d0, d1 = checked_dim("rot90", input, dims[0]), checked_dim("rot90", input, dims[1])
    if d0 == d1:
        raise RuntimeError(f"rot90: the rotation dims must differ, got dims = {dims}")
    turns = k % 4
    if turns == 1:
        return shape.transpose(flip(input, (d1,)), d0, d1)
    if turns == 2:
        return flip(input, (d0, d1))
    if turns == 3:
        return shape.transpose(flip(input, (d0,)), d0, d1)
    return elementwise.clone(input)


def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice of ``input`` at ``index`` along ``dim``, that dim removed (``torch.select``; ``x.select(1, 2)`` is
    ``x[:, 2]``)."""
    refuse_float_ints("select", index=index)
    if input.ndim == 0:
        raise IndexError("select: cannot be applied to a 0-d tensor")
    dim = checked_dim("select", input, dim)
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select: index {index} is out of range for dim {dim} of size {size} "
                         f"(shape {tuple(input.shape)})")
    return input[(slice(None),) * dim + (int(index),)]


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The square matrix with ``input``'s elements, flattened, on diagonal ``offset`` (``torch.diagflat``): n
    elements give (n + |offset|, n + |offset|)."""
    return diag(shape.reshape(input, (-1,)), offset)


def _split_along(name: str, input: Tensor, indices_or_sections: Any, dim: int, min_ndim: int) -> tuple[Tensor, ...]:  # noqa: A002
    from .array_style_ops import tensor_split

    if input.ndim < min_ndim:
        raise RuntimeError(f"{name}: expected a tensor of at least {min_ndim} dims, got shape {tuple(input.shape)}")
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or input.shape[dim] % indices_or_sections:
            raise RuntimeError(f"{name}: dim {dim} of size {input.shape[dim]} does not split into "
                               f"{indices_or_sections} equal parts")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """Views of ``input`` split along dim 1 (dim 0 when 1-D) into equal parts (an int) or at the given indices
    (``torch.hsplit``)."""
    return _split_along("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """Views of ``input`` (at least 2-D) split along dim 0, as `hsplit` (``torch.vsplit``)."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """Views of ``input`` (at least 3-D) split along dim 2, as `hsplit` (``torch.dsplit``)."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` sorted along dim 0, ascending (``torch.msort``); the gradient follows the elements."""
    return sort(input, 0).values


def _lower_valid_position(values: Tensor, axis: int) -> Tensor:
    """Per lane of the sorted ``values`` along ``axis`` (kept as 1): the position of the lower median of the lane's
    non-NaN elements (the sort puts NaNs last); 0 for a lane of NaNs only."""
    xp = values.backend.xp
    valid = xp.sum(xp.astype(~xp.isnan(values.array), xp.int64), axis=axis, keepdims=True)
    return Tensor._make(xp.where(valid > 0, (valid - 1) // 2, xp.zeros_like(valid)), values.backend, None, 0)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The lower median of the non-NaN elements (``torch.nanmedian``): a 0-d tensor over all elements, or
    ``(values, indices)`` along ``dim``; NaN only where every element is NaN (that lane's index is then one of its
    positions, not necessarily PyTorch's). Integer tensors: `anynn.median`. The gradient reaches the chosen element
    (over all elements: shared by the elements equal to it, as PyTorch's)."""
    from .indexing import gather
    from .statistics import median, shared_by_ties

    if dim is not None or 0 not in tuple(input.shape):  # (of no elements: True, as PyTorch's)
        refuse_boolean("nanmedian", "median_cpu", input)
    if dim is not None and input.ndim:
        check_reducible("nanmedian", input.array, checked_dim("nanmedian", input, dim))
    xp = input.backend.xp
    if not xp.isdtype(input.array.dtype, "real floating"):
        return median(input) if dim is None else median(input, dim, keepdim)
    if dim is None:
        flat = shape.reshape(input, (-1,))
        if flat.shape[0] == 0:
            return flat.sum() * float("nan")  # PyTorch's: NaN, connected to the (empty) input
        values = sort(flat, 0).values
        return shared_by_ties(flat, gather(values, 0, _lower_valid_position(values, 0)))
    axis = checked_dim("nanmedian", input, dim)
    if input.ndim == 0:
        return ValuesIndices(input, input.new_zeros((), dtype="int64"))
    values, indices = sort(input, axis)
    k = _lower_valid_position(values, axis)
    picked = gather(values, axis, k)
    where = Tensor._make(xp.take_along_axis(indices.array, k.array, axis=axis), input.backend, None, 0)
    return ValuesIndices(picked, where) if keepdim else ValuesIndices(picked.squeeze(axis), where.squeeze(axis))


def _scaled_sum(name: str, input: Tensor, product: Tensor, beta: float, alpha: float,  # noqa: A002
                floats: bool = True) -> Tensor:
    from .composite_math import broadcast_tensors

    grown = tuple(broadcast_tensors(input, product)[1].shape)
    if grown != tuple(product.shape):
        raise RuntimeError(f"{name}: input of shape {tuple(input.shape)} does not broadcast to the product's shape "
                           f"{tuple(product.shape)}")
    return scaled_product_sum(name, input, product, beta, alpha, floats)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat @ vec)`` (``torch.addmv``): mat (n, m), vec (m,), input broadcasting to (n,), of
    their dtype."""
    check_same_dtype("addmv", ("input", "mat", "vec"), (input, mat, vec))
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)`` (``torch.addr``): vec1 (n,), vec2 (m,), input broadcasting to
    (n, m)."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: expected two 1-D vectors, got shapes {tuple(vec1.shape)} and {tuple(vec2.shape)}")
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha, floats=False)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (``torch.addbmm``): batch1 (B, n, m), batch2
    (B, m, p), input broadcasting to (n, p), of their dtype."""
    from .reduce import sum as total

    check_same_dtype("addbmm", ("input", "batch1", "batch2"), (input, batch1, batch2))
    return _scaled_sum("addbmm", input, total(bmm(batch1, batch2), axis=0), beta, alpha)


def _nan_aware_pick(name: str, input: Tensor, other: Tensor, larger: bool) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"{name}: input and other must be tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    refuse_complex(name, input, other)
    keep_input = input >= other if larger else input <= other
    return where(keep_input | other.isnan(), input, other)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise maximum that skips NaN: NaN only where both are NaN (``torch.fmax``; broadcast). A tie's
    gradient goes to ``input``, as PyTorch's."""
    return _nan_aware_pick("fmax", input, other, True)


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise minimum that skips NaN, as `fmax` (``torch.fmin``)."""
    return _nan_aware_pick("fmin", input, other, False)


def _signbit_array(x: Tensor) -> Any:
    xp = x.backend.xp
    if xp.isdtype(x.array.dtype, "complex floating"):
        raise KernelNotImplementedError(f"signbit: complex tensors have no sign bit, got dtype {x.dtype}")
    if xp.isdtype(x.array.dtype, "real floating"):
        return xp.signbit(x.array)
    if xp.isdtype(x.array.dtype, "bool"):
        return xp.zeros_like(x.array, dtype=xp.bool)
    return x.array < 0


def signbit(input: Tensor) -> Tensor:  # noqa: A002
    """Whether each element's sign bit is set (``torch.signbit``): True for negative numbers, ``-0.0`` and NaNs with
    the bit set; a boolean tensor of ``input``'s shape, not differentiable."""
    return Tensor._make(_signbit_array(input), input.backend, None, 0)


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """``|input|`` with the sign of ``other`` (``torch.copysign``; broadcast, ``other`` may be a number; ``-0.0``
    counts as negative). Integers give float32; the gradient of ``input`` is 0 where it is 0, that of a tensor
    ``other`` zeros (PyTorch's ``zeros_like``, so ``grad`` of both works). Complex operands are refused, as PyTorch's
    kernel refuses them."""
    refuse_complex("copysign", input, other)
    if isinstance(other, Tensor):
        check_one_backend("copysign", input, other)
        magnitude, other = elementwise.as_common_floating(input, other)
        wide = result_type(magnitude, other).name  # PyTorch's rule: float16 beside a float64 0-d tensor stays float16
        magnitude = magnitude if dtype_name(magnitude.dtype) == wide else magnitude.astype(wide)
        negative = Tensor._make(_signbit_array(other), other.backend, None, 0)
    else:
        magnitude = elementwise.as_floating(input)
        negative = Tensor._make(input.backend.xp.full_like(magnitude.array, math.copysign(1.0, other) < 0,
                                                           dtype=input.backend.xp.bool), input.backend, None, 0)
    size = magnitude.abs()
    result = where(negative, -size, size)
    if isinstance(other, Tensor) and other.requires_grad:
        result = result - _zero_of(other)  # x - 0.0 keeps -0.0, where + 0.0 would make it +0.0
    return result


_zero_of = unary("copysign_other", lambda fn, xp, a: xp.zeros_like(a), None, floating=False)


def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002
    """The step function (``torch.heaviside``): 0 where ``input < 0``, 1 where ``input > 0``, ``values`` (broadcast)
    where it is 0. Both of one real dtype; not differentiable, as PyTorch's."""
    require_tensor("heaviside", input, "input", 1)
    require_tensor("heaviside", values, "values", 2)
    check_one_backend("heaviside", input, values)
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside: input and values must have one dtype, got {input.dtype} and {values.dtype}")
    if input.backend.xp.isdtype(input.array.dtype, "complex floating"):
        raise RuntimeError(f"heaviside: complex tensors are not supported, got dtype {input.dtype}")
    x, v = input.detach(), values.detach()
    return where(x == 0, v, (x > 0).astype(x.array.dtype))


def _widest(value: Any) -> Any:
    if not isinstance(value, Tensor):
        return complex(value) if isinstance(value, complex) else float(value)
    complex_kind = value.backend.xp.isdtype(value.array.dtype, "complex floating")
    return value.astype("complex128" if complex_kind else "float64")


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """``input ** exponent`` computed in float64 (complex128 when either is complex), as ``torch.float_power``;
    either may be a number, and the result is float64/complex128 whatever the operands' dtypes."""
    base, power = _widest(input), _widest(exponent)
    if not isinstance(base, Tensor) and not isinstance(power, Tensor):
        raise TypeError("float_power: input or exponent must be a tensor")
    if isinstance(power, complex) and isinstance(base, Tensor):
        base = base.astype("complex128")
    if isinstance(base, complex) and isinstance(power, Tensor):
        power = power.astype("complex128")
    return base ** power


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``log2(2**input + 2**other)`` without overflow (``torch.logaddexp2``; broadcast), in the operands' promoted
    real floating dtype (an integer or boolean tensor beside a floating one takes its dtype); two integer or boolean
    tensors, or a complex one, are refused, as PyTorch's."""
    require_tensor("logaddexp2", input, "input", 1)
    require_tensor("logaddexp2", other, "other", 2)
    kinds = [t.backend.xp.isdtype(t.array.dtype, ("real floating", "complex floating")) for t in (input, other)]
    if not any(kinds):
        raise KernelNotImplementedError(f"logaddexp2: expected a floating tensor among the operands, got dtypes "
                                        f"{input.dtype} and {other.dtype}")
    a, b = _floating_pair("logaddexp2", input, other)
    if is_low_precision(a.backend.xp, a.array.dtype):  # three roundings: in float32, rounded once, as PyTorch
        return logaddexp2(a.float(), b.float()).to(a.dtype)
    return logaddexp(a * math.log(2.0), b * math.log(2.0)) / math.log(2.0)


def ldexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``input * 2**other`` (``torch.ldexp``; broadcast); integers give float32, both operands get gradients. input: a
    tensor, as PyTorch's (other may be a number)."""
    refuse_numbers("ldexp", input=input)
    if not input.is_complex():  # a bool exponent of a real input: PyTorch's kernel has none (a complex one: pow)
        refuse_kernel("ldexp", "ldexp_cpu_exp", ("bool",), other)
    from .unary import exp2

    a, b = elementwise.as_common_floating(input, other)
    return a * exp2(b)


def _integer_operands(name: str, input: Tensor, other: Tensor) -> tuple[Any, Any, Any]:  # noqa: A002
    refuse_numbers(name, input=input, other=other)  # PyTorch's gcd/lcm take Tensors only (AttributeError before)
    xp = input.backend.xp
    wide = input.backend.dtype(result_type(input, other).name)  # PyTorch's rule: int8 beside a 0-d int64 is int8
    for t in (input, other):  # (a bool tensor beside an integer one takes its dtype, as PyTorch's)
        if not xp.isdtype(t.array.dtype, ("integral", "bool")) or not xp.isdtype(wide, "integral"):
            raise KernelNotImplementedError(f"{name}: expected integer tensors, got dtype {t.dtype}")
    a, b = xp.broadcast_arrays(xp.astype(input.array, wide), xp.astype(other.array, wide))
    return xp, xp.abs(a), xp.abs(b)


def _gcd_arrays(backend: Any, a: Any, b: Any) -> Any:
    """Euclid's algorithm on every element at once, until every remainder is 0 (a host read per step). Traced or
    recorded arrays (jax.jit, an ONNX export) have no value to read: the most steps the dtype's values can need
    (consecutive Fibonacci numbers: log base phi of the largest value, about 93 for int64) are taken, a finished pair
    staying as it is."""
    xp = backend.xp
    zero, one = xp.zeros_like(b), xp.ones_like(b)

    def step(a: Any, b: Any) -> tuple[Any, Any]:
        done = b == zero
        return xp.where(done, a, b), xp.where(done, zero, a % xp.where(done, one, b))

    if backend.is_traced(b):
        for _ in range(math.ceil(xp.iinfo(b.dtype).bits * math.log(2) / math.log((1 + math.sqrt(5)) / 2)) + 2):
            a, b = step(a, b)
        return a
    while any_true(backend, b != zero):
        a, b = step(a, b)
    return a


def gcd(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The greatest common divisor of each pair (``torch.gcd``; integers, broadcast; ``gcd(0, 0) = 0``)."""
    _, a, b = _integer_operands("gcd", input, other)
    return Tensor._make(_gcd_arrays(input.backend, a, b), input.backend, None, 0)


def lcm(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The least common multiple of each pair (``torch.lcm``; integers, broadcast; 0 when either is 0)."""
    xp, a, b = _integer_operands("lcm", input, other)
    divisor = _gcd_arrays(input.backend, a, b)
    zero = divisor == xp.zeros_like(divisor)
    return Tensor._make(xp.where(zero, divisor, (a // xp.where(zero, xp.ones_like(divisor), divisor)) * b),
                        input.backend, None, 0)


def _indices_tensor(name: str, rows: list[int], cols: list[int], dtype: Any, device: Any) -> Tensor:
    from ..backend import dtype_name
    from ..factories import tensor

    if dtype is not None and not dtype_name(dtype).startswith(("int", "uint")):
        raise KernelNotImplementedError(f"{name}: dtype must be an integer type, got {dtype_name(dtype)}")
    return tensor([rows, cols], dtype="int64" if dtype is None else dtype, device=device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (row, column) coordinates of a row x col matrix's lower triangle, diagonal ``offset`` included, as a
    (2, N) int64 tensor in row-major order (``torch.tril_indices``)."""
    if row < 0 or col < 0:
        raise RuntimeError(f"tril_indices: row and col must be non-negative, got {row} and {col}")
    rows: list[int] = []
    cols: list[int] = []
    for i in range(row):
        stop = min(col, max(0, i + offset + 1))
        rows += [i] * stop
        cols += range(stop)
    return _indices_tensor("tril_indices", rows, cols, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The coordinates of the upper triangle from diagonal ``offset`` on, as `tril_indices` (``torch.triu_indices``)."""
    if row < 0 or col < 0:
        raise RuntimeError(f"triu_indices: row and col must be non-negative, got {row} and {col}")
    rows: list[int] = []
    cols: list[int] = []
    for i in range(row):
        start = min(col, max(0, i + offset))
        rows += [i] * (col - start)
        cols += range(start, col)
    return _indices_tensor("triu_indices", rows, cols, dtype, device)


def unravel_index(indices: Tensor, shape: int | Sequence[int]) -> tuple[Tensor, ...]:
    """Flat (row-major) ``indices`` as one coordinate tensor per dim of ``shape``, each of ``indices``' shape
    (``torch.unravel_index``). Indices wrap around as PyTorch's do, each coordinate taken modulo its size: -1 is
    the last element, and ``numel`` the first again (no error)."""
    dims = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    xp = indices.backend.xp
    if not xp.isdtype(indices.array.dtype, "integral"):
        raise TypeError(f"unravel_index: expected integer indices, got dtype {indices.dtype}")
    if any(s < 0 for s in dims):
        raise ValueError(f"unravel_index: shape must have no negative sizes, got {dims}")
    if 0 in dims:
        raise RuntimeError(f"unravel_index: shape {dims} holds no element to index")
    flat = xp.astype(indices.array, xp.int64)
    coords = []
    for size in reversed(dims):
        coords.append(flat % size)
        flat = flat // size
    return tuple(Tensor._make(c, indices.backend, None, 0) for c in reversed(coords))


FUNCTIONS: dict[str, Any] = {
    "rot90": rot90, "select": select, "diagflat": diagflat, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "msort": msort, "nanmedian": nanmedian, "addmv": addmv, "addr": addr, "addbmm": addbmm, "fmax": fmax, "fmin": fmin,
    "copysign": copysign, "heaviside": heaviside, "float_power": float_power, "logaddexp2": logaddexp2,
    "signbit": signbit, "ldexp": ldexp, "gcd": gcd, "lcm": lcm,
}
TOP_LEVEL: dict[str, Any] = {"tril_indices": tril_indices, "triu_indices": triu_indices,
                             "unravel_index": unravel_index}

__all__ = ["FUNCTIONS", "TOP_LEVEL", *FUNCTIONS, *TOP_LEVEL]
