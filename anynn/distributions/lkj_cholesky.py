"""`LKJCholesky` (PyTorch's): the LKJ law of correlation matrices (density proportional to
``det(C)^(concentration - 1)``), given as their lower Cholesky factors; sampled by the onion method."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .beta import Beta
from .distribution import Distribution, as_shape
from .utils import broadcast_all
from . import constraints


class LKJCholesky(Distribution):
    """LKJ(dim, concentration) over Cholesky factors (dim, dim) of correlation matrices, batched over the shape of
    ``concentration`` (> 0; 1 is uniform over correlation matrices). ``log_prob`` is differentiable in the
    concentration and the value; ``sample`` draws rows of the factor by the onion method (PyTorch's
    vectorized form): squared lengths from Beta laws, directions uniform."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration: Tensor | float = 1.0, validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        from ..factories import arange
        from ..functional.shape import concat

        c = self.concentration
        # the onion method: row k >= 1 of the factor has squared off-diagonal length y_k ~ Beta(k / 2,
        # concentration + (dim - 1 - k) / 2) (row 0 has none: its draw is unused). PyTorch draws Beta(k - 1/2, ...),
        # which for dim >= 3 is not the LKJ law its log_prob describes (see the differences page)
        offset = arange(dim - 1, dtype=c.dtype, backend=c.backend)
        offset = concat([offset[:1] * 0, offset], axis=0)
        marginal = c + 0.5 * (dim - 2)
        self._beta = Beta(0.5 * offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(tuple(c.shape), (dim, dim), validate_args)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Factors of shape ``sample_shape + batch_shape + (dim, dim)``, outside the graph."""
        from ..autograd.mode import no_grad
        from ..factories import randn

        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            shape = self._extended_shape(as_shape(sample_shape))
            normal = randn(shape, dtype=y.dtype, backend=y.backend).tril(-1)
            length = (normal ** 2).sum(-1, keepdim=True).sqrt()
            direction = (normal / length.clamp(min=float(self._tiny(y)))).nan_to_num(0.0)  # row 0 has no direction
            w = y.sqrt() * direction
            diagonal = (1 - (w ** 2).sum(-1)).clamp(min=float(self._tiny(w))).sqrt()
            return w + diagonal.diag_embed()

    @staticmethod
    def _tiny(x: Tensor) -> float:
        from ..type_info import finfo

        return float(finfo(x.dtype).tiny)

    def log_prob(self, value: Tensor) -> Tensor:
        """Stan's density of the factor: ``prod_i L_ii^(2 (concentration - 1) + dim - i)`` over its normalizer."""
        from ..factories import arange
        from ..functional.torch_small_ops import mvlgamma

        c = self.concentration
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = 2 * (c - 1).unsqueeze(-1) + self.dim - arange(2, self.dim + 1, dtype=c.dtype, backend=c.backend)
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = c + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + mvlgamma(alpha - 0.5, dm1) - alpha.lgamma() * dm1
        return unnormalized - normalizer


__all__ = ["LKJCholesky"]
