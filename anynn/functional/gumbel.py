"""Gumbel-softmax: a differentiable sample of a categorical distribution given by its logits (``F.gumbel_softmax``).

``softmax((logits + g) / tau)`` with ``g`` standard Gumbel noise; ``hard=True`` returns the one-hot of its arg-max in
the forward pass while the gradient is that of the soft sample (the straight-through estimator). Composed of existing
primitives (softmax, scatter), so its gradients are theirs; the noise is drawn on the backend's device from a
generator seeded by `anynn.manual_seed`.
"""

from __future__ import annotations

import warnings

from ..autograd.tensor import Tensor, make_tensor
from .activation import softmax
from .dropout import draw_generator
from .indexing import scatter
from .value_checks import check_floating


def gumbel_noise(logits: Tensor) -> Tensor:
    """Standard Gumbel samples ``-log(E)``, ``E ~ Exp(1)``, of ``logits``' shape, dtype and backend (no gradient).

    ``E = -log(u)`` for ``u`` uniform on [0, 1): never 0, so the noise is finite or (u = 0) -inf, a category
    that cannot win.
    """
    be = logits.backend
    xp = be.xp
    u = draw_generator(be, None).uniform_like(logits.array, logits.array.dtype)  # (symbolic axes kept)
    return make_tensor(-xp.log(-xp.log(u)), be, None, 0)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A Gumbel-softmax sample over ``dim`` of the unnormalized log-probabilities ``logits`` (*): same shape.

    ``tau`` is the temperature (towards 0 the soft sample nears one-hot); ``hard=True`` gives the one-hot vector
    of the soft sample's arg-max (ties: the first), with the soft sample's gradient. ``eps`` is ignored (deprecated in
    PyTorch, which warns when it is given).
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not isinstance(logits, Tensor):
        raise TypeError(f"gumbel_softmax(): argument 'logits' must be Tensor, not {type(logits).__module__}."
                        f"{type(logits).__name__}; wrap it with anynn.tensor(...)")
    check_floating("gumbel_softmax", logits)
    y_soft = softmax((logits + gumbel_noise(logits)) / tau, dim=dim)
    if not hard:
        return y_soft
    index = y_soft.detach().argmax(dim, keepdim=True)
    y_hard = scatter(y_soft.detach() * 0.0, dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


__all__ = ["gumbel_noise", "gumbel_softmax"]
