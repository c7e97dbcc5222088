"""``torch._higher_order_ops.scan``."""

from .eager import scan  # noqa: F401
