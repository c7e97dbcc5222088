"""Define-by-run reverse-mode autograd over coarse primitives."""

import sys as _sys

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from . import functional  # noqa: F401  (anynn.autograd.functional: vjp, jvp, hvp, hessian, jacobian)
from . import forward_ad  # noqa: F401  (anynn.autograd.forward_ad: dual_level, make_dual, unpack_dual)
from . import profiler  # noqa: F401  (anynn.autograd.profiler: profile, record_function)
from .double_backward import DoubleBackwardError
from .custom_function import Function, FunctionCtx
from . import function  # noqa: F401  (anynn.autograd.function: PyTorch's import path of Function, once_differentiable)
from .grad_api import backward, grad
from .grad_check import GradientCheckError, grad_check
from .mode import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, ones, tensor, zeros
from .torch_gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable
from . import anomaly as _anomaly, mode as _mode, torch_gradcheck as _torch_gradcheck

# PyTorch's files torch.autograd.gradcheck / grad_mode / anomaly_mode, kept here under other names: their import
# paths (``from torch.autograd.gradcheck import gradcheck``, the numpy-extensions tutorial's) find these modules.
# The attribute ``gradcheck`` stays the function, as in PyTorch; the two modes' modules are attributes too.
for _file, _module in (("gradcheck", _torch_gradcheck), ("grad_mode", _mode), ("anomaly_mode", _anomaly)):
    _sys.modules[f"{__name__}.{_file}"] = _module
grad_mode, anomaly_mode = _mode, _anomaly

__all__ = ["DoubleBackwardError", "backward", "Function", "FunctionCtx", "GradientCheckError", "Tensor",
           "detect_anomaly", "GradcheckError", "gradcheck", "gradgradcheck",
           "enable_grad", "functional", "grad", "grad_check", "inference_mode", "is_anomaly_enabled", "is_grad_enabled",
           "is_inference_mode_enabled",
           "no_grad",
           "set_detect_anomaly",
           "ones", "set_grad_enabled", "tensor", "zeros", "Variable"]
