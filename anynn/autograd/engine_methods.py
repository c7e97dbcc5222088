"""The `Tensor` methods that run the graph engine: ``backward`` and ``register_hook``.

They sit above `anynn.autograd.tensor` (which imports no engine module, so the autograd core has no import
cycle) and are installed on `Tensor` with the rest of its methods (`anynn.functional.tensor_methods`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..backend.typing import Array
from . import graph
from .grad_api import accumulate_into
from .hooks import RemovableHandle, register_post_accumulate_hook, register_tensor_hook
from .tensor import Tensor


def backward(self: Tensor, gradient: Tensor | Array | None = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Compute gradients of this tensor with respect to every leaf that requires them.

    ``gradient`` (PyTorch's name: ``Q.backward(gradient=external_grad)``) defaults to ones for a scalar; gradients
    add into ``leaf.grad``. ``create_graph=True`` records the backward pass, so the gradients can be differentiated
    again; ``retain_graph`` defaults to ``create_graph`` (as in PyTorch). ``inputs``: accumulate only into these
    tensors' ``.grad``.
    """
    if not self._requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad (no graph was recorded)")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        graph.backward(self, gradient, retain_graph, create_graph)
        return
    accumulate_into([self], [gradient], retain_graph, create_graph, inputs)


def register_hook(self: Tensor, hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` with this tensor's gradient during ``backward()``; a returned Tensor replaces it.

    As in PyTorch: on a leaf the hook sees the summed gradient before it goes into ``.grad``; on an
    intermediate tensor, the gradient before it flows further back. Returns a handle with ``.remove()``.
    """
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    return register_tensor_hook(self, hook)


def register_post_accumulate_grad_hook(self: Tensor, hook: Callable[[Tensor], None]) -> RemovableHandle:
    """Call ``hook(self)`` after each backward has added this leaf's gradient into ``.grad`` (PyTorch's; the
    hook returns nothing: an optimizer step per parameter while backward runs, freeing its gradient early).
    Returns a handle with ``.remove()``."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    return register_post_accumulate_hook(self, hook)


METHODS: dict[str, Any] = {"backward": backward, "register_hook": register_hook,
                           "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook}
