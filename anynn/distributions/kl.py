"""`kl_divergence(p, q)` and `register_kl`: KL(p || q) looked up by the two distributions' types (PyTorch's)."""

from __future__ import annotations

from typing import Callable

from ..autograd.tensor import Tensor
from .bernoulli import Bernoulli
from .categorical import Categorical
from .one_hot_categorical import OneHotCategorical
from .distribution import Distribution
from .independent import Independent, sum_rightmost
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal, kl_multivariate_normal
from .normal import Normal

KLFunction = Callable[[Distribution, Distribution], Tensor]
_KL_REGISTRY: dict[tuple[type, type], KLFunction] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[KLFunction], KLFunction]:
    """A decorator recording ``fn(p, q)`` as KL(p || q) for ``type_p`` and ``type_q`` (and their subclasses)."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not (isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fn: KLFunction) -> KLFunction:
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def _dispatch(type_p: type, type_q: type) -> KLFunction | None:
    """The registered function for the closest pair of base classes (nearest in ``type_p``'s MRO first)."""
    for base_p in type_p.__mro__:
        for base_q in type_q.__mro__:
            if (base_p, base_q) in _KL_REGISTRY:
                return _KL_REGISTRY[base_p, base_q]
    return None


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) of shape ``batch_shape``, differentiable in both distributions' parameters."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    shift = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + shift - 1 - var_ratio.log())


# the low-rank family through its n x n scale_tril: the same value and gradients as PyTorch's Woodbury forms
for _p, _q in [(MultivariateNormal, MultivariateNormal), (LowRankMultivariateNormal, LowRankMultivariateNormal),
               (MultivariateNormal, LowRankMultivariateNormal), (LowRankMultivariateNormal, MultivariateNormal)]:
    register_kl(_p, _q)(kl_multivariate_normal)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    terms = p.probs * (p.logits - q.logits)
    terms = terms.masked_fill(q.probs == 0, float("inf"))
    terms = terms.masked_fill(p.probs == 0, 0.0)
    return terms.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_one_hot_one_hot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    from ..functional.activation import softplus

    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    ones = ones.masked_fill(q.probs == 0, float("inf"))
    ones = ones.masked_fill(p.probs == 0, 0.0)
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    zeros = zeros.masked_fill(q.probs == 1, float("inf"))
    zeros = zeros.masked_fill(p.probs == 1, 0.0)
    return ones + zeros


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL(Independent || Independent) needs the same reinterpreted_batch_ndims, "
                                  f"got {p.reinterpreted_batch_ndims} and {q.reinterpreted_batch_ndims}")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
