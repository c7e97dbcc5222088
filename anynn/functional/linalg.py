"""Matrix products: ``matmul`` (batched, broadcasting) and the fused ``linear`` layer primitive."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function, is_writeable
from ..autograd.graph import sum_to_shape
from ..backend import op
from ..backend.typing import Namespace
from .formulas.conjugate import conj
from .precision import is_low_precision
from .value_checks import (KernelNotImplementedError, ShapeMismatchError, check_same_dtype, explain_shape_failure,
                           require_tensor)


class MatMul(Function):
    """``a @ b`` with the array API's rules (1-D operands promoted and squeezed, batch broadcast)."""

    ties_constant_gradient = False  # linear in each operand: g @ b^T reads no a

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        check_same_dtype("matmul", ("input", "other"), (a, b))
        if xp.isdtype(a.dtype, "bool"):  # (NumPy's product of booleans is an or of ands)
            raise KernelNotImplementedError("matmul: \"addmm_impl_cpu_\" not implemented for 'Bool', as in PyTorch: "
                                            "matrix products take no boolean tensors; cast them first (x.long())")
        self.a, self.b = a, b
        return a @ b

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        a, b = self.a, self.b
        ga, gb = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
            return (g * conj(xp, b) if ga else None), (g * conj(xp, a) if gb else None)
        a2 = conj(xp, a[None, :] if a.ndim == 1 else a)  # conj: PyTorch's rule for complex, free for real
        b2 = conj(xp, b[:, None] if b.ndim == 1 else b)
        if a.ndim == 1:
            g = xp.expand_dims(g, axis=-2)
        if b.ndim == 1:
            g = xp.expand_dims(g, axis=-1)
        grad_a = grad_b = None
        if ga:
            grad_a = sum_to_shape(xp, g @ b2.mT, tuple(a2.shape))
            grad_a = xp.reshape(grad_a, tuple(a.shape))
        if gb:
            grad_b = sum_to_shape(xp, a2.mT @ g, tuple(b2.shape))
            grad_b = xp.reshape(grad_b, tuple(b.shape))
        return grad_a, grad_b


class LinearFunction(Function):
    """``y = x @ weight.T + bias`` in one node.

    x: (..., in_features), weight: (out_features, in_features), bias: (out_features,) or None.
    """

    ties_constant_gradient = False  # linear in each operand: g @ W reads no x

    fresh_gradients = True  # new matmul and sum results

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
        check_same_dtype("linear", ("input", "weight", "bias"), (x, weight, bias))
        self.x, self.weight = x, weight
        self.has_bias = bias is not None
        if bias is not None and is_low_precision(xp, x.dtype):  # PyTorch's kernel: product + bias in float32, one
            f32 = xp.float32                                     # rounding (a float16 sum put 1 in 4 an ulp off)
            y = op(self.backend, "matmul")(xp.astype(x, f32), xp.astype(weight, f32).mT) + xp.astype(bias, f32)
            return xp.astype(y, x.dtype)
        y = op(self.backend, "matmul")(x, weight.mT)
        if bias is not None:
            if is_writeable(y):
                y += bias  # y is our own fresh array: add in place, no second allocation
            else:
                y = y + bias
        return y

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        x, weight = self.x, self.weight
        need = self.needs_input_grad
        matmul = op(self.backend, "matmul")
        grad_x = matmul(g, conj(xp, weight)) if need[0] else None
        g2 = _rows(xp, g)
        grad_w = grad_b = None
        if need[1]:
            x2 = _rows(xp, x)
            grad_w = matmul(g2.mT, conj(xp, x2))
        if self.has_bias and need[2]:
            grad_b = xp.sum(g2, axis=0)
        return grad_x, grad_w, grad_b


def _rows(xp: Namespace, a: Any) -> Any:
    """``a`` (*, n) as rows (prod(*), n). -1 names the row count unless n is 0, where nothing can infer it
    (Linear(3, 0)); the -1 stands for a symbolic batch in an ONNX export."""
    if a.ndim == 2:
        return a
    return xp.reshape(a, (-1 if a.shape[-1] else math.prod(a.shape[:-1]), a.shape[-1]))


def matmul(input: Any, other: Any) -> Any:
    """Matrix product ``input @ other`` with NumPy/PyTorch broadcasting: (..., n, k) @ (..., k, m) -> (..., n, m);
    1-D operands are vectors."""
    require_tensor("matmul", input, "input", 1)
    require_tensor("matmul", other, "other", 2)
    try:
        return MatMul.apply(input, other)
    except (ValueError, RuntimeError, TypeError) as error:  # (JAX: TypeError 'dot_general requires ...')
        explain_shape_failure("matmul", input, other, True, error)
        raise


def linear(input: Any, weight: Any, bias: Any = None) -> Any:  # noqa: A002 - PyTorch's name
    """Affine map ``input @ weight.T + bias`` (input: (..., in), weight: (out, in), bias: (out,)).

    A 1-D weight (in,) gives PyTorch's vector product ``input @ weight``: (...,); a bias (0-d) goes with it only
    beside a 1-D input, as PyTorch's.
    """
    require_tensor("linear", input, "input", 1)
    require_tensor("linear", weight, "weight", 2)
    if weight.ndim > 2:
        raise ShapeMismatchError(f"linear: weight must be (out_features, in_features) or (in_features,), got "
                                 f"shape {tuple(weight.shape)} ({weight.ndim}-D)")
    if weight.ndim == 0 or input.ndim == 0:
        raise ShapeMismatchError(f"linear: input and weight need to be at least 1-D, got {input.ndim}-D input and "
                                 f"{weight.ndim}-D weight")
    if weight.ndim == 1:
        if input.shape[-1] != weight.shape[0]:
            raise ShapeMismatchError(f"linear: input's last dimension {input.shape[-1]} differs from the "
                                     f"{weight.shape[0]} in_features of the 1-D weight (input {tuple(input.shape)})")
        if bias is not None and input.ndim > 1:
            raise ShapeMismatchError(f"linear: a 1-D weight takes no bias beside a batched input of shape "
                                     f"{tuple(input.shape)} (as PyTorch: its weight must then be a matrix)")
        product = MatMul.apply(input, weight)
        return product if bias is None else product + bias
    if input.shape[-1] != weight.shape[1]:
        raise ShapeMismatchError(f"linear: input's last dimension {input.shape[-1]} differs from the weight's "
                                 f"in_features {weight.shape[1]} (input {tuple(input.shape)}, weight (out_features, "
                                 f"in_features) {tuple(weight.shape)})")
    if bias is None:
        return LinearFunction.apply(input, weight)
    if bias.ndim and bias.shape[-1] not in (1, weight.shape[0]):
        raise ShapeMismatchError(f"linear: bias of shape {tuple(bias.shape)} does not match the weight's "
                                 f"out_features {weight.shape[0]} (weight {tuple(weight.shape)}); expected shape "
                                 f"({weight.shape[0]},)")
    return LinearFunction.apply(input, weight, bias)
