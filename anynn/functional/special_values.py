"""``torch.special``'s Hurwitz ``zeta`` and its functions without derivatives: the orthogonal polynomials
(``chebyshev_polynomial_t/u/v/w`` and their ``shifted_`` forms on [0, 1], ``hermite_polynomial_h/he``,
``laguerre_polynomial_l``, ``legendre_polynomial_p``), ``airy_ai``, ``spherical_bessel_j0``, ``bessel_j0/j1/y0/y1``,
``modified_bessel_i0/i1/k0/k1`` and ``scaled_modified_bessel_k0/k1``.

PyTorch records no graph for the latter: their results never require grad, even of inputs that do, and so here
(``modified_bessel_i0`` is ``i0``'s value without ``i0``'s derivative). ``zeta(x, q)`` is differentiable in q
(``-x zeta(x + 1, q)``) and, as PyTorch's, raises ``NotImplementedError`` when a backward needs its slope in x.

Shapes: the operands broadcast; the result has the broadcast shape, in the operands' promoted floating dtype
(integers compute in float32, as PyTorch's). A polynomial's degree ``n`` (a number or a Tensor; floats truncate
toward zero) runs its recurrence up to the largest degree present: a number's own (traceable), a Tensor's read to
the host once per call.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend.arrays import any_true
from ..backend.typing import Namespace
from .binary_math import _floating_pair
from .elementwise import as_floating
from .formulas.bessel import bessel_i, bessel_k, bessel_k_scaled
from .formulas.airy import airy_ai as airy
from .formulas.bessel_jy import bessel_j, bessel_y
from .formulas.orthogonal_polynomials import polynomial, recurrence_top
from .formulas.zeta import hurwitz_zeta
from .value_checks import refuse_complex, refuse_kernel


def refuse_half(name: str, x: Any) -> None:
    """PyTorch's CPU kernels of these special functions have no float16/bfloat16 version: its NotImplementedError
    ('"bessel_j0_cpu" not implemented for 'Half''), where anynn would compute them."""
    refuse_kernel(name, f"{name}_cpu", ("float16", "bfloat16"), x)


class ZetaFunction(Function):
    """``zeta(x, q)`` broadcast; gradient ``-g x zeta(x + 1, q)`` for q, none for x (as PyTorch)."""

    def forward(self, xp: Namespace, x: Any, q: Any) -> Any:
        self.x, self.q = x, q
        return hurwitz_zeta(xp, x, q)

    def backward(self, xp: Namespace, g: Any) -> tuple[None, Any]:
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, sum_to_shape(xp, -g * self.x * hurwitz_zeta(xp, self.x + 1.0, self.q), tuple(self.q.shape))


def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The Hurwitz zeta function ``sum_k (other + k)^-input`` broadcast (``torch.special.zeta``): +inf at
    input = 1, NaN below; either operand may be a number; differentiable in ``other`` only, as PyTorch's."""
    x, q = _floating_pair("zeta", input, other)
    refuse_half("zeta", x)
    return ZetaFunction.apply(x, q)


def _values(like: Tensor, data: Any) -> Tensor:
    """A result that records nothing, as PyTorch's functions without derivatives."""
    return Tensor._make(data, like.backend, None, 0)


def _polynomial(name: str, kind: str, shifted: bool, input: Any, n: Any) -> Tensor:  # noqa: A002
    x, degree = _floating_pair(name, input, n)
    refuse_half(name, x)
    be = x.backend
    xp = be.xp
    a = x.array
    if shifted:
        a = a + a - 1.0
    degrees = xp.astype(degree.array, xp.int64)  # truncation toward zero, as PyTorch's cast
    above = recurrence_top(kind)
    if isinstance(n, (int, float)) and not isinstance(n, bool):
        # a number: the recurrence runs to it unless every |x| < 1 takes the trigonometric form (a traced x runs it)
        top = int(n)
        if above is not None and top > above and not any_true(be, xp.abs(a) >= 1.0, if_traced=True):
            top = above
    else:
        needed = degrees if above is None else xp.where(xp.abs(a) < 1.0, xp.clip(degrees, max=above), degrees)
        top = int(be.to_host(xp.max(needed))) if needed.size else 0  # host value: how far the recurrence runs
    return _values(x, polynomial(xp, kind, a, degrees, max(top, 0)))


def _polynomial_function(kind: str, stem: str, shifted: bool = False) -> Any:
    name = ("shifted_" if shifted else "") + stem

    def fn(input: Any, n: Any) -> Tensor:  # noqa: A002
        return _polynomial(name, kind, shifted, input, n)

    fn.__name__ = fn.__qualname__ = name
    span = "[0, 1] (the polynomial at 2x - 1)" if shifted else "the real line"
    fn.__doc__ = (f"The polynomial of degree n (a number or a Tensor, broadcast) at input (*) on {span}, "
                  f"as ``torch.special.{name}``; 0 for negative n; no derivative (PyTorch records none).")
    return fn


chebyshev_polynomial_t = _polynomial_function("t", "chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial_function("u", "chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial_function("v", "chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial_function("w", "chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial_function("t", "chebyshev_polynomial_t", shifted=True)
shifted_chebyshev_polynomial_u = _polynomial_function("u", "chebyshev_polynomial_u", shifted=True)
shifted_chebyshev_polynomial_v = _polynomial_function("v", "chebyshev_polynomial_v", shifted=True)
shifted_chebyshev_polynomial_w = _polynomial_function("w", "chebyshev_polynomial_w", shifted=True)
hermite_polynomial_h = _polynomial_function("h", "hermite_polynomial_h")
hermite_polynomial_he = _polynomial_function("he", "hermite_polynomial_he")
laguerre_polynomial_l = _polynomial_function("l", "laguerre_polynomial_l")
legendre_polynomial_p = _polynomial_function("p", "legendre_polynomial_p")


def _unary(name: str, input: Any) -> tuple[Tensor, Namespace, Any]:  # noqa: A002
    refuse_complex(name, input)
    refuse_half(name, input)
    x = as_floating(input)
    return x, x.backend.xp, x.array


def spherical_bessel_j0(input: Any) -> Tensor:  # noqa: A002
    """``sin(x) / x`` of input (*), 1 at 0 (its Taylor series below 0.5, as PyTorch's), 0 at +-inf
    (``torch.special.spherical_bessel_j0``); no derivative."""
    x, xp, a = _unary("spherical_bessel_j0", input)
    square = a * a
    series = xp.ones_like(a)
    term = xp.ones_like(a)
    for k in range(1, 10):  # (-x^2)^k / (2k+1)!: below 1e-17 by k = 9 at |x| = 0.5
        term = term * -square / float((2 * k) * (2 * k + 1))
        series = series + term
    near = xp.abs(a) < 0.5
    safe = xp.where(near | xp.isinf(a), xp.ones_like(a), a)
    value = xp.where(xp.isinf(a), xp.zeros_like(a), xp.sin(safe) / safe)
    return _values(x, xp.where(near, series, value))


def modified_bessel_i0(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function ``I0`` of input (*) (``torch.special.modified_bessel_i0``): `i0`'s values,
    without a derivative, as PyTorch's."""
    x, xp, a = _unary("modified_bessel_i0", input)
    return _values(x, bessel_i(xp, a, 0))


def modified_bessel_i1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function ``I1`` of input (*) (``torch.special.modified_bessel_i1``): `i1`'s values,
    without a derivative, as PyTorch's."""
    x, xp, a = _unary("modified_bessel_i1", input)
    return _values(x, bessel_i(xp, a, 1))


def _bessel_k_function(name: str, order: int, scaled: bool) -> Any:
    formula = bessel_k_scaled if scaled else bessel_k

    def fn(input: Any) -> Tensor:  # noqa: A002
        x, xp, a = _unary(name, input)
        return _values(x, formula(xp, a, order))

    fn.__name__ = fn.__qualname__ = name
    scaling = "``exp(x) K{0}(x)``" if scaled else "``K{0}(x)``"
    fn.__doc__ = (f"The modified Bessel function of the second kind {scaling.format(order)} of input (*) for x > 0 "
                  f"(``torch.special.{name}``): +inf at 0, NaN below; no derivative, as PyTorch's.")
    return fn


modified_bessel_k0 = _bessel_k_function("modified_bessel_k0", 0, False)
modified_bessel_k1 = _bessel_k_function("modified_bessel_k1", 1, False)
scaled_modified_bessel_k0 = _bessel_k_function("scaled_modified_bessel_k0", 0, True)
scaled_modified_bessel_k1 = _bessel_k_function("scaled_modified_bessel_k1", 1, True)


def _bessel_jy_function(name: str, kind: str, order: int) -> Any:
    formula = bessel_j if kind == "j" else bessel_y

    def fn(input: Any) -> Tensor:  # noqa: A002
        x, xp, a = _unary(name, input)
        return _values(x, formula(xp, a, order))

    fn.__name__ = fn.__qualname__ = name
    domain = "any x" if kind == "j" else "x > 0 (-inf at 0, NaN below)"
    fn.__doc__ = (f"The Bessel function of the {'first' if kind == 'j' else 'second'} kind ``{kind.upper()}{order}`` "
                  f"of input (*) for {domain} (``torch.special.{name}``); no derivative, as PyTorch's.")
    return fn


bessel_j0 = _bessel_jy_function("bessel_j0", "j", 0)
bessel_j1 = _bessel_jy_function("bessel_j1", "j", 1)
bessel_y0 = _bessel_jy_function("bessel_y0", "y", 0)
bessel_y1 = _bessel_jy_function("bessel_y1", "y", 1)


def airy_ai(input: Any) -> Tensor:  # noqa: A002
    """The Airy function ``Ai`` of input (*) (``torch.special.airy_ai``): NaN at +-inf; no derivative, as
    PyTorch's."""
    x, xp, a = _unary("airy_ai", input)
    return _values(x, airy(xp, a))


POLYNOMIAL_NAMES = ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
                    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
                    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
                    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p")

__all__ = ["POLYNOMIAL_NAMES", "ZetaFunction", "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u",
           "chebyshev_polynomial_v", "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "spherical_bessel_j0", "zeta"]
