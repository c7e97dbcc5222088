"""`ExponentialFamily` (PyTorch's ``torch.distributions.exp_family``): the base of the families whose density is
``exp(<t(x), eta> - A(eta) + k(x))``. A subclass names its natural parameters ``eta`` (``_natural_params``), its
log-normalizer ``A`` (``_log_normalizer``) and ``E[k(x)]`` (``_mean_carrier_measure``); `entropy` then follows from
them, ``A(eta) - <eta, grad A(eta)> - E[k(x)]``, with the gradient taken by anynn's autograd."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution


class ExponentialFamily(Distribution):
    """Exponential-family distributions (`Bernoulli`, `Beta`, `ContinuousBernoulli`, `Dirichlet`, `Exponential`,
    `Gamma`, `Normal`, `Poisson` derive from it, as in PyTorch)."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__}._natural_params")

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}._log_normalizer")

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError(f"{type(self).__name__}._mean_carrier_measure")

    def entropy(self) -> Tensor:
        """The entropy from the log-normalizer (a Bregman divergence), of shape ``batch_shape``."""
        from ..autograd.grad_api import grad

        params = [p.detach().requires_grad_() for p in self._natural_params]
        normalizer = self._log_normalizer(*params)
        slopes = grad(normalizer.sum(), params, create_graph=True)
        result: Any = normalizer - self._mean_carrier_measure
        for param, slope in zip(params, slopes):
            result = result - (param * slope).reshape(*self.batch_shape, -1).sum(-1)
        return result  # type: ignore[no-any-return]


__all__ = ["ExponentialFamily"]
