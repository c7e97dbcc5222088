"""``anynn.distributions``: PyTorch's ``torch.distributions`` names (`Bernoulli`, `Categorical`,
`Independent`, `LowRankMultivariateNormal`, `MultivariateNormal`, `Normal`, `OneHotCategorical`, `Uniform`,
`TransformedDistribution` with the transforms of ``torch.distributions.transforms``, `kl_divergence` with
`register_kl`).

``log_prob``/``entropy``/``rsample`` are recorded in the graph (differentiable in the parameters); samples
come from anynn's generators, so they follow PyTorch's laws with other numbers.
"""

from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from . import transforms
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .transformed_distribution import TransformedDistribution
from .transforms import (AffineTransform, ComposeTransform, ExpTransform, SigmoidTransform, TanhTransform,
                         Transform)
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "LowRankMultivariateNormal", "MultivariateNormal",
           "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
           "TransformedDistribution", "Uniform", "kl_divergence", "register_kl", "transforms",
           "AffineTransform", "ComposeTransform", "ExpTransform", "SigmoidTransform", "TanhTransform", "Transform"]
