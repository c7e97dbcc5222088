"""PyTorch's module paths under torch.utils.data (dataloader, dataset, sampler) name anynn's classes."""

from __future__ import annotations

import importlib

import pytest
import torch  # noqa: F401  (torch.utils.data's submodules, the oracle for which names live where)

import anynn.utils.data as data


@pytest.mark.parametrize("path, names", [
    ("dataloader", ["DataLoader", "default_collate"]),
    ("dataset", ["ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset", "random_split"]),
    ("sampler", ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
                 "WeightedRandomSampler"]),
])
def test_submodules_as_pytorchs(path, names):
    ours = importlib.import_module(f"anynn.utils.data.{path}")
    theirs = importlib.import_module(f"torch.utils.data.{path}")
    for name in names:
        if hasattr(theirs, name):
            assert getattr(ours, name) is getattr(data, name), name
    from anynn.utils.data.dataloader import DataLoader  # makemore's import line, swapped

    assert DataLoader is data.DataLoader
