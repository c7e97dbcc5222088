"""The transforms of ``torch.distributions.transforms`` that act on whole events: onto the simplex
(``SoftmaxTransform``, ``StickBreakingTransform``), onto Cholesky factors and positive-definite matrices
(``LowerCholeskyTransform``, ``CorrCholeskyTransform``, ``PositiveDefiniteTransform``), and the structural ones
(``ReshapeTransform``, ``IndependentTransform``, ``CatTransform``, ``StackTransform``,
``CumulativeDistributionTransform``). Importing this module adds them to `anynn.distributions.transforms`, PyTorch's
path (the package imports it)."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.activation import softplus
from ..type_info import finfo
from . import constraints
from .transforms import Transform, sum_rightmost
from .utils import tril_matrix_to_vec, vec_to_tril_matrix


def _offset(x: Tensor) -> Tensor:
    """``K, K - 1, ..., 1`` for the last axis of ``x`` (size K): the stick-breaking shift ``log(K - i)``."""
    from ..factories import arange

    k = x.shape[-1]
    return arange(k, 0, -1, dtype=x.dtype, backend=x.backend)


def _pad_last(x: Tensor, before: int, after: int, value: float) -> Tensor:
    from ..nn.functional import pad

    return pad(x, (before, after), value=value)


class SoftmaxTransform(Transform):
    """``y = softmax(x)`` over the last axis: real vectors onto the simplex (not bijective; ``inv`` gives
    ``log y``)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Tensor) -> Tensor:
        e = (x - x.amax(-1, keepdim=True)).exp()
        return e / e.sum(-1, keepdim=True)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 1:
            raise ValueError("SoftmaxTransform: Too few dimensions on input")
        return tuple(shape)

    inverse_shape = forward_shape


class StickBreakingTransform(Transform):
    """Real vectors of K - 1 entries onto the simplex of K by stick breaking (an iterated sigmoid, shifted so that
    zeros map to the uniform point); bijective."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        info = finfo(x.dtype)
        z = (x - _offset(x).log()).sigmoid().clamp(min=info.tiny, max=1.0 - info.eps)
        remaining = (1 - z).cumprod(-1)
        return _pad_last(z, 0, 1, 1.0) * _pad_last(remaining, 1, 0, 1.0)

    def _inverse(self, y: Tensor) -> Tensor:
        head = y[..., :-1]
        left = (1 - head.cumsum(-1)).clamp(min=finfo(y.dtype).tiny)
        return head.log() - left.log() + _offset(head).log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        from ..functional.activation_squash import logsigmoid

        shifted = x - _offset(x).log()
        return (-shifted + logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform: Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform: Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(Transform):
    """Square matrices onto lower-triangular ones with a positive diagonal: the strict lower part kept, the
    diagonal exponentiated (not bijective: the upper part is dropped)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x: Tensor) -> Tensor:
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """Square matrices onto positive-definite ones: ``L L^T`` of `LowerCholeskyTransform`'s ``L``."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x: Tensor) -> Tensor:
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y: Tensor) -> Tensor:
        from ..linalg import cholesky

        return LowerCholeskyTransform().inv(cholesky(y))


class CorrCholeskyTransform(Transform):
    """Real vectors of D(D-1)/2 entries onto Cholesky factors (D, D) of correlation matrices: the entries, squashed
    by tanh, fill the strict lower triangle row by row, and each row is rescaled by a signed stick breaking to unit
    length (Stan's construction, PyTorch's)."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        from ..factories import eye

        eps = finfo(x.dtype).eps
        r = vec_to_tril_matrix(x.tanh().clamp(min=-1 + eps, max=1 - eps), diag=-1)
        kept = (1 - r ** 2).sqrt().cumprod(-1)
        r = r + eye(r.shape[-1], dtype=r.dtype, backend=r.backend)
        return r * _pad_last(kept[..., :-1], 1, 0, 1.0)

    def _inverse(self, y: Tensor) -> Tensor:
        left = 1 - (y * y).cumsum(-1)
        left_shifted = _pad_last(left[..., :-1], 1, 0, 1.0)
        t = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left_shifted, diag=-1).sqrt()
        return (t.log1p() - (-t).log1p()) / 2

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        """Of ``x`` and the flattened strict lower triangle of ``y`` (the two spaces' sizes differ)."""
        left = tril_matrix_to_vec(1 - (y * y).cumsum(-1), diag=-2)
        stick_breaking = 0.5 * left.log().sum(-1)
        squash = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking + squash

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 1:
            raise ValueError("CorrCholeskyTransform: Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("CorrCholeskyTransform: Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 2:
            raise ValueError("CorrCholeskyTransform: Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("CorrCholeskyTransform: Input is not square")
        return tuple(shape[:-2]) + (shape[-1] * (shape[-1] - 1) // 2,)


class ReshapeTransform(Transform):
    """The rightmost axes of shape ``in_shape`` reshaped to ``out_shape`` (the same number of entries); the
    log-determinant is 0."""

    bijective = True

    def __init__(self, in_shape: Sequence[int], out_shape: Sequence[int], cache_size: int = 0) -> None:
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {self.in_shape}, out_shape {self.out_shape} have different "
                             f"numbers of elements")
        super().__init__(cache_size)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x: Tensor) -> Tensor:
        return x.reshape(*x.shape[:x.ndim - len(self.in_shape)], *self.out_shape)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.reshape(*y.shape[:y.ndim - len(self.out_shape)], *self.in_shape)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        from ..factories import zeros

        return zeros(tuple(x.shape[:x.ndim - len(self.in_shape)]), dtype=x.dtype, backend=x.backend)

    def _reshaped(self, shape: Any, old: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(shape)
        if len(shape) < len(old):
            raise ValueError("ReshapeTransform: Too few dimensions on input")
        cut = len(shape) - len(old)
        if shape[cut:] != old:
            raise ValueError(f"ReshapeTransform: Shape mismatch: expected {shape[cut:]} but got {old}")
        return shape[:cut] + new

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return self._reshaped(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self._reshaped(shape, self.out_shape, self.in_shape)


class IndependentTransform(Transform):
    """``base_transform`` with ``reinterpreted_batch_ndims`` more rightmost axes read as one event: the same map,
    its log-determinant summed over those axes."""

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.base_transform = base_transform
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self.base_transform.bijective

    @property
    def sign(self) -> int | Tensor:  # type: ignore[override]
        return self.base_transform.sign

    def _call(self, x: Tensor) -> Tensor:
        if x.ndim < self.domain.event_dim:
            raise ValueError("IndependentTransform: Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y: Tensor) -> Tensor:
        if y.ndim < self.codomain.event_dim:
            raise ValueError("IndependentTransform: Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self.base_transform.inverse_shape(shape)

    def __repr__(self) -> str:
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


def _check_axis(name: str, x: Tensor, dim: int, size: int, what: str) -> None:
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{name}: dim {dim} out of range for a tensor with {x.ndim} dimensions")
    if x.shape[dim] != size:
        raise ValueError(f"{name}: x.size({dim}) = {x.shape[dim]} must equal {what} {size}")


class CatTransform(Transform):
    """``tseq[i]`` applied to consecutive blocks of ``lengths[i]`` entries along axis ``dim`` (as `cat` joins
    them)."""

    def __init__(self, tseq: Sequence[Transform], dim: int = 0, lengths: Sequence[int] | None = None,
                 cache_size: int = 0) -> None:
        if not all(isinstance(t, Transform) for t in tseq):
            raise TypeError("CatTransform: every element of tseq must be a Transform")
        super().__init__(cache_size)
        self.transforms = list(tseq)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: lengths ({len(self.lengths)}) must match transforms "
                             f"({len(self.transforms)})")
        self.dim = dim

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _blocks(self, x: Tensor, apply: Any) -> list[Tensor]:
        _check_axis("CatTransform", x, self.dim, self.length, "length")
        out, start = [], 0
        for t, length in zip(self.transforms, self.lengths):
            out.append(apply(t, x.narrow(self.dim, start, length)))
            start += length
        return out

    def _call(self, x: Tensor) -> Tensor:
        from ..functional.shape import concat

        return concat(self._blocks(x, lambda t, v: t(v)), axis=self.dim)

    def _inverse(self, y: Tensor) -> Tensor:
        from ..functional.shape import concat

        return concat(self._blocks(y, lambda t, v: t.inv(v)), axis=self.dim)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        from ..functional.shape import concat

        _check_axis("CatTransform", y, self.dim, self.length, "length")
        parts, start = [], 0
        for t, length in zip(self.transforms, self.lengths):
            xs, ys = x.narrow(self.dim, start, length), y.narrow(self.dim, start, length)
            part = t.log_abs_det_jacobian(xs, ys)
            if t.event_dim < self.event_dim:
                part = sum_rightmost(part, self.event_dim - t.event_dim)
            parts.append(part)
            start += length
        # an axis outside the event: the pieces join along it; inside: each piece is one event's sum, and they add
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + self.event_dim
        return concat(parts, axis=dim) if dim < 0 else sum(parts[1:], parts[0])


class StackTransform(Transform):
    """``tseq[i]`` applied to the ``i``-th slice along axis ``dim`` (as `stack` joins them)."""

    def __init__(self, tseq: Sequence[Transform], dim: int = 0, cache_size: int = 0) -> None:
        if not all(isinstance(t, Transform) for t in tseq):
            raise TypeError("StackTransform: every element of tseq must be a Transform")
        super().__init__(cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _map(self, x: Tensor, apply: Any) -> Tensor:
        from ..functional.shape import stack

        _check_axis("StackTransform", x, self.dim, len(self.transforms), "len(transforms)")
        return stack([apply(t, x.select(self.dim, i)) for i, t in enumerate(self.transforms)], axis=self.dim)

    def _call(self, x: Tensor) -> Tensor:
        return self._map(x, lambda t, v: t(v))

    def _inverse(self, y: Tensor) -> Tensor:
        return self._map(y, lambda t, v: t.inv(v))

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        from ..functional.shape import stack

        _check_axis("StackTransform", x, self.dim, len(self.transforms), "len(transforms)")
        _check_axis("StackTransform", y, self.dim, len(self.transforms), "len(transforms)")
        return stack([t.log_abs_det_jacobian(x.select(self.dim, i), y.select(self.dim, i))
                      for i, t in enumerate(self.transforms)], axis=self.dim)


class CumulativeDistributionTransform(Transform):
    """``y = distribution.cdf(x)``: the distribution's support onto the unit interval (a copula's margins); the
    log-determinant is ``distribution.log_prob(x)``."""

    codomain = constraints.unit_interval
    sign = 1
    bijective = True

    def __init__(self, distribution: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.distribution = distribution

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return self.distribution.support

    def _call(self, x: Tensor) -> Tensor:
        return self.distribution.cdf(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return self.distribution.log_prob(x)


__all__ = ["CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "IndependentTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform", "ReshapeTransform", "SoftmaxTransform",
           "StackTransform", "StickBreakingTransform"]


def _join_transforms_module() -> None:
    """PyTorch's path: ``torch.distributions.transforms.StickBreakingTransform`` and the others."""
    from . import transforms

    for name in __all__:
        setattr(transforms, name, globals()[name])
        if name not in transforms.__all__:
            transforms.__all__.append(name)


_join_transforms_module()
