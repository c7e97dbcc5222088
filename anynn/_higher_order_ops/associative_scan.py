"""``torch._higher_order_ops.associative_scan``."""

from .eager import associative_scan  # noqa: F401
