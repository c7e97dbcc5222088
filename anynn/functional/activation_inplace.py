"""PyTorch's in-place activation names: ``F.relu_``, ``F.elu_``..., ``torch.relu_``/``torch.dropout_``...
(anynn's top level) and ``Tensor.relu_``/``sigmoid_``/``tanh_``.

Each is the out-of-place function with ``inplace=True`` (`anynn.functional.inplace_option.in_place`): the
input is overwritten and returned, with PyTorch's leaf rule and version counter.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from . import activation, activation_rectifier, activation_shrink, dropout as dropout_module, dropout_alpha
from .inplace_option import in_place


# -- torch.nn.functional's in-place forms -----------------------------------------------------------------------
def relu_(input: Tensor) -> Tensor:
    """`relu` of input (*), written into it."""
    return activation.relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """`elu` of input (*), written into it."""
    return activation.elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """`selu` of input (*), written into it."""
    return activation.selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """`celu` of input (*), written into it."""
    return activation_rectifier.celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """`leaky_relu` of input (*), written into it."""
    return activation.leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """`hardtanh` of input (*), written into it."""
    return activation.hardtanh(input, min_val, max_val, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
           generator: Any = None) -> Tensor:
    """`rrelu` of input (*), written into it."""
    return activation_rectifier.rrelu(input, lower, upper, training, inplace=True, generator=generator)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """`threshold` of input (*), written into it."""
    return activation_shrink.threshold(input, threshold, value, inplace=True)


# -- torch's top-level names (``torch.relu``, ``torch.dropout(input, p, train)``...) --------------------------------
def relu(input: Tensor) -> Tensor:
    """``torch.relu``: ``max(x, 0)`` of input (*)."""
    return activation.relu(input)


def selu(input: Tensor) -> Tensor:
    """``torch.selu``."""
    return activation.selu(input)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``torch.celu``."""
    return activation_rectifier.celu(input, alpha)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          generator: Any = None) -> Tensor:
    """``torch.rrelu``."""
    return activation_rectifier.rrelu(input, lower, upper, training, generator=generator)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """``torch.threshold``."""
    return activation_shrink.threshold(input, threshold, value)


def sigmoid_(input: Tensor) -> Tensor:
    """``torch.sigmoid_``: the logistic function of input (*), written into it."""
    return in_place(input, "sigmoid_", activation.sigmoid)


def tanh_(input: Tensor) -> Tensor:
    """``torch.tanh_``: ``tanh`` of input (*), written into it."""
    return in_place(input, "tanh_", activation.tanh)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.dropout(input, p, train)`` (`anynn.functional.dropout` with PyTorch's ATen argument names)."""
    return dropout_module.dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.dropout_``: `dropout`, written into the input."""
    return dropout_module.dropout(input, p, train, inplace=True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.alpha_dropout(input, p, train)``."""
    return dropout_alpha.alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.alpha_dropout_``: `alpha_dropout`, written into the input."""
    return dropout_alpha.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.feature_alpha_dropout(input, p, train)``."""
    return dropout_alpha.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.feature_alpha_dropout_``: `feature_alpha_dropout`, written into the input."""
    return dropout_alpha.feature_alpha_dropout(input, p, train, inplace=True)


# Tensor's in-place activation methods (PyTorch's Tensor.relu_, sigmoid_, tanh_)
METHODS: dict[str, Any] = {"relu_": relu_, "sigmoid_": sigmoid_, "tanh_": tanh_}
