"""Datasets: anything with ``len(ds)`` and ``ds[i]``, plus the in-memory `TensorDataset` and `Subset`.

A dataset may also define ``get_batch(indices)`` returning a whole batch at once (a tuple with one
batched array per field); `DataLoader` then gathers each batch with one fancy index per array instead
of a per-sample Python loop.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, Iterable, Sequence, TypeVar

import numpy as np

from ..autograd import Tensor
from .collate import collate_host

class DatasetArgumentError(ValueError, AssertionError):
    """A dataset built from what cannot make one (no datasets, arrays of different lengths): PyTorch asserts it
    (AssertionError), and a ValueError."""


class DatasetKindError(TypeError, AssertionError):
    """ConcatDataset of a stream / ChainDataset of a map-style dataset: PyTorch asserts it (AssertionError), and a
    TypeError."""


class NoSampleAxisError(ValueError, IndexError):
    """A TensorDataset of no arrays or of a 0-d one: PyTorch's IndexError (its tensors[0].size(0)), and a
    ValueError."""


# PyTorch's dataset classes are generic in their sample type: typed programs subclass Dataset[Sample]
T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A sized, indexable collection of samples.

    Subclasses implement ``__len__`` and ``__getitem__(index) -> sample``, where a sample is a tuple
    of arrays or numbers (e.g. ``(image, label)``) or a single array. As PyTorch's, the base class has no
    ``__len__``: ``len()`` of a dataset that defines none is Python's TypeError, and ``hasattr(dataset,
    "__len__")`` tells a sized one.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])



class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A dataset that is a stream (``__iter__`` yields samples), as PyTorch's: a `DataLoader` batches the samples in
    the order they come (no sampler, no shuffle) and has a length only if the dataset defines ``__len__``."""

    def __iter__(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: "Dataset") -> "ChainDataset":  # type: ignore[override]
        return ChainDataset([self, other])


class ConcatDataset(Dataset[T_co]):
    """The samples of several datasets one after another (``cumulative_sizes`` holds the running totals)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise DatasetArgumentError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise DatasetKindError(f"ConcatDataset does not support IterableDataset ({type(d).__name__}); "
                                       "use ChainDataset")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if index < 0:
            if -index > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset index {index} is out of range for {n} samples")
        start = 0
        for d, end in zip(self.datasets, self.cumulative_sizes):
            if index < end:
                return d[index - start]
            start = end
        raise IndexError(index)  # unreachable: the range was checked above


class ChainDataset(IterableDataset):
    """Several streams (`IterableDataset`) read one after another."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Any:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise DatasetKindError(f"ChainDataset only supports IterableDataset, got {type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise DatasetKindError(f"ChainDataset only supports IterableDataset, got {type(d).__name__}")
            total += len(d)
        return total


class StackDataset(Dataset[T_co]):
    """Samples of several datasets of one length side by side: ``StackDataset(a, b)[i] == (a[i], b[i])``, or with
    keywords a dict, ``StackDataset(image=a, label=b)[i] == {"image": a[i], "label": b[i]}``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like input/"
                             "output, but both types are given.")
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self.datasets: Any = args if args else kwargs
        self._length = len(parts[0])
        for d in parts[1:]:
            if len(d) != self._length:
                raise ValueError(f"Size mismatch between datasets: {self._length} and {len(d)}")

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)


class WorkerInfo:
    """What `get_worker_info` gives inside a `DataLoader` worker (PyTorch's): ``id`` (0 to ``num_workers - 1``),
    ``num_workers``, ``seed`` (a base drawn per epoch plus ``id``) and ``dataset``: the worker's own shallow copy
    of an `IterableDataset` (so ``worker_init_fn`` can narrow it, as PyTorch's per-process copy), or the loader's
    map-style dataset itself (threads share it). Read-only, as PyTorch's."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:  # noqa: A002 - PyTorch's name
        for name, value in (("id", id), ("num_workers", num_workers), ("seed", seed), ("dataset", dataset)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_worker = threading.local()  # .info: the WorkerInfo of a DataLoader worker thread


def get_worker_info() -> WorkerInfo | None:
    """PyTorch's ``get_worker_info``: the `WorkerInfo` of the `DataLoader` worker thread calling it, ``None`` outside
    one (the main thread, ``num_workers=0``). An `IterableDataset` read by ``n`` workers is iterated once per
    worker, each over its own copy, as in PyTorch: a stream that does not split itself by ``id`` comes ``n`` times."""
    return getattr(_worker, "info", None)


def set_worker_info(info: WorkerInfo | None) -> None:
    """Make ``info`` what `get_worker_info` gives in this thread (the loader's workers call it when they start)."""
    _worker.info = info

class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are rows of equally long arrays: ``ds[i] == (arrays[0][i], arrays[1][i], ...)``.

    Parameters
    ----------
    *arrays : numpy.ndarray or Tensor
        Each of shape ``(N, ...)`` with the same ``N``. NumPy arrays stay on the host until a
        `DataLoader` moves each batch to its backend; anynn Tensors stay on their backend.

    Notes
    -----
    Indexing with an integer returns one sample; with a slice or an integer array (NumPy array or
    list), a batch: a tuple with one array per input array.

    Examples
    --------
    >>> ds = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
    >>> [a.shape for a in ds[np.array([0, 4, 7])]]
    [(3, 3), (3,)]
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise NoSampleAxisError("TensorDataset needs at least one array")
        converted = []
        for k, a in enumerate(arrays):
            if not isinstance(a, Tensor):
                a = np.asarray(a)
            if a.ndim == 0:
                raise NoSampleAxisError(f"TensorDataset: array {k} is 0-d; every array needs a first (sample) axis")
            converted.append(a)
        sizes = [int(a.shape[0]) for a in converted]
        if len(set(sizes)) != 1:
            raise DatasetArgumentError(f"TensorDataset: all arrays need the same first dimension, got sizes {sizes}")
        self.arrays: tuple[Any, ...] = tuple(converted)

    @property
    def tensors(self) -> tuple[Any, ...]:
        """The arrays, under PyTorch's name (``TensorDataset.tensors``)."""
        return self.arrays

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        if isinstance(index, (int, np.integer)):
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"TensorDataset index {index} is out of range for {n} samples")
            return tuple(_row(a, int(index)) for a in self.arrays)
        if isinstance(index, slice):
            index = np.arange(len(self))[index]
        return self.get_batch(index)

    def get_batch(self, indices: Any) -> tuple[Any, ...]:
        """A batch: one fancy index per array. ``indices`` is a 1-D integer array or list."""
        indices = np.asarray(indices, dtype=np.int64)
        if indices.ndim != 1:
            raise ValueError(f"TensorDataset: a batch index must be 1-D, got shape {indices.shape}")
        on_device: dict[Any, Any] = {}  # one index transfer per backend
        out = []
        for a in self.arrays:
            if isinstance(a, Tensor):
                be = a.backend
                if be not in on_device:
                    on_device[be] = be.from_host(indices)
                out.append(Tensor._make(be.xp.take(a.array, on_device[be], axis=0), be, None, 0))
            else:
                out.append(np.take(a, indices, axis=0))
        return tuple(out)


def _row(a: Any, i: int) -> Any:
    if isinstance(a, Tensor):
        return Tensor._make(a.array[i, ...], a.backend, None, 0)
    return a[i]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices`` (in that order), e.g. one part of `random_split`."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            return self.dataset[int(self.indices[index])]
        positions = np.arange(len(self))[index] if isinstance(index, slice) else index
        return self.get_batch(positions)

    def get_batch(self, indices: Any) -> tuple[Any, ...]:
        """The batch at positions ``indices`` of this subset (one gather when the dataset supports it)."""
        mapped = self.indices.take(np.asarray(indices, dtype=np.int64))
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(mapped)
        if callable(getattr(self.dataset, "__getitems__", None)):  # PyTorch's batched fetch, as its Subset forwards
            return collate_host(list(self.dataset.__getitems__(mapped.tolist())))
        return collate_host([self.dataset[int(i)] for i in mapped])

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The samples at positions ``indices``, fetched through the dataset's own ``__getitems__`` where it has one
        (PyTorch's batched fetch, which its Subset forwards)."""
        mapped = self.indices.take(np.asarray(indices, dtype=np.int64)).tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        return list(getitems(mapped)) if callable(getitems) else [self.dataset[i] for i in mapped]


def gathers_batches(dataset: Any) -> bool:
    """Whether ``dataset.get_batch`` gathers whole batches itself (a `TensorDataset` or a dataset of the program's
    defining it, or a `Subset` of one), so `DataLoader` skips collating sample by sample. A Subset of any other
    dataset is collated as its samples are, keeping their structure (a dict, a namedtuple, a single Tensor)."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return hasattr(dataset, "get_batch")
