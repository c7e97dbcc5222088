"""``anynn.utils.data.dataloader``: PyTorch's module path of `DataLoader` (``from torch.utils.data.dataloader
import DataLoader``, as karpathy/makemore writes it)."""

from ...data import DataLoader, default_collate, default_convert
from ...data.dataset import get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
