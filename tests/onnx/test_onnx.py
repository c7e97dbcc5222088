"""ONNX export: one model per layer family, static and with a symbolic batch axis, run by onnxruntime and
compared with anynn on NumPy; graph sizes against PyTorch's own exporter; errors name the layer."""

from __future__ import annotations

import io
import os
import sys
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import anynn
import anynn.nn as nn

pytest.importorskip("ndonnx")
pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from anynn.onnx import ExportError, export  # noqa: E402


class WithState(nn.Module):
    """A recurrent layer called with initial states given as graph inputs."""

    def __init__(self, layer: Any) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: Any, h0: Any, c0: Any = None) -> Any:
        return self.layer(x, h0 if c0 is None else (h0, c0))


class Encoder(nn.Module):
    """A Transformer encoder layer with an attention mask and a key padding mask, both graph inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True, norm_first=True,
                                                activation="gelu")

    def forward(self, x: Any, mask: Any, padding: Any) -> Any:
        return self.layer(x, src_mask=mask, src_key_padding_mask=padding)


class CausalDecoder(nn.Module):
    """A Transformer decoder whose causal mask and position offsets are made inside the forward."""

    def __init__(self) -> None:
        super().__init__()
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), 2)

    def forward(self, tgt: Any, memory: Any) -> Any:
        steps = tgt.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(steps)
        shift = anynn.arange(steps, dtype=anynn.float32)[:, None] * anynn.ones(8) + anynn.zeros(1)
        return self.decoder(tgt + shift, memory, tgt_mask=mask, tgt_is_causal=True)


class Elementwise(nn.Module):
    """Elementwise math with no one-to-one ONNX operator in ndonnx (atan2, erf) beside ones that have one."""

    def forward(self, y: Any, x: Any) -> Any:
        y, x = y * (y.abs() > 0.3), x * (x.abs() > 0.3)  # exact zeros: atan2's axes and origin
        return (anynn.atan2(y, x), anynn.erf(y), anynn.erfc(x), y.sign(), anynn.fmod(y, 0.7), y.frac(),
                anynn.expm1(x), anynn.log1p(x.abs()), 2 ** y, y.floor(), x // 0.5, anynn.lerp(x, y, 0.3),
                anynn.floor_divide(anynn.arange(10.0) * 0.3, 0.3), -x // 0.0,  # (3.0 // 0.3 is 9: Floor(Div) 10)
                anynn.digamma(x.abs() + 0.5), y.signbit())  # (ndonnx has no signbit, which digamma reads)


class FactoryLinear(nn.Module):
    """A weight made in the forward (float32, the default dtype) cast to the float64 features' dtype (linear
    refuses two dtypes, as PyTorch's): graph constants."""

    def forward(self, x: Any) -> Any:
        return nn.functional.linear(x, anynn.ones(3, x.shape[-1]).to(x.dtype), anynn.zeros(3, dtype=x.dtype))


class Transposed(nn.Module):
    """A recurrent layer reading (N, C, L) as a batch-first sequence; its output sequence alone."""

    def __init__(self, layer: Any) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: Any) -> Any:
        return self.layer(x.transpose(1, 2).transpose(0, 1))[0]


class Cells(nn.Module):
    """Recurrent cells stepped in Python from zero states (made inside the layer), and an LSTM projection."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.gru, self.rnn = nn.LSTMCell(6, 5), nn.GRUCell(5, 4), nn.RNNCell(4, 3, nonlinearity="relu")
        self.projected = nn.LSTM(3, 6, proj_size=2, batch_first=True)

    def forward(self, x: Any) -> Any:
        state, outs = None, []
        for t in range(x.shape[1]):
            state = self.lstm(x[:, t], state)
            outs.append(self.rnn(self.gru(state[0])))
        return self.projected(anynn.stack(outs, 1))


class Attention(nn.Module):
    """Attention with key/value sizes of their own, bias and zero keys, and a float mask given as an input."""

    def __init__(self) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True,
                                               batch_first=True)

    def forward(self, q: Any, k: Any, v: Any, mask: Any) -> Any:
        out, weights = self.attention(q, k, v, attn_mask=mask[:, :3], average_attn_weights=False)
        return out, weights, nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=mask, scale=0.3)


class Tensors(nn.Module):
    """Tensor methods inside a forward: indexing, masks, where with a number, *_like factories, reshapes."""

    def forward(self, x: Any, mask: Any) -> Any:
        filled = x.masked_fill(mask, -1.0)
        picked = (x[:, 1], x[..., ::2], x[:, None, 1:3], x[:, [0, 2]], x[-1:, -1])
        made = (anynn.zeros_like(x), anynn.full_like(x, 2.0) * x, anynn.ones_like(mask, dtype=anynn.int64))
        shuffled = nn.functional.pixel_shuffle(x.reshape(x.shape[0], 4, 1, 2), 2)
        return (filled, anynn.where(x > 0, x, 0.0), anynn.where(mask, 1.5, x), *picked, *made, shuffled,
                x.view(x.size(0), 2, 4).permute(2, 0, 1), x.view(x.size()[0], -1))


class Helpers(nn.Module):
    """Layers whose own checks or reshapes read sizes: Bilinear (rows merged), cosine similarity (broadcast),
    local response norm, gather, take_along_dim and scatter (GatherElements, ScatterElements; repeated positions:
    the last write wins), max pooling with indices and unpooling (ScatterElements into each plane)."""

    def __init__(self) -> None:
        super().__init__()
        self.bilinear, self.cosine, self.lrn = nn.Bilinear(4, 4, 3), nn.CosineSimilarity(), nn.LocalResponseNorm(3)
        self.pool = nn.MaxPool1d(2, stride=1, padding=1, return_indices=True)
        self.unpool, self.pool2d = nn.MaxUnpool1d(2, stride=1, padding=1), nn.MaxPool2d(2, 1, return_indices=True)

    def forward(self, x: Any, index: Any) -> Any:
        grid = x.reshape(x.shape[0], 2, 4)
        pooled, where = self.pool(grid)
        return (self.bilinear(x[:, :4], x[:, 4:]), self.cosine(grid, grid.flip(1)), self.lrn(grid[:, :, :, None]),
                anynn.gather(x, 1, index), anynn.gather(grid, 2, index[:, None, :] % 4), pooled, where,
                anynn.zeros_like(x).scatter(1, index, x[:, :4]), x.scatter_add(1, index, x[:, 2:5]),
                x.scatter(1, index[:, :2], 7.0), anynn.take_along_dim(x, index, 1), self.unpool(pooled, where),
                nn.functional.max_unpool2d(*self.pool2d(grid[:, None]), 2, 1), self.unpool(pooled[0], where[0]))


class Contractions(nn.Module):
    """einsum (batched contraction, a reduction, a batch-only product) and advanced indexing: index arrays on the
    feature axis (a graph input with a negative entry, lists, two arrays merged), a boolean mask over all axes."""

    def forward(self, a: Any, b: Any, i: Any) -> Any:
        grid = a.reshape(a.shape[0], 3, 4)
        return (anynn.einsum("bij,bjk->bik", grid, b), anynn.einsum("bij->bj", grid), anynn.einsum("bi,bi->b", a, a),
                a[:, i], a[..., [0, -1]], grid[:, i[:2] % 3, i[1:3] % 4], a[a > 0.5], grid[:, None, i % 3])


class Bags(nn.Module):
    """EmbeddingBag over a symbolic number of fixed-length bags: sum with per-sample weights and a padding index,
    mean, max."""

    def __init__(self) -> None:
        super().__init__()
        self.sum = nn.EmbeddingBag(20, 4, mode="sum", padding_idx=0)
        self.mean, self.max = nn.EmbeddingBag(20, 4, padding_idx=3), nn.EmbeddingBag(20, 4, mode="max")

    def forward(self, bags: Any, weights: Any) -> Any:
        return self.sum(bags, per_sample_weights=weights), self.mean(bags), self.max(bags)


class SliceWrites(nn.Module):
    """Assignment into whole-batch slices: a number, a row broadcast over the batch, an expression, += and a
    3-D column; an int row of the batch axis; in-place methods and assignments on views reach their source
    (Swin V2 zeroes its key bias as ``qkv_bias[n:2 * n].zero_()``; the graph lost such changes); ``x[mask] = v``."""

    def forward(self, x: Any) -> Any:
        y = x.clone()
        y[:, 0] = 1.0
        y[:, 1:3] = anynn.tensor([5.0, 6.0])
        y[..., -1] = y[:, 0] * 2 + x[:, 1]
        y[:, 3:5] += 1
        y[0] = y[0] * 3
        z = x.reshape(x.shape[0], 2, 3).clone()
        z[:, :, 1] = anynn.tensor([1.0, 2.0])
        z[:, 0] = x[:, :3]
        z[:, 1:] += 1  # (a 3-D slice's += under a symbolic batch: refused, value shape (None, None, 3))
        w = x.clone()
        w[:, 1:3].zero_()
        w[:, 3:].mul_(2)
        w.t()[0].fill_(3.0)
        w.view(-1, 3)[:, 1].add_(10.0)
        view = w[:, 4:]
        view[:, 1] = -1.0
        w[x > 0.5] = 0.5  # (a boolean mask and one value: a Where; refused, 'array with object dtype')
        z[z[:, :, 0] < 0] = anynn.tensor(-2.0)
        y[:, anynn.tensor([4, 1, -2])] = anynn.tensor([1.0, 2.0, 3.0])  # (an index array on one axis, the last write
        w[..., [0, 2]] = 7.0  # winning: under a symbolic batch refused, 'needs the flat positions')
        z[x[:, :2] > 0] = -z[x[:, :2] > 0]  # (values as many as the mask selects: refused, 'None - int')
        z[:, anynn.tensor([1, 0, 1]), anynn.tensor([2, 0, -1])] = x[:, 3:] * 5  # (index arrays on two axes: refused,
        # 'needs the flat positions')
        # writes that index the symbolic axis itself: refused before ('needs the flat positions', an int SymInt row,
        # one-hot labels by arange of the batch, a value x[:2] whose size the graph knows as it runs, index_fill)
        w[anynn.tensor([0, -1])] = x[:2] * 0.5
        w[x.size(0) - 1, 2] = -3.0
        w[anynn.arange(x.size(0)), x.argmax(1)] = 4.0
        z = z.index_fill(0, anynn.tensor([-1]), 2.0)
        return y, z, w


class Orderings(nn.Module):
    """Sorting, median, roll and *_like factories (ndonnx forgets every static size of their results under a
    symbolic batch; the backend reshapes them back) and expand keeping a symbolic axis with -1."""

    def forward(self, x: Any) -> Any:
        ranked, order = x.sort(1, descending=True)
        middle, where = x.median(1)
        return (ranked, order, middle, where, x.roll(2, 1), anynn.zeros_like(x).sum(1, keepdim=True) + x,
                x[:, None, :3].expand(-1, 2, -1), x.unsqueeze(0).expand(2, -1, -1).sum(0), x.argsort(1)[:, :2])


class Criteria(nn.Module):
    """Losses as the model's outputs (programs export a whole criterion): means over a symbolic batch, KL's
    batchmean, probability targets, multi-label margins (their target lists end at a -1); running products along
    the batch (a symbolic axis) and the features (a known one: ndonnx's exp(cumsum(log x)) is NaN from a negative
    factor on)."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(5, 5)

    def forward(self, x: Any, labels: Any, probs: Any) -> Any:
        F = nn.functional
        logits = self.head(x)
        return (F.mse_loss(logits, probs), nn.CrossEntropyLoss()(logits, probs), F.cross_entropy(logits, labels[:, 0]),
                F.kl_div(logits.log_softmax(-1), probs, reduction="batchmean"), nn.L1Loss(reduction="none")(x, probs),
                F.multilabel_margin_loss(logits, labels, reduction="none"), x.cumprod(0), x.cumprod(1))


class Transformer2d(nn.Module):
    """A spatial transformer under a symbolic batch (affine_grid from the input's own sizes, grid_sample), one_hot,
    broadcasts to another tensor's shape (expand_as, repeat_interleave), aminmax."""

    def __init__(self) -> None:
        super().__init__()
        self.loc = nn.Linear(3 * 5 * 6, 6)

    def forward(self, x: Any, labels: Any) -> Any:
        F = nn.functional
        theta = self.loc(x.flatten(1)).view(-1, 2, 3) * 0.1 + anynn.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return (F.grid_sample(x, grid, align_corners=False), F.one_hot(labels, 4), x[:, :1].expand_as(x),
                x.repeat_interleave(2, dim=1), anynn.aminmax(x, dim=1))


def _floats(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)


def _labels(seed: int, high: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, shape)


# name -> (model builder, example inputs (batch size 4 on `axis`), batch axis of every input)
FAMILIES: dict[str, tuple[Callable[[], Any], Callable[[int], tuple[np.ndarray, ...]], tuple[int | None, ...]]] = {
    "dense": (lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3)),
              lambda n: (_floats(n, 6),), (0,)),
    "conv2d_bn_pool": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 5)),
                       lambda n: (_floats(n, 3, 8, 8),), (0,)),
    "conv1d_pools": (lambda: nn.Sequential(nn.Conv1d(3, 6, 3, padding=1, padding_mode="reflect"), nn.AvgPool1d(2),
                                           nn.MaxPool1d(2, stride=1), nn.AdaptiveAvgPool1d(3), nn.Flatten()),
                     lambda n: (_floats(n, 3, 12),), (0,)),
    "conv_transpose_norms": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                                                   nn.GroupNorm(2, 4), nn.InstanceNorm2d(4), nn.SiLU(),
                                                   nn.AdaptiveAvgPool2d((3, 2)), nn.AvgPool2d(1)),
                             lambda n: (_floats(n, 3, 5, 5),), (0,)),
    "conv_transpose3d_pool": (lambda: nn.Sequential(nn.ConvTranspose3d(2, 4, 2, stride=2, padding=1, output_padding=1),
                                                    nn.AdaptiveMaxPool3d((2, 1, 2))),
                              lambda n: (_floats(n, 2, 3, 4, 3),), (0,)),
    "embedding": (lambda: nn.Sequential(nn.Embedding(20, 8), nn.LayerNorm(8), nn.GELU(), nn.BatchNorm1d(5)),
                  lambda n: (np.random.default_rng(n).integers(0, 20, (n, 5)),), (0,)),
    "lstm": (lambda: nn.LSTM(6, 8, num_layers=2, batch_first=True), lambda n: (_floats(n, 7, 6),), (0,)),
    "lstm_states": (lambda: WithState(nn.LSTM(6, 8, bidirectional=True)),
                    lambda n: (_floats(7, n, 6), _floats(2, n, 8), _floats(2, n, 8) + 1), (1, 1, 1)),
    "gru": (lambda: nn.GRU(6, 8, bidirectional=True), lambda n: (_floats(7, n, 6),), (1,)),
    "gru_states": (lambda: WithState(nn.GRU(6, 8, num_layers=2)), lambda n: (_floats(7, n, 6), _floats(2, n, 8)),
                   (1, 1)),
    "rnn_states": (lambda: WithState(nn.RNN(6, 8, nonlinearity="relu")),
                   lambda n: (_floats(7, n, 6), _floats(1, n, 8)), (1, 1)),
    "transformer_masks": (Encoder, lambda n: (_floats(n, 5, 16), ~np.tril(np.ones((5, 5), bool)),
                                              np.arange(5)[None, :].repeat(n, 0) >= 4), (0, None, 0)),
    "causal_decoder_factories": (CausalDecoder, lambda n: (_floats(n, 4, 8), _floats(n, 5, 8)), (0, 0)),
    "elementwise": (Elementwise, lambda n: (_floats(n, 7), _floats(n, 7)[::-1].copy()), (0, 0)),
    "cells_projection": (Cells, lambda n: (_floats(n, 3, 6),), (0,)),
    "attention_extras": (Attention, lambda n: (_floats(n, 4, 8), _floats(n, 3, 6), _floats(n, 3, 5), _floats(4, 4)),
                         (0, 0, 0, None)),
    "tensor_methods": (Tensors, lambda n: (_floats(n, 8), _floats(n, 8) > 0.5), (0, 0)),
    "conv3d_pool3d_reflect": (lambda: nn.Sequential(nn.Conv3d(2, 4, 3, padding=1, groups=2, padding_mode="reflect"),
                                                    nn.AvgPool3d(2, stride=1), nn.PixelUnshuffle(1)),
                              lambda n: (_floats(n, 2, 4, 3, 4),), (0,)),
    "resampling": (lambda: nn.Sequential(nn.Upsample(scale_factor=2), nn.Upsample(size=(7, 9), mode="bilinear"),
                                         nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True),
                                         nn.UpsamplingNearest2d(scale_factor=(1, 2)), nn.AdaptiveAvgPool2d((5, 3)),
                                         nn.PixelShuffle(1)),
                   lambda n: (_floats(n, 2, 3, 4),), (0,)),
    # onnxruntime has Conv, LSTM, Elu... in float32 only: a float64 model records its own math there
    "float64": (lambda: nn.Sequential(
        nn.Conv1d(3, 4, 3), nn.BatchNorm1d(4), nn.ELU(), nn.CELU(0.5), nn.SELU(), nn.LeakyReLU(0.1),
        nn.Mish(), nn.Softplus(), nn.Hardswish(), nn.Hardsigmoid(), nn.PReLU(4), nn.Softsign(), nn.LogSigmoid(),
        nn.GELU(), nn.GroupNorm(2, 4), nn.AvgPool1d(2), Transposed(nn.GRU(4, 5, bidirectional=True)),
        FactoryLinear()).double(),
                lambda n: (_floats(n, 3, 10).astype(np.float64),), (0,)),
    # the recorded fallbacks pad, fold and average without the batch size (constant padding: full_like and a
    # broadcast; transposed convolution: the layout that never multiplies by N; adaptive average: MatMuls)
    "float64_padded_fallbacks": (lambda: nn.Sequential(
        nn.Conv2d(2, 4, (3, 2), padding=(1, 0)), nn.ConvTranspose2d(4, 4, 3, stride=2, groups=2, dilation=2),
        nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), nn.MaxPool2d(2, padding=1, ceil_mode=True),
        nn.Unfold(2, padding=1), nn.Fold((4, 3), 2, padding=1), nn.ConvTranspose2d(4, 3, 2, stride=2)).double(),
                                 lambda n: (_floats(n, 2, 5, 4).astype(np.float64),), (0,)),
    "pools_ceil_conv3d": (lambda: nn.Sequential(
        nn.Conv3d(2, 3, 2, padding=1), nn.AvgPool3d(2, ceil_mode=True), nn.AdaptiveAvgPool3d((2, 3, 1)),
        nn.Flatten(2), nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)), lambda n: (_floats(n, 2, 4, 5, 3),), (0,)),
    "einsum_indexing": (Contractions, lambda n: (_floats(n, 12) * 0 + _floats(n, 12), _floats(n, 4, 2),
                                                 np.array([0, 2, 1, -1])), (0, 0, None)),
    "orderings": (Orderings, lambda n: (_floats(n, 7),), (0,)),
    "slice_writes": (SliceWrites, lambda n: (_floats(n, 6),), (0,)),
    "embedding_bags": (Bags, lambda n: (np.random.default_rng(n).integers(0, 20, (n, 5)) % (np.arange(5) + 2),
                                        _floats(n, 5)), (0, 0)),
    "symbolic_helpers": (Helpers, lambda n: (_floats(n, 8), np.random.default_rng(n).integers(0, 8, (n, 3))), (0, 0)),
    "criteria_cumprod": (Criteria, lambda n: (_floats(n, 5), np.where(np.arange(5) < 3, _labels(n, 5, (n, 5)), -1),
                                              np.exp(_floats(n, 5)) / np.exp(_floats(n, 5)).sum(1, keepdims=True)),
                         (0, 0, 0)),
    # the graph's input written in place by the first layer; a lazy layer drawn by the export (from the example)
    "inplace_input_lazy": (lambda: nn.Sequential(nn.LeakyReLU(0.2, inplace=True), nn.LazyLinear(4)),
                           lambda n: (_floats(n, 6),), (0,)),
    "spatial_transformer": (Transformer2d, lambda n: (_floats(n, 3, 5, 6), _labels(n, 4, (n, 2))), (0, 0)),
    "embedding_max_norm": (lambda: nn.Embedding(20, 4, padding_idx=0, max_norm=1.0),
                           lambda n: (np.random.default_rng(n).integers(0, 20, (n, 5)),), (0,)),
    # a ResNet's head in float64 (recorded pooling: the axis' name lost): view(x.size(0), -1) keeps the batch axis
    "float64_view_of_own_size": (lambda: Calls(lambda x, conv, linear: linear(
        (p := nn.functional.adaptive_avg_pool2d(conv(x), 1)).view(p.size(0), -1)), nn.Conv2d(2, 4, 3).double(),
                                              nn.Linear(4, 3).double()),
                                 lambda n: (_floats(n, 2, 5, 5).astype(np.float64),), (0,)),
    # rows with no allowed key (a boolean mask, a float one of -inf): zero weights, as anynn's and PyTorch's eager
    "attention_masked_rows": (lambda: Calls(lambda q, m: (
        nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=m),
        nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=anynn.where(m, 0.0, float("-inf"))))),
                              lambda n: (_floats(n, 2, 5, 4), _floats(5, 5) > 0.3), (0, None)),
    "activations": (lambda: nn.Sequential(
        nn.ELU(), nn.SELU(), nn.LeakyReLU(0.1), nn.Hardtanh(), nn.Hardswish(), nn.Sigmoid(), nn.Softplus(),
        nn.Mish(), nn.Softsign(), nn.PReLU(), nn.GELU("tanh"), nn.CELU(), nn.LogSigmoid(), nn.Hardsigmoid(),
        nn.Tanhshrink(), nn.Softshrink(), nn.Hardshrink(0.1), nn.ReLU6(), nn.Threshold(0.1, 2.0), nn.Tanh(),
        nn.Softmin(-1), nn.Softmax(-1), nn.LogSoftmax(-1)), lambda n: (_floats(n, 6) * 3,), (0,)),
}


def _anynn(model: Any, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    out = model(*[anynn.tensor(a, dtype=a.dtype.name) for a in inputs])
    flat: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        else:
            flat.append(np.asarray(value.array))

    walk(out)
    return flat


def _close(got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5 * float(np.abs(e).max()))


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "symbolic_batch"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_runs_in_onnxruntime_as_in_anynn(family: str, dynamic: bool, tmp_path: Any) -> None:
    build, make_inputs, axes = FAMILIES[family]
    anynn.manual_seed(0)
    model = build()
    model.eval()
    inputs = make_inputs(4)
    names = [f"in{i}" for i in range(len(inputs))]
    dynamic_axes = {name: {axis: "batch"} for name, axis in zip(names, axes) if axis is not None} if dynamic else None
    path = tmp_path / "model.onnx"
    export(model, inputs, path, input_names=names, dynamic_axes=dynamic_axes)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in ((4, 1, 9) if dynamic else (4,)):
        feeds = make_inputs(batch)
        _close(session.run(None, dict(zip(names, feeds))), _anynn(model, feeds))
    if not dynamic:
        with pytest.raises(Exception):  # noqa: B017 - onnxruntime's own error class for a wrong shape
            session.run(None, dict(zip(names, make_inputs(5))))


class PaddedEncoder(nn.Module):
    """Token embedding, a two-layer Transformer encoder with a key padding mask (N, S) and a float causal mask (the
    encoder turns the boolean one additive beside it), the mean over positions."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                             enable_nested_tensor=False)

    def forward(self, tokens: Any, padding: Any) -> Any:
        causal = nn.Transformer.generate_square_subsequent_mask(tokens.size(1))
        return self.encoder(self.embed(tokens), causal, padding, is_causal=True).mean(1)


class MaskedSeq2Seq(nn.Module):
    """nn.Transformer (sequence first) with the target's causal mask (T, T) given as a graph input."""

    def __init__(self) -> None:
        super().__init__()
        self.transformer = nn.Transformer(8, 2, 1, 1, 16)

    def forward(self, src: Any, tgt: Any, mask: Any) -> Any:
        return self.transformer(src, tgt, tgt_mask=mask)


class PackedLengths(nn.Module):
    """A text encoder over a padded batch and its lengths, a graph input: packed (unsorted) for a bidirectional
    two-layer LSTM and a GRU, padded back to the input's length (ONNX's sequence_lens, as PyTorch's exporter)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(8, 3)

    def forward(self, x: Any, lengths: Any) -> Any:
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h, _) = self.lstm(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        out, h_gru = self.gru(nn.utils.rnn.pack_padded_sequence(padded.transpose(0, 1), lengths,
                                                                enforce_sorted=False))
        return padded, h, nn.utils.rnn.pad_packed_sequence(out, padding_value=-1.0)[0], h_gru


class Recurrent64(nn.Module):
    """float64 recurrent layers (onnxruntime's LSTM/GRU/RNN are float32 only) and an LSTM projection: their own
    step math, over a symbolic length one ONNX Loop each."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(6, 5, bidirectional=True, batch_first=True).double()
        self.lstm = nn.LSTM(10, 4, num_layers=2, proj_size=3, batch_first=True).double()

    def forward(self, x: Any) -> Any:
        out, h = self.gru(x)
        return self.lstm(out)[0], h


class TextCNN(nn.Module):
    """Embedding, Conv1d of three widths over the tokens, max over time, Linear (Kim's sentence classifier)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(40, 8, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(8, 5, k) for k in (2, 3, 4)])
        self.out = nn.Linear(15, 3)

    def forward(self, tokens: Any) -> Any:
        x = self.embed(tokens).permute(0, 2, 1)
        return self.out(anynn.cat([nn.functional.relu(conv(x)).max(dim=2)[0] for conv in self.convs], 1))


class UpPad(nn.Module):
    """A UNet's decoder step over symbolic image sizes: upsampled (bilinear, a transposed convolution), padded by its
    size difference from the skip connection (SymInts: ONNX Pad of sizes read as the graph runs), or resized to the
    skip connection's size (an FPN's interpolate(size=x.shape[-2:])), concatenated, a reflect-padded convolution."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2))
        self.up, self.up_t = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), nn.ConvTranspose2d(
            4, 4, 2, stride=2)
        self.out = nn.Conv2d(15, 2, 3, padding=1, padding_mode="reflect")

    def forward(self, x: Any) -> Any:
        low = self.down(x)
        ups = []
        for up in (self.up(low), self.up_t(low)):
            dy, dx = x.size(2) - up.size(2), x.size(3) - up.size(3)
            ups.append(nn.functional.pad(up, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2]))
        resized = nn.functional.interpolate(low, size=x.shape[-2:], mode="bilinear")
        return self.out(anynn.cat([x, *ups, resized], 1))


def _padding(n: int, t: int) -> np.ndarray:
    lengths = np.random.default_rng(n + t).integers(1, t + 1, n)
    return np.arange(t)[None, :] >= lengths[:, None]


# name -> (model builder, inputs for (batch n, length t), per input {axis: "batch" or "length"}, lengths to run)
SEQUENCES: dict[str, tuple[Callable[[], Any], Callable[[int, int], tuple[np.ndarray, ...]],
                           tuple[dict[int, str], ...], tuple[int, ...]]] = {
    # masks (N, S) and (T, T) with both axes symbolic: one Reshape's -1 could not lift them to 4-D
    "encoder_padding_mask": (PaddedEncoder, lambda n, t: (np.random.default_rng(t).integers(0, 30, (n, t)),
                                                          _padding(n, t)),
                             ({0: "batch", 1: "length"}, {0: "batch", 1: "length"}), (5, 2, 9)),
    "transformer_mask_input": (MaskedSeq2Seq, lambda n, t: (_floats(6, n, 8), _floats(t, n, 8),
                                                            np.triu(np.full((t, t), -np.inf, np.float32), 1)),
                               ({1: "batch"}, {0: "length", 1: "batch"}, {0: "length", 1: "length"}), (5, 1, 8)),
    "lstm_bidirectional_states": (lambda: WithState(nn.LSTM(6, 8, num_layers=2, bidirectional=True,
                                                            batch_first=True)),
                                  lambda n, t: (_floats(n, t, 6), _floats(4, n, 8), _floats(4, n, 8) + 1),
                                  ({0: "batch", 1: "length"}, {1: "batch"}, {1: "batch"}), (5, 1, 11)),
    # an index_add into a zeros_like of two symbolic axes (which forgets the static one): the source's check
    "index_add_into_like": (lambda: Calls(lambda x: anynn.zeros_like(x).index_add(2, anynn.tensor([0, 2, 0]),
                                                                                  x[:, :, :3])),
                            lambda n, t: (_floats(n, 4, t),), ({0: "batch", 2: "length"},), (5, 3, 7)),
    # repeat over two symbolic axes (its reshape to the same shape had no size for them) and with new leading axes
    "repeat_lengths": (lambda: Calls(lambda x: (x.repeat(1, 1, 2), x.repeat(2, 1, 1, 3))),
                       lambda n, t: (_floats(n, 2, t),), ({0: "batch", 2: "length"},), (5, 1, 8)),
    # packed sequences whose lengths are a graph input (refused before: their values build the packed layout)
    "packed_lengths": (PackedLengths, lambda n, t: (_floats(n, t, 6), np.random.default_rng(n + t).integers(
        1, t + 1, n)), ({0: "batch", 1: "length"}, {0: "batch"}), (5, 1, 9)),
    # the causal mask and positions made in the forward from tgt.shape[1]: a SymInt (tests/onnx/test_symbolic_sizes)
    "causal_decoder_lengths": (CausalDecoder, lambda n, t: (_floats(n, t, 8), _floats(n, t + 1, 8)),
                               ({0: "batch", 1: "length"}, {0: "batch", 1: "memory"}), (4, 1, 7)),
    "float64_recurrent_loops": (Recurrent64, lambda n, t: (_floats(n, t, 6).astype(np.float64),),
                                ({0: "batch", 1: "length"},), (5, 1, 9)),
    # a fully convolutional classifier over symbolic image sizes: pools of any size (ONNX's own), a global mean
    "image_sizes": (lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.PixelShuffle(2), nn.BatchNorm2d(4),
                                          nn.ReLU(), nn.MaxPool2d(2),
                                          nn.InstanceNorm2d(4, affine=True), nn.AvgPool2d(3, stride=1, padding=1),
                                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)),
                    lambda n, t: (_floats(n, 3, t, t + 2),), ({0: "batch", 2: "height", 3: "width"},), (8, 4, 13)),
    "unet_image_sizes": (UpPad, lambda n, t: (_floats(n, 3, t, t + 3),), ({0: "batch", 2: "height", 3: "width"},),
                         (8, 5, 11)),
    # antialiased resizing over symbolic image sizes: Resize's antialias with PyTorch's filter (Keys' a = -0.5,
    # border taps renormalized); with known sizes the recorded taps run
    "antialias_image_sizes": (lambda: Calls(lambda x: [nn.functional.interpolate(
        x, mode=mode, antialias=True, **size) for mode in ("bilinear", "bicubic") for size in (
            {"scale_factor": 0.4}, {"size": (5, 3)}, {"scale_factor": 2})]),
                              lambda n, t: (_floats(n, 2, t, t + 3),), ({0: "batch", 2: "height", 3: "width"},),
                              (8, 5, 13)),
    # an LSTM projection with no biases: the recorded input projection over symbolic axes lost its gate axis' size;
    # its initial states given (a Loop's final states named no shape where the inputs name the batch)
    "lstm_projection_no_bias": (lambda: WithState(nn.LSTM(4, 3, bias=False, proj_size=2, batch_first=True)),
                                lambda n, t: (_floats(n, t, 4), _floats(1, n, 2), _floats(1, n, 3)),
                                ({0: "batch", 1: "length"}, {1: "batch"}, {1: "batch"}), (5, 1, 8)),
    # conv1d over a symbolic length (its size check read None + padding)
    "text_cnn": (TextCNN, lambda n, t: (np.random.default_rng(t).integers(0, 40, (n, t)),),
                 ({0: "batch", 1: "length"},), (8, 4, 13)),
    "gates_and_pools_image_sizes": (lambda: Calls(_attention_gates, nn.Sequential(
        nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 4, 1)), nn.Conv2d(2, 1, 3, padding=1)),
                                    lambda n, t: (_floats(n, 4, t, t + 2),), ({0: "batch", 2: "height", 3: "width"},),
                                    (6, 3, 9)),
    "windows_and_bins_image_sizes": (lambda: Calls(_windows_and_bins), lambda n, t: (_floats(n, 2, t, t + 2),),
                                     ({0: "batch", 2: "height", 3: "width"},), (6, 4, 10)),
    # add_zero_attn's column appended to a mask (T, T) of a symbolic length (refused: 'zeros((1, 1, None, 1))')
    "attention_zero_column_mask": (lambda: Calls(lambda x, mask, mha: mha(x, x, x, attn_mask=mask),
                                                 nn.MultiheadAttention(8, 2, batch_first=True, add_bias_kv=True,
                                                                       add_zero_attn=True)),
                                   lambda n, t: (_floats(n, t, 8), np.triu(np.full((t, t), -np.inf, np.float32), 1)),
                                   ({0: "batch", 1: "length"}, {0: "length", 1: "length"}), (5, 1, 8)),
    # volumes and ceil-mode pools whose last window PyTorch drops where it would start in the padding, over symbolic
    # sizes (each was refused, 'unsupported operand type(s) for +: NoneType and int'): Conv3d (ONNX Conv), AvgPool3d
    # (one 3-D AveragePool), MaxPool / AvgPool with padding and ceil_mode (ONNX's ceil_mode, cut to PyTorch's count);
    # instance norm kept its channels' size for the Conv3d after it (refused: 'got input of shape (None, ...)')
    "volumes_and_ceil_pools": (lambda: Calls(lambda x, conv: (
        nn.functional.max_pool3d(conv(nn.functional.instance_norm(x)), 2, padding=1, ceil_mode=True),
        nn.functional.avg_pool3d(x, 2, 1), nn.functional.adaptive_avg_pool3d(x, (None, 2, 1)),  # (depth kept: refused)
        nn.functional.max_pool2d(x.flatten(1, 2), 3, 2, 1, ceil_mode=True, return_indices=True),
        nn.functional.avg_pool2d(x.flatten(1, 2), 3, 2, 1, ceil_mode=True),
        nn.functional.avg_pool2d(x.flatten(1, 2), 3, 2, 1, ceil_mode=True, divisor_override=4),
        nn.functional.avg_pool1d(x.flatten(2), 2, 3, 1, ceil_mode=True, count_include_pad=False)),
                                               nn.Conv3d(2, 3, 2, padding=1)),
                               lambda n, t: (_floats(n, 2, 3, t, t + 1),),
                               ({0: "batch", 2: "depth", 3: "height", 4: "width"},), (5, 2, 6)),
}


def _windows_and_bins(x: Any) -> Any:
    """Over symbolic image sizes (all were refused, 'unsupported operand type(s) for +: NoneType and int'): unfold
    (a Slice per kernel tap), pixel_unshuffle (SpaceToDepth, channels gathered into PyTorch's order), a pool whose
    kernel is the input's own size (x.size()[2:], GeM pooling: a global pool), adaptive pools and area interpolation
    to fixed sizes or by scale factors (PyTorch's uneven bins, as masks the graph computes from the sizes as it
    runs)."""
    F = nn.functional
    return (F.unfold(x, 3, padding=1), F.unfold(x, 2, stride=(2, 1), dilation=(1, 2)), F.pixel_unshuffle(x, 2),
            F.avg_pool2d(x.clamp(min=1e-6).pow(3), x.size()[2:]).pow(1 / 3), F.max_pool2d(x, x.shape[-2:]),
            F.adaptive_avg_pool2d(x, (3, 5)), F.adaptive_max_pool2d(x, 3), F.interpolate(x, (3, 4), mode="area"),
            F.interpolate(x, scale_factor=(0.5, 1.5), mode="area"),  # (bins of a size known as it runs: refused)
            F.local_response_norm(x, 2, k=1.5),  # (its mean over channel windows reshaped by the sizes: refused)
            F.instance_norm(x, anynn.zeros(2), anynn.ones(2)),  # (its running update counted the sizes: refused)
            x.flatten(1, 2), x.flatten(0, 1),  # (flatten(1, 2) gave (N, C W, H): its W kept as the input's axis 2)
            x.flatten(1, 2).unflatten(1, (2, -1)),  # (its -1 was computed from the symbolic size: refused)
            F.max_pool2d(x, 2, return_indices=True)[1])  # (MaxPool's Indices, per plane: refused, 'None + int')


def _attention_gates(x: Any, mlp: Any, spatial: Any) -> Any:
    """CBAM's channel and spatial gates and timm's ECA gate over symbolic image sizes: adaptive max pooling to 1 (its
    bins had no sizes), amax / amin / any over the channels (they lost their static sizes: a convolution after them
    refused 'None channels', even under a symbolic batch alone), ``y.expand_as(x)`` to the symbolic sizes; a ceil-mode
    max pool (torchvision's GoogLeNet and SqueezeNet: ONNX's ceil_mode where no window starts in the padding) and
    average pool (timm's ResNet-D downsampling, AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False));
    coordinate attention's pools to (H, 1) and (1, W) and its split at the SymInt height (both were refused)."""
    F = nn.functional
    _, _, h, w = x.size()
    pooled = anynn.cat([F.adaptive_avg_pool2d(x, (None, 1)), F.adaptive_avg_pool2d(x, (1, None)).mT], 2)
    along_h, along_w = anynn.split(pooled, [h, w], dim=2)
    coordinates = x * along_h.sigmoid() * along_w.mT.sigmoid()
    x = x * (mlp(F.adaptive_avg_pool2d(x, 1)) + mlp(F.adaptive_max_pool2d(x, 1))).sigmoid()
    x = x * spatial(anynn.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)).sigmoid()
    values, indices = F.adaptive_max_pool2d(x, (1, 1), return_indices=True)
    return x * x.mean((2, 3), keepdim=True).sigmoid().expand_as(x), values, indices, F.adaptive_max_pool1d(
        x.flatten(2), 1), F.max_pool2d(x, 3, 2, ceil_mode=True), coordinates, F.avg_pool2d(
        x, 2, 2, ceil_mode=True, count_include_pad=False), F.avg_pool2d(x, 3, 2, ceil_mode=True)


@pytest.mark.parametrize("family", list(SEQUENCES))
def test_symbolic_batch_and_length_run_in_onnxruntime_as_in_anynn(family: str) -> None:
    build, make_inputs, axes, lengths = SEQUENCES[family]
    anynn.manual_seed(0)
    model = build()
    model.eval()
    names = [f"in{i}" for i in range(len(axes))]
    proto = export(model, make_inputs(3, lengths[0]), io.BytesIO(), input_names=names,
                   dynamic_axes=dict(zip(names, axes)))
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for n, t in [(3, lengths[0]), (1, lengths[0])] + [(2, t) for t in lengths[1:]]:
        feeds = make_inputs(n, t)
        _close(session.run(None, dict(zip(names, feeds))), _anynn(model, feeds))


class Calls(nn.Module):
    """A model whose forward is one function of its inputs (the operations a table row checks)."""

    def __init__(self, function: Callable[..., Any], *layers: Any) -> None:
        super().__init__()
        self.function, self.layers = function, nn.ModuleList(layers)

    def forward(self, *inputs: Any) -> Any:
        return self.function(*inputs, *self.layers)


def _batch_norms(x: Any, grid: Any, layer: Any, layer2d: Any) -> Any:
    F = nn.functional  # batch statistics: no running ones, and F.batch_norm in training mode (its update: a copy's)
    trained = F.batch_norm(grid, layer2d.running_mean, layer2d.running_var, layer2d.weight, training=True)
    return layer(x), layer(grid.flatten(2)), trained, F.batch_norm(x, None, None, training=True, eps=1e-3)


# name -> (model builder, inputs for batch n, batch axis of every input): operations that read the batch axis' size
# or run along it, under a symbolic batch; run at batch sizes 4, 2 and 7 (a batch of 1 has no unbiased variance)
Row = tuple[Callable[[], Any], Callable[[int], tuple[np.ndarray, ...]], tuple[int | None, ...]]
ALONG_THE_BATCH: dict[str, Row] = {
    # running extremes along a symbolic axis compare all pairs of steps (NaNs and ties: the last index reaching it)
    "running_extremes_topk": (lambda: Calls(lambda x: (anynn.cummax(x, 2), x.cummin(0), x.topk(2, dim=0),
                                                       x.topk(2, dim=0, largest=False), x.median(0),
                                                       x.nanmedian(0, keepdim=True), x.kthvalue(2, 0),
                                                       x.flip(0), x[::-1, 1])),
                              lambda n: (np.where(_floats(n, 3, 7) > 1.2, np.nan, np.round(_floats(n, 3, 7))),),
                              (0,)),
    "index_writes_diagonals": (lambda: Calls(lambda x, s: (
        x.index_add(2, anynn.tensor([0, 3, 3]), x[:, :, :3]), x.index_add(1, anynn.tensor([0, 2]), s, alpha=2.0),
        x.index_copy(2, anynn.tensor([4, 1]), x[:, :, :2]), anynn.diag_embed(x, offset=-1),
        anynn.diag_embed(x.diagonal(0, 1, 2)), x.diagonal(-1, 1, 2))),
                               lambda n: (_floats(n, 3, 7), _floats(n, 2, 7)), (0, 0)),
    "variance_over_batch": (lambda: Calls(lambda x: (x.var(0), x.std((0, 2), unbiased=False),
                                                     anynn.var_mean(x, 0, keepdim=True), x.var(correction=2),
                                                     anynn.quantile(x, 0.3, dim=0), anynn.nanquantile(x, 0.7),
                                                     anynn.logcumsumexp(x * 30, 0))),
                            lambda n: (_floats(n, 3, 7),), (0,)),
    # ScatterElements with each reduction; NaN wins a max or min (onnxruntime's pass over it); integer means floor
    "scatter_reduce": (lambda: Calls(lambda x, i, n: [
        (x.scatter_reduce(2, i, x[:, :, 3:7], reduce=r), x.scatter_reduce(2, i, x[:, :, :4], r, include_self=False),
         n.scatter_reduce(2, i, -n[:, :, :4], reduce=r, include_self=r == "mean")) for r in
        ("sum", "prod", "mean", "amax", "amin")]),
                       lambda n: (np.where(_floats(n, 3, 7) > 1.5, np.nan, np.round(_floats(n, 3, 7))),
                                  _labels(n, 7, (n, 3, 4)), _labels(n + 1, 9, (n, 3, 7)) - 4), (0, 0, 0)),
    # grouped-query attention repeats the key and value heads (zeros of the batch's size could not be made)
    "grouped_query_attention": (lambda: Calls(lambda q, k, v: nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True, enable_gqa=True)), lambda n: (_floats(n, 4, 5, 6), _floats(n, 2, 7, 6) + 1,
                                                                _floats(n, 2, 7, 3) - 1), (0, 0, 0)),
    # torch.cond on a value of the data (was refused: 'bool() of a recorded value'): an ONNX If, both branches its
    # subgraphs (the Linear's weights read from the outer graph); batches 2 and 4, 7 take the two branches
    "cond_on_the_data": (lambda: Calls(lambda x, linear: anynn.cond(
        x.sum() > -1, lambda v: (linear(v), v.amax(0)), lambda v: (v.flip(0) * 2, v.mean(0)), (x,)), nn.Linear(3, 3)),
                         lambda n: (_floats(n, 3),), (0,)),
    # under a symbolic batch: arrays made with the batch's shape (norm of order 0, masked_select), a value picked
    # along a lane (mode), aminmax of all elements (its emptiness check counted them), masked_scatter by a recorded
    # mask (its count of true entries was read on the host: 'no propagated value available'); CBAM's spatial gate, a
    # convolution over amax / amin / any along the channels (their static sizes were read as None: 'None channels')
    "shapes_of_the_batch": (lambda: Calls(lambda x, conv: (x.norm(p=0, dim=1), x.masked_select(x > 0), x.mode(-1),
                                                           x[:, :1].masked_select(x[:, :1] > -9),  # (a size-1 axis:
                                                           # read as None by broadcast_arrays, refused)
                                                           x.mode(1, keepdim=True), anynn.aminmax(x),
                                                           x.masked_scatter(x > 0, -x), x.masked_scatter(x[:1] < 0, x),
                                                           conv(anynn.cat([x.amax(1, keepdim=True), x.amin(
                                                               1, keepdim=True)], 1) * (x > 0).any(1, keepdim=True))),
                                          nn.Conv1d(2, 1, 3)),
                            lambda n: (np.round(_floats(n, 3, 5)),), (0,)),
    # functions ndonnx lacks or that read values: hypot (inf beside NaN, magnitudes whose squares overflow float32),
    # gcd and lcm (Euclid's steps, as many as int64 may need), isreal (ones of the input's shape)
    "hypot_gcd_isreal": (lambda: Calls(lambda x, i, j: (anynn.hypot(x, x.flip(1) * 1e20), anynn.gcd(i, j),
                                                         anynn.lcm(i, j), anynn.isreal(x))),
                         lambda n: (np.where(_floats(n, 7) > 1.2, np.inf, np.where(_floats(n, 7) < -1.2, np.nan,
                                                                                       _floats(n, 7))),
                                    _labels(n, 60, (n, 7)) - 30, _labels(n + 1, 90, (n, 7)) - 45), (0, 0, 0)),
    # tensordot keeps a's free axes (the batch was multiplied into one merged size); matrix norms of order 1 and
    # inf reduce without squeeze (which refuses a symbolic axis)
    "tensordot_matrix_norms": (lambda: Calls(lambda x, w: (
        anynn.tensordot(x, w, 1), anynn.tensordot(x, w, ([2, 1], [0, 1])), anynn.tensordot(w, x[:, 0], ([0], [1])),
        anynn.linalg.matrix_norm(x, 1), anynn.linalg.matrix_norm(x, -float("inf"), (0, 2)))),
                               lambda n: (_floats(n, 3, 5), _floats(5, 3, 2)), (0, None)),
    # ONNX GridSample: every mode and padding mode, both corner conventions, positions past the edges, a volume
    "grid_sample_modes": (lambda: Calls(lambda x, grid, volume, grid3d: [nn.functional.grid_sample(
        x, grid, mode=m, padding_mode=p, align_corners=a) for m in ("bilinear", "nearest", "bicubic")
        for p in ("zeros", "border", "reflection") for a in (False, True)] + [nn.functional.grid_sample(
            volume, grid3d, padding_mode="reflection", align_corners=False)]),
                          lambda n: (_floats(n, 2, 5, 6), _floats(n, 4, 7, 2) * 0.8, _floats(n, 2, 3, 4, 5),
                                     _floats(n, 2, 3, 4, 3) * 0.8), (0, 0, 0, 0)),
    # LU by elimination (its zeros and row orders were made of the batch's shape; lu_factor's singularity check read
    # the info on the host), a batched Kronecker product (merged sizes of the symbolic axis), histc over the data's
    # own range (its emptiness check compared None), covariances over the batch (the count of observations)
    "lu_kron_histc_cov": (lambda: Calls(lambda x, y: (
        *(lu := anynn.linalg.lu_factor(x)), *anynn.lu_unpack(*lu), anynn.kron(x, y), anynn.kron(x[:, 0], y[0]),
        anynn.histc(x, 5), anynn.cov(x[:, 0].mT, correction=0), anynn.corrcoef(y[:, 1].mT),
        anynn.linalg.det(y))),  # (ONNX Det, as PyTorch's exporter: refused before, 'no linalg module')
                          lambda n: (_floats(n, 2, 2), _floats(n, 2, 2)[::-1] * 2 + 1), (0, 0)),
    # Swin/ViT attention's qkv split: rows of windows as -1 (no name), heads by a -1 from a SymInt, then unbind(0):
    # each squeeze had two symbolic sizes ('cannot be traced back to an input axis'), an ONNX Squeeze now
    "linear_heads_unbind": (lambda: Calls(lambda x, qkv: qkv(w := x.view(-1, 4, 4)).reshape(
        w.shape[0], -1, 3, 2, 2).permute(2, 0, 3, 1, 4).unbind(0), nn.Linear(4, 12)),
                            lambda n: (_floats(n, 4, 4),), (0,)),
    # runs and distinct rows: unique_consecutive's counts were 0 (a static export: its count of runs was read as
    # None, so no run had an end) or refused (its flat take() counted the elements); unique(dim=0) made arange(None)
    "unique_runs_and_rows": (lambda: Calls(lambda i, r: (
        *anynn.unique_consecutive(i, return_inverse=True, return_counts=True),
        *anynn.unique(r, return_inverse=True, return_counts=True, dim=0))),
                             lambda n: (_labels(n, 3, (n, 4)), _labels(n + 1, 2, (n, 2))), (0, 0)),
    # reductions leaving two symbolic axes (a reshape to (None, None) had no size to infer: cdist of two batches,
    # amax of all pairs; logsumexp's is the same), repeat_interleave of the flattened batch (its size times the count)
    "pairs_of_the_batch": (lambda: Calls(lambda x: (anynn.cdist(x, x * 2), (x[:, None] - x[None]).amax(-1),
                                                    anynn.repeat_interleave(x, 2))),
                           lambda n: (_floats(n, 3),), (0,)),
    "batch_statistics": (lambda: Calls(_batch_norms, nn.BatchNorm1d(3, track_running_stats=False),
                                       nn.BatchNorm2d(3)), lambda n: (_floats(n, 3), _floats(n, 3, 4, 2)), (0, 0)),
}


@pytest.mark.parametrize("name", list(ALONG_THE_BATCH))
def test_operations_along_a_symbolic_batch_run_in_onnxruntime_as_in_anynn(name: str) -> None:
    build, make_inputs, axes = ALONG_THE_BATCH[name]
    anynn.manual_seed(0)
    model = build().eval()
    names = [f"in{i}" for i in range(len(axes))]
    dynamic_axes = {name: {axis: "batch"} for name, axis in zip(names, axes) if axis is not None}
    proto = export(model, make_inputs(4), io.BytesIO(), input_names=names, dynamic_axes=dynamic_axes)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for batch in (4, 2, 7):
        feeds = make_inputs(batch)
        _close(session.run(None, dict(zip(names, feeds))), _anynn(model, feeds))


def _torch_node_count(build: Callable[[Any], Any], example: np.ndarray) -> int:
    import onnx
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(build(torch.nn).eval(), (torch.from_numpy(example),), buffer, dynamo=False)
    return len(onnx.load_from_string(buffer.getvalue()).graph.node)


# the yardstick: at most 1.5x the nodes of torch.onnx.export for the same model
SIZES = {
    "mlp": (lambda M: M.Sequential(M.Linear(16, 32), M.ReLU(), M.Linear(32, 10)), (8, 16)),
    "cnn": (lambda M: M.Sequential(M.Conv2d(3, 8, 3, padding=1), M.BatchNorm2d(8), M.ReLU(), M.MaxPool2d(2),
                                   M.Flatten(), M.Linear(8 * 4 * 4, 10)), (4, 3, 8, 8)),
    "lstm": (lambda M: M.LSTM(6, 8, num_layers=2), (7, 3, 6)),
    "gru": (lambda M: M.GRU(6, 8), (7, 3, 6)),
    "conv1d": (lambda M: M.Sequential(M.Conv1d(3, 6, 3, padding=1, padding_mode="reflect"), M.AvgPool1d(2),
                                      M.Tanh(), M.AdaptiveAvgPool1d(1), M.Flatten()), (4, 3, 10)),
}


@pytest.mark.parametrize("name", list(SIZES))
def test_graph_is_no_larger_than_one_and_a_half_torch_exports(name: str) -> None:
    pytest.importorskip("torch")
    build, shape = SIZES[name]
    example = _floats(*shape)
    ours = len(export(build(nn), example, io.BytesIO()).graph.node)
    assert ours <= 1.5 * _torch_node_count(build, example)


def test_lowered_families_are_one_operator_each() -> None:
    cnn = SIZES["cnn"][0](nn)
    ops = [n.op_type for n in export(cnn, _floats(2, 3, 8, 8), io.BytesIO()).graph.node]
    assert ops == ["Conv", "Relu", "MaxPool", "Reshape", "Gemm"]  # BatchNorm folded into the Conv
    ops = [n.op_type for n in export(nn.GRU(4, 5, num_layers=2), _floats(3, 2, 4), io.BytesIO()).graph.node]
    assert ops.count("GRU") == 2 and "If" not in ops
    gelu = nn.Sequential(nn.Linear(4, 4), nn.GELU())  # opset 17 has no Gelu: one Erf, not a rational form
    ops = [n.op_type for n in export(gelu, _floats(2, 4), io.BytesIO(), opset_version=17).graph.node]
    assert ops.count("Erf") == 1 and len(ops) <= 6
    sampler = Calls(lambda x, grid: nn.functional.grid_sample(x, grid, "bicubic", "reflection", align_corners=True))
    ops = [n.op_type for n in export(sampler, (_floats(2, 3, 5, 6), _floats(2, 4, 4, 2)), io.BytesIO()).graph.node]
    assert ops == ["GridSample"]  # (the recorded taps: ~1300 nodes, a minute to export)


class TiedLanguageModel(nn.Module):
    """Token embedding, LayerNorm, and an output layer whose weight is the embedding's table (weight tying)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed, self.norm, self.head = nn.Embedding(20, 8), nn.LayerNorm(8), nn.Linear(8, 20, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens: Any) -> Any:
        return self.head(self.norm(self.embed(tokens)))


def _stored_bytes(proto: Any) -> int:
    import onnx

    return sum(onnx.numpy_helper.to_array(t).nbytes for t in proto.graph.initializer)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "symbolic_batch"])
def test_weights_are_stored_once(dynamic: bool) -> None:
    """In-place layers write one value (their write recorded a ScatterND with an index per element: a UNet's file
    was 15x its weights); equal weights (TransformerEncoder's layers start as copies of one) are stored once."""
    anynn.manual_seed(0)
    block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                          nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(8 * 8 * 8, 4))
    axes = {"input": [0]} if dynamic else None
    proto = export(block, _floats(2, 3, 8, 8), io.BytesIO(), dynamic_axes=axes)
    assert [n.op_type for n in proto.graph.node] == ["Conv", "Relu", "Conv", "Relu", "Reshape", "Gemm"]
    weights = sum(np.asarray(p.array).nbytes for p in block.parameters())
    assert _stored_bytes(proto) <= weights + 256
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 3,
                                    enable_nested_tensor=False)
    one_layer = sum(np.asarray(p.array).nbytes for p in encoder.layers[0].parameters())
    assert _stored_bytes(export(encoder, _floats(2, 5, 8), io.BytesIO(), dynamic_axes=axes)) <= 1.2 * one_layer
    tied = TiedLanguageModel()  # the output layer reads the embedding's table transposed: stored once
    proto = export(tied, np.arange(10).reshape(2, 5), io.BytesIO(), dynamic_axes=axes)
    assert _stored_bytes(proto) <= sum(np.asarray(p.array).nbytes for p in tied.parameters()) + 256
    tokens = np.arange(15).reshape(3, 5) if dynamic else np.arange(10).reshape(2, 5)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    _close(session.run(None, {"input": tokens}), _anynn(tied.eval(), (tokens,)))


def test_shape_inference_while_optimizing_leaves_the_weights_out(monkeypatch: Any) -> None:
    """The optimizer infers shapes once per round (many rounds under symbolic image sizes), and each call serialized
    the whole model, weights included: 65 of the 100 s of a UNet's export. Only shapes and small constants go in."""
    import onnx

    largest: list[int] = []
    infer = onnx.shape_inference.infer_shapes

    def recording(model: Any, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_filename.endswith(os.path.join("onnx", "optimize.py")):  # (not ndonnx's own)
            largest.append(max((t.ByteSize() for t in model.graph.initializer), default=0))
        return infer(model, *args, **kwargs)

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", recording)
    anynn.manual_seed(0)
    model = Calls(lambda x, unet, conv: conv(unet(x)), UpPad(), nn.Conv2d(2, 512, 3, padding=1)).eval()
    axes = {"input": {0: "batch", 2: "height", 3: "width"}}
    proto = export(model, _floats(2, 3, 8, 9), io.BytesIO(), dynamic_axes=axes)
    assert largest and max(largest) < np.asarray(model.layers[1].weight.array).nbytes
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for shape in ((2, 3, 8, 9), (1, 3, 11, 6)):
        _close(session.run(None, {"input": _floats(*shape)}), _anynn(model, (_floats(*shape),)))


# pools whose windows PyTorch counts unlike ONNX's ceil_mode (a last window starting in the padding), with
# PyTorch's divisors; (layer, input shape, the graph's operators: lowered, or None for the recorded fallback)
POOLS = [
    (lambda: nn.MaxPool2d(2, padding=1, ceil_mode=True), (3, 2, 7, 5), ["MaxPool"]),
    (lambda: nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), (3, 2, 10), ["MaxPool"]),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True), (3, 2, 8, 7), None),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (3, 2, 8, 6), ["AveragePool", "Mul"]),
    (lambda: nn.AvgPool2d(2, padding=1, ceil_mode=True, count_include_pad=False), (3, 2, 7, 5), ["AveragePool"]),
    (lambda: nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True), (3, 2, 10), ["AveragePool", "Mul"]),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, divisor_override=4), (3, 2, 6, 7), ["AveragePool", "Mul"]),
    (lambda: nn.AvgPool2d(2, stride=3, ceil_mode=True, divisor_override=3), (3, 2, 7, 6), ["AveragePool", "Mul"]),
]


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "symbolic_batch"])
@pytest.mark.parametrize("case", range(len(POOLS)))
def test_pool_windows_and_divisors_are_pytorchs(case: int, dynamic: bool) -> None:
    """The graph's declared output shape is PyTorch's (onnx's shape inference of ceil_mode counts a window
    starting in the padding, so layers after it were sized wrong), and so are its values."""
    build, shape, ops = POOLS[case]
    layer = build()
    x = _floats(*shape)
    proto = export(layer, x, io.BytesIO(), dynamic_axes={"input": [0]} if dynamic else None)
    if ops is not None:
        assert [n.op_type for n in proto.graph.node] == ops
    expected = np.asarray(layer(anynn.tensor(x)).array)
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value if d.HasField("dim_value") else None for d in dims] == \
        [None if dynamic and i == 0 else n for i, n in enumerate(expected.shape)]
    (got,) = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"input": x})
    _close([got], [expected])


def test_failures_name_the_layer_and_the_reason() -> None:
    class Reader(nn.Module):
        def forward(self, x: Any) -> Any:
            return x * float(x.sum().item())  # needs a value: a recorded input has none

    model = nn.Sequential(nn.Linear(3, 3), Reader())
    with pytest.raises(ExportError, match=r"layer 1 \(Reader\).*no value.*Tensor.item\(\) was asked for \(at "
                                          r"test_onnx.py:\d+: `return x \* float\(x.sum\(\).item\(\)\)"):
        export(model, _floats(2, 3), io.BytesIO())

    class Next(nn.Module):  # ndonnx raises a bare NotImplementedError: the message says where
        def forward(self, x: Any) -> Any:
            return anynn.nextafter(x, x + 1)

    with pytest.raises(ExportError, match=r"NotImplementedError: .*raised with no message by nextafter\(\) \(.*py:\d"):
        export(Next(), _floats(2, 3), io.BytesIO())

    class Sized(nn.Module):  # an array made with a symbolic axis' None as its size: the call and the fix are named
        def forward(self, x: Any) -> Any:
            return x + anynn.Tensor._make(x.backend.xp.ones(x.array.shape), x.backend, None, 0)

    with pytest.raises(ExportError, match=r"ones\(\(None, 3\)\): a size of None is a symbolic axis.*ones_like"):
        export(Sized(), _floats(2, 3), io.BytesIO(), dynamic_axes={"input": [0]})
    fixed = Calls(lambda x, layer: x + layer.weight, nn.Linear(3, 5))  # (a graph failing on its example before)
    with pytest.raises(ExportError, match=r"layer model \(Calls\) fails on the example inputs .*dynamic_axes\): "
                                          r"ShapeMismatchError: .*size of tensor a \(2\) must match .* \(5\)"):
        export(fixed, _floats(2, 3), io.BytesIO(), dynamic_axes={"input": [0]})

    def last_states(x: Any, lengths: Any, lstm: Any) -> Any:  # lengths as ints export (constants), as a tensor too
        return lstm(nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))[1]  # (packed_lengths row)

    lstm = nn.LSTM(3, 2)
    export(Calls(lambda x, lstm: last_states(x, [2, 4], lstm), lstm), _floats(4, 2, 3), io.BytesIO())
    with pytest.raises(ExportError, match=r"nn.init.orthogonal_ in a recorded forward .* one draw as a constant"):
        export(Calls(lambda x: x @ nn.init.orthogonal_(anynn.empty(3, 3))), _floats(2, 3), io.BytesIO())
    with pytest.raises(ExportError, match=r"Poisson.sample\(\): an ONNX export has no such sampler .* one draw as a "
                                          r"constant"):  # (a constant rate: the graph held one draw, silently)
        export(Calls(lambda x: x + anynn.distributions.Poisson(3.0).sample((2, 3))), _floats(2, 3), io.BytesIO())
    scale, holder = anynn.tensor([1.0, 2.0, 3.0]), nn.Identity()  # a plain tensor attribute (in a list here) is a
    holder.scales = [scale]  # constant of the graph, as in PyTorch's export (it was a BackendMismatch)
    plain = Calls(lambda x, layer: x * layer.scales[0], holder)
    (got,) = ort.InferenceSession(export(plain, _floats(2, 3), io.BytesIO()).SerializeToString()).run(
        None, {"input": _floats(2, 3)})
    _close([got], [_floats(2, 3) * [1, 2, 3]])
    with pytest.raises(ExportError, match=r"inputs live on two backends.*a global, a closure's.*register_buffer"):
        export(Calls(lambda x: x * scale), _floats(2, 3), io.BytesIO())


def test_layers_computing_with_a_symbolic_size_are_refused_naming_the_axis() -> None:
    class Branch(nn.Module):
        def forward(self, x: Any) -> Any:
            return x[:2] if x.shape[0] > 2 else x  # one path per batch size: a graph has one

    model = nn.Sequential(nn.Linear(3, 3), Branch())
    export(model, _floats(2, 4, 3), io.BytesIO())  # static shapes: fine
    with pytest.raises(ExportError, match=r"layer 1 \(Branch\).*condition on a symbolic size \(batch > 2.*static "
                                          r"shapes.*'x' axis 0 in dynamic_axes"):
        export(model, _floats(2, 4, 3), io.BytesIO(), input_names=["x"], dynamic_axes={"x": {0: "batch"}})

    class Rows(nn.Module):
        def forward(self, x: Any, rows: Any) -> Any:
            return x[rows, rows % 3]  # row -1 wraps by the batch size, read as the graph runs (refused before)

    proto = export(Rows(), (_floats(4, 3), np.array([0, -1])), io.BytesIO(), dynamic_axes={"input": [0]})
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    _close(session.run(None, {"input": _floats(6, 3), "input_1": np.array([0, -1])}),
           _anynn(Rows(), (_floats(6, 3), np.array([0, -1]))))
    with pytest.raises(ExportError, match=r"an indexed write .* index_put.* shape \(None, 3\) needs the flat"):
        export(Calls(lambda x, i: x.index_put((i, i), x[0, :2], accumulate=True)), (_floats(4, 3), np.array([0, 1])),
               io.BytesIO(), dynamic_axes={"input": [0]})  # (was 'unsupported operand type(s) for *=')
    with pytest.raises(ExportError, match=r"pdist: the pairs i < j .* shape \(None, 3\) .* use cdist\(x, x\)"):
        export(Calls(nn.functional.pdist), _floats(4, 3), io.BytesIO(), dynamic_axes={"input": [0]})

    class Tail(nn.Module):
        def forward(self, x: Any) -> Any:
            y = x.clone()
            y[1:] = 0.0  # all rows but the first: as many as the graph has only when it runs
            return y

    with pytest.raises(ExportError, match=r"slice\(1, None, None\) of an axis of symbolic size"):
        export(Tail(), _floats(4, 3), io.BytesIO(), dynamic_axes={"input": [0]})

    class Squeeze(nn.Module):
        def forward(self, x: Any) -> Any:
            return x.squeeze(0)  # PyTorch drops the axis for a batch of 1 only: a graph has one rank

    with pytest.raises(ExportError, match=r"squeeze: dim \[0\] .* symbolic size"):
        export(Squeeze(), _floats(1, 3), io.BytesIO(), dynamic_axes={"input": [0]})

    for counted, reason in ((lambda i: anynn.bincount(i), "bincount: the number of bins"),
                            (lambda i: nn.functional.one_hot(i), "one_hot: num_classes=-1 counts the classes")):
        with pytest.raises(ExportError, match=reason):  # (sizes from the values: static shapes refuse them too)
            export(Calls(counted), np.array([1, 3, 0]), io.BytesIO())
    with pytest.raises(ExportError, match=r"chunk: the pieces along dim 0 are counted from its size, a symbolic"):
        export(Calls(lambda x: x.chunk(2, 0)), _floats(4, 3), io.BytesIO(), dynamic_axes={"input": [0]})
    shrink = Calls(lambda x: nn.functional.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True))
    export(shrink, _floats(1, 2, 8, 6), io.BytesIO(), opset_version=17, dynamic_axes={"input": [0]})
    with pytest.raises(ExportError, match=r"interpolate: antialias=True .* opset 17 .*opset_version >= 18"):
        export(shrink, _floats(1, 2, 8, 6), io.BytesIO(), opset_version=17, dynamic_axes={"input": [0, 2, 3]})
    kernel = r"avg_pool2d: kernel_size \(SymInt\(\w+\), SymInt\(\w+\)\) holds the size of a symbolic axis .* whole"
    with pytest.raises(ExportError, match=kernel):  # (a global pool records)
        export(Calls(lambda x: nn.functional.avg_pool2d(x, x.size(3))), _floats(1, 2, 8, 6), io.BytesIO(),
               dynamic_axes={"input": [2, 3]})
    peaks = Calls(lambda x, i: x.scatter_reduce(1, i, x, "amax"))  # ScatterElements' max: opset 18 on
    with pytest.raises(ExportError, match=r"scatter_reduce: reduce='amax' .* opset 17 .*opset_version >= 18"):
        export(peaks, (_floats(2, 3), _labels(0, 3, (2, 3))), io.BytesIO(), opset_version=17,
               dynamic_axes={"input": [0], "input_1": [0]})


    class AllPositions(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.positions = nn.Parameter(anynn.ones(1, 8, 3))

        def forward(self, x: Any) -> Any:
            return x[:, :1] + self.positions  # all 8 rows, for any length (tests/onnx/test_symbolic_sizes: [:, :T])

    axes = {"input": {0: "batch", 1: "t"}, "output": {0: "batch", 1: "t"}}
    with pytest.raises(ExportError, match=r"output 'output' axis 1 is 't' in dynamic_axes.*fixes its size to 8"):
        export(AllPositions(), _floats(2, 5, 3), io.BytesIO(), dynamic_axes=axes)
    # (x / x.numel() in the model's own code records: tests/onnx/test_symbolic_sizes.py)


class Noisy(nn.Module):
    """Draws in the forward: Gaussian and uniform noise like the input, dropout called in training mode (elements
    and channels), rrelu in training mode, integers and coin flips like the input, a fixed-shape draw; the in-place
    fills (timm's DropPath: x.new_empty(shape).bernoulli_(keep)), which drew on the host: one constant of the
    graph; gumbel_softmax, multinomial, distributions' samples and attention's dropout (their draws had None sizes);
    nn.init's fills (host draws as well); a Beta draw (Gamma draws made of the graph's normal and uniform ones)."""

    def forward(self, x: Any) -> Any:
        F, distributions = nn.functional, anynn.distributions
        grid = x.reshape(x.shape[0], 4, 2, 1)
        fills = (x.new_empty((x.shape[0], 8)).bernoulli_(0.3), anynn.empty_like(x).uniform_(-1, 3),
                 anynn.empty_like(x).normal_(2, 3), anynn.empty_like(x).exponential_(2),
                 anynn.empty_like(x).cauchy_(1), anynn.empty_like(x).log_normal_(1, 0.5),
                 anynn.empty_like(x).geometric_(0.5), anynn.empty_like(x, dtype=anynn.int64).random_(2, 6))
        return (x + anynn.randn_like(x), anynn.rand_like(x), F.dropout(x, 0.25, training=True),
                F.dropout2d(grid, 0.5, training=True), F.rrelu(-x.abs(), 0.1, 0.3, training=True),
                anynn.randint_like(x, 2, 6), anynn.bernoulli(anynn.full_like(x, 0.3)), anynn.randn(3, 2), *fills,
                F.gumbel_softmax(x, hard=True), anynn.multinomial(x.softmax(-1), 2),
                nn.init.kaiming_uniform_(anynn.empty(8, 4)), nn.init.trunc_normal_(anynn.empty_like(x), a=-0.5, b=2),
                distributions.Normal(x, 0.5).rsample(), distributions.Gumbel(x, 1.0).sample(),
                distributions.Beta(x.abs() * 0.3, 2.0).sample(),  # (two Gamma draws: a < 1 and a >= 1; a host read
                # before; abs: a valid concentration for the example export runs eagerly)
                F.scaled_dot_product_attention(z := x[:, None, :, None] * 0, z, z + 1, dropout_p=0.5))


def test_random_draws_are_random_nodes_drawn_on_every_run() -> None:
    """A draw in the forward is an ONNX random node (drawn by onnxruntime on each run, as the model draws on each
    call), not one constant of the graph; the same distributions as anynn's, under a symbolic batch too."""
    for axes in (None, {"input": [0]}):
        proto = export(Noisy(), _floats(64, 8), io.BytesIO(), dynamic_axes=axes)  # (64 rows: with 4, two runs drew
        kinds = {n.op_type for n in proto.graph.node}  # the same gumbel_softmax(hard) one-hots once in 4096 runs)
        assert {"RandomNormalLike", "RandomUniformLike", "RandomNormal"} <= kinds
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        x = np.ones((64 if axes is None else 3000, 8), np.float32)
        first, second = session.run(None, {"input": x}), session.run(None, {"input": x})
        assert not any(np.array_equal(a, b) for a, b in zip(first, second))
        if axes is None:
            continue
        noise, uniform, dropped, channels, leaky, integers, coins, fixed, *fills = first
        flips, spread, normal, waits, cauchy, log_normal, trials, whole, one_hot, picks, kaiming, truncated, *d = fills
        assert abs(d[0].mean() - 1) < 0.02 and abs(d[0].std() - 0.5) < 0.02  # Normal(1, 0.5)
        assert abs(d[1].mean() - 1.5772) < 0.05 and abs(d[1].std() - 1.2825) < 0.05  # Gumbel(1, 1)
        assert 0 < d[2].min() and d[2].max() < 1 and abs(d[2].mean() - 0.1304) < 0.006  # Beta(0.3, 2)
        assert abs(d[2].std() - 0.1854) < 0.006
        assert set(np.unique(d[3] * 4)) <= {*range(9)} and abs(d[3].mean() - 1) < 0.02  # (kept weights 2 / 8 each)
        assert kaiming.shape == (8, 4) and np.abs(kaiming).max() < np.sqrt(3 / 2) and kaiming.std() > 0.5
        assert -0.5 <= truncated.min() and truncated.max() <= 2 and abs(truncated.mean() - 0.4458) < 0.03
        assert picks.shape == (3000, 2) and (picks[:, 0] != picks[:, 1]).all() and set(np.unique(picks)) == {*range(8)}
        assert (one_hot.sum(1) == 1).all() and set(np.unique(one_hot)) == {0.0, 1.0}  # (its draw had None sizes)
        assert abs(one_hot.mean(0) - 1 / 8).max() < 0.03
        # (5 standard errors of 24,000 draws)
        assert set(np.unique(flips)) == {0.0, 1.0} and abs(flips.mean() - 0.3) < 0.015
        assert -1 <= spread.min() and spread.max() < 3 and abs(spread.mean() - 1) < 0.04
        assert abs(normal.mean() - 2) < 0.1 and abs(normal.std() - 3) < 0.07
        assert waits.min() >= 0 and abs(waits.mean() - 0.5) < 0.02 and abs(np.median(cauchy) - 1) < 0.05
        assert abs(np.log(log_normal).mean() - 1) < 0.02 and abs(np.log(log_normal).std() - 0.5) < 0.015
        assert trials.min() == 1 and (trials == np.round(trials)).all() and abs(trials.mean() - 2) < 0.05
        assert whole.dtype == np.int64 and set(np.unique(whole)) == {2, 3, 4, 5}
        assert abs(noise.mean() - 1) < 0.02 and abs(noise.std() - 1) < 0.02 and fixed.shape == (3, 2)
        assert 0 <= uniform.min() and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01
        assert set(np.unique(dropped)) == {0.0, np.float32(1 / 0.75)} and abs((dropped == 0).mean() - 0.25) < 0.01
        assert (channels.reshape(3000, 4, 2)[:, :, 0] == channels.reshape(3000, 4, 2)[:, :, 1]).all()
        assert -0.3 <= leaky.min() and leaky.max() <= -0.1 and abs(leaky.mean() + 0.2) < 0.01
        assert set(np.unique(integers)) == {2.0, 3.0, 4.0, 5.0} and abs((coins == 1).mean() - 0.3) < 0.01


def test_fourier_transforms_are_refused_naming_the_reason() -> None:
    import anynn.fft

    class Spectral(nn.Module):  # a Fourier neural operator's spectral filter, in one dimension
        def forward(self, x: Any) -> Any:
            return anynn.fft.irfft(anynn.fft.rfft(x) * 0.5, n=x.shape[-1])

    with pytest.raises(ExportError, match=r"model \(Spectral\).*anynn.fft, stft, istft.*no complex dtype.*DFT"):
        export(Spectral(), _floats(2, 16), io.BytesIO())
    with pytest.raises(ExportError, match=r"anynn.linalg's decompositions and solvers .* no linalg module"):
        export(Calls(lambda x: anynn.linalg.inv(x)), _floats(2, 3, 3), io.BytesIO())


def test_fractional_max_pooling_draws_its_regions_on_every_run() -> None:
    """The regions come from a random node (they were refused: one draw held as a constant would pool the same ones
    on every run); given as a graph input, they pool as anynn does, under a symbolic batch."""
    F, axes = nn.functional, {"input": [0], "input_1": [0]}
    given = Calls(lambda x, u: F.fractional_max_pool2d(x, 2, (3, 4), return_indices=True, _random_samples=u))
    proto = export(given, (_floats(2, 3, 7, 8), np.random.default_rng(0).random((2, 3, 2), np.float32)),
                   io.BytesIO(), dynamic_axes=axes)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for n in (2, 5):
        feeds = (_floats(n, 3, 7, 8), np.random.default_rng(n).random((n, 3, 2), np.float32))
        _close(session.run(None, {"input": feeds[0], "input_1": feeds[1]}), _anynn(given, feeds))
    for layer, shape in ((nn.FractionalMaxPool2d(2, output_size=3), (4, 3, 7, 7)),):
        proto = export(layer, _floats(*shape), io.BytesIO(), dynamic_axes={"input": [0]})
        assert "RandomUniformLike" in {n.op_type for n in proto.graph.node}
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        x = _floats(8, *shape[1:])
        runs = [session.run(None, {"input": x})[0] for _ in range(3)]
        assert all(r.shape == tuple(layer(anynn.tensor(x)).shape) and np.isin(r, x).all() for r in runs)
        assert any(not np.array_equal(runs[0], r) for r in runs[1:])


class CTC(nn.Module):
    """CTC loss with the lengths as tuples of ints (constants of the graph) or as tensors (graph inputs)."""

    def forward(self, log_probs: Any, targets: Any, lengths: Any = None) -> Any:
        return nn.CTCLoss()(log_probs, targets, (7, 7) if lengths is None else lengths, (3, 2))


def test_ctc_loss_exports_with_lengths_as_ints_and_refuses_them_as_graph_inputs() -> None:
    log_probs = np.log(np.random.default_rng(0).dirichlet(np.ones(5), (7, 2))).astype(np.float32)
    targets = np.array([[1, 2, 3], [2, 4, 1]])
    proto = export(CTC(), (log_probs, targets), io.BytesIO())
    (got,) = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"input": log_probs, "input_1": targets})
    _close([got], _anynn(CTC(), (log_probs, targets)))
    with pytest.raises(ExportError, match=r"CTCLoss.*input_lengths is a recorded or traced tensor.*tuples of ints"):
        export(CTC(), (log_probs, targets, np.array([7, 6])), io.BytesIO())


def test_arguments_are_checked() -> None:
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="opset_version must be between 7 and 21"):
        export(model, _floats(2, 3), io.BytesIO(), opset_version=6)
    with pytest.warns(UserWarning, match="could not be converted to opset_version 11 .* written in opset 17"):
        old = export(nn.Sequential(model, nn.Mish()), _floats(2, 3), io.BytesIO(), opset_version=11)
    assert [o.version for o in old.opset_import if o.domain == ""] == [17]  # (a ValueError before: 17 to 21)
    with pytest.raises(ValueError, match="dynamic axis 2"):
        export(model, _floats(2, 3), io.BytesIO(), dynamic_axes={"input": [2]})
    with pytest.raises(TypeError, match="args"):
        export(model, "x", io.BytesIO())
    # (each failed inside the recording library before: int('b'), '<=' of a str, IndexError, spox's ScopeError)
    with pytest.raises(TypeError, match=r"dynamic_axes\['input'\] should be a dict .* got 'batch'"):
        export(model, _floats(2, 3), io.BytesIO(), dynamic_axes={"input": "batch"})
    with pytest.raises(TypeError, match="opset_version should be an int"):
        export(model, _floats(2, 3), io.BytesIO(), opset_version="17")
    with pytest.raises(ValueError, match=r"names must be distinct, but \['x'\]"):
        export(model, _floats(2, 3), io.BytesIO(), input_names=["x"], output_names=["x"])
    with pytest.raises(ExportError, match="returned no Tensor"):
        export(Calls(lambda x: None), _floats(2, 3), io.BytesIO())
    seen: list[bool] = []  # torch.onnx.is_in_onnx_export() in a forward (YOLO-style export paths; missing before)
    export(Calls(lambda x: (seen.append(anynn.onnx.is_in_onnx_export()), x * 2)[1]), _floats(2, 3), io.BytesIO())
    assert seen == [True] and not anynn.onnx.is_in_onnx_export() and anynn.onnx.OnnxExporterError is ExportError
    # torch.onnx.export's keywords as tutorials write them; the ones that ask for another graph are refused
    proto = export(model, _floats(2, 3), io.BytesIO(), export_params=True, do_constant_folding=True, verbose=False,
                   dynamo=False, input_names=["x"], output_names=["y"], opset_version=17, dynamic_axes={"x": [0]})
    assert [i.name for i in proto.graph.input] == ["x"] and [o.name for o in proto.graph.output] == ["y"]
    program = export(model, (_floats(2, 3),), dynamo=True)  # no file: an ONNXProgram, as PyTorch (TypeError before)
    program.optimize()
    got = program(_floats(2, 3))[0].numpy()
    np.testing.assert_allclose(got, model(anynn.tensor(_floats(2, 3))).detach().numpy(), rtol=1e-6, atol=1e-7)
    assert isinstance(program, anynn.onnx.ONNXProgram) and len(program.model_proto.graph.node) == 1
    with pytest.warns(UserWarning, match="dynamic_axes names 'features', which is no input or output"):
        export(model, _floats(2, 3), io.BytesIO(), dynamic_axes={"features": [0]})
    # the weights as graph inputs, as PyTorch's exporter writes them (ValueError before): fed, or their defaults
    import onnx

    bare = export(model, _floats(2, 3), io.BytesIO(), export_params=False)
    kept = export(model, _floats(2, 3), io.BytesIO(), keep_initializers_as_inputs=True)
    assert len(bare.graph.input) == len(kept.graph.input) == 3 and not bare.graph.initializer
    assert [i.name for i in bare.graph.input] == ["input", "weight", "bias"]  # the model's names, as PyTorch's
    expected = model(anynn.tensor(_floats(2, 3))).detach().numpy()
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in kept.graph.initializer}
    for proto, feed in ((bare, weights), (kept, {})):
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(session.run(None, {"input": _floats(2, 3), **feed})[0], expected, rtol=1e-6)
    with pytest.raises(ValueError, match=r"kwargs=\['x'\]"):
        export(model, (), io.BytesIO(), kwargs={"x": _floats(2, 3)})
    with pytest.raises(ValueError, match=r"a dict at the end of args, keys \['x'\]"):  # PyTorch's other spelling
        export(model, (_floats(2, 3), {"x": _floats(2, 3)}), io.BytesIO())
    class Foreign:  # another library's array (a torch tensor, a JAX array)
        def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
            return _floats(2, 3)

    with pytest.raises(TypeError, match=r"got .*\.Foreign \(convert it with .numpy\(\) or anynn.tensor\)"):
        export(model, (Foreign(),), io.BytesIO())
    with pytest.raises(TypeError, match=r"model must be an anynn.nn.Module, got function"):
        export(lambda x: x, _floats(2, 3), io.BytesIO())
    # an optional input given as None reaches forward as None (no graph input); a number is a 0-d graph input
    optional = Calls(lambda x, mask, scale, linear: linear(x if mask is None else x * mask) * scale, model)
    proto = export(optional, (_floats(2, 3), None, 2.0), io.BytesIO(), dynamic_axes={"input": [0]})
    assert [i.name for i in proto.graph.input] == ["input", "input_1"]
    feeds = {"input": _floats(5, 3), "input_1": np.array(3.0, np.float32)}
    (got,) = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    _close([got], [np.asarray(model(anynn.tensor(feeds["input"])).array) * 3])
    # a tuple inside args reaches forward as a tuple and its Tensors are inputs, as PyTorch flattens them:
    # word_language_model's export of (tokens, (h, c)) (TypeError 'got tuple' before)
    lstm, state = nn.LSTM(3, 2), (_floats(1, 2, 2), -_floats(1, 2, 2))
    proto = export(Calls(lambda x, hc, lstm: lstm(x, hc), lstm), (_floats(4, 2, 3), state), io.BytesIO())
    assert [i.name for i in proto.graph.input] == ["input", "input_1", "input_2"] and len(proto.graph.output) == 3
    got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"input": _floats(4, 2, 3), "input_1": state[0], "input_2": state[1]})
    out, (h, c) = lstm(anynn.tensor(_floats(4, 2, 3)), tuple(map(anynn.tensor, state)))
    _close(got, [t.detach().numpy() for t in (out, h, c)])


def test_dynamic_shapes_and_pytorchs_exporter_options() -> None:
    """torch.onnx.export's dynamo-era keywords (a TypeError before): dynamic_shapes with Dim, names, AUTO and None,
    keyed by the forward's parameters or by position, a tuple input's per item; custom operator domains refused."""
    from anynn.export import Dim

    model, x, h = WithState(nn.GRU(3, 4, batch_first=True)), _floats(2, 5, 3), np.zeros((1, 2, 4), np.float32)
    for shapes, dims in (({"x": {0: Dim("batch"), 1: "T"}, "h0": [None, Dim("batch"), None]}, [["batch", "T", 3],
                                                                                              [1, "batch", 4]]),
                         (({0: Dim.AUTO, 1: None}, {1: Dim.DYNAMIC}), [["input_dynamic_axes_1", 5, 3],
                                                                        [1, "input_1_dynamic_axes_2", 4]])):
        proto = export(model, (x, h), io.BytesIO(), dynamic_shapes=shapes, verify=True, report=False,
                       external_data=True, operator_export_type=anynn.onnx.OperatorExportTypes.ONNX)
        assert [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in proto.graph.input] == dims
    with pytest.raises(ValueError, match=r"names \['y'\], which are not among the forward's parameters"):
        export(model, (x, h), io.BytesIO(), dynamic_shapes={"y": {0: "b"}})
    with pytest.raises(ValueError, match="not both"):
        export(model, (x, h), io.BytesIO(), dynamic_shapes=({0: "b"}, None), dynamic_axes={"input": [0]})
    with pytest.raises(ValueError, match="only the standard ONNX domain"):
        export(model, (x, h), io.BytesIO(), custom_opsets={"com.microsoft": 1})
    with pytest.raises(ValueError, match="ONNX_ATEN"):
        export(model, (x, h), io.BytesIO(), operator_export_type=anynn.onnx.OperatorExportTypes.ONNX_ATEN)
    with pytest.warns(UserWarning, match="uses no symbolic functions; nothing is registered"):
        anynn.onnx.register_custom_op_symbolic("mynamespace::op", lambda g, x: x, 11)


def test_export_leaves_the_model_as_it_was() -> None:
    """And records it in the mode ``training`` asks for (torch.onnx.TrainingMode's meaning; it was eval mode
    whatever was asked): dropout is a random node in training mode, and batch norm uses the batch's statistics."""
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    before = np.asarray(model[0].weight.array).copy()
    export(model, _floats(2, 3), io.BytesIO())
    assert model.training and model[0].weight.backend.name == "numpy"
    np.testing.assert_array_equal(np.asarray(model[0].weight.array), before)
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Dropout(0.5))
    modes = anynn.onnx.TrainingMode
    for mode, train, random in ((modes.TRAINING, False, True), (modes.PRESERVE, True, True), (modes.EVAL, True, False)):
        model.train(train)
        proto = export(model, _floats(4, 3), io.BytesIO(), training=mode)
        assert model.training == train and ("RandomUniform" in {n.op_type for n in proto.graph.node}) == random
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {"input": _floats(4, 3)})
        h = np.asarray(model[0](anynn.tensor(_floats(4, 3))).detach().array)  # (running statistics: 0 and 1)
        normalized = (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5) * 2 * (got != 0) if random else h / np.sqrt(1 + 1e-5)
        _close([got], [normalized.astype(np.float32)])
    assert int(model[1].num_batches_tracked) == 0  # (the recording's batch norm counted on a copy)
    with pytest.raises(TypeError, match=r"training should be an anynn.onnx.TrainingMode .*got True"):
        export(model, _floats(4, 3), io.BytesIO(), training=True)  # (PyTorch's TypeError too)


def test_functions_held_by_layers_run_on_the_recorded_copy() -> None:
    """minGPT's ``m = self.mlp; self.mlpf = lambda x: m.dropout(m.c_proj(...))``: the export records a copy of the
    model, and a function attribute copied as itself called the original's layers (ExportError, 'BackendMismatch:
    Linear: input is on backend 'ndonnx' but the layer's parameters are on 'numpy''); its closure (and defaults)
    now hold the copy's."""

    class Held(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            m = self.mlp = nn.ModuleDict({"fc": nn.Linear(3, 4), "act": nn.GELU()})
            self.mlpf = lambda x: m.act(m.fc(x))
            self.out = nn.Linear(4, 2)
            self.head = lambda x, out=self.out: out(x)

        def forward(self, x: Any) -> Any:
            return self.head(self.mlpf(x))

    model = Held()
    session = ort.InferenceSession(export(model, _floats(2, 3), io.BytesIO()).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    _close(session.run(None, {"input": _floats(2, 3)}), _anynn(model, (_floats(2, 3),)))
    assert model.mlp.fc.weight.backend.name == "numpy"


def test_ndonnx_backend_records_the_plain_decomposition() -> None:
    """Without the lowering table every Function's own forward is recorded (the fallback), and constant
    arrays still have values: the backend computes the same numbers as NumPy."""
    from anynn.backend import get_backend

    backend = get_backend("ndonnx")
    assert backend.function_fast_paths == {}
    anynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.LayerNorm(5))
    x = _floats(3, 4)
    expected = model(anynn.tensor(x)).array
    model.to("ndonnx")
    got = model(anynn.tensor(x, backend="ndonnx"))
    assert not backend.is_traced(got.array)
    np.testing.assert_allclose(backend.to_host(got.array), expected, rtol=1e-5, atol=1e-6)
    import ndonnx

    assert backend.is_traced(ndonnx.argument(shape=("N", 4), dtype=ndonnx.float32))


def test_opset_18_and_names(tmp_path: Any) -> None:
    import onnx

    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8))
    proto = export(model, _floats(2, 4), tmp_path / "m.onnx", input_names=["features"], output_names=["scores"],
                   dynamic_axes={"features": {0: "n"}, "scores": {0: "n"}}, opset_version=18)
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [18]
    assert [i.name for i in proto.graph.input] == ["features"] and proto.graph.output[0].name == "scores"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "n"
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")), full_check=True)
    # a symbolic axis keeps its name through a Flatten (ONNX Reshape's 0) to outputs dynamic_axes does not list
    cnn = SIZES["cnn"][0](nn)
    proto = export(cnn, _floats(2, 3, 8, 8), tmp_path / "c.onnx", dynamic_axes={"input": {0: "batch"}})
    dims = onnx.load(str(tmp_path / "c.onnx")).graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 10]
    program = export(model, (_floats(2, 4),))  # ONNXProgram.save's initializer options (ValueError before)
    program.save(tmp_path / "p.onnx", include_initializers=False)
    saved = onnx.load(str(tmp_path / "p.onnx"))
    assert not saved.graph.initializer and len(saved.graph.input) == 1 + len(program.model_proto.graph.initializer)


def test_a_failed_write_keeps_the_model_exported_before(tmp_path: Any) -> None:
    """The file is written atomically, as checkpoints are: a write the system refuses part-way (here a file size
    limit, as a full disk would) raises and leaves the previous export whole, with no temporary file beside it;
    onnx.save wrote in place and left a truncated model."""
    resource = pytest.importorskip("resource")
    import signal

    model, path = nn.Linear(4, 2), tmp_path / "m.onnx"
    export(model, _floats(2, 4), path)
    before = path.read_bytes()
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, limits[1]))
    try:
        with pytest.raises(OSError):
            export(nn.Linear(4, 3), _floats(2, 4), path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.onnx"]


def _downgraded_ops(x: Any) -> Any:
    F = nn.functional  # booleans reduced (any, a masked attention's guard), casts, a boolean xor, scatter, statistics;
    mask = anynn.tensor(_floats(7, 7) > 0)  # Mish, an operator from opset 18 on ('No Previous Version of Mish' at 17)
    return (x.cummax(0), (x > 0).any(-1), x.var(0), (x > 0) ^ (x < 1), x.long() // 2, F.mish(x),
            F.scaled_dot_product_attention(x[:, None], x[:, None], x[:, None], attn_mask=mask[:3, :3]),
            x.scatter_reduce(2, (x.abs() * 3).long() % 7, x, "sum", include_self=False), F.pad(x, (1, 2), "reflect"))


@pytest.mark.parametrize("opset", [11, 13])
def test_opsets_of_ported_programs_are_written_as_asked(opset: int) -> None:
    """opset_version=11 / 13 (torch.onnx.export in many a ported program) are written in that opset: LayerNormalization
    as its formula, Reshape / Mul / Transpose / Gemm... kept from the converter, which has no adapter for them (the
    graph stayed in opset 17 with a warning), and a softmax over another axis than the last moved there (before 13
    ONNX's Softmax normalizes the axes from its axis on, flattened: other values)."""
    model = Calls(lambda x, ln, lstm, conv: (ln(x).softmax(1), lstm(x)[0], x.log_softmax(0),
                                             conv(x[:, None]).reshape(x.size(0), -1).sigmoid()),
                  nn.LayerNorm(5), nn.LSTM(5, 3, batch_first=True), nn.Conv2d(1, 2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proto = export(model.eval(), _floats(2, 4, 5), io.BytesIO(), opset_version=opset)
    assert [o.version for o in proto.opset_import] == [opset]
    _close(ort.InferenceSession(proto.SerializeToString()).run(None, {"input": _floats(2, 4, 5)}),
           _anynn(model, (_floats(2, 4, 5),)))


@pytest.mark.parametrize("opset", [17])  # (every rewrite is needed at 17; 18 to 20 convert fewer steps)
def test_older_opsets_run_as_opset_21(opset: int) -> None:
    """onnx's version converter stopped or left attributes the older opset has not got (a UNet's Pad and its size
    arithmetic's BitwiseXor at 17, Cast's saturate at 17 and 18, ReduceMax of booleans before 20):
    `anynn.onnx.downgrade` rewrites those around it."""
    cases = [(UpPad(), lambda n, t: (_floats(n, 3, t, t + 3),), {0: "batch", 2: "height", 3: "width"}),
             (Calls(_downgraded_ops), lambda n, t: (_floats(n, 3, 7),), {0: "batch"})]
    for model, make_inputs, axes in cases:
        anynn.manual_seed(0)
        model.eval()
        proto = export(model, make_inputs(2, 8), io.BytesIO(), dynamic_axes={"input": axes}, opset_version=opset)
        assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [opset]
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        for n, t in ((2, 8), (3, 11)):
            feeds = make_inputs(n, t)
            _close(session.run(None, {"input": feeds[0]}), _anynn(model, feeds))
    # ONNX's Pad has its wrap mode from opset 19 on: circular padding is Slices and Concats before it (it was refused;
    # then over symbolic image sizes: 'unsupported operand type(s) for -: NoneType and int')
    circular = nn.Conv2d(2, 2, 3, padding=(1, 2), padding_mode="circular")
    proto = export(circular, _floats(2, 2, 5, 4), io.BytesIO(), opset_version=opset, dynamic_axes={"input": [0, 2, 3]})
    got = ort.InferenceSession(proto.SerializeToString()).run(None, {"input": _floats(3, 2, 6, 5)})
    _close(got, _anynn(circular, (_floats(3, 2, 6, 5),)))
    if opset < 18:  # integer bitwise operators are opset 18's (was the converter's 'No Previous Version of ...')
        with pytest.raises(ExportError, match=rf"in opset {opset}: bitwise_and \(x & y\) of integers is ONNX "
                                              rf"BitwiseAnd.*opset_version >= 18$"):
            export(Calls(lambda i: (i & 3) + 1), np.arange(4), io.BytesIO(), opset_version=opset)


@pytest.mark.slow
def test_example_prints_the_same_accuracy_from_onnxruntime(tmp_path: Any) -> None:
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("sklearn")
    script = Path(__file__).resolve().parents[2] / "examples" / "export_onnx.py"
    result = subprocess.run([sys.executable, str(script), "--epochs", "3", "--out", str(tmp_path / "d.onnx")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    ours = next(line for line in lines if line.startswith("anynn test accuracy")).split(": ")[1]
    theirs = next(line for line in lines if line.startswith("onnxruntime test accuracy")).split(": ")[1].split()[0]
    assert ours == theirs and float(ours) > 0.9


def test_constant_shortcut_reads_spox_or_leaves_it_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export reads a Constant's value from the node (no onnxruntime session per constant, spox's private
    value propagation); a spox release without those private names is left as it is, exports unchanged."""
    import spox._value_prop as value_prop

    from anynn.backend.ndonnx_graph import propagate_constants_without_a_session

    propagate_constants_without_a_session()  # (the ndonnx backend installs it: once per process)
    assert getattr(value_prop.infer, "reads_constants", False)

    def own_infer(model: Any, input_feed: Any) -> Any:
        return {}

    monkeypatch.setattr(value_prop, "infer", own_infer)
    monkeypatch.delattr(value_prop, "ValuePropBackend")
    propagate_constants_without_a_session()
    assert value_prop.infer is own_infer
