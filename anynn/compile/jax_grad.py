"""JAX's transformations through anynn's forward: ``jax.grad`` (any order), ``jax.hessian``, ``jax.vmap``.

On the jax backend anynn's Functions compute with ``jax.numpy``, so JAX can differentiate the forward
pass itself, to any order, independently of anynn's tape (which `anynn.autograd.grad` with
``create_graph=True`` offers on every backend). `jax_function` turns an anynn function of tensors into a
function of JAX arrays; `jax_grad` is ``jax.grad`` of it.

    f = lambda x: (x.tanh() ** 2).sum()
    d2 = jax.grad(lambda x: jax_grad(f)(x).sum())(x)     # second derivative, summed
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd import mode
from ..autograd.tensor import Tensor, make_tensor
from ..backend import get_backend


def jax_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (tensors → a tensor or a tuple of tensors) as a function of JAX arrays returning JAX arrays.

    The arrays become jax-backend tensors; the tape is off (JAX differentiates the computation itself).
    """
    backend = get_backend("jax")

    def on_arrays(*arrays: Any) -> Any:
        previous = mode.local.modes.grad_enabled
        mode.local.modes.grad_enabled = False
        try:
            out = fn(*[make_tensor(a, backend, None, 0) for a in arrays])
        finally:
            mode.local.modes.grad_enabled = previous
        if isinstance(out, (tuple, list)):
            return type(out)(o.array if isinstance(o, Tensor) else o for o in out)
        return out.array if isinstance(out, Tensor) else out

    return on_arrays


def jax_grad(fn: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """``jax.grad`` of ``fn`` (tensors → a 0-d tensor): a function of JAX arrays returning the gradient(s).

    Compose it with ``jax.grad``, ``jax.jacfwd`` or ``jax.hessian`` for higher derivatives (the jax backend's
    `Backend.derivative`).
    """
    return get_backend("jax").derivative(jax_function(fn), argnums)
