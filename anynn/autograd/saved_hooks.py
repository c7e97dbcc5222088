"""Saved-tensor hooks, PyTorch's ``torch.autograd.graph.saved_tensors_hooks``: while one is active, every value a
recorded Function keeps for its backward is handed to ``pack_hook`` as a Tensor, and what it returns is kept in
its place; the backward hands that back to ``unpack_hook`` and uses the Tensor it returns. Offloading activations
(`save_on_cpu`), compressing them (pack to float16, unpack to float32) or counting them are written this way.

anynn's Functions keep native arrays on themselves (``self.x = x`` in ``forward``), so the values packed are
those arrays, each wrapped as a Tensor that records nothing: the same values PyTorch packs where a Function saves
what PyTorch's saves (an input, the output, a mask), sometimes a different choice of them (PyTorch's sigmoid
keeps its output where another op keeps the input). The hooks of the innermost block apply; they are per thread,
as PyTorch's. Packing happens when the Function is recorded, unpacking once, before its first backward.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from .mode import order_observable
from .tensor import Tensor, make_tensor

_local = threading.local()  # .stack: [(pack, unpack), ...]; .disabled: [message, ...]
_lock = threading.Lock()
# threads with a hooks block open: Function.apply looks at this module flag before anything per thread
active_threads = 0


def _stack() -> list[tuple[Callable[[Tensor], Any], Callable[[Any], Tensor]]]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _count(delta: int) -> None:
    global active_threads
    with _lock:
        active_threads += delta


class saved_tensors_hooks:  # noqa: N801 (PyTorch's name)
    """``with saved_tensors_hooks(pack_hook, unpack_hook):`` pack every value saved for backward in the block.

    ``pack_hook(tensor) -> object`` runs when an operation is recorded; ``unpack_hook(object) -> Tensor`` when its
    backward needs the value, and must give a Tensor of the packed one's shape (and, ideally, dtype and backend).
    Blocks nest; the innermost hooks apply.
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> "saved_tensors_hooks":
        disabled = getattr(_local, "disabled", None)
        if disabled:
            raise RuntimeError(disabled[-1])
        stack = _stack()
        stack.append((self.pack_hook, self.unpack_hook))
        order_observable[0] = True  # unpack hooks run inside backward: it runs in PyTorch's order
        if len(stack) == 1:
            _count(1)
        return self

    def __exit__(self, *exc: Any) -> None:
        stack = _stack()
        stack.pop()
        if not stack:
            _count(-1)


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 (PyTorch's name)
    """Keep the values saved for backward on the host ("cpu") and bring them back to their device for the
    backward: activation offloading for a model that does not fit a GPU's memory. On a host backend the values stay
    where they are. ``pin_memory`` is accepted for PyTorch's signature (anynn does not pin host memory);
    ``device_type`` names the device kind whose values are moved (PyTorch's default "cuda")."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(tensor: Tensor) -> tuple[Any, Tensor]:
            device = tensor.device
            if getattr(device, "type", "cpu") == "cpu":
                return device, tensor
            return device, tensor.to("cpu")

        def unpack(packed: tuple[Any, Tensor]) -> Tensor:
            device, tensor = packed
            return tensor if tensor.device == device else tensor.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:  # noqa: N801 (PyTorch's name)
    """``with disable_saved_tensors_hooks(message):`` a `saved_tensors_hooks` block opened inside raises
    RuntimeError(message) (a feature that cannot work with them says why)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> "disable_saved_tensors_hooks":
        disabled = getattr(_local, "disabled", None)
        if disabled is None:
            disabled = _local.disabled = []
        disabled.append(self.error_message)
        return self

    def __exit__(self, *exc: Any) -> None:
        _local.disabled.pop()


class _Packed:
    """What ``pack_hook`` returned for one saved array, with the ``unpack_hook`` that gives it back."""

    __slots__ = ("value", "unpack")

    def __init__(self, value: Any, unpack: Callable[[Any], Tensor]) -> None:
        self.value, self.unpack = value, unpack


class BackwardStandIn:
    """Stands in for ``fn.backward`` (an instance attribute, which the engine's ``fn.backward(...)`` finds before the
    class's method) on a Function whose saved arrays are packed: unpacks them, then runs ``run``, the class's
    backward here (node hooks around it in `anynn.autograd.hooks`)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, xp: Any, *grads: Any) -> Any:
        fn = self.fn
        unpack_saved(fn)
        return self.run(fn, xp, grads)

    def run(self, fn: Any, xp: Any, grads: tuple[Any, ...]) -> Any:
        return type(fn).backward(fn, xp, *grads)


def pack_saved(fn: Any) -> None:
    """Called by `Function.apply` for a recorded Function while this thread has hooks: pack each array ``fn``
    saved (an attribute, or an item of a tuple/list attribute) with the innermost ``pack_hook``."""
    stack = getattr(_local, "stack", None)
    if not stack:
        return
    pack, unpack = stack[-1]
    backend = fn.backend
    found = False

    def packed(value: Any) -> Any:
        nonlocal found
        if backend.is_native(value):
            found = True
            return _Packed(pack(make_tensor(value, backend, None, 0)), unpack)
        return value

    attributes = fn.__dict__
    for name, value in list(attributes.items()):
        if type(value) in (tuple, list):
            attributes[name] = type(value)(packed(v) for v in value)
        else:
            attributes[name] = packed(value)
    if found:
        attributes["_packed_saves"] = True
        if "backward" not in attributes:  # (node hooks put their own stand-in there, which unpacks too)
            attributes["backward"] = BackwardStandIn(fn)


def _unpacked(fn: Any, value: Any) -> Any:
    tensor = value.unpack(value.value)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{type(fn).__name__}: unpack_hook must return a Tensor, got {type(tensor).__name__}")
    return tensor.detach().array


def unpack_saved(fn: Any) -> None:
    """Give ``fn`` its saved arrays back (``unpack_hook`` of each), once; a no-op where nothing is packed."""
    attributes = fn.__dict__
    if not attributes.pop("_packed_saves", False):
        return
    if type(attributes.get("backward")) is BackwardStandIn:
        del attributes["backward"]
    for name, value in list(attributes.items()):
        if type(value) is _Packed:
            attributes[name] = _unpacked(fn, value)
        elif type(value) in (tuple, list) and any(type(v) is _Packed for v in value):
            attributes[name] = type(value)(_unpacked(fn, v) if type(v) is _Packed else v for v in value)


__all__ = ["BackwardStandIn", "disable_saved_tensors_hooks", "pack_saved", "save_on_cpu", "saved_tensors_hooks",
           "unpack_saved"]
