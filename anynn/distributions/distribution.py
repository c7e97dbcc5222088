"""`Distribution`: the base of anynn's probability distributions, after PyTorch's ``torch.distributions``.

A distribution holds Tensors (its parameters) and answers with Tensors, so ``log_prob``, ``entropy`` and
``rsample`` are differentiable through the parameters, as in PyTorch. Samples come from anynn's generators
(seeded by `anynn.manual_seed`): the same laws as PyTorch's, other numbers.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor


def as_shape(sample_shape: Any) -> tuple[int, ...]:
    """``sample_shape`` (an int, a tuple or a Size) as a tuple of ints."""
    if isinstance(sample_shape, int):
        return (sample_shape,)
    return tuple(int(s) for s in sample_shape)


class Distribution:
    """The interface: ``sample``, ``rsample``, ``log_prob``, ``entropy``, ``batch_shape``, ``event_shape``."""

    has_rsample = False
    has_enumerate_support = False

    def __init__(self, batch_shape: tuple[int, ...] = (), event_shape: tuple[int, ...] = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = validate_args

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple[int, ...]:
        return as_shape(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A sample of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        from ..autograd.mode import no_grad

        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sample (rsample)")

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.log_prob")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.entropy")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
