"""`OneHotCategorical` and `OneHotCategoricalStraightThrough`: a `Categorical` whose values are one-hot vectors
of length K (PyTorch's; CategoricalVAE-style programs build one as their prior)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution
from . import constraints


class OneHotCategorical(Distribution):
    """One of K categories written as a one-hot vector: event shape (K,), batch shape ``probs.shape[:-1]``.

    Parameters
    ----------
    probs : (..., K) non-negative weights, divided by their sum.
    logits : (..., K) unnormalised log-probabilities. Give exactly one of the two.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off).

    Notes
    -----
    ``sample(sample_shape)`` has shape ``sample_shape + batch_shape + (K,)`` and the parameters' dtype;
    ``log_prob(value)`` reads the category of each one-hot ``value`` (its argmax) and is differentiable in the
    parameters; ``mean`` is ``probs`` and ``variance`` ``probs * (1 - probs)``.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot

    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        param = self._categorical.param_shape
        super().__init__(tuple(param[:-1]), tuple(param[-1:]), validate_args)

    @property
    def probs(self) -> Tensor:
        """(..., K) probabilities."""
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """(..., K) normalised log-probabilities."""
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape

    def _one_hot(self, index: Tensor) -> Tensor:
        from ..functional.indexing import one_hot

        return one_hot(index, self.event_shape[0]).to(self.probs.dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """One-hot samples of shape ``sample_shape + batch_shape + (K,)``, outside the graph."""
        return self._one_hot(self._categorical.sample(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """log P(value) for one-hot ``value`` (..., K), broadcast against the batch shape."""
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return self._one_hot(self.probs.argmax(-1))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors, shape (K, *batch_shape, K) (or (K, 1, ..., 1, K) with ``expand=False``)."""
        from ..factories import eye

        n = self.event_shape[0]
        values = eye(n, dtype=self.probs.dtype, device=self.probs.device).reshape(
            (n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand(n, *self.batch_shape, n) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """`OneHotCategorical` with a straight-through ``rsample``: the forward value is a one-hot sample, the
    gradient that of ``probs`` (``sample + probs - probs.detach()``)."""

    has_rsample = True

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        samples = self.sample(sample_shape)
        probs = self.probs
        return samples + (probs - probs.detach())
