"""``anynn.signal``: PyTorch's ``torch.signal`` (its ``windows`` namespace)."""

from __future__ import annotations

from . import windows

__all__ = ["windows"]
