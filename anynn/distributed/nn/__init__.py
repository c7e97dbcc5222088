"""``torch.distributed.nn``: differentiable collectives (``from torch.distributed import nn as dist_nn``;
``torch.distributed.nn.functional.all_gather``), see `anynn.distributed.nn.functional`."""

from __future__ import annotations

from . import functional
from .functional import all_gather, all_reduce, broadcast

__all__ = ["all_gather", "all_reduce", "broadcast", "functional"]
