"""``anynn.cuda.amp``: PyTorch's deprecated ``torch.cuda.amp`` names (``autocast``, ``GradScaler``) for ported code.

As in PyTorch they are `anynn.amp.autocast` / `anynn.amp.GradScaler` fixed to the device type ``"cuda"`` and
warn that ``anynn.amp`` is the current spelling.
"""

from __future__ import annotations

import warnings
from typing import Any

from .autocast import autocast as _Autocast
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


__all__ = ["GradScaler", "autocast"]
