"""Define-by-run reverse-mode autograd over coarse primitives."""

from .anomaly import detect_anomaly
from .function import Function
from .grad_check import GradientCheckError, grad_check
from .mode import enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor, ones, tensor, zeros

__all__ = ["Function", "detect_anomaly", "GradientCheckError", "Tensor", "enable_grad", "grad_check", "is_grad_enabled",
           "no_grad", "ones", "tensor", "zeros"]
