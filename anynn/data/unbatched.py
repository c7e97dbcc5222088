"""`DataLoader(batch_size=None)`: PyTorch's loading without automatic batching.

Each item is one sample, ``dataset[i]`` for each index of the sampler (or each item of a stream), passed through
``collate_fn``; PyTorch's default there is `default_convert`, which makes NumPy arrays and scalars Tensors of their
own dtype and keeps everything else, so no batch axis is added. The Tensors of an item go to the loader's backend
where it has one.
"""

from __future__ import annotations

import operator
from typing import Any, Iterator

import numpy as np

from ..autograd import Tensor
from ..backend import Backend
from .collate import default_convert


def sample_indices(order: Iterator[int]) -> Iterator[np.ndarray]:
    """Each index of an epoch's ``order`` as a one-index batch, shape ``(1,)`` int64 (the loader's fetch unit)."""
    return (np.asarray([as_index(i)], dtype=np.int64) for i in order)


def index_batch(indices: Any) -> np.ndarray:
    """A batch of sample indices (a list, an integer array or Tensor) as a 1-D int64 array."""
    if isinstance(indices, np.ndarray) and indices.dtype.kind in "iub":
        return indices.astype(np.int64, copy=False).reshape(-1)
    return np.fromiter(map(as_index, indices), dtype=np.int64)


def as_index(i: Any) -> int:
    """One sample index as an int: a float (a sampler's bug) is refused, as PyTorch's ``dataset[i]`` of a list
    refuses it, where casting would read another sample silently (1.7 -> 1)."""
    try:
        return operator.index(i)
    except TypeError:
        raise TypeError(f"DataLoader: the sampler gave {i!r} ({type(i).__name__}) as a sample index; indices must "
                        "be integers") from None


def converted(sample: Any, collate_fn: Any, backend: Backend | None) -> Any:
    """One sample as the loader yields it: ``collate_fn(sample)`` (`default_convert` by default), its Tensors moved
    to ``backend`` (``None``: left where they are)."""
    item = default_convert(sample, backend=backend) if collate_fn is None else collate_fn(sample)
    return item if backend is None else _moved(item, backend)


def _moved(item: Any, backend: Backend) -> Any:
    if isinstance(item, Tensor):
        return item if item.backend == backend else item.to(backend)
    if isinstance(item, dict):
        return {key: _moved(value, backend) for key, value in item.items()}
    if isinstance(item, tuple) and hasattr(type(item), "_fields"):
        return type(item)(*(_moved(value, backend) for value in item))
    if isinstance(item, (list, tuple)):
        return type(item)(_moved(value, backend) for value in item)
    return item
