"""`anynn.autograd.forward_ad`: PyTorch's dual-tensor API (``dual_level``, ``make_dual``, ``unpack_dual``).

anynn has reverse mode only, so a dual tensor is the primal's alias recorded on the tape with its tangent kept
beside it, and ``unpack_dual(out).tangent`` is computed when asked, by the double-vjp trick (as `anynn.func.jvp`):
``u -> J^T u`` is linear in ``u``; recording it and differentiating it in ``u`` along the tangents gives ``J v``.
The values are PyTorch's; the cost is two reverse passes per ``unpack_dual`` of an output, and every op on the
path needs a double backward (a custom Function that defines only ``jvp`` has none: it is not supported).
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from .grad_api import grad as autograd_grad
from .mode import enable_grad
from .tensor import Tensor


class UnpackedDualTensor(NamedTuple):
    """``(primal, tangent)``: what `unpack_dual` returns; ``tangent`` is None when there is none."""

    primal: Any
    tangent: Any


class _Dual(NamedTuple):
    """A dual as `make_dual` gave it: ``dual``, the ``anchor`` tangents are taken along (the dual itself, or the
    leaf it is a copy of), its ``tangent`` and the dual's ``version`` then (an in-place change since makes its
    tangent the derivative's, as PyTorch's)."""

    dual: Tensor
    anchor: Tensor
    tangent: Tensor
    version: int


class _Level:
    """One open `dual_level`: its duals, each kept with its tangent until the level closes."""

    def __init__(self) -> None:
        self.duals: dict[int, _Dual] = {}


_local = threading.local()


def _stack() -> list[_Level]:
    if not hasattr(_local, "levels"):
        _local.levels = []
    return _local.levels


def enter_dual_level() -> int:
    """Open a new dual level (this thread's); returns its index. Prefer ``with dual_level():``."""
    levels = _stack()
    if levels:
        raise RuntimeError("enter_dual_level: nested forward AD levels are not supported (PyTorch supports one "
                           "level at a time too); close the open dual_level first")
    levels.append(_Level())
    return len(levels) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost dual level: its duals' tangents are dropped (``unpack_dual`` then gives None)."""
    levels = _stack()
    if not levels:
        raise RuntimeError("exit_dual_level: no forward AD level is open")
    levels.pop()


class dual_level:  # noqa: N801 (PyTorch's name)
    """``with dual_level():`` the block in which dual tensors live; their tangents are dropped on exit."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _current(caller: str) -> _Level:
    levels = _stack()
    if not levels:
        raise RuntimeError(f"{caller}: no forward AD level is open; call it inside 'with forward_ad.dual_level():'")
    return levels[-1]


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A dual tensor: ``tensor``'s values, carrying ``tangent`` (same shape; cast to ``tensor``'s dtype).

    The result is recorded from ``tensor`` (a reverse-mode gradient through it still reaches ``tensor``); a
    ``tensor`` that does not require grad gives a copy of a new leaf that does, so its uses are recorded and it can
    be changed in place (``dual.mul_(2)``), as PyTorch's dual of such a tensor.
    """
    where = _current("make_dual")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual: expected two Tensors, got {type(tensor).__name__} and {type(tangent).__name__}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"make_dual: the tangent's shape {tuple(tangent.shape)} differs from the primal's "
                           f"{tuple(tensor.shape)}; give a tangent of the primal's shape")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"make_dual: expected a floating-point primal, got {tensor.dtype}")
    if tangent.dtype != tensor.dtype:
        tangent = tangent.to(tensor.dtype)
    with enable_grad():
        if tensor.requires_grad:
            dual = anchor = tensor.view_as(tensor)
        else:
            anchor = tensor.detach().requires_grad_(True)
            dual = anchor.clone()
    where.duals[id(dual)] = _Dual(dual, anchor, tangent, dual._version)
    return dual


def _tangent(tensor: Tensor, where: _Level) -> Tensor | None:
    """``J v`` of ``tensor`` along the open level's tangents, or None when no dual reaches it."""
    if not tensor.requires_grad or not where.duals:
        return None
    duals = [entry.anchor for entry in where.duals.values()]
    tangents = [entry.tangent for entry in where.duals.values()]
    # PyTorch's tangent is differentiable where a tangent or a primal requires grad (reverse over forward)
    recorded = any(v.requires_grad for v in tangents) or any(e.anchor is e.dual for e in where.duals.values())
    with enable_grad():
        dummy = _zeros_like(tensor)
        firsts = autograd_grad(tensor, duals, dummy, create_graph=True, retain_graph=True, allow_unused=True)
        if all(g is None for g in firsts):
            return None
        pairs = [(g, v) for g, v in zip(firsts, tangents) if g is not None and g.requires_grad]
        if not pairs:
            return _zeros_like(tensor).detach()
        found, = autograd_grad([g for g, _ in pairs], [dummy], [v for _, v in pairs], create_graph=recorded,
                               allow_unused=True)
    if found is None:
        return _zeros_like(tensor).detach()
    return found if recorded else found.detach()


def _zeros_like(tensor: Tensor) -> Tensor:
    return tensor.detach().new_zeros(tuple(tensor.shape)).requires_grad_(True)


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor``: a dual's own tangent (the very object given to `make_dual`), the
    directional derivative of a result computed from duals, or None (no level open, or no dual reaches it)."""
    levels = _stack()
    if not isinstance(tensor, Tensor) or not levels:
        return UnpackedDualTensor(tensor, None)
    where = levels[-1]
    entry = where.duals.get(id(tensor))
    if entry is not None and entry.dual is tensor and entry.version == tensor._version:
        return UnpackedDualTensor(tensor, entry.tangent)
    return UnpackedDualTensor(tensor, _tangent(tensor, where))


def function_jvp(cls: Any, ctx: Any, args: tuple[Any, ...], output: Any) -> Any:
    """A custom Function that defines ``jvp`` and no ``backward``: its outputs become duals carrying
    ``cls.jvp(ctx, *input_tangents)`` (a missing input tangent is zeros), or stay plain without an open level."""
    levels = _stack()
    tangents = [unpack_dual(a).tangent if isinstance(a, Tensor) else None for a in args]
    if not levels or all(t is None for t in tangents):
        return output
    filled = [t if t is not None or not isinstance(a, Tensor) else a.detach().new_zeros(tuple(a.shape))
              for a, t in zip(args, tangents)]
    ctx.to_save = getattr(ctx, "saved_for_forward", ())  # jvp's saved_tensors: save_for_forward's, as PyTorch's
    found = cls.jvp(ctx, *filled)
    single = not isinstance(output, tuple)
    outs, found = ((output,), (found,)) if single else (output, tuple(found))
    if len(found) != len(outs):
        raise RuntimeError(f"{cls.__name__}.jvp returned {len(found)} tangents for {len(outs)} outputs")
    made = tuple(o if t is None else make_dual(o.detach(), t) for o, t in zip(outs, found))
    return made[0] if single else made


__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]
