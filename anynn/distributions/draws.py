"""Host draws for the distributions whose samplers the array API lacks (gamma, Poisson, binomial, von Mises), and the
uniform draws the location-scale families invert. The one module of ``anynn.distributions`` that imports NumPy.

As `anynn.rand` and `anynn.randn`, the draws come from the host generator that `anynn.manual_seed` seeds and move
to the parameters' backend: a seeded program draws the same numbers on every backend (PyTorch's laws, other
numbers). The parameters a draw depends on are read to the host first, so these samplers do not run inside a
traced region.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..factories import refuse_host_sampler


def host_draw(like: Tensor, draw: Callable[[np.random.Generator], Any], dtype: Any = None) -> Tensor:
    """``draw(generator)`` (a NumPy array) as a Tensor on ``like``'s backend, of ``dtype`` (default ``like``'s)."""
    from .. import init
    from ..factories import _drawn

    host = np.asarray(draw(init._rng(None)))
    return _drawn(host, dtype_name(like.dtype) if dtype is None else dtype, like.backend, False)


def standard_draws(kind: str, like: Tensor, shape: tuple[int | None, ...]) -> Tensor:
    """``kind`` draws (``"uniform"`` on [0, 1) or ``"normal"``) of ``shape`` in ``like``'s dtype and backend.

    ``shape`` is ``sample_shape + batch_shape (+ event_shape)`` and ends with ``like``'s shape (a parameter of the
    distribution, broadcast). In an ONNX export with a symbolic batch, anynn reads a symbolic axis' size as None:
    there the draws are made like ``like`` expanded to ``shape`` (a random node of the graph's own size)."""
    from ..factories import rand, rand_like, randn, randn_like

    if None not in shape:
        return (rand if kind == "uniform" else randn)(shape, dtype=like.dtype, backend=like.backend)
    lead = len(shape) - like.ndim
    sizes = [*shape[:lead], *(-1 if n is None else n for n in shape[lead:])]
    return (rand_like if kind == "uniform" else randn_like)(like.detach().expand(*sizes))


def open_uniform(like: Tensor, shape: tuple[int | None, ...]) -> Tensor:
    """Uniform draws of ``shape`` strictly inside (0, 1) in ``like``'s dtype (the inverse CDFs take logs of both
    ``u`` and ``1 - u``): [0, 1) draws clamped to the dtype's ``[tiny, 1 - eps]``, as PyTorch's samplers do."""
    from ..type_info import finfo

    info = finfo(like.dtype)
    return standard_draws("uniform", like, shape).clamp(min=info.tiny, max=1 - info.eps)


def standard_gamma_sample(concentration: Tensor, shape: tuple[int | None, ...]) -> Tensor:
    """Gamma(concentration, 1) draws of ``shape`` (``concentration`` broadcasts to it), outside the graph; in an
    ONNX export, random nodes of the graph (`gamma_in_graph`)."""
    from ..type_info import finfo

    if concentration.backend.fast_path("random_in_graph") is not None:
        return gamma_in_graph(concentration.detach(), shape)
    alpha = np.broadcast_to(concentration.detach().numpy().astype(np.float64), shape)
    tiny = finfo(concentration.dtype).tiny
    return host_draw(concentration, lambda rng: np.maximum(rng.standard_gamma(alpha), tiny))


GAMMA_ROUNDS = 8  # Marsaglia and Tsang's proposals per draw in a graph: all 8 rejected with probability below 3e-11


def gamma_in_graph(alpha: Tensor, shape: tuple[int | None, ...]) -> Tensor:
    """Gamma(alpha, 1) draws of ``shape`` made of the graph's own normal and uniform draws (an ONNX export: drawn on
    every run, under a symbolic batch too), by Marsaglia and Tsang's method: for ``a >= 1``, ``d = a - 1/3``,
    ``v = (1 + x / sqrt(9 d))^3`` of a normal ``x`` is accepted where ``log u < x^2 / 2 + d - d v + d log v``
    (at least 95% of proposals), and the draw is ``d v``. A graph has no loop that runs until acceptance: each
    element takes the first of `GAMMA_ROUNDS` proposals it accepts (``d`` if none). ``a < 1`` draws
    Gamma(a + 1) times ``u^(1/a)``."""
    from ..functional.tensor_extras import where
    from ..type_info import finfo

    tiny = finfo(alpha.dtype).tiny
    boosted = alpha < 1
    d = where(boosted, alpha + 1, alpha) - 1 / 3
    c = (9 * d).rsqrt()
    draw = accepted = None
    for _ in range(GAMMA_ROUNDS):
        x = standard_draws("normal", alpha, shape)
        u = open_uniform(alpha, shape)
        v = (1 + c * x) ** 3
        ok = (v > 0) & (u.log() < 0.5 * x * x + d - d * v + d * v.clamp(min=tiny).log())
        if draw is None or accepted is None:
            draw, accepted = where(ok, d * v, d + 0 * x), ok
        else:
            draw, accepted = where(ok & ~accepted, d * v, draw), ok | accepted
    draw = where(boosted, draw * open_uniform(alpha, shape) ** (1 / alpha), draw)
    return draw.clamp(min=tiny)


def poisson_sample(rate: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Poisson(rate) counts of ``shape`` in ``rate``'s dtype (``rate`` broadcasts to it), outside the graph."""
    refuse_host_sampler(rate.backend, "Poisson.sample()")
    host_rate = np.broadcast_to(rate.detach().numpy().astype(np.float64), shape)
    return host_draw(rate, lambda rng: rng.poisson(host_rate).astype(np.float64))


def binomial_sample(total_count: Tensor, probs: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Binomial(total_count, probs) counts of ``shape`` in ``probs``' dtype, outside the graph."""
    refuse_host_sampler(probs.backend, "Binomial.sample()")
    count = np.broadcast_to(total_count.detach().numpy().astype(np.int64), shape)
    host_probs = np.broadcast_to(probs.detach().numpy().astype(np.float64), shape)
    return host_draw(probs, lambda rng: rng.binomial(count, host_probs).astype(np.float64))


def negative_binomial_sample(total_count: Tensor, probs: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Successes before ``total_count`` failures (success probability ``probs``), of ``shape``, outside the graph."""
    refuse_host_sampler(probs.backend, "NegativeBinomial.sample()")
    count = np.broadcast_to(total_count.detach().numpy().astype(np.float64), shape)
    failure = np.broadcast_to(1.0 - probs.detach().numpy().astype(np.float64), shape)
    return host_draw(probs, lambda rng: rng.negative_binomial(count, failure).astype(np.float64))


def multinomial_sample(total_count: int, probs: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Category counts of ``total_count`` draws from ``probs`` (..., K), of ``shape`` (ending in K), outside the
    graph."""
    refuse_host_sampler(probs.backend, "Multinomial.sample()")
    host_probs = probs.detach().numpy().astype(np.float64)
    host_probs = np.broadcast_to(host_probs / host_probs.sum(-1, keepdims=True), shape)
    return host_draw(probs, lambda rng: rng.multinomial(total_count, host_probs).astype(np.float64))


def von_mises_sample(loc: Tensor, concentration: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Von Mises angles in [-pi, pi) of ``shape`` (the parameters broadcast to it) in ``loc``'s dtype, outside the
    graph: NumPy's rejection sampler (Best and Fisher's, as PyTorch's), drawn in float64."""
    refuse_host_sampler(loc.backend, "VonMises.sample()")
    host_loc = np.broadcast_to(loc.detach().numpy().astype(np.float64), shape)
    kappa = np.broadcast_to(concentration.detach().numpy().astype(np.float64), shape)
    return host_draw(loc, lambda rng: (rng.vonmises(host_loc, kappa) + np.pi) % (2 * np.pi) - np.pi)


__all__ = ["binomial_sample", "host_draw", "multinomial_sample", "negative_binomial_sample", "open_uniform",
           "poisson_sample", "standard_gamma_sample", "von_mises_sample"]
