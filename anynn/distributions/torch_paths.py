"""PyTorch's ``torch.distributions.<file>`` import paths that anynn keeps in files of other names
(``from torch.distributions.normal import Normal`` works as it is; ``torch.distributions.studentT``,
``.half_normal``, ``.weibull``... are made here). Each path holds the names PyTorch's file of that name defines;
importing it (``import anynn.distributions.laplace``) works too."""

from __future__ import annotations

import sys
import types

# PyTorch's file -> the names it defines (all of them anynn's)
TORCH_FILES = {
    "binomial": "Binomial", "cauchy": "Cauchy", "chi2": "Chi2", "dirichlet": "Dirichlet",
    "exponential": "Exponential", "fishersnedecor": "FisherSnedecor", "geometric": "Geometric", "gumbel": "Gumbel",
    "half_cauchy": "HalfCauchy", "half_normal": "HalfNormal", "inverse_gamma": "InverseGamma",
    "kumaraswamy": "Kumaraswamy", "laplace": "Laplace", "log_normal": "LogNormal", "logistic_normal": "LogisticNormal",
    "pareto": "Pareto", "poisson": "Poisson", "relaxed_bernoulli": "LogitRelaxedBernoulli RelaxedBernoulli",
    "relaxed_categorical": "ExpRelaxedCategorical RelaxedOneHotCategorical", "studentT": "StudentT",
    "weibull": "Weibull",
}


def install(package: types.ModuleType) -> None:
    """Make ``<package>.<file>`` for each file of `TORCH_FILES`, as an attribute and in ``sys.modules``."""
    for file, names in TORCH_FILES.items():
        module = types.ModuleType(f"{package.__name__}.{file}",
                                  f"PyTorch's torch.distributions.{file}: anynn's {names.replace(' ', ', ')}")
        for name in names.split():
            setattr(module, name, getattr(package, name))
        module.__all__ = names.split()  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        setattr(package, file, module)
