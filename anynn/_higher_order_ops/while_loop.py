"""``torch._higher_order_ops.while_loop``."""

from .eager import while_loop  # noqa: F401
