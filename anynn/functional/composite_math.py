"""PyTorch functions that are one or two existing operations: ``ravel``, ``broadcast_tensors``, ``positive``, ``mv``,
``inner``, ``deg2rad`` / ``rad2deg``, ``fliplr`` / ``flipud``, ``logit``, ``isin`` and ``dist``. Each is
differentiable where PyTorch's is, through the operations it is made of (no Function of its own)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from . import broadcast, elementwise, linalg, reduce, shape
from .torch_surface import flip
from .unary import unary
from .value_checks import check_one_backend, refuse_boolean, refuse_complex, refuse_numbers, require_tensor
from .precision import in_float32


def ravel(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input`` as 1-D, (numel,) (``torch.ravel``)."""
    return shape.reshape(input, (-1,))


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (``torch.broadcast_tensors``); gradients sum back."""
    for i, t in enumerate(tensors):
        require_tensor("broadcast_tensors", t, "tensors", i + 1)
    shapes = [tuple(t.shape) for t in tensors]
    ndim = max((len(s) for s in shapes), default=0)
    common = []
    for i in range(ndim):
        sizes = {s[i - ndim + len(s)] for s in shapes if i - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise RuntimeError(f"broadcast_tensors: shapes {shapes} do not broadcast (dim {i} has sizes "
                               f"{sorted(sizes)})")
        common.append(sizes.pop() if sizes else 1)
    return tuple(t if tuple(t.shape) == tuple(common) else broadcast.expand(t, tuple(common)) for t in tensors)


def positive(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself (``torch.positive``); booleans are refused, as PyTorch's."""
    if input.backend.xp.isdtype(input.array.dtype, "bool"):
        raise RuntimeError("positive(): the positive operator, +, does not support bool tensors")
    return input


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix times vector: input (n, m), vec (m,) → (n,) (``torch.mv``)."""
    require_tensor("mv", input, "input", 1)
    require_tensor("mv", vec, "vec", 2)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {tuple(input.shape)} and "
                           f"{tuple(vec.shape)}")
    return linalg.matmul(input, vec)


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The sum of products over the last dims (``torch.inner``): (*a, n) and (*b, n) → (*a, *b); a 0-d operand
    scales the other."""
    require_tensor("inner", input, "input", 1)
    require_tensor("inner", other, "other", 2)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner: the last dims must match, got shapes {tuple(input.shape)} and "
                           f"{tuple(other.shape)}")
    from .array_style_ops import tensordot

    return tensordot(input, other, dims=([input.ndim - 1], [other.ndim - 1]))


@in_float32()
def deg2rad(input: Tensor) -> Tensor:  # noqa: A002
    """Degrees to radians (``torch.deg2rad``); integers give float32, complex tensors are refused (as PyTorch)."""
    refuse_numbers("deg2rad", input=input)
    refuse_complex("deg2rad", input)
    return elementwise.as_floating(input) * (math.pi / 180.0)


@in_float32()
def rad2deg(input: Tensor) -> Tensor:  # noqa: A002
    """Radians to degrees (``torch.rad2deg``); integers give float32, complex tensors are refused (as PyTorch)."""
    refuse_numbers("rad2deg", input=input)
    refuse_complex("rad2deg", input)
    return elementwise.as_floating(input) * (180.0 / math.pi)


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """Reverse dim 1, the columns (``torch.fliplr``); at least 2-D."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {tuple(input.shape)}")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """Reverse dim 0, the rows (``torch.flipud``); at least 1-D."""
    if input.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return flip(input, (0,))


# the slope 1 / (p (1 - p)) is NaN outside [0, 1] and inf at its ends, as PyTorch's (the chain rule through
# log(p / (1 - p)) gave finite slopes outside and NaN at the ends)
_logit = unary("logit", lambda fn, xp, a: xp.log(a / (1.0 - a)),
               lambda xp, a, out: xp.where((a < 0) | (a > 1), xp.full_like(a, math.nan), 1.0 / (a * (1.0 - a))))


def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    """``log(p / (1 - p))`` (``torch.logit``), with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given (the
    gradient is 0 outside, as PyTorch's); integers give float32; complex tensors are refused, as PyTorch's."""
    refuse_complex("logit", input)
    p = elementwise.as_floating(input)
    if eps is not None:
        p = elementwise.clip(p, eps, 1.0 - eps)
    return _logit(p)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each of ``elements`` is one of ``test_elements`` (``torch.isin``): a boolean tensor of
    ``elements``' shape; either (not both) may be a Python number. ``assume_unique`` is a speed hint only. Boolean
    tensors are refused, as PyTorch's ("Unsupported input type encountered for isin(): Bool")."""
    refuse_boolean("isin", "isin", elements, test_elements)
    check_one_backend("isin", elements, test_elements)  # (xp.asarray below would copy the other library's array)
    if not isinstance(elements, Tensor):
        if not isinstance(test_elements, Tensor):
            raise TypeError("isin: elements or test_elements must be a tensor")
        from ..factories import full

        elements = full((), elements, backend=test_elements.backend)
    xp = elements.backend.xp
    wanted = test_elements.array if isinstance(test_elements, Tensor) else test_elements
    values = xp.reshape(elements.array, (-1, 1))
    found = xp.any(values == xp.reshape(xp.asarray(wanted, device=elements.backend.device), (1, -1))
                   if isinstance(test_elements, Tensor) else values == wanted, axis=1)
    found = xp.reshape(found, tuple(elements.shape))
    return Tensor._make(~found if invert else found, elements.backend, None, 0)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The ``p``-norm of ``input - other`` over all elements (``torch.dist``; the two broadcast): 0-d. ``p`` as
    `anynn.norm`: any positive number, ``inf``, ``0`` (the count of differing elements), negative numbers. Two
    tensors, as PyTorch's."""
    refuse_numbers("dist", input=input, other=other)
    return reduce.norm(input - other, p)


FUNCTIONS: dict[str, Any] = {
    "dist": dist, "ravel": ravel, "broadcast_tensors": broadcast_tensors, "positive": positive, "mv": mv,
    "inner": inner, "deg2rad": deg2rad, "rad2deg": rad2deg, "fliplr": fliplr, "flipud": flipud, "logit": logit,
    "isin": isin,
}

__all__ = ["FUNCTIONS", *FUNCTIONS]
