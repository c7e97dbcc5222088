"""KL(p || q) for the pairs of one family among the distributions beyond `kl`'s first set (PyTorch's
registrations): Beta, Binomial, Cauchy, Dirichlet, Exponential, Gamma, Geometric, Gumbel, HalfNormal, Laplace,
LogNormal, Poisson, Uniform. Importing this module registers them."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from .beta import Beta, Dirichlet
from .discrete import Binomial, Geometric, Poisson
from .gamma import Exponential, Gamma
from .half import HalfNormal, LogNormal
from .kl import _kl_normal_normal, register_kl
from .location_scale import EULER_GAMMA, Cauchy, Gumbel, Laplace
from .uniform import Uniform


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -ratio.log() + gap / q.scale + ratio * (-gap / p.scale).exp() - 1


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    return (((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2) / (4 * p.scale * q.scale)).log()


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return -ratio.log() + shift + ratio * EULER_GAMMA + ((1 + ratio).lgamma() - shift).exp() - (1 + EULER_GAMMA)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    pc, pr, qc, qr = p.concentration, p.rate, q.concentration, q.rate
    return (qc * (pr / qr).log() + qc.lgamma() - pc.lgamma() + (pc - qc) * pc.digamma()
            + (qr - pr) * (pc / pr))


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    p1, p0, q1, q0 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    p_total, q_total = p1 + p0, q1 + q0
    log_norm = q1.lgamma() + q0.lgamma() + p_total.lgamma() - p1.lgamma() - p0.lgamma() - q_total.lgamma()
    return (log_norm + (p1 - q1) * p1.digamma() + (p0 - q0) * p0.digamma()
            + (q_total - p_total) * p_total.digamma())


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    pc, qc = p.concentration, q.concentration
    p_total = pc.sum(-1)
    log_norm = p_total.lgamma() - qc.sum(-1).lgamma() - (pc.lgamma() - qc.lgamma()).sum(-1)
    return log_norm + ((pc - qc) * (pc.digamma() - p_total.digamma().unsqueeze(-1))).sum(-1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return kl.masked_fill(p.total_count > q.total_count, float("inf"))  # q cannot reach p's largest counts


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal) -> Tensor:
    return _kl_normal_normal(p.base_dist, q.base_dist)  # type: ignore[arg-type]  # exp is one bijection for both


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    inside = ((q.low <= p.low) & (p.high <= q.high)).type_as(p.low)
    return ((q.high - q.low) / (p.high - p.low)).log() - inside.log()  # inf where p's support leaves q's


__all__: list[str] = []
