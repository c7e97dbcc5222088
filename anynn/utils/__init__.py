"""``anynn.utils``: PyTorch's ``torch.utils`` paths (``anynn.utils.data``)."""

from . import data

__all__ = ["data"]
