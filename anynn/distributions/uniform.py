"""`Uniform`: the continuous uniform distribution on ``[low, high)`` (PyTorch's)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution, as_shape
from .normal import _broadcast_all
from . import constraints


class Uniform(Distribution):
    """U(low, high), batched over the broadcast shape of ``low`` and ``high``.

    Parameters
    ----------
    low, high : Tensors or numbers (``low < high``); a number takes the other parameter's backend and dtype.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off).

    Notes
    -----
    ``rsample`` is ``low + u * (high - low)`` with ``u ~ U(0, 1)`` (differentiable in both); ``log_prob`` is
    ``-log(high - low)`` inside ``[low, high)`` and ``-inf`` outside, as PyTorch's.
    """

    @property
    def arg_constraints(self) -> dict[str, Any]:  # type: ignore[override]
        """PyTorch's: ``low < high`` (each bound against the other)."""
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Any:
        return constraints.interval(self.low, self.high)

    has_rsample = True

    def __init__(self, low: Tensor | float, high: Tensor | float, validate_args: bool | None = None) -> None:
        try:
            self.low, self.high = _broadcast_all(low, high)
        except RuntimeError as error:
            shapes = [tuple(v.shape) if isinstance(v, Tensor) else "a number" for v in (low, high)]
            raise RuntimeError(f"Uniform: low of shape {shapes[0]} and high of shape {shapes[1]} do not broadcast "
                               f"to one shape ({error})") from None
        super().__init__(tuple(self.low.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return self.low * float("nan")  # every point is a mode: PyTorch answers NaN

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``low + u * (high - low)`` of shape ``sample_shape + batch_shape``, ``u ~ U(0, 1)``."""
        from .draws import standard_draws

        u = standard_draws("uniform", self.low, self._extended_shape(as_shape(sample_shape)))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Tensor | float) -> Tensor:
        inside = (self.low <= value).type_as(self.low) * (self.high > value).type_as(self.low)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value: Tensor | float) -> Tensor:
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value: Tensor | float) -> Tensor:
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()
