"""Bundled datasets: small ones that ship inside the package, so nothing is downloaded or installed."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np


def load_digits(images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (1797 samples, 10 classes): scikit-learn's copy of the UCI test set, bundled with
    anynn (``anynn/data/digits.csv.gz``; its origin and license in ``digits.LICENSE.txt``), so a core install reads
    it without scikit-learn. The same values as ``sklearn.datasets.load_digits()``.

    Parameters
    ----------
    images : bool
        Return ``X`` as ``(n, 1, 8, 8)`` images (for convolutional models) instead of ``(n, 64)`` rows.

    Returns
    -------
    X : numpy.ndarray, float32, shape ``(1797, 64)`` or ``(1797, 1, 8, 8)``
        Pixel intensities 0..16 (not standardised; see `standardize`).
    y : numpy.ndarray, int64, shape ``(1797,)``
        The digit, 0..9.
    """
    with resources.files(__package__).joinpath("digits.csv.gz").open("rb") as packed, gzip.open(packed) as text:
        rows = np.loadtxt(text, delimiter=",", dtype=np.float32)  # 64 pixels, then the digit
    X = np.ascontiguousarray(rows[:, :-1])
    y = rows[:, -1].astype(np.int64)
    if images:
        X = X.reshape(-1, 1, 8, 8)
    return X, y
