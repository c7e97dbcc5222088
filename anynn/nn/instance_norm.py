"""Instance normalisation layers `InstanceNorm1d/2d/3d`: PyTorch's arguments, parameter and buffer names."""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.tensor import Tensor
from ..functional.instance_norm import instance_norm
from .norm import _NormBase
from .validate import ShapeMismatch, check_input


class _InstanceNorm(_NormBase):
    """Shared body: x (N, C, *spatial) or unbatched (C, *spatial) → same shape."""

    spatial_dims = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, backend: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, backend, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        rank = self.spatial_dims + 2
        check_input(self, input, ndim=(rank - 1, rank), half_inputs=True)
        batched = input.ndim == rank
        channels = input.shape[1 if batched else 0]
        if channels != self.num_features:
            if self.affine:
                raise ShapeMismatch(f"{name}: expected input's size at dim={1 if batched else 0} to match "
                                    f"num_features ({self.num_features}), but got: {channels} (shape {input.shape})")
            warnings.warn(f"{name}: input's size at dim={1 if batched else 0} does not match num_features. "
                          "You can silence this warning by not passing in num_features, which is not used "
                          "because affine=False", UserWarning, stacklevel=2)
        if not batched:
            input = input.reshape((1,) + tuple(input.shape))
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        y = instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats, momentum,
                          self.eps)
        return y if batched else y.reshape(tuple(y.shape[1:]))


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of x (N, C, L) or (C, L): each sample's channel over L.

    Parameters
    ----------
    num_features : int
        C.
    eps, momentum : float
        As `BatchNorm1d` (``momentum=None`` leaves the running statistics unchanged, as PyTorch).
    affine : bool
        Learn ``weight`` (ones) and, with ``bias=True``, ``bias`` (zeros), both (C,). Default False.
    track_running_stats : bool
        Keep ``running_mean``/``running_var`` (and PyTorch's unused ``num_batches_tracked``) and use
        them in eval mode. Default False: instance statistics in both modes.
    """

    spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of x (N, C, H, W) or (C, H, W); arguments as `InstanceNorm1d`."""

    spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of x (N, C, D, H, W) or (C, D, H, W); arguments as `InstanceNorm1d`."""

    spatial_dims = 3
