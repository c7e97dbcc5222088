"""Differentiable primitives (`Function` subclasses) and their lowercase functional wrappers.

``import anynn.functional as F`` then ``F.relu(x)``, ``F.cross_entropy(logits, labels)``...
"""

from .tensor_methods import install as _install_tensor_methods
from . import differentiable_xp  # noqa: F401  (the namespace of create_graph=True backward passes)
from . import fused_recorded  # noqa: F401  (fused recorded gradients: Linear's as one node)
from .activation import (elu, gelu, glu, hardswish, hardtanh, leaky_relu, log_softmax, mish, prelu, relu,
                         relu6, selu, sigmoid, silu, softmax, softplus, tanh)
from .activation_rectifier import celu, rrelu
from .activation_shrink import hardshrink, softshrink, tanhshrink, threshold
from .activation_squash import hardsigmoid, logsigmoid, softmin, softsign
from .activation_inplace import celu_, elu_, hardtanh_, leaky_relu_, relu_, rrelu_, selu_, threshold_
from .distance import cosine_similarity, pairwise_distance
from .vector_products import pdist
from .gumbel import gumbel_softmax
from .lp_normalize import normalize
from .loss_ctc import ctc_loss
from .loss_linear import linear_cross_entropy
from .loss_distribution import gaussian_nll_loss, kl_div, poisson_nll_loss
from .loss_embedding import cosine_embedding_loss, triplet_margin_loss, triplet_margin_with_distance_loss
from .loss_margin import (hinge_embedding_loss, margin_ranking_loss, multi_margin_loss, multilabel_margin_loss,
                          multilabel_soft_margin_loss, soft_margin_loss)
from .dropout import dropout, dropout1d, dropout2d, dropout3d
from .dropout_alpha import alpha_dropout, feature_alpha_dropout
from .embedding import embedding
from .embedding_bag import embedding_bag
from .fold import fold, unfold
from .grid_sample import affine_grid, grid_sample
from .pool_adaptive_max import (adaptive_max_pool1d, adaptive_max_pool1d_with_indices, adaptive_max_pool2d,
                                adaptive_max_pool2d_with_indices, adaptive_max_pool3d,
                                adaptive_max_pool3d_with_indices)
from .pool_fractional import (fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,
                              fractional_max_pool3d_with_indices)
from .pool_composite import (adaptive_avg_pool3d, avg_pool3d, channel_shuffle, local_response_norm, lp_pool1d,
                             lp_pool2d, lp_pool3d)
from .indexing import gather, index_select, masked_select, one_hot, scatter, scatter_add
from .index_writes import (index_add, index_copy, index_fill, index_put, index_put_, masked_scatter,
                           scatter_reduce)
from .norm import batch_norm, group_norm, layer_norm, rms_norm
from .attention import scaled_dot_product_attention, scaled_dot_product_attention_with_weights
from .recurrent import gru_cell, lstm_cell, recurrent_sequence, rnn_cell
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from .conv_tbc import conv_tbc
from .padding import pad
from .conv3d import conv3d
from .bilinear import bilinear
from .instance_norm import instance_norm
from .resample import interpolate, pixel_shuffle, pixel_unshuffle, upsample, upsample_bilinear, upsample_nearest
from .unpool import max_unpool1d, max_unpool2d, max_unpool3d
from .pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,
                   max_pool1d_with_indices, max_pool2d, max_pool2d_with_indices, max_pool3d, max_pool3d_with_indices)
from .elementwise import abs, clip, cos, exp, log, maximum, sin, sqrt, where
from .linalg import linear, matmul
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss,
                   l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .reduce import logsumexp, max, mean, min, sum, var
from .shape import concat, flatten, permute, reshape, stack, take_rows, transpose
from . import autocast_rules  # noqa: F401,E402  (PyTorch's autocast op lists on the Functions)

_install_tensor_methods()  # the one install of Tensor's methods (one table: tensor_methods.METHODS)

__all__ = [
    "embedding_bag",
    "normalize",
    "affine_grid", "grid_sample",
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "fold", "unfold", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool3d", "channel_shuffle", "local_response_norm", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "conv3d", "conv_tbc",
    "bilinear", "instance_norm",
    "interpolate", "pixel_shuffle", "pixel_unshuffle", "upsample", "upsample_bilinear", "upsample_nearest",
    "gather", "index_select", "masked_select", "one_hot", "scatter", "scatter_add",
    "index_add", "index_copy", "index_fill", "index_put", "index_put_", "masked_scatter", "scatter_reduce",
    "gumbel_softmax",
    "celu", "hardshrink", "hardsigmoid", "logsigmoid", "rrelu", "softmin", "softshrink", "softsign", "tanhshrink",
    "threshold",
    "celu_", "elu_", "hardtanh_", "leaky_relu_", "relu_", "rrelu_", "selu_", "threshold_",
    "cosine_embedding_loss", "cosine_similarity", "ctc_loss", "gaussian_nll_loss", "hinge_embedding_loss", "kl_div",
    "linear_cross_entropy",
    "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "pairwise_distance", "pdist", "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "conv1d", "conv2d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "pad",
    "gru_cell", "lstm_cell", "recurrent_sequence", "rnn_cell", "scaled_dot_product_attention",
    "scaled_dot_product_attention_with_weights",
    "batch_norm", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "embedding", "group_norm", "layer_norm", "rms_norm",
    "abs", "binary_cross_entropy", "binary_cross_entropy_with_logits", "clip", "concat", "cos",
    "cross_entropy", "elu", "exp", "flatten", "gelu", "glu", "hardswish", "hardtanh", "huber_loss", "l1_loss",
    "leaky_relu", "linear", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min",
    "mish", "mse_loss", "nll_loss", "permute", "prelu", "relu", "relu6", "reshape", "selu", "sigmoid", "silu",
    "sin", "smooth_l1_loss", "softmax", "softplus", "sqrt", "stack", "sum", "take_rows", "tanh", "transpose",
    "var", "where",
]

from .parser_names import install as _install_parser_names  # noqa: E402

_install_parser_names(globals(), "functional")  # F.one_hot(input=t, num_classes=3)
