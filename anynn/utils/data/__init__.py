"""``anynn.utils.data``: the data-loading names under PyTorch's path (``from anynn.utils.data import DataLoader``).

The classes are `anynn.data`'s; see `DataLoader` for how batches reach a backend.
"""

from __future__ import annotations

from ...data import DataLoader, Dataset, Subset, TensorDataset, default_collate, default_convert, random_split
from ...data.dataset import ChainDataset, ConcatDataset, IterableDataset, StackDataset, get_worker_info
from ...data.samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                             WeightedRandomSampler)


__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
           "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
           "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info",
           "random_split", "DistributedSampler"]


def __getattr__(name: str) -> object:
    """``torch.utils.data.DistributedSampler`` (DINO's, MoCo's and ImageNet scripts' spelling), imported on first use:
    it lives in `anynn.distributed`, which a program that never shards its data need not load. PyTorch's submodules
    as attributes too (``torch.utils.data.distributed.DistributedSampler(dataset)`` after a bare ``import torch``,
    ``torch.utils.data._utils.collate.default_collate``)."""
    if name == "DistributedSampler":
        from .distributed import DistributedSampler

        return DistributedSampler
    if name in ("_utils", "dataloader", "dataset", "distributed", "sampler"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
