"""PyTorch's ``torch.nn.modules.<file>`` names (``torch.nn.modules.rnn.LSTM``...), pointing at anynn's layers.

Programs name layers by these paths, e.g. in the allow-list of ``torch.serialization.safe_globals([...])``.
Each submodule (``anynn.nn.modules.rnn``...) holds the layers PyTorch's file of that name defines that anynn
has; the table lists PyTorch's names, and a name anynn lacks is simply absent.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_TORCH_FILES = {
    "activation": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish Hardswish ELU CELU SELU GLU "
                  "GELU Hardshrink LeakyReLU LogSigmoid Softplus Softshrink MultiheadAttention PReLU Softsign "
                  "Tanhshrink Softmin Softmax Softmax2d LogSoftmax",
    "adaptive": "AdaptiveLogSoftmaxWithLoss",
    "batchnorm": "BatchNorm1d BatchNorm2d BatchNorm3d LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d SyncBatchNorm",
    "channelshuffle": "ChannelShuffle",
    "container": "Sequential ModuleList ModuleDict ParameterList ParameterDict",
    "conv": "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d",
    "distance": "PairwiseDistance CosineSimilarity",
    "dropout": "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout",
    "flatten": "Flatten Unflatten",
    "fold": "Fold Unfold",
    "instancenorm": "InstanceNorm1d InstanceNorm2d InstanceNorm3d",
    "lazy": "",  # LazyModuleMixin only (_RENAMED)
    "linear": "Identity Linear Bilinear",
    "loss": "L1Loss NLLLoss NLLLoss2d PoissonNLLLoss GaussianNLLLoss KLDivLoss MSELoss BCELoss BCEWithLogitsLoss "
            "HingeEmbeddingLoss MultiLabelMarginLoss SmoothL1Loss HuberLoss SoftMarginLoss CrossEntropyLoss "
            "MultiLabelSoftMarginLoss CosineEmbeddingLoss MarginRankingLoss MultiMarginLoss TripletMarginLoss "
            "TripletMarginWithDistanceLoss CTCLoss LinearCrossEntropyLoss",
    "linear_cross_entropy_options": "LinearCrossEntropyOptions",
    "module": "Module",
    "normalization": "LocalResponseNorm LayerNorm GroupNorm RMSNorm CrossMapLRN2d",
    "padding": "CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d "
               "ReflectionPad2d ReflectionPad3d ReplicationPad1d ReplicationPad2d ReplicationPad3d ZeroPad1d "
               "ZeroPad2d ZeroPad3d",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "pooling": "MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d AvgPool1d AvgPool2d AvgPool3d "
               "FractionalMaxPool2d FractionalMaxPool3d LPPool1d LPPool2d LPPool3d AdaptiveMaxPool1d "
               "AdaptiveMaxPool2d AdaptiveMaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d",
    "rnn": "RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell",
    "sparse": "Embedding EmbeddingBag",
    "transformer": "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer TransformerDecoderLayer",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d",
}
# PyTorch's names for anynn classes of another name: (file, name) -> (anynn.nn submodule, its name)
_RENAMED = {("linear", "NonDynamicallyQuantizableLinear"): ("attention", "NonDynamicallyQuantizableLinear"),
            ("module", "Parameter"): ("module", "Parameter"),
            ("module", "_IncompatibleKeys"): ("module", "IncompatibleKeys"),  # what load_state_dict returns
            # the private bases that programs subclass (a custom loss on ``_Loss``) or test with isinstance
            ("batchnorm", "_NormBase"): ("norm", "_NormBase"), ("batchnorm", "_BatchNorm"): ("norm", "_BatchNorm"),
            ("instancenorm", "_NormBase"): ("norm", "_NormBase"),
            ("instancenorm", "_InstanceNorm"): ("instance_norm", "_InstanceNorm"),
            ("conv", "_ConvNd"): ("conv", "_ConvNd"), ("conv", "_ConvTransposeNd"): ("conv", "_ConvTranspose"),
            ("loss", "_Loss"): ("loss_legacy", "LegacyReductionLoss"),
            ("loss", "_WeightedLoss"): ("loss_legacy", "WeightedLegacyLoss"),
            ("lazy", "LazyModuleMixin"): ("lazy", "LazyModuleMixin"),  # the base of lazy layers, for isinstance
            ("dropout", "_DropoutNd"): ("dropout", "_DropoutBase"), ("pooling", "_MaxPoolNd"): ("pool", "MaxPool1d"),
            # hooks of every module
            **{("module", name): ("hooks", name) for name in (
                "register_module_forward_pre_hook", "register_module_forward_hook",
                "register_module_full_backward_pre_hook", "register_module_full_backward_hook")}}
# helpers of ``torch.nn.modules.utils`` (and the transformer file's own) that programs import from PyTorch's layer
# files, as those files' names too
_HELPERS = {"conv": "_single _pair _triple _reverse_repeat_tuple", "pooling": "_single _pair _triple",
            "padding": "_ntuple _pair _quadruple", "transformer": "_get_clones _get_activation_fn"}


def _layer(file: str, name: str) -> Any:
    """anynn's layer that PyTorch's ``torch.nn.modules.<file>.<name>`` is, looked up when asked (so layers added to
    ``anynn.nn`` later appear here too), or None."""
    nn = sys.modules[__name__.rsplit(".", 1)[0]]
    if name in _HELPERS.get(file, "").split():
        return getattr(importlib.import_module(f"{__name__}.utils"), name)
    if (file, name) in _RENAMED:
        where, own = _RENAMED[(file, name)]
        return getattr(importlib.import_module(f"{nn.__name__}.{where}"), own)
    return getattr(nn, name, None) if name in _TORCH_FILES[file].split() else None


class _TorchFile(types.ModuleType):
    """One of PyTorch's ``torch.nn.modules`` files: its names resolve to anynn's layers when looked up."""

    def __getattr__(self, name: str) -> Any:
        layer = _layer(self.__name__.rsplit(".", 1)[1], name)
        if layer is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (anynn has no such layer)")
        return layer

    def __dir__(self) -> list[str]:
        file = self.__name__.rsplit(".", 1)[1]
        names = _TORCH_FILES[file].split() + [n for f, n in _RENAMED if f == file] + _HELPERS.get(file, "").split()
        return sorted(n for n in names if _layer(file, n) is not None)


for _file in _TORCH_FILES:
    _sub = _TorchFile(f"{__name__}.{_file}", f"PyTorch's torch.nn.modules.{_file}: anynn's layers of that file")
    sys.modules[_sub.__name__] = _sub  # so `import anynn.nn.modules.rnn` finds it too
    globals()[_file] = _sub


def __getattr__(name: str) -> Any:
    """``torch.nn.modules.LSTM`` as well as ``torch.nn.modules.rnn.LSTM``."""
    for file in _TORCH_FILES:
        layer = _layer(file, name)
        if layer is not None:
            return layer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from . import utils  # noqa: E402, F401  (torch.nn.modules.utils._pair after a bare import, as PyTorch's)

__all__ = sorted([*_TORCH_FILES, "utils"])
