"""Transformer encoder: `TransformerEncoderLayer` (PyTorch's submodules and maths) and `TransformerEncoder`."""

from __future__ import annotations

import copy
import warnings
from typing import Any, Callable

from ..autograd.tensor import Tensor
from ..functional.activation import gelu, relu
from ..autograd import mode
from ..backend.arrays import any_true
from ..functional.value_checks import InvalidValueError
from .activation import GELU, ReLU
from .attention import MultiheadAttention, _as_tensor, additive_masks, mismatched_masks
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .norm import LayerNorm

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": relu, "gelu": gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection and a LayerNorm.

    Post-norm (default, "Attention is all you need")::

        x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))

    Pre-norm (``norm_first=True``)::

        x = x + dropout1(self_attn(norm1(x)));  x = x + dropout2(linear2(dropout(act(linear1(norm2(x))))))

    Parameters
    ----------
    d_model : int
        E, the width of the input and output: src (S, N, E), (N, S, E) with ``batch_first``, or (S, E).
    nhead : int
        Attention heads (must divide ``d_model``).
    dim_feedforward : int
        Hidden width of the feed-forward block.
    dropout : float
        Dropout in the attention weights and after each block (training mode only).
    activation : "relu", "gelu" or callable
        The feed-forward nonlinearity (default `F.relu`, as PyTorch's).
    layer_norm_eps : float
    batch_first, norm_first, bias : bool
        As in PyTorch (``bias`` for every Linear, LayerNorm and the attention).
    backend, dtype, seed :
        Where the parameters live and the seed of their initial draw (and of the dropout masks).

    Notes
    -----
    Submodules have PyTorch's names (``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``,
    ``norm2``, ``dropout1``, ``dropout2``), so a PyTorch ``state_dict`` loads as it is.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, backend: Any = None,
                 dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        activation = _activation(self, activation)
        # what PyTorch calls activation_relu_or_gelu (its fused inference path needs one of the two)
        self.activation_relu_or_gelu = (activation is relu or isinstance(activation, ReLU)
                                        or activation is gelu or isinstance(activation, GELU))
        _build_layer(self, 2, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                     norm_first, bias, backend, dtype, seed)

    def forward(self, src: Tensor, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        """src (S, N, E) / (N, S, E) with ``batch_first`` / (S, E) → same shape.

        ``src_mask`` (S, S) or (N * nhead, S, S) and ``src_key_padding_mask`` (N, S) follow
        `MultiheadAttention`'s rules (boolean True = may not attend).
        """
        if mismatched_masks(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask"):
            src_mask, src_key_padding_mask = additive_masks(src, src_mask, src_key_padding_mask)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        return _self_attention_block(self, x, attn_mask, key_padding_mask, is_causal)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (in ``layers``), then an optional ``norm``.

    As in PyTorch the copies start with the same weights as ``encoder_layer``. src and masks as in
    `TransformerEncoderLayer`.

    ``enable_nested_tensor`` reproduces what PyTorch's nested-tensor inference path returns: when it
    applies (eval mode, no gradient recorded — under ``no_grad`` or with the first layer and src not
    requiring grad —, a batched src with a left-aligned ``src_key_padding_mask`` and no ``mask``, and a
    post-norm, batch-first, biased, relu/gelu layer with an even number of heads), the padded positions of
    the layers' output are zero (then ``norm`` applies), exactly as PyTorch gives them. ``mask_check``
    as in PyTorch: the left-alignment test (skipped with False).
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"TransformerEncoder: num_layers must be at least 1, got {num_layers}")
        self.layers = ModuleList(_clone(encoder_layer) for _ in range(num_layers))
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:  # PyTorch's warning, word for word
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
        self.use_nested_tensor = bool(enable_nested_tensor and not why_not)

    def forward(self, src: Tensor, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        """src (S, N, E) / (N, S, E) with ``batch_first`` / (S, E) → same shape."""
        x, layer_mask, padding = src, mask, src_key_padding_mask
        if mismatched_masks(padding, "src_key_padding_mask", layer_mask, "mask"):
            layer_mask, padding = additive_masks(src, layer_mask, padding)
        for layer in self.layers:
            x = layer(x, src_mask=layer_mask, src_key_padding_mask=padding, is_causal=bool(is_causal))
        keep = self._nested_keep(src, mask, src_key_padding_mask)
        if keep is not None:
            x = x * keep
        return x if self.norm is None else self.norm(x)

    def _nested_keep(self, src: Tensor, mask: Any, src_key_padding_mask: Any) -> Tensor | None:
        """Where PyTorch would run its nested-tensor path: the (N, S, 1) 0/1 mask of kept positions."""
        first = self.layers[0]
        if (not self.use_nested_tensor or first.training or src_key_padding_mask is None or mask is not None
                or src.ndim != 3):
            return None
        if mode.is_grad_enabled() and (src.requires_grad or any(p.requires_grad for p in first.parameters())):
            return None
        data = _as_tensor(src_key_padding_mask, src).array
        xp = src.backend.xp
        # PyTorch makes the mask additive first, then keeps the positions where it is exactly 0
        keep = xp.logical_not(data) if data.dtype == xp.bool else data == 0.0
        if tuple(keep.shape) != (src.shape[0], src.shape[1]):
            return None
        # left aligned: no kept position after a padded one, in any sequence
        if self.mask_check and any_true(src.backend, xp.logical_and(keep[:, 1:], xp.logical_not(keep[:, :-1])),
                                        if_traced=True):
            return None
        kept = xp.reshape(xp.astype(keep, src.array.dtype), (src.shape[0], src.shape[1], 1))
        return Tensor._make(kept, src.backend, None, 0)


def _why_not_nested(layer: Any) -> str:
    """Why PyTorch's nested-tensor path cannot serve ``layer`` (its checks and words, in its order), or ""."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    attn = layer.self_attn
    reasons = [(layer.norm_first, f"{name}.norm_first was True"),
               (not attn.batch_first, f"{name}.self_attn.batch_first was not True(use batch_first for better "
                                      "inference performance)"),
               (not attn._qkv_same_embed_dim, f"{name}.self_attn._qkv_same_embed_dim was not True"),
               (attn.in_proj_bias is None, f"{name}.self_attn was passed bias=False"),
               (not layer.activation_relu_or_gelu, f"{name}.activation_relu_or_gelu was not True"),
               (layer.norm1.eps != layer.norm2.eps, f"{name}.norm1.eps was not equal to {name}.norm2.eps"),
               (attn.num_heads % 2 == 1, f"{name}.self_attn.num_heads is odd")]
    return next((why for failed, why in reasons if failed), "")


def _activation(layer: Module, activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """``"relu"``/``"gelu"`` as the functional, a callable as it is."""
    if not isinstance(activation, str):
        return activation
    if activation not in _ACTIVATIONS:
        raise InvalidValueError(f"{type(layer).__name__}: activation should be 'relu' or 'gelu' (or a callable), "
                                f"got {activation!r}")
    return _ACTIVATIONS[activation]


def _build_layer(layer: Module, blocks: int, d_model: int, nhead: int, dim_feedforward: int, dropout: float,
                 activation: Callable[[Tensor], Tensor], layer_norm_eps: float, batch_first: bool, norm_first: bool,
                 bias: bool, backend: Any, dtype: Any, seed: int | None) -> None:
    """The submodules of an encoder (``blocks=2``) or decoder (``blocks=3``) layer, in PyTorch's order and names.

    ``blocks - 1`` attentions (``self_attn``, ``multihead_attn``), the feed-forward ``linear1``, ``dropout``,
    ``linear2``, then ``norm1..blocks`` and ``dropout1..blocks``; with ``seed``, dropout generator ``k`` of
    that order is seeded ``seed + k`` and the parameters are drawn from ``seed``.
    """
    where = dict(backend=backend, dtype=dtype)

    def drop_seed(k: int) -> int | None:
        return None if seed is None else seed + k

    for k, name in enumerate(("self_attn", "multihead_attn")[:blocks - 1], start=1):
        attention = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **where)
        attention.dropout_seed = drop_seed(k)
        setattr(layer, name, attention)
    layer.linear1 = Linear(d_model, dim_feedforward, bias=bias, **where)
    layer.dropout = Dropout(dropout, seed=drop_seed(blocks))
    layer.linear2 = Linear(dim_feedforward, d_model, bias=bias, **where)
    layer.norm_first = norm_first
    for k in range(1, blocks + 1):
        setattr(layer, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **where))
    for k in range(1, blocks + 1):
        setattr(layer, f"dropout{k}", Dropout(dropout, seed=drop_seed(blocks + k)))
    layer.activation = activation
    layer.batch_first = batch_first
    if seed is not None:
        layer.reset_parameters(seed)


def _self_attention_block(layer: Module, x: Tensor, attn_mask: Any, key_padding_mask: Any,
                          is_causal: bool) -> Tensor:
    """``dropout1(self_attn(x, x, x))``, the first block of an encoder or decoder layer."""
    x = layer.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                        is_causal=is_causal)[0]
    return layer.dropout1(x)


def _clone(module: Module) -> Module:
    """A deep copy (`Module.__deepcopy__` shares backends and generators: they hold modules and device handles)."""
    return copy.deepcopy(module)
