"""Layer fusion in `Sequential`: ``Linear`` + ``ReLU`` / ``GELU(approximate="tanh")`` as one fused call.

Only on backends with a fused ``linear_activation`` kernel (CuPy with nvmath-python: one cuBLASLt call with a
bias + activation epilogue); elsewhere `Sequential` runs its layers one by one. A pair fuses only when nothing
could tell the difference: exactly these classes (no subclass), a bias, no hooks on either layer, and an input
the ``Linear`` accepts as it is (its own checks and errors run unfused).
"""

from __future__ import annotations

from typing import Any, Iterable

from ..autograd.tensor import Tensor
from ..functional.linear_activation import linear_activation
from .activation import GELU, ReLU
from .linear import Linear
from .module import Module


def _hooked(module: Module) -> bool:
    return module.__dict__.get("_hooks") is not None


def fusable(layer: Module, following: Module | None, x: Any) -> str | None:
    """The activation (``"relu"``/``"gelu_tanh"``) that ``layer`` + ``following`` fuse into on input ``x``, or None."""
    if type(layer) is not Linear or following is None or layer.bias is None or _hooked(layer) or _hooked(following):
        return None
    if type(following) is ReLU:
        activation = "relu"
    elif type(following) is GELU and following.approximate == "tanh":
        activation = "gelu_tanh"
    else:
        return None
    weight = layer.weight
    if not (isinstance(x, Tensor) and x.backend == weight.backend and x.array.dtype == weight.array.dtype
            and x.ndim == 2 and x.array.shape[-1] == layer.in_features):
        return None
    return activation


def fused_forward(layers: Iterable[Module], x: Any) -> Any:
    """Run ``layers`` in order, each fusable Linear + activation pair as one `linear_activation` call."""
    layers = list(layers)
    i = 0
    while i < len(layers):
        layer = layers[i]
        activation = fusable(layer, layers[i + 1] if i + 1 < len(layers) else None, x)
        if activation is None:
            x = layer(x)
            i += 1
        else:
            x = linear_activation(x, layer.weight, layer.bias, activation)
            i += 2
    return x
