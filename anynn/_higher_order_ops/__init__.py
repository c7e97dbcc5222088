"""``torch._higher_order_ops``: the control-flow operators, run eagerly (see `anynn._higher_order_ops.eager`).

Each is imported from its submodule (PyTorch's import path), so the package's name stays the function after the
submodule is loaded."""

from .associative_scan import associative_scan
from .cond import cond
from .foreach_map import foreach_map
from .map import map  # noqa: A004 - PyTorch's name
from .scan import scan
from .while_loop import while_loop

__all__ = ["associative_scan", "cond", "foreach_map", "map", "scan", "while_loop"]
