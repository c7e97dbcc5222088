"""Losses on embeddings: `cosine_embedding_loss`, `triplet_margin_loss` (fused, one graph node each) and
`triplet_margin_with_distance_loss` (any distance function, composed of other primitives)."""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .distance import p_norm, p_norm_grad
from .elementwise import as_common_floating, clip, maximum
from .loss import _Reduced
from .loss_inputs import check_broadcast_together, check_input
from .loss_reduction import check_reduction, data_of, legacy_reduction
from .value_checks import ShapeMismatchError
from .value_checks import refuse_complex

_EPSILON = 1e-12  # PyTorch's, added to each squared norm of the cosine embedding loss


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


class CosineEmbedding(_Reduced):
    """``1 - cos(x1, x2)`` where y = 1, ``max(0, cos(x1, x2) - margin)`` where y = -1 (0 for other y).

    The cosine is taken along the last axis, ``sum(x1 x2) / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))``.
    """

    margin: float

    def elementwise(self, xp: Namespace, x1: Any, x2: Any, y: Any) -> Any:
        self.x1, self.x2 = x1, x2
        self.m1 = xp.sum(x1 * x1, axis=-1) + _EPSILON
        self.m2 = xp.sum(x2 * x2, axis=-1) + _EPSILON
        self.denominator = xp.sqrt(self.m1 * self.m2)
        self.cos = xp.sum(x1 * x2, axis=-1) / self.denominator
        self.positive = y == 1
        self.hinge = (y == -1) & (self.cos - self.margin > 0)
        zero = xp.zeros_like(self.cos)
        above = self.cos - self.margin
        clamped = xp.where(above <= 0, zero, above)  # NaN stays NaN (PyTorch's clamp_min), its gradient 0
        return xp.where(self.positive, 1.0 - self.cos, zero) + xp.where(y == -1, clamped, zero)

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any, None]:
        one = xp.ones_like(self.cos)
        slope = xp.where(self.hinge, one, xp.zeros_like(one)) - xp.where(self.positive, one, xp.zeros_like(one))
        coef = (g * slope)[..., None]
        denominator, cos = self.denominator[..., None], self.cos[..., None]
        need1, need2 = self.needs_input_grad[:2]
        return (coef * (self.x2 / denominator - cos * self.x1 / self.m1[..., None]) if need1 else None,
                coef * (self.x1 / denominator - cos * self.x2 / self.m2[..., None]) if need2 else None, None)


class TripletMargin(_Reduced):
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the p-norm distance of `pairwise_distance`; with ``swap``
    the negative distance is ``min(d(a, n), d(p, n))``."""

    margin: float
    p: float
    eps: float
    swap: bool

    def elementwise(self, xp: Namespace, a: Any, pos: Any, neg: Any) -> Any:
        self.shapes = (_shape(a), _shape(pos), _shape(neg))
        self.d_ap, self.d_an = a - pos + self.eps, a - neg + self.eps
        self.n_ap, self.n_an = p_norm(xp, self.d_ap, self.p), p_norm(xp, self.d_an, self.p)
        negative = self.n_an
        if self.swap:
            self.d_pn = pos - neg + self.eps
            self.n_pn = p_norm(xp, self.d_pn, self.p)
            self.swapped = self.n_pn < self.n_an
            negative = xp.where(self.swapped, self.n_pn, self.n_an)
        z = xp.squeeze(self.margin + self.n_ap - negative, axis=-1)
        self.active = z >= 0  # PyTorch's clamp_min passes the gradient at 0 too
        return xp.where(z < 0, xp.zeros_like(z), z)  # NaN stays NaN, its gradient 0 (PyTorch's clamp_min)

    def grad(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        if self.p == 0:  # distances that count nonzeros: no gradient (None), as PyTorch's norm of order 0
            return None, None, None
        g = xp.where(self.active, g, xp.zeros_like(g))[..., None]
        u_ap = g * p_norm_grad(xp, self.d_ap, self.n_ap, self.p)
        u_an = g * p_norm_grad(xp, self.d_an, self.n_an, self.p)
        grad_a, grad_p = u_ap, -u_ap
        if self.swap:
            keep = xp.astype(~self.swapped, u_an.dtype)
            u_an = u_an * keep
            u_pn = g * p_norm_grad(xp, self.d_pn, self.n_pn, self.p) * (1.0 - keep)
            grad_p = grad_p - u_pn
            grad_n = u_an + u_pn
        else:
            grad_n = u_an
        grad_a = grad_a - u_an
        need = self.needs_input_grad
        return tuple(sum_to_shape(xp, grad, shape) if wanted else None
                     for grad, shape, wanted in zip((grad_a, grad_p, grad_n), self.shapes, need))


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> Any:
    """Cosine loss of input1, input2 (N, D) with target (N,) of +-1 (or (D,) inputs with a 0-d target)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("cosine_embedding_loss", reduction)
    check_input("cosine_embedding_loss", input1, "input1")
    check_input("cosine_embedding_loss", input2, "input2")
    t = _shape(data_of(target))
    if len(t) not in (0, 1):
        raise ValueError(f"cosine_embedding_loss: 0-D or 1-D target expected, multi-target not supported; got "
                         f"target of shape {t}")
    want = len(t) + 1
    if input1.ndim != want or input2.ndim != want:
        raise ShapeMismatchError(f"cosine_embedding_loss: {len(t)}-D target expects {want}-D inputs, got inputs of "
                                 f"shapes {tuple(input1.shape)} and {tuple(input2.shape)}")
    if tuple(input1.shape) != tuple(input2.shape) or tuple(input1.shape[:-1]) != t:
        raise ShapeMismatchError(f"cosine_embedding_loss: inputs {tuple(input1.shape)}, {tuple(input2.shape)} "
                                 f"and target {t} do not match: expected inputs (N, D) and target (N,)")
    refuse_complex("cosine_embedding_loss", input1, input2, target)
    input1, input2 = as_common_floating(input1, input2)  # the target's dtype does not count, as in PyTorch
    target = target.astype(input1.dtype) if isinstance(target, Tensor) else input1.backend.xp.astype(target,
                                                                                                    input1.array.dtype)
    return CosineEmbedding.apply(input1, input2, target, reduction=reduction, margin=float(margin))


def _same_ndim(name: str, anchor: Any, positive: Any, negative: Any) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeMismatchError(f"{name}: the anchor, positive, and negative tensors are expected to have the same "
                                 f"number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
                                 f"and negative {negative.ndim}D inputs")


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Any:
    """Triplet loss ``max(0, margin + d(a, p) - d(a, n))`` of anchor, positive, negative (N, D) or (D,);
    ``margin > 0``, as PyTorch's functional form (``torch.triplet_margin_loss`` takes any margin)."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    return any_margin_triplet_loss(anchor, positive, negative, margin, p, eps, swap, size_average, reduce,
                                   reduction)


def any_margin_triplet_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2,
                            eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                            reduce: bool | None = None, reduction: str = "mean") -> Any:
    """`triplet_margin_loss` with any ``margin`` (``torch.triplet_margin_loss``'s)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("triplet_margin_loss", reduction)
    for what, value in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_input("triplet_margin_loss", value, what)
    _same_ndim("triplet_margin_loss", anchor, positive, negative)
    if anchor.ndim == 0:
        raise ValueError("triplet_margin_loss: inputs must have at least one dimension, got scalars")
    check_broadcast_together("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    # as pairwise_distance (docs/differences.md)
    refuse_complex("triplet_margin_loss", anchor, positive, negative, torch_supports=True)
    anchor, positive, negative = as_common_floating(anchor, positive, negative)
    return TripletMargin.apply(anchor, positive, negative, reduction=reduction, margin=float(margin), p=float(p),
                               eps=float(eps), swap=bool(swap))


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Callable[[Any, Any], Any] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Any:
    """Triplet loss with any ``distance_function(x1, x2)`` (default `pairwise_distance`); ``margin > 0``."""
    check_reduction("triplet_margin_with_distance_loss", reduction)
    for what, value in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_input("triplet_margin_with_distance_loss", value, what)
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    _same_ndim("triplet_margin_with_distance_loss", anchor, positive, negative)
    if distance_function is None:  # the default distance is pairwise_distance: the fused loss computes exactly that
        return triplet_margin_loss(anchor, positive, negative, margin=margin, p=2.0, eps=1e-6, swap=swap,
                                   reduction=reduction)
    distance = distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = -maximum(-dist_neg, -distance(positive, negative))
    loss = clip(margin + dist_pos - dist_neg, 0.0, None)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss
