"""Samplers with PyTorch's names: which sample indices a `DataLoader` visits, and in which batches.

Random samplers draw from a NumPy ``Generator`` on the host: ``generator`` may be an int seed or a
``numpy.random.Generator``; without one, each epoch's seed comes from the generator `anynn.manual_seed`
seeds, so a seeded program visits the same order on every backend.
"""

from __future__ import annotations

from typing import Any, Generic, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from .. import init
from ..functional.value_checks import InvalidValueError

T_co = TypeVar("T_co", covariant=True)


def host_rng(generator: Any) -> np.random.Generator:
    """A NumPy generator from ``generator`` (a seed, a Generator, or None: one seeded from anynn's default)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        return np.random.default_rng(int(init.default_generator().integers(2**63)))
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be an int seed or a numpy.random.Generator, got {type(generator).__name__}")


class Sampler(Generic[T_co]):
    """Base class: iterate over sample indices (``__iter__``) and say how many (``__len__``)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A new random order every epoch; with ``replacement``, ``num_samples`` draws with replacement.

    Parameters
    ----------
    data_source : sized
    replacement : bool
        Draw with replacement (then ``num_samples`` may exceed the dataset).
    num_samples : int, optional
        Indices per epoch (default ``len(data_source)``).
    generator : int or numpy.random.Generator, optional
        Where the randomness comes from (see the module notes).
    """

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: Any = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got replacement={replacement}")
        count = len(data_source) if num_samples is None else num_samples
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count <= 0:
            empty = " (the dataset is empty)" if num_samples is None else ""
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, but got "
                             f"num_samples={count}{empty}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        self._rng = host_rng(generator) if generator is not None else None

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def indices(self) -> np.ndarray:
        """The next epoch's indices, shape ``(num_samples,)`` int64."""
        rng = self._rng if self._rng is not None else host_rng(None)
        n = self._population()
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples, dtype=np.int64)
        whole, rest = divmod(self.num_samples, n)
        parts = [rng.permutation(n) for _ in range(whole)] + ([rng.permutation(n)[:rest]] if rest else [])
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def __iter__(self) -> Iterator[int]:
        if self.replacement:  # drawn as read, as PyTorch: num_samples=int(1e10) is minGPT's endless sampler
            rng = self._rng if self._rng is not None else host_rng(None)  # the seed is taken now, not at first read
            return self._draws(rng, self._population())
        return iter(self.indices().tolist())

    def _population(self) -> int:
        n = len(self.data_source)
        if n == 0:  # (emptied after the sampler was made) else a ZeroDivisionError from the draw
            raise ValueError(f"RandomSampler: the dataset is empty; there is nothing to draw num_samples="
                             f"{self.num_samples} indices from")
        return n

    def _draws(self, rng: np.random.Generator, n: int) -> Iterator[int]:
        for start in range(0, self.num_samples, _CHUNK):
            yield from rng.integers(0, n, size=min(_CHUNK, self.num_samples - start), dtype=np.int64).tolist()

    def __len__(self) -> int:
        return self.num_samples


_CHUNK = 1024  # indices drawn at a time by a sampler with replacement


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a new random order every epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = list(indices)
        self.generator = generator
        self._rng = host_rng(generator) if generator is not None else None

    def __iter__(self) -> Iterator[int]:
        rng = self._rng if self._rng is not None else host_rng(None)
        return iter([self.indices[i] for i in rng.permutation(len(self.indices)).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1-D sequence, got shape {self.weights.shape}")
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):  # (bool() read any string as True)
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator
        self._rng = host_rng(generator) if generator is not None else None
        self._probabilities()

    def _probabilities(self) -> np.ndarray:
        """The weights as probabilities; `InvalidValueError` (PyTorch's multinomial raises RuntimeError when
        drawing) for weights that are no distribution, or too few of them to draw from without replacement."""
        w = self.weights
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if bad.size:
            raise InvalidValueError(f"WeightedRandomSampler: weights must be finite and non-negative, got "
                                    f"{w[bad[0]]} at index {bad[0]}")
        total = w.sum()
        if not total > 0:
            raise InvalidValueError(f"WeightedRandomSampler: the weights sum to {total}; at least one must be "
                                    f"positive")
        if not self.replacement and self.num_samples > w.size:
            raise InvalidValueError(f"WeightedRandomSampler: cannot draw num_samples={self.num_samples} without "
                                    f"replacement from {w.size} weights")
        return w / total

    def __iter__(self) -> Iterator[int]:
        rng = self._rng if self._rng is not None else host_rng(None)
        p = self._probabilities()
        return iter(rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "host_rng"]
