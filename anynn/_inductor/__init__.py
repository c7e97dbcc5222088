"""``torch._inductor``: its ``config`` module, whose settings programs assign before ``torch.compile``."""

from . import config

__all__ = ["config"]
