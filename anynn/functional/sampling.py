"""``multinomial``: draw category indices from rows of non-negative weights with the backend's generator.

Without ``generator`` a device generator is seeded from anynn's host generator, so `anynn.manual_seed` makes
draws reproducible (the values differ from PyTorch's, whose generator anynn does not share); inside a compiled step
the step's own generator draws (`dropout.draw_generator`).
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor, make_tensor
from ..backend import DeviceRNG
from ..backend.arrays import check
from ..backend.typing import Namespace
from .dropout import draw_generator
from .value_checks import python_ints


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002 - PyTorch's name
                generator: Any = None) -> Tensor:
    """int64 indices drawn from each row of ``input`` (C,) or (N, C) with probability proportional to its weights.

    With ``replacement`` every draw is independent (inverse CDF); without it a category is drawn at most once
    (exponential race: the ``num_samples`` smallest ``E / w`` with ``E ~ Exp(1)``, the same law as drawing one by one
    and removing each drawn category). Output (num_samples,) or (N, num_samples).
    """
    num_samples = python_ints(num_samples)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: expected a 1-D or 2-D tensor of weights, got shape {input.shape}")
    xp, be = input.backend.xp, input.backend
    if not xp.isdtype(input.array.dtype, "real floating"):
        raise RuntimeError(f"multinomial: weights must be floating point, got {input.dtype}")
    weights = input.array if input.ndim == 2 else input.array[None, :]
    rows, classes = weights.shape
    check(be, xp.any(weights < 0) | xp.any(~xp.isfinite(weights)) | xp.any(xp.sum(weights, axis=-1) <= 0),
          "multinomial: each row of weights must be finite, non-negative and have a positive sum", error=RuntimeError)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples}")
    if not replacement:
        positive = xp.sum(xp.astype(weights > 0, xp.int64), axis=-1)
        check(be, positive < num_samples, f"multinomial: cannot draw {num_samples} samples without replacement from "
              "a row with {value} categories of positive weight", values=positive, error=RuntimeError)
    rng = draw_generator(be, generator)
    if replacement:
        cdf = xp.cumulative_sum(weights, axis=-1)
        u = _uniform(xp, rng, weights, num_samples) * cdf[:, -1:]
        # the category is the number of cumulative sums at or below u (ties: zero-weight categories never win)
        picked = xp.sum(xp.astype(cdf[:, None, :] <= u[:, :, None], xp.int64), axis=-1)
        picked = xp.clip(picked, 0, classes - 1)
    else:
        u = _uniform(xp, rng, weights, classes)
        positive = weights > 0
        # Exp(1) / w; zero weights get +inf and come last
        keys = xp.where(positive, -xp.log1p(-u) / xp.where(positive, weights, xp.ones_like(weights)),
                        xp.full_like(weights, float("inf")))
        picked = xp.argsort(keys, axis=-1, stable=True)[:, :num_samples]
    picked = xp.astype(picked, xp.int64)
    return make_tensor(picked if input.ndim == 2 else picked[0, :], be, None, 0)


def _uniform(xp: Namespace, rng: DeviceRNG, weights: Any, columns: int) -> Any:
    """Uniform draws (rows, columns) for weights (rows, C): drawn like the weights where their row count is a
    symbolic axis (an ONNX export with dynamic_axes: a random node of that shape), else of the shape itself."""
    rows = weights.shape[0]
    if rows is not None:
        return rng.uniform((rows, columns), weights.dtype)
    like = weights if columns == weights.shape[1] else xp.broadcast_to(weights[:, :1], (rows, columns))
    return rng.uniform_like(like, weights.dtype)
