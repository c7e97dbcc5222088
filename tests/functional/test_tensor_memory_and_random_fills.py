"""Tensor.random_/cauchy_/log_normal_/geometric_ (anynn/functional/tensor_random_fills.py) by their law, range,
seeding and errors against PyTorch's, and the memory queries data_ptr/storage_offset/is_pinned/pin_memory with the
twins narrow_copy/prelu/lu_solve/triangular_solve (anynn/functional/tensor_memory.py), on every backend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.functional import tensor_memory

N = 4000


def _values(t):
    return np.asarray(t.numpy(), dtype=np.float64)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int8", "uint8", "bool"])
def test_random_without_bounds_covers_the_range_pytorch_draws_from(backend, dtype):
    if dtype == "float16" and backend.name.startswith("array_api_strict"):
        pytest.skip("array-api-strict has no float16")
    ours = _values(anynn.empty(N, dtype=dtype, backend=backend).random_(generator=anynn.Generator().manual_seed(0)))
    top = {"float32": 2**24, "float64": 2**53, "float16": 2**11, "int64": 2**63 - 1, "int8": 127, "uint8": 255,
           "bool": 1}[dtype]
    assert ours.min() >= 0 and ours.max() <= top and np.array_equal(ours, np.round(ours))
    assert ours.max() > top / 2  # spread over the range, not a corner of it
    theirs = torch.empty(N, dtype=getattr(torch, dtype)).random_().double().numpy()
    assert theirs.max() <= top and theirs.max() > top / 2


@pytest.mark.parametrize("call, low, high", [
    (lambda t: t.random_(7), 0, 6), (lambda t: t.random_(-3, 4), -3, 3), (lambda t: t.random_(2, to=5), 2, 4),
    (lambda t: t.random_(**{"from": 5, "to": 9}), 5, 8), (lambda t: t.random_(to=3), 0, 2),
], ids=["to", "from_to", "from_kw_to", "torch_keywords", "to_keyword"])
def test_random_with_bounds_draws_every_whole_number_between_them(backend, call, low, high):
    for dtype in ("float32", "int64"):
        ours = _values(call(anynn.empty(N, dtype=dtype, backend=backend)))
        theirs = call(torch.empty(N, dtype=getattr(torch, dtype))).double().numpy()
        assert set(ours) == set(theirs) == set(range(low, high + 1)), dtype


@pytest.mark.jax
def test_random_fills_follow_their_laws_and_seeds(backend):
    def fill(name, *args):
        return _values(getattr(anynn.empty(N, dtype="float64", backend=backend), name)(
            *args, generator=anynn.Generator().manual_seed(3)))

    cauchy = fill("cauchy_", 2.0, 0.5)  # median 2, quartiles at 2 -+ 0.5
    assert abs(np.median(cauchy) - 2.0) < 0.06 and abs(np.subtract(*np.percentile(cauchy, [75, 25])) - 1.0) < 0.1
    logs = np.log(fill("log_normal_", 1.0, 2.0))
    assert abs(logs.mean() - 1.0) < 0.1 and abs(logs.std() - 2.0) < 0.1
    trials = fill("geometric_", 0.25)
    assert trials.min() == 1 and np.array_equal(trials, np.round(trials)) and abs(trials.mean() - 4.0) < 0.25
    np.testing.assert_array_equal(fill("cauchy_"), fill("cauchy_"))  # one seed, one draw
    ints = anynn.empty(N, dtype="int64", backend=backend).geometric_(0.5)
    assert ints.dtype == anynn.int64 and _values(ints).min() == 1


@pytest.mark.parametrize("call", [
    lambda m, t: t.random_(5, 2), lambda m, t: t.geometric_(0.0), lambda m, t: t.geometric_(1.0),
    lambda m, t: t.log_normal_(1.0, 0.0), lambda m, t: t.cauchy_(0.0, -1.0),
    lambda m, t: m.empty(3, dtype=m.int64).cauchy_(), lambda m, t: m.empty(3, dtype=m.int64).log_normal_(),
    lambda m, t: m.empty(3, dtype=m.uint8).random_(-1, 5), lambda m, t: m.ones(3, requires_grad=True).random_(),
    lambda m, t: m.ones(3, requires_grad=True).cauchy_(),
], ids=["from_ge_to", "p_zero", "p_one", "std_zero", "sigma_negative", "cauchy_int", "log_normal_int",
        "from_below_uint8", "leaf_random", "leaf_cauchy"])
def test_random_fill_refusals_match_pytorch(backend, call):
    with pytest.raises(RuntimeError):
        call(torch, torch.empty(3))
    with anynn.device(backend):
        with pytest.raises(RuntimeError):
            call(anynn, anynn.empty(3))


@pytest.mark.jax
def test_data_ptr_and_storage_offset_say_which_tensors_share_memory(backend, monkeypatch):
    x = anynn.arange(12, dtype="float32", backend=backend)
    same = x.detach()
    assert x.data_ptr() == x.data_ptr() and x.const_data_ptr() == x.data_ptr() and x.storage_offset() == 0
    assert anynn.zeros(3, backend=backend).data_ptr() != x.data_ptr()
    if backend.name.startswith(("numpy", "torch", "array_api_strict")):  # libraries that show addresses
        assert same.data_ptr() == x.data_ptr()
        view, theirs = x[3:], torch.arange(12, dtype=torch.float32)[3:]
        assert view.storage_offset() == theirs.storage_offset() == 3
        assert view.data_ptr() - x.data_ptr() == 3 * x.element_size()
        # untyped_storage (AttributeError before: shared-tensor checks before saving compare its data_ptr)
        ours, mine = [(t.untyped_storage(), t[3:].untyped_storage()) for t in (x, torch.arange(12.0))]
        assert [(a.data_ptr() == b.data_ptr(), a.nbytes(), len(b), a.element_size()) for a, b in (ours, mine)] == [
            (True, 48, 48, 1)] * 2
        assert anynn.zeros(3, backend=backend).untyped_storage().data_ptr() != ours[0].data_ptr()
        monkeypatch.setattr(tensor_memory, "_storage_warned", [False])
        with warnings.catch_warnings(record=True) as caught:  # once per process, as PyTorch's (each call before)
            warnings.simplefilter("always")
            assert x[3:].storage().size() == len(x.storage()) == 12
        assert [str(w.message)[:27] for w in caught] == ["TypedStorage is deprecated."]


def test_pin_memory_refuses_without_a_gpu_as_pytorch_and_is_pinned_is_false(backend):
    x = anynn.ones(3, backend=backend)
    assert x.is_pinned() is False and torch.ones(3).is_pinned() is False
    if not torch.cuda.is_available() and not anynn.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            x.pin_memory()


def test_method_twins_of_top_level_functions_match_pytorch(backend):
    rng = np.random.default_rng(0)
    a, b, w = rng.standard_normal((4, 4)) + 4 * np.eye(4), rng.standard_normal((4, 2)), np.array([0.25])
    ours = {name: anynn.tensor(v, backend=backend) for name, v in (("a", a), ("b", b), ("w", w))}
    theirs = {name: torch.tensor(v) for name, v in (("a", a), ("b", b), ("w", w))}
    for m, t in ((anynn, ours), (torch, theirs)):
        lu, pivots = m.linalg.lu_factor(t["a"])
        t["out"] = [t["b"].narrow_copy(0, 1, 2), t["b"].prelu(t["w"]), t["b"].lu_solve(lu, pivots),
                    t["b"].triangular_solve(t["a"].triu())[0]]
    for mine, reference in zip(ours["out"], theirs["out"]):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-10, atol=1e-12)
