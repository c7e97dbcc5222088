"""Transformer decoder: `TransformerDecoderLayer` (PyTorch's submodules and maths) and `TransformerDecoder`."""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.tensor import Tensor
from ..functional.activation import relu
from .container import ModuleList
from .module import Module
from .transformer import _activation, _build_layer, _clone, _self_attention_block


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward block.

    Each block has a residual connection and a LayerNorm. Post-norm (default)::

        x = norm1(x + sa(x));  x = norm2(x + mha(x, memory));  x = norm3(x + ff(x))

    Pre-norm (``norm_first=True``)::

        x = x + sa(norm1(x));  x = x + mha(norm2(x), memory);  x = x + ff(norm3(x))

    Parameters
    ----------
    d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias :
        As in PyTorch (and `TransformerEncoderLayer`).
    backend, dtype, seed :
        Where the parameters live and the seed of their initial draw (and of the dropout masks).

    Notes
    -----
    Submodules have PyTorch's names (``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``,
    ``linear2``, ``norm1..3``, ``dropout1..3``), so a PyTorch ``state_dict`` loads as it is.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, backend: Any = None,
                 dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        _build_layer(self, 3, d_model, nhead, dim_feedforward, dropout, _activation(self, activation), layer_norm_eps,
                     batch_first, norm_first, bias, backend, dtype, seed)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        """tgt (T, N, E), memory (S, N, E) (batch first: (N, T, E), (N, S, E); unbatched (T, E), (S, E)) → like tgt.

        ``tgt_mask`` (T, T) or (N * nhead, T, T), ``memory_mask`` (T, S) or (N * nhead, T, S), key padding
        masks (N, T) / (N, S): boolean True = may not attend, floating = added to the scores.
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        return _self_attention_block(self, x, attn_mask, key_padding_mask, is_causal)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` (in ``layers``), then an optional ``norm``.

    As in PyTorch the copies start with the same weights as ``decoder_layer``. tgt, memory and masks as in
    `TransformerDecoderLayer`; ``tgt_is_causal=None`` means True when ``tgt_mask`` is exactly the
    causal mask of `Transformer.generate_square_subsequent_mask` (it is only a hint: the mask is applied).
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"TransformerDecoder: num_layers must be at least 1, got {num_layers}")
        self.layers = ModuleList(_clone(decoder_layer) for _ in range(num_layers))
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        """tgt (T, N, E) / (N, T, E) with ``batch_first`` / (T, E) → same shape."""
        x = tgt
        causal = bool(tgt_is_causal)
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=causal, memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)
