"""Tensors in memory other processes share: ``Tensor.share_memory_``/``is_shared`` and how a Tensor crosses a process.

The backend owns the memory (`anynn.backend.Backend.share_memory`: NumPy arrays in anonymous shared segments,
PyTorch's own ``share_memory_``). Here a Tensor is taught to the standard library's multiprocessing pickler
(``multiprocessing.reduction.ForkingPickler``, which sends the arguments of a spawn-started ``Process`` and every
``Queue``/``Pipe`` message), never to plain `pickle`: checkpoints stay pickle-free (design principle 6). As in
PyTorch, a Tensor sent to another process is first moved to shared memory, so both processes see one buffer.
"""

from __future__ import annotations

from typing import Any, Callable

from ..backend import Backend, DeviceRNG, get_backend
from .tensor import Tensor, _write_through

NON_LEAF_REFUSAL = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not "
                    "support crossing process boundaries.  If you just want to transfer the data, call detach() "
                    "on the tensor before serializing (e.g., putting it on the queue).")


def share_memory_(self: Tensor) -> Tensor:
    """Move the data to memory other processes share, in place; returns ``self`` (PyTorch's ``share_memory_``).

    A no-op where the data is there already (and, as PyTorch's, for CUDA tensors of the torch backend). On the
    numpy backend the values are copied into a shared segment and the tensor holds the copy: views taken before
    the call keep the old memory (PyTorch moves the storage, views included). Backends that cannot share
    (array_api_strict, JAX, CuPy) raise a `RuntimeError` naming the backend. The gradient is not moved
    (`anynn.nn.Module.share_memory` moves parameters' gradients too).
    """
    register_reductions()
    array = self.backend.share_memory(self.array)
    if array is not self.array:
        self.array = array
        _write_through(self)  # `p.data.share_memory_()`: the owner moves too, as PyTorch's storage does
    return self


def is_shared(self: Tensor) -> bool:
    """True where the tensor's data lives in memory other processes share (after `share_memory_`)."""
    return self.backend.is_shared(self.array)


METHODS: dict[str, Any] = {"share_memory_": share_memory_, "is_shared": is_shared}


def reduce_tensor(t: Tensor) -> tuple[Callable[..., Tensor], tuple[Any, ...]]:
    """``(rebuild, args)`` of ``t`` for the multiprocessing pickler: its shared array, class and ``requires_grad``."""
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError(NON_LEAF_REFUSAL)
    if not t.backend.is_shared(t.array):
        try:
            share_memory_(t)
        except RuntimeError as exc:
            raise RuntimeError(f"sending a tensor to another process moves it to shared memory first: {exc}") from None
    rebuild_array, array_args = t.backend.shared_reduction(t.array)
    # the backend goes as its key: its class may have been imported after the pickler's table was made
    return rebuild_tensor, (type(t), t.backend.key, rebuild_array, array_args, t.requires_grad)


def rebuild_tensor(cls: type[Tensor], backend: str, rebuild_array: Callable[..., Any],
                   array_args: tuple[Any, ...], requires_grad: bool) -> Tensor:
    """In the receiving process: a leaf Tensor of class ``cls`` over the sender's memory."""
    t = cls._make(rebuild_array(*array_args), get_backend(backend), None, 0)
    if requires_grad:
        t.requires_grad_(True)
    return t


def reduce_backend(backend: Backend) -> tuple[Callable[..., Backend], tuple[str]]:
    """A backend (a module's generator holds one) crosses a process as its key: it holds library modules, which
    do not pickle. Its class is registered once loaded (`register_reductions` runs again at each `share_memory_`)."""
    return get_backend, (backend.key,)


def reduce_generator(rng: Any) -> tuple[Callable[..., DeviceRNG], tuple[str, Any]]:  # a DeviceRNG
    """A layer's generator (dropout's) crosses a process as its backend's key and its state, by value: the receiver
    draws the sender's next numbers from its own copy. (PyTorch cannot send a ``torch.Generator`` to a spawned
    process: its state tensor fails to rebuild there.)"""
    return rebuild_generator, (rng.backend.key, rng.state())


def rebuild_generator(backend: str, state: Any) -> DeviceRNG:
    """In the receiving process: a generator of ``backend`` in the sender's state."""
    rng: Any = get_backend(backend).rng(0)
    rng.set_state(state)
    return rng


def register_reductions() -> None:
    """Teach the multiprocessing pickler `Tensor` (and subclasses: `Parameter`), `Backend` and the backends'
    generators (each library's class, once loaded: this runs again at each `share_memory_`)."""
    from multiprocessing.reduction import ForkingPickler  # here: `import anynn` need not load multiprocessing

    for root, reducer in ((Tensor, reduce_tensor), (Backend, reduce_backend), (DeviceRNG, reduce_generator)):
        for cls in _with_subclasses(root):
            ForkingPickler.register(cls, reducer)


def _with_subclasses(root: type) -> list[type]:
    found, pending = [], [root]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found
