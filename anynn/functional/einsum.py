"""``einsum``: Einstein summation, as pairwise contractions through ``matmul`` (so BLAS does the work and the
gradient comes from the primitives: permute, reshape, matmul, sum).

Supported: explicit (``"bij,bjk->bik"``) and implicit (``"ij,jk"``) output, ``...`` broadcasting, any number of
operands (contracted left to right). A letter repeated within one operand (a diagonal, ``"ii->i"``) is not.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from . import linalg, reduce, shape

_SPARE = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"  # letters for the axes that ``...`` stands for


def _parse(equation: str, operands: list[Tensor]) -> tuple[list[str], str]:
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operands, {len(operands)} given")
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
            raise ValueError(f"einsum: term {term!r} has {len(term)} letters for an operand of shape {x.shape}")
        if len(set(term)) != len(term):
            raise NotImplementedError(f"einsum: a letter repeated within one operand ({term!r}) is not supported")
        expanded.append(term)
    if arrow:
        output = output.replace("...", spare)
    else:
        letters = "".join(expanded)
        output = spare + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in spare))
    for c in output:
        if not any(c in t for t in expanded):
            raise ValueError(f"einsum: output letter {c!r} appears in no operand")
    return expanded, output


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

    def count(letters: str, sizes: dict[str, int]) -> int:
        n = 1
        for c in letters:
            n *= sizes[c]
        return n

    sizes_a, sizes_b = dict(zip(ta, a.shape)), dict(zip(tb, b.shape))
    a2 = shape.reshape(_arrange(a, ta, batch + left + summed),
                       tuple(sizes_a[c] for c in batch) + (count(left, sizes_a), count(summed, sizes_a)))
    b2 = shape.reshape(_arrange(b, tb, batch + summed + right),
                       tuple(sizes_b[c] for c in batch) + (count(summed, sizes_b), count(right, sizes_b)))
    product = linalg.matmul(a2, b2)
    for c in batch:
        size[c] = max(sizes_a[c], sizes_b[c])
    out = shape.reshape(product, tuple(size[c] for c in batch + left + right))
    return out, batch + left + right


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over ``operands`` (``torch.einsum``); ``einsum(eq, [a, b])`` works too."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: no operands given")
    terms, output = _parse(equation, list(operands))
    result, term = operands[0], terms[0]
    for i in range(1, len(operands)):
        keep = output + "".join(terms[i + 1:])
        result, term = _contract(result, term, operands[i], terms[i], keep)
    result, term = _sum_out(result, term, output)
    return _arrange(result, term, output)
