"""`StudentT`: Student's t with ``df`` degrees of freedom, location ``loc`` and scale ``scale`` (PyTorch's)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution, as_shape
from .draws import standard_draws
from .gamma import standard_gamma_rsample
from .normal import _broadcast_all
from . import constraints


class StudentT(Distribution):
    """t(df, loc, scale), batched over the broadcast shape of the three parameters (Tensors or numbers,
    ``df > 0``, ``scale > 0``).

    ``rsample`` is ``loc + scale * z / sqrt(g / df)`` with ``z ~ N(0, 1)`` and ``g ~ Chi2(df)``, differentiable
    in all three (in ``df`` through the implicitly reparameterized Gamma draw). The mean is NaN for ``df <= 1``;
    the variance is infinite for ``1 < df <= 2`` and NaN for ``df <= 1``, as PyTorch answers.
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    has_rsample = True

    def __init__(self, df: Tensor | float, loc: Tensor | float = 0.0, scale: Tensor | float = 1.0,
                 validate_args: bool | None = None) -> None:
        try:
            self.df, self.loc, self.scale = _broadcast_all(df, loc, scale)
        except RuntimeError as error:
            raise RuntimeError(f"StudentT: df, loc and scale do not broadcast to one shape ({error})") from None
        super().__init__(tuple(self.df.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc.masked_fill(self.df <= 1, float("nan"))

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = self.scale ** 2 * df / (df - 2).masked_fill(df <= 2, 1.0)
        return finite.masked_fill(df <= 2, float("inf")).masked_fill(df <= 1, float("nan"))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(as_shape(sample_shape))
        z = standard_draws("normal", self.df, shape)  # (the graph's own size under an ONNX export's symbolic batch)
        chi2 = 2 * standard_gamma_rsample(0.5 * self.df, shape)
        return self.loc + self.scale * z * (self.df / chi2).sqrt()

    def log_prob(self, value: Tensor | float) -> Tensor:
        df = self.df
        y = (value - self.loc) / self.scale
        norm = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi) + (0.5 * df).lgamma()
                - (0.5 * (df + 1)).lgamma())
        return -0.5 * (df + 1) * (y ** 2 / df).log1p() - norm

    def entropy(self) -> Tensor:
        df = self.df
        log_beta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma() - (0.5 * df).digamma())
                + 0.5 * df.log() + log_beta)


__all__ = ["StudentT"]
