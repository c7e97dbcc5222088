"""PyTorch's module paths under torch.utils.data (dataloader, dataset, sampler) name anynn's classes."""

from __future__ import annotations

import functools
import importlib

import pytest
import torch  # noqa: F401  (torch.utils.data's submodules, the oracle for which names live where)

import anynn.utils.data as data


@pytest.mark.parametrize("path, names", [
    ("dataloader", ["DataLoader", "default_collate", "default_convert", "get_worker_info"]),
    ("dataset", ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "StackDataset", "Subset",
                 "TensorDataset", "random_split"]),
    ("sampler", ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
                 "WeightedRandomSampler"]),
    ("distributed", ["DistributedSampler"]),
    ("_utils.collate", ["default_collate", "default_convert"]),
])
def test_submodules_as_pytorchs(path, names):
    ours = importlib.import_module(f"anynn.utils.data.{path}")
    theirs = importlib.import_module(f"torch.utils.data.{path}")
    # an attribute before anything imported it, as torch.utils.data.distributed after `import torch` (it raised
    # AttributeError: the package never imported its submodules)
    top, *rest = path.split(".")
    assert functools.reduce(getattr, rest, data.__getattr__(top)) is ours
    for name in names:
        if hasattr(theirs, name):
            assert getattr(ours, name) is getattr(data, name), name
    from anynn.utils.data.dataloader import DataLoader  # makemore's import line, swapped

    assert DataLoader is data.DataLoader


class _Box:
    def __init__(self, value):
        self.value = value


def _collate_boxes(batch, *, collate_fn_map=None):
    return ("boxes", [box.value for box in batch])


def test_collate_with_a_type_registry_as_pytorchs():
    """torch.utils.data._utils.collate (ModuleNotFoundError before): collate(batch, collate_fn_map=...) hands each
    leaf batch to the map's function for its type, keeps the samples' container types (an OrderedDict, a deque), and
    an entry added to default_collate_fn_map is read by default_collate, as PyTorch's."""
    from collections import OrderedDict, deque

    import torch.utils.data._utils.collate as theirs

    import anynn
    from anynn.utils.data._utils import collate as ours

    results = []
    for lib, module in ((torch, theirs), (anynn, ours)):
        samples = [OrderedDict(box=_Box(i), x=deque([lib.ones(2) * i, float(i)])) for i in range(3)]
        custom = module.collate(samples, collate_fn_map={_Box: _collate_boxes, lib.Tensor: module.collate_tensor_fn,
                                                         float: module.collate_float_fn})
        module.default_collate_fn_map[_Box] = _collate_boxes
        try:
            default = module.default_collate(samples)
            # the DataLoader's own collation reads the map too, as PyTorch's (anynn's host step ignored the entry)
            loaded = next(iter(lib.utils.data.DataLoader(samples, batch_size=3)))
        finally:
            del module.default_collate_fn_map[_Box]
        results.append([(type(batch).__name__, type(batch["x"]).__name__, batch["box"], batch["x"][0].tolist(),
                         batch["x"][1].tolist(), str(batch["x"][1].dtype)[-7:]) for batch in (custom, default)])
        results[-1].append((loaded["box"], loaded["x"][0].tolist(), loaded["x"][1].tolist()))
    assert results[0] == results[1]


def _stream(lib, n):
    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n

    return Stream()


def _rows(lib, n):
    return lib.utils.data.TensorDataset(lib.arange(n))


def _plain(sample):
    if isinstance(sample, (tuple, list)):
        return [_plain(s) for s in sample]
    if isinstance(sample, dict):
        return {k: _plain(v) for k, v in sample.items()}
    return sample.tolist() if hasattr(sample, "tolist") else sample


DATASET_CASES = {  # each gives the same result on both libraries, or raises the same class
    "dataset_plus_dataset": lambda lib: (lambda d: (type(d).__name__, len(d), _plain(d[3])))(
        _rows(lib, 2) + _rows(lib, 3)),
    "stream_plus_stream": lambda lib: (lambda d: (type(d).__name__, len(d), list(d)))(
        _stream(lib, 2) + _stream(lib, 3)),
    "chain_dataset": lambda lib: list(lib.utils.data.ChainDataset([_stream(lib, 1), _stream(lib, 2)])),
    "chain_dataset_of_a_map_dataset": lambda lib: list(lib.utils.data.ChainDataset([_rows(lib, 2)])),
    "concat_dataset_of_a_stream": lambda lib: lib.utils.data.ConcatDataset([_rows(lib, 2), _stream(lib, 2)]),
    "concat_dataset_negative_index": lambda lib: _plain(lib.utils.data.ConcatDataset([_rows(lib, 2),
                                                                                      _rows(lib, 3)])[-1]),
    "concat_dataset_cumulative_sizes": lambda lib: lib.utils.data.ConcatDataset([_rows(lib, 2),
                                                                                _rows(lib, 3)]).cumulative_sizes,
    "stack_dataset_tuple": lambda lib: (lambda d: (len(d), _plain(d[1])))(
        lib.utils.data.StackDataset(_rows(lib, 3), _rows(lib, 3))),
    "stack_dataset_dict": lambda lib: _plain(lib.utils.data.StackDataset(x=_rows(lib, 3), y=_rows(lib, 3))[2]),
    "stack_dataset_sizes_differ": lambda lib: lib.utils.data.StackDataset(_rows(lib, 3), _rows(lib, 4)),
    "stack_dataset_args_and_kwargs": lambda lib: lib.utils.data.StackDataset(_rows(lib, 3), y=_rows(lib, 3)),
}


@pytest.mark.parametrize("name", sorted(DATASET_CASES))
def test_combined_datasets_as_torch(name):
    import anynn

    outcomes = []
    for lib in (torch, anynn):
        try:
            outcomes.append(("ok", DATASET_CASES[name](lib)))
        except Exception as error:  # noqa: BLE001 - compared: the class, PyTorch's AssertionError read as TypeError
            outcomes.append(("raise", "TypeError" if isinstance(error, AssertionError) else type(error).__name__))
    assert outcomes[0] == outcomes[1]


_CLASSES = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
            "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
            "TensorDataset", "WeightedRandomSampler"]


def _subscripts(cls):
    try:
        cls[int]
    except TypeError:
        return False
    return True


@pytest.mark.parametrize("name", _CLASSES)
def test_subscripted_as_pytorchs(name):
    """Typed programs write ``class Pairs(Dataset[tuple[Tensor, int]])`` and ``Sampler[list[int]]`` (timm's
    scheduled sampler does at import): a class takes a subscript exactly where PyTorch's does, and a subclass of
    the subscripted class is still one of ours."""
    import torch.utils.data as theirs

    ours = getattr(data, name)
    assert _subscripts(ours) == _subscripts(getattr(theirs, name)), name
    if name in ("Dataset", "IterableDataset", "Sampler"):
        class Numbers(ours[int]):
            def __init__(self):
                pass

            def __len__(self):
                return 3

            def __getitem__(self, i):
                return i

            def __iter__(self):
                return iter(range(3))

        assert isinstance(Numbers(), ours) and list(Numbers()) == [0, 1, 2]
    if name == "IterableDataset":
        import collections.abc

        import anynn

        assert isinstance(_stream(anynn, 2), collections.abc.Iterable)
