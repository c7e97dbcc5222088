"""`Bernoulli`: 1 with probability ``probs`` (or ``sigmoid(logits)``), else 0 (PyTorch's)."""

from __future__ import annotations

from numbers import Number
from typing import Any

from ..autograd.tensor import Tensor
from .categorical import clamp_probs
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .normal import _broadcast_all
from . import constraints


class _ProbsOrLogits(Distribution):
    """A success probability given as ``probs`` or as ``logits`` (exactly one), the other derived on demand."""

    _probs: Tensor | None
    _logits: Tensor | None

    def _set_probs_or_logits(self, probs: Tensor | float | None, logits: Tensor | float | None) -> Tensor:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._probs = _as_tensor(probs) if probs is not None else None
        self._logits = _as_tensor(logits) if logits is not None else None
        return self._probs if self._probs is not None else self._logits  # type: ignore[return-value]

    @property
    def probs(self) -> Tensor:
        """(...) success probabilities (the sigmoid of the logits when built from logits)."""
        if self._probs is None:
            assert self._logits is not None
            self._probs = self._logits.sigmoid()
        return self._probs

    @property
    def logits(self) -> Tensor:
        """(...) log-odds (from the probs clamped to [eps, 1 - eps] when built from probs)."""
        if self._logits is None:
            p = clamp_probs(self.probs)
            self._logits = p.log() - (-p).log1p()
        return self._logits

    def _set_counted(self, total_count: Tensor | float, probs: Tensor | float | None, logits: Tensor | float | None,
                     validate_args: bool | None) -> None:
        """``total_count`` and the probability broadcast together, in the probability's dtype (Binomial,
        NegativeBinomial)."""
        param = self._set_probs_or_logits(probs, logits)
        count = total_count if isinstance(total_count, Tensor) else float(total_count)
        self.total_count, param = _broadcast_all(count, param)
        self.total_count = self.total_count.type_as(param)
        if self._probs is not None:
            self._probs = param
        else:
            self._logits = param
        Distribution.__init__(self, tuple(param.shape), (), validate_args)


class Bernoulli(_ProbsOrLogits, ExponentialFamily):
    """Elementwise coin flips, batched over the shape of ``probs`` or ``logits``.

    Parameters
    ----------
    probs : (...) probabilities in [0, 1], or a number.
    logits : (...) log-odds ``log(p / (1 - p))``, or a number. Give exactly one of the two.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off).

    Notes
    -----
    ``sample(sample_shape)`` has shape ``sample_shape + batch_shape`` and the parameter's dtype (0. or 1.);
    ``log_prob`` and ``entropy`` are written with softplus of the logits, so they stay finite for large logits.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean

    has_enumerate_support = True

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        param = self._set_probs_or_logits(probs, logits)
        super().__init__(tuple(param.shape), (), validate_args)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple(self.probs.shape if self._probs is not None else self.logits.shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where ``probs > 0.5``, 0 below, NaN at exactly 0.5 (PyTorch's)."""
        from ..functional.elementwise import where

        probs = self.probs.detach()
        one = (probs > 0.5).to(probs.dtype)
        return where(probs == 0.5, probs * float("nan"), one)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """0./1. of shape ``sample_shape + batch_shape`` in the parameter's dtype, outside the graph."""
        from ..factories import bernoulli

        shape = self._extended_shape(sample_shape)
        return bernoulli(self.probs.detach().expand(*shape))

    def log_prob(self, value: Tensor | float) -> Tensor:
        """``value * logits - softplus(logits)`` (the negative binary cross-entropy with logits)."""
        from ..functional.activation import softplus

        logits = self.logits
        return value * logits - softplus(logits)

    def entropy(self) -> Tensor:
        """``softplus(logits) - probs * logits``."""
        from ..functional.activation import softplus

        logits = self.logits
        return softplus(logits) - self.probs * logits

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The values 0. and 1. of shape (2, *batch_shape) (or (2, 1, ..., 1) with ``expand=False``)."""
        from ..factories import arange

        values = arange(2, dtype=self.probs.dtype, device=self.probs.device).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values


def _as_tensor(value: Tensor | float) -> Tensor:
    """A Tensor parameter as it is; a number as a float32 scalar Tensor (PyTorch's default dtype)."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, Number):
        raise TypeError(f"Bernoulli: expected a Tensor or a number, got {type(value).__name__}")
    from ..factories import tensor

    return tensor(float(value))  # type: ignore[arg-type]
