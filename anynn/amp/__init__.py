"""Mixed precision, PyTorch's ``torch.amp``: `autocast` regions and `GradScaler` loss scaling.

``anynn.cuda.amp`` holds the same under ``torch.cuda.amp``'s names (device type ``"cuda"``).
"""

from .autocast import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled
from .custom_function import custom_bwd, custom_fwd
from .grad_scaler import GradScaler, OptState

__all__ = ["GradScaler", "OptState", "autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled"]
