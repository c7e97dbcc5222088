"""`DistributedSampler`: each rank's disjoint share of a dataset, reshuffled every epoch; and
`DistributedBatches`, which batches that share through `anynn.data.DataLoader`.

`DataLoader` has no sampler argument, so `DistributedBatches` gives its loader a `Subset` holding
this rank's indices for the epoch (in the sampler's order) and lets it batch, convert and prefetch.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..autograd import Tensor
from ..data import DataLoader, Subset
from .comm import rank as current_rank
from .comm import world_size as current_world_size


class DistributedSampler:
    """The indices of rank ``rank``'s shard of a dataset of ``n`` samples, for one epoch at a time.

    Epoch ``e`` shuffles all ``n`` indices with ``numpy.random.default_rng((seed, e))`` (the same
    permutation on every rank, and the same as ``DataLoader(shuffle=True, seed=seed)``), then rank
    ``r`` takes every ``num_replicas``-th index starting at ``r``. Without ``drop_last`` the order is
    padded with its own first indices to a multiple of ``num_replicas``, so every rank takes the
    same number of steps; with it the tail is dropped instead.

    With per-rank batches of ``B``, step ``k`` of all ranks together covers positions
    ``[k*B*R, (k+1)*B*R)`` of the permutation: the batch one process with batch ``B*R`` takes.

    Parameters
    ----------
    dataset : int or sized
        The dataset, or its length.
    num_replicas, rank : int, optional
        Default: the world size and rank of `anynn.distributed.init`.
    shuffle : bool
        Reshuffle every epoch (otherwise ``0, 1, 2...`` dealt round-robin).
    seed : int
        Must be the same on every rank.
    drop_last : bool
        Drop the tail rather than pad it.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        self.n = int(dataset) if isinstance(dataset, (int, np.integer)) else len(dataset)
        self.num_replicas = current_world_size() if num_replicas is None else int(num_replicas)
        self.rank = current_rank() if rank is None else int(rank)
        if self.num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got {self.num_replicas}")
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in [0, {self.num_replicas}), got {self.rank}")
        if drop_last and self.n < self.num_replicas:
            raise ValueError(f"DistributedSampler: {self.n} samples cannot give each of {self.num_replicas} "
                             "ranks one with drop_last=True")
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0

    @property
    def num_samples(self) -> int:
        """Samples per rank and epoch."""
        whole, rest = divmod(self.n, self.num_replicas)
        return whole if self.drop_last or rest == 0 else whole + 1

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` next (call with the same value on every rank)."""
        self.epoch = int(epoch)

    def indices(self, epoch: int | None = None) -> np.ndarray:
        """This rank's indices for ``epoch`` (default: the current one), shape ``(num_samples,)`` int64."""
        epoch = self.epoch if epoch is None else int(epoch)
        if self.shuffle:
            order = np.random.default_rng((self.seed, epoch)).permutation(self.n).astype(np.int64)
        else:
            order = np.arange(self.n, dtype=np.int64)
        total = self.num_samples * self.num_replicas
        if total > self.n:  # pad with the first indices (repeated if the dataset is tiny)
            order = np.resize(order, total)
        return order[self.rank:total:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __repr__(self) -> str:
        return (f"DistributedSampler(n={self.n}, num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")


class DistributedBatches:
    """Batches of this rank's shard, epoch after epoch: a `DataLoader` over the sampler's indices.

    Each iteration uses the sampler's current epoch, then moves it on by one (as `DataLoader` does),
    so ``for epoch in range(E): for x, y in batches: ...`` reshuffles every epoch; `set_epoch`
    resumes at a given epoch. Works as ``train_data`` of `anynn.train.fit`.

    Parameters
    ----------
    dataset : Dataset
        Anything `DataLoader` accepts.
    batch_size : int
        Per-rank batch size (the global batch is ``batch_size * world_size``).
    sampler : DistributedSampler, optional
        Default: ``DistributedSampler(dataset, shuffle=shuffle, seed=seed)`` for the current rank.
    shuffle, seed : optional
        For the default sampler.
    drop_last, backend, collate_fn, dtype :
        As in `DataLoader`.

    Examples
    --------
    >>> ctx = dist.init()  # doctest: +SKIP
    >>> batches = DistributedBatches(TensorDataset(X, y), batch_size=32, seed=0, backend=ctx.backend)  # doctest: +SKIP
    >>> for x, target in batches: ...  # doctest: +SKIP
    """

    def __init__(self, dataset: Any, batch_size: int = 1, sampler: DistributedSampler | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False, backend: Any = None,
                 collate_fn: Callable[[list[Any]], Sequence[Any]] | None = None, dtype: Any = None) -> None:
        self.dataset = dataset
        self.sampler = sampler if sampler is not None else DistributedSampler(dataset, shuffle=shuffle, seed=seed)
        if self.sampler.n != len(dataset):
            raise ValueError(f"DistributedBatches: the sampler is for {self.sampler.n} samples but the dataset "
                             f"has {len(dataset)}")
        self.loader = DataLoader(Subset(dataset, self.sampler.indices()), batch_size=batch_size, shuffle=False,
                                 drop_last=drop_last, backend=backend, collate_fn=collate_fn, dtype=dtype)

    @property
    def backend(self) -> Any:
        return self.loader.backend

    @backend.setter
    def backend(self, backend: Any) -> None:
        self.loader.backend = backend

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the sampler's order of epoch ``epoch``."""
        self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        # this epoch's shard: the loader is ours, so its dataset changes under PyTorch's rule for user loaders
        object.__setattr__(self.loader, "dataset", Subset(self.dataset, self.sampler.indices()))
        self.sampler.set_epoch(self.sampler.epoch + 1)
        return iter(self.loader)

    def __repr__(self) -> str:
        return f"DistributedBatches({self.sampler!r}, batch_size={self.loader.batch_size})"
