"""Learning-rate schedulers with PyTorch's semantics (also importable as `anynn.optim.lr_scheduler`)."""

from .base import LRScheduler
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .sequential import SequentialLR
from .simple import ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR

__all__ = [
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR",
    "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "StepLR",
]
