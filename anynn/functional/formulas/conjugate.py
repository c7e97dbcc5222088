"""Complex conjugation for the gradient formulas, free on real arrays.

PyTorch's gradient of a real loss L with respect to a complex z = x + iy is ``dL/dx + i dL/dy`` (twice the
conjugate Wirtinger derivative ``dL/dz*``). For a holomorphic f with w = f(z) it is ``grad_w * conj(f'(z))``, so a
formula written for real inputs (``grad_w * f'(z)``) becomes right for complex ones by conjugating the derivative
it multiplies by. `conj` is that conjugation: the array itself for real dtypes (no array operation on the real
path, one cached dtype lookup), ``xp.conj`` for complex ones.
"""

from __future__ import annotations

from ...backend.typing import Array, Namespace
from ..dtype_kinds import isdtype

__all__ = ["abs_squared", "conj", "is_complex", "make_complex", "sign"]


def is_complex(xp: Namespace, a: Array | complex) -> bool:
    """Whether ``a`` (a native array, a Tensor inside a recorded backward, or a Python number) is complex."""
    dtype = getattr(a, "dtype", None)
    return isinstance(a, complex) if dtype is None else isdtype(xp, dtype, "complex floating")


# id(dtype) -> dtype, for the real and integer dtypes `conj` has met: its answer for them in one lookup, as every
# backward of the arithmetic asks it (the entry holds the dtype, so its id is not reused while the entry lives)
_NOT_COMPLEX: dict[int, object] = {}


def conj(xp: Namespace, a: Array | complex) -> Array | complex:
    """``conj(a)`` for complex ``a``; ``a`` itself (the same object) for real and integer arrays and numbers."""
    dtype = getattr(a, "dtype", None)
    if dtype is None:
        return a.conjugate() if isinstance(a, complex) else a
    if _NOT_COMPLEX.get(id(dtype)) is dtype:
        return a
    if isdtype(xp, dtype, "complex floating"):
        return xp.conj(a)
    if len(_NOT_COMPLEX) >= 64:  # dtypes made on the fly: keep the table small
        _NOT_COMPLEX.clear()
    _NOT_COMPLEX[id(dtype)] = dtype
    return a


def make_complex(xp: Namespace, real: Array, imag: Array, dtype: object) -> Array:
    """``real + i imag`` in the complex ``dtype`` (the standard has no constructor from two parts);
    ``real`` and ``imag`` are real arrays of one broadcast shape."""
    return xp.astype(real, dtype) + xp.astype(imag, dtype) * 1j


def abs_squared(xp: Namespace, a: Array) -> Array:
    """``|a|²``, real: ``a * a`` for real ``a``, ``re² + im²`` for complex ``a``."""
    if not isdtype(xp, a.dtype, "complex floating"):
        return a * a
    re, im = xp.real(a), xp.imag(a)
    return re * re + im * im


def sign(xp: Namespace, a: Array) -> Array:
    """The derivative of ``|a|``: ``sign(a)`` for real ``a``, 0 at NaN as PyTorch's ``sgn`` (the array libraries'
    ``sign`` keeps NaN); ``a / |a|`` (0 at 0) for complex ``a``, written from differentiable pieces, since a
    recorded backward's ``xp.sign`` is a constant (wrong second derivatives)."""
    if not isdtype(xp, a.dtype, "complex floating"):
        signs = xp.sign(a)
        return xp.where(xp.isnan(a), xp.zeros_like(signs), signs) if isdtype(xp, a.dtype, "real floating") else signs
    magnitude = xp.abs(a)
    safe = xp.where(magnitude == 0, xp.ones_like(magnitude), magnitude)
    return a / xp.astype(safe, a.dtype)
