"""The bilinear form ``y_o = x1ᵀ W_o x2 + b_o`` as one fused primitive (PyTorch's ``F.bilinear``)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .formulas.conjugate import conj
from .value_checks import ShapeMismatchError
from .value_checks import check_same_dtype


class BilinearFunction(Function):
    """x1 (M, I), x2 (M, J), weight (O, I, J), bias (O,) → (M, O), leading axes flattened into M by the caller."""

    ties_constant_gradient = False  # each input's gradient reads only the other inputs (PyTorch's _trilinear)

    def forward(self, xp: Namespace, x1: Any, x2: Any, weight: Any, bias: Any = None) -> Any:
        check_same_dtype("bilinear", ("input1", "input2", "weight", "bias"), (x1, x2, weight, bias))
        o, i, j = weight.shape
        m = x1.shape[0]
        # left[m, o, j] = sum_i x1[m, i] W[o, i, j]
        w_ioj = xp.reshape(xp.permute_dims(weight, (1, 0, 2)), (i, o * j))
        left = xp.reshape(x1 @ w_ioj, (m, o, j))
        out = (left @ x2[:, :, None])[:, :, 0]
        if bias is not None:
            out = out + bias
        self.x1, self.x2, self.weight, self.left = x1, x2, weight, left
        self.has_bias = bias is not None
        return out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, ...]:
        x1, x2, weight = self.x1, self.x2, self.weight
        o, i, j = weight.shape
        m = x1.shape[0]
        need = self.needs_input_grad
        grad_x1 = grad_x2 = grad_w = grad_b = None
        if need[0]:
            # right[m, o, i] = sum_j W[o, i, j] x2[m, j]
            w_joi = xp.reshape(xp.permute_dims(weight, (2, 0, 1)), (j, o * i))
            right = xp.reshape(x2 @ w_joi, (m, o, i))
            grad_x1 = (g[:, None, :] @ conj(xp, right))[:, 0, :]  # conj: complex operands (free on real ones)
        if need[1]:
            grad_x2 = (g[:, None, :] @ conj(xp, self.left))[:, 0, :]
        if need[2]:
            outer = xp.reshape(g[:, :, None] * conj(xp, x1)[:, None, :], (m, o * i))
            grad_w = xp.reshape(outer.mT @ conj(xp, x2), (o, i, j))
        if self.has_bias and need[3]:
            grad_b = xp.sum(g, axis=0)
        return (grad_x1, grad_x2, grad_w) + ((grad_b,) if self.has_bias else ())


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``.

    input1 (*, in1_features), input2 (*, in2_features) with the same leading axes, weight
    (out_features, in1_features, in2_features), bias (out_features,) → (*, out_features).
    """
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise ShapeMismatchError(f"bilinear: expected input1 (*, {weight.shape[1] if weight.ndim == 3 else 'in1'}), "
                                 f"input2 (*, {weight.shape[2] if weight.ndim == 3 else 'in2'}) and a 3-D weight, got "
                                 f"input1 {input1.shape}, input2 {input2.shape}, weight {weight.shape}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise ShapeMismatchError(f"bilinear: input1 and input2 must have the same leading dimensions, got "
                                 f"{input1.shape} and {input2.shape}")
    lead = tuple(input1.shape[:-1])
    m = None if None in lead else math.prod(lead)  # (a symbolic axis, ONNX export: the rows reshape implies)
    x1 = input1.reshape(m, input1.shape[-1])
    x2 = input2.reshape(m, input2.shape[-1])
    out = BilinearFunction.apply(x1, x2, weight) if bias is None else BilinearFunction.apply(x1, x2, weight, bias)
    return out.reshape(lead + (weight.shape[0],))
