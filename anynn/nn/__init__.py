"""Layers, containers and losses (PyTorch's names, arguments, parameter names and shapes)."""

from . import functional, init, utils  # noqa: F401  (anynn.nn.functional / .init / .utils, as in PyTorch)
from . import modules  # noqa: F401,E402  (PyTorch's torch.nn.modules.<file>.<Layer> paths)
from . import parallel  # noqa: F401  (torch.nn.parallel)
from . import parameter  # noqa: F401  (torch.nn.parameter.Parameter)
from . import common_types, grad  # noqa: F401  (torch.nn.grad.conv2d_input..., torch.nn.common_types' aliases)
from .parallel import DataParallel
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .batchnorm_sync import SyncBatchNorm
from .loss_legacy import NLLLoss2d
from .parameter import Buffer, UninitializedBuffer, UninitializedParameter
from .activation import (ELU, GELU, GLU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU, ReLU6, SELU, Hardswish,
                         Hardtanh, Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .activation_variants import (CELU, Hardshrink, Hardsigmoid, LogSigmoid, RReLU, Softmax2d, Softmin, Softshrink,
                                 Softsign, Tanhshrink, Threshold)
from .distance import CosineSimilarity, PairwiseDistance
from .loss_ctc import CTCLoss
from .loss_linear import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from .loss_distribution import GaussianNLLLoss, KLDivLoss, PoissonNLLLoss
from .loss_embedding import CosineEmbeddingLoss, TripletMarginLoss, TripletMarginWithDistanceLoss
from .loss_margin import (HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                          MultiMarginLoss, SoftMarginLoss)
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .embedding import Embedding
from .embedding_bag import EmbeddingBag
from .channel import ChannelShuffle, CrossMapLRN2d, LocalResponseNorm
from .containers_param import ParameterDict, ParameterList
from .fold import Fold, Unfold
from .pool_adaptive_max import AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d
from .pool_fractional import FractionalMaxPool2d, FractionalMaxPool3d
from .pool_composite import AdaptiveAvgPool3d, AvgPool3d, LPPool1d, LPPool2d, LPPool3d
from .norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm, RMSNorm
from .attention import MultiheadAttention
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .transformer_decoder import TransformerDecoder, TransformerDecoderLayer
from .transformer_model import Transformer
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
                      ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .pool import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, MaxPool3d,
                   MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
from .container import ModuleDict, ModuleList, Sequential
from .linear import Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module, Parameter, StateDictError
from .shape import Flatten, Unflatten
from .conv3d import Conv3d, ConvTranspose3d
from .bilinear import Bilinear
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .resample import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
                   LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d,
                   LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear)

__all__ = [
    "AdaptiveLogSoftmaxWithLoss", "Buffer", "CrossMapLRN2d", "NLLLoss2d", "RNNBase", "RNNCellBase", "SyncBatchNorm",
    "UninitializedBuffer", "UninitializedParameter",
    "EmbeddingBag", "DataParallel",
    "ChannelShuffle", "LocalResponseNorm", "ParameterDict", "ParameterList", "Fold", "Unfold",
    "FractionalMaxPool2d", "FractionalMaxPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool3d", "AvgPool3d", "LPPool1d",
    "LPPool2d", "LPPool3d",
    "Conv3d", "ConvTranspose3d",
    "Bilinear", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d", "LazyLinear",
    "PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "CELU", "Hardshrink", "Hardsigmoid", "LogSigmoid", "RReLU", "Softmax2d", "Softmin", "Softshrink", "Softsign",
    "Tanhshrink", "Threshold",
    "LinearCrossEntropyLoss", "LinearCrossEntropyOptions",
    "CosineEmbeddingLoss", "CosineSimilarity", "CTCLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "KLDivLoss",
    "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PairwiseDistance",
    "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "Conv1d", "Conv2d", "ConvTranspose1d",
    "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "StateDictError",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "MultiheadAttention", "RNN", "RNNCell", "TransformerEncoder",
    "TransformerEncoderLayer", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    "FeatureAlphaDropout", "Embedding", "GroupNorm", "LayerNorm", "RMSNorm",
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "ELU", "Flatten", "GELU", "GLU", "Hardswish",
    "Hardtanh", "HuberLoss", "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Mish",
    "Module", "ModuleDict", "ModuleList", "NLLLoss", "PReLU", "Parameter", "ReLU", "ReLU6", "SELU",
    "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "Unflatten",
]
