"""``torch._inductor``: its ``config`` module, whose settings programs assign before ``torch.compile``, and
``utils.fresh_inductor_cache``."""

from . import config, utils

__all__ = ["config", "utils"]
