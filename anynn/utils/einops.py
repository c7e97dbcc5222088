"""einops on anynn Tensors: ``rearrange``, ``repeat``, ``reduce``, ``pack``/``unpack``, ``einsum`` and the layers.

einops chooses how to work on a tensor by its type, from the subclasses of its ``AbstractBackend`` whose
``framework_name`` is an imported module. `AnynnBackend` is that subclass for anynn: it exists as soon as anynn is
imported (where einops is installed), so a program that swapped ``import torch`` for ``import anynn as torch`` calls
``rearrange(x, "b c h w -> b (h w) c")`` on anynn Tensors unchanged, on every backend, and gradients flow through
(each step is a Tensor op: ``reshape``, ``permute``, ``expand``, ``sum``...).

einops' PyTorch layers (``einops.layers.torch``) subclass ``torch.nn.Module``; their anynn counterparts are here::

    from einops.layers.torch import Rearrange, Reduce, EinMix   # PyTorch
    from anynn.utils.einops import Rearrange, Reduce, EinMix    # anynn

Needs einops: ``pip install 'anynn[einops]'`` (or ``pip install einops``).
"""

from __future__ import annotations

from typing import Any, Sequence

try:
    from einops._backends import AbstractBackend
    from einops.layers import RearrangeMixin, ReduceMixin
    from einops.layers._einmix import _EinmixMixin
except ImportError as error:  # pragma: no cover - the test extra installs it
    raise ImportError("anynn.utils.einops needs einops: pip install 'anynn[einops]' (or pip install einops)") from error

from .. import dtypes
from ..autograd.tensor import Tensor
from ..factories import arange, from_numpy, zeros
from ..functional.tensor_extras import cat, stack
from ..functional.torch_surface import einsum
from ..nn.container import FOREIGN_LAYER_CONVERTERS
from ..nn.module import Module, Parameter

__all__ = ["AnynnBackend", "EinMix", "Rearrange", "Reduce"]

_FLOATING = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)


class AnynnBackend(AbstractBackend):
    """einops' backend for anynn Tensors (found by einops itself: ``framework_name`` is the module ``anynn``)."""

    framework_name = "anynn"

    def is_appropriate_type(self, tensor: Any) -> bool:
        return isinstance(tensor, Tensor)

    def from_numpy(self, x: Any) -> Tensor:
        tensor = from_numpy(x)
        return tensor.requires_grad_() if self.is_float_type(tensor) else tensor

    def to_numpy(self, x: Tensor) -> Any:
        return x.detach().cpu().numpy()

    def arange(self, start: int, stop: int) -> Tensor:
        return arange(start, stop, dtype=dtypes.int64)

    def reduce(self, x: Tensor, operation: str, axes: Sequence[int]) -> Tensor:
        """``operation`` ('min', 'max', 'sum', 'mean', 'prod', 'any', 'all') over ``axes`` of ``x``."""
        axes = tuple(axes)
        if operation in ("min", "max"):
            return getattr(x, "a" + operation)(dim=axes)
        if operation in ("sum", "mean"):
            return getattr(x, operation)(dim=axes)
        if operation in ("prod", "any", "all"):  # one axis at a time, as PyTorch's take one dim
            for axis in sorted(axes, reverse=True):
                x = getattr(x, operation)(dim=axis)
            return x
        raise NotImplementedError(f"einops on anynn: unknown reduction {operation!r}")

    def transpose(self, x: Tensor, axes: Sequence[int]) -> Tensor:
        return x.permute(tuple(axes))

    def stack_on_zeroth_dimension(self, tensors: list[Tensor]) -> Tensor:
        return stack(tensors)

    def add_axis(self, x: Tensor, new_position: int) -> Tensor:
        return x.unsqueeze(new_position)

    def add_axes(self, x: Tensor, n_axes: int, pos2len: dict[int, int]) -> Tensor:
        """``x`` with new axes of the given lengths, a broadcast view (``expand``), as einops does for PyTorch."""
        sizes = [-1] * n_axes
        for position, length in pos2len.items():
            x = x.unsqueeze(position)
            sizes[position] = length
        return x.expand(sizes)

    def tile(self, x: Tensor, repeats: Sequence[int]) -> Tensor:
        return x.repeat(tuple(repeats))

    def concat(self, tensors: list[Tensor], axis: int) -> Tensor:
        return cat(tensors, dim=axis)

    def is_float_type(self, x: Tensor) -> bool:
        return x.dtype in _FLOATING

    def layers(self) -> Any:
        import sys

        return sys.modules[__name__]

    def einsum(self, pattern: str, *x: Tensor) -> Tensor:
        return einsum(pattern, *x)


class Rearrange(RearrangeMixin, Module):
    """``einops.layers.torch.Rearrange`` for anynn: ``Rearrange("b c h w -> b (h w) c")`` as a layer."""

    def forward(self, input: Tensor) -> Tensor:
        return self._apply_recipe(input)


class Reduce(ReduceMixin, Module):
    """``einops.layers.torch.Reduce`` for anynn: ``Reduce("b c h w -> b c", "mean")`` as a layer."""

    def forward(self, input: Tensor) -> Tensor:
        return self._apply_recipe(input)


class EinMix(_EinmixMixin, Module):
    """``einops.layers.torch.EinMix`` for anynn: a linear layer written as an einsum pattern, e.g.
    ``EinMix("b t c -> b t c_out", weight_shape="c c_out", bias_shape="c_out", c=16, c_out=32)``; weights and bias
    are drawn from U(-bound, bound) with einops' bounds."""

    def _create_parameters(self, weight_shape: list[int], weight_bound: float, bias_shape: list[int] | None,
                           bias_bound: float) -> None:
        self.weight = Parameter(zeros(weight_shape).uniform_(-weight_bound, weight_bound))
        self.bias = None if bias_shape is None else Parameter(zeros(bias_shape).uniform_(-bias_bound, bias_bound))

    def _create_rearrange_layers(self, pre_reshape_pattern: str | None, pre_reshape_lengths: dict | None,
                                 post_reshape_pattern: str | None, post_reshape_lengths: dict | None) -> None:
        self.pre_rearrange = (None if pre_reshape_pattern is None
                              else Rearrange(pre_reshape_pattern, **(pre_reshape_lengths or {})))
        self.post_rearrange = (None if post_reshape_pattern is None
                               else Rearrange(post_reshape_pattern, **(post_reshape_lengths or {})))

    def forward(self, input: Tensor) -> Tensor:
        if self.pre_rearrange is not None:
            input = self.pre_rearrange(input)
        result = einsum(self.einsum_pattern, input, self.weight)
        if self.bias is not None:
            result = result + self.bias
        if self.post_rearrange is not None:
            result = self.post_rearrange(result)
        return result


# einops' weight-free PyTorch layers, which an import swap leaves in a model (``from einops.layers.torch import
# Rearrange`` inside ``nn.Sequential``): anynn's containers hold these in their place (same pattern, reduction and
# axis lengths). EinMix holds weights and is refused there, naming the class above.
FOREIGN_LAYER_CONVERTERS.update({
    ("einops", "Rearrange"): lambda layer: Rearrange(layer.pattern, **layer.axes_lengths),
    ("einops", "Reduce"): lambda layer: Reduce(layer.pattern, layer.reduction, **layer.axes_lengths),
})
