"""Margin and soft-margin losses: `margin_ranking_loss`, `hinge_embedding_loss`, `soft_margin_loss`,
`multilabel_soft_margin_loss`, `multi_margin_loss`, `multilabel_margin_loss`.

Each is one fused primitive with its reduction (``"mean"``, ``"sum"``, ``"none"``), PyTorch's arguments
(including the deprecated ``size_average``/``reduce``) and PyTorch's gradients. The soft margins are computed
from the logits, so they stay finite for any input.
"""

from __future__ import annotations

from typing import Any

from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend import Backend, op
from ..backend.arrays import check
from ..backend.typing import Namespace
from .elementwise import as_common_floating
from .formulas.logistic import softplus as _softplus
from .loss import _device, _in_dtype_of, _Reduced
from .loss_inputs import _type_name, check_broadcast_together, check_broadcasts_to, check_input, float_target
from .loss_reduction import check_reduction, check_same_shape, data_of, legacy_reduction, option_array
from .scatter_reduce import IndexingError
from .value_checks import NotATensorError, ShapeMismatchError, UnsupportedDTypeError
from .value_checks import check_floating as check_value_floating
from .value_checks import check_one_backend, refuse_boolean_subtraction, refuse_complex, require_tensor


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


class MarginRanking(_Reduced):
    """``max(0, -y * (x1 - x2) + margin)``."""

    ties_constant_gradient = False  # the gradient through a mask of the margin

    margin: float

    def elementwise(self, xp: Namespace, x1: Any, x2: Any, y: Any) -> Any:
        self.shapes = (_shape(x1), _shape(x2), _shape(y))
        self.y, self.diff = y, x1 - x2
        z = -y * self.diff + self.margin
        self.active = z >= 0  # PyTorch's clamp_min passes the gradient at 0 (and none at NaN)
        return xp.where(z <= 0, xp.zeros_like(z), z)  # NaN stays NaN (PyTorch's clamp_min), its gradient 0

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        need1, need2, need_y = self.needs_input_grad
        g = xp.where(self.active, g, xp.zeros_like(g))
        gx = -g * self.y
        return (sum_to_shape(xp, gx, self.shapes[0]) if need1 else None,
                sum_to_shape(xp, -gx, self.shapes[1]) if need2 else None,
                sum_to_shape(xp, -g * self.diff, self.shapes[2]) if need_y else None)


class HingeEmbedding(_Reduced):
    """``x`` where ``y != -1`` plus ``max(0, margin - x)`` where ``y != 1`` (for y = +-1: one of the two)."""

    margin: float

    def elementwise(self, xp: Namespace, x: Any, y: Any) -> Any:
        self.x_shape = _shape(x)
        below = self.margin - x
        self.hinge = (y != 1) & (below > 0)
        self.linear = y != -1
        zero = xp.zeros_like(below)
        clamped = xp.where(below <= 0, zero, below)  # NaN stays NaN (PyTorch's clamp_min), its gradient 0
        return xp.where(y != 1, clamped, zero) + xp.where(self.linear, x + zero, zero)

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        slope = xp.astype(self.linear, g.dtype) - xp.astype(self.hinge, g.dtype)
        return sum_to_shape(xp, g * slope, self.x_shape), None


class SoftMargin(_Reduced):
    """``log(1 + exp(-y * x))``, from the logits: finite for any ``x``."""

    def elementwise(self, xp: Namespace, x: Any, y: Any) -> Any:
        self.x, self.y, self.shapes = x, y, (_shape(x), _shape(y))
        self.z = -y * x
        return _softplus(xp, self.z)

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_x, need_y = self.needs_input_grad
        gs = -g * op(self.backend, "sigmoid")(self.z)  # (recorded: SigmoidFunction, exact at 0)
        return (sum_to_shape(xp, gs * self.y, self.shapes[0]) if need_x else None,
                sum_to_shape(xp, gs * self.x, self.shapes[1]) if need_y else None)


class MultiLabelSoftMargin(_Reduced):
    """Per sample, the mean over the classes (last axis) of ``-w [y log s(x) + (1 - y) log s(-x)]``."""

    ties_constant_gradient = False  # PyTorch's composite: smooth in each input, constant where the others are

    def elementwise(self, xp: Namespace, x: Any, y: Any, weight: Any = None) -> Any:
        self.x, self.y, self.weight = x, y, weight
        self.classes = float(x.shape[-1]) if x.ndim else 1.0
        # y log s(x) + (1 - y) log s(-x) = log s(x) - (1 - y) x, and -log s(x) = softplus(-x)
        losses = self.unweighted = _softplus(xp, -x) + (1.0 - y) * x
        if weight is not None:
            losses = losses * weight
        return xp.sum(losses, axis=-1) / self.classes if x.ndim else losses

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        need_x, need_y = self.needs_input_grad[:2]
        need_w = self.weight is not None and self.needs_input_grad[2]
        x = self.x
        if x.ndim:
            g = (g[..., None] if g.ndim else g) / self.classes
        # the weight's gradient (PyTorch's loss is a composite there, so a weight that requires grad gets one)
        gw = sum_to_shape(xp, g * self.unweighted, tuple(self.weight.shape)) if need_w else None
        if self.weight is not None:
            g = g * self.weight
        return (g * (op(self.backend, "sigmoid")(x) - self.y) if need_x else None,
                -g * x if need_y else None, gw)


def _one_hot(xp: Namespace, labels: Any, classes: int, like: Any) -> Any:
    """``labels[..., None] == arange(classes)`` in ``like``'s floating dtype."""
    arange = xp.arange(classes, dtype=labels.dtype, device=_device(like))
    return xp.astype(labels[..., None] == arange, like.dtype)


class MultiMargin(_Reduced):
    """Per sample ``sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C`` on x (N, C), y (N,)."""

    p: int
    margin: float

    def elementwise(self, xp: Namespace, x: Any, y: Any, weight: Any = None) -> Any:
        self.vector = x.ndim == 1
        if self.vector:
            x, y = x[None, :], xp.reshape(y, (1,))
        C = x.shape[-1]
        self.classes = float(C)
        self.onehot = _one_hot(xp, y, C, x)
        # selected and masked by where, not by multiplying with 0/1: an inf or NaN score elsewhere in the row made
        # 0 * inf = NaN of every term; as PyTorch's kernels, a term counts where z > 0 (a NaN term does not)
        picked = xp.sum(xp.where(self.onehot > 0, x, 0.0), axis=-1, keepdims=True)
        z = self.margin - picked + x
        self.active = xp.astype(z > 0, x.dtype) * (1.0 - self.onehot)
        self.z = xp.where(self.active > 0, z, 0.0)
        self.w = xp.take(weight, y)[:, None] if weight is not None else None
        h = self.z if self.p == 1 else self.z * self.z
        if self.w is not None:
            h = h * self.w
        losses = xp.sum(h, axis=-1) / self.classes
        return losses[0] if self.vector else losses

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, None, None]:
        if g.ndim:
            g = xp.reshape(g, (-1, 1))
        coef = self.active * g / self.classes if self.p == 1 else self.active * (2.0 * self.z) * g / self.classes
        if self.w is not None:
            coef = coef * self.w
        grad = coef - xp.where(self.onehot > 0, xp.sum(coef, axis=-1, keepdims=True), 0.0)
        return (grad[0, ...] if self.vector else grad), None, None


class MultiLabelMargin(_Reduced):
    """Per sample ``sum_{j in targets, k not in targets} max(0, 1 - (x[j] - x[k])) / C``.

    x (N, C), y (N, C) class indices, the list of targets ending at the first negative entry (a class listed
    twice counts twice, as in PyTorch).
    """

    def elementwise(self, xp: Namespace, x: Any, y: Any) -> Any:
        self.vector = x.ndim == 1
        if self.vector:
            x, y = x[None, :], y[None, :]
        C = x.shape[-1]
        self.classes = float(C)
        listed = _listed(xp, y)  # (N, C): entry j is a target
        safe = xp.where(listed, y, xp.zeros_like(y))
        self.onehot = _one_hot(xp, safe, C, x) * xp.astype(listed, x.dtype)[..., None]  # (N, J, C)
        is_target = xp.max(self.onehot, axis=1)  # (N, C)
        # (where, not products with 0/1: an inf or NaN score elsewhere made every term NaN; as MultiMargin's)
        x_listed = xp.sum(xp.where(self.onehot > 0, x[:, None, :], 0.0), axis=-1)  # (N, J): x at each listed target
        z = 1.0 - x_listed[..., None] + x[:, None, :]  # (N, J, K)
        mask = xp.astype(listed, x.dtype)[..., None] * (1.0 - is_target)[:, None, :]
        self.active = xp.astype(z > 0, x.dtype) * mask
        losses = xp.sum(xp.sum(xp.where(self.active > 0, z, 0.0), axis=-1), axis=-1) / self.classes
        return losses[0] if self.vector else losses

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        if g.ndim:
            g = xp.reshape(g, (-1, 1, 1))
        coef = self.active * g / self.classes  # (N, J, K)
        grad = xp.sum(coef, axis=1) - xp.sum(xp.where(self.onehot > 0, xp.sum(coef, axis=-1)[..., None], 0.0), axis=1)
        return (grad[0, ...] if self.vector else grad), None


def _listed(xp: Namespace, y: Any) -> Any:
    """(N, C) mask of the entries of target lists y (N, C) before each row's first negative entry."""
    C = y.shape[-1]
    ends = y < 0
    first_end = xp.where(xp.any(ends, axis=-1), xp.argmax(xp.astype(ends, xp.int32), axis=-1),
                         xp.full_like(y[:, 0], C, dtype=xp.int64))
    position = xp.arange(C, dtype=first_end.dtype, device=_device(y))
    return position[None, :] < first_end[:, None]


def _no_host_values(name: str, **inputs: Any) -> None:
    """A Python list or number where a loss wants a Tensor: PyTorch's TypeError, not a silent conversion."""
    for what, value in inputs.items():
        if isinstance(value, (list, tuple, int, float, complex)):
            raise NotATensorError(f"{name}(): argument '{what}' must be Tensor, not {_type_name(value)}; wrap it "
                                  "with anynn.tensor(...)")


def _same_ndim(name: str, *tensors: Any) -> None:
    ndims = [len(_shape(data_of(t))) for t in tensors]
    if len(set(ndims)) > 1:
        shapes = ", ".join(str(tuple(_shape(data_of(t)))) for t in tensors)
        raise ShapeMismatchError(f"{name}: all input tensors should have the same number of dimensions, got shapes "
                                 f"{shapes}")


def _class_targets(name: str, input: Any, target: Any, expected: tuple[int, ...]) -> Any:
    """The integer class-index target as a native array, checked against its expected shape."""
    check_one_backend(name, input, target)
    target = data_of(target)
    xp = input.backend.xp
    if not xp.isdtype(target.dtype, "integral"):
        raise UnsupportedDTypeError(f"{name}: target must hold integer class indices, got {target.dtype}")
    if tuple(target.shape) != expected:
        raise ShapeMismatchError(f"{name}: target must have shape {expected} for input {tuple(input.shape)}, "
                                 f"got {tuple(target.shape)}")
    if xp.isdtype(target.dtype, "unsigned integer"):  # compared with -1 below: a uint8 -1 is 255, and strict
        target = xp.astype(target, xp.int64)         # libraries refuse -1 as a uint8 scalar (OverflowError)
    return target


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> Any:
    """``max(0, -target * (input1 - input2) + margin)``; inputs of one rank, broadcast; target holds +-1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("margin_ranking_loss", reduction)
    _no_host_values("margin_ranking_loss", input1=input1, input2=input2, target=target)
    check_input("margin_ranking_loss", input1, "input1")
    check_input("margin_ranking_loss", input2, "input2")
    _same_ndim("margin_ranking_loss", input1, input2, target)
    check_broadcast_together("margin_ranking_loss", input1=input1, input2=input2, target=target)
    refuse_complex("margin_ranking_loss", input1, input2, target)
    input1, input2, target = as_common_floating(input1, input2, target)
    target = float_target("margin_ranking_loss", target, input1)  # +-1 integers: the inputs' dtype, as PyTorch
    return MarginRanking.apply(input1, input2, target, reduction=reduction, margin=float(margin))


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Any:
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1 (input (*), target broadcast)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("hinge_embedding_loss", reduction)
    _no_host_values("hinge_embedding_loss", input=input, target=target)
    check_input("hinge_embedding_loss", input)
    check_value_floating("hinge_embedding_loss", input)  # (an integer input gave float64: PyTorch's mean() refuses it)
    check_broadcast_together("hinge_embedding_loss", input=input, target=target)
    refuse_complex("hinge_embedding_loss", input, target)
    loss = HingeEmbedding.apply(input, target, reduction=reduction, margin=float(margin))
    return _in_dtype_of(input, loss, HingeEmbedding)  # (the target is only compared: the input's dtype)


def soft_margin_loss(input: Any, target: Any, size_average: bool | None = None, reduce: bool | None = None,
                     reduction: str = "mean") -> Any:
    """``log(1 + exp(-target * input))`` (input (*), target +-1 broadcast), finite for any input."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("soft_margin_loss", reduction)
    require_tensor("soft_margin_loss", target, "target", 2)
    _no_host_values("soft_margin_loss", target=target)
    check_input("soft_margin_loss", input)
    check_value_floating("soft_margin_loss", input)
    refuse_complex("soft_margin_loss", input, target, torch_supports=True)
    if isinstance(target, Tensor) or hasattr(target, "shape"):  # PyTorch writes the result into input's shape
        check_broadcasts_to("soft_margin_loss", "target", target, tuple(input.shape))
    target = float_target("soft_margin_loss", target, input)
    if getattr(target, "dtype", input.dtype) != input.dtype:  # PyTorch's kernel writes into the input's dtype
        target = target.to(input.dtype) if isinstance(target, Tensor) else input.backend.xp.astype(target, input.dtype)
    return SoftMargin.apply(input, target, reduction=reduction)


def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None, size_average: bool | None = None,
                                reduce: bool | None = None, reduction: str = "mean") -> Any:
    """Binary cross-entropy of logits input (N, C) against 0/1 target (N, C), averaged over the classes."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("multilabel_soft_margin_loss", reduction)
    check_input("multilabel_soft_margin_loss", input)
    check_value_floating("multilabel_soft_margin_loss", input)  # (PyTorch's "log_sigmoid_cpu" not implemented)
    if isinstance(target, (bool, int, float)):  # PyTorch's Python formula takes a number as every label
        target = input.backend.xp.full(tuple(input.shape), float(target), dtype=input.array.dtype,
                                       device=input.backend.device)
    require_tensor("multilabel_soft_margin_loss", target, "target", 2)
    _no_host_values("multilabel_soft_margin_loss", target=target)
    refuse_boolean_subtraction(target, 1)  # (PyTorch's 1 - target)
    check_same_shape("multilabel_soft_margin_loss", input, target)
    refuse_complex("multilabel_soft_margin_loss", input, target)
    weight_array = option_array("multilabel_soft_margin_loss", "weight", weight, input, refuse_grad=False,
                                numbers=True)
    if isinstance(weight, Tensor) and weight.requires_grad:  # differentiable, as in PyTorch's composite
        weight_array = weight if weight.dtype == input.dtype else weight.to(input.dtype)
    target = float_target("multilabel_soft_margin_loss", target, input)
    return MultiLabelSoftMargin.apply(input, target, weight_array, reduction=reduction)


def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
                      size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> Any:
    """Multi-class hinge loss of scores input (N, C) or (C,) against class indices target (N,) or ()."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("multi_margin_loss", reduction)
    check_input("multi_margin_loss", input)
    _no_host_values("multi_margin_loss", target=target)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    if input.ndim not in (1, 2):
        raise ShapeMismatchError(f"multi_margin_loss: expected 1-D (C,) or 2-D (N, C) input, got shape "
                                 f"{tuple(input.shape)}")
    refuse_complex("multi_margin_loss", input)
    C = input.shape[-1]
    target = _class_targets("multi_margin_loss", input, target, tuple(input.shape[:-1]))
    _check_class_range("multi_margin_loss", input.backend, target, C)
    weight = option_array("multi_margin_loss", "weight", weight, input, same_dtype=True)
    if weight is not None and tuple(weight.shape) != (C,):
        raise ValueError(f"multi_margin_loss: weight must have shape ({C},), got {tuple(weight.shape)}")
    return MultiMargin.apply(input, target, weight, reduction=reduction, p=int(p), margin=float(margin))


def multilabel_margin_loss(input: Any, target: Any, size_average: bool | None = None, reduce: bool | None = None,
                           reduction: str = "mean") -> Any:
    """Multi-label hinge loss of scores input (N, C) or (C,) against target class lists shaped like it (int,
    each list ending at its first -1)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("multilabel_margin_loss", reduction)
    check_input("multilabel_margin_loss", input)
    _no_host_values("multilabel_margin_loss", target=target)
    if input.ndim not in (1, 2):
        raise ShapeMismatchError(f"multilabel_margin_loss: expected 1-D (C,) or 2-D (N, C) input, "
                                 f"got shape {tuple(input.shape)}")
    refuse_complex("multilabel_margin_loss", input)
    target = _class_targets("multilabel_margin_loss", input, target, tuple(input.shape))
    C = input.shape[-1]
    # PyTorch checks every entry, also those after the -1
    check(input.backend, (target < -1) | (target >= C),
          f"multilabel_margin_loss: target holds an entry outside [-1, {C}) for input with {C} classes",
          error=IndexingError)
    return MultiLabelMargin.apply(input, target, reduction=reduction)


def _check_class_range(name: str, backend: Backend, target: Any, classes: int) -> None:
    """Class indices outside [0, C) raise `IndexingError` instead of giving garbage (negative ones too: PyTorch's
    multi_margin_loss has no ignored index); PyTorch's class is RuntimeError ("target out of range"), an
    IndexError here too."""
    bad = (target < 0) | (target >= classes)
    check(backend, bad, f"{name}: target holds a class index outside [0, {classes}) for input with {classes} classes",
          error=IndexingError)

