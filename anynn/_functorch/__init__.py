"""``torch._functorch``: its ``config`` module (gpt-fast sets ``enable_autograd_cache``)."""

from . import config

__all__ = ["config"]
