"""``anynn.utils``: PyTorch's ``torch.utils`` paths (``anynn.utils.data``, ``anynn.utils.checkpoint``)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
