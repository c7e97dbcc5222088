"""``anynn.utils``: PyTorch's ``torch.utils`` paths (``anynn.utils.data``, ``anynn.utils.checkpoint``,
``anynn.utils.hooks``)."""

import importlib.util

from . import checkpoint, data, hooks

if importlib.util.find_spec("einops") is not None:  # einops finds anynn Tensors through this module's backend
    from . import einops  # noqa: F401

__all__ = ["checkpoint", "data", "hooks"]
