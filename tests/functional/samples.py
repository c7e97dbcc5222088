"""Inputs and tolerances the functional family test files share (test_elementwise, test_reduce, test_linalg,
test_shape, test_indexing)."""

from __future__ import annotations

import numpy as np

DTYPES = ["float32", "float64"]


def tolerances(dtype: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-5, "atol": 1e-7}


def away_from(x: np.ndarray, *kinks: float, gap: float = 0.05) -> np.ndarray:
    """Move values off the kinks of a piecewise op, so finite differences see one piece."""
    for k in kinks:
        x = np.where(np.abs(x - k) < gap, k + np.copysign(gap, x - k) * 2.0, x)
    return x


def sample(domain: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return away_from(x, 0.0)
    if domain == "clip":
        return away_from(x, -0.5, 0.5)
    return x
