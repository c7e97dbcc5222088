"""``anynn.distributions``: PyTorch's ``torch.distributions`` names (`Bernoulli`, `Beta`, `Binomial`, `Categorical`,
`Cauchy`, `Chi2`, `ContinuousBernoulli`, `Dirichlet`, `Exponential`, `FisherSnedecor`, `Gamma`,
`GeneralizedPareto`, `Geometric`, `Gumbel`, `HalfCauchy`, `HalfNormal`, `InverseGamma`, `Kumaraswamy`,
`LKJCholesky`, `LogisticNormal`, `Pareto`, `VonMises`, `Weibull`, `Wishart`,
`Independent`, `Laplace`, `LogNormal`, `LowRankMultivariateNormal`, `MixtureSameFamily`, `Multinomial`,
`MultivariateNormal`, `NegativeBinomial`, `Normal`, `OneHotCategorical`, `Poisson`, `RelaxedBernoulli`,
`RelaxedOneHotCategorical`, `StudentT`, `Uniform`, `TransformedDistribution` with the transforms of
``torch.distributions.transforms``, `biject_to`/`transform_to`, `kl_divergence` with `register_kl`,
``constraints`` and ``utils``; PyTorch's submodule paths, ``torch.distributions.normal`` and the others).

``log_prob``/``entropy``/``rsample`` are recorded in the graph (differentiable in the parameters); samples
come from anynn's generators, so they follow PyTorch's laws with other numbers.
"""

import sys

from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta, Dirichlet
from .categorical import Categorical
from .discrete import Binomial, Geometric, Poisson
from .gamma import Chi2, Exponential, Gamma
from .half import HalfCauchy, HalfNormal, LogNormal
from .location_scale import Cauchy, Gumbel, Laplace
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .negative_binomial import NegativeBinomial
from .relaxed import ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli, RelaxedOneHotCategorical
from .student_t import StudentT
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from . import transforms
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, PowerTransform,
                         SigmoidTransform, SoftplusTransform, TanhTransform, Transform, identity_transform)
from .transforms_structured import (CatTransform, CorrCholeskyTransform, CumulativeDistributionTransform,
                                    IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform,
                                    ReshapeTransform, SoftmaxTransform, StackTransform, StickBreakingTransform)
from . import utils  # noqa: F401  (torch.distributions.utils)
from .uniform import Uniform
from .continuous_bernoulli import ContinuousBernoulli
from .exp_family import ExponentialFamily
from .fisher_snedecor import FisherSnedecor
from .generalized_pareto import GeneralizedPareto
from .lkj_cholesky import LKJCholesky
from .wishart import Wishart
from .transformed_families import InverseGamma, Kumaraswamy, LogisticNormal, Pareto, Weibull
from .von_mises import VonMises
from . import constraint_registry  # noqa: E402
from .constraint_registry import biject_to, transform_to
from . import kl_families  # noqa: F401,E402  (registers the KL pairs of the families above)
from . import kl_cross  # noqa: F401,E402  (and the pairs of two families)
from . import torch_paths as _torch_paths

_torch_paths.install(sys.modules[__name__])  # torch.distributions.<file> paths of the files named otherwise here

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet", "ExpRelaxedCategorical",
           "Exponential", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Laplace", "LogNormal",
           "LogitRelaxedBernoulli", "MixtureSameFamily", "Multinomial", "NegativeBinomial", "Poisson",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "Distribution", "Independent",
           "LowRankMultivariateNormal", "MultivariateNormal", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "TransformedDistribution", "Uniform", "kl_divergence", "register_kl",
           "transforms", "constraints", "AffineTransform", "ComposeTransform", "ExpTransform", "SigmoidTransform",
           "TanhTransform", "Transform", "AbsTransform", "CatTransform", "CorrCholeskyTransform",
           "CumulativeDistributionTransform", "IndependentTransform", "LowerCholeskyTransform",
           "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SoftmaxTransform", "SoftplusTransform",
           "StackTransform", "StickBreakingTransform", "identity_transform", "ContinuousBernoulli", "ExponentialFamily",
           "FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy", "LogisticNormal", "Pareto", "VonMises",
           "Weibull", "biject_to", "transform_to", "constraint_registry", "utils", "LKJCholesky",
           "Wishart"]
