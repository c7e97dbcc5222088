"""PyTorch's lazy layers: `LazyLinear`, ``LazyConv{1,2,3}d``, ``LazyConvTranspose{1,2,3}d``,
``LazyBatchNorm{1,2,3}d`` and ``LazyInstanceNorm{1,2,3}d``, whose input size is read from the first input.

A lazy layer is built without its input size (``nn.LazyLinear(10)``, as the d2l book writes every model). Its
parameters exist from the start as empty placeholders, so an optimizer may be built over them; the first call
(or a ``load_state_dict``, from the shapes it is given) draws them at their real shapes, as the eager layer
would, into the same Parameter objects, and the layer becomes that eager layer (``type(layer) is nn.Linear``).
"""

from __future__ import annotations

from typing import Any

from ..autograd.mode import no_grad
from ..autograd.tensor import Tensor
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv3d import Conv3d, ConvTranspose3d
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .module import Module
from .norm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .parameter import UninitializedBuffer, UninitializedParameter, is_lazy

# the attribute that holds the input size, and what the layer reports before it is known (PyTorch's 0)
_SIZE_NAMES = {Linear: "in_features"}


class LazyModuleMixin:
    """The lazy part of a lazy layer: the eager class to become, and how the input size is read."""

    cls_to_become: type[Module]
    _template_size = 1  # an input size the eager class accepts, to learn its state names and plain attributes

    def _lazy_init(self, **kwargs: Any) -> None:
        self._lazy_kwargs = kwargs
        template = self.cls_to_become(self._template_size, **kwargs)
        self._adopt(template, keep_sizes=False)
        self._lazy_handles = (self.register_forward_pre_hook(_infer_parameters),
                              self.register_load_state_dict_pre_hook(_sizes_from_state))

    def has_uninitialized_params(self) -> bool:
        """Whether the parameters still wait for the first input."""
        return "_lazy_kwargs" in self.__dict__

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        """Draw the parameters for ``input``'s size (PyTorch's name; the first call does it)."""
        self._materialize(self._input_size(input))

    def _input_size(self, input: Tensor) -> int:  # noqa: A002
        raise NotImplementedError

    def _materialize(self, size: int) -> None:
        kwargs = dict(self._lazy_kwargs)
        placeholder = next((t for t in (*self._parameters.values(), *self._buffers.values())
                            if t is not None and t.is_floating_point()), None)
        if placeholder is not None:  # where .to() has moved the layer since it was built
            kwargs.update(backend=placeholder.backend, dtype=placeholder.dtype)
        with no_grad():
            fresh = self.cls_to_become(size, **kwargs)
        self._adopt(fresh, keep_sizes=True)
        for handle in self._lazy_handles:
            handle.remove()
        for name in ("_lazy_kwargs", "_lazy_handles", "_template_size"):  # the eager layer has none of them
            self.__dict__.pop(name, None)
        object.__setattr__(self, "__class__", self.cls_to_become)

    def _adopt(self, source: Module, keep_sizes: bool) -> None:
        """Take ``source``'s plain attributes and state values (into this module's own Parameter and buffer
        objects where they exist); before materialising, every state of the input size is left empty."""
        skip = {"_parameters", "_buffers", "_modules", "_non_persistent", "_hooks", "training", "_state_hooks"}
        for name, value in source.__dict__.items():
            if name not in skip and name not in source._parameters and name not in source._buffers:
                object.__setattr__(self, name, value)
        if not keep_sizes:
            for name in ("in_features", "in_channels", "num_features"):
                if name in source.__dict__:
                    object.__setattr__(self, name, 0)
        for table in ("_parameters", "_buffers"):
            for name, value in getattr(source, table).items():
                own = getattr(self, table).get(name)
                if value is None or own is None or (not keep_sizes and value.ndim == 0):
                    if table == "_parameters":
                        self.register_parameter(name, value)
                    else:
                        self.register_buffer(name, value, persistent=name not in source._non_persistent)
                    if not keep_sizes and value is not None and value.ndim > 0:
                        placeholder = getattr(self, name)
                        placeholder.data = value.new_empty((0,))
                        object.__setattr__(placeholder, "__class__", UninitializedParameter
                                           if table == "_parameters" else UninitializedBuffer)
                elif keep_sizes or value.ndim > 0:
                    own.data = value.data
                    if is_lazy(own):  # PyTorch's materialize: the placeholder becomes a plain Parameter (Tensor)
                        object.__setattr__(own, "__class__", own.cls_to_become)


def _infer_parameters(module: Any, args: tuple[Any, ...]) -> None:
    if module.has_uninitialized_params():
        if not args:
            raise TypeError(f"{type(module).__name__}: the first call needs the input, to read its size")
        module.initialize_parameters(*args)


def _sizes_from_state(module: Any, state: dict[str, Any], prefix: str, *args: Any) -> None:
    """Before a load: draw the parameters at the shapes the state dict gives (PyTorch's lazy load hook)."""
    if not module.has_uninitialized_params():
        return
    key = prefix + module._state_key
    if key in state:
        shape = tuple(state[key].shape)
        if shape:
            module._materialize(module._size_from_state(shape))


class _LazyLinearBase(LazyModuleMixin, Linear):
    cls_to_become = Linear
    _state_key = "weight"

    def _input_size(self, input: Tensor) -> int:  # noqa: A002
        if not isinstance(input, Tensor) or input.ndim == 0:
            raise ValueError(f"LazyLinear: expected an input (*, in_features) with at least one axis, got "
                             f"{tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__}")
        return int(input.shape[-1])

    def _size_from_state(self, shape: tuple[int, ...]) -> int:
        return shape[1]


class LazyLinear(_LazyLinearBase):
    """`Linear` whose ``in_features`` is the last axis of the first input."""

    def __init__(self, out_features: int, bias: bool = True, dtype: Any = None, backend: Any = None,
                 seed: int | None = None) -> None:
        Module.__init__(self)
        self._lazy_init(out_features=out_features, bias=bias, backend=backend, dtype=dtype, seed=seed)


def _channels(layer: Any, input: Any, spatial: int, error: type[Exception] = ValueError) -> int:  # noqa: A002
    """The channel count of an input (N, C, *S) or, unbatched, (C, *S), or PyTorch's error naming the layer."""
    if not isinstance(input, Tensor) or input.ndim not in (spatial + 1, spatial + 2):
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise error(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to "
                         f"{type(layer).__name__}, but got input of size: {shape}")
    return int(input.shape[0] if input.ndim == spatial + 1 else input.shape[1])


class _LazyConvBase(LazyModuleMixin):
    _state_key = "weight"
    spatial: int

    def _input_size(self, input: Tensor) -> int:  # noqa: A002
        return _channels(self, input, self.spatial, RuntimeError)  # PyTorch's class for convolutions

    def _size_from_state(self, shape: tuple[int, ...]) -> int:
        groups = self._lazy_kwargs.get("groups", 1)
        return shape[0] if self.cls_to_become.transposed else shape[1] * groups


def _check_groups(self: Any, out_channels: Any, groups: Any) -> None:
    """Refused when built (PyTorch refuses at the first call): the eager template would blame an in_channels the
    user never gave."""
    if isinstance(out_channels, int) and isinstance(groups, int) and groups > 0 and out_channels % groups:
        raise ValueError(f"{type(self).__name__}: out_channels ({out_channels}) must be divisible by groups "
                         f"({groups})")


def _conv_init(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
               groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype: Any = None, backend: Any = None,
               seed: int | None = None) -> None:
    _check_groups(self, out_channels, groups)
    Module.__init__(self)
    self._template_size = groups
    self._lazy_init(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                    dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode, backend=backend,
                    dtype=dtype, seed=seed)


def _conv_transpose_init(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                         output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                         padding_mode: str = "zeros", dtype: Any = None, backend: Any = None,
                         seed: int | None = None) -> None:
    _check_groups(self, out_channels, groups)
    Module.__init__(self)
    self._template_size = groups
    self._lazy_init(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                    output_padding=output_padding, groups=groups, bias=bias, dilation=dilation,
                    padding_mode=padding_mode, backend=backend, dtype=dtype, seed=seed)


def _lazy_conv(eager: type[Module], spatial: int, transposed: bool) -> type:
    name = "Lazy" + eager.__name__
    doc = f"`{eager.__name__}` whose ``in_channels`` is read from the first input (N, C_in, ...) or (C_in, ...)."
    init = _conv_transpose_init if transposed else _conv_init
    return type(name, (_LazyConvBase, eager), {"__init__": init, "__doc__": doc, "cls_to_become": eager,
                                                "spatial": spatial, "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, 1, False)
LazyConv2d = _lazy_conv(Conv2d, 2, False)
LazyConv3d = _lazy_conv(Conv3d, 3, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, 1, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, 2, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, 3, True)


class _LazyNormBase(LazyModuleMixin):
    spatial: int

    @property
    def _state_key(self) -> str:
        return "weight" if self._lazy_kwargs.get("affine", True) else "running_mean"

    def _input_size(self, input: Tensor) -> int:  # noqa: A002
        if self.spatial == 0:  # BatchNorm1d: (N, C) or (N, C, L)
            return _channels(self, input, 1) if isinstance(input, Tensor) and input.ndim == 3 else \
                _channels(self, input, 0)
        return _channels(self, input, self.spatial)

    def _size_from_state(self, shape: tuple[int, ...]) -> int:
        return shape[0]


def _lazy_norm(eager: type[Module], spatial: int) -> type:
    # PyTorch's lazy norms all default to affine and running statistics (InstanceNorm's eager defaults are off)
    def init(self: Any, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
             track_running_stats: bool = True, dtype: Any = None, backend: Any = None, *, bias: bool = True) -> None:
        Module.__init__(self)
        self._lazy_init(eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats,
                        backend=backend, dtype=dtype, bias=bias)

    name = "Lazy" + eager.__name__
    doc = f"`{eager.__name__}` whose ``num_features`` is read from the first input (N, C, ...)."
    return type(name, (_LazyNormBase, eager), {"__init__": init, "__doc__": doc, "cls_to_become": eager,
                                                "spatial": spatial, "__module__": __name__})


# BatchNorm1d takes (N, C) and (N, C, L): only a 1-D input is "unbatched", which it refuses anyway
LazyBatchNorm1d = _lazy_norm(BatchNorm1d, 0)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, 2)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, 3)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, 1)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, 2)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, 3)

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear", "LazyModuleMixin"]
