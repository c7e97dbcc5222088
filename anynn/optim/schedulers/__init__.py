"""Learning-rate schedulers with PyTorch's semantics (also importable as `anynn.optim.lr_scheduler`)."""

from .base import LRScheduler
from .chained import ChainedScheduler
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .polynomial import ConstantLR, PolynomialLR
from .sequential import SequentialLR
from .simple import ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, StepLR

__all__ = [
    "ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "ExponentialLR",
    "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR", "PolynomialLR",
    "ReduceLROnPlateau", "SequentialLR", "StepLR",
]
