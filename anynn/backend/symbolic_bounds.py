"""Bounds of sizes computed from symbolic axes: what a comparison of `SymInt`s holds for every size.

A size the model computes from symbolic axes (``(math.ceil(h / s) - 1) * s + k - h``, timm's 'same' padding) is
kept as a linear form: a constant plus multiples of atoms, an atom being a symbolic axis' size (an integer from its
lower bound on, 1 for an axis: it is taken to be not empty), an exact division ``floor(L / s)`` or ``ceil(L / s)``
of a form by a positive int, or an opaque size (a product of two sizes) with the lower bound it is known to have.
A division is ``(L - r) / s`` (floor) or ``(L + r) / s`` (ceil) for some remainder ``r`` in ``[0, s - 1]``, so a form
is, after substitution, linear in axis sizes and remainders: ``ceil(h / 2) * 2 - h`` is ``r`` whatever ``h``, in
``[0, 1]``. `bounds` gives the least and greatest value a form can take (None: unbounded), which decides
``max(pad, 0)`` where the pad is never negative.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

Form = tuple[Fraction, dict[Any, Fraction]]  # (constant, atom -> coefficient)


def constant(value: int) -> Form:
    return Fraction(value), {}


def atom(expr: str, low: int | None) -> Form:
    """An opaque size (a symbolic axis', or one the forms do not follow) that is at least ``low`` (None: unknown)."""
    return Fraction(0), {("size", expr, low): Fraction(1)}


def combine(left: Form, right: Form, sign: int = 1) -> Form:
    """``left + sign * right``."""
    terms = dict(left[1])
    for key, k in right[1].items():
        terms[key] = terms.get(key, Fraction(0)) + sign * k
    return left[0] + sign * right[0], {key: k for key, k in terms.items() if k}


def scaled(form: Form, factor: int) -> Form:
    return form[0] * factor, {key: k * factor for key, k in form[1].items() if factor}


def divided(form: Form, divisor: int, ceil: bool) -> Form:
    """``floor(form / divisor)`` (or ``ceil``) for a positive int ``divisor``: a new atom."""
    frozen = (form[0], tuple(sorted(form[1].items(), key=repr)))
    return Fraction(0), {("ceil" if ceil else "floor", frozen, divisor): Fraction(1)}


def remainder(form: Form, divisor: int) -> Form:
    """``form % divisor`` (Python's, for a positive int): ``form - divisor * floor(form / divisor)``."""
    return combine(form, scaled(divided(form, divisor, ceil=False), divisor), -1)


def bounds(form: Form) -> tuple[int | None, int | None]:
    """The least and greatest integer ``form`` takes over every size (None where unbounded)."""
    c, terms, remainders = _expanded(form)
    low: Fraction | None = c + sum((min(Fraction(0), k * top) for k, top in remainders), Fraction(0))
    high: Fraction | None = c + sum((max(Fraction(0), k * top) for k, top in remainders), Fraction(0))
    for (_, _, least), k in terms.items():
        if k > 0:
            low = None if low is None or least is None else low + k * least
            high = None
        else:
            high = None if high is None or least is None else high + k * least
            low = None
    return (None if low is None else math.ceil(low)), (None if high is None else math.floor(high))


def _expanded(form: Form) -> tuple[Fraction, dict[Any, Fraction], list[tuple[Fraction, int]]]:
    """``form`` with each division written as its dividend and a remainder: (constant, opaque atom -> coefficient,
    [(coefficient, largest value) of each remainder])."""
    c = form[0]
    terms: dict[Any, Fraction] = {}
    remainders: list[tuple[Fraction, int]] = []
    for key, k in form[1].items():
        if key[0] == "size":
            terms[key] = terms.get(key, Fraction(0)) + k
            continue
        kind, (inner_c, inner_terms), divisor = key
        ic, it, ir = _expanded((inner_c, dict(inner_terms)))
        share = k / divisor
        c += share * ic
        for inner, v in it.items():
            terms[inner] = terms.get(inner, Fraction(0)) + share * v
        remainders += [(share * rk, top) for rk, top in ir]
        remainders.append((share if kind == "ceil" else -share, divisor - 1))
    return c, {key: k for key, k in terms.items() if k}, remainders
