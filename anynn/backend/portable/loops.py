"""A loop over time as one operation: ``scan``, whose portable form is the Python loop.

A backend that compiles (JAX, when the arrays are traced) replaces it with its own loop primitive
(``jax.lax.scan``), so a recurrent layer becomes one loop in the compiled program instead of one copy
of its body per time step.
"""

from __future__ import annotations

from typing import Any, Callable

from ..typing import Namespace


def scan(xp: Namespace, step: Callable[[Any, tuple[Any, ...]], tuple[Any, tuple[Any, ...]]], carry: Any,
         xs: tuple[Any, ...], length: int, reverse: bool = False) -> tuple[Any, tuple[Any, ...]]:
    """``jax.lax.scan``'s contract over tuples: ``carry, y_t = step(carry, (x[t] for x in xs))`` for each t.

    ``xs`` are arrays with the time axis first (``length`` steps), ``reverse`` runs from the last step to
    the first. Returns the final carry and the ``y_t`` stacked on a new first axis in time order (an entry
    that is ``None`` in every step stays ``None``).
    """
    order = range(length - 1, -1, -1) if reverse else range(length)
    ys: list[Any] = [None] * length
    for t in order:
        carry, ys[t] = step(carry, tuple(x[t, ...] for x in xs))
    if not length:
        return carry, ()
    stacked = tuple(None if ys[0][i] is None else xp.stack([y[i] for y in ys], axis=0) for i in range(len(ys[0])))
    return carry, stacked
