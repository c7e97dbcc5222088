"""Define-by-run reverse-mode autograd over coarse primitives."""

from .anomaly import detect_anomaly, is_anomaly_enabled
from .function import Function
from .grad_check import GradientCheckError, grad_check
from .mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, ones, tensor, zeros

__all__ = ["Function", "detect_anomaly", "GradientCheckError", "Tensor", "enable_grad", "grad_check", "inference_mode",
           "is_anomaly_enabled", "is_grad_enabled", "no_grad", "ones", "set_grad_enabled", "tensor", "zeros"]
