"""`random_split`: a dataset cut at random into non-overlapping `Subset` parts."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .dataset import Subset
from .samplers import host_rng


def random_split(dataset: Any, lengths: Sequence[int | float], generator: Any = None,
                 seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` at random into disjoint subsets of the given sizes.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len`` and integer indexing.
    lengths : sequence of int or float
        The sizes of the parts, summing to ``len(dataset)``; or fractions summing to 1, turned into
        sizes by flooring, with the samples left over given one each to the first parts (as PyTorch does).
    generator : int or numpy.random.Generator, optional
        PyTorch's argument: the generator (or seed) that draws the permutation.
    seed : int, optional
        Seed of the NumPy ``Generator`` that draws the permutation: the same seed, the same split.
        Without ``generator`` or ``seed`` the permutation comes from the generator `anynn.manual_seed` seeds.

    Returns
    -------
    list of Subset
        ``len(lengths)`` subsets that together hold every sample exactly once.

    Examples
    --------
    >>> from anynn.data import TensorDataset
    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    n = len(dataset)
    sizes = _sizes(list(lengths), n)
    if generator is not None and seed is not None:
        raise ValueError("random_split: give generator or seed, not both")
    order = host_rng(generator if seed is None else seed).permutation(n)
    parts, start = [], 0
    for size in sizes:
        parts.append(Subset(dataset, order[start:start + size]))
        start += size
    return parts


def _sizes(lengths: list[int | float], n: int) -> list[int]:
    if not lengths:
        raise ValueError("random_split needs at least one length")
    if any(v < 0 for v in lengths):
        raise ValueError(f"random_split lengths must not be negative, got {lengths}")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths):
        if sum(lengths) != n:
            raise ValueError(f"random_split lengths {lengths} sum to {sum(lengths)}, but the dataset has {n} samples")
        return [int(v) for v in lengths]
    if not math.isclose(sum(lengths), 1.0, abs_tol=1e-6):
        raise ValueError(f"random_split fractions {lengths} sum to {sum(lengths)}, not 1 "
                         "(give either sample counts summing to len(dataset) or fractions summing to 1)")
    sizes = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes
