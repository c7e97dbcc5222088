"""``torch.distributions.utils``: the helpers programs import from there (``broadcast_all``, ``probs_to_logits``,
``logits_to_probs``, ``clamp_probs``, ``lazy_property``, ``euler_constant``, ``vec_to_tril_matrix``,
``tril_matrix_to_vec``)."""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..autograd.tensor import Tensor
from ..type_info import finfo
from .categorical import clamp_probs

euler_constant = 0.57721566490153286060  # Euler-Mascheroni


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """The values (Tensors or numbers) as Tensors of one broadcast shape; numbers take the first Tensor's backend
    and dtype (the default float dtype when there is none)."""
    from .normal import _broadcast_all

    if not all(isinstance(v, (Tensor, int, float)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number or anynn Tensors.")
    return _broadcast_all(*values)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits of probabilities: ``log p - log(1 - p)`` (binary) or ``log p`` (categorical), clamped first."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities of logits: ``sigmoid`` (binary) or ``softmax`` over the last axis."""
    from ..functional.activation import softmax

    return logits.sigmoid() if is_binary else softmax(logits, dim=-1)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed on first use and then stored on the instance."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)  # type: ignore[arg-type]

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_positions(n: int, diag: int) -> list[int]:
    """Flat positions (row-major, n x n) of the entries with ``column < row + diag + 1``, in row order."""
    return [i * n + j for i in range(n) for j in range(n) if j < i + diag + 1]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """A vector (..., M) as the lower triangle (below diagonal ``diag``) of a (..., D, D) matrix, filled row by
    row; the other entries 0. Differentiable (a gather)."""
    from ..factories import tensor as make_tensor
    from ..functional.shape import concat

    m = vec.shape[-1]
    n_real = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    n = round(n_real)
    if abs(n - n_real) > finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the lower triangular part "
                         f"of a square D x D matrix.")
    source = [m] * (n * n)  # index m: the appended zero
    for k, position in enumerate(_tril_positions(n, diag)):
        source[position] = k
    padded = concat([vec, vec[..., :1] * 0], axis=-1)
    index = make_tensor(source, backend=vec.backend)
    return padded.index_select(vec.ndim - 1, index).reshape(*vec.shape[:-1], n, n)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The lower triangle (below diagonal ``diag``) of (..., D, D) matrices as vectors, row by row."""
    from ..factories import tensor as make_tensor

    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(*mat.shape[:-2], n * n)
    return flat.index_select(flat.ndim - 1, make_tensor(_tril_positions(n, diag), backend=mat.backend))


__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property", "logits_to_probs", "probs_to_logits",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]
