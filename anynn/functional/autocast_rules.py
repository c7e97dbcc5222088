"""PyTorch's autocast op lists, for anynn's primitives: which family each `Function` belongs to.

One table, read at import, sets the class attribute ``autocast`` that `Function.apply` consults (the families
are explained in `anynn.autograd.autocast_mode`). The lists follow PyTorch's ``autocast_mode.cpp``:

- low precision on CPU and CUDA: matmul/mm/bmm/baddbmm/addmm (through `MatMul`), linear, conv and
  conv-transpose, scaled-dot-product attention, prelu, the recurrent cells and layers;
- float32 on CPU and CUDA: the losses PyTorch lists (mse, l1, huber/smooth-l1, cross-entropy/nll, kl-div,
  poisson-nll, margin, hinge, soft-margin, multi-margin, triplet, cosine-embedding...) and the Fourier transforms;
- float32 on CUDA only (CPU autocast leaves them in the input's dtype): softmax, log_softmax, softmin,
  layer/group/rms norm, exp, log, pow, sum, cumsum, logsumexp, norms and distances, softplus, upsampling,
  and the composite losses gaussian-nll and multilabel-soft-margin (their sums and logs run in float32 there);
- binary_cross_entropy: float32 on CPU, refused on CUDA; bilinear: promote to the widest input dtype.

A user's own `Function` joins a family by setting ``autocast = "lower"`` (or another family) on its class.
"""

from __future__ import annotations

from .activation import LogSoftmaxFunction, PReLUFunction, SoftmaxFunction, SoftplusFunction
from .attention import ScaledDotProductAttention
from .bilinear import BilinearFunction
from .conv import ConvNd, ConvTransposeNd
from .conv3d import Conv3dFunction
from .distance import CosineSimilarityFunction, PairwiseDistanceFunction
from .elementwise import Exp, Log, Pow, PowTensor
from .fourier import FftFunction, IrfftFunction, RfftFunction
from .reduce import Norm
from .linalg import LinearFunction, MatMul
from .loss import L1, MSE, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, ClassLoss, Huber
from .loss_distribution import GaussianNLL, KLDivergence, PoissonNLL
from .loss_embedding import CosineEmbedding, TripletMargin
from .loss_margin import HingeEmbedding, MarginRanking, MultiLabelMargin, MultiLabelSoftMargin, MultiMargin, SoftMargin
from .norm import GroupNormFunction, LayerNormFunction, RMSNormFunction
from .recurrent import RecurrentCell, RecurrentSequence
from .reduce import LogSumExp, Sum
from .resample import Interpolate
from .sorting import CumSum

FAMILIES: dict[str, tuple[type, ...]] = {
    "lower": (MatMul, LinearFunction, ConvNd, ConvTransposeNd, Conv3dFunction, ScaledDotProductAttention,
              PReLUFunction, RecurrentCell, RecurrentSequence),
    "float32": (MSE, L1, Huber, BinaryCrossEntropyWithLogits, ClassLoss, KLDivergence, PoissonNLL, CosineEmbedding,
                TripletMargin, MarginRanking, HingeEmbedding, SoftMargin, MultiMargin, MultiLabelMargin, FftFunction,
                RfftFunction, IrfftFunction),
    "float32_cuda": (SoftmaxFunction, LogSoftmaxFunction, LayerNormFunction, GroupNormFunction, RMSNormFunction, Exp,
                     Log, Pow, PowTensor, Sum, CumSum, LogSumExp, Norm, CosineSimilarityFunction,
                     PairwiseDistanceFunction, SoftplusFunction, Interpolate, GaussianNLL, MultiLabelSoftMargin),
    "binary_cross_entropy": (BinaryCrossEntropy,),
    "promote": (BilinearFunction,),
}

for _family, _classes in FAMILIES.items():
    for _cls in _classes:
        _cls.autocast = _family
