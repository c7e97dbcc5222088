"""PyTorch's autocast op lists, for anynn's primitives: which family each `Function` belongs to.

One table, read at import, sets the class attribute ``autocast`` that `Function.apply` consults (the families
are explained in `anynn.autograd.autocast_mode`). The lists follow PyTorch's ``autocast_mode.cpp``:

- low precision on CPU and CUDA: matmul/mm/bmm/baddbmm/addmm (through `MatMul`), linear, conv and
  conv-transpose, scaled-dot-product attention, prelu, the recurrent cells and layers;
- float32 on CPU and CUDA: the losses PyTorch lists (mse, l1, huber/smooth-l1, cross-entropy/nll, kl-div,
  poisson-nll, margin, hinge, soft-margin, multi-margin, triplet, cosine-embedding...);
- float32 on CUDA only (CPU autocast leaves them in the input's dtype): softmax, log_softmax, softmin,
  layer/group/rms norm, exp, log, pow, sum, cumsum, logsumexp, norms and distances, softplus, upsampling,
  and the composite losses gaussian-nll and multilabel-soft-margin (their sums and logs run in float32 there);
- binary_cross_entropy: float32 on CPU, refused on CUDA; bilinear: promote to the widest input dtype.

A user's own `Function` joins a family by setting ``autocast = "lower"`` (or another family) on its class.
"""

from __future__ import annotations

from .activation import LogSoftmax, PReLU, Softmax, Softplus
from .attention import ScaledDotProductAttention
from .bilinear import Bilinear
from .conv import ConvNd, ConvTransposeNd
from .conv3d import Conv3d
from .distance import CosineSimilarity, PairwiseDistance
from .elementwise import Exp, Log, Pow, PowTensor
from .extras import Norm
from .linalg import Linear, MatMul
from .loss import L1, MSE, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, ClassLoss, Huber
from .loss_distribution import GaussianNLL, KLDivergence, PoissonNLL
from .loss_embedding import CosineEmbedding, TripletMargin
from .loss_margin import HingeEmbedding, MarginRanking, MultiLabelMargin, MultiLabelSoftMargin, MultiMargin, SoftMargin
from .norm import GroupNorm, LayerNorm, RMSNorm
from .recurrent import RecurrentCell, RecurrentSequence
from .reduce import LogSumExp, Sum
from .resample import Interpolate
from .sorting import CumSum

FAMILIES: dict[str, tuple[type, ...]] = {
    "lower": (MatMul, Linear, ConvNd, ConvTransposeNd, Conv3d, ScaledDotProductAttention, PReLU, RecurrentCell,
              RecurrentSequence),
    "float32": (MSE, L1, Huber, BinaryCrossEntropyWithLogits, ClassLoss, KLDivergence, PoissonNLL, CosineEmbedding,
                TripletMargin, MarginRanking, HingeEmbedding, SoftMargin, MultiMargin, MultiLabelMargin),
    "float32_cuda": (Softmax, LogSoftmax, LayerNorm, GroupNorm, RMSNorm, Exp, Log, Pow, PowTensor, Sum, CumSum,
                     LogSumExp, Norm, CosineSimilarity, PairwiseDistance, Softplus, Interpolate, GaussianNLL,
                     MultiLabelSoftMargin),
    "binary_cross_entropy": (BinaryCrossEntropy,),
    "promote": (Bilinear,),
}

for _family, _classes in FAMILIES.items():
    for _cls in _classes:
        _cls.autocast = _family
