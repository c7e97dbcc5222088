"""`Bilinear`: ``y = x1ᵀ A x2 + b`` (PyTorch's parameter names, shapes and initialisation)."""

from __future__ import annotations

import math
from typing import Any

from .. import init
from ..autograd.tensor import Tensor
from ..functional.bilinear import bilinear
from ..init import HostGenerator, host_generator
from .linear import new_parameter
from .module import Module
from .validate import check_input


class Bilinear(Module):
    """``y[..., o] = x1[..., :] @ weight[o] @ x2[..., :] + bias[o]``.

    Parameters
    ----------
    in1_features, in2_features, out_features : int
        x1 (*, in1_features), x2 (*, in2_features) → (*, out_features).
    bias : bool
    backend, dtype, seed :
        Where the parameters live (default backend, float32) and the seed of their initial draw.

    Notes
    -----
    ``weight`` is (out_features, in1_features, in2_features) and ``bias`` (out_features,), both drawn
    U(-1/sqrt(in1_features), 1/sqrt(in1_features)) as PyTorch does.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = new_parameter((out_features, in1_features, in2_features), backend, dtype)
        self.bias = new_parameter((out_features,), backend, dtype) if bias else None
        self._reset_own_parameters(host_generator(seed))

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        bound = 1.0 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound, generator=rng)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator=rng)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """input1 (*, in1_features), input2 (*, in2_features) → (*, out_features)."""
        check_input(self, input1, last_dim=self.in1_features, what="features (in1_features)")
        check_input(self, input2, last_dim=self.in2_features, what="features (in2_features)")
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
