"""``anynn.utils.data._utils``: PyTorch's private package path of the collate functions (``from
torch.utils.data._utils.collate import default_collate``, and ``collate`` with ``default_collate_fn_map`` for
collate_fns that extend PyTorch's per-type registry)."""

from . import collate

__all__ = ["collate"]
