"""``einsum``: Einstein summation, as pairwise contractions through ``matmul`` (so BLAS does the work and the
gradient comes from the primitives: permute, reshape, matmul, sum).

Supported: explicit (``"bij,bjk->bik"``) and implicit (``"ij,jk"``) output, ``...`` broadcasting, any number of
operands (contracted left to right), a letter repeated within one operand (its diagonal first: ``"ii->i"``,
``"ii"`` is the trace, ``"iij->j"``), whose axes must then have one size; an axis of size 1 broadcasts against
its letter's size in another operand, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from . import linalg, reduce, shape
from ..backend.broadcasting import broadcast_shapes
from .broadcast import expand
from .diagonal import diagonal
from .value_checks import InvalidValueError  # (PyTorch: RuntimeError; a ValueError too, as before)

_SPARE = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"  # letters for the axes that ``...`` stands for


def _parse(equation: str, operands: list[Tensor]) -> tuple[list[str], str]:
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise InvalidValueError(f"einsum: the equation {equation!r} names {len(terms)} operands, {len(operands)} given")
    ellipsis_rank = 0
    for term, x in zip(terms, operands):
        if "..." in term:
            ellipsis_rank = max(ellipsis_rank, x.ndim - (len(term) - 3))
    spare = _SPARE[:ellipsis_rank]
    expanded = []
    for term, x in zip(terms, operands):
        if "..." in term:
            k = x.ndim - (len(term) - 3)
            term = term.replace("...", spare[ellipsis_rank - k:])
        if len(term) != x.ndim:
            raise InvalidValueError(f"einsum: term {term!r} has {len(term)} letters for an operand of shape {x.shape}")
        for c in set(term):
            sizes = {x.shape[i] for i, letter in enumerate(term) if letter == c}
            if len(sizes) > 1:  # PyTorch's message
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {len(expanded)} but the sizes "
                                   f"don't match, {' != '.join(str(s) for s in sorted(sizes, reverse=True))}")
        expanded.append(term)
    if arrow:
        output = output.replace("...", spare)
    else:
        letters = "".join(expanded)
        output = spare + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in spare))
    for c in output:
        if not any(c in t for t in expanded):
            raise InvalidValueError(f"einsum: output letter {c!r} appears in no operand")
    return expanded, output


def _diagonals(x: Tensor, term: str) -> tuple[Tensor, str]:
    """``x`` reduced to its diagonal over each letter ``term`` repeats (one axis per letter, moved last, as
    `diagonal` puts it), and its term without repeats."""
    for c in dict.fromkeys(term):
        while term.count(c) > 1:
            first = term.index(c)
            second = term.index(c, first + 1)
            x = diagonal(x, 0, first, second)
            term = "".join(letter for i, letter in enumerate(term) if i not in (first, second)) + c
    return x, term


def _broadcast_axes(operands: tuple[Tensor, ...], terms: tuple[str, ...]) -> tuple[Tensor, ...]:
    """The operands with each axis of size 1 expanded to the size its letter has in another operand, as PyTorch
    broadcasts them (``"ij,jk"`` of shapes (2, 1) and (3, 4) sums over j = 3); other sizes that differ are refused
    in PyTorch's words. Symbolic sizes (an ONNX export) are left as they are."""
    seen: dict[str, int] = {}
    for k, (x, term) in enumerate(zip(operands, terms)):
        for c, n in zip(term, x.shape):
            m = seen.get(c)
            if n is None or n == m:
                continue
            if m is None or m == 1:
                seen[c] = n
            elif n != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {m}")
    out = []
    for x, term in zip(operands, terms):
        target = tuple(seen[c] if n == 1 else n for c, n in zip(term, x.shape))
        out.append(x if target == tuple(x.shape) else expand(x, *target))
    return tuple(out)


def _sum_out(x: Tensor, term: str, keep: str) -> tuple[Tensor, str]:
    """Sum the axes of ``x`` whose letters are not in ``keep``."""
    gone = tuple(i for i, c in enumerate(term) if c not in keep)
    if not gone:
        return x, term
    return reduce.sum(x, axis=gone), "".join(c for c in term if c in keep)


def _arrange(x: Tensor, term: str, order: str) -> Tensor:
    if term == order:
        return x
    return shape.permute(x, tuple(term.index(c) for c in order))


def _contract(a: Tensor, ta: str, b: Tensor, tb: str, keep: str) -> tuple[Tensor, str]:
    """``a`` and ``b`` multiplied, summing the letters they share that ``keep`` does not need."""
    a, ta = _sum_out(a, ta, keep + tb)
    b, tb = _sum_out(b, tb, keep + ta)
    batch = "".join(c for c in ta if c in tb and c in keep)
    summed = "".join(c for c in ta if c in tb and c not in keep)
    left = "".join(c for c in ta if c not in tb)
    right = "".join(c for c in tb if c not in ta)
    size = {**dict(zip(tb, b.shape)), **dict(zip(ta, a.shape))}

    def count(letters: str, sizes: dict[str, int | None]) -> int | None:
        n: int | None = 1
        for c in letters:  # a symbolic size (ONNX export): the merged axis is symbolic too (reshape's implied -1)
            n = None if n is None or sizes[c] is None else n * sizes[c]
        return n

    sizes_a, sizes_b = dict(zip(ta, a.shape)), dict(zip(tb, b.shape))
    a2 = shape.reshape(_arrange(a, ta, batch + left + summed),
                       tuple(sizes_a[c] for c in batch) + (count(left, sizes_a), count(summed, sizes_a)))
    b2 = shape.reshape(_arrange(b, tb, batch + summed + right),
                       tuple(sizes_b[c] for c in batch) + (count(summed, sizes_b), count(right, sizes_b)))
    if not summed and (a2.dtype != b2.dtype or a2.dtype == a2.backend.dtype("bool")):
        # nothing summed: a broadcast product, as PyTorch's, which promotes two dtypes (mamba-minimal's float64 step
        # sizes times float32 A) and and-s booleans; a sum over a letter multiplies matrices of one dtype only
        product = a2 * b2
    else:
        product = linalg.matmul(a2, b2)
    for c in batch:  # (broadcast: a symbolic size of an ONNX export matches the other, unless that is 1)
        size[c] = broadcast_shapes((sizes_a[c],), (sizes_b[c],))[0]
    out = shape.reshape(product, tuple(size[c] for c in batch + left + right))
    return out, batch + left + right


def _sublist_equation(arguments: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """The equation and operands of PyTorch's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``: each operand
    followed by its axes as integers in [0, 52) or ``...``, the output's axes last (optional)."""

    def term(sublist: Any) -> str:
        letters = []
        for axis in sublist:
            if axis is Ellipsis:
                letters.append("...")
            elif isinstance(axis, int) and 0 <= axis < 52:
                letters.append(chr(ord("A") + axis) if axis < 26 else chr(ord("a") + axis - 26))
            else:
                raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), but got {axis!r}")
        return "".join(letters)

    operands, terms = arguments[0::2], arguments[1::2]
    output = None
    if len(arguments) % 2:  # an odd count: the last entry is the output's sublist
        operands, output = operands[:-1], operands[-1]
    equation = ",".join(term(t) for t in terms) + ("" if output is None else "->" + term(output))
    return equation, operands


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation over ``operands`` (``torch.einsum``); ``einsum(eq, [a, b])`` works too, and PyTorch's
    sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: no operands given")
    terms, output = _parse(equation, list(operands))
    operands, terms = zip(*(_diagonals(x, term) for x, term in zip(operands, terms)))
    operands = _broadcast_axes(operands, terms)
    result, term = operands[0], terms[0]
    for i in range(1, len(operands)):
        keep = output + "".join(terms[i + 1:])
        result, term = _contract(result, term, operands[i], terms[i], keep)
    result, term = _sum_out(result, term, output)
    return _arrange(result, term, output)
