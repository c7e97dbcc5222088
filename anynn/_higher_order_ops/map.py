"""``torch._higher_order_ops.map``."""

from .eager import map  # noqa: F401, A004 - PyTorch's name
