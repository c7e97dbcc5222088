"""`Transformer`: PyTorch's encoder-decoder model (submodule names, init, masks), on any backend."""

from __future__ import annotations

from typing import Any, Callable

from .. import init
from ..autograd.tensor import Tensor
from ..functional.activation import relu
from ..backend import get_backend
from ..backend.default_dtype import default_float
from ..init import HostGenerator, host_generator
from .module import Module
from .norm import LayerNorm
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .transformer_decoder import TransformerDecoder, TransformerDecoderLayer


class Transformer(Module):
    """``decoder(tgt, encoder(src))``: PyTorch's ``nn.Transformer``.

    Parameters
    ----------
    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout, activation,
    layer_norm_eps, batch_first, norm_first, bias :
        As in PyTorch: the layers are `TransformerEncoderLayer` / `TransformerDecoderLayer`, each stack
        ends with a `LayerNorm` (``encoder.norm``, ``decoder.norm``).
    custom_encoder, custom_decoder : Module, optional
        Used instead of the built stacks (called with PyTorch's keyword arguments).
    backend, dtype, seed :
        Where the parameters live and the seed of their initial draw.

    Notes
    -----
    As PyTorch, every parameter with more than one axis is then re-drawn Xavier-uniform (custom
    encoders and decoders included). State-dict keys are PyTorch's (``encoder.layers.0.self_attn...``).
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = relu, custom_encoder: Any = None,
                 custom_decoder: Any = None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__()
        where = dict(backend=backend, dtype=dtype)
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                      bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(*layer_args, **where)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **where)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(*layer_args, **where)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **where)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        if seed is None:
            self._reset_parameters(None)
        else:
            self.reset_parameters(seed)

    def _reset_parameters(self, rng: HostGenerator | None) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, generator=rng)

    def reset_parameters(self, seed: int | HostGenerator | None = None) -> "Transformer":
        """Re-draw every layer's parameters, then the matrices Xavier-uniform (as the constructor)."""
        rng = host_generator(seed)
        super().reset_parameters(rng)
        self._reset_parameters(rng)
        return self

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Any = None, tgt_mask: Any = None, memory_mask: Any = None,
                src_key_padding_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        """src (S, N, E), tgt (T, N, E) ((N, S, E), (N, T, E) with ``batch_first``; unbatched (S, E), (T, E)).

        Masks: ``src_mask`` (S, S), ``tgt_mask`` (T, T), ``memory_mask`` (T, S) (or with a leading
        N * nhead), key padding masks (N, S) / (N, T) / (N, S); boolean True = may not attend.
        Returns the decoder output, shaped like tgt.
        """
        batched = src.ndim == 3
        batch_axis = 0 if self.batch_first else 1
        if batched and (tgt.ndim != 3 or src.shape[batch_axis] != tgt.shape[batch_axis]):
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, got src shape "
                               f"{tuple(src.shape)} and tgt shape {tuple(tgt.shape)} (batch_first={self.batch_first})")
        if src.ndim == 0 or tgt.ndim == 0 or src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal to d_model "
                               f"({self.d_model}), got src shape {tuple(src.shape)} and tgt shape {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None, backend: Any = None) -> Tensor:
        """The (sz, sz) causal mask: ``-inf`` above the diagonal, 0 elsewhere (float32 unless ``dtype``).

        ``backend`` (or ``device``, read as a backend name) says where it lives; the default backend otherwise.
        """
        be = get_backend(backend if backend is not None else device)
        xp = be.xp
        native = be.dtype(dtype or default_float())
        rows = xp.arange(sz, device=be.device)[:, None]
        above = rows < xp.arange(sz, device=be.device)[None, :]
        zeros = xp.zeros((sz, sz), dtype=native, device=be.device)
        data = xp.where(above, xp.full_like(zeros, -float("inf")), zeros)
        return Tensor._make(data, be, None, 0)
