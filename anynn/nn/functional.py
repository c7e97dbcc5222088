"""``anynn.nn.functional``: the functional API under PyTorch's path (``import anynn.nn.functional as F``).

Every public name of `anynn.functional` is here, including names added to it later: the star import
takes its ``__all__``, and any other attribute is looked up there on first use.
"""

from __future__ import annotations

from typing import Any

from .. import functional as _functional
from ..functional import *  # noqa: F401,F403  (PyTorch's F.relu, F.cross_entropy, ...)
from .attention import multi_head_attention_forward  # noqa: F401  (MultiheadAttention's forward, weights given)

__all__ = list(_functional.__all__) + ["multi_head_attention_forward"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_functional, name)
    except AttributeError:
        raise AttributeError(f"anynn.nn.functional has no attribute {name!r} (nor has anynn.functional)") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(dir(_functional)))
