"""``torch.add`` / ``torch.sub`` with ``alpha``: ``input +- alpha * other``, promoted and rounded as PyTorch's kernel.

Below `tensor_math` (which re-exports them) so that the in-place ``add_`` / ``sub_`` and ``rsub`` use the same
formula without importing the whole torch-function table.
"""

from __future__ import annotations

import builtins
from typing import Any

from ..autograd.tensor import Tensor
from . import elementwise
from .operands import is_float, kinds_agree, scale_first
from .precision import is_low_precision, tensors_in_float32
from .type_promotion import result_type
from .value_checks import check_one_backend, refuse_boolean_subtraction


def _promoted(input: Any, other: Any) -> tuple[Any, Any]:
    """Both operands in the dtype of their sum before ``other`` is scaled by ``alpha``, as PyTorch's (a uint8 ``other``
    scaled in uint8 first wrapped: ``sub(float16, uint8, alpha=-1)`` was off by 256)."""
    input, other = kinds_agree(elementwise.Add, input, other)  # noqa: A001
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input.dtype != other.dtype:
        xp = input.backend.xp
        if xp.isdtype(other.array.dtype, "integral") and xp.isdtype(input.array.dtype, "integral"):
            return input, other.astype((input + other).dtype)
    return input, other


_ALPHA_FIRST = ("Number alpha, Tensor other", "Tensor other, *, Number alpha = 1")


def _checked_alpha(name: str, input: Any, other: Any, alpha: Any) -> Any:  # noqa: A002
    """``alpha`` as PyTorch takes it for the dtype of ``input`` and ``other``: refused as a float beside integer or
    boolean tensors and as a complex number beside real ones; True for a boolean result (``b + 2 * c`` is an or)."""
    if isinstance(alpha, Tensor) or not any(isinstance(v, Tensor) for v in (input, other)):
        return alpha
    check_one_backend(name, input, other)  # (before the two dtypes are promoted together)
    kind = result_type(input, other).name
    if isinstance(alpha, builtins.complex) and not kind.startswith("complex"):
        raise RuntimeError(f"{name}: for non-complex input tensors, argument alpha must not be a complex number "
                           f"(got {alpha}, dtype {kind})")
    if isinstance(alpha, (float, builtins.complex)) and (kind == "bool" or "int" in kind):
        raise RuntimeError(f"{name}: for integral input tensors, argument alpha must not be a floating point number "
                           f"(got {alpha}, dtype {kind})")
    return bool(alpha) if kind == "bool" else alpha


def add(input: Any, other: Any, *deprecated: Any, alpha: float = 1) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input + alpha * other``; ``alpha`` as PyTorch takes it (an integer for integer tensors). PyTorch's deprecated
    ``add(input, alpha, other)`` (older code's ``p.add_(-lr, grad)``) too, with its warning."""
    if deprecated:
        alpha, (other,) = other, scale_first("add", other, deprecated, *_ALPHA_FIRST)
    if alpha == 1 and type(alpha) is int:
        return input + other
    return _plus_scaled("add", input, other, _checked_alpha("add", input, other, alpha))


def _plus_scaled(name: str, input: Any, other: Any, alpha: Any) -> Tensor:  # noqa: A002
    """``input + alpha * other`` (``sub``: minus), promoted as PyTorch's add, alpha saved as its AddBackward0 saves
    it. float16/bfloat16 as PyTorch's kernel: alpha rounded to that dtype, the rest in float32 rounded once."""
    floating = {v.array.dtype: v for v in (input, other) if isinstance(v, Tensor) and is_float(v)}
    if len(floating) == 1 and isinstance(alpha, float):  # one floating dtype: the result's
        (low, like), = floating.items()
        if is_low_precision(like.backend.xp, low):
            alpha = float(like.backend.xp.asarray(alpha, dtype=low, device=like.backend.device))
    return _plus_scaled_rounded_once(name, input, other, alpha)


@tensors_in_float32
def _plus_scaled_rounded_once(name: str, input: Any, other: Any, alpha: Any) -> Tensor:  # noqa: A002
    input, other = _promoted(input, other)  # noqa: A001
    if isinstance(input, Tensor) and isinstance(other, Tensor) and is_float(input) and is_float(other) and (
            input.array.dtype != other.array.dtype):  # scaled in the result's dtype (float32 + 3.3 * float16)
        common = result_type(input, other)
        input, other = input.to(common), other.to(common)  # noqa: A001
    return input + elementwise.scaled(other, alpha) if name == "add" else input - elementwise.scaled(other, alpha)


def sub(input: Any, other: Any, *deprecated: Any, alpha: float = 1) -> Tensor:  # noqa: A002
    """``input - alpha * other``; ``alpha`` as PyTorch takes it (an integer for integer tensors); PyTorch's deprecated
    ``sub(input, alpha, other)`` too, with its warning."""
    if deprecated:
        alpha, (other,) = other, scale_first("sub", other, deprecated, *_ALPHA_FIRST)
    if alpha == 1 and type(alpha) is int:
        return input - other
    refuse_boolean_subtraction(input, other)
    return _plus_scaled("sub", input, other, _checked_alpha("sub", input, other, alpha))
