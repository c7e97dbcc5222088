"""Define-by-run reverse-mode autograd over coarse primitives."""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from . import functional  # noqa: F401  (anynn.autograd.functional: vjp, jvp, hvp, hessian, jacobian)
from . import forward_ad  # noqa: F401  (anynn.autograd.forward_ad: dual_level, make_dual, unpack_dual)
from . import profiler  # noqa: F401  (anynn.autograd.profiler: profile, record_function)
from .double_backward import DoubleBackwardError
from .custom_function import Function, FunctionCtx
from .grad_api import backward, grad
from .grad_check import GradientCheckError, grad_check
from .mode import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, ones, tensor, zeros
from .torch_gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["DoubleBackwardError", "backward", "Function", "FunctionCtx", "GradientCheckError", "Tensor",
           "detect_anomaly", "GradcheckError", "gradcheck", "gradgradcheck",
           "enable_grad", "functional", "grad", "grad_check", "inference_mode", "is_anomaly_enabled", "is_grad_enabled",
           "is_inference_mode_enabled",
           "no_grad",
           "set_detect_anomaly",
           "ones", "set_grad_enabled", "tensor", "zeros", "Variable"]
