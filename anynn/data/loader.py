"""`DataLoader`: batches of a dataset as anynn Tensors on one backend, shuffled reproducibly."""

from __future__ import annotations

import copy
import itertools
import multiprocessing
import queue
import threading
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import Any, Callable, Generic, Iterable, Iterator, Sequence

import numpy as np

from ..autograd import Tensor
from ..autograd.tensor import tensor
from ..backend import Backend, backend_of, default_backend, dtype_name, get_backend
from ..backend.default_dtype import default_float
from ..backend.registry import set_thread_default_backend, thread_default_backend
from ..backend.torch_names import cuda_available
from .collate import added_collate_types, collate_host, default_collate, holds_type, is_string_field
from .dataset import IterableDataset, T_co, WorkerInfo, gathers_batches, set_worker_info
from . import collated, loader_state, unbatched
from .samplers import host_rng


class _NotACountError(TypeError, ValueError):
    """num_workers=1.5: PyTorch's range(num_workers) raises TypeError ('float' object cannot be interpreted as an
    integer); a ValueError as a negative count's."""


class _PrefetchFactorError(ValueError, AssertionError):
    """prefetch_factor=0 with workers: PyTorch's assertion (when iterated), a ValueError as the other options'."""


class _TimeoutWithoutWorkersError(ValueError, AssertionError):
    """timeout > 0 with num_workers=0: PyTorch's assertion when iterated ('_SingleProcessDataLoaderIter requires
    timeout == 0'), a ValueError as the other options'."""


class DataLoader(Generic[T_co]):
    """Iterate over a dataset in batches of Tensors on ``backend``.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len`` and ``dataset[i]``; a `TensorDataset` (or a `Subset` of one) is gathered
        with one fancy index per array and batch, without a per-sample Python loop.
    batch_size : int or None
        Samples per batch; the last batch is smaller unless ``drop_last``. ``None``: no batching, as PyTorch's
        (each sample through ``collate_fn``, by default `default_convert`: NumPy arrays become Tensors of their
        dtype, nothing gains a batch axis; see `anynn.data.unbatched`).
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
        Turns a list of samples into a batch; by default anynn's host step (`anynn.data.collate.collate_host`:
        fields stacked as NumPy arrays, then cast and moved). When given, samples are always fetched one by one
        and the batch keeps the structure it returned, as PyTorch's (lists, dicts, numbers and strings as they
        are), its arrays and Tensors made Tensors on the loader's backend and dtype.
    dtype : str, optional
        The floating-point dtype of float batches. By default host floats (NumPy arrays and scalars, Python
        floats) become the default dtype (float32 unless `anynn.set_default_dtype` changed it: the dtype new
        layers have; PyTorch's own collate keeps NumPy's float64: see docs/differences.md), and Tensors keep
        the float dtype they were made with.
    sampler : iterable of int, optional
        The sample indices of one epoch (e.g. a `RandomSampler`, `SubsetRandomSampler` or
        ``DistributedSampler``); excludes ``shuffle``.
    batch_sampler : iterable of lists of int, optional
        The index lists of the batches of one epoch (e.g. a `BatchSampler`); excludes ``batch_size``,
        ``shuffle``, ``sampler`` and ``drop_last``.
    num_workers : int
        With ``num_workers > 0`` batches are fetched by that many threads, up to ``prefetch_factor``
        batches each ahead, in order (``worker_init_fn(worker_id)`` runs once in each thread). Threads, not
        processes: datasets that decode files release the GIL in NumPy/PIL; nothing is pickled.
    generator : int or numpy.random.Generator, optional
        The source of the shuffling (PyTorch's ``generator=``): a seed, or a generator drawn from every epoch.
    pin_memory, timeout, multiprocessing_context, persistent_workers, pin_memory_device, in_order :
        Accepted for PyTorch's signature. Pinning is the backend's business (the CuPy path always stages
        batches through pinned memory); batches always come in order. ``timeout`` bounds the wait for a worker's
        batch, so it needs ``num_workers > 0`` (iterating refuses it otherwise, as PyTorch).

    Notes
    -----
    Each batch is a tuple of Tensors, one per field (``for x, y in loader``; ``for (x,) in loader`` for a
    `TensorDataset` of one array). As in PyTorch, a dataset whose samples are single arrays gives single
    Tensors, and one whose samples are dicts gives dicts. Integer host fields become int64 (class labels),
    integer Tensors keep their dtype (uint8 images stay uint8, as in PyTorch); booleans stay boolean. On CuPy
    the next batch is copied to the GPU on a side stream while the current one computes.

    Examples
    --------
    >>> from anynn.data import TensorDataset
    >>> X, y = np.zeros((100, 4), np.float32), np.arange(100) % 3
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0, backend="numpy")
    >>> [tuple(x.shape) for x, target in loader]
    [(32, 4), (32, 4), (32, 4), (4, 4)]
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[int] | None = None, batch_sampler: Iterable[Sequence[int]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None, multiprocessing_context: Any = None,
                 generator: Any = None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True, seed: int | None = None,
                 backend: Any = None, dtype: Any = None) -> None:
        self._auto_collation = batch_size is not None or batch_sampler is not None  # PyTorch's name
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if isinstance(dataset, IterableDataset):
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler "
                                 "options (a stream is read in its own order)")
        if not self._auto_collation and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise _NotACountError(f"DataLoader: num_workers option should be a non-negative integer, got "
                                  f"{num_workers!r}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, got {num_workers!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in multiprocessing. "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and num_workers and prefetch_factor < 1:
            raise _PrefetchFactorError(f"DataLoader: prefetch_factor must be greater than 0 with workers, got "
                                       f"{prefetch_factor!r}")
        self.multiprocessing_context = _start_context(multiprocessing_context, int(num_workers))
        if dtype is not None and not dtype_name(dtype).startswith(("float", "bfloat")):
            raise ValueError(f"DataLoader: dtype is the dtype of float batches, so a float dtype, "
                             f"not {dtype_name(dtype)!r}")
        self._prefetcher: Any = None  # the target backend's (`Backend.prefetcher`), made at first iteration
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self.worker_init_fn = worker_init_fn
        self.pin_memory = bool(pin_memory)
        self.timeout = timeout
        self.generator = generator
        self._rng = generator if isinstance(generator, np.random.Generator) else None
        if seed is None and generator is not None and self._rng is None:
            seed = int(host_rng(generator).integers(2**63))
        # without a seed, the first shuffled epoch draws one from anynn's default generator (as PyTorch draws from
        # its own), so anynn.manual_seed makes the order reproducible
        self.seed: int | None = None if seed is None else int(seed)
        self.drop_last = bool(drop_last)
        self.backend = backend
        self.collate_fn = collate_fn
        self.dtype: str | None = None if dtype is None else dtype_name(dtype)
        self.epoch = 0
        self._epoch_state: dict[str, Any] | None = None  # while an epoch is read: its state when it began
        self._skip = 0  # batches of the next epoch a restored state has handed out already
        self._initialized = True

    _FIXED = frozenset(("dataset", "batch_size", "sampler", "batch_sampler", "drop_last"))

    def __setattr__(self, name: str, value: Any) -> None:
        """PyTorch's rule: what decides the batches (``dataset``, ``batch_size``, ``sampler``, ``batch_sampler``,
        ``drop_last``) is fixed once the loader is made (ValueError); make a new DataLoader instead."""
        if name in DataLoader._FIXED and self.__dict__.get("_initialized", False):
            raise ValueError(f"{name} attribute should not be set after DataLoader is initialized")
        object.__setattr__(self, name, value)

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
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        if isinstance(self.dataset, IterableDataset) and not hasattr(self.dataset, "__len__"):
            raise TypeError(f"DataLoader: {type(self.dataset).__name__} is a stream without __len__, so the loader has "
                            "no length (as PyTorch)")
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)  # type: ignore[arg-type]
        if not self._auto_collation:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the order of epoch ``epoch`` (the counter then goes on from there)."""
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, Any]:
        """Where the loader stands, as JSON-able data: the epoch, the seed, the generators' states and, during an
        epoch, the batches of it handed out (the names of torchdata's ``StatefulDataLoader``).

        `anynn.io.save_checkpoint` stores it (``loader=``), so a resumed run reads the same batches in the same
        order as one that never stopped. See `anynn.data.loader_state` for what it holds.
        """
        if self._epoch_state is not None:
            return dict(self._epoch_state, batches=self._yielded)
        return loader_state.capture(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a `state_dict` (of a loader made with the same dataset and options)."""
        loader_state.restore(self, state)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices visited in epoch ``epoch``, shape ``(len(dataset),)`` int64."""
        if self.sampler is not None:
            return np.asarray(list(self.sampler), dtype=np.int64).reshape(-1)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        if self._rng is not None:
            return self._rng.permutation(n).astype(np.int64)
        if self.seed is None:
            self.seed = int(host_rng(None).integers(2**63))
        return np.random.default_rng((self.seed, int(epoch))).permutation(n).astype(np.int64)

    def _stream_batches(self) -> Iterator[tuple[Any, ...]]:
        """An `IterableDataset`'s samples in batches, in the order it yields them: read in this thread, or, with
        ``num_workers``, by each worker thread over its own copy, the workers' batches taken in turn (PyTorch's)."""
        return self._worker_streams() if self.num_workers else self._batches_of(self.dataset)

    def _worker_streams(self) -> Iterator[tuple[Any, ...]]:
        workers = self.num_workers
        base_seed = int(host_rng(None).integers(2**62))
        stop = threading.Event()
        queues: list[queue.Queue] = [queue.Queue(maxsize=self.prefetch_factor or 2) for _ in range(workers)]
        device = thread_default_backend()  # set_default_device's, as a forked worker process inherits it

        def work(worker: int) -> None:
            set_thread_default_backend(device)
            dataset = copy.copy(self.dataset)  # PyTorch's worker processes each hold a copy to narrow
            set_worker_info(WorkerInfo(worker, workers, base_seed + worker, dataset))
            try:
                if self.worker_init_fn is not None:
                    self.worker_init_fn(worker)
                for batch in self._batches_of(dataset):
                    if not _put(queues[worker], ("batch", batch), stop):
                        return
                _put(queues[worker], ("end", None), stop)
            except Exception as error:  # noqa: BLE001 - re-raised in the consumer's thread
                _put(queues[worker], ("error", _worker_error(error, worker, None)), stop)
            except BaseException as error:  # SystemExit, KeyboardInterrupt: the consumer waited forever for it
                _put(queues[worker], ("error", _worker_exit(error, worker)), stop)

        for worker in range(workers):
            threading.Thread(target=work, args=(worker,), daemon=True, name=f"anynn-loader-{worker}").start()
        try:
            active = list(range(workers))
            while active:
                for worker in list(active):  # in turn, skipping the workers whose stream has ended
                    try:
                        kind, value = queues[worker].get(timeout=self.timeout or None)
                    except queue.Empty:
                        raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None
                    if kind == "batch":
                        yield value
                    elif kind == "end":
                        active.remove(worker)
                    else:
                        raise value
        finally:
            stop.set()  # a consumer that stops early releases the workers

    def _batches_of(self, dataset: Any) -> Iterator[tuple[Any, ...]]:
        samples = iter(dataset)
        if not self._auto_collation:
            yield from (unbatched.converted(sample, self.collate_fn, self.backend) for sample in samples)
            return
        while True:
            chunk = list(itertools.islice(samples, self.batch_size))
            if not chunk or (self.drop_last and len(chunk) < self.batch_size):
                return
            yield self._collate(chunk)

    def _index_batches(self) -> Iterator[np.ndarray]:
        """The sample indices of each batch of the next epoch (the order is drawn now, not when first read)."""
        if self.batch_sampler is not None:
            return (unbatched.index_batch(indices) for indices in self.batch_sampler)
        if not self._auto_collation:
            return unbatched.sample_indices(iter(self.sampler) if self.sampler is not None else self.order(self.epoch))
        if self.sampler is not None:  # read as the batches are (an endless sampler, as PyTorch allows)
            return self._sampler_batches(iter(self.sampler))
        order = self.order(self.epoch)
        stop = min(len(self) * self.batch_size, len(order))
        return (order[i:i + self.batch_size] for i in range(0, stop, self.batch_size))

    def _sampler_batches(self, indices: Iterator[int]) -> Iterator[np.ndarray]:
        size = self.batch_size
        while True:
            batch = np.fromiter(map(unbatched.as_index, itertools.islice(indices, size)), dtype=np.int64)
            if len(batch) == 0 or (self.drop_last and len(batch) < size):
                return
            yield batch

    def _host_batches(self, indices: Iterator[np.ndarray]) -> Iterator[tuple[Any, ...]]:
        """Fetched batches, in order: in this thread, or by ``num_workers`` threads ahead of the consumer."""
        if self.num_workers == 0:
            for idx in indices:
                yield self._fetch(idx)
            return
        yield from self._threaded(indices)

    def _threaded(self, indices: Iterator[np.ndarray]) -> Iterator[tuple[Any, ...]]:
        counter = itertools.count()
        local = threading.local()
        base_seed = int(host_rng(None).integers(2**62))
        device = thread_default_backend()  # set_default_device's, as a forked worker process inherits it

        def start() -> None:
            set_thread_default_backend(device)
            local.id, local.init_error = next(counter), None
            set_worker_info(WorkerInfo(local.id, self.num_workers, base_seed + local.id, self.dataset))
            if self.worker_init_fn is not None:
                try:
                    self.worker_init_fn(local.id)
                except BaseException as error:  # noqa: BLE001 - kept for fetch: a raising initializer breaks the pool
                    local.init_error = error

        def fetch(indices: np.ndarray) -> tuple[Any, ...]:
            if local.init_error is not None:
                error = local.init_error
                if not isinstance(error, Exception):  # SystemExit, KeyboardInterrupt
                    raise _worker_exit(error, local.id) from error
                raise _worker_error(error, local.id, None, "running worker_init_fn") from error
            try:
                return self._fetch(indices)
            except Exception as error:
                raise _worker_error(error, local.id, indices) from error
            except BaseException as error:  # SystemExit, KeyboardInterrupt: as a worker process's exit
                raise _worker_exit(error, local.id) from error

        ahead = self.num_workers * (self.prefetch_factor or 2)
        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="anynn-loader", initializer=start)
        try:
            pending = [pool.submit(fetch, idx) for idx in itertools.islice(indices, ahead)]
            while pending:
                try:
                    batch = pending.pop(0).result(timeout=self.timeout or None)
                except FuturesTimeout:
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None
                nxt = next(indices, None)
                if nxt is not None:
                    pending.append(pool.submit(fetch, nxt))
                yield batch
        finally:
            # (a timeout, an error or a consumer that stops early: the batches asked for ahead are dropped, not
            # waited for; a fetch already running ends on its own)
            pool.shutdown(wait=False, cancel_futures=True)

    # -- iteration --------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        if self.timeout and not self.num_workers:  # (when iterated, as PyTorch: building the loader passes)
            raise _TimeoutWithoutWorkersError(f"DataLoader: timeout={self.timeout!r} needs num_workers > 0 (the "
                                              "main process fetching alone has no worker to wait for), as PyTorch's "
                                              "single-process loader requires timeout == 0")
        self._shape: Any = None
        start = loader_state.capture(self)
        skip, self._skip = self._skip, 0
        if isinstance(self.dataset, IterableDataset):
            batches = itertools.islice(self._stream_batches(), skip, None)
        else:
            batches = self._host_batches(itertools.islice(self._index_batches(), skip, None))
        start["seed"] = self.seed  # drawn by the first shuffled epoch
        self._epoch_state, self._yielded = start, skip
        self.epoch += 1
        target = self.backend if self.backend is not None else default_backend()
        if self.pin_memory and not cuda_available(target):  # PyTorch's warning, word for word
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=2)
        if not self._auto_collation:  # samples as collate_fn (default_convert) gives them
            for sample in batches:
                self._yielded += 1
                yield sample
            self._epoch_state = None
            return
        if self._prefetcher is None:
            self._prefetcher = target.prefetcher() or False  # False: this backend needs none
        if self._prefetcher:
            batches = self._prefetcher.iterate(batches)
        for fields in batches:
            if fields and isinstance(fields[0], collated.Layout):
                batch = collated.rebuilt(fields[0], [self._to_tensor(f) for f in fields[1:]])
            else:
                batch = self._shaped(tuple(self._to_tensor(f) for f in fields))
            self._yielded += 1
            yield batch
        self._epoch_state = None

    def _shaped(self, tensors: tuple[Tensor, ...]) -> Any:
        """The batch in the samples' structure: a tuple, a single Tensor (single-array samples) or a dict."""
        shape = self._shape
        if shape is None:
            return tensors
        if shape == "single":
            return tensors[0]
        if isinstance(shape, type):  # a namedtuple class: batches keep the samples' field names, as PyTorch's
            return shape(*tensors)
        return dict(zip(shape, tensors))

    def _fetch(self, indices: np.ndarray) -> tuple[Any, ...]:
        """One batch as host arrays (dtype already fixed) and/or Tensors (one sample, converted, without batching)."""
        if not self._auto_collation:
            return unbatched.converted(self.dataset[int(indices[0])], self.collate_fn, self.backend)
        if self.collate_fn is None and gathers_batches(self.dataset):
            fields = self.dataset.get_batch(indices)
            if not isinstance(fields, (tuple, list)):
                fields = (fields,)
            return tuple(self._host_dtype(f) for f in fields)
        return self._collate(samples_at(self.dataset, indices))

    def _collate(self, samples: list[Any]) -> tuple[Any, ...]:
        """A list of samples as one batch of host arrays (dtype already fixed) and/or Tensors."""
        custom = self.collate_fn
        if custom is None:  # PyTorch's default collates through default_collate_fn_map: a type a program added there
            added = added_collate_types()  # (or whose function it replaced) goes through default_collate, as there
            custom = default_collate if added and holds_type(samples[0], added) else None
            if custom is None and _nested(samples[0]):  # (x, [a, b]), {"p": P(...)}: PyTorch's recursive collate
                custom = default_collate
        if custom is not None:  # its batch as it returned it, arrays as the loader's fields
            layout, arrays = collated.split(custom(samples), _is_field)
            return (layout, *(self._host_dtype(a) for a in arrays))
        else:
            if isinstance(samples[0], dict):
                self._shape = tuple(samples[0])
                samples = [tuple(s[k] for k in self._shape) for s in samples]
            elif not isinstance(samples[0], (tuple, list)):
                self._shape = "single"
            elif _is_namedtuple(samples[0]):
                self._shape = type(samples[0])
            fields = collate_host(samples)
            if isinstance(self._shape, tuple):  # strings of dict samples: lists, as PyTorch
                fields = tuple(list(f) if is_string_field(f) else f for f in fields)
        if not isinstance(fields, (tuple, list)):
            fields = (fields,)
        return tuple(self._host_dtype(f) for f in fields)

    def _host_dtype(self, field: Any) -> Any:
        # cast on the host, before the copy: smaller transfers, and pinned staging on CuPy needs the final dtype
        if isinstance(field, Tensor) or _is_native_array(field) or is_string_field(field):
            return field
        field = np.asarray(field)
        wanted = self._wanted(field.dtype.kind, field.dtype.name, host=True)
        return field if wanted == field.dtype.name else field.astype(wanted)

    def _wanted(self, kind: str, name: str, host: bool) -> str:
        if kind == "f" or name == "bfloat16":
            return self.dtype or (default_float() if host else name)
        if kind in "iu":  # host integers are class labels: int64; a Tensor's (uint8 images) keeps its dtype, as PyTorch
            return "int64" if host else name
        return name

    def _to_tensor(self, field: Any) -> Tensor | list[str]:
        if is_string_field(field):  # names, captions...: a list, as PyTorch's collate leaves them
            return field
        if isinstance(field, Tensor):
            t = field if self.backend is None or field.backend == self.backend else field.to(self.backend)
        elif _is_native_array(field):
            if self.collate_fn is None:  # gathered fresh by anynn's own collate step: wrapped, not copied again
                t = Tensor._make(field, backend_of(field), None, 0)
            else:  # a user's collate_fn may hand out views of its data: copy, as anynn.tensor does
                t = tensor(field, dtype=dtype_name(field.dtype))
            if self.backend is not None and t.backend != self.backend:
                t = t.to(self.backend)
        else:
            be = self.backend if self.backend is not None else default_backend()
            return Tensor._make(be.from_host(field), be, None, 0)
        name = dtype_name(t.dtype)
        kind = "f" if name.startswith(("float", "bfloat")) else ("i" if name.startswith(("int", "uint")) else "")
        wanted = self._wanted(kind, name, host=False)
        return t if wanted == name else Tensor._make(t.backend.xp.astype(t.array, t.backend.dtype(wanted)),
                                                     t.backend, None, 0)

    def __repr__(self) -> str:
        where = self.backend.key if self.backend is not None else "default"
        size = "a stream" if isinstance(self.dataset, IterableDataset) else len(self.dataset)
        return (f"DataLoader({type(self.dataset).__name__} of {size}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, backend={where!r})")


def _worker_error(error: Exception, worker: int, indices: np.ndarray | None, doing: str | None = None) -> Exception:
    """``error`` raised in a worker, as PyTorch re-raises it: the same class, a message naming the worker (and
    here the samples, the stream, or what else it was ``doing``) followed by the original traceback; a class that
    cannot take one message: RuntimeError."""
    if doing is not None:
        what = doing
    elif indices is None:
        what = "reading its copy of the stream"
    else:
        shown = indices[:8].tolist()
        what = "fetching samples " + (f"{shown}" if len(indices) <= 8 else f"{shown[:-1] + ['...']} "
                                                                         f"({len(indices)} samples)")
    message = (f"Caught {type(error).__name__} in DataLoader worker thread {worker} while {what}.\n"
               f"Original {''.join(traceback.format_exception(error)).rstrip()}")
    if isinstance(error, KeyError):
        return type(error)(_KeyErrorMessage(message))
    try:
        wrapped = type(error)(message)
    except Exception:  # noqa: BLE001 - an exception class with another constructor
        return RuntimeError(message)
    return wrapped if str(wrapped) == message else RuntimeError(message)


def _worker_exit(error: BaseException, worker: int) -> RuntimeError:
    """A worker thread ended by ``SystemExit`` or ``KeyboardInterrupt`` (raised by the dataset or worker_init_fn): the
    RuntimeError for a worker process that exited unexpectedly, naming the worker and what ended it."""
    exited = RuntimeError(f"DataLoader worker thread {worker} exited unexpectedly: {type(error).__name__}"
                          f"({', '.join(map(repr, error.args))}) was raised in it")
    exited.__cause__ = error
    return exited


class _KeyErrorMessage(str):
    """A message a KeyError prints as it is (KeyError prints its argument's repr)."""

    def __repr__(self) -> str:
        return str(self)


def _put(channel: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item`` on a worker's ``channel``, waiting for room unless the consumer has stopped (then False)."""
    while not stop.is_set():
        try:
            channel.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _start_context(context: Any, num_workers: int) -> Any:
    """PyTorch's checks of ``multiprocessing_context`` (kept, as a context object, and unused: the workers are
    threads): a start method's name or a context, only beside ``num_workers > 0``."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError("DataLoader: multiprocessing_context can only be used with multi-process loading "
                         "(num_workers > 0), but got num_workers=0")
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"DataLoader: multiprocessing_context option should specify a valid start method in "
                             f"{methods!r}, but got multiprocessing_context={context!r}")
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(f"DataLoader: multiprocessing_context option should be a valid context object or a string "
                        f"specifying the start method, but got multiprocessing_context={context!r}")
    return context


def _nested(sample: Any) -> bool:
    """Whether a tuple, list or dict sample holds a tuple, list or dict field: PyTorch's default_collate batches
    such a field recursively (a list of per-position batches, a dict of batches), where the flat host collate
    stacked it into one array ((x, [a, b]) gave a (B, 2) label tensor, unpacked by rows)."""
    fields = sample.values() if isinstance(sample, dict) else sample if isinstance(sample, (tuple, list)) else ()
    return any(isinstance(f, (tuple, list, dict)) for f in fields)


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_native_array(x: Any) -> bool:
    """A non-NumPy array of some backend (torch, CuPy, array_api_strict) that a custom dataset returned."""
    return not isinstance(x, (np.ndarray, np.generic)) and hasattr(x, "__dlpack__") and hasattr(x, "dtype")


def _is_field(x: Any) -> bool:
    """An array of a custom collate_fn's batch, made a Tensor on the loader's backend: a Tensor or an array."""
    return isinstance(x, (Tensor, np.ndarray)) or _is_native_array(x)


def samples_at(dataset: Any, indices: np.ndarray) -> list[Any]:
    """The samples of a map-style ``dataset`` at ``indices``: one ``__getitems__(list of ints)`` call where the
    dataset defines it (PyTorch's batched fetch, e.g. one query or one vectorised draw for the batch), else
    ``dataset[i]`` for each index."""
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        return list(getitems(indices.tolist()))
    return [dataset[int(i)] for i in indices]
