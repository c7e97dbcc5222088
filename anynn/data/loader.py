"""`DataLoader`: batches of a dataset as anynn Tensors on one backend, shuffled reproducibly."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..autograd import Tensor
from ..backend import Backend, default_backend, dtype_name, get_backend
from .collate import default_collate
from .prefetch import CupyPrefetcher


class DataLoader:
    """Iterate over a dataset in batches of Tensors on ``backend``.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len`` and ``dataset[i]``; a `TensorDataset` (or a `Subset` of one) is gathered
        with one fancy index per array and batch, without a per-sample Python loop.
    batch_size : int
        Samples per batch; the last batch is smaller unless ``drop_last``.
    shuffle : bool
        Visit the samples in a new random order each epoch.
    seed : int, optional
        Seed of the shuffling: epoch ``e`` uses ``numpy.random.default_rng((seed, e))``, so the order of
        every epoch is reproducible (and `set_epoch` can resume mid-run). Without a seed one is drawn at
        random when the loader is made.
    drop_last : bool
        Skip the last batch if it is smaller than ``batch_size``.
    backend : str or Backend, optional
        Where the batches go (``"numpy"``, ``"torch"``, ``"cupy"``...). By default host data goes to the
        default backend and Tensor data stays on its own backend.
    collate_fn : callable, optional
        Turns a list of samples into a batch (a tuple of arrays); default `default_collate`. When given,
        samples are always fetched one by one.
    dtype : str, optional
        The floating-point dtype of float batches. By default host (NumPy) floats become float32, as
        in PyTorch, and Tensors keep the float dtype they were made with.

    Notes
    -----
    Each batch is a tuple of Tensors, one per field (``for x, y in loader``; ``for (x,) in loader`` for a
    single array). Integer fields become int64 (class labels); booleans stay boolean. On CuPy the next
    batch is copied to the GPU on a side stream while the current one computes.

    Examples
    --------
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0, backend="torch")
    >>> for x, y in loader:
    ...     loss = loss_fn(model(x), y)
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, seed: int | None = None,
                 drop_last: bool = False, backend: Any = None,
                 collate_fn: Callable[[list[Any]], Sequence[Any]] | None = None, dtype: Any = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if dtype is not None and not dtype_name(dtype).startswith(("float", "bfloat")):
            raise ValueError(f"DataLoader: dtype is the dtype of float batches, so a float dtype, "
                             f"not {dtype_name(dtype)!r}")
        self._prefetcher: CupyPrefetcher | None = None
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed)
        self.drop_last = bool(drop_last)
        self.backend = backend
        self.collate_fn = collate_fn
        self.dtype: str | None = None if dtype is None else dtype_name(dtype)
        self.epoch = 0

    @property
    def backend(self) -> Backend | None:
        """Where batches go (``None``: host data to the default backend, Tensors stay where they are).

        Assignable, e.g. by a training loop sending batches to its model's backend.
        """
        return self._backend

    @backend.setter
    def backend(self, backend: Any) -> None:
        self._backend = None if backend is None else get_backend(backend)
        self._prefetcher = None

    # -- size and order ---------------------------------------------------------------------------
    def __len__(self) -> int:
        """The number of batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the order of epoch ``epoch`` (the counter then goes on from there)."""
        self.epoch = int(epoch)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices visited in epoch ``epoch``, shape ``(len(dataset),)`` int64."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        return np.random.default_rng((self.seed, int(epoch))).permutation(n).astype(np.int64)

    # -- iteration --------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        order = self.order(self.epoch)
        self.epoch += 1
        stop = len(self) * self.batch_size
        batches = (self._fetch(order[i:i + self.batch_size]) for i in range(0, min(stop, len(order)),
                                                                              self.batch_size))
        target = self.backend if self.backend is not None else default_backend()
        if target.name == "cupy":
            if self._prefetcher is None:
                self._prefetcher = CupyPrefetcher(target)
            for fields in self._prefetcher.iterate(batches):
                yield tuple(self._to_tensor(f) for f in fields)
            return
        for fields in batches:
            yield tuple(self._to_tensor(f) for f in fields)

    def _fetch(self, indices: np.ndarray) -> tuple[Any, ...]:
        """One batch as host arrays (dtype already fixed) and/or Tensors."""
        if self.collate_fn is not None:
            fields = self.collate_fn([self.dataset[int(i)] for i in indices])
        elif hasattr(self.dataset, "get_batch"):
            fields = self.dataset.get_batch(indices)
        else:
            fields = default_collate([self.dataset[int(i)] for i in indices])
        if not isinstance(fields, (tuple, list)):
            fields = (fields,)
        return tuple(self._host_dtype(f) for f in fields)

    def _host_dtype(self, field: Any) -> Any:
        # cast on the host, before the copy: smaller transfers, and pinned staging on CuPy needs the final dtype
        if isinstance(field, Tensor) or _is_native_array(field):
            return field
        field = np.asarray(field)
        wanted = self._wanted(field.dtype.kind, field.dtype.name, host=True)
        return field if wanted == field.dtype.name else field.astype(wanted)

    def _wanted(self, kind: str, name: str, host: bool) -> str:
        if kind == "f" or name == "bfloat16":
            return self.dtype or ("float32" if host else name)
        if kind in "iu":
            return "int64"
        return name

    def _to_tensor(self, field: Any) -> Tensor:
        if isinstance(field, Tensor):
            t = field if self.backend is None or field.backend == self.backend else field.to(self.backend)
        elif _is_native_array(field):
            t = Tensor(field, dtype=dtype_name(field.dtype))
            if self.backend is not None and t.backend != self.backend:
                t = t.to(self.backend)
        else:
            be = self.backend if self.backend is not None else default_backend()
            return Tensor._make(be.from_host(field), be, None, 0)
        name = dtype_name(t.dtype)
        kind = "f" if name.startswith(("float", "bfloat")) else ("i" if name.startswith(("int", "uint")) else "")
        wanted = self._wanted(kind, name, host=False)
        return t if wanted == name else Tensor._make(t.backend.xp.astype(t.data, t.backend.dtype(wanted)),
                                                     t.backend, None, 0)

    def __repr__(self) -> str:
        where = self.backend.key if self.backend is not None else "default"
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, backend={where!r})")


def _is_native_array(x: Any) -> bool:
    """A non-NumPy array of some backend (torch, CuPy, array_api_strict) that a custom dataset returned."""
    return not isinstance(x, (np.ndarray, np.generic)) and hasattr(x, "__dlpack__") and hasattr(x, "dtype")
