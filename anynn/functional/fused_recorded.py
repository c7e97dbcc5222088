"""Fused recorded gradients: a Function's whole backward as one node of a ``create_graph=True`` pass.

The generic recorded backward (`anynn.autograd.double_backward`) reruns a Function's ``backward`` on graph
Tensors, one node per array call. For `LinearFunction`, the layer of every MLP, that is two `MatMul`, a `Permute` and
a `Sum` per layer, whose own backward then runs each product through ``@`` with transposed operands and
``sum_to_shape``. Here its recorded gradient is one `LinearGrad` node instead:

- its forward *is* `LinearFunction.backward` (called on a `_LinearRecord` of what that method reads), so the first
  derivative is written once;
- its backward (the second-order rule) is again `LinearFunction`'s own formulas: for ``(gx, gw, gb) = (g W, g^T x,
  sum g)`` and incoming ``(ggx, ggw, ggb)``, ``d/dg = linear(x, ggw, ggb) + linear(ggx, W)`` and
  ``(d/dx, d/dW) = `` `LinearFunction.backward` of ``g`` with ``x := ggx`` and ``W := ggw``;
- written in ``xp``, that backward is itself recorded when differentiated again (any order).
"""

from __future__ import annotations

from typing import Any

from ..autograd.double_backward import register_fused_rule
from ..autograd.primitive import Function, is_writeable
from ..backend import op
from ..backend.devices import device_of
from ..backend.typing import Namespace
from .activation import PReLUFunction, ReLUFunction, SigmoidFunction, TanhFunction, prelu_weight, prelu_weight_grad
from .embedding import EmbeddingFunction
from .formulas.conjugate import conj
from .formulas.softmax import softmax, softmax_backward
from .linalg import LinearFunction
from .loss import ClassLoss


class _LinearRecord:
    """What `LinearFunction.forward` / `.backward` read and write on ``self`` (called unbound on this record)."""

    __slots__ = ("x", "weight", "has_bias", "needs_input_grad", "backend")

    def __init__(self, backend: Any, x: Any = None, weight: Any = None, has_bias: bool = False,
                 needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.backend, self.x, self.weight = backend, x, weight
        self.has_bias, self.needs_input_grad = has_bias, needs_input_grad


def _linear(backend: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    """`LinearFunction.forward`: ``x @ weight.T + bias`` (x: (..., in), weight: (out, in), bias: (out,) or None)."""
    return LinearFunction.forward(_LinearRecord(backend), xp, x, weight, bias)


def _linear_backward(backend: Any, xp: Namespace, g: Any, x: Any, weight: Any, wanted: tuple[bool, bool, bool],
                     has_bias: bool) -> tuple[Any, Any, Any]:
    """`LinearFunction.backward` of ``g`` (..., out) at ``x`` (..., in), ``weight`` (out, in): (gx, gw, gb)."""
    return LinearFunction.backward(_LinearRecord(backend, x, weight, has_bias, wanted), xp, g)


def _add(a: Any, b: Any) -> Any:
    """``a + b``, into ``a`` where it is a fresh writeable array (never a Tensor of a recorded pass)."""
    if a is None:
        return b
    if is_writeable(a) and tuple(a.shape) == tuple(getattr(b, "shape", ())):
        a += b
        return a
    return a + b


class LinearGrad(Function):
    """`LinearFunction`'s gradient as one node: ``(g, x, weight) -> (g @ weight, g^T x, sum(g))``, the wanted ones.

    g: (..., out), x: (..., in), weight: (out, in). ``wanted``: which of (grad_x, grad_weight, grad_bias) are
    computed and returned (in that order, the others left out); ``has_bias``: the layer had a bias.
    """

    fresh_gradients = True  # new products and sums

    wanted: tuple[bool, bool, bool]
    has_bias: bool

    def forward(self, xp: Namespace, g: Any, x: Any, weight: Any) -> tuple[Any, ...]:
        self.g, self.x, self.weight = g, x, weight
        grads = _linear_backward(self.backend, xp, g, x, weight, self.wanted, self.has_bias)
        return tuple(grad for grad in grads if grad is not None)

    def backward(self, xp: Namespace, *gg: Any) -> tuple[Any, Any, Any]:
        want_x, want_w, want_b = self.wanted  # gg holds the gradients of the wanted outputs, in order
        ggx = gg[0] if want_x else None
        ggw = gg[want_x] if want_w else None
        ggb = gg[want_x + want_w] if want_b else None
        need_g, need_x, need_w = self.needs_input_grad
        g, x, weight = self.g, self.x, self.weight
        grad_g = None
        if need_g:  # d/dg of (g W, g^T x, sum g) along (ggx, ggw, ggb)
            if ggw is not None:
                grad_g = _linear(self.backend, xp, x, ggw, ggb)
                ggb = None
            if ggx is not None:
                grad_g = _add(grad_g, _linear(self.backend, xp, ggx, weight))
            if ggb is not None:
                grad_g = xp.zeros_like(g) + ggb if grad_g is None else _add(grad_g, ggb)
        wanted = (need_x and ggw is not None, need_w and ggx is not None, False)
        grad_x = grad_w = None
        if wanted[0] or wanted[1]:  # (d/dx, d/dW) = LinearFunction's backward of g at x := ggx, W := ggw
            grad_x, grad_w, _ = _linear_backward(self.backend, xp, g, ggx, ggw, wanted, False)
        return grad_g, grad_x, grad_w


def _linear_rule(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """The recorded gradient of a `LinearFunction` node ``fn``: one `LinearGrad` node."""
    need = fn.needs_input_grad
    wanted = (bool(need[0]), bool(need[1]), bool(fn.has_bias and need[2]))
    g = grads[0]
    # g W reads no x and g^T x no W: an operand whose gradient is not computed is a constant here, so a gradient
    # that reads none of the inputs stays a constant, as PyTorch's (x @ W.T with a constant W: g W); so does the
    # bias's sum(g) of a constant g (a critic's mean output), summed apart from the node
    bias_apart = wanted[2] and not g.requires_grad
    in_node = (wanted[0], wanted[1], wanted[2] and not bias_apart)
    found: list[Any] = []
    if any(in_node):
        x = inputs[0] if wanted[1] else inputs[0].detach()
        weight = inputs[1] if wanted[0] else inputs[1].detach()
        found = list(LinearGrad.apply(g, x, weight, wanted=in_node, has_bias=fn.has_bias))
    if bias_apart:
        found.append(g.sum(tuple(range(g.ndim - 1))) if g.ndim > 1 else g)
    it = iter(found)
    return tuple(next(it) if want else None for want in wanted)  # type: ignore[return-value]


register_fused_rule(LinearFunction, _linear_rule)


class MaskedGradient(Function):
    """``g * mask`` recorded as a function of ``source`` too, with derivative zero there: ReLU's recorded gradient.

    g: any shape; source: the ReLU's input (its shape); mask: ``out > 0`` as 0/1 in g's dtype, a constant. PyTorch
    records ReLU's gradient as ``threshold_backward(g, out)``, which reads the output: differentiated again it gives
    the output (hence the input and everything before it) a zero gradient, so a gradient penalty on the input alone
    leaves ``x.grad`` and the first layer's bias zeros, not None. One node, as the product it replaces.
    """

    ties_constant_gradient = True  # (its own recorded gradient, gg * mask, reads the source as PyTorch's does)
    zero_gradient_input = 1  # the source's zeros connect it; summed with another gradient they are skipped
    constants = ("mask",)  # drawn from the forward's output, not a function of the inputs here
    # (not fresh: the zeros are one broadcast 0-d array, which no sum may be written into; PyTorch's expand is
    # writeable in form and refuses such a write)

    mask: Any

    def forward(self, xp: Namespace, g: Any, source: Any) -> Any:
        self.shape = tuple(source.shape)
        return g * self.mask

    def backward(self, xp: Namespace, gg: Any) -> tuple[Any, Any]:
        need_g, need_source = self.needs_input_grad
        zeros = None
        if need_source:
            source = self.inputs[1]
            if getattr(source, "_ctx", None) is None or source._retains_grad:  # kept as a .grad: a writeable array
                zeros = xp.zeros(self.shape, dtype=gg.dtype, device=device_of(gg))  # (x.grad.zero_() on torch)
            else:  # one broadcast 0-d array, on its way into the producer's pending sum (the engine skips it there)
                zeros = xp.broadcast_to(xp.zeros((), dtype=gg.dtype, device=device_of(gg)), self.shape)
        return (gg * self.mask if need_g else None), zeros


def _relu_rule(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> Any:
    """The recorded gradient of a `ReLUFunction` node: ``g * mask``, one `MaskedGradient` node tied to the input.

    ReLU's slope is piecewise constant, so the mask carries no derivative; it is ReLUFunction's own gradient kernel
    (``relu_grad``) at ``g = 1``, ``out > 0`` as 0/1 in out's dtype (NaN: 0, as the kernel). No rerun of the forward,
    and the second backward multiplies once. The mask is kept
    on ``fn`` (`ReLUFunction.mask`): a later backward through ``fn`` itself (the gradient penalty's, through the
    forward graph) is then one product as well.
    """
    mask, backend = fn.mask, fn.backend
    if mask is None:
        out = fn.out
        mask = fn.mask = backend.xp.astype(~(out <= 0), out.dtype)  # (NaN passes, as relu_grad)
    return MaskedGradient.apply(grads[0], inputs[0], mask=mask)


# the slope of f' as a function of the output y: d(1 - y^2)/dy for tanh, d(y (1 - y))/dy for the sigmoid
SLOPES = {"tanh_grad": lambda y: -2.0 * y, "sigmoid_grad": lambda y: 1.0 - 2.0 * y}
_KERNELS = {TanhFunction: "tanh_grad", SigmoidFunction: "sigmoid_grad"}


class ActivationGradAt(Function):
    """``g * f'(x)`` for ``f`` = tanh or sigmoid as one node, at the activation's input ``x``.

    g, x: the same shape. The value is the activation's own backward (its fused kernel, ``tanh_grad`` or
    ``sigmoid_grad``, on ``y = f(x)``); ``y``: the output the activation saved, recomputed by its own forward
    when this node is rerun on graph Tensors. Its derivative: ``(kernel(gg, y), kernel(gg g slope(y), y))``,
    ``kernel(h, y) = h f'(x)`` carrying the chain rule through ``y = f(x)``.
    """

    activation: type
    y: Any = None

    def prepare_recompute(self) -> None:
        self.y = None

    def forward(self, xp: Namespace, g: Any, x: Any) -> Any:
        y = self.y if self.y is not None else self.activation.forward(self, xp, x)
        self.g, self.y = g, y
        return op(self.backend, _KERNELS[self.activation])(g, conj(xp, y))  # g conj(f'(x)): the activation's

    def backward(self, xp: Namespace, gg: Any) -> tuple[Any, Any]:
        # complex: the value g conj(f'(x)) is linear in g and antiholomorphic in x, hence the conjugates (the
        # identity for real arrays)
        need_g, need_x = self.needs_input_grad
        kernel_name = _KERNELS[self.activation]
        kernel, g, y = op(self.backend, kernel_name), self.g, self.y
        grad_g = kernel(gg, y) if need_g else None
        grad_x = conj(xp, kernel(gg * conj(xp, g) * SLOPES[kernel_name](y), y)) if need_x else None
        return grad_g, grad_x


def _activation_rule(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> Any:
    """The recorded gradient of `TanhFunction` / `SigmoidFunction`: one `ActivationGradAt` node on the input."""
    return ActivationGradAt.apply(grads[0], inputs[0], activation=type(fn), y=fn.out)


class _ClassLossRecord:
    """What `ClassLoss.backward` reads on ``self`` for logits, a target without gradient, no low precision."""

    __slots__ = ("softmax", "q", "scale", "q_total", "valid")
    low = False
    from_logits = True
    needs_input_grad = (True, False)

    def __init__(self, softmax: Any, q: Any, scale: Any, q_total: Any = None, valid: Any = None) -> None:
        self.softmax, self.q, self.scale, self.q_total, self.valid = softmax, q, scale, q_total, valid


class ClassLossGrad(Function):
    """Cross-entropy's gradient on logits as one node: ``(g, scores) -> (softmax(scores) sum(q) - q) g / scale``.

    g: the loss's gradient (0-d, or (M,) for ``reduction='none'``); scores: (M, C) logits; q: (M, C) target
    distribution and scale: the mean's denominator (or None), both constants. The value is `ClassLoss.backward`
    itself; ``s``: the softmax the loss saved (recomputed from the scores when this node is rerun on graph
    Tensors, so higher orders see it as a function of the scores).
    """

    fresh_gradients = True

    s: Any = None
    q_total: Any = None  # each row's sum(q) where the loss knows it (see ClassLoss.q_total), else summed
    # the rows not ignored (M,) bool, for a mean: where every row is ignored the scale is 0 and the rows' 0 / 0 must
    # give 0, as ClassLoss.backward's (PyTorch's NaN mean has zero gradients of every order)
    valid: Any = None

    def prepare_recompute(self) -> None:
        self.s = None

    def forward(self, xp: Namespace, g: Any, scores: Any, q: Any, scale: Any = None) -> Any:
        s = self.s if self.s is not None else softmax(xp, scores, -1)
        self.g, self.s, self.q, self.scale = g, s, q, scale
        return ClassLoss.backward(_ClassLossRecord(s, q, scale, self.q_total, self.valid), xp, g)[0]

    def backward(self, xp: Namespace, gg: Any) -> tuple[Any, Any, None, None]:
        need_g, need_scores = self.needs_input_grad[:2]
        g, s, q, scale = self.g, self.s, self.q, self.scale
        grad_g = grad_scores = None
        if need_scores:  # the value is s * (sum(q) g / scale) - const: through the softmax
            total = self.q_total if self.q_total is not None else xp.sum(q, axis=-1, keepdims=True)
            row = (g[:, None] if g.ndim == 1 else g) * total  # (a graph Tensor first: a constant array on its right)
            row = row / scale if scale is not None else row
            if scale is not None and self.valid is not None:
                row = xp.where(self.valid[:, None], row, xp.zeros_like(row))
            grad_scores = softmax_backward(xp, gg * row, s, -1)
        if need_g:  # linear in g: the value at g = 1, summed against gg to g's shape
            unit = ClassLoss.backward(_ClassLossRecord(s, q, scale, self.q_total, self.valid), xp, xp.ones_like(g))[0]
            grad_g = xp.sum(gg * unit, axis=-1) if g.ndim == 1 else xp.sum(gg * unit)
        return grad_g, grad_scores, None, None


def _class_loss_rule(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> Any:
    """The recorded gradient of a cross-entropy `ClassLoss` on logits: one `ClassLossGrad` node (other cases:
    NLL on log-probabilities, float16 scores, and probabilities that require grad, keep the generic rerun).

    The probabilities are tested by ``requires_grad``, not by ``needs_input_grad``: a pass that wants only the
    scores' gradient (a penalty on it) still records a gradient that depends on them (``q`` is no constant)."""
    if not fn.from_logits or fn.low or fn.needs_input_grad[1] or getattr(inputs[1], "requires_grad", False):
        return NotImplemented
    return ClassLossGrad.apply(grads[0], inputs[0], fn.q, fn.scale, s=fn.softmax, q_total=fn.q_total,
                               valid=fn.valid), None, None


register_fused_rule(ReLUFunction, _relu_rule)
register_fused_rule(TanhFunction, _activation_rule)
register_fused_rule(SigmoidFunction, _activation_rule)
register_fused_rule(ClassLoss, _class_loss_rule)


class _EmbeddingRecord:
    """What `EmbeddingFunction.forward` / `.backward` read and write on ``self`` (called unbound on this record)."""

    __slots__ = ("backend", "flat", "num_embeddings", "padding_idx", "scale_grad_by_freq")
    needs_input_grad = (True, False)

    def __init__(self, backend: Any, num_embeddings: int = 0, padding_idx: int | None = None,
                 scale_grad_by_freq: bool = False) -> None:
        self.backend, self.num_embeddings = backend, num_embeddings
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq


class EmbeddingGrad(Function):
    """`EmbeddingFunction`'s weight gradient as one node: ``(g, indices) -> (num_embeddings, D)``, the rows of
    g (indices.shape + (D,)) summed per index (``padding_idx`` rows left out), each divided by its index's count
    where ``scale_grad_by_freq``.

    The value is `EmbeddingFunction.backward`; the backward is the lookup itself (`EmbeddingFunction.forward` of
    ``gg``, padding rows zero), PyTorch's ``embedding_dense_double_backward``. With ``scale_grad_by_freq`` that is
    not the adjoint of the divided sum, deliberately: the first-order gradient divides already (it is no true
    derivative), and PyTorch's pair (divide once, look up without dividing) is kept so that second derivatives
    through a lookup and its divided gradient agree with PyTorch's (the adjoint would divide twice).
    """

    num_embeddings: int
    padding_idx: int | None
    scale_grad_by_freq: bool

    def forward(self, xp: Namespace, g: Any, indices: Any) -> Any:
        self.indices = indices
        record = _EmbeddingRecord(self.backend, self.num_embeddings, self.padding_idx, self.scale_grad_by_freq)
        record.flat = xp.reshape(indices, (-1,))
        return EmbeddingFunction.backward(record, xp, g)[0]

    def backward(self, xp: Namespace, gg: Any) -> tuple[Any, None]:
        if not self.needs_input_grad[0]:
            return None, None
        rows = EmbeddingFunction.forward(_EmbeddingRecord(self.backend), xp, gg, self.indices)
        if self.padding_idx is not None:
            rows = rows * xp.astype(self.indices != self.padding_idx, rows.dtype)[..., None]
        return rows, None


def _embedding_rule(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> Any:
    """The recorded gradient of an `EmbeddingFunction` with ``scale_grad_by_freq``: one `EmbeddingGrad` node (other
    lookups keep the generic rerun, whose adjoint is exact)."""
    if not fn.scale_grad_by_freq or not fn.needs_input_grad[0]:
        return NotImplemented
    return EmbeddingGrad.apply(grads[0], inputs[1], num_embeddings=fn.num_embeddings, padding_idx=fn.padding_idx,
                               scale_grad_by_freq=True), None


register_fused_rule(EmbeddingFunction, _embedding_rule)


class PReLUGrad(Function):
    """`PReLUFunction`'s gradient as one node: ``(g, x, weight) -> (grad_x, grad_weight)``, the ``wanted`` ones.

    g, x: (N, C, ...), weight: (1,) or (C,). The values are PReLUFunction's (x = 0 on the negative side: ``g w`` and
    ``g x``); the backward is PyTorch's double backward of prelu, which puts x = 0 on the positive side, so there the
    second derivatives in x and the weight are 0 and the one in g is the positive side's (the generic rerun gave
    the negative side's). Written in ``xp``, it is recorded in turn when differentiated again.
    """

    ties_constant_gradient = False  # PyTorch's formulas read x only through masks: constant where g, gg are
    wanted: tuple[bool, bool]

    def forward(self, xp: Namespace, g: Any, x: Any, weight: Any) -> tuple[Any, ...]:
        self.g, self.x, self.weight = g, x, weight
        w = prelu_weight(xp, x, weight)
        positive = x > 0
        found = (xp.where(positive, g, g * w) if self.wanted[0] else None,
                 prelu_weight_grad(xp, xp.where(positive, xp.zeros_like(g), g * x), w) if self.wanted[1] else None)
        return tuple(grad for grad in found if grad is not None)

    def backward(self, xp: Namespace, *gg: Any) -> tuple[Any, Any, Any]:
        want_x, want_w = self.wanted  # gg holds the gradients of the wanted outputs, in order
        ggx = gg[0] if want_x else None
        ggw = gg[want_x] if want_w else None
        need_g, need_x, need_w = self.needs_input_grad
        g, x = self.g, self.x
        w = prelu_weight(xp, x, self.weight)
        ggw = None if ggw is None else prelu_weight(xp, x, ggw)
        nonnegative = x >= 0
        zeros = xp.zeros_like(g)
        grad_g = grad_x = grad_w = None
        if need_g:
            negative_side = (0.0 if ggx is None else ggx * w) + (0.0 if ggw is None else ggw * x)
            grad_g = xp.where(nonnegative, zeros if ggx is None else ggx, zeros + negative_side)
        # zeros, not None, where the other gradient is not differentiated: PyTorch's formulas read x and the weight
        if need_x:
            grad_x = zeros if ggw is None else xp.where(nonnegative, zeros, g * ggw)
        if need_w:
            grad_w = xp.zeros_like(self.weight) if ggx is None else prelu_weight_grad(
                xp, xp.where(nonnegative, zeros, g * ggx), w)
        return grad_g, grad_x, grad_w


def _prelu_rule(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> tuple[Any, Any]:
    """The recorded gradient of a `PReLUFunction` node: one `PReLUGrad` node."""
    wanted = (bool(fn.needs_input_grad[0]), bool(fn.needs_input_grad[1]))
    found = iter(PReLUGrad.apply(grads[0], inputs[0], inputs[1], wanted=wanted))
    return tuple(next(found) if want else None for want in wanted)  # type: ignore[return-value]


register_fused_rule(PReLUFunction, _prelu_rule)
