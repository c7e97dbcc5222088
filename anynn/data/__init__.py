"""Data: datasets, batching onto a backend, preprocessing, and loaders for files on disk.

    from anynn.data import DataLoader, TensorDataset, load_digits, random_split, standardize
    X, y = load_digits()
    train, val = random_split(TensorDataset(standardize(X), y), [0.8, 0.2], seed=0)
    for x, target in DataLoader(train, batch_size=32, shuffle=True, seed=0, backend="torch"):
        ...

Nothing here downloads anything: `load_mnist` reads IDX files the user already has.
"""

from .collate import default_collate, default_convert
from .csv import load_csv
from .dataset import Dataset, Subset, TensorDataset
from .bundled import load_digits
from .idx import load_idx, load_mnist
from .loader import DataLoader
from .samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                       WeightedRandomSampler)
from .split import random_split
from .transforms import Standardizer, one_hot, standardize

__all__ = [
    "BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler", "WeightedRandomSampler",
    "DataLoader", "Dataset", "Standardizer", "Subset", "TensorDataset", "default_collate", "default_convert",
    "load_csv", "load_digits", "load_idx", "load_mnist", "one_hot", "random_split", "standardize",
]
