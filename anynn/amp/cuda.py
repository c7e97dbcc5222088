"""``anynn.cuda.amp``: PyTorch's deprecated ``torch.cuda.amp`` names (``autocast``, ``GradScaler``, ``custom_fwd``,
``custom_bwd``) for ported code.

As in PyTorch they are `anynn.amp`'s fixed to the device type ``"cuda"`` and warn that ``anynn.amp`` is the
current spelling.
"""

from __future__ import annotations

import warnings
from typing import Any

from .autocast import autocast as _Autocast
from .custom_function import custom_bwd as _custom_bwd
from .custom_function import custom_fwd as _custom_fwd
from .grad_scaler import GradScaler as _GradScaler


class autocast(_Autocast):  # noqa: N801 - PyTorch's name
    """``torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)``: autocast("cuda", ...)."""

    def __init__(self, enabled: bool = True, dtype: Any = "float16", cache_enabled: bool = True) -> None:
        warnings.warn("`anynn.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`anynn.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    """``torch.cuda.amp.GradScaler(init_scale, growth_factor, backoff_factor, growth_interval, enabled)``."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        warnings.warn("`anynn.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`anynn.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def custom_fwd(fwd: Any = None, *, cast_inputs: Any = None) -> Any:
    """``torch.cuda.amp.custom_fwd``: `anynn.amp.custom_fwd` with ``device_type="cuda"``."""
    warnings.warn("`anynn.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`anynn.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning, stacklevel=2)
    return _custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Any = None) -> Any:
    """``torch.cuda.amp.custom_bwd``: `anynn.amp.custom_bwd` with ``device_type="cuda"``."""
    warnings.warn("`anynn.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`anynn.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning, stacklevel=2)
    return _custom_bwd(bwd, device_type="cuda")


__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]
