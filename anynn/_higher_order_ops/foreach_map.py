"""``torch._higher_order_ops.foreach_map``."""

from .eager import foreach_map  # noqa: F401
