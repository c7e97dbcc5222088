"""The ``anynn.func`` transforms running now (this thread's), for PyTorch's refusals of custom Functions in them.

PyTorch runs a ``ctx``-style `autograd.Function` inside its functorch transforms (``grad``, ``vjp``, ``jacrev``,
``jvp``, ``jacfwd``, ``hessian``, ``vmap``) only where the class says how, and refuses it otherwise:

- inside any transform, a Function without ``setup_context`` (``RuntimeError``);
- inside ``vmap`` (also ``jacfwd`` and ``hessian``, which vmap), one without a ``vmap`` staticmethod or
  ``generate_vmap_rule = True`` (``RuntimeError``);
- in forward mode (``jvp``, ``jacfwd``, ``hessian``, ``linearize`` or a ``forward_ad`` dual), one without a
  ``jvp`` staticmethod whose inputs carry a tangent (``NotImplementedError``).

anynn's transforms would compute these on the tape; each transform pushes a `Level` while it runs ``func``, and
a Function's ``apply`` asks `refuse_in_transforms` first, so a program that runs here runs under PyTorch too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from .tensor import Tensor

_DOCS = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


class Level(NamedTuple):
    """One running transform: ``functorch`` (False for ``linearize``, which PyTorch traces in forward mode
    outside its transform stack), whether it vmaps, and its tracked inputs when tangents flow from them."""

    functorch: bool
    vmap: bool
    tangent_inputs: tuple[Tensor, ...]


_local = threading.local()


def _stack() -> list[Level]:
    if not hasattr(_local, "levels"):
        _local.levels = []
    return _local.levels


@contextlib.contextmanager
def transform_level(*, functorch: bool = True, vmap: bool = False,
                    tangent_inputs: Sequence[Tensor] = ()) -> Iterator[None]:
    """``with transform_level(...):`` around a transform's call of the user's function."""
    stack = _stack()
    stack.append(Level(functorch, vmap, tuple(tangent_inputs)))
    try:
        yield
    finally:
        stack.pop()


def _reaches(args: Sequence[Any], targets: set[int]) -> bool:
    """Whether the recorded graph of a Tensor among ``args`` reaches a Tensor whose id is in ``targets``."""
    stack = [a for a in args if isinstance(a, Tensor)]
    seen: set[int] = set()
    while stack:
        t = stack.pop()
        if id(t) in targets:
            return True
        fn = t._ctx
        if not t._requires_grad or fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.extend(a for a in (getattr(fn, "inputs", None) or ()) if isinstance(a, Tensor))
    return False


def _tangent_sources() -> set[int]:
    """The ids of the Tensors tangents flow from: forward-mode transforms' inputs and the open level's duals."""
    from .forward_ad import _stack as dual_levels

    ids = {id(t) for level in _stack() for t in level.tangent_inputs}
    for level in dual_levels():
        ids.update(level.duals)
    return ids


def refuse_in_transforms(cls: type, defined: set[str], args: Sequence[Any]) -> None:
    """PyTorch's refusal of ``cls.apply(*args)`` in the running transforms, if any (see the module's docstring).

    ``defined``: the names ``cls`` defines below `Function` (``setup_context``, ``vmap``, ``jvp``...)."""
    levels = _stack()
    if any(level.functorch for level in levels):
        if "setup_context" not in defined:
            raise RuntimeError("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, "
                               f"jacrev, ...), it must override the setup_context staticmethod. {_DOCS}")
        if (any(level.vmap for level in levels) and "vmap" not in defined
                and not getattr(cls, "generate_vmap_rule", False)):
            raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
                               "override and implement the vmap staticmethod or set generate_vmap_rule=True. "
                               f"{_DOCS}")
    if "jvp" in defined:
        return
    sources = _tangent_sources()
    if sources and _reaches(args, sources):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")


def refuse_operator_in_transforms(name: str, args: Sequence[Any]) -> None:
    """PyTorch's refusal of the ``torch.library`` operator ``name`` inside a reverse-mode transform (``grad``,
    ``vjp``, ``jacrev``, ``hessian``) where one of ``args`` requires grad: its registered gradient runs as a
    generated ``autograd.Function`` without ``setup_context`` there. ``vmap`` alone runs it, and so does forward
    mode, where PyTorch 2.13's tangent is zero and anynn's the true one (docs/differences.md)."""
    from .mode import is_grad_enabled

    if not any(level.functorch and not level.vmap and not level.tangent_inputs for level in _stack()):
        return
    if is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
        raise RuntimeError("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, "
                           f"jacrev, ...), it must override the setup_context staticmethod. {_DOCS} (the custom "
                           f"operator {name}: PyTorch runs its registered gradient as such a Function)")


__all__ = ["Level", "refuse_in_transforms", "refuse_operator_in_transforms", "transform_level"]
