"""``anynn.utils``: PyTorch's ``torch.utils`` paths (``anynn.utils.data``, ``anynn.utils.checkpoint``,
``anynn.utils.hooks``, ``anynn.utils._pytree``, ``anynn.utils.benchmark``, ``anynn.utils.dlpack``,
``anynn.utils.backcompat``)."""

import importlib.util

from . import _pytree, backcompat, benchmark, checkpoint, data, dlpack, hooks  # noqa: F401 - _pytree: torch.utils._pytree's path
from ._swap import swap_tensors

if importlib.util.find_spec("einops") is not None:  # einops finds anynn Tensors through this module's backend
    from . import einops  # noqa: F401

__all__ = ["backcompat", "benchmark", "checkpoint", "data", "dlpack", "hooks", "swap_tensors"]
