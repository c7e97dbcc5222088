"""anynn.data: batching onto every backend, reproducible shuffling, splits, transforms, file loaders."""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from anynn.autograd import Tensor
from anynn.backend import dtype_name
from anynn.data.csv import load_csv
from anynn.data.collate import default_collate
from anynn.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from anynn.data.bundled import load_digits
from anynn.data.idx import load_idx, load_mnist
from anynn.data.loader import DataLoader
from anynn.backend.cupy_prefetch import CupyPrefetcher
from anynn.data.split import random_split
from anynn.data.transforms import Standardizer, one_hot, standardize
from tests.helpers import make


def _toy(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)  # row i starts with 3*i: identifies the sample
    y = np.arange(n, dtype=np.int32)
    return X, y


def _visited(loader: DataLoader) -> list[int]:
    return [int(v) for _, y in loader for v in y.numpy()]


class ListDataset(Dataset):
    """A plain Python dataset without get_batch: exercises the per-sample path."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.X[i], int(self.y[i])


# -- DataLoader on every backend -----------------------------------------------------------------------
def test_loader_batches_on_backend(backend):
    X, y = _toy(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, backend=backend)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]  # last partial batch
    for x, t in batches:
        assert isinstance(x, Tensor) and x.backend == backend and t.backend == backend
        assert backend.is_native(x.array) and backend.is_native(t.array)
        assert dtype_name(x.dtype) == "float32" and dtype_name(t.dtype) == "int64"
    np.testing.assert_array_equal(np.concatenate([x.numpy() for x, _ in batches]), X.astype(np.float32))
    assert _visited(loader) == list(range(10))


def test_loader_per_sample_path_matches_fast_path(backend):
    X, y = _toy(9)
    fast = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=3, backend=backend)
    slow = DataLoader(ListDataset(X, y), batch_size=4, shuffle=True, seed=3, backend=backend)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xs.backend == backend and dtype_name(xs.dtype) == "float32" and dtype_name(ys.dtype) == "int64"
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_tensor_dataset_tensors_as_torch():
    torch = pytest.importorskip("torch")
    X, y = _toy(5)
    ours, theirs = TensorDataset(X, y), torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y))
    assert isinstance(ours.tensors, tuple) and isinstance(theirs.tensors, tuple)
    for a, b in zip(ours.tensors, theirs.tensors, strict=True):
        np.testing.assert_array_equal(np.asarray(a), b.numpy())


def test_loader_tensor_dataset_stays_on_its_backend(backend):
    X, y = _toy(7)
    ds = TensorDataset(make(backend, X), make(backend, y))  # float64 and int32 chosen by the user: kept, as PyTorch
    batches = list(DataLoader(ds, batch_size=3, shuffle=True, seed=0))
    assert len(batches) == 3
    for x, t in batches:
        assert x.backend == backend and dtype_name(x.dtype) == "float64" and dtype_name(t.dtype) == dtype_name(y.dtype)
    images = make(backend, np.arange(24, dtype=np.uint8).reshape(2, 3, 4))  # (the data-loading tutorial's uint8
    assert dtype_name(next(iter(DataLoader(list(images), batch_size=2))).dtype) == "uint8"  # images: int64 before)
    order = np.concatenate([t.numpy() for _, t in batches])
    assert sorted(order.tolist()) == list(range(7))
    np.testing.assert_array_equal(np.concatenate([x.numpy() for x, _ in batches]), X[order])


def test_loader_dtype_option_and_transfer():
    X, y = _toy(6)
    x, t = next(iter(DataLoader(TensorDataset(X, y), batch_size=6, dtype="float64", backend="torch")))
    assert dtype_name(x.dtype) == "float64" and dtype_name(t.dtype) == "int64" and x.backend.name == "torch"
    ds = TensorDataset(make("numpy", X), y)  # a Tensor on NumPy and a host array, both sent to torch
    x, t = next(iter(DataLoader(ds, batch_size=2, backend="torch", dtype="float32")))
    assert x.backend.name == "torch" and t.backend.name == "torch" and dtype_name(x.dtype) == "float32"
    loader = DataLoader(ds, batch_size=2)
    loader.backend = "torch"  # e.g. fit() sending batches to its model's backend
    assert loader.backend.name == "torch" and next(iter(loader))[0].backend.name == "torch"
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="float dtype"):
        DataLoader(ds, dtype="int32")


def test_loader_collate_fn_and_single_array():
    X, y = _toy(5)
    calls = []

    def collate(samples):
        calls.append(len(samples))
        return np.stack([s[0] for s in samples]) * 2, np.array([s[1] for s in samples])

    batches = list(DataLoader(ListDataset(X, y), batch_size=2, collate_fn=collate))
    assert calls == [2, 2, 1]
    np.testing.assert_array_equal(batches[0][0].numpy(), 2 * X[:2])
    (only,) = next(iter(DataLoader(TensorDataset(X), batch_size=5)))  # one array: 1-tuples
    assert only.shape == (5, 3)


# -- shuffling, drop_last, len ------------------------------------------------------------------------
def test_shuffle_is_reproducible_and_changes_each_epoch():
    X, y = _toy(50)
    a = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=42)
    b = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=42)
    first_a, first_b = _visited(a), _visited(b)
    assert first_a == first_b and sorted(first_a) == list(range(50)) and first_a != list(range(50))
    second = _visited(a)
    assert second != first_a and sorted(second) == list(range(50))
    assert _visited(b) == second  # epoch 1 of both loaders agrees
    a.set_epoch(0)
    assert _visited(a) == first_a and a.epoch == 1
    other = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=7)
    assert _visited(other) != first_a
    assert _visited(DataLoader(TensorDataset(X, y), batch_size=8)) == list(range(50))


def _resumable_loaders(dataset):
    """Loaders whose order is random in each way the loader's state records it."""
    import anynn
    from anynn.data import BatchSampler, RandomSampler
    from anynn.distributed.sampler import DistributedSampler

    def own(seed):
        return anynn.Generator().manual_seed(seed)

    return {
        "plain": lambda: DataLoader(dataset, batch_size=3, shuffle=True),
        "generator": lambda: DataLoader(dataset, batch_size=3, shuffle=True, generator=own(3)),
        "sampler": lambda: DataLoader(dataset, batch_size=3, sampler=RandomSampler(dataset, generator=own(4))),
        "replacement": lambda: DataLoader(dataset, batch_size=3, sampler=RandomSampler(
            dataset, replacement=True, num_samples=13, generator=own(5))),
        "batch_sampler": lambda: DataLoader(dataset, batch_sampler=BatchSampler(
            RandomSampler(dataset, generator=own(6)), 4, drop_last=False)),
        "distributed": lambda: DataLoader(dataset, batch_size=3, sampler=DistributedSampler(
            dataset, num_replicas=2, rank=1, seed=2)),
    }


@pytest.mark.parametrize("kind", ["plain", "generator", "sampler", "replacement", "batch_sampler", "distributed"])
@pytest.mark.parametrize("handed_out", [0, 2])
def test_loader_state_dict_resumes_the_same_batches_in_a_fresh_loader(kind, handed_out):
    import json

    import anynn

    X, y = _toy(17)
    make_loader = _resumable_loaders(TensorDataset(X, y))[kind]
    anynn.manual_seed(0)
    loader = make_loader()
    _visited(loader)  # an epoch in, so the state is not the initial one
    if kind == "distributed":
        loader.sampler.set_epoch(1)  # as a program calls it each epoch
    batches = iter(loader)
    taken = [next(batches)[1].numpy().tolist() for _ in range(handed_out)]
    state = json.loads(json.dumps(loader.state_dict()))  # JSON, as a checkpoint stores it
    rest = [t.numpy().tolist() for _, t in batches]
    following = _visited(loader)
    assert taken + rest != following  # the next epoch is another order: the state must tell them apart

    anynn.manual_seed(1)  # another global generator: a plain loader's seed comes from the state
    fresh = make_loader()
    fresh.load_state_dict(state)
    assert [t.numpy().tolist() for _, t in fresh] == rest
    assert _visited(fresh) == following


def test_loader_load_state_dict_refuses_a_state_it_cannot_hold():
    import anynn

    X, y = _toy(6)
    with_generator = DataLoader(TensorDataset(X, y), batch_size=2, shuffle=True, generator=anynn.Generator(0))
    plain = DataLoader(TensorDataset(X, y), batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="own generator .generator=."):
        plain.load_state_dict(with_generator.state_dict())
    with pytest.raises(ValueError, match="expected a state with keys"):
        plain.load_state_dict({"epoch": 1})
    with pytest.raises(ValueError, match="epoch must be a non-negative integer, got -1"):
        plain.load_state_dict(dict(plain.state_dict(), epoch=-1))


def test_random_sampler_replays_after_its_generator_state_is_set_back_as_torch():
    torch = pytest.importorskip("torch")
    import anynn
    from anynn.data import RandomSampler

    for lib, sampler_class in ((torch, torch.utils.data.RandomSampler), (anynn, RandomSampler)):
        for options in ({}, {"replacement": True, "num_samples": 7}):
            generator = lib.Generator()
            generator.manual_seed(0)
            sampler = sampler_class(range(10), generator=generator, **options)
            state = generator.get_state()
            first, second = list(sampler), list(sampler)
            generator.set_state(state)
            assert list(sampler) == first != second, (lib.__name__, options)


def test_drop_last_and_len():
    X, y = _toy(10)
    ds = TensorDataset(X, y)
    assert len(DataLoader(ds, batch_size=3)) == 4
    keep = DataLoader(ds, batch_size=3, drop_last=True)
    assert len(keep) == 3 and [x.shape[0] for x, _ in keep] == [3, 3, 3]
    shuffled = DataLoader(ds, batch_size=3, drop_last=True, shuffle=True, seed=1)
    assert len(list(shuffled)) == 3 and len(set(_visited(shuffled))) == 9
    assert len(DataLoader(ds, batch_size=20, drop_last=True)) == 0 and list(DataLoader(ds, batch_size=20,
                                                                                        drop_last=True)) == []
    assert len(DataLoader(ds, batch_size=5)) == 2 and len(DataLoader(ds)) == 10


def test_tensor_dataset_indexing_and_errors():
    X, y = _toy(6)
    ds = TensorDataset(X, y)
    x0, y0 = ds[2]
    np.testing.assert_array_equal(x0, X[2])
    assert int(y0) == 2
    xb, yb = ds[np.array([5, 0, 3])]
    assert xb.shape == (3, 3) and yb.tolist() == [5, 0, 3]
    assert ds[1:4][1].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(X, y[:4])
    with pytest.raises(IndexError):
        ds[6]
    from anynn.data.dataset import ChainDataset, ConcatDataset
    # PyTorch's classes too (AssertionError / IndexError), beside anynn's ValueError and TypeError
    stream = type("Stream", (IterableDataset,), {"__iter__": lambda self: iter(())})()
    for call, error in [(lambda: TensorDataset(X, y[:4]), AssertionError), (lambda: ConcatDataset([]), AssertionError),
                        (lambda: ConcatDataset([stream]), AssertionError), (lambda: list(ChainDataset([ds])),
                                                                            AssertionError),
                        (lambda: TensorDataset(), IndexError), (lambda: TensorDataset(np.float64(1)), IndexError)]:
        with pytest.raises(error):
            call()
    # a Dataset without __len__ has none, as PyTorch's base class (NotImplementedError from anynn's before)
    unsized = type("Unsized", (Dataset,), {"__getitem__": lambda self, i: i})()
    assert not hasattr(unsized, "__len__") and not hasattr(stream, "__len__")
    for call in (lambda: len(unsized), lambda: len(DataLoader(unsized)), lambda: len(DataLoader(stream))):
        with pytest.raises(TypeError):
            call()


# -- random_split ----------------------------------------------------------------------------------
def test_random_split_sizes_disjoint_and_seeded():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [6, 3, 1], seed=0)
    assert [len(p) for p in parts] == [6, 3, 1] and all(isinstance(p, Subset) for p in parts)
    seen = [int(v) for p in parts for v in p.indices]
    assert sorted(seen) == list(range(10))  # disjoint and complete
    assert [p.indices.tolist() for p in random_split(ds, [6, 3, 1], seed=0)] == [p.indices.tolist() for p in parts]
    train, val = random_split(ds, [0.8, 0.2], seed=1)
    assert (len(train), len(val)) == (8, 2)
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.3, 0.2], seed=0)] == [6, 3, 2]
    (x,) = train[0]
    assert int(x) == int(train.indices[0])
    (batch,) = train[np.array([0, 1])]
    assert batch.tolist() == train.indices[:2].tolist()
    loader = DataLoader(train, batch_size=3)  # a Subset of a TensorDataset keeps the one-gather path
    assert sorted(int(v) for (b,) in loader for v in b.numpy()) == sorted(train.indices.tolist())
    with pytest.raises(ValueError, match="sum to"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="not 1"):
        random_split(ds, [0.5, 0.4])


# -- transforms -----------------------------------------------------------------------------------
def test_one_hot(backend):
    labels = np.array([0, 2, 1, 2])
    host = one_hot(labels, 3)
    np.testing.assert_array_equal(host, np.eye(3, dtype=np.float32)[labels])
    assert host.dtype == np.float32 and one_hot(labels).shape == (4, 3)
    on_device = one_hot(make(backend, labels), 4, dtype="float64")
    assert isinstance(on_device, Tensor) and on_device.backend == backend and dtype_name(on_device.dtype) == "float64"
    np.testing.assert_array_equal(on_device.numpy(), np.eye(4)[labels])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        one_hot(labels, 2)
    with pytest.raises(TypeError, match="integer"):
        one_hot(np.array([0.5]))


def test_standardize(backend):
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    train[:, 3] = 7.0  # a constant feature: centred, not divided by ~0
    test = rng.normal(3.0, 2.0, size=(5, 4)).astype(np.float32)
    a, b = standardize(train, test)
    assert a.dtype == np.float32 and b.dtype == np.float32
    np.testing.assert_allclose(a[:, :3].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(a[:, :3].std(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a[:, 3], 0.0)
    np.testing.assert_allclose(b, (test - train.mean(0)) / np.where(train.std(0) > 1e-8, train.std(0), 1), rtol=1e-5)
    scaler = Standardizer().fit(make(backend, train))
    out = scaler.transform(make(backend, test))
    assert out.backend == backend and dtype_name(out.dtype) == "float32"
    np.testing.assert_allclose(out.numpy(), b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(out).numpy(), test, rtol=1e-5, atol=1e-5)
    images = np.arange(2 * 3 * 2 * 2, dtype=np.uint8).reshape(2, 3, 2, 2)  # per-channel, integers → float32
    per_channel = standardize(images, axis=(0, 2, 3))
    assert per_channel.dtype == np.float32
    np.testing.assert_allclose(per_channel.mean(axis=(0, 2, 3)), 0.0, atol=1e-6)


# -- bundled digits -------------------------------------------------------------------------------
def test_load_digits():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.shape == (1797,) and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == set(range(10)) and 0 <= X.min() and X.max() <= 16
    assert load_digits(images=True)[0].shape == (1797, 1, 8, 8)


def test_load_digits_is_bundled_and_needs_no_sklearn(monkeypatch):
    # a core install (numpy, array-api-compat, safetensors) runs the README's fit snippet: the data ship in the package
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    X, y = load_digits()
    assert float(X.sum()) == 561718.0 and np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert X[0].reshape(8, 8)[1].tolist() == [0, 0, 13, 15, 10, 15, 5, 0]  # sklearn's first image, second row


# -- IDX and MNIST --------------------------------------------------------------------------------
_CODES = {"uint8": 0x08, "int16": 0x0B, "float32": 0x0D}


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """An IDX file written independently of the reader: magic, big-endian sizes, big-endian data."""
    raw = bytes([0, 0, _CODES[array.dtype.name], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("dtype", ["uint8", "float32", "int16"])
def test_idx_round_trip(tmp_path, compress, dtype):
    array = (np.arange(2 * 3 * 4) * 3 - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == "float32":
        array = array / np.float32(7)
    path = write_idx(tmp_path / "data.bin", array, compress)  # no .gz extension: detected by magic bytes
    loaded = load_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative and loaded.shape == (2, 3, 4)
    np.testing.assert_array_equal(loaded, array)


def test_idx_bad_files_raise_clear_errors(tmp_path):
    good = write_idx(tmp_path / "good", np.arange(24, dtype=np.uint8).reshape(2, 3, 4)).read_bytes()
    cases = {
        "wrong_magic": (b"\x08\x03" + good[2:], r"not an IDX file.*0x08 0x03"),
        "bad_code": (good[:2] + b"\x42" + good[3:], "unknown dtype code 0x42"),
        "short_header": (good[:10], "truncated.*header needs 16 bytes"),
        "short_data": (good[:-5], r"truncated.*shape \(2, 3, 4\).*needs 24 data bytes, the file has 19"),
        "tiny": (b"\x00", "truncated"),
        "extra": (good + b"\x00", "beyond"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=message) as info:
            load_idx(path)
        assert name in str(info.value)  # the error names the file
    cut_gzip = tmp_path / "cut.gz"
    cut_gzip.write_bytes(gzip.compress(good)[:20])
    with pytest.raises(ValueError, match="cut.gz.*gzip"):
        load_idx(cut_gzip)


def test_load_mnist_fake_folder(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5).astype(np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    got_images, got_labels = load_mnist(tmp_path, kind="t10k")
    assert got_images.dtype == np.uint8 and got_images.shape == (5, 28, 28) and got_labels.dtype == np.int64
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*train-labels-idx1-ubyte.*download"):
        load_mnist(tmp_path, kind="train")
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:4])
    with pytest.raises(ValueError, match="5 images.*4 labels"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        load_mnist(tmp_path, kind="test")


# -- CSV ------------------------------------------------------------------------------------------
def test_load_csv(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,species,b\n1.5,setosa,2\n3,virginica,\n-1,setosa,4e1\n")
    X, y, classes = load_csv(path, target_column="species", return_classes=True)
    assert X.dtype == np.float32 and X.shape == (3, 2) and np.isnan(X[1, 1]) and X[2, 1] == 40.0
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 0] and classes == ["setosa", "virginica"]
    plain = tmp_path / "plain.tsv"
    plain.write_text("1\t2\t0\n3\t4\t1\n")
    X, y = load_csv(plain, delimiter="\t", header=False)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert y.tolist() == [0, 1]
    assert y.dtype == np.int64
    X, y = load_csv(plain, target_column=0, delimiter="\t", header=False)
    assert X.shape == (2, 2) and y.tolist() == [1, 3]
    regression = tmp_path / "r.csv"
    regression.write_text("x,y\n1,0.5\n2,1.5\n")
    assert load_csv(regression)[1].dtype == np.float32
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,0\nfoo,1\n")
    with pytest.raises(ValueError, match=r"bad.csv.*line 3.*'foo' is not a number"):
        load_csv(bad)
    with pytest.raises(ValueError, match="no column 'z'"):
        load_csv(bad, target_column="z")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,y\n1,0,3\n")
    with pytest.raises(ValueError, match="line 2 has 3 fields, expected 2"):
        load_csv(ragged)


# -- CuPy prefetch, against a fake CuPy (no GPU here) ---------------------------------------------
class _FakeEvent:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def synchronize(self) -> None:
        self.log.append(f"sync {self.name}")


class _FakeStream:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name, self.count = log, name, 0

    def record(self) -> _FakeEvent:
        self.count += 1
        return _FakeEvent(self.log, f"{self.name}{self.count}")

    def wait_event(self, event: _FakeEvent) -> None:
        self.log.append(f"{self.name} waits {event.name}")


class _FakeDeviceArray:
    def __init__(self, shape, dtype, log) -> None:
        self.shape, self.dtype, self.log, self.host = shape, dtype, log, None

    def set(self, array: np.ndarray, stream: _FakeStream) -> None:
        self.host = array.copy()
        self.log.append(f"copy on {stream.name}")


class _FakeCupy:
    """Just enough of CuPy's API for CupyPrefetcher, recording the order of stream operations."""

    def __init__(self) -> None:
        self.log: list[str] = []
        main = _FakeStream(self.log, "main")
        log = self.log

        class cuda:  # noqa: N801 - mirrors cupy.cuda
            @staticmethod
            def Stream(non_blocking: bool = False) -> _FakeStream:  # noqa: N802
                return _FakeStream(log, "side")

            @staticmethod
            def get_current_stream() -> _FakeStream:
                return main

            @staticmethod
            def alloc_pinned_memory(nbytes: int):
                class Pinned(bytearray):
                    def size(self) -> int:
                        return len(self)

                return Pinned(nbytes)

        self.cuda = cuda

    def empty(self, shape, dtype) -> _FakeDeviceArray:
        return _FakeDeviceArray(shape, dtype, self.log)


class _FakeDevice:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_cupy_prefetcher_double_buffers_against_fake_cupy():
    backend = type("FakeCupyBackend", (), {"cupy": _FakeCupy(), "device": _FakeDevice()})()
    prefetcher = CupyPrefetcher(backend)
    batches = [(np.full((2, 3), k, np.float32), np.array([k, k])) for k in range(3)]
    out = []
    for fields in prefetcher.iterate(iter(batches)):
        out.append(fields)
        backend.cupy.log.append(f"consume {len(out) - 1}")
    assert len(out) == 3
    for k, (x, t) in enumerate(out):
        np.testing.assert_array_equal(x.host, batches[k][0])
        np.testing.assert_array_equal(t.host, batches[k][1])
    log = backend.cupy.log
    # batch 1 is copied before batch 0 is consumed; the consumer waits for each copy; slot 0 is reused
    # for batch 2 only after its earlier copy finished
    assert log.index("consume 0") > [i for i, e in enumerate(log) if e == "copy on side"][2]
    assert "main waits side1" in log and log.index("main waits side1") < log.index("consume 0")
    assert "sync side1" in log and log.index("sync side1") < log.index("consume 1")


@pytest.mark.parametrize("num_samples", [0, -1, 2.0, True, np.int64(2)], ids=repr)
def test_weighted_sampler_refuses_a_num_samples_that_is_not_a_positive_int_as_torch(num_samples):
    import torch.utils.data

    from anynn.data.samplers import WeightedRandomSampler

    with pytest.raises(ValueError):
        torch.utils.data.WeightedRandomSampler([1.0, 1.0], num_samples)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0, 1.0], num_samples)


SAMPLER_MISUSE = {  # PyTorch's error class for each (its multinomial's RuntimeError comes only when drawing)
    "random_of_an_empty_dataset": (lambda data: data.RandomSampler(range(0)), ValueError),
    "random_with_a_float_num_samples": (lambda data: data.RandomSampler(range(5), num_samples=2.0), ValueError),
    "weighted_negative": (lambda data: data.WeightedRandomSampler([1.0, -1.0], 3), RuntimeError),
    "weighted_nan": (lambda data: data.WeightedRandomSampler([1.0, float("nan")], 3), RuntimeError),
    "weighted_inf": (lambda data: data.WeightedRandomSampler([1.0, float("inf")], 3), RuntimeError),
    "weighted_all_zero": (lambda data: data.WeightedRandomSampler([0.0, 0.0], 3), RuntimeError),
    "weighted_replacement_not_bool": (lambda data: data.WeightedRandomSampler([1.0, 1.0], 3, replacement="no"),
                                      ValueError),  # bool("no") drew with replacement
    "weighted_too_many_without_replacement": (
        lambda data: data.WeightedRandomSampler([1.0, 1.0], 3, replacement=False), RuntimeError),
}


@pytest.mark.parametrize("name", sorted(SAMPLER_MISUSE))
def test_sampler_misuse_is_refused_by_name_as_torch(name):
    """NumPy's 'Probabilities contain NaN' (for negative weights too) and a ZeroDivisionError (an empty dataset)
    named neither the sampler nor the bad weight."""
    import torch.utils.data

    import anynn.data

    make_sampler, error = SAMPLER_MISUSE[name]
    with pytest.raises(error):
        list(make_sampler(torch.utils.data))
    with pytest.raises(error, match="RandomSampler: "):
        list(make_sampler(anynn.data))


LOADER_MISUSE = {  # PyTorch's error class for each
    "persistent_workers_without_workers": (lambda lib, ds: lib.DataLoader(ds, persistent_workers=True), ValueError),
    "negative_timeout": (lambda lib, ds: lib.DataLoader(ds, timeout=-1), ValueError),
    # PyTorch's single-process loader asserts timeout == 0 when iterated (anynn ignored it)
    "timeout_without_workers": (lambda lib, ds: next(iter(lib.DataLoader(ds, timeout=5))), AssertionError),
    # multiprocessing_context was accepted whatever it said (anynn's workers are threads)
    "start_method_without_workers": (lambda lib, ds: lib.DataLoader(ds, multiprocessing_context="spawn"), ValueError),
    "unknown_start_method": (lambda lib, ds: lib.DataLoader(ds, num_workers=1, multiprocessing_context="x"),
                             ValueError),
    "start_context_of_another_type": (lambda lib, ds: lib.DataLoader(ds, num_workers=1, multiprocessing_context=3),
                                      TypeError),
    "collate_of_none": (lambda lib, ds: next(iter(lib.DataLoader([None, None], batch_size=2))), TypeError),
    "collate_of_numbers_and_strings": (lambda lib, ds: next(iter(lib.DataLoader([1, "a"], batch_size=2))), TypeError),
    "collate_of_objects": (lambda lib, ds: next(iter(lib.DataLoader([object(), object()], batch_size=2))), TypeError),
    # what decides the batches is fixed once the loader is made (it was set and took effect)
    "batch_size_set_later": (lambda lib, ds: setattr(lib.DataLoader(ds), "batch_size", 3), ValueError),
    "sampler_set_later": (lambda lib, ds: setattr(lib.DataLoader(ds), "sampler", None), ValueError),
}


@pytest.mark.parametrize("name", sorted(LOADER_MISUSE))
def test_loader_misuse_is_refused_as_torch(name):
    import torch.utils.data

    import anynn.data

    call, error = LOADER_MISUSE[name]
    X, y = _toy(4)
    with pytest.raises(error):
        call(torch.utils.data, torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)))
    with pytest.raises(error, match="DataLoader|default_collate"):
        call(anynn.data, TensorDataset(X, y))


def test_collate_keeps_strings_as_lists_as_torch(backend):
    import torch.utils.data

    samples = [("a", np.float32(1.0)), ("bc", np.float32(2.0)), ("d", np.float32(3.0))]
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=2))
    ours = list(DataLoader(samples, batch_size=2, backend=backend))
    assert [names for names, _ in ours] == [names for names, _ in theirs] == [("a", "bc"), ("d",)]
    for (_, x), (_, t) in zip(ours, theirs):
        np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert next(iter(DataLoader(["x", "y"], batch_size=2))) == ["x", "y"]
    records = [{"name": "x", "v": 1.0}, {"name": "y", "v": 2.0}]
    assert next(iter(DataLoader(records, batch_size=2)))["name"] == ["x", "y"]


def test_collate_of_samples_of_different_shapes_names_them():
    with pytest.raises(ValueError, match=r"default_collate: .* shape \(2,\) .* shape \(3,\)"):
        next(iter(DataLoader([np.ones(2), np.ones(3)], batch_size=2)))
    import anynn  # PyTorch's classes too: RuntimeError for what does not stack, TypeError for a Tensor beside an int
    with pytest.raises(RuntimeError, match=r"shape \(2,\) .* shape \(3,\)"):
        next(iter(DataLoader([np.ones(2), np.ones(3)], batch_size=2)))
    with pytest.raises(RuntimeError, match="different numbers of fields: 2 and 1"):
        next(iter(DataLoader([(np.ones(2), 1), (np.ones(2),)], batch_size=2)))
    with pytest.raises(TypeError, match="expected a Tensor as element 1"):
        next(iter(DataLoader([anynn.ones(2), 3], batch_size=2)))
    for where in (dict(sampler=[0, 1.7], batch_size=2), dict(batch_sampler=[[0.0, 1.0]]), dict(sampler=[1.5],
                                                                                        batch_size=None)):
        with pytest.raises(TypeError, match=r"the sampler gave .* as a sample index"):  # (it read sample 1 for 1.7)
            next(iter(DataLoader([np.ones(2)] * 3, **where)))


def test_num_workers_that_is_not_an_int_is_refused_naming_the_type():
    with pytest.raises(ValueError, match="num_workers option should be a non-negative integer, got 1.5"):
        DataLoader(TensorDataset(*_toy(4)), num_workers=1.5)
    with pytest.raises(TypeError):  # PyTorch's class: range(1.5) (a ValueError only before)
        DataLoader(TensorDataset(*_toy(4)), num_workers=1.5)
    with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):  # (PyTorch's; taken before)
        DataLoader(TensorDataset(*_toy(4)), num_workers=1, prefetch_factor=0)


@pytest.mark.parametrize("error", [KeyError, ValueError, IndexError])
def test_an_error_in_a_worker_names_the_worker_and_the_samples_as_torch(error):
    torch_data = pytest.importorskip("torch.utils.data")

    def make(base):
        class Broken(base):
            def __len__(self):
                return 6

            def __getitem__(self, i):
                if i == 4:
                    raise error("broken sample 4")
                return np.float32(i)

        return Broken()

    with pytest.raises(error) as theirs:
        list(torch_data.DataLoader(make(torch_data.Dataset), batch_size=2, num_workers=2))
    with pytest.raises(error) as ours:
        list(DataLoader(make(Dataset), batch_size=2, num_workers=2))
    assert str(theirs.value).startswith(f"Caught {error.__name__} in DataLoader worker process")
    message = str(ours.value)
    assert message.startswith(f"Caught {error.__name__} in DataLoader worker thread ")
    assert "while fetching samples [4, 5]" in message and "broken sample 4" in message and "__getitem__" in message
    assert isinstance(ours.value.__cause__, error)
    with pytest.raises(error, match="^'?broken sample 4'?$"):  # without workers the error is raised as it is
        list(DataLoader(make(Dataset), batch_size=2))


def test_a_worker_that_exits_is_a_runtime_error_as_torch():
    """SystemExit (or KeyboardInterrupt) raised by the dataset in a worker: PyTorch's RuntimeError ('DataLoader worker
    (pid(s) ...) exited unexpectedly'). A stream's worker thread ended silently and the loader waited forever; a
    map-style one's SystemExit ended the program."""
    class Stream(IterableDataset):
        def __iter__(self):
            yield np.float32(1.0)
            raise SystemExit(3)

    class Rows(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 3:
                raise SystemExit(3)
            return np.float32(i)

    def init(worker_id):
        raise SystemExit(3)

    # (the timeout only ends the wait that the stream's case was: a busy machine never reaches it)
    for data, options in ((Stream(), {"timeout": 60}), (Rows(), {}), (Rows(), {"worker_init_fn": init})):
        with pytest.raises(RuntimeError, match=r"DataLoader worker thread \d exited unexpectedly: SystemExit\(3\)"):
            list(DataLoader(data, batch_size=2, num_workers=2, **options))  # (init: BrokenThreadPool before)


def test_a_worker_init_fn_that_raises_is_re_raised_naming_the_worker_as_torch():
    """The thread pool's initializer broke the pool: BrokenThreadPool ('A thread initializer failed'), the user's
    error only logged. PyTorch re-raises it, naming the worker process."""
    torch_data = pytest.importorskip("torch.utils.data")

    def init(worker_id):
        raise ValueError(f"no shard for worker {worker_id}")

    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process"):
        list(torch_data.DataLoader(range(4), num_workers=1, worker_init_fn=init))
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker thread \d while running "
                                         r"worker_init_fn.*no shard for worker"):
        list(DataLoader(range(4), num_workers=2, worker_init_fn=init))


@pytest.mark.parametrize("iterable", [False, True])
def test_a_worker_past_the_timeout_raises_pytorchs_error_at_once(iterable):
    """``timeout``: PyTorch's RuntimeError when no batch comes in time. The map-style loader raised an empty
    concurrent.futures TimeoutError, and only after every batch asked for ahead had been fetched. "At once" is
    read without a clock: the error must come while the stuck worker still holds its batch (it holds for two
    minutes, far past any slow machine's 0.2 s)."""
    import threading

    release, returned = threading.Event(), threading.Event()

    class Stuck(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            release.wait(120)
            returned.set()
            return np.float32(i)

    class StuckStream(IterableDataset):
        def __iter__(self):
            release.wait(120)
            returned.set()
            yield np.float32(0)

    loader = DataLoader(StuckStream() if iterable else Stuck(), batch_size=2, num_workers=1, timeout=0.2)
    try:
        with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.2 seconds$"):
            list(loader)
        assert not returned.is_set()  # waiting for the stuck worker would only end after it returned
    finally:
        release.set()


def test_namedtuple_samples_give_namedtuple_batches_as_torch(backend):
    from collections import namedtuple

    torch_data = pytest.importorskip("torch.utils.data")
    Pair = namedtuple("Pair", "image label")
    samples = [Pair(np.full(2, i, np.float32), i) for i in range(5)]
    theirs = list(torch_data.DataLoader(samples, batch_size=2))
    ours = list(DataLoader(samples, batch_size=2, backend=backend))
    assert [type(b).__name__ for b in ours] == [type(b).__name__ for b in theirs] == ["Pair"] * 3
    for a, b in zip(ours, theirs):
        assert a.image.backend.key == backend.key
        np.testing.assert_array_equal(a.image.numpy(), b.image.numpy())
        np.testing.assert_array_equal(a.label.numpy(), b.label.numpy())
    collated = default_collate(samples[:2])
    assert type(collated).__name__ == "Pair" and collated.label.tolist() == [0, 1]


def _structure(value):
    """A batch as nested plain data: tensors of either library as (dtype name, shape, values)."""
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return (type(value).__name__, *(_structure(v) for v in value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(v) for v in value])
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return (str(value.dtype).split(".")[-1], tuple(value.shape), np.asarray(value.tolist()).tolist())
    return value


def _collate_cases(lib):
    from collections import namedtuple

    Pair = namedtuple("Pair", "x y")
    return {
        "float64 arrays": [np.ones(2), np.zeros(2)], "int32 arrays": [np.arange(2, dtype=np.int32)] * 2,
        "python floats": [1.5, 2.0], "python ints": [1, 2], "bools": [True, False],
        "numpy float64 scalars": [np.float64(1), np.float64(2)], "numpy uint8 scalars": [np.uint8(1), np.uint8(2)],
        "strings": ["a", "b"], "bytes": [b"a", b"b"], "tuples": [(np.ones(2), 1), (np.zeros(2), 0)],
        "nested dicts": [{"x": {"a": 1.0, "b": np.ones(2, np.float32)}, "s": "u"},
                         {"x": {"a": 2.0, "b": np.zeros(2, np.float32)}, "s": "v"}],
        "namedtuples": [Pair(1.0, np.ones(1)), Pair(2.0, np.zeros(1))],
        "tensors": [lib.ones(2, dtype=lib.float64), lib.zeros(2, dtype=lib.float64)],
        # mixed samples promote as PyTorch's torch.tensor/stack (the first sample's dtype truncated 2.5 to 2)
        "int then float": [1, 2.5], "bool then int": [True, 2], "float then int": [2.5, 1],
        "int64 and float32 arrays": [np.arange(2), np.full(2, 0.5, np.float32)],
        "float32 and float64 arrays": [np.ones(2, np.float32), np.full(2, 0.1)],
        "float32 and int64 tensors": [lib.full((2,), 0.5), lib.ones(2, dtype=lib.int64)],
        # strings inside tuple, list or namedtuple samples stay the tuple zip makes of them (anynn gave a list)
        "strings in tuples": [(1.0, "x"), (2.0, "y")], "strings in lists": [["a", 1], ["b", 2]],
        "strings in namedtuples": [Pair(1, "x"), Pair(2, "y")],
    }


def test_default_collate_and_default_convert_as_torch():
    """PyTorch's public functions, for collate_fns that call them: Tensors out, PyTorch's dtypes (NumPy's kept,
    Python floats float64) and structure (nested dicts, namedtuples, lists of fields, strings and bytes as lists)."""
    torch_data = pytest.importorskip("torch.utils.data")
    import anynn
    import anynn.utils.data as ours

    theirs_cases, our_cases = _collate_cases(pytest.importorskip("torch")), _collate_cases(anynn)
    for name in our_cases:
        assert _structure(ours.default_collate(our_cases[name])) == _structure(
            torch_data.default_collate(theirs_cases[name])), name
    for value in [np.ones(2), {"a": np.ones(1, np.int32), "b": "s"}, [np.zeros(2), 1.0], (np.float64(1), "t"), 3.0]:
        assert _structure(ours.default_convert(value)) == _structure(torch_data.default_convert(value))
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        ours.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        ours.default_collate([None, None])
    with pytest.raises(ValueError, match=r"default_collate: .* shape \(2,\) and shape \(3,\)"):
        ours.default_collate([anynn.ones(2), anynn.ones(3)])


def test_a_loader_without_batching_yields_converted_samples_as_torch(backend):
    """DataLoader(batch_size=None) (refused before, on the differences page): each sample through default_convert or
    collate_fn, no batch axis, with a sampler, shuffling, worker threads and streams; drop_last refused."""
    torch_data = pytest.importorskip("torch.utils.data")
    import anynn.utils.data as ours

    samples = [(np.arange(2.0) + i, i, f"s{i}", {"w": np.float32(i)}) for i in range(3)]

    def stream(lib):
        class Stream(lib.IterableDataset):
            def __iter__(self):
                return iter(samples)
        return Stream()

    def runs(lib, workers, **where):  # (PyTorch's worker processes cost 0.4 s a loader: anynn's threads only)
        loader = lib.DataLoader
        return [len(loader(samples, batch_size=None)),
                [_structure(s) for s in loader(samples, batch_size=None, **where)],
                [_structure(s) for s in loader(samples, batch_size=None, sampler=[2, 0], num_workers=workers, **where)],
                [_structure(s) for s in loader(samples, batch_size=None, collate_fn=lambda s: s[1] * 10, **where)],
                [_structure(s) for s in loader(stream(lib), batch_size=None, **where)],
                sorted(s[1] for s in loader(samples, batch_size=None, shuffle=True, **where))]

    assert runs(ours, 2, backend=backend) == runs(torch_data, 0)
    first = next(iter(ours.DataLoader(samples, batch_size=None, backend=backend)))
    assert first[0].backend.key == first[3]["w"].backend.key == backend.key
    for lib in (ours, torch_data):
        with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
            lib.DataLoader(samples, batch_size=None, drop_last=True)


def test_a_custom_collate_fns_batch_keeps_its_structure_as_torch():
    """The batch is what collate_fn returned (the customize-data-loading tutorial's dict of per-molecule lists of
    Tensors of different shapes): lists, numbers and strings kept, nothing stacked; Tensors on the loader's side."""
    torch_data = pytest.importorskip("torch.utils.data")
    import anynn
    import anynn.utils.data as ours

    def collate(lib):
        def by_key(batch):
            groups = {}
            for x, k in batch:
                groups.setdefault(int(k), []).append((x, k))
            return {k: [lib.default_collate(v), len(v), "n"] for k, v in groups.items()}
        return by_key

    def batches(lib, tensor):
        data = lib.TensorDataset(tensor(np.arange(12.0).reshape(6, 2)), tensor(np.array([0, 0, 1, 2, 2, 2])))
        return [_structure(b) for b in lib.DataLoader(data, batch_sampler=[[0, 1, 2], [3, 4, 5]],
                                                      collate_fn=collate(lib))]

    theirs = batches(torch_data, pytest.importorskip("torch").tensor)
    assert batches(ours, lambda a: anynn.tensor(a, dtype=a.dtype.name)) == theirs
    ((single, number, text),) = list(DataLoader([(1.0, 2)], batch_size=1, collate_fn=lambda b: [b, len(b), "s"]))
    assert (single, number, text) == ([(1.0, 2)], 1, "s")


def test_nested_samples_batch_as_torchs_default_collate():
    """A sample holding a list, tuple or dict field is batched recursively, as PyTorch's default_collate: an
    (image, [label_a, label_b]) sample gave one (B, 2) label tensor (``for x, (a, b) in loader`` unpacked its rows:
    wrong values at B == 2), a namedtuple in a dict was stacked into one tensor, a nested dict was a TypeError."""
    torch_data = pytest.importorskip("torch.utils.data")
    import collections

    import anynn.utils.data as ours

    pair = collections.namedtuple("Pair", "a b")
    for sample in (lambda i: (np.full(2, i, np.float32), [i, np.float32(i)]),
                   lambda i: {"p": pair(i, 2 * i), "d": {"w": np.float64(i)}}):
        data = [sample(i) for i in range(3)]
        theirs = [_structure(b) for b in torch_data.DataLoader(data, batch_size=2)]
        assert [_structure(b) for b in ours.DataLoader(data, batch_size=2)] == theirs


def test_a_dataset_with_getitems_is_fetched_a_batch_at_a_time_as_torch():
    """PyTorch's loader calls ``__getitems__(list of ints)`` once per batch where a dataset defines it (the advanced
    data-loading tutorial's vectorised draw); its Subset forwards it. anynn called ``__getitem__`` per sample."""
    torch_data = pytest.importorskip("torch.utils.data")
    import anynn.utils.data as ours

    def runs(lib):
        calls = []

        class Batched(lib.Dataset):
            def __len__(self):
                return 6

            def __getitem__(self, i):
                calls.append(("one", i))
                return np.float32(i), i

            def __getitems__(self, indices):
                calls.append(("many", indices))
                return [(np.float32(i), i) for i in indices]

        data = Batched()
        got = [_structure(b) for b in lib.DataLoader(data, batch_size=4)]
        got += [_structure(b) for b in lib.DataLoader(lib.Subset(data, [5, 3]), batch_size=2)]
        return got, calls

    (ours_batches, ours_calls), (theirs_batches, theirs_calls) = runs(ours), runs(torch_data)
    assert ours_calls == theirs_calls == [("many", [0, 1, 2, 3]), ("many", [4, 5]), ("many", [5, 3])]
    assert [b[1] for b in ours_batches] == [b[1] for b in theirs_batches]  # labels; floats: the loader's dtype


def test_a_subset_of_samples_keeps_their_structure_as_torch():
    """A Subset (random_split's parts) of a dataset of dict or single-Tensor samples gives dict or Tensor batches, as
    the dataset itself does: anynn's Subset collated them on its own (TypeError for dicts, a 1-tuple for Tensors)."""
    torch = pytest.importorskip("torch")
    import anynn
    import anynn.utils.data as ours

    def batches(lib, make):
        class Samples(lib.Dataset):
            def __init__(self, as_dict):
                self.as_dict = as_dict

            def __len__(self):
                return 4

            def __getitem__(self, i):
                return {"x": make([float(i)]), "y": i} if self.as_dict else make([float(i)])

        (d,), (t,) = (list(lib.DataLoader(lib.Subset(Samples(k), [3, 1]), batch_size=2)) for k in (True, False))
        return sorted(d), d["x"].tolist(), d["y"].tolist(), t.tolist()

    assert batches(ours, anynn.tensor) == batches(torch.utils.data, torch.tensor) == (
        ["x", "y"], [[3.0], [1.0]], [3, 1], [[3.0], [1.0]])


def test_a_loader_keeps_bytes_fields_as_lists_as_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    samples = [(b"ab", np.float32(1.0)), (b"c", np.float32(2.0))]
    (ours_bytes, ours_x), = list(DataLoader(samples, batch_size=2))
    (theirs_bytes, theirs_x), = list(torch_data.DataLoader(samples, batch_size=2))
    assert list(ours_bytes) == list(theirs_bytes) == [b"ab", b"c"]
    np.testing.assert_array_equal(ours_x.numpy(), theirs_x.numpy())


def test_pin_memory_without_an_accelerator_warns_as_torch():
    """PyTorch's loader warns that pin_memory=True pins nothing where no accelerator is found (anynn was silent)."""
    import anynn

    if anynn.cuda.is_available():
        pytest.skip("a GPU is usable: nothing to warn about")
    loader = DataLoader(TensorDataset(np.arange(4.0)), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        assert len(list(loader)) == 2
