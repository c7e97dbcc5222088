"""`MultiheadAttention`: PyTorch's layer (parameter names, shapes, masks, init), on any backend; and the names of
``torch.nn.attention`` programs import (`SDPBackend`, `sdpa_kernel`, and the ``flex_attention`` and ``varlen``
submodules, which are `anynn.nn.flex_attention` and `anynn.nn.attention_varlen` under PyTorch's paths)."""

from __future__ import annotations

import contextlib
import enum
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from ..init import HostGenerator
from .. import init
from ..autograd.tensor import Tensor, tensor
from ..backend import Backend, DeviceRNG, dtype_name
from ..backend.devices import device_of
from ..functional.attention import scaled_dot_product_attention, scaled_dot_product_attention_with_weights
from ..functional.linalg import linear
from ..functional.shape import concat
from .linear import Linear, new_parameter
from .module import Module
from .validate import (ArgumentAssertionError, AssertedShapeMismatch, MaskDTypeError, MaskMismatch, ShapeMismatch,
                       check_input)


class NonDynamicallyQuantizableLinear(Linear):
    """The output projection of `MultiheadAttention`: a `Linear` whose bias starts at zero (as PyTorch); PyTorch's
    class name, so ``print(model)`` reads the same (``(out_proj): NonDynamicallyQuantizableLinear(...)``)."""

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        Linear._reset_own_parameters(self, rng)
        if self.bias is not None:
            init.zeros_(self.bias)


class MultiheadAttention(Module):
    """Multi-head attention ``concat(head_1..head_h) @ out_proj``, ``head_i = attention(q W_q, k W_k, v W_v)``.

    Parameters
    ----------
    embed_dim : int
        E, the model width (query features and output features).
    num_heads : int
        H; must divide ``embed_dim`` (each head has E / H features).
    dropout : float
        Dropout on the attention weights in training mode.
    bias : bool
        Learn the input-projection bias ``in_proj_bias`` (3E,) and ``out_proj.bias`` (E,).
    add_bias_kv : bool
        Learn ``bias_k`` and ``bias_v`` (1, 1, E), appended to the projected keys and values as one
        extra source position that every query may attend to (masks are padded to allow it).
    add_zero_attn : bool
        Append one more source position of all-zero keys and values (per head), after ``bias_k``.
    kdim, vdim : int, optional
        Features of key and value (default E). When either differs from E the input projection is
        three matrices ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight``
        (E, vdim) instead of the packed ``in_proj_weight`` (3E, E).
    batch_first : bool
        Inputs and output are (N, L, E) instead of (L, N, E).
    backend, dtype, seed :
        Where the parameters live (default backend, float32) and the seed of their initial draw and
        of the attention-dropout masks (without one, the masks are seeded from ``anynn.manual_seed``).

    Notes
    -----
    Initialised as PyTorch: Xavier-uniform projection matrices, zero biases, ``out_proj.weight``
    as a `Linear`'s.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ArgumentAssertionError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive "
                                         f"multiple of num_heads ({num_heads})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.dropout_seed = seed
        self._dropout_generator: DeviceRNG | None = None
        if self._qkv_same_embed_dim:
            self.in_proj_weight = new_parameter((3 * embed_dim, embed_dim), backend, dtype)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight = new_parameter((embed_dim, embed_dim), backend, dtype)
            self.k_proj_weight = new_parameter((embed_dim, self.kdim), backend, dtype)
            self.v_proj_weight = new_parameter((embed_dim, self.vdim), backend, dtype)
        self.in_proj_bias = new_parameter((3 * embed_dim,), backend, dtype) if bias else None
        self.bias_k = new_parameter((1, 1, embed_dim), backend, dtype) if add_bias_kv else None
        self.bias_v = new_parameter((1, 1, embed_dim), backend, dtype) if add_bias_kv else None
        self.add_zero_attn = add_zero_attn
        self._reset_own_parameters(None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, backend=backend, dtype=dtype)
        if seed is not None:
            self.reset_parameters(seed)

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w, generator=rng)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b, generator=rng)

    # -- forward --------------------------------------------------------------------------------
    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``.

        Shapes (N batch, L target length, S source length; without N for unbatched 2-D inputs):
        query (L, N, E), key (S, N, kdim), value (S, N, vdim), or (N, L, E)... with ``batch_first``.

        key_padding_mask : (N, S) or (S,), optional
            Boolean: True marks a key position to *ignore* (padding). Floating: added to the scores.
        attn_mask : (L, S) or (N * num_heads, L, S), optional
            Boolean: True marks a pair the query may *not* attend to. Floating: added to the scores.
        is_causal : bool
            A hint that ``attn_mask`` is the causal mask (as PyTorch); it needs ``attn_mask`` (a RuntimeError
            without one, as PyTorch's).

        Returns
        -------
        (output, weights): output like query with E features; weights (N, L, S) averaged over heads,
        (N, H, L, S) with ``average_attn_weights=False``, or None with ``need_weights=False``.
        Queries whose keys are all masked get zero weights (PyTorch gives NaN there).
        """
        if is_causal and attn_mask is None:
            raise RuntimeError(f"{type(self).__name__}: is_causal=True needs attn_mask (it is a hint that the mask "
                               "is causal, as PyTorch's); pass attn_mask=nn.Transformer."
                               "generate_square_subsequent_mask(L)")
        batched = self._check_inputs(query, key, value)
        mismatched_masks(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask")
        self_attention = query is key and key is value
        key_is_value = key is value
        q_in, k_in, v_in = (self._batch_major(t, batched) for t in (query, key, value))
        n, tgt_len, src_len = q_in.shape[0], q_in.shape[1], k_in.shape[1]
        q, k, v = self._project(q_in, k_in, v_in, self_attention, key_is_value)
        q, k, v = (self._split_heads(t) for t in (q, k, v))
        mask = self._merge_masks(attn_mask, key_padding_mask, q, n, tgt_len, src_len, batched)
        # PyTorch trusts the hint here: it drops attn_mask and gives is_causal to the attention, whose triangle
        # then covers the extra keys of add_bias_kv / add_zero_attn too (they are not all allowed as with a mask)
        causal_only = is_causal and key_padding_mask is None and not need_weights
        k, v, mask = self._extra_keys(k, v, None if causal_only else mask)
        dropout_p = self.dropout if self.training else 0.0
        generator = self._generator(q.backend) if dropout_p > 0.0 else None
        weights = None
        if need_weights:
            out, weights = scaled_dot_product_attention_with_weights(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                                                     generator=generator)
        else:
            out = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                               is_causal=causal_only, generator=generator)
        out = out.permute(0, 2, 1, 3).reshape(n, tgt_len, self.embed_dim)
        out = linear(out, self.out_proj.weight, self.out_proj.bias)
        if not batched:
            out = out.reshape(tgt_len, self.embed_dim)
        elif not self.batch_first:
            out = out.permute(1, 0, 2)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(axis=1)
            if not batched:
                weights = weights[0]
        return out, weights

    def _generator(self, backend: Backend) -> DeviceRNG:
        """The attention-dropout generator on ``backend`` (made at first use, again if the backend changed)."""
        rng = self._dropout_generator
        if rng is None or getattr(rng, "backend", None) != backend:
            seed = self.dropout_seed
            if seed is None:
                seed = int(init.default_generator().integers(2**62))
            rng = self._dropout_generator = backend.rng(seed)
        return rng

    def _check_inputs(self, query: Any, key: Any, value: Any) -> bool:
        # PyTorch asserts these shapes (AssertionError); the batch sizes reach a reshape (RuntimeError)
        check_input(self, query, ndim=(2, 3), last_dim=self.embed_dim, what="features (embed_dim)",
                    shape_error=AssertedShapeMismatch)
        check_input(self, key, ndim=(query.ndim,), last_dim=self.kdim, what="features (kdim)",
                    shape_error=AssertedShapeMismatch)
        check_input(self, value, ndim=(query.ndim,), last_dim=self.vdim, what="features (vdim)",
                    shape_error=AssertedShapeMismatch)
        name = type(self).__name__
        if tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
            raise AssertedShapeMismatch(f"{name}: key and value must agree in all but the last dimension, got key "
                                        f"shape {tuple(key.shape)} and value shape {tuple(value.shape)}")
        if query.ndim == 3:
            batch_axis = 0 if self.batch_first else 1
            if key.shape[batch_axis] != query.shape[batch_axis]:
                raise ShapeMismatch(f"{name}: query and key must have the same batch size in dimension {batch_axis}, "
                                    f"got query shape {tuple(query.shape)} and key shape {tuple(key.shape)}")
        return query.ndim == 3

    def _batch_major(self, x: Tensor, batched: bool) -> Tensor:
        """Any accepted layout as (N, T, features)."""
        if not batched:
            return x.reshape(1, x.shape[0], x.shape[1])
        return x if self.batch_first else x.permute(1, 0, 2)

    def _project(self, q_in: Tensor, k_in: Tensor, v_in: Tensor, self_attention: bool,
                 key_is_value: bool) -> tuple[Tensor, Tensor, Tensor]:
        e = self.embed_dim
        b = self.in_proj_bias
        w = self.in_proj_weight
        if self._qkv_same_embed_dim and self_attention:  # one matmul for all three projections
            qkv = linear(q_in, w, b)
            return qkv[..., :e], qkv[..., e:2 * e], qkv[..., 2 * e:]
        # (sliced only here: each slice of the bias is a graph node, which self-attention would make and not use)
        b_q, b_k, b_v = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if not self._qkv_same_embed_dim:
            return (linear(q_in, self.q_proj_weight, b_q), linear(k_in, self.k_proj_weight, b_k),
                    linear(v_in, self.v_proj_weight, b_v))
        q = linear(q_in, w[:e], b_q)
        if key_is_value:
            kv = linear(k_in, w[e:], None if b is None else b[e:])
            return q, kv[..., :e], kv[..., e:]
        return q, linear(k_in, w[e:2 * e], b_k), linear(v_in, w[2 * e:], b_v)

    def _extra_keys(self, k: Tensor, v: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """Append PyTorch's extra source positions (``bias_k``/``bias_v``, then zeros) to the heads
        k, v (N, H, S, E / H), and an allowed column per position to the merged mask (N or 1, ·, L, S)."""
        extra = []
        if self.bias_k is not None:
            shape = (1, 1, self.num_heads, self.head_dim)
            extra.append(tuple(b.reshape(shape).permute(0, 2, 1, 3) for b in (self.bias_k, self.bias_v)))
        if self.add_zero_attn:
            extra.append((None, None))
        for bias_k, bias_v in extra:
            xp = k.backend.xp
            zeros = xp.zeros_like(k.array[..., :1, :])  # (N, H, 1, E / H), N symbolic or not
            zero = Tensor._make(zeros, k.backend, None, 0)
            new_k = zero if bias_k is None else zero + bias_k  # broadcast over N: gradients sum back
            new_v = zero if bias_v is None else zero + bias_v
            k, v = concat([k, new_k], axis=2), concat([v, new_v], axis=2)
            if mask is not None:
                mask = _pad_allowed(mask)
        return k, v, mask

    def _split_heads(self, x: Tensor) -> Tensor:
        """(N, T, E) → (N, H, T, E / H)."""
        n, t = x.shape[0], x.shape[1]
        return x.reshape(n, t, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def _merge_masks(self, attn_mask: Any, key_padding_mask: Any, q: Tensor, n: int, tgt_len: int, src_len: int,
                     batched: bool) -> Tensor | None:
        """PyTorch's two masks (True = forbidden) as one attention mask (True = allowed) of (N, H, L, S)."""
        name = type(self).__name__
        heads = self.num_heads
        xp = q.backend.xp
        masks = []
        if attn_mask is not None:
            attn_mask = _as_tensor(attn_mask, q)
            _check_mask_dtype(name, "attn_mask", attn_mask)
            lead = n if batched else 1  # None for a symbolic (recorded) batch axis
            shapes = [(tgt_len, src_len), (None if lead is None else lead * heads, tgt_len, src_len)]
            if not batched:
                shapes[1] = (heads, tgt_len, src_len)
            if tuple(attn_mask.shape) not in shapes:
                raise ShapeMismatch(f"{name}: expected attn_mask of shape (L, S) = {shapes[0]} or "
                                    f"({'N * num_heads' if batched else 'num_heads'}, L, S) = {shapes[1]}, "
                                    f"got {tuple(attn_mask.shape)}")
            shape4 = (1, 1, tgt_len, src_len) if attn_mask.ndim == 2 else (n, heads, tgt_len, src_len)
            masks.append(_reshape_mask(attn_mask, shape4))
        if key_padding_mask is not None:
            key_padding_mask = _as_tensor(key_padding_mask, q)
            _check_mask_dtype(name, "key_padding_mask", key_padding_mask)
            expected = (n, src_len) if batched else (src_len,)
            if tuple(key_padding_mask.shape) != expected:
                raise MaskMismatch(f"{name}: expected key_padding_mask of shape {'(N, S)' if batched else '(S,)'} = "
                                   f"{expected}, got {tuple(key_padding_mask.shape)}")
            masks.append(_reshape_mask(key_padding_mask, (n, 1, 1, src_len)))
        if not masks:
            return None
        if all(_is_bool(m) for m in masks):
            forbidden = masks[0].array if len(masks) == 1 else xp.logical_or(masks[0].array, masks[1].array)
            return Tensor._make(xp.logical_not(forbidden), q.backend, None, 0)
        additive = [_additive(m, q) if _is_bool(m) else m for m in masks]
        return additive[0] if len(additive) == 1 else additive[0] + additive[1]


def _pad_allowed(mask: Tensor) -> Tensor:
    """One more key column that every query may see: True in a boolean mask (True = allowed), 0 in an additive one."""
    xp = mask.backend.xp
    last = mask.array[..., :1]  # (the column is shaped like it: a recorded mask's axes may be symbolic)
    if _is_bool(mask):
        return Tensor._make(xp.concat([mask.array, xp.ones_like(last)], axis=-1), mask.backend, None, 0)
    return concat([mask, Tensor._make(xp.zeros_like(last), mask.backend, None, 0)], axis=-1)


def _as_tensor(mask: Any, like: Tensor) -> Tensor:
    if isinstance(mask, Tensor):
        return mask
    kind = dtype_name(mask.dtype) if hasattr(mask, "dtype") else ""
    return tensor(mask, backend=like.backend, dtype="bool" if kind == "bool" else dtype_name(like.dtype))


def _is_bool(mask: Tensor) -> bool:
    return dtype_name(mask.dtype) == "bool"


def _check_mask_dtype(layer: str, which: str, mask: Tensor) -> None:
    """PyTorch's MultiheadAttention takes boolean and floating masks only (an AssertionError there)."""
    if not (_is_bool(mask) or mask.is_floating_point()):
        raise MaskDTypeError(f"{layer}: only bool and floating types of {which} are supported, got "
                             f"{dtype_name(mask.dtype)}")


def _reshape_mask(mask: Tensor, shape: tuple[int | None, ...]) -> Tensor:
    """``mask`` (L, S) as (1, 1, L, S), (N, S) as (N, 1, 1, S), (N * heads, L, S) as ``shape``. The first two insert
    unit axes by indexing, which needs no size: a recorded mask may have two symbolic axes (an ONNX export with a
    symbolic batch and sequence length), which one Reshape's -1 cannot stand for."""
    if mask.ndim == 2 and (shape[:2] == (1, 1) or shape[1:3] == (1, 1)):
        every = slice(None)
        unit = (None, None, every, every) if shape[:2] == (1, 1) else (every, None, None, every)
        return Tensor._make(mask.array[unit], mask.backend, None, 0) if _is_bool(mask) else mask[unit]
    shape = tuple(-1 if s is None else s for s in shape)  # a symbolic (recorded) batch axis: the implied size
    if _is_bool(mask):
        return Tensor._make(mask.backend.xp.reshape(mask.array, shape), mask.backend, None, 0)
    return mask.reshape(shape)


def mismatched_masks(mask: Any, mask_name: str, other: Any, other_name: str) -> bool:
    """PyTorch's deprecation warning where two masks given together differ in dtype (a boolean padding mask beside
    the float mask of ``generate_square_subsequent_mask``); True when they do."""
    kinds = [getattr(m, "dtype", None) for m in (mask, other)]
    if None in kinds or dtype_name(kinds[0]) == dtype_name(kinds[1]):
        return False
    warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                  "instead.", stacklevel=1)  # the library's line, as PyTorch's
    return True


def additive_masks(like: Tensor, *masks: Any) -> tuple[Any, ...]:
    """Boolean ``masks`` (True = forbidden) as 0 / -inf in ``like``'s dtype, as PyTorch's encoder and its layers pass
    mismatched masks on (so the attention below them warns no more)."""
    return tuple(_additive(_as_tensor(m, like), like) if m is not None and _is_bool(_as_tensor(m, like)) else m
                 for m in masks)


def _additive(forbidden: Tensor, like: Tensor) -> Tensor:
    """A boolean mask (True = forbidden) as 0 / -inf in ``like``'s dtype."""
    xp = like.backend.xp
    where = device_of(like.array)  # (0-d bounds: a recorded mask's symbolic axes have no sizes to make arrays of)
    data = xp.where(forbidden.array, xp.asarray(-float("inf"), dtype=like.array.dtype, device=where),
                    xp.asarray(0.0, dtype=like.array.dtype, device=where))
    return Tensor._make(data, like.backend, None, 0)


class _GivenWeights(MultiheadAttention):
    """`MultiheadAttention`'s forward over weights handed in by `multi_head_attention_forward` (it owns nothing)."""

    def __init__(self, embed_dim: int, num_heads: int, weights: dict[str, Any], add_zero_attn: bool,
                 dropout_p: float, training: bool) -> None:
        Module.__init__(self)
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"multi_head_attention_forward: embed_dim_to_check ({embed_dim}) must be a positive "
                             f"multiple of num_heads ({num_heads})")
        separate = weights["in_proj_weight"] is None
        first = weights["q_proj_weight"] if separate else weights["in_proj_weight"]
        self.__dict__.update(weights, embed_dim=embed_dim, num_heads=num_heads, head_dim=embed_dim // num_heads,
                             kdim=weights["k_proj_weight"].shape[-1] if separate else embed_dim,
                             vdim=weights["v_proj_weight"].shape[-1] if separate else embed_dim,
                             _qkv_same_embed_dim=not separate, add_zero_attn=add_zero_attn,
                             dropout=float(dropout_p), training=training, batch_first=False, dropout_seed=None,
                             _dropout_generator=None, _parameters={"weight": first})


_GivenWeights.__name__ = "multi_head_attention_forward"  # input errors name the function, as the layer's name it


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """PyTorch's ``F.multi_head_attention_forward``: `MultiheadAttention`'s computation with every weight given.

    query (L, N, E) or (L, E); key (S, N, kdim), value (S, N, vdim) (sequence first, as the layer without
    ``batch_first``). The input projection is ``in_proj_weight`` (3E, E), or with ``use_separate_proj_weight``
    ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E,) in
    both cases; ``bias_k``/``bias_v`` (1, 1, E); the output projection ``out_proj_weight`` (E, E),
    ``out_proj_bias`` (E,). Masks and the returned weights as in `MultiheadAttention.forward`; dropout on the
    attention weights only with ``training``. CLIP's AttentionPool2d pools with it. ``static_k``/``static_v``
    (precomputed per-head keys and values) are not supported.
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k / static_v are not supported; pass the "
                                  "keys and values through key/value and the projection weights")
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError("multi_head_attention_forward: use_separate_proj_weight=True needs q_proj_weight, "
                             "k_proj_weight and v_proj_weight")
        in_proj_weight = None
    elif in_proj_weight is None:
        raise ValueError("multi_head_attention_forward: in_proj_weight is None; pass it, or "
                         "use_separate_proj_weight=True with q_proj_weight, k_proj_weight and v_proj_weight")
    from types import SimpleNamespace

    weights = dict(in_proj_weight=in_proj_weight, q_proj_weight=q_proj_weight, k_proj_weight=k_proj_weight,
                   v_proj_weight=v_proj_weight, in_proj_bias=in_proj_bias, bias_k=bias_k, bias_v=bias_v,
                   out_proj=SimpleNamespace(weight=out_proj_weight, bias=out_proj_bias))
    layer = _GivenWeights(embed_dim_to_check, num_heads, weights, add_zero_attn, dropout_p, training)
    return MultiheadAttention.forward(layer, query, key, value, key_padding_mask=key_padding_mask,
                                      need_weights=need_weights, attn_mask=attn_mask,
                                      average_attn_weights=average_attn_weights, is_causal=is_causal)


class SDPBackend(enum.IntEnum):
    """``torch.nn.attention.SDPBackend``: the kernels PyTorch may choose for ``scaled_dot_product_attention``
    (PyTorch's values)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends: SDPBackend | list[SDPBackend], set_priority: bool = False) -> Iterator[None]:
    """``torch.nn.attention.sdpa_kernel``: PyTorch limits its attention kernels to ``backends`` inside the block.

    Accepted and checked as PyTorch checks it; anynn's `scaled_dot_product_attention` computes the same attention
    whichever kernel is named (its backend picks a fused kernel where it has one), so the block runs unchanged.
    """
    if not isinstance(backends, (list, SDPBackend)):  # PyTorch's check and error class
        raise AssertionError(f"sdpa_kernel: Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    yield


def _install_flex_attention() -> None:
    from . import attention_varlen, flex_attention as flex_module

    flex_module.install(sys.modules[__name__])
    attention_varlen.install(sys.modules[__name__])


_install_flex_attention()
