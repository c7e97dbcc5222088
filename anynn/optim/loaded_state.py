"""The check of a loaded optimizer state before the first step that reads it (PyTorch's ``_init_group`` order).

PyTorch's optimizers read every parameter's state (``state["exp_avg_sq"]``...) before they update any parameter,
so a state dict with an entry missing fails its step with a ``KeyError`` and no parameter changed. anynn's
per-parameter ``update`` reads the state as it goes: the parameters before the broken one were already stepped.
`check_loaded_state` runs before such a step and finds the missing entries first: it asks the optimizer's own
``update`` which entries a fresh state holds (one run on an empty array, no parameter touched).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .complex_params import is_complex_dtype, update_as_real

if TYPE_CHECKING:
    from .optimizer import Optimizer

__all__ = ["check_loaded_state"]


def check_loaded_state(optimizer: "Optimizer", groups: list[dict[str, Any]]) -> None:
    """Raise ``KeyError`` naming the optimizer, the parameter and the entry when a loaded, non-empty state of a
    parameter that has a gradient lacks an entry the update reads; ``groups`` are ``param_groups`` with their
    options read as numbers. Checked parameters leave ``optimizer._unchecked_state``."""
    unchecked = optimizer._unchecked_state
    index = {id(p): i for i, p in enumerate(optimizer._all_params())}
    checked = []
    for group in groups:
        names: dict[int, tuple[str, ...]] = {}  # by the parameter's ndim (Adafactor factors matrices only)
        for p in group["params"]:
            pid = id(p)
            if pid not in unchecked or p._grad is None:
                continue
            state = optimizer.state.get(pid)
            if state:
                if p.ndim not in names:
                    names[p.ndim] = _fresh_state_names(optimizer, p, group)
                missing = [name for name in names[p.ndim] if name not in state]
                if missing:
                    raise KeyError(f"{type(optimizer).__name__}.step: the loaded state of parameter {index[pid]} "
                                   f"has no {missing[0]!r} (it holds {', '.join(map(repr, state))}); was the state "
                                   f"dict saved by another optimizer, or with other options? No parameter was "
                                   f"changed")
            checked.append(pid)
    for pid in checked:
        del unchecked[pid]


def _fresh_state_names(optimizer: "Optimizer", p: Any, group: dict[str, Any]) -> tuple[str, ...]:
    """The entries ``optimizer.update`` puts in an empty state for ``p`` under ``group``'s options, found by
    running it on empty arrays of ``p``'s dtype, backend and number of dimensions (a 0-d ``p``: one); () where
    that run fails (nothing is checked)."""
    backend = p.backend
    xp = backend.xp
    empty = xp.zeros_like(xp.reshape(p.array, (-1,) + (1,) * (p.ndim - 1))[:0, ...])
    fresh: dict[str, Any] = {}
    try:
        if is_complex_dtype(backend, empty.dtype):
            update_as_real(optimizer.update, empty, empty, fresh, group, backend)
        else:
            optimizer.update(empty, xp.zeros_like(empty), fresh, group, backend)
    except Exception:  # an update that cannot run on no elements: leave the check to the update itself
        return ()
    return tuple(fresh)
