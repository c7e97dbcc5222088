"""`Categorical`: one of K categories, from ``probs`` or ``logits`` over the last dimension (PyTorch's)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..backend.broadcasting import broadcast_shapes as backend_broadcast_shapes
from .distribution import Distribution, as_shape
from . import constraints


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcasting of shapes, raising PyTorch's RuntimeError on a mismatch."""
    out = backend_broadcast_shapes(*shapes)
    if out is None:
        raise RuntimeError(f"shape mismatch: objects cannot be broadcast to a single shape: {shapes}")
    return out


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` kept inside [eps, 1 - eps] (eps of its dtype), so their logarithm is finite."""
    eps = float(probs.backend.xp.finfo(probs.array.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


class Categorical(Distribution):
    """Categories ``0 .. K-1`` with probabilities ``probs`` (normalised over the last dimension) or ``logits``.

    Parameters
    ----------
    probs : (..., K) non-negative weights, divided by their sum.
    logits : (..., K) unnormalised log-probabilities (``logits - logsumexp``). Give exactly one of the two.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off, as
        a check reads the arrays back to the host on every call).

    Notes
    -----
    ``sample(sample_shape)`` is int64 of shape ``sample_shape + batch_shape``; ``log_prob(value)`` gathers the
    normalised logits at ``value`` (broadcast against the batch shape) and is differentiable in the parameters.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> Any:
        return constraints.integer_interval(0, self._num_events - 1)

    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._probs: Tensor | None = None
        self._logits: Tensor | None = None
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self._probs = probs / probs.sum(-1, keepdim=True)
            param = self._probs
        else:
            assert logits is not None
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self._logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            param = self._logits
        self._num_events = int(param.shape[-1])
        super().__init__(tuple(param.shape[:-1]), (), validate_args)

    @property
    def probs(self) -> Tensor:
        """(..., K) probabilities (softmax of the logits when built from logits)."""
        if self._probs is None:
            assert self._logits is not None
            self._probs = self._logits.softmax(-1)
        return self._probs

    @property
    def logits(self) -> Tensor:
        """(..., K) normalised log-probabilities (log of the clamped probs when built from probs)."""
        if self._logits is None:
            self._logits = clamp_probs(self.probs).log()
        return self._logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple(self.probs.shape if self._probs is not None else self.logits.shape)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """int64 categories of shape ``sample_shape + batch_shape`` (drawn with `anynn.multinomial`)."""
        from ..functional.sampling import multinomial

        shape = as_shape(sample_shape)
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        samples_2d = multinomial(probs_2d, max(math.prod(shape), 1), True).T
        if math.prod(shape) == 0:
            samples_2d = samples_2d[:0]
        return samples_2d.reshape(self._extended_shape(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """log P(value): ``value`` holds category indices; the result has the broadcast shape without K."""
        value = value.long().unsqueeze(-1)
        logits = self.logits
        shape = broadcast_shapes(tuple(value.shape[:-1]), tuple(logits.shape[:-1]))
        log_pmf = logits.expand(*shape, self._num_events)
        return log_pmf.gather(-1, value.expand(*shape, 1)).squeeze(-1)

    def entropy(self) -> Tensor:
        """``-(probs * logits).sum(-1)`` with the logits clamped at the dtype's lowest value (0 * -inf = 0)."""
        logits = self.logits
        lowest = float(logits.backend.xp.finfo(logits.array.dtype).min)
        return -(logits.clamp(min=lowest) * self.probs).sum(-1)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def mean(self) -> Tensor:
        return self.probs.detach()[..., 0] * float("nan")

    @property
    def variance(self) -> Tensor:
        return self.mean

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The categories ``0 .. K-1`` of shape (K, *batch_shape) (or (K, 1, ..., 1) with ``expand=False``)."""
        from ..factories import arange

        values = arange(self._num_events, device=self.probs.device).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values
