"""Scaled dot-product attention as one fused primitive (forward and hand-written backward).

``softmax(q @ k.mT * scale + mask) @ v`` over the last two axes, with PyTorch's masking rules:
a boolean ``attn_mask`` marks with True the keys that *take part*; a floating one is *added* to
the scores; ``is_causal`` lets query ``i`` see keys ``j <= i`` (top-left aligned, as PyTorch).

Fully masked rows (a query that may see no key at all) give all-zero attention weights, so a zero
output row and zero gradients, never NaN. This is what ``torch.nn.functional.scaled_dot_product_attention``
does since PyTorch 2.5 ("safe softmax"); PyTorch's ``nn.MultiheadAttention`` with ``need_weights=True``
still gives NaN there, anynn's gives zeros as well.
"""

from __future__ import annotations

import math
from typing import Any

from ..backend.arrays import device_of
from ..backend.broadcasting import broadcast_shapes

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor, tensor
from ..backend import dtype_name, op
from ..backend.typing import Namespace
from .dropout import draw_generator, keep_mask
from .formulas.softmax import softmax, softmax_backward
from .value_checks import InvalidValueError, ShapeMismatchError, UnsupportedDTypeError
from .value_checks import check_same_dtype, refuse_complex

_NEG_INF = -math.inf
_HALF = ("float16", "bfloat16")  # computed in float32 and rounded back, as PyTorch's CPU kernel


class ScaledDotProductAttention(Function):
    """``(out, weights) = attention(q, k, v, mask)``; only ``out`` unless ``return_weights``.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev), mask: None, bool or float, broadcastable to
    (..., L, S). ``keep`` is the dropout keep-mask (bool, shape of the weights) or None. Without mask, dropout
    and weights, a backend's ``attention_forward``/``attention_backward`` kernels (cuDNN's flash attention on
    CuPy) run where they take the call.
    """

    scale: float
    causal: bool
    dropout_p: float
    keep: Any
    return_weights: bool
    ties_constant_gradient = False  # PyTorch's math composite: v's gradient is a constant where q and k are

    def forward(self, xp: Namespace, q: Any, k: Any, v: Any, mask: Any = None) -> Any:
        check_same_dtype("scaled_dot_product_attention", ("query", "key", "value"), (q, k, v))
        self.q, self.k, self.v = q, k, v
        self.mask_shape = None if mask is None else tuple(mask.shape)
        self.vendor = self.half = None
        if mask is None and self.keep is None and not self.return_weights:  # cuDNN's flash attention, on CuPy
            training = True in self.needs_input_grad
            found = op(self.backend, "attention_forward")(q, k, v, self.scale, self.causal, training)
            if found is not NotImplemented:
                self.vendor = found  # (out, the softmax statistics its backward needs)
                self.weights = self.dropped = None
                return found[0]
        if dtype_name(q.dtype) in _HALF:
            # PyTorch's CPU kernel works in float32 for half inputs: in float16 q @ k.mT overflows (65504) where
            # the scores reach ~1e4 before scaling, and inf - inf in the softmax gave NaN rows
            self.half = q.dtype
            q, k, v = (xp.astype(a, xp.float32) for a in (q, k, v))
            if mask is not None and mask.dtype != xp.bool:  # (a boolean mask stays as it is)
                mask = xp.astype(mask, xp.float32)
            self.q, self.k, self.v = q, k, v
        self.weights = self._weights(xp, q, k, mask)
        dropped = self.weights
        if self.keep is not None:
            dropped = xp.where(self.keep, dropped * (1.0 / (1.0 - self.dropout_p)), xp.zeros_like(dropped))
        self.dropped = dropped
        out = dropped @ v
        if self.half is not None:
            out, dropped = xp.astype(out, self.half), xp.astype(dropped, self.half)
        return (out, dropped) if self.return_weights else out

    def _weights(self, xp: Namespace, q: Any, k: Any, mask: Any) -> Any:
        """The attention weights softmax(q kᵀ scale + mask), zero rows where no key is allowed."""
        scores = (q @ xp.matrix_transpose(k)) * self.scale
        allowed = None
        if self.causal:
            dev = device_of(q)
            rows = xp.arange(q.shape[-2], device=dev)
            cols = xp.arange(k.shape[-2], device=dev)
            allowed = xp.reshape(rows, (-1, 1)) >= xp.reshape(cols, (1, -1))
        if mask is not None:
            if mask.dtype == xp.bool:
                allowed = mask if allowed is None else xp.logical_and(allowed, mask)
            else:
                scores = scores + mask
        if allowed is not None:
            scores = xp.where(allowed, scores, xp.full_like(scores, _NEG_INF))
        return softmax(xp, scores, -1, masked=True)  # a row with no allowed key gives zeros

    def backward(self, xp: Namespace, g_out: Any, g_weights: Any = None) -> tuple[Any, Any, Any, Any]:
        q, k, v = self.q, self.k, self.v
        need_q, need_k, need_v, need_mask = self.needs_input_grad
        if self.vendor is not None:
            out, stats = self.vendor
            grads = op(self.backend, "attention_backward")(q, k, v, out, stats, g_out, self.scale, self.causal)
            if grads is not NotImplemented:
                dq, dk, dv = grads
                return (dq if need_q else None), (dk if need_k else None), (dv if need_v else None), None
            self.weights = self.dropped = self._weights(xp, q, k, None)  # refused: the portable backward below
        if self.half is not None:
            grads = self._portable_backward(
                xp, None if g_out is None else xp.astype(g_out, xp.float32),
                None if g_weights is None else xp.astype(g_weights, xp.float32))
            return tuple(None if g is None else xp.astype(g, self.half) for g in grads)  # type: ignore[return-value]
        return self._portable_backward(xp, g_out, g_weights)

    def _portable_backward(self, xp: Namespace, g_out: Any, g_weights: Any) -> tuple[Any, Any, Any, Any]:
        q, k, v = self.q, self.k, self.v
        need_q, need_k, need_v, need_mask = self.needs_input_grad
        grad_v = None
        grad_dropped = g_weights
        if g_out is not None:
            if need_v:
                grad_v = sum_to_shape(xp, xp.matrix_transpose(self.dropped) @ g_out, tuple(v.shape))
            from_out = g_out @ xp.matrix_transpose(v)
            grad_dropped = from_out if grad_dropped is None else grad_dropped + from_out
        if not (need_q or need_k or need_mask) or grad_dropped is None:
            return None, None, grad_v, None
        grad_weights = grad_dropped
        if self.keep is not None:
            grad_weights = xp.where(self.keep, grad_dropped * (1.0 / (1.0 - self.dropout_p)),
                                    xp.zeros_like(grad_dropped))
        # masked entries have p == 0, so they get no gradient
        grad_scores = softmax_backward(xp, grad_weights, self.weights, -1)
        grad_mask = sum_to_shape(xp, grad_scores, self.mask_shape) if need_mask else None
        grad_scores = grad_scores * self.scale
        grad_q = sum_to_shape(xp, grad_scores @ k, tuple(q.shape)) if need_q else None
        grad_k = sum_to_shape(xp, xp.matrix_transpose(grad_scores) @ q, tuple(k.shape)) if need_k else None
        return grad_q, grad_k, grad_v, grad_mask


def _as_mask(mask: Any, like: Tensor, where: str) -> Tensor:
    """``mask`` as a Tensor on ``like``'s backend: bool stays bool, floats take ``like``'s dtype."""
    if not isinstance(mask, Tensor):
        kind = dtype_name(mask.dtype) if hasattr(mask, "dtype") else ""
        dtype = "bool" if kind == "bool" else dtype_name(like.dtype)
        return tensor(mask, backend=like.backend, dtype=dtype)
    kind = dtype_name(mask.dtype)
    if kind == "float32" and kind != dtype_name(like.dtype):  # PyTorch's rule: bool, float32 or the query's dtype
        return mask.to(like.dtype)  # (generate_square_subsequent_mask's float32 with a float64 model)
    if kind != "bool" and kind != dtype_name(like.dtype):
        raise TypeError(f"{where}: attn_mask must be bool, float32 or the query's dtype {dtype_name(like.dtype)}, "
                        f"got {kind}")
    return mask


def _dropout_keep(query: Tensor, key: Tensor, shape: tuple[int, ...], p: float, generator: Any) -> Any:
    """A bool array of the scores' ``shape`` (..., L, S), True with probability ``1 - p``, drawn on the query's
    backend's device.

    Without ``generator`` a fresh device generator is seeded from anynn's host generator, so
    ``anynn.manual_seed`` makes attention dropout reproducible. A symbolic axis (None: an ONNX export with
    ``dynamic_axes``, training mode) draws like an array of the scores' shape, made from the query and key.
    """
    like = None
    if None in shape:
        xp = query.backend.xp
        like = query.array[..., :1] + xp.matrix_transpose(key.array[..., :1])
    return keep_mask(draw_generator(query.backend, generator), shape, query.array.dtype, p, like=like)


def _repeat_heads(x: Tensor, groups: int) -> Tensor:
    """(..., H, S, E) → (..., H * groups, S, E), each head repeated ``groups`` times in a row."""
    shape = tuple(x.shape)
    xp = x.backend.xp
    # zeros of (groups, 1, 1) broadcast over the rest: a batch axis an ONNX export leaves symbolic (None) has no
    # size to make them with
    zeros = xp.zeros((groups, 1, 1), dtype=x.array.dtype, device=device_of(x.array))
    expanded = x.reshape(shape[:-2] + (1,) + shape[-2:]) + Tensor._make(zeros, x.backend, None, 0)
    return expanded.reshape(shape[:-3] + (shape[-3] * groups,) + shape[-2:])


def _group_heads(where: str, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """``enable_gqa``: key and value with H_kv heads (axis -3) repeated to the query's H_q heads."""
    if query.ndim < 3 or key.ndim < 3 or value.ndim < 3:
        raise ValueError(f"{where}: enable_gqa needs a heads axis (..., H, L, E) in query, key and value")
    h_q, h_k, h_v = query.shape[-3], key.shape[-3], value.shape[-3]
    if h_k != h_v or h_q % h_k:
        raise ValueError(f"{where}: with enable_gqa the query heads ({h_q}) must be a multiple of the key and "
                         f"value heads (key {h_k}, value {h_v}, which must agree)")
    if h_q == h_k:
        return key, value
    return _repeat_heads(key, h_q // h_k), _repeat_heads(value, h_q // h_k)


def _attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any, dropout_p: float, is_causal: bool,
               scale: float | None, return_weights: bool, generator: Any = None, enable_gqa: bool = False) -> Any:
    where = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: {name} must be an anynn Tensor, got {type(t).__name__}")
        refuse_complex(where, t)  # its softmax orders the scores
        if not t.is_floating_point():  # (anynn computed integer and boolean attention in float64)
            raise UnsupportedDTypeError(f"{where}: expected scalar type Float but found {dtype_name(t.dtype)} for "
                                        f"{name}, as PyTorch; cast it with {name}.float()")
        if t.ndim < 2:
            raise ValueError(f"{where}: {name} must be at least 2-D (..., length, features), got shape {t.shape}")
    if enable_gqa:
        key, value = _group_heads(where, query, key, value)
    q_shape, k_shape, v_shape = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if k_shape[-1] != q_shape[-1]:
        raise ShapeMismatchError(f"{where}: key must have the query's embedding size {q_shape[-1]} in the last "
                                 f"dimension, got key shape {k_shape} for query shape {q_shape}")
    if v_shape[-2] != k_shape[-2]:
        raise ValueError(f"{where}: value must have the key's length {k_shape[-2]} in dimension -2, "
                         f"got value shape {v_shape} for key shape {k_shape}")
    batch = broadcast_shapes(q_shape[:-2], k_shape[:-2])
    batch = None if batch is None else broadcast_shapes(batch, v_shape[:-2])
    if batch is None:
        raise ValueError(f"{where}: batch dimensions of query {q_shape}, key {k_shape} and value {v_shape} "
                         "do not broadcast")
    if not 0.0 <= dropout_p < 1.0:
        raise InvalidValueError(f"{where}: dropout_p must be in [0, 1), got {dropout_p}")  # (PyTorch: RuntimeError)
    scores_shape = batch + (q_shape[-2], k_shape[-2])
    if attn_mask is not None:
        if is_causal:
            raise InvalidValueError(f"{where}: give either attn_mask or is_causal=True, not both (PyTorch: 'Explicit "
                                    "attn_mask should not be set when is_causal=True', a RuntimeError)")
        attn_mask = _as_mask(attn_mask, query, where)
        broadcast = broadcast_shapes(tuple(attn_mask.shape), scores_shape)
        if broadcast is None or len(broadcast) != len(scores_shape) or any(
                m != s for m, s in zip(broadcast, scores_shape) if None not in (m, s)):
            raise ValueError(f"{where}: attn_mask of shape {tuple(attn_mask.shape)} does not broadcast to the "
                             f"attention scores' shape (..., L, S) = {scores_shape}")
    if scale is None:
        scale = 1.0 / math.sqrt(q_shape[-1])
    keep = None
    if dropout_p > 0.0:
        keep = _dropout_keep(query, key, scores_shape, dropout_p, generator)
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, scale=float(scale), causal=bool(is_causal),
                                           dropout_p=float(dropout_p), keep=keep, return_weights=return_weights)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False, generator: Any = None) -> Tensor:
    """Attention ``softmax(query @ key.mT * scale + mask) @ value``, as ``torch.nn.functional``'s.

    Parameters
    ----------
    query : Tensor (..., L, E)
    key : Tensor (..., S, E)
    value : Tensor (..., S, Ev)
        Batch dimensions broadcast against each other.
    attn_mask : Tensor or array, optional
        Broadcastable to (..., L, S). Boolean: True where the query may attend to the key. Floating:
        added to the scores (e.g. ``-inf`` to forbid, or a learned bias, which gets a gradient).
    dropout_p : float
        Dropout on the attention weights (applied whenever > 0, as in PyTorch: pass 0.0 in eval).
    is_causal : bool
        Let query ``i`` attend to keys ``j <= i`` only; excludes ``attn_mask``.
    scale : float, optional
        Multiplies the scores; default ``1 / sqrt(E)``.
    enable_gqa : bool
        Grouped-query attention: key and value may have fewer heads (axis -3) than the query, a
        divisor of its count; each key/value head serves that many consecutive query heads.
    generator : DeviceRNG or int, optional
        The dropout generator (``backend.rng(seed)``, or a seed for one); by default a new one seeded
        from anynn's host generator, so ``anynn.manual_seed`` makes the dropout reproducible.

    Returns
    -------
    Tensor (..., L, Ev). A query with no allowed key gets a zero row (no NaN; PyTorch >= 2.5 agrees).
    """
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, False, generator, enable_gqa)


def scaled_dot_product_attention_with_weights(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None,
                                              dropout_p: float = 0.0, is_causal: bool = False,
                                              scale: float | None = None, enable_gqa: bool = False,
                                              generator: Any = None) -> tuple[Tensor, Tensor]:
    """`scaled_dot_product_attention` that also returns the attention weights (..., L, S).

    The weights are the ones multiplied with ``value`` (after dropout, as PyTorch's
    ``MultiheadAttention`` returns them) and are differentiable.
    """
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, True, generator, enable_gqa)
