"""Loss functions, each one fused primitive with its reduction (``"mean"``, ``"sum"``, ``"none"``).

Shapes: ``input`` and ``target`` match for the regression and binary losses. For
``cross_entropy``/``nll_loss``, ``input`` is (N, C) or (N, C, d1, ...) (or (C,)), and ``target`` is
integer class indices (N,) / (N, d1, ...) or class probabilities shaped like ``input``.
"""

from __future__ import annotations

from typing import Any

from ..autograd.autocast_mode import dtype_under_autocast
from ..autograd.primitive import Function
from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.arrays import device_of
from .loss_inputs import (REDUCTIONS, as_operand, check_broadcasts_to, check_floating, check_input,
                          check_probabilities, check_reduction, check_same_shape, class_target, data_of,
                          float_target, option_array)
from .loss_reduction import legacy_reduction, weighted
from .value_checks import DTypeMismatchError, UnsupportedDTypeError
from .dtype_kinds import isdtype
from .formulas.conjugate import sign
from .formulas.logistic import softplus
from .formulas.softmax import softmax_and_log
from .precision import cast_to, is_low_precision, upcast
from .shape import permute, reshape
from .value_checks import ShapeMismatchError
from .value_checks import check_same_dtype, data_dtype, is_floating, is_real_floating, refuse_boolean_subtraction
from .value_checks import InvalidValueError, python_ints


class _Reduced(Function):
    """Base for losses: ``elementwise`` gives per-element losses, ``grad`` their derivative.

    float16/bfloat16 inputs are computed and reduced in float32 (a float16 sum of 32 losses of 1e4
    overflows; their mean does not) and the result is cast back; gradients come back in each input's dtype.
    """

    reduction: str

    def forward(self, xp: Any, *arrays: Any) -> Any:
        arrays = self._upcast(xp, arrays)
        losses = self.elementwise(xp, *arrays)
        count: int | None = 1
        for n in losses.shape:  # None: a symbolic axis (ONNX export), whose size the graph reads when it runs
            count = None if n is None or count is None else count * n
        self.count = count
        reduction = self.reduction
        if reduction == "mean" and count is None:
            losses = xp.mean(losses)
        elif reduction != "none":
            total = xp.sum(losses)
            losses = total / float(count) if reduction == "mean" else total
        return cast_to(xp, losses, self.out_dtype) if self.low else losses

    def _upcast(self, xp: Any, arrays: tuple[Any, ...]) -> tuple[Any, ...]:
        """Remember each input's dtype (``self.dtypes``); float16/bfloat16 ones in float32."""
        dtypes = []
        low = False
        asked = None
        for a in arrays:  # (a loop, not generators: this runs in every loss call)
            d = getattr(a, "dtype", None)
            dtypes.append(d)
            if d is not None and d is not asked and not low:  # (input and target mostly share one dtype: ask once)
                asked = d
                low = is_low_precision(xp, d)
        self.dtypes = tuple(dtypes)
        self.low = low
        if not low:
            return arrays
        floats = [a for a in arrays if a is not None and xp.isdtype(a.dtype, "real floating")]
        self.out_dtype = xp.result_type(*floats) if floats else arrays[0].dtype
        return tuple(upcast(xp, a) for a in arrays)

    def _cast_back(self, xp: Any, grads: Any) -> Any:
        """Gradients in the dtypes of their inputs (after a float32 computation, or a promoted target)."""
        if not isinstance(grads, tuple):
            return cast_to(xp, grads, self.dtypes[0])
        return tuple(cast_to(xp, g, d) if d is not None else g for g, d in zip(grads, self.dtypes))

    def backward(self, xp: Any, g: Any) -> Any:
        if self.low:
            g = upcast(xp, g)
        if self.reduction == "mean":
            g = g / float(self.count)
        return self._cast_back(xp, self.grad(xp, g))


class MSE(_Reduced):
    """Squared error; its own ``backward`` scales once, as PyTorch does (``2 / n`` for the mean)."""

    def elementwise(self, xp: Any, x: Any, y: Any) -> Any:
        self.diff = x - y
        return self.diff * self.diff

    def backward(self, xp: Any, g: Any) -> tuple[Any, Any]:
        # PyTorch's order, (2 / n for the mean) * diff * g: with a 0-d g, NumPy multiplies a Python float into
        # the small diff faster than into g (where it makes a scalar that then costs more to broadcast)
        d = self.diff * (2.0 / float(self.count) if self.reduction == "mean" else 2.0)
        d = d * (upcast(xp, g) if self.low else g)
        grads = d, (-d if self.needs_input_grad[1] else None)
        return self._cast_back(xp, grads) if self.low else grads


class L1(_Reduced):
    def elementwise(self, xp: Any, x: Any, y: Any) -> Any:
        self.diff = x - y
        return xp.abs(self.diff)

    def grad(self, xp: Any, g: Any) -> tuple[Any, Any]:
        diff = self.diff
        if not isdtype(xp, diff.dtype, "complex floating"):
            d = g * sign(xp, diff)
            return d, -d
        # PyTorch's gradient of |z| for a complex difference: g sgn(z), sgn(0) = 0; a real operand takes the real part
        magnitude = xp.abs(diff)
        d = xp.astype(g / xp.where(magnitude == 0, xp.ones_like(magnitude), magnitude), diff.dtype) * diff
        return tuple(part if isdtype(xp, dtype, "complex floating") else xp.real(part)
                     for part, dtype in zip((d, -d), self.dtypes))


class Huber(_Reduced):
    """``0.5 d^2`` for |d| <= delta, ``delta (|d| - delta/2)`` beyond; ``scale`` divides (smooth L1)."""

    delta: float
    scale: float = 1.0

    def elementwise(self, xp: Any, x: Any, y: Any) -> Any:
        d = x - y
        self.diff = d
        a = xp.abs(d)
        self.small = a < self.delta
        inner = xp.where(self.small, d, xp.zeros_like(d))  # d * d of the far branch may overflow, unused
        losses = xp.where(self.small, 0.5 * inner * inner, self.delta * (a - 0.5 * self.delta))
        return losses / self.scale if self.scale != 1.0 else losses

    def grad(self, xp: Any, g: Any) -> tuple[Any, Any]:
        d = self.diff
        grad = xp.where(self.small, d, self.delta * xp.sign(d))
        if self.scale != 1.0:
            grad = grad / self.scale
        grad = g * grad
        return grad, -grad


class BinaryCrossEntropy(_Reduced):
    """On probabilities; each log is clamped at -100 so a saturated prediction gives 100, as PyTorch."""

    ties_constant_gradient = False  # each gradient reads the probabilities: a constant where they are

    def elementwise(self, xp: Any, p: Any, y: Any, weight: Any = None) -> Any:
        # input and target of one dtype, after autocast's cast (PyTorch: 'Found dtype Double but expected Float')
        check_same_dtype("binary_cross_entropy", ("input", "target"), (p, y))
        self.p, self.y, self.weight = p, y, weight
        self.log_p = _clamped_log(xp, p, xp.log, p > 0.0, 1.0)
        self.log_q = _clamped_log(xp, -p, xp.log1p, p < 1.0, 0.0)
        losses = -(y * self.log_p + (1.0 - y) * self.log_q)
        return losses * weight if weight is not None else losses

    def grad(self, xp: Any, g: Any) -> tuple[Any, ...]:
        p, y = self.p, self.y
        # PyTorch's 1e-12 floor, raised to the dtype's smallest normal number where 1e-12 rounds to 0 (float16)
        denom = xp.clip((1.0 - p) * p, max(1e-12, float(xp.finfo(self.dtypes[0]).smallest_normal)), None)
        grad = g * (p - y) / denom
        if self.weight is not None:
            grad = grad * self.weight
        grad_y = None
        if self.needs_input_grad[1]:
            grad_y = g * (self.log_q - self.log_p)
            if self.weight is not None:
                grad_y = grad_y * self.weight
        return grad, grad_y, None


def _clamped_log(xp: Any, x: Any, log: Any, defined: Any, harmless: float) -> Any:
    """``log(x)`` clamped below at -100 (as PyTorch's BCE), never evaluated where it is -inf.

    ``defined`` marks where ``log(x)`` is finite; elsewhere the result is -100 and ``log`` sees
    ``harmless`` instead, so NumPy raises no divide-by-zero warning.
    """
    safe = xp.where(defined, x, xp.full_like(x, harmless))
    return xp.where(defined, xp.clip(log(safe), -100.0, None), xp.full_like(x, -100.0))


class BinaryCrossEntropyWithLogits(_Reduced):
    """``-w [pw y log s(x) + (1-y) log(1-s(x))]`` computed from logits: finite for any x."""

    ties_constant_gradient = False  # each gradient reads the logits: a constant where they are

    def elementwise(self, xp: Any, x: Any, y: Any, weight: Any = None, pos_weight: Any = None) -> Any:
        self.x, self.y, self.weight, self.pos_weight = x, y, weight, pos_weight
        log_sig_neg = softplus(xp, -x)  # -log sigmoid(x), with no overflow
        if pos_weight is None:
            losses = (1.0 - y) * x + log_sig_neg
        else:
            losses = (1.0 - y) * x + (1.0 + (pos_weight - 1.0) * y) * log_sig_neg
        return losses * weight if weight is not None else losses

    def grad(self, xp: Any, g: Any) -> tuple[Any, ...]:
        x, y = self.x, self.y
        sig = op(self.backend, "sigmoid")(x)  # (recorded: SigmoidFunction, exact to every order at 0)
        if self.pos_weight is None:
            grad = sig - y
        else:
            grad = (1.0 + (self.pos_weight - 1.0) * y) * (sig - 1.0) + (1.0 - y)
        grad = g * grad
        grad_y = None
        if self.needs_input_grad[1]:
            log_sig_neg = softplus(xp, -x)
            gy = -x if self.pos_weight is None else -x + (self.pos_weight - 1.0) * log_sig_neg
            grad_y = g * gy
        if self.weight is not None:
            grad = grad * self.weight
            grad_y = grad_y * self.weight if grad_y is not None else None
        return grad, grad_y, None, None


class ClassLoss(Function):
    """Cross-entropy on logits (``from_logits``) or negative log-likelihood on log-probabilities.

    Works on (M, C) rows. Every row's loss is ``-sum_c q[m, c] * logp[m, c]``: ``q`` holds the
    (smoothed, class-weighted, ignore-masked) target distribution, which makes the gradient
    ``softmax * sum(q) - q`` for logits and ``-q`` for log-probabilities. Terms with ``q = 0`` are 0, also
    where ``logp`` is -inf (a masked class). float16/bfloat16 scores are computed in float32.
    """

    from_logits: bool
    reduction: str
    label_smoothing: float
    ignore_index: int
    num_classes: int

    @property
    def ties_constant_gradient(self) -> bool:  # type: ignore[override]
        """PyTorch's nll_loss gradient reads the scores (a zero derivative there): tied where they require grad;
        a probability target's gradient, -log p, is a constant where the scores are."""
        return bool(self.needs_input_grad[0])

    def forward(self, xp: Any, scores: Any, target: Any, weight: Any = None) -> Any:
        self.dtypes = (scores.dtype, target.dtype)
        self.low = is_low_precision(xp, scores.dtype)
        if self.low:
            scores, target, weight = upcast(xp, scores), upcast(xp, target), upcast(xp, weight)
        C = scores.shape[-1]
        if self.from_logits:
            self.softmax, logp = softmax_and_log(xp, scores, -1)
        else:
            logp = scores
        eps = self.label_smoothing
        picked_logp = None
        if _is_integer(xp, target):
            valid = target != self.ignore_index
            safe = xp.where(valid, target, xp.zeros_like(target))
            valid_f = xp.astype(valid, logp.dtype)[:, None]
            q = None
            if not eps and weight is None:
                # one class per row: its log-probability gathered (the dense sum below adds it to zeros: the same
                # value), the valid rows counted; the (M, C) one-hot only for a backward (ten passes of M x C)
                picked_logp = xp.take_along_axis(logp, safe[:, None], axis=-1)[:, 0]
                denominator = xp.sum(valid_f)
                if self.needs_input_grad[0]:
                    classes = xp.arange(C, dtype=target.dtype, device=_device(target))
                    q = xp.astype(safe[:, None] == classes[None, :], logp.dtype) * valid_f
            else:
                classes = xp.arange(C, dtype=target.dtype, device=_device(target))
                onehot = xp.astype(safe[:, None] == classes[None, :], logp.dtype)
                w = weight[None, :] if weight is not None else None
                q = onehot * (1.0 - eps) + eps / C if eps else onehot
                q = q * w if w is not None else q
                q = q * valid_f
                picked = onehot * w if w is not None else onehot
                denominator = xp.sum(picked * valid_f)
            self.valid = valid
            # each row's sum(q), which the gradient on logits needs: the 0/1 valid mask for plain one-hot targets
            self.q_total = valid_f if not eps and weight is None else None
        else:
            self.valid = None
            self.q_total = None
            q = target * (1.0 - eps) + eps / C if eps else target
            if weight is not None:
                q = q * weight[None, :]
            rows = scores.shape[0]  # None: a symbolic batch (ONNX export), counted when the graph runs
            denominator = float(rows) if rows is not None else xp.sum(xp.ones_like(scores[:, 0]))
            if self.needs_input_grad[1]:  # probabilities may be differentiated too, as in PyTorch
                self.logp, self.weight = logp, weight
        self.q = q
        if picked_logp is not None:  # (ignored rows: 0, as the dense sum of their zero row)
            losses = -xp.where(valid, picked_logp, xp.zeros_like(picked_logp))
        else:
            # 0 * log p is 0 where q is 0, also where p is 0 (a class masked with a -inf logit)
            losses = -xp.sum(q * xp.where(q == 0, xp.zeros_like(logp), logp), axis=-1)
        if self.reduction == "none":
            self.scale = None
        elif self.reduction == "sum":
            self.scale = None
            losses = xp.sum(losses)
        else:
            self.scale = denominator
            losses = xp.sum(losses) / denominator
        return cast_to(xp, losses, self.dtypes[0]) if self.low else losses

    def backward(self, xp: Any, g: Any) -> tuple[Any, Any, None]:
        if self.low:
            g = upcast(xp, g)
        if self.scale is not None:
            g = g / self.scale
            if self.valid is not None:  # ignored rows get 0, also when all are (PyTorch's NaN mean, zero gradient)
                g = xp.where(self.valid[:, None], g, xp.zeros_like(g))
        g = g[:, None] if g.ndim == 1 else g
        q = self.q
        grad = grad_target = None
        if self.needs_input_grad[0]:
            if self.from_logits:
                total = self.q_total if self.q_total is not None else xp.sum(q, axis=-1, keepdims=True)
                grad = (self.softmax * total - q) * g
            else:
                grad = -q * g
        if self.needs_input_grad[1]:
            grad_target = -(1.0 - self.label_smoothing) * self.logp * g
            if self.weight is not None:
                grad_target = grad_target * self.weight[None, :]
        if self.low:
            grad, grad_target = cast_to(xp, grad, self.dtypes[0]), cast_to(xp, grad_target, self.dtypes[1])
        return grad, grad_target, None


def _is_integer(xp: Any, a: Any) -> bool:
    return isdtype(xp, a.dtype, "integral")


def _device(a: Any) -> Any:
    return device_of(a)


# the argument checks, under the names the loss modules built on this one import
_check_reduction = check_reduction
_check_same_shape = check_same_shape
_option_array = option_array
_data = data_of


def _regression_args(name: str, input: Any, target: Any, reduction: str, complex_ok: bool = False) -> Any:
    """The checked target of a regression loss (integers and booleans promoted to the input's dtype); complex
    inputs only where ``complex_ok`` (PyTorch's l1_loss takes them)."""
    check_input(name, input)
    check_reduction(name, reduction)
    if not (complex_ok and isdtype(input.backend.xp, input.array.dtype, "complex floating")):
        check_floating(name, "input", input, input.backend.xp)  # PyTorch's kernels refuse integers ("not implemented")
    target = as_operand(name, "target", target, input)
    check_same_shape(name, input, target)
    return float_target(name, target, input)


def _integer_input_promoted(input: Any, target: Any) -> Any:
    """An integer ``input`` against a floating ``target`` in the target's dtype, as PyTorch's mse, l1 and smooth_l1
    compute it (integers against integers are refused, by `_regression_args`)."""
    if isinstance(input, Tensor) and not is_floating(input) and hasattr(target, "dtype") and is_floating(target):
        return input.astype(data_dtype(target))
    return input


def mse_loss(input: Any, target: Any, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Any = None) -> Any:
    """Squared error ``(input - target)^2``; ``weight`` (input's shape) scales each term, and ``"mean"`` then
    divides by the weights' sum. ``size_average``/``reduce``: PyTorch's deprecated spelling of ``reduction``."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        input = _integer_input_promoted(input, target)  # noqa: A001
        target = _regression_args("mse_loss", input, target, reduction)
        return weighted("mse_loss", MSE.apply(input, target, reduction="none"), weight, input, reduction, True)
    if not (reduction in REDUCTIONS and isinstance(input, Tensor) and isinstance(target, Tensor)
            and target.backend is input.backend and input.array.shape == target.array.shape
            and target.array.dtype == input.array.dtype and is_real_floating(input)):  # the checks, inline (0.2 us)
        input = _integer_input_promoted(input, target)  # noqa: A001
        target = _regression_args("mse_loss", input, target, reduction)
    return MSE.apply(input, target, reduction=reduction)


def l1_loss(input: Any, target: Any, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Any = None) -> Any:
    """Absolute error ``|input - target|``; ``weight`` as in `mse_loss`."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    refuse_boolean_subtraction(input, target)  # (PyTorch's |input - target| refuses a bool operand)
    input = _integer_input_promoted(input, target)  # noqa: A001
    target = _regression_args("l1_loss", input, target, reduction, complex_ok=True)
    if weight is not None:
        return weighted("l1_loss", L1.apply(input, target, reduction="none"), weight, input, reduction, True)
    return L1.apply(input, target, reduction=reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None) -> Any:
    """Huber loss; ``weight`` (input's shape) scales each term, and ``"mean"`` stays the mean over the elements."""
    target = _regression_args("huber_loss", input, target, reduction)
    if not delta > 0:
        raise InvalidValueError(f"huber_loss: delta must be positive, got {delta}")
    if weight is not None:
        losses = Huber.apply(input, target, reduction="none", delta=float(delta))
        return weighted("huber_loss", losses, weight, input, reduction, False)
    return _in_dtype_of(input, Huber.apply(input, target, reduction=reduction, delta=float(delta)), Huber)


def _in_dtype_of(operand: Any, loss: Tensor, function: type) -> Tensor:
    """``loss`` in ``operand``'s floating dtype, where PyTorch's kernel writes into a tensor of that dtype (huber_loss
    into the input's, BCE with logits into the target's: a float32 input beside a float64 target gives float32).
    The operand's dtype is the one ``function`` runs it in: under autocast, after autocast's cast (float16 inputs
    of a float32-family loss give float32)."""
    if isinstance(operand, Tensor) and operand.is_floating_point():
        dtype = (operand.array.dtype if function.autocast is None else
                 dtype_under_autocast(function.autocast, function.__name__, operand))
        if loss.array.dtype != dtype:
            return loss.astype(dtype)
    return loss


def smooth_l1_loss(input: Any, target: Any, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Any:
    """Huber loss divided by ``beta`` (``beta = 0`` is the L1 loss)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    input = _integer_input_promoted(input, target)  # noqa: A001
    target = _regression_args("smooth_l1_loss", input, target, reduction)
    if beta < 0:
        raise InvalidValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return L1.apply(input, target, reduction=reduction)
    return Huber.apply(input, target, reduction=reduction, delta=float(beta), scale=float(beta))


def _binary_args(name: str, input: Any, target: Any, reduction: str) -> Any:
    check_input(name, input)
    check_reduction(name, reduction)
    target = as_operand(name, "target", target, input)
    check_same_shape(name, input, target)
    xp = input.backend.xp
    check_floating(name, "input", input, xp)
    check_floating(name, "target", target, xp)
    return target


def _binary_option(name: str, what: str, value: Any, input: Any) -> Any:
    value = option_array(name, what, value, input)
    if value is not None:
        check_broadcasts_to(name, what, value, tuple(input.shape))
    return value


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Any:
    """BCE on probabilities in [0, 1]. Prefer `binary_cross_entropy_with_logits`: it cannot overflow.

    Inputs or targets outside [0, 1], or NaN, raise as PyTorch's ("all elements of input should be between
    0 and 1"): a model whose weights went NaN fails here instead of training on a finite loss.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    name = "binary_cross_entropy"
    target = _binary_args(name, input, target, reduction)
    if target.dtype != input.dtype:  # (PyTorch's kernel; its BCE with logits and MSE promote)
        raise DTypeMismatchError(f"{name}: Found dtype {dtype_name(target.dtype)} but expected "
                                 f"{dtype_name(input.dtype)} (the target's and the input's), as PyTorch; cast the "
                                 "target with target.to(input.dtype)")
    check_probabilities(name, "input", input, input.backend)
    check_probabilities(name, "target", target, input.backend)
    weight = _binary_option(name, "weight", weight, input)
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Any:
    """BCE of ``sigmoid(input)`` computed from the logits: finite for any logit."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    name = "binary_cross_entropy_with_logits"
    target = _binary_args(name, input, target, reduction)
    weight = _binary_option(name, "weight", weight, input)
    pos_weight = _binary_option(name, "pos_weight", pos_weight, input)
    return _in_dtype_of(target, BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                                                   reduction=reduction), BinaryCrossEntropyWithLogits)


def cross_entropy(input: Any, target: Any, weight: Any = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Any:
    """Softmax cross-entropy of logits ``input`` against class indices or class probabilities."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    return _class_loss("cross_entropy", True, input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Any:
    """Negative log-likelihood of log-probabilities ``input`` (e.g. from `log_softmax`)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    return _class_loss("nll_loss", False, input, target, weight, ignore_index, reduction, 0.0)


def _probability_cross_entropy_of_a_learned_weight(input: Tensor, target: Tensor, weight: Tensor,
                                                   label_smoothing: float, reduction: str) -> Tensor:
    """Cross-entropy of logits input (N, C, *) or (C,) against probabilities target (same shape) with a class
    weight (C,) that requires grad: PyTorch's composite, ``-sum_c w_c q_c log_softmax(x)_c`` per element with
    ``q = (1 - s) p + s / C``, its mean over the N * prod(*) elements (not over the weights). The fused
    `ClassLoss` takes its weight as a constant."""
    dim = 0 if input.ndim == 1 else 1
    classes = int(input.shape[dim])
    q = target if label_smoothing == 0.0 else target * (1.0 - label_smoothing) + label_smoothing / classes
    if weight.dtype != input.dtype:
        weight = weight.to(input.dtype)
    losses = -(input.log_softmax(dim) * q * weight.reshape((classes,) + (1,) * (input.ndim - dim - 1))).sum(dim)
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / float(input.numel() // classes)  # (an empty batch: NaN, as PyTorch)


def _class_loss(name: str, from_logits: bool, input: Any, target: Any, weight: Any, ignore_index: int,
                reduction: str, label_smoothing: float) -> Any:
    check_input(name, input)
    check_reduction(name, reduction)
    ignore_index = python_ints(ignore_index)  # (np.int64: the standard's comparisons take Python scalars only)
    if not label_smoothing <= 1.0:
        raise InvalidValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    label_smoothing = max(label_smoothing, 0.0)  # a negative one smooths nothing, as PyTorch's (it checks <= 1 only)
    target = as_operand(name, "target", target, input)
    target_data = data_of(target)
    xp = input.backend.xp
    check_floating(name, "input", input, xp)
    integer = _is_integer(xp, target_data)
    if input.ndim == 0:
        raise ShapeMismatchError(f"{name}: input must have a class dimension, got a scalar")
    squeeze = input.ndim == 1
    C = input.shape[0] if squeeze else input.shape[1]
    if integer:
        expected = () if squeeze else (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target_data.shape) != tuple(expected):
            raise ShapeMismatchError(f"{name}: class-index target must have shape {tuple(expected)} for input "
                                     f"{tuple(input.shape)}, got {tuple(target_data.shape)}")
        target_data = class_target(name, target_data, input, C, ignore_index)
    else:
        if not name.startswith("cross"):
            raise UnsupportedDTypeError(f"{name}: target must hold integer class indices, got {target_data.dtype}")
        if ignore_index != -100:
            raise InvalidValueError(f"{name}: ignore_index is not supported for probability targets (got "
                                    f"ignore_index={ignore_index} with a {target_data.dtype} target)")
        if tuple(target_data.shape) != tuple(input.shape):
            hint = " (class indices must be an integer tensor: target.long())" if (
                tuple(target_data.shape) == (() if squeeze else (input.shape[0],) + tuple(input.shape[2:]))) else ""
            raise ShapeMismatchError(f"{name}: probability target must have the input's shape {tuple(input.shape)}, "
                                     f"got {tuple(target_data.shape)}{hint}")
        if target_data.dtype != input.dtype:
            if not is_real_floating(target_data):
                raise UnsupportedDTypeError(f"{name}: probability target dtype {target_data.dtype} differs from "
                                            f"input {input.dtype}")
            # PyTorch's composite promotes both (float32 logits against float64 soft labels: a float64 loss)
            common = xp.result_type(input.dtype, target_data.dtype)
            input = input if input.dtype == common else input.to(common)
            target = target.to(common) if isinstance(target, Tensor) else cast_to(xp, target_data, common)
            target_data = data_of(target)
    # (a weight of probability targets may require grad: PyTorch's composite, as below)
    weight_data = option_array(name, "weight", weight, input, refuse_grad=integer, same_dtype=integer)
    if weight_data is not None and tuple(weight_data.shape) != (C,):
        raise ShapeMismatchError(f"{name}: weight must have shape ({C},), got {tuple(weight_data.shape)}")
    # bring classes to the last axis and flatten to rows; a probability target stays a Tensor (it may want grads)
    if integer:
        target = target_data
    elif not isinstance(target, Tensor):
        target = Tensor._make(target_data, input.backend, None, 0)
    if not integer and isinstance(weight, Tensor) and weight.requires_grad and is_grad_enabled():
        return _probability_cross_entropy_of_a_learned_weight(input, target, weight, label_smoothing, reduction)
    if squeeze:
        rows = reshape(input, (1, C))
        row_target = xp.reshape(target, (1,)) if integer else reshape(target, (1, C))
    elif input.ndim == 2:
        rows, row_target = input, target
    else:
        order = (0,) + tuple(range(2, input.ndim)) + (1,)
        rows = reshape(permute(input, order), (-1, C))
        row_target = xp.reshape(target, (-1,)) if integer else reshape(permute(target, order), (-1, C))
    out = ClassLoss.apply(rows, row_target, weight_data, from_logits=from_logits, reduction=reduction,
                          label_smoothing=float(label_smoothing), ignore_index=int(ignore_index),
                          num_classes=C)
    if reduction == "none":
        if squeeze:
            return reshape(out, ())
        if input.ndim > 2:
            return reshape(out, (input.shape[0],) + tuple(input.shape[2:]))
    return out
