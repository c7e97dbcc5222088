"""``cond`` on the jax backend: a branch on a traced value (inside ``jax.jit``: a compiled step) is ``lax.cond``.

``torch.cond(pred, true_fn, false_fn, operands)`` (`anynn._higher_order_ops.cond`) runs the branch ``pred`` picks.
Inside a traced program ``pred`` has no value: both branches are traced, as ``lax.cond``'s, and the program takes
one when it runs, as PyTorch's compiled ``cond`` does. `cond_vjp` is the gradient: the chosen branch's ``jax.vjp``,
under the same ``lax.cond``, so an untaken branch is neither run nor differentiated (its NaNs stay out).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

Branch = Callable[[], Sequence[Any]]
ArrayFunction = Callable[..., Sequence[Any]]


def cond(pred: Any, then_branch: Branch, else_branch: Branch) -> list[Any]:
    """The arrays ``then_branch()`` gives where ``pred`` (a one-element array, true where not 0) is true, else
    ``else_branch()``'s; both must give arrays of the same shapes and dtypes."""
    from jax import lax

    try:
        return lax.cond(_truth(pred), lambda: list(then_branch()), lambda: list(else_branch()))
    except TypeError as error:
        if "branches must have equal output types" not in str(error):
            raise
        text = str(error)
        found = text[text.find("The output of true_fun"):].split(".", 1)[0] if "The output of" in text else text
        raise TypeError(f"cond: in a compiled step both branches are traced and must give outputs of the same "
                        f"shapes and dtypes, as torch.cond's: {found.replace('_fun', '_fn')}") from None


def cond_vjp(pred: Any, then_fn: ArrayFunction, else_fn: ArrayFunction, primals: Sequence[Any],
             cotangents: Sequence[Any]) -> list[Any]:
    """The gradients, one per array of ``primals``, of the branch ``pred`` picks (``then_fn(*primals)`` or
    ``else_fn(*primals)``, lists of arrays) against ``cotangents`` (one per output)."""
    import jax
    from jax import lax

    def pulled(fn: ArrayFunction) -> Callable[[list[Any], list[Any]], list[Any]]:
        def run(values: list[Any], grads: list[Any]) -> list[Any]:
            _, vjp = jax.vjp(lambda *a: list(fn(*a)), *values)
            return list(vjp(grads))
        return run

    return lax.cond(_truth(pred), pulled(then_fn), pulled(else_fn), list(primals), list(cotangents))


def _truth(pred: Any) -> Any:
    import jax.numpy as jnp

    return jnp.reshape(pred, ()) != 0
