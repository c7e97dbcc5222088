"""`DataLoader(batch_size=None)`: PyTorch's loading without automatic batching.

Each item is one sample, ``dataset[i]`` for each index of the sampler (or each item of a stream), passed through
``collate_fn``; PyTorch's default there is `default_convert`, which makes NumPy arrays and scalars Tensors of their
own dtype and keeps everything else, so no batch axis is added. The Tensors of an item go to the loader's backend
where it has one.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..autograd import Tensor
from ..backend import Backend
from .collate import default_convert


def sample_indices(order: Iterator[int]) -> Iterator[np.ndarray]:
    """Each index of an epoch's ``order`` as a one-index batch, shape ``(1,)`` int64 (the loader's fetch unit)."""
    return (np.asarray([int(i)], dtype=np.int64) for i in order)


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
