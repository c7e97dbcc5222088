"""Losses between distributions: `kl_div`, `poisson_nll_loss`, `gaussian_nll_loss`.

Each is one fused primitive with its reduction. Inputs broadcast against each other as in PyTorch;
gradients are summed back to each input's shape.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend.arrays import check
from ..backend.typing import Namespace
from .loss import _Reduced
from .elementwise import as_common_floating
from .loss_inputs import as_operand, check_broadcast_together, check_input
from .loss_reduction import check_reduction, legacy_reduction
from .value_checks import (UnsupportedDTypeError, check_one_backend, data_dtype, is_floating,
                           refuse_boolean_subtraction, refuse_complex)
from ..backend import dtype_name

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return tuple(j if i == 1 else i for i, j in zip(a, b))


def _to_input(xp: Namespace, grad: Any, loss_shape: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """A gradient with the input's shape: spread over the loss's shape first (a slope may lack broadcast axes)."""
    if tuple(grad.shape) != loss_shape:
        grad = xp.broadcast_to(grad, loss_shape)
    return sum_to_shape(xp, grad, shape)


class KLDivergence(_Reduced):
    """``target * (log(target) - input)`` (0 where target is 0), or ``exp(t) * (t - input)`` for log targets.

    ``reduction="batchmean"`` is the sum of the losses divided by ``divisor``, the size of the first axis.
    """

    ties_constant_gradient = False  # PyTorch's input gradient, -target (or -exp(target)), reads no input
    log_target: bool
    divisor: float = 1.0

    def elementwise(self, xp: Namespace, x: Any, t: Any) -> Any:
        self.x, self.t, self.shapes = x, t, (_shape(x), _shape(t))
        self.loss_shape = _broadcast(_shape(x), _shape(t))
        if self.log_target:
            self.exp_t = xp.exp(t)
            losses = self.exp_t * (t - x)
        else:
            self.nonzero = t != 0
            # xlogy(t, t): t log t with 0 at t = 0 (log is NaN below 0, as PyTorch's)
            self.log_t = xp.log(xp.where(self.nonzero, t, xp.ones_like(t)))
            losses = xp.where(self.nonzero, t * self.log_t, xp.zeros_like(t)) - t * x
        return losses / self.divisor if self.divisor != 1.0 else losses

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        if self.divisor != 1.0:
            g = g / self.divisor
        need_x, need_t = self.needs_input_grad
        grad_x = grad_t = None
        weight = self.exp_t if self.log_target else self.t
        if need_x:
            grad_x = _to_input(xp, -(g * weight), self.loss_shape, self.shapes[0])
        if need_t:
            if self.log_target:
                slope = self.exp_t * (self.t - self.x + 1.0)
            else:  # PyTorch's xlogy gradient: log(t) + t / t, NaN at t = 0
                one = xp.where(self.nonzero, xp.ones_like(self.t), xp.full_like(self.t, math.nan))
                slope = self.log_t + one - self.x
            grad_t = _to_input(xp, g * slope, self.loss_shape, self.shapes[1])
        return grad_x, grad_t


class PoissonNLL(_Reduced):
    """``exp(x) - t * x`` (log input) or ``x - t * log(x + eps)``, plus Stirling's term for ``t > 1`` if full."""

    ties_constant_gradient = False  # PyTorch's composite: smooth in both inputs, constant where they are

    log_input: bool
    full: bool
    eps: float

    def elementwise(self, xp: Namespace, x: Any, t: Any) -> Any:
        self.x, self.t, self.shapes = x, t, (_shape(x), _shape(t))
        self.loss_shape = _broadcast(_shape(x), _shape(t))
        if self.log_input:
            self.exp_x = xp.exp(x)
            losses = self.exp_x - t * x
        else:
            self.log_x = xp.log(x + self.eps)
            losses = x - t * self.log_x
        if self.full:
            self.stirling = t > 1
            self.safe_t = xp.where(self.stirling, t, xp.ones_like(t))
            safe = self.safe_t
            term = safe * xp.log(safe) - safe + 0.5 * xp.log(2.0 * math.pi * safe)
            losses = losses + xp.where(self.stirling, term, xp.zeros_like(term))
        return losses

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_x, need_t = self.needs_input_grad
        grad_x = grad_t = None
        if need_x:
            slope = self.exp_x - self.t if self.log_input else 1.0 - self.t / (self.x + self.eps)
            grad_x = _to_input(xp, g * slope, self.loss_shape, self.shapes[0])
        if need_t:
            slope = -self.x if self.log_input else -self.log_x
            if self.full:
                safe = self.safe_t
                # PyTorch masks Stirling's term after taking log(t): zero times its infinite (or NaN) slope where
                # t <= 0, so NaN there, as its (and KL's xlogy) target gradient
                masked = xp.where(self.t > 0, xp.zeros_like(safe), xp.full_like(safe, math.nan))
                slope = slope + xp.where(self.stirling, xp.log(safe) + 0.5 / safe, masked)
            grad_t = _to_input(xp, g * slope, self.loss_shape, self.shapes[1])
        return grad_x, grad_t


class GaussianNLL(_Reduced):
    """``0.5 * (log(max(var, eps)) + (x - t)^2 / max(var, eps))`` (+ ``0.5 log(2 pi)`` if full).

    As in PyTorch, the clamp at ``eps`` changes the value but not the path of ``var``'s gradient: the clamped
    variance is ``var + lift``, with ``lift = max(var, eps) - var`` a constant, to every order.
    """

    full: bool
    eps: float
    lift: Any = None

    def elementwise(self, xp: Namespace, x: Any, t: Any, var: Any) -> Any:
        self.shapes = (_shape(x), _shape(t), _shape(var))
        if self.lift is None:
            self.var = xp.clip(var, self.eps, None)
            self.lift = self.var - var
        else:  # the forward rerun on graph Tensors (create_graph): the lift the first pass found, as a constant
            self.var = var + xp.asarray(self.lift)
        self.diff = x - t
        losses = 0.5 * (xp.log(self.var) + self.diff * self.diff / self.var)
        return losses + _HALF_LOG_2PI if self.full else losses

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        need_x, need_t, need_var = self.needs_input_grad
        scaled = g * (self.diff / self.var)
        grad_var = None
        if need_var:
            grad_var = sum_to_shape(xp, g * 0.5 * (1.0 - self.diff * self.diff / self.var) / self.var,
                                    self.shapes[2])
        return (sum_to_shape(xp, scaled, self.shapes[0]) if need_x else None,
                sum_to_shape(xp, -scaled, self.shapes[1]) if need_t else None, grad_var)


def kl_div(input: Any, target: Any, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Any:
    """Kullback-Leibler divergence of ``target`` from log-probabilities ``input`` (same shape, or broadcast).

    ``reduction``: ``"batchmean"`` (the sum over the batch divided by its size: KL's definition), ``"sum"``,
    ``"none"``, or ``"mean"`` (divides by every element, with PyTorch's warning).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_input("kl_div", input)
    check_one_backend("kl_div", input, target)
    target = as_operand("kl_div", "target", target, input)
    check_broadcast_together("kl_div", input=input, target=target)
    refuse_complex("kl_div", input, target)
    for what, value in (("input", input), ("target", target)):
        if hasattr(value, "dtype") and not is_floating(value):  # PyTorch: "kl_div: Integral inputs not supported."
            raise UnsupportedDTypeError(f"kl_div(): {what} must be floating point, got dtype "
                                        f"{dtype_name(data_dtype(value))}; cast it first (x.float())")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    elif reduction == "batchmean":
        if input.ndim and input.shape[0] is None:  # a symbolic batch (ONNX export): the mean over it as the graph runs
            losses = KLDivergence.apply(input, target, reduction="none", log_target=bool(log_target))
            return (losses.sum(tuple(range(1, losses.ndim))) if losses.ndim > 1 else losses).mean()
        divisor = float(input.shape[0]) if input.ndim else 1.0
        total = KLDivergence.apply(input, target, reduction="sum", log_target=bool(log_target),
                                   divisor=divisor or 1.0)
        return total * float("nan") if divisor == 0.0 else total  # an empty batch: PyTorch's 0 / 0
    check_reduction("kl_div", reduction)
    return KLDivergence.apply(input, target, reduction=reduction, log_target=bool(log_target))


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Any:
    """Poisson negative log-likelihood of ``target`` counts with rate ``exp(input)`` (``log_input``) or ``input``.

    ``full`` adds Stirling's approximation of ``log(target!)`` where ``target > 1``.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("poisson_nll_loss", reduction)
    check_input("poisson_nll_loss", input)
    check_one_backend("poisson_nll_loss", input, target)
    target = as_operand("poisson_nll_loss", "target", target, input)
    check_broadcast_together("poisson_nll_loss", input=input, target=target)
    input, target = as_common_floating(input, target)
    return PoissonNLL.apply(input, target, reduction=reduction, log_input=bool(log_input), full=bool(full),
                            eps=float(eps))


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Any:
    """Gaussian negative log-likelihood of ``target`` given means ``input`` and variances ``var``.

    ``var`` is shaped like ``input`` (heteroscedastic), like it without the last axis or with one axis of size 1
    (homoscedastic), or a float. Negative variances raise `ValueError` (as PyTorch).
    """
    from .shape import unsqueeze

    check_reduction("gaussian_nll_loss", reduction)
    check_input("gaussian_nll_loss", input)
    refuse_boolean_subtraction(input, target)  # (PyTorch's input - target refuses a bool operand)
    refuse_complex("gaussian_nll_loss", var)  # PyTorch's check of var < 0 refuses it ("lt_cpu" not implemented)
    check_one_backend("gaussian_nll_loss", input, target, var)
    if not isinstance(var, (int, float)) and not is_floating(var):  # PyTorch clamps var in place: refused there
        raise UnsupportedDTypeError(f"gaussian_nll_loss: var must be floating point, got dtype "
                                    f"{dtype_name(data_dtype(var))}; cast it first (var.float())")
    if isinstance(var, (int, float)):
        input, target = as_common_floating(input, target)
    else:
        input, target, var = as_common_floating(input, target, var)
    xp = input.backend.xp
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = Tensor._make(xp.full_like(input.array, float(var)), input.backend, None, 0)
    else:
        if not isinstance(var, Tensor):
            var = Tensor._make(input.backend.asarray(var, input.dtype), input.backend, None, 0)
        check(input.backend, var.array < 0, "gaussian_nll_loss: var has negative entry/entries")
        in_shape, var_shape = tuple(input.shape), tuple(var.shape)
        if var_shape != in_shape:
            if in_shape[:-1] == var_shape:
                var = unsqueeze(var, -1)
            elif not (len(in_shape) == len(var_shape)
                      and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1):
                raise ValueError(f"gaussian_nll_loss: var is of incorrect size {var_shape} for input {in_shape}: "
                                 "expected the input's shape, that shape without its last dimension, or it with "
                                 "one dimension of size 1")
    return GaussianNLL.apply(input, target, var, reduction=reduction, full=bool(full), eps=float(eps))
