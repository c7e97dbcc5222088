"""`Independent`: a batch of a base distribution read as one event (PyTorch's ``torch.distributions``)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution
from .transforms import sum_rightmost
from . import constraints


class Independent(Distribution):
    """The ``reinterpreted_batch_ndims`` rightmost batch dimensions of ``base_distribution`` become event ones.

    Parameters
    ----------
    base_distribution : the distribution of each element, batch shape (..., *B) with ``len(B) = n``.
    reinterpreted_batch_ndims : n; the result has batch shape (...) and event shape ``B + base event shape``.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off).

    Notes
    -----
    ``log_prob`` and ``entropy`` are the base's summed over the n dimensions (the elements are independent);
    ``sample``/``rsample`` are the base's.
    """

    arg_constraints: dict[str, Any] = {}

    @constraints.dependent_property
    def support(self) -> Any:
        base = self.base_dist.support
        return None if base is None else constraints.independent(base, self.reinterpreted_batch_ndims)

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        n = int(reinterpreted_batch_ndims)
        batch = tuple(base_distribution.batch_shape)
        if not 0 <= n <= len(batch):
            raise ValueError("Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                             f"actual {n} vs {len(batch)}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        split = len(batch) - n
        super().__init__(batch[:split], batch[split:] + tuple(base_distribution.event_shape), validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        return False if self.reinterpreted_batch_ndims > 0 else self.base_dist.has_enumerate_support

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode  # type: ignore[attr-defined, no-any-return]

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Tensor) -> Tensor:
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
