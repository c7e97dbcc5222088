"""Normalisation layers: `BatchNorm1d`, `BatchNorm2d`, `BatchNorm3d`, `LayerNorm`, `GroupNorm`, `RMSNorm`.

PyTorch's constructor arguments, parameter and buffer names (``weight``, ``bias``, ``running_mean``,
``running_var``, ``num_batches_tracked``) and shapes, so state dicts move between the two.
"""

from __future__ import annotations

from typing import Any, Sequence


from ..init import HostGenerator
from .. import init
from ..autograd import autocast_mode
from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, dtype_name, get_backend
from ..backend.default_dtype import default_float
from ..functional.norm import batch_norm, group_norm, layer_norm, normalized_shape_of, rms_norm, values_per_channel
from ..functional.value_checks import DTypeMismatchError
from .linear import _size, new_parameter
from .module import Module
from .validate import ShapeMismatch, check_input, dtype_mismatch


def _buffer(shape: tuple[int, ...], backend: Any, dtype: Any) -> Tensor:
    be = get_backend(backend)
    # Tensor._make keeps the dtype: Tensor(...) would treat a NumPy float64 array as host data (float32)
    return Tensor._make(be.xp.zeros(shape, dtype=be.dtype(dtype), device=be.device), be, None, 0)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


class _NormBase(Module):
    """What batch and instance normalisation share (PyTorch's ``_NormBase``): per-channel ``weight``/``bias``
    (C,) and, with ``track_running_stats``, the buffers ``running_mean``/``running_var`` (C,) and
    ``num_batches_tracked`` (); the defaults here are batch normalisation's."""

    # checkpoints from before PyTorch 0.4.1 have no counter: it keeps its value, as in PyTorch
    _state_kept_when_missing = ("num_batches_tracked",)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, backend: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        num_features = _size("num_features", num_features, type(self).__name__)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        float_dtype = dtype or default_float()
        self.weight = new_parameter((num_features,), backend, dtype) if affine else None
        self.bias = new_parameter((num_features,), backend, dtype) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", _buffer((num_features,), backend, float_dtype))
            self.register_buffer("running_var", _buffer((num_features,), backend, float_dtype))
            self.register_buffer("num_batches_tracked", _buffer((), backend, "int64"))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self._reset_own_parameters(None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            # rebuilt with xp, not init.zeros_: a host round trip turns 0-d arrays into 1-d on some backends
            counter = self.num_batches_tracked
            counter.array = counter.backend.xp.zeros((), dtype=counter.dtype, device=counter.backend.device)

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Shared body of `BatchNorm1d`/`BatchNorm2d`/`BatchNorm3d`: statistics per channel (axis 1)."""

    ranks: tuple[int, ...] = ()
    layout: str = ""

    def forward(self, input: Tensor) -> Tensor:
        """input: (N, C) / (N, C, L) for `BatchNorm1d`, (N, C, H, W) for `BatchNorm2d` → same shape."""
        name = type(self).__name__
        check_input(self, input, ndim=self.ranks, half_inputs=True)
        if input.shape[1] != self.num_features:
            raise ShapeMismatch(f"{name}: expected input of shape {self.layout} with C={self.num_features} "
                                f"channels, got shape {input.shape}")
        if self.running_mean is not None and input.backend != self.running_mean.backend:
            raise BackendMismatch(f"{name}: input is on backend {input.backend.key!r} but the layer's buffers are on "
                                  f"{self.running_mean.backend.key!r}; move one with .to(...)")
        # (float16/bfloat16 input with float32 statistics is PyTorch's mixed-precision batch norm, autocast or not)
        half_input = dtype_name(input.dtype) in ("float16", "bfloat16")
        if (self.running_mean is not None and input.dtype != self.running_mean.dtype and not autocast_mode.state.active
                and not (half_input and dtype_name(self.running_mean.dtype) == "float32")):
            raise DTypeMismatchError(dtype_mismatch(name, self.running_mean.dtype, input.dtype))
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.array = self.num_batches_tracked.array + 1
            factor = _cumulative_factor(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch_stats = self.training or self.running_mean is None
        if use_batch_stats and values_per_channel(input.shape) == 1:
            raise ValueError(f"{name}: expected more than 1 value per channel when training, got input of "
                             f"shape {input.shape}")
        tracked = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if tracked else None, self.running_var if tracked else None,
                          self.weight, self.bias, use_batch_stats, factor, self.eps)


def _cumulative_factor(counter: Tensor) -> Any:
    """``momentum=None``'s factor, 1 / batches seen: a float, or a 0-d float32 array where the counter has no host
    value (inside a compiled step's trace, whose program then counts on its own)."""
    backend = counter.backend
    if backend.is_traced(counter.array):
        return 1.0 / backend.xp.astype(counter.array, backend.xp.float32)
    return 1.0 / float(counter)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs, per channel C.

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float
        Added to the variance for stability.
    momentum : float or None
        Weight of the new batch in the running statistics; ``None`` keeps a cumulative average.
    affine : bool
        Learn ``weight`` (C,) (ones) and ``bias`` (C,) (zeros).
    track_running_stats : bool
        Keep ``running_mean``/``running_var``/``num_batches_tracked`` buffers and use them in eval
        mode; without them, batch statistics are used in both modes.
    backend, dtype :
        Where the parameters and buffers live (default backend, float32).
    bias : bool
        With ``affine``, learn ``bias`` too (``False``: ``weight`` only, as PyTorch's keyword).
    """

    ranks = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs, per channel C. Arguments as `BatchNorm1d`."""

    ranks = (4,)
    layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W) inputs, per channel C. Arguments as `BatchNorm1d`."""

    ranks = (5,)
    layout = "(N, C, D, H, W)"


def _check_trailing(layer: Module, x: Tensor, shape: tuple[int, ...], any_floating: bool = False) -> None:
    check_input(layer, x, half_inputs=True, any_floating=any_floating)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ShapeMismatch(f"{type(layer).__name__}: expected input of shape (*, {_shape_text(shape)[1:-1]}), "
                            f"got shape {x.shape}")


class LayerNorm(Module):
    """Normalise over the last ``len(normalized_shape)`` axes: x (*, *normalized_shape) → same shape.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape normalised over.
    eps : float
        Added to the variance for stability.
    elementwise_affine : bool
        Learn ``weight`` (normalized_shape) (ones) and, if ``bias``, ``bias`` (normalized_shape) (zeros).
    bias : bool
        Learn the additive bias (only with ``elementwise_affine``).
    backend, dtype :
        Where the parameters live (default backend, float32).
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, backend: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_of(type(self).__name__, normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = new_parameter(self.normalized_shape, backend, dtype) if elementwise_affine else None
        self.bias = new_parameter(self.normalized_shape, backend, dtype) if elementwise_affine and bias else None
        self._reset_own_parameters(None)

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        _check_trailing(self, input, self.normalized_shape)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise x (N, C, *) within ``num_groups`` groups of channels → same shape.

    Parameters
    ----------
    num_groups : int
        Number of groups; must divide ``num_channels``.
    num_channels : int
        C, the number of channels.
    eps : float
        Added to the variance for stability.
    affine : bool
        Learn per-channel ``weight`` (C,) (ones) and ``bias`` (C,) (zeros).
    backend, dtype :
        Where the parameters live (default backend, float32).
    bias : bool
        With ``affine``, learn ``bias`` too (``False``: ``weight`` only).
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 backend: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight = new_parameter((num_channels,), backend, dtype) if affine else None
        self.bias = new_parameter((num_channels,), backend, dtype) if affine and bias else None
        self._reset_own_parameters(None)

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input, half_inputs=True)
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeMismatch(f"GroupNorm: expected input of shape (N, C, *) with C={self.num_channels} "
                                f"channels, got shape {input.shape}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalisation over the last ``len(normalized_shape)`` axes → same shape.

    ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape normalised over.
    eps : float or None
        Added to the mean square; ``None`` uses the machine epsilon of the input's dtype (as PyTorch).
    elementwise_affine : bool
        Learn ``weight`` (normalized_shape) (ones).
    backend, dtype :
        Where the parameters live (default backend, float32).
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, backend: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_of(type(self).__name__, normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = new_parameter(self.normalized_shape, backend, dtype) if elementwise_affine else None
        self._reset_own_parameters(None)

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:  # (PyTorch's RMSNorm names it x)
        # any floating input, the result in its dtype, as PyTorch's RMSNorm (LayerNorm refuses a mismatch)
        _check_trailing(self, x, self.normalized_shape, any_floating=True)
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
