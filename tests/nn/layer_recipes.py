# ruff: noqa: E501  (a table: one recipe a line reads best)
"""Recipes for every layer and loss of `anynn.nn`: how to build it, a valid input, and inputs of a wrong shape it
must refuse (tests/nn/test_misuse_every_layer.py walks them; a module without a recipe fails that test)."""

from __future__ import annotations

import numpy as np
from anynn import nn
from tests.nn.test_activations import ACTIVATIONS

def f(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)

def p(*shape):  # probabilities in (0, 1)
    return np.random.default_rng(1).uniform(0.1, 0.9, shape).astype(np.float32)

def pos(*shape):
    return np.random.default_rng(2).uniform(0.5, 2.0, shape).astype(np.float32)

def lab(n, c, *rest):
    return np.random.default_rng(3).integers(0, c, (n,) + rest).astype(np.int64)

def sign(*shape):
    return np.where(np.random.default_rng(4).standard_normal(shape) > 0, 1.0, -1.0).astype(np.float32)

class R:
    """``make(backend)`` builds the module; ``inputs()`` gives valid NumPy inputs; each of ``bad`` gives inputs of a
    wrong rank or size; ``batch_axis`` is the axis that an empty batch empties (1 for sequence-first layers)."""

    def __init__(self, make, inputs, bad=(), batch_axis=0):
        self.make, self.inputs, self.bad, self.batch_axis = make, inputs, list(bad), batch_axis

def act(cls, *a, **k):
    return R(lambda b: cls(*a, **k), lambda: [f(2, 4)])

def loss(cls, inputs, bad, **k):
    return R(lambda b: cls(**k), inputs, bad)

def pool(cls, nd, *a, **k):
    shape = (2, 3) + (8,) * nd
    return R(lambda b: cls(*a, **k), lambda: [f(*shape)], [lambda: [f(3)]])

def _called(layer, backend, shape):
    """A lazy layer after its first call on an input of ``shape``."""
    import anynn
    layer(anynn.tensor(f(*shape), backend=backend))
    return layer


RECIPES = {
    # activations: the first row of each layer in the one activation table (tests/nn/test_activations.py), so a new
    # activation needs no recipe of its own; layers with shape rules get theirs below, which override these
    **{a.module: act(getattr(nn, a.module), **a.kwargs) for a in reversed(ACTIVATIONS) if a.module},
    "Identity": act(nn.Identity),
    "Softmax": R(lambda b: nn.Softmax(dim=1), lambda: [f(2, 4)], [lambda: [f(4)]]),
    "LogSoftmax": R(lambda b: nn.LogSoftmax(dim=1), lambda: [f(2, 4)], [lambda: [f(4)]]),
    "Softmin": R(lambda b: nn.Softmin(dim=1), lambda: [f(2, 4)], [lambda: [f(4)]]),
    "GLU": R(lambda b: nn.GLU(dim=-1), lambda: [f(2, 4)], [lambda: [f(2, 3)]]),
    "Softmax2d": R(lambda b: nn.Softmax2d(), lambda: [f(2, 3, 4, 4)], [lambda: [f(2, 4)]]),
    "PReLU": R(lambda b: nn.PReLU(3, backend=b), lambda: [f(2, 3, 4)], [lambda: [f(2, 5, 4)]]),
    # dropout
    **{n: R(lambda b, n=n: getattr(nn, n)(0.5), lambda: [f(2, 3, 4, 4)]) for n in
       ["Dropout", "AlphaDropout", "FeatureAlphaDropout", "Dropout2d"]},
    "Dropout1d": R(lambda b: nn.Dropout1d(0.5), lambda: [f(2, 3, 4)], [lambda: [f(2, 3, 4, 4)]]),
    "Dropout3d": R(lambda b: nn.Dropout3d(0.5), lambda: [f(2, 3, 4, 4, 4)]),
    # linear family
    "Linear": R(lambda b: nn.Linear(4, 3, backend=b), lambda: [f(2, 4)], [lambda: [f(2, 5)], lambda: [f(4, 0)]]),
    "DataParallel": R(lambda b: nn.DataParallel(nn.Linear(4, 3, backend=b)), lambda: [f(2, 4)], [lambda: [f(2, 5)], lambda: [f(4, 0)]]),
    "Bilinear": R(lambda b: nn.Bilinear(4, 5, 3, backend=b), lambda: [f(2, 4), f(2, 5)],
                  [lambda: [f(2, 5), f(2, 5)], lambda: [f(2, 4), f(3, 5)], lambda: [f(2, 4), f(2, 4)]]),
    "Embedding": R(lambda b: nn.Embedding(10, 3, backend=b), lambda: [lab(2, 10, 4)], [lambda: [lab(2, 10, 4) + 10]]),
    "EmbeddingBag": R(lambda b: nn.EmbeddingBag(10, 3, backend=b), lambda: [lab(2, 10, 4)],
                      [lambda: [lab(2, 10, 4) + 10], lambda: [lab(2, 10, 4, 2)]]),
    # conv
    "Conv1d": R(lambda b: nn.Conv1d(3, 4, 3, backend=b), lambda: [f(2, 3, 8)],
                [lambda: [f(2, 5, 8)], lambda: [f(2, 3, 8, 8)], lambda: [f(2, 3, 2)], lambda: [f(8)]]),
    "Conv2d": R(lambda b: nn.Conv2d(3, 4, 3, backend=b), lambda: [f(2, 3, 8, 8)],
                [lambda: [f(2, 5, 8, 8)], lambda: [f(2, 3, 8)], lambda: [f(2, 3, 2, 2)], lambda: [f(8, 8)]]),
    "Conv3d": R(lambda b: nn.Conv3d(3, 4, 3, backend=b), lambda: [f(2, 3, 5, 5, 5)],
                [lambda: [f(2, 5, 5, 5, 5)], lambda: [f(2, 3, 5, 5)], lambda: [f(2, 3, 2, 2, 2)]]),
    "ConvTranspose1d": R(lambda b: nn.ConvTranspose1d(3, 4, 3, backend=b), lambda: [f(2, 3, 8)],
                         [lambda: [f(2, 5, 8)], lambda: [f(2, 3, 8, 8)]]),
    "ConvTranspose2d": R(lambda b: nn.ConvTranspose2d(3, 4, 3, backend=b), lambda: [f(2, 3, 8, 8)],
                         [lambda: [f(2, 5, 8, 8)], lambda: [f(2, 3, 8)]]),
    "ConvTranspose3d": R(lambda b: nn.ConvTranspose3d(3, 4, 2, backend=b), lambda: [f(2, 3, 3, 3, 3)],
                         [lambda: [f(2, 5, 3, 3, 3)], lambda: [f(2, 3, 3, 3)], lambda: [f(3, 3, 3)]]),
    # lazy layers, after their first call (they are then the eager layer; the first call's refusals are in
    # tests/nn/test_lazy.py)
    **{f"Lazy{kind}{nd}d": R(lambda b, kind=kind, nd=nd: _called(getattr(nn, f"Lazy{kind}{nd}d")(4, 2, backend=b),
                                                                 b, (2, 3, *(4,) * nd)),
                             lambda nd=nd: [f(2, 3, *(4,) * nd)], [lambda nd=nd: [f(2, 5, *(4,) * nd)]])
       for kind in ("Conv", "ConvTranspose") for nd in (1, 2, 3)},
    **{f"Lazy{kind}{nd}d": R(lambda b, kind=kind, nd=nd: _called(getattr(nn, f"Lazy{kind}{nd}d")(backend=b), b,
                                                                 (2, 3, *(4,) * nd)),
                             lambda nd=nd: [f(2, 3, *(4,) * nd)], [lambda nd=nd: [f(2, 5, *(4,) * nd)]])
       for kind in ("BatchNorm", "InstanceNorm") for nd in (1, 2, 3)},
    "LazyLinear": R(lambda b: _called(nn.LazyLinear(3, backend=b), b, (2, 4)), lambda: [f(2, 4)],
                    [lambda: [f(2, 5)]]),
    "Fold": R(lambda b: nn.Fold((4, 4), 2), lambda: [f(2, 12, 9)], [lambda: [f(2, 12, 7)], lambda: [f(2, 11, 9)],
                                                                      lambda: [f(9)]]),
    "Unfold": R(lambda b: nn.Unfold(2), lambda: [f(2, 3, 4, 4)], [lambda: [f(2, 3)], lambda: [f(2, 3, 1, 1)]]),
    # norms
    "BatchNorm1d": R(lambda b: nn.BatchNorm1d(3, backend=b), lambda: [f(4, 3)], [lambda: [f(4, 5)], lambda: [f(4,)],
                                                                                lambda: [f(4, 3, 2, 2)]]),
    "BatchNorm2d": R(lambda b: nn.BatchNorm2d(3, backend=b), lambda: [f(4, 3, 2, 2)],
                     [lambda: [f(4, 5, 2, 2)], lambda: [f(4, 3)]]),
    "BatchNorm3d": R(lambda b: nn.BatchNorm3d(3, backend=b), lambda: [f(4, 3, 2, 2, 2)],
                     [lambda: [f(4, 5, 2, 2, 2)], lambda: [f(4, 3, 2)]]),
    "InstanceNorm1d": R(lambda b: nn.InstanceNorm1d(3, affine=True, backend=b), lambda: [f(2, 3, 5)],
                        [lambda: [f(2, 5, 5)], lambda: [f(2, 3, 5, 5)]]),
    "InstanceNorm2d": R(lambda b: nn.InstanceNorm2d(3, affine=True, backend=b), lambda: [f(2, 3, 5, 5)],
                        [lambda: [f(2, 5, 5, 5)], lambda: [f(2,)]]),
    "InstanceNorm3d": R(lambda b: nn.InstanceNorm3d(3, affine=True, backend=b), lambda: [f(2, 3, 3, 3, 3)],
                        [lambda: [f(2, 5, 3, 3, 3)], lambda: [f(2, 3)]]),
    "GroupNorm": R(lambda b: nn.GroupNorm(2, 4, backend=b), lambda: [f(2, 4, 3)], [lambda: [f(2, 6, 3)], lambda: [f(4)]]),
    "LayerNorm": R(lambda b: nn.LayerNorm(4, backend=b), lambda: [f(2, 4)], [lambda: [f(2, 5)], lambda: [f(2, 4, 3)]]),
    "RMSNorm": R(lambda b: nn.RMSNorm(4, backend=b), lambda: [f(2, 4)], [lambda: [f(2, 5)]]),
    "LocalResponseNorm": R(lambda b: nn.LocalResponseNorm(2), lambda: [f(2, 3, 4)], [lambda: [f(3, 4)]]),
    "CrossMapLRN2d": R(lambda b: nn.CrossMapLRN2d(3), lambda: [f(2, 5, 2, 2)], [lambda: [f(2, 5, 2)]]),
    "SyncBatchNorm": R(lambda b: nn.SyncBatchNorm(3, backend=b), lambda: [f(4, 3, 2)],
                       [lambda: [f(4, 5, 2)], lambda: [f(4,)]]),
    # pools
    "AdaptiveAvgPool1d": pool(nn.AdaptiveAvgPool1d, 1, 2), "AdaptiveAvgPool2d": pool(nn.AdaptiveAvgPool2d, 2, 2),
    "AdaptiveAvgPool3d": pool(nn.AdaptiveAvgPool3d, 3, 2), "AdaptiveMaxPool1d": pool(nn.AdaptiveMaxPool1d, 1, 2),
    "AdaptiveMaxPool2d": pool(nn.AdaptiveMaxPool2d, 2, 2), "AvgPool1d": pool(nn.AvgPool1d, 1, 2),
    "AvgPool2d": pool(nn.AvgPool2d, 2, 2), "AvgPool3d": pool(nn.AvgPool3d, 3, 2),
    "MaxPool1d": pool(nn.MaxPool1d, 1, 2), "MaxPool2d": pool(nn.MaxPool2d, 2, 2), "MaxPool3d": pool(nn.MaxPool3d, 3, 2),
    "LPPool1d": pool(nn.LPPool1d, 1, 2, 2), "LPPool2d": pool(nn.LPPool2d, 2, 2, 2), "LPPool3d": pool(nn.LPPool3d, 3, 2, 2),
    "AdaptiveMaxPool3d": pool(nn.AdaptiveMaxPool3d, 3, 2),
    "FractionalMaxPool2d": pool(nn.FractionalMaxPool2d, 2, 2, output_size=3),
    "FractionalMaxPool3d": pool(nn.FractionalMaxPool3d, 3, 2, output_ratio=0.5),
    "MaxUnpool1d": R(lambda b: nn.MaxUnpool1d(2), lambda: [f(2, 3, 4), np.tile(np.arange(0, 8, 2), (2, 3, 1))],
                     [lambda: [f(2, 3, 4), np.tile(np.arange(0, 6, 2), (2, 3, 1))], lambda: [f(3,), np.arange(3)]]),
    "MaxUnpool2d": R(lambda b: nn.MaxUnpool2d(2), lambda: [f(2, 3, 2, 2), np.tile(np.array([[0, 2], [8, 10]]), (2, 3, 1, 1))],
                     [lambda: [f(2, 3, 2, 2), np.tile(np.array([[0, 2], [8, 10]]), (2, 2, 1, 1))]]),
    "MaxUnpool3d": R(lambda b: nn.MaxUnpool3d(2), lambda: [f(1, 1, 1, 1, 1), np.zeros((1, 1, 1, 1, 1), np.int64)],
                     [lambda: [f(1, 1, 1), np.zeros((1, 1, 1), np.int64)]]),
    # padding
    **{f"{k}Pad{d}d": R(lambda b, k=k, d=d: getattr(nn, f"{k}Pad{d}d")(*((1,) if k != "Constant" else (1, 0.5))),
                       lambda d=d: [f(*((2, 3) + (4,) * d))],
                       [lambda d=d: [f(*((2,) * (d + 3)))]] if k not in ("Constant", "Zero") else [])
       for k in ["Circular", "Constant", "Reflection", "Replication", "Zero"] for d in (1, 2, 3)},
    # shape / channel / resample
    "Flatten": R(lambda b: nn.Flatten(), lambda: [f(2, 3, 4)], [lambda: [f()]]),
    "Unflatten": R(lambda b: nn.Unflatten(1, (2, 3)), lambda: [f(2, 6)], [lambda: [f(2, 5)]]),
    "ChannelShuffle": R(lambda b: nn.ChannelShuffle(2), lambda: [f(2, 4, 3)], [lambda: [f(2, 5, 3)], lambda: [f(4,)]]),
    "PixelShuffle": R(lambda b: nn.PixelShuffle(2), lambda: [f(2, 8, 3, 3)], [lambda: [f(2, 6, 3, 3)], lambda: [f(8, 3)]]),
    "PixelUnshuffle": R(lambda b: nn.PixelUnshuffle(2), lambda: [f(2, 2, 4, 4)], [lambda: [f(2, 2, 3, 3)], lambda: [f(4, 4)]]),
    "Upsample": R(lambda b: nn.Upsample(scale_factor=2), lambda: [f(2, 3, 4)], [lambda: [f(4)]]),
    "UpsamplingBilinear2d": R(lambda b: nn.UpsamplingBilinear2d(scale_factor=2), lambda: [f(2, 3, 4, 4)],
                              [lambda: [f(2, 3, 4)]]),
    "UpsamplingNearest2d": R(lambda b: nn.UpsamplingNearest2d(scale_factor=2), lambda: [f(2, 3, 4, 4)],
                             [lambda: [f(2, 3)]]),
    "CosineSimilarity": R(lambda b: nn.CosineSimilarity(), lambda: [f(2, 4), f(2, 4)], [lambda: [f(2, 4), f(2, 5)]]),
    "PairwiseDistance": R(lambda b: nn.PairwiseDistance(), lambda: [f(2, 4), f(2, 4)], [lambda: [f(2, 4), f(2, 5)]]),
    # recurrent
    "RNN": R(lambda b: nn.RNN(4, 3, backend=b), lambda: [f(5, 2, 4)], [lambda: [f(5, 2, 6)], lambda: [f(5, 2, 4, 1)]], batch_axis=1),
    "GRU": R(lambda b: nn.GRU(4, 3, backend=b), lambda: [f(5, 2, 4)], [lambda: [f(5, 2, 6)], lambda: [f(4)]], batch_axis=1),
    "LSTM": R(lambda b: nn.LSTM(4, 3, backend=b), lambda: [f(5, 2, 4)], [lambda: [f(5, 2, 6)], lambda: [f(4)]], batch_axis=1),
    "RNNCell": R(lambda b: nn.RNNCell(4, 3, backend=b), lambda: [f(2, 4)], [lambda: [f(2, 6)], lambda: [f(2, 4, 1)],
                                                                           lambda: [f(2, 4), f(2, 5)]]),
    "GRUCell": R(lambda b: nn.GRUCell(4, 3, backend=b), lambda: [f(2, 4)], [lambda: [f(2, 6)], lambda: [f(2, 4), f(3, 3)]]),
    "LSTMCell": R(lambda b: nn.LSTMCell(4, 3, backend=b), lambda: [f(2, 4)], [lambda: [f(2, 6)], lambda: [f(2, 4, 1)]]),
    "MultiheadAttention": R(lambda b: nn.MultiheadAttention(4, 2, backend=b), lambda: [f(3, 2, 4), f(3, 2, 4), f(3, 2, 4)],
                            [lambda: [f(3, 2, 6), f(3, 2, 6), f(3, 2, 6)], lambda: [f(3, 2, 4), f(3, 5, 4), f(3, 5, 4)],
                             lambda: [f(4), f(4), f(4)]], batch_axis=1),
    "TransformerEncoderLayer": R(lambda b: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, backend=b),
                                 lambda: [f(3, 2, 4)], [lambda: [f(3, 2, 6)], lambda: [f(4)]], batch_axis=1),
    "TransformerDecoderLayer": R(lambda b: nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, backend=b),
                                 lambda: [f(3, 2, 4), f(5, 2, 4)], [lambda: [f(3, 2, 6), f(5, 2, 4)],
                                                                    lambda: [f(3, 2, 4), f(5, 2, 6)]], batch_axis=1),
    "TransformerEncoder": R(lambda b: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, backend=b), 2),
                            lambda: [f(3, 2, 4)], [lambda: [f(3, 2, 6)]], batch_axis=1),
    "TransformerDecoder": R(lambda b: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, backend=b), 2),
                            lambda: [f(3, 2, 4), f(5, 2, 4)], [lambda: [f(3, 2, 6), f(5, 2, 4)]], batch_axis=1),
    "Transformer": R(lambda b: nn.Transformer(4, 2, 1, 1, 8, dropout=0.0, backend=b), lambda: [f(3, 2, 4), f(5, 2, 4)],
                     [lambda: [f(3, 2, 6), f(5, 2, 6)], lambda: [f(3, 2, 4), f(5, 3, 4)]], batch_axis=1),
    # losses (input, target)
    "MSELoss": loss(nn.MSELoss, lambda: [f(2, 4), f(2, 4)], [lambda: [f(2, 4), f(2, 5)]]),
    "L1Loss": loss(nn.L1Loss, lambda: [f(2, 4), f(2, 4)], [lambda: [f(2, 4), f(2, 5)]]),
    "HuberLoss": loss(nn.HuberLoss, lambda: [f(2, 4), f(2, 4)], [lambda: [f(2, 4), f(2, 5)]]),
    "SmoothL1Loss": loss(nn.SmoothL1Loss, lambda: [f(2, 4), f(2, 4)], [lambda: [f(2, 4), f(2, 5)]]),
    "SoftMarginLoss": loss(nn.SoftMarginLoss, lambda: [f(2, 4), sign(2, 4)], [lambda: [f(2, 4), sign(2, 5)]]),
    "BCELoss": loss(nn.BCELoss, lambda: [p(2, 4), p(2, 4)], [lambda: [p(2, 4), p(2, 5)]]),
    "BCEWithLogitsLoss": loss(nn.BCEWithLogitsLoss, lambda: [f(2, 4), p(2, 4)], [lambda: [f(2, 4), p(2, 5)]]),
    "MultiLabelSoftMarginLoss": loss(nn.MultiLabelSoftMarginLoss, lambda: [f(2, 4), (p(2, 4) > .5).astype(np.float32)],
                                     [lambda: [f(2, 4), p(2, 5)]]),
    "CTCLoss": loss(nn.CTCLoss, lambda: [np.log(p(5, 2, 4)), lab(2, 4, 3), np.array([5, 4]), np.array([3, 1])],
                    [lambda: [f(5, 2, 4), lab(3, 4, 3), np.array([5, 4]), np.array([3, 1])],
                     lambda: [f(5, 2, 4), lab(2, 4, 3), np.array([6, 4]), np.array([3, 1])],
                     lambda: [f(5, 2, 4, 1), lab(2, 4, 3), np.array([5, 4]), np.array([3, 1])]]),
    "KLDivLoss": loss(nn.KLDivLoss, lambda: [np.log(p(2, 4)), p(2, 4)], [lambda: [f(2, 4), p(2, 5)]],
                      reduction="batchmean"),
    "PoissonNLLLoss": loss(nn.PoissonNLLLoss, lambda: [f(2, 4), pos(2, 4)], [lambda: [f(2, 4), pos(2, 5)]]),
    "GaussianNLLLoss": loss(nn.GaussianNLLLoss, lambda: [f(2, 4), f(2, 4), pos(2, 4)],
                            [lambda: [f(2, 4), f(2, 4), pos(2, 5)], lambda: [f(2, 4), f(2, 5), pos(2, 4)]]),
    "CrossEntropyLoss": loss(nn.CrossEntropyLoss, lambda: [f(2, 4), lab(2, 4)],
                             [lambda: [f(2, 4), lab(3, 4)], lambda: [f(2, 4), lab(2, 4) + 4], lambda: [f(2, 4), lab(2, 4, 3)]]),
    "NLLLoss": loss(nn.NLLLoss, lambda: [np.log(p(2, 4)), lab(2, 4)],
                    [lambda: [f(2, 4), lab(3, 4)], lambda: [f(2, 4), lab(2, 4) + 4], lambda: [f(2, 4), lab(2, 4, 3)]]),
    "NLLLoss2d": loss(nn.NLLLoss2d, lambda: [np.log(p(2, 4, 2, 2)), lab(2, 4, 2, 2)],
                      [lambda: [f(2, 4, 2, 2), lab(2, 4, 2, 3)]]),
    "AdaptiveLogSoftmaxWithLoss": R(lambda b: nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], backend=b),
                                    lambda: [f(3, 4), lab(3, 6)],
                                    [lambda: [f(3, 5), lab(3, 6)], lambda: [f(3, 4), lab(2, 6)],
                                     lambda: [f(3, 4), lab(3, 6) + 6]]),
    "LinearCrossEntropyLoss": R(lambda b: nn.LinearCrossEntropyLoss(4, 6, backend=b), lambda: [f(3, 4), lab(3, 6)],
                                [lambda: [f(3, 5), lab(3, 6)], lambda: [f(3, 4), lab(2, 6)],
                                 lambda: [f(3, 4), lab(3, 6) + 6]]),
    "MultiMarginLoss": loss(nn.MultiMarginLoss, lambda: [f(2, 4), lab(2, 4)],
                            [lambda: [f(2, 4), lab(3, 4)], lambda: [f(2, 4), lab(2, 4) + 4]]),
    "MultiLabelMarginLoss": loss(nn.MultiLabelMarginLoss, lambda: [f(2, 4), np.array([[1, 2, -1, 0], [3, -1, 0, 0]])],
                                 [lambda: [f(2, 4), np.array([[1, 2, -1], [3, -1, 0]])],
                                  lambda: [f(2, 4), np.array([[1, 9, -1, 0], [3, -1, 0, 0]])]]),
    "HingeEmbeddingLoss": loss(nn.HingeEmbeddingLoss, lambda: [f(2, 4), sign(2, 4)], [lambda: [f(2, 4), sign(2, 5)]]),
    "MarginRankingLoss": loss(nn.MarginRankingLoss, lambda: [f(4), f(4), sign(4)], [lambda: [f(4), f(5), sign(4)]]),
    "CosineEmbeddingLoss": loss(nn.CosineEmbeddingLoss, lambda: [f(2, 4), f(2, 4), sign(2)],
                                [lambda: [f(2, 4), f(2, 5), sign(2)], lambda: [f(2, 4), f(2, 4), sign(3)]]),
    "TripletMarginLoss": loss(nn.TripletMarginLoss, lambda: [f(2, 4), f(2, 4), f(2, 4)],
                              [lambda: [f(2, 4), f(2, 5), f(2, 4)]]),
    "TripletMarginWithDistanceLoss": loss(nn.TripletMarginWithDistanceLoss, lambda: [f(2, 4), f(2, 4), f(2, 4)],
                                          [lambda: [f(2, 4), f(2, 5), f(2, 4)]]),
}
# (and the abstract bases of the recurrent layers and cells, which programs name only in isinstance checks)
CONTAINERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "RNNBase",
              "RNNCellBase"}
