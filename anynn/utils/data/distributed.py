"""``anynn.utils.data.distributed``: PyTorch's path of `DistributedSampler` (``torch.utils.data.distributed``)."""

from __future__ import annotations

from ...distributed.sampler import DistributedSampler

__all__ = ["DistributedSampler"]
