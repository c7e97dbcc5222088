"""KL(p || q) between distributions of two families (PyTorch's registrations): closed forms where q's support covers
p's, infinity where it does not, for Bernoulli, Beta, ContinuousBernoulli, Exponential, Gamma, Gumbel, Laplace,
Normal, Pareto, Poisson, Uniform; a Bregman divergence for two members of one exponential family that has no form of
its own; the base distributions' KL for two TransformedDistributions with equal transforms. Importing this module
registers them."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .beta import Beta
from .bernoulli import Bernoulli
from .continuous_bernoulli import ContinuousBernoulli
from .discrete import Binomial, Poisson
from .exp_family import ExponentialFamily
from .gamma import Exponential, Gamma
from .kl import kl_divergence, register_kl
from .location_scale import EULER_GAMMA, Gumbel, Laplace
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transformed_families import Pareto
from .transforms import sum_rightmost
from .uniform import Uniform

_INF = math.inf


def _infinite_like(t: Tensor) -> Tensor:
    from ..factories import full_like

    return full_like(t, _INF)


def _x_log_x(t: Tensor) -> Tensor:
    return t.xlogy(t)


def _register_infinite(p_type: type, *q_types: type, param: str) -> None:
    """KL(p || q) = inf for q's whose support misses part of p's, shaped like p's parameter ``param``."""
    for q_type in q_types:
        register_kl(p_type, q_type)(lambda p, q, name=param: _infinite_like(getattr(p, name)))


_register_infinite(Exponential, Beta, ContinuousBernoulli, Pareto, Uniform, param="rate")
_register_infinite(Gamma, Beta, ContinuousBernoulli, Pareto, Uniform, param="concentration")
_register_infinite(Gumbel, Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform, param="loc")
_register_infinite(Laplace, Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform, param="loc")
_register_infinite(Normal, Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform, param="loc")
_register_infinite(Pareto, Beta, ContinuousBernoulli, Uniform, param="scale")
_register_infinite(Poisson, Bernoulli, Binomial, param="rate")
_register_infinite(Beta, Pareto, param="concentration1")
_register_infinite(ContinuousBernoulli, Pareto, param="probs")


# -- p of a bounded or discrete family ---------------------------------------------------------------------------
@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> Tensor:
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


def _beta_mean(p: Beta) -> Tensor:
    return p.concentration1 / (p.concentration1 + p.concentration0)


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p: Beta, q: ContinuousBernoulli) -> Tensor:
    return -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - q._log_norm()


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p: Beta, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * _beta_mean(p)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p: Beta, q: Gamma) -> Tensor:
    a, b = p.concentration1, p.concentration0
    expected_log = a.digamma() - (a + b).digamma()
    return (-p.entropy() + q.concentration.lgamma() - q.concentration * q.rate.log()
            - (q.concentration - 1) * expected_log + q.rate * _beta_mean(p))


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Tensor:
    mean = _beta_mean(p)
    var = q.scale ** 2
    second_moment = mean * (1 - mean) / (p.concentration1 + p.concentration0 + 1) + mean ** 2
    return (-p.entropy() + 0.5 * (var * 2 * math.pi).log()
            + (0.5 * second_moment - q.loc * mean + 0.5 * q.loc ** 2) / var)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return result.masked_fill((q.low > 0.0) | (q.high < 1.0), _INF)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    return (p.mean * (p.logits - q.logits) + p._log_norm() + (-p.probs).log1p() - q._log_norm()
            - (-q.probs).log1p())


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p: ContinuousBernoulli, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p: ContinuousBernoulli, q: Normal) -> Tensor:
    cross = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale) ** 2) + q.scale.log()
    return -p.entropy() + cross + (p.variance + p.mean ** 2 - 2.0 * q.loc * p.mean) / (2.0 * q.scale ** 2)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p: ContinuousBernoulli, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return result.masked_fill((q.low >= 0.0) | (q.high <= 1.0), _INF)  # (PyTorch's comparisons, bounds included)


# -- p of a half-line family ---------------------------------------------------------------------------------------
@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Exponential, q: Gamma) -> Tensor:
    ratio = q.rate / p.rate
    c = q.concentration
    return -c * ratio.log() + ratio + c.lgamma() + c * EULER_GAMMA - (1 + EULER_GAMMA)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Exponential, q: Gumbel) -> Tensor:
    product = p.rate * q.scale
    shift = q.loc / q.scale
    return product.log() - 1 - shift + shift.exp() * product / (product + 1) + product.reciprocal()


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p: Exponential, q: Normal) -> Tensor:
    var = q.scale ** 2
    rate2 = p.rate ** 2
    return 0.5 * (rate2 * var * 2 * math.pi).log() - 1 + (rate2.reciprocal() - q.loc / p.rate + 0.5 * q.loc ** 2) / var


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p: Gamma, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Gamma, q: Gumbel) -> Tensor:
    c = p.concentration
    product = p.rate * q.scale
    shift = q.loc / q.scale
    return ((c - 1) * c.digamma() - c.lgamma() - c + product.log() + c / product
            + shift.exp() * (1 + product.reciprocal()) ** (-c) - shift)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Tensor:
    c = p.concentration
    var = q.scale ** 2
    rate2 = p.rate ** 2
    head = 0.5 * (rate2 * var * 2 * math.pi).log() - c - c.lgamma()
    moments = 0.5 * (c ** 2 + c) / rate2 - q.loc * c / p.rate + 0.5 * q.loc ** 2
    return head + (c - 1) * c.digamma() + moments / var


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p: Pareto, q: Exponential) -> Tensor:
    product = p.scale * q.rate
    result = (p.alpha / product).log() - p.alpha.reciprocal() + p.alpha * product / (p.alpha - 1) - 1
    return result.masked_fill(p.alpha <= 1, _INF)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p: Pareto, q: Gamma) -> Tensor:
    common = p.scale.log() + p.alpha.reciprocal()
    result = (p.alpha.log() - common + q.concentration.lgamma() - q.concentration * q.rate.log()
              + (1 - q.concentration) * common + q.rate * p.alpha * p.scale / (p.alpha - 1) - 1)
    return result.masked_fill(p.alpha <= 1, _INF)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p: Pareto, q: Normal) -> Tensor:
    two_var = 2 * q.scale ** 2
    common = p.scale / (p.alpha - 1)
    result = ((math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log() - p.alpha.reciprocal()
              + (p.alpha * common ** 2 / (p.alpha - 2) + (p.alpha * common - q.loc) ** 2) / two_var - 1)
    return result.masked_fill(p.alpha <= 2, _INF)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return result.masked_fill(p.scale < q.scale, _INF)


# -- p on the real line ------------------------------------------------------------------------------------------
@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal) -> Tensor:
    ratio = p.scale / q.scale
    return (-(ratio / math.sqrt(2 * math.pi)).log() + (math.pi * ratio * 0.5) ** 2 / 3
            + ((p.loc + p.scale * EULER_GAMMA - q.loc) / q.scale) ** 2 * 0.5 - (EULER_GAMMA + 1))


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p: Laplace, q: Normal) -> Tensor:
    var = q.scale ** 2
    ratio = p.scale ** 2 / var
    return (-0.5 * (2 * ratio / math.pi).log() + ratio + (0.5 * p.loc ** 2 - p.loc * q.loc + 0.5 * q.loc ** 2) / var
            - 1)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel) -> Tensor:
    mean_ratio = p.loc / q.scale
    var_ratio = (p.scale / q.scale) ** 2
    shift = q.loc / q.scale
    return (-0.5 * var_ratio.log() + mean_ratio - shift + (-mean_ratio + 0.5 * var_ratio + shift).exp()
            - 0.5 * (1 + math.log(2 * math.pi)))


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Tensor:
    gap = p.loc - q.loc
    standardized = gap / p.scale
    absolute_mean = (math.sqrt(2 / math.pi) * p.scale * (-0.5 * standardized ** 2).exp()
                     + gap * (math.sqrt(0.5) * standardized).erf())  # E|x - q.loc| for x ~ p
    return -(p.scale / q.scale).log() + absolute_mean / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


# -- p uniform ---------------------------------------------------------------------------------------------------------
@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    width = p.high - p.low
    result = ((q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + width) / width
              + q.concentration1.lgamma() + q.concentration0.lgamma()
              - (q.concentration1 + q.concentration0).lgamma() - width.log()
              - (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width)
    return result.masked_fill((p.high > 1.0) | (p.low < 0.0), _INF)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p: Uniform, q: ContinuousBernoulli) -> Tensor:
    result = -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - q._log_norm()
    return result.masked_fill((p.high >= 1.0) | (p.low <= 0.0), _INF)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p: Uniform, q: Exponential) -> Tensor:
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return result.masked_fill(p.low < 0.0, _INF)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    width = p.high - p.low
    result = (-width.log() + q.concentration.lgamma() - q.concentration * q.rate.log()
              + (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
              + q.rate * (p.high + p.low) / 2)
    return result.masked_fill(p.low < 0.0, _INF)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel) -> Tensor:
    ratio = q.scale / (p.high - p.low)
    high, low = (p.high - q.loc) / q.scale, (p.low - q.loc) / q.scale
    return ratio.log() + 0.5 * (high + low) - ratio * ((-high).exp() - (-low).exp())


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    width = p.high - p.low
    return ((math.sqrt(math.pi * 2) * q.scale / width).log()
            + 0.5 * (width ** 2 / 12 + ((p.high + p.low - 2 * q.loc) / 2) ** 2) / q.scale ** 2)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p: Uniform, q: Pareto) -> Tensor:
    width = p.high - p.low
    result = ((_x_log_x(p.high) - _x_log_x(p.low) - width) / width * (q.alpha + 1)
              - (q.alpha * q.scale ** q.alpha * width).log())
    return result.masked_fill(p.low < q.scale, _INF)


# -- generic pairs -------------------------------------------------------------------------------------------------
@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_exponential_family(p: Any, q: Any) -> Tensor:
    """The Bregman divergence of the log-normalizer between two members of one exponential family."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot be "
                                  "computed using Bregman divergences")
    from ..autograd.grad_api import grad

    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    q_params = q._natural_params
    normalizer = p._log_normalizer(*p_params)
    slopes = grad(normalizer.sum(), p_params, create_graph=True)
    result: Any = q._log_normalizer(*q_params) - normalizer
    for pp, qp, slope in zip(p_params, q_params, slopes):
        result = result - sum_rightmost((qp - pp) * slope, len(q.event_shape))
    return result  # type: ignore[no-any-return]


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution) -> Tensor:
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError("KL(p || q) of TransformedDistributions needs equal transforms and event shapes")
    return kl_divergence(p.base_dist, q.base_dist)


__all__: list[str] = []
