"""Bundled datasets: small ones that ship with a dependency, so nothing is downloaded."""

from __future__ import annotations

import numpy as np


def load_digits(images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (1797 samples, 10 classes), from scikit-learn's bundled copy.

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

    Raises
    ------
    ImportError
        scikit-learn is not installed (it is in the ``examples`` extra).
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError:
        raise ImportError(
            "anynn.data.load_digits reads scikit-learn's bundled copy of the digits, and scikit-learn is not "
            "installed: pip install 'anynn[examples]' (or pip install scikit-learn)"
        ) from None
    bunch = sklearn_load_digits()
    X = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    if images:
        X = X.reshape(-1, 1, 8, 8)
    return X, y
