"""``torch._dynamo``: the names programs use around ``torch.compile`` (``config``, ``reset``, ``disable``).

anynn compiles whole steps with `anynn.compile`, not TorchDynamo: ``config`` keeps PyTorch's settings without
reading them, ``reset`` and ``disable`` are `anynn.compiler`'s.
"""

from ..compiler import disable, reset
from . import config

__all__ = ["config", "disable", "reset"]
