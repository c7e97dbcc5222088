"""``torch._higher_order_ops.cond``."""

from .eager import cond  # noqa: F401
