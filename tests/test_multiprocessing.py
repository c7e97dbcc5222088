"""`anynn.multiprocessing`, ``Tensor.share_memory_``/``is_shared`` and ``Module.share_memory``: PyTorch's Hogwild
tools. Semantics are compared with PyTorch's; processes are started with fork (cheap) except where the spawn start
is what is tested. No test waits on a clock: every child is joined, every result read back from shared memory."""

from __future__ import annotations

import gc
import os
import sys

import numpy as np
import pytest

import anynn
import anynn.multiprocessing as mp
from anynn import nn

pytestmark = pytest.mark.jax
SHARING = ("numpy", "torch")  # the libraries whose arrays can live in memory other processes map
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fork and descriptor passing are POSIX")


def _shares(backend: anynn.Backend) -> bool:
    return backend.name in SHARING


# -- share_memory_ and is_shared, against PyTorch ------------------------------------------------------------------
def test_share_memory_in_place_as_torch(backend):
    torch = pytest.importorskip("torch")
    values = np.arange(6, dtype=np.float64).reshape(2, 3)
    ours = anynn.tensor(values, backend=backend, dtype="float64", requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    assert ours.is_shared() is theirs.is_shared() is False
    if not _shares(backend):
        with pytest.raises(RuntimeError, match=f"share_memory_: the '{backend.key}' backend cannot"):
            ours.share_memory_()
        assert ours.is_shared() is False
        return
    assert ours.share_memory_() is ours and theirs.share_memory_() is theirs
    assert ours.is_shared() is theirs.is_shared() is True
    assert ours.requires_grad is theirs.requires_grad is True and ours.is_leaf
    assert ours.shape == tuple(theirs.shape) and ours.dtype == backend.dtype("float64")
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    array = ours.array
    assert ours.share_memory_() is ours and ours.array is array  # already shared: nothing moves
    (ours * 2).sum().backward()
    (theirs * 2).sum().backward()
    assert ours.grad.is_shared() is theirs.grad.is_shared() is False  # the gradient stays where it is


def test_share_memory_of_a_non_leaf_and_an_empty_tensor(backend):
    torch = pytest.importorskip("torch")
    if not _shares(backend):
        pytest.skip("only sharing backends")
    x = anynn.ones(3, backend=backend, requires_grad=True)
    y = x * 2
    ty = torch.ones(3, requires_grad=True) * 2
    assert y.share_memory_() is y and ty.share_memory_() is ty
    assert y.is_shared() and ty.is_shared() and y.grad_fn is not None
    empty = anynn.zeros(0, backend=backend)
    assert empty.share_memory_().is_shared() is torch.zeros(0).share_memory_().is_shared() is True


def test_module_share_memory_moves_parameters_buffers_and_gradients_as_torch(backend):
    torch = pytest.importorskip("torch")
    if not _shares(backend):
        with pytest.raises(RuntimeError, match=backend.key):
            nn.Linear(2, 2, backend=backend).share_memory()
        return
    ours = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), backend=backend)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    ours[0].weight.grad = anynn.ones(2, 3, backend=backend)
    theirs[0].weight.grad = torch.ones(2, 3)
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    weight = ours[0].weight
    assert ours.share_memory() is ours and theirs.share_memory() is theirs
    for (name, t), (_, tt) in zip(ours.state_dict(keep_vars=True).items(), theirs.state_dict(keep_vars=True).items()):
        assert t.is_shared() is tt.is_shared() is True, name
        np.testing.assert_array_equal(t.detach().numpy(), before[name])
    assert ours[0].weight is weight  # in place: an optimizer made earlier still updates it
    assert ours[0].weight.grad.is_shared() is theirs[0].weight.grad.is_shared() is True
    assert ours[0].bias.grad is None and theirs[0].bias.grad is None


@pytest.mark.parametrize("name", ["numpy", "numpy-portable", "torch"])
def test_sharing_through_data_moves_the_owner_as_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(2, 2, backend=name), torch.nn.Linear(2, 2)
    for p in ours.parameters():
        p.data.share_memory_()  # a spelling PyTorch programs use
    for p in theirs.parameters():
        p.data.share_memory_()
    assert [p.is_shared() for p in ours.parameters()] == [p.is_shared() for p in theirs.parameters()] == [True] * 2


def test_a_view_taken_before_sharing_keeps_the_old_memory_on_numpy():
    """A documented difference: PyTorch moves the storage (views follow); NumPy arrays cannot change buffer."""
    t = anynn.arange(4.0)
    view = t[1:3]
    t.share_memory_()
    assert not view.is_shared()
    assert t[1:3].is_shared()  # a view taken afterwards is in the segment


def test_object_arrays_cannot_be_shared():
    from anynn.backend.shared_memory import to_shared

    with pytest.raises(TypeError, match="share_memory_: an array of Python objects"):
        to_shared(np.array([object()]))


# -- crossing processes --------------------------------------------------------------------------------------------
def _add_in_child(t: anynn.Tensor, amount: float) -> None:
    with anynn.no_grad():
        t.add_(amount)


@posix_only
@pytest.mark.parametrize("name", ["numpy", "numpy-portable", "torch"])
def test_in_place_ops_in_a_forked_child_are_seen_by_the_parent(name):
    if name == "torch":
        pytest.importorskip("torch")
    t = anynn.tensor([1.0, 2.0, 3.0], backend=name).share_memory_()
    child = mp.get_context("fork").Process(target=_add_in_child, args=(t, 10.0))
    child.start()
    child.join()
    assert child.exitcode == 0
    np.testing.assert_array_equal(t.numpy(), [11.0, 12.0, 13.0])


def test_a_private_array_is_not_seen_by_a_forked_child():
    """The check above can fail: without share_memory_ the child's write stays in the child (copy on write)."""
    t = anynn.tensor([1.0, 2.0])
    child = mp.get_context("fork").Process(target=_add_in_child, args=(t, 10.0))
    child.start()
    child.join()
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def _receive_and_report(inbox, outbox) -> None:
    t = inbox.get()
    with anynn.no_grad():
        t.mul_(2.0)
    outbox.put((type(t).__name__, t.requires_grad, t.is_shared(), t.backend.key))


@posix_only
def test_a_queue_moves_a_tensor_to_shared_memory_and_keeps_class_and_requires_grad():
    ctx = mp.get_context("fork")  # a fork child gets the tensor through the queue too: a descriptor handed over
    inbox, outbox = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_receive_and_report, args=(inbox, outbox))
    child.start()
    p = nn.Parameter(anynn.tensor([1.0, -2.0], backend="numpy-portable"))
    assert not p.is_shared()
    inbox.put(p)
    report = outbox.get()
    child.join()
    assert child.exitcode == 0
    assert report == ("Parameter", True, True, "numpy-portable")
    assert p.is_shared()  # moved in place when it was sent, as PyTorch does
    np.testing.assert_array_equal(p.detach().numpy(), [2.0, -4.0])


@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_a_module_with_a_dropout_generator_crosses_whole(name):
    """What a spawn start sends (read back in this process): parameters over the same memory, and the dropout
    layer's generator by state, so the copy draws the masks the original would draw next."""
    if name == "torch":
        pytest.importorskip("torch")
    from multiprocessing.reduction import ForkingPickler

    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), backend=name)
    x = anynn.ones(2, 3, backend=name)
    model(x)  # makes the dropout layer's generator
    model.share_memory()
    sent = ForkingPickler.dumps(model)
    assert b"Generator" not in bytes(sent)  # a torch.Generator does not rebuild in a spawned process (torch 2.13)
    copy = ForkingPickler.loads(sent)
    assert copy is not model and copy[0].weight is not model[0].weight
    np.testing.assert_array_equal(copy(x).detach().numpy(), model(x).detach().numpy())
    with anynn.no_grad():
        copy[0].bias.fill_(7.0)
    np.testing.assert_array_equal(model[0].bias.detach().numpy(), np.full(4, 7.0, np.float32))


def test_a_non_leaf_that_requires_grad_is_refused_as_torch():
    pytest.importorskip("torch.multiprocessing")  # registers PyTorch's reductions
    from multiprocessing.reduction import ForkingPickler

    import torch

    with pytest.raises(RuntimeError) as theirs:
        ForkingPickler.dumps(torch.ones(2, requires_grad=True) * 2)
    with pytest.raises(RuntimeError) as ours:
        ForkingPickler.dumps(anynn.ones(2, requires_grad=True) * 2)
    assert str(ours.value) == str(theirs.value)
    ForkingPickler.dumps((anynn.ones(2, requires_grad=True) * 2).detach())


def test_a_backend_that_cannot_share_is_named_when_sent():
    from multiprocessing.reduction import ForkingPickler

    with pytest.raises(RuntimeError, match="sending a tensor to another process moves it to shared memory first: "
                                           "share_memory_: the 'array_api_strict' backend cannot"):
        ForkingPickler.dumps(anynn.ones(2, backend="array_api_strict"))


def test_plain_pickle_still_refuses_tensors():
    import pickle

    anynn.ones(2).share_memory_()  # the multiprocessing reductions are registered
    with pytest.raises(TypeError):
        pickle.dumps(anynn.ones(2).share_memory_())


# -- Hogwild: two processes train the parent's parameters -----------------------------------------------------------
def _hogwild_worker(rank: int, model: nn.Module, inputs: anynn.Tensor, steps: int, lock) -> None:
    optimizer = anynn.optim.SGD(model.parameters(), lr=0.125)
    x = inputs[rank]
    for _ in range(steps):
        optimizer.zero_grad()
        model(x).sum().backward()  # the loss is linear in the weights: every step's gradient is the same
        with lock:  # only so that the expected weights are exact (Hogwild itself takes no lock)
            optimizer.step()


@posix_only
@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_hogwild_two_workers_both_update_the_parents_parameters(name):
    if name == "torch":
        pytest.importorskip("torch")
    model = nn.Linear(4, 1, bias=False, backend=name, dtype="float64")
    model.share_memory()
    start = model.weight.detach().numpy().copy()
    inputs = anynn.tensor(np.array([[[1.0, 2.0, 0.0, 0.5]], [[0.0, -1.0, 3.0, 0.25]]]), backend=name,
                          dtype="float64")
    ctx = mp.get_context("fork")
    lock, steps = ctx.Lock(), 5
    workers = [ctx.Process(target=_hogwild_worker, args=(rank, model, inputs, steps, lock)) for rank in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [w.exitcode for w in workers] == [0, 0]
    expected = start - 0.125 * steps * inputs.numpy().sum(axis=(0, 1))
    np.testing.assert_allclose(model.weight.detach().numpy(), expected, rtol=0, atol=1e-12)


# -- spawn and start_processes ---------------------------------------------------------------------------------------
def _spawned_add(rank: int, t: anynn.Tensor) -> None:
    with anynn.no_grad():
        t[rank] += rank + 1


def _spawned_fail(rank: int) -> None:
    if rank == 1:
        raise ValueError("worker one gives up")


@posix_only
def test_spawn_started_children_write_into_the_parents_tensor():
    t = anynn.zeros(2)
    assert mp.spawn(_spawned_add, args=(t,), nprocs=2) is None
    assert t.is_shared()
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def _default_backend_of_new_tensors(rank: int, seen: anynn.Tensor) -> None:
    with anynn.no_grad():
        seen[rank] = 1.0 if anynn.zeros(1).backend.name == "torch" else 2.0


@posix_only
def test_the_default_backend_reaches_fork_children_not_spawned_ones_as_torchs_default_device():
    """A spawned child imports anynn afresh (numpy default), as PyTorch's set_default_device/set_default_dtype do
    not reach spawned children; a fork child has the parent's memory (docs/howto/hogwild.md says so)."""
    seen = anynn.zeros(2, backend="numpy")
    anynn.set_default_backend("torch")
    try:
        mp.start_processes(_default_backend_of_new_tensors, args=(seen,), nprocs=1, start_method="spawn")
        mp.start_processes(_default_backend_of_new_tensors, args=(seen[1:],), nprocs=1, start_method="fork")
    finally:
        anynn.set_default_backend("numpy")
    np.testing.assert_array_equal(seen.numpy(), [2.0, 1.0])  # spawn: numpy again; fork: torch


@posix_only
def test_start_processes_reports_a_childs_exception_as_torch():
    context = mp.start_processes(_spawned_fail, nprocs=2, join=False, start_method="fork")
    assert len(context.pids()) == 2
    with pytest.raises(mp.ProcessRaisedException, match="ValueError: worker one gives up") as raised:
        while not context.join():
            pass
    assert raised.value.error_index == 1 and raised.value.error_pid == context.pids()[1]
    assert not os.path.exists(context.error_files[1])  # read, then removed


def _exit_with_three(rank: int) -> None:
    os._exit(3)


@posix_only
def test_start_processes_reports_an_exit_code():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as raised:
        mp.start_processes(_exit_with_three, nprocs=1, start_method="fork")
    assert raised.value.exit_code == 3 and raised.value.signal_name is None


def test_spawn_warns_about_another_start_method_and_spawns_as_torch(monkeypatch):
    calls = []
    module = sys.modules["anynn.multiprocessing.spawn"]  # the attribute `spawn` is the function, as in PyTorch
    monkeypatch.setattr(module, "start_processes", lambda *args, **kwargs: calls.append((args, kwargs)))
    with pytest.warns(FutureWarning, match="start_processes"):
        mp.spawn(_spawned_fail, nprocs=3, start_method="fork")
    assert calls == [((_spawned_fail, (), 3, True, False), {"start_method": "spawn"})]


# -- the module's surface --------------------------------------------------------------------------------------------
def test_the_standard_modules_names_are_there():
    import multiprocessing

    for name in multiprocessing.__all__:
        assert getattr(mp, name) is getattr(multiprocessing, name), name
    torch_mp = pytest.importorskip("torch.multiprocessing")
    missing = [n for n in torch_mp.__all__ + ["spawn", "start_processes", "ProcessContext",
                                              "ProcessRaisedException", "ProcessExitedException"]
               if not hasattr(mp, n)]
    assert missing == []


def test_sharing_strategies():
    torch_mp = pytest.importorskip("torch.multiprocessing")
    assert mp.get_all_sharing_strategies() <= torch_mp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == torch_mp.get_sharing_strategy() == "file_descriptor"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="'file_system'.*outlive a killed process"):
        mp.set_sharing_strategy("file_system")
    with pytest.raises(AssertionError):
        torch_mp.set_sharing_strategy("no such strategy")
    with pytest.raises(AssertionError, match="unknown sharing strategy 'no such strategy'"):
        mp.set_sharing_strategy("no such strategy")


# -- cleanup: segments have no name, and close with the last array -----------------------------------------------
def _segment_maps_and_fds() -> tuple[int, int]:
    with open("/proc/self/maps", encoding="utf-8") as f:
        maps = sum("anynn-shared" in line for line in f)
    fds = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds += "anynn-shared" in os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass  # closed since listed
    return maps, fds


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd") or not hasattr(os, "memfd_create"), reason="Linux only")
def test_segments_leave_no_file_and_close_with_the_last_array():
    gc.collect()
    maps, fds = _segment_maps_and_fds()
    shm_before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    model = nn.Linear(3, 2).share_memory()
    shared = _segment_maps_and_fds()
    assert shared[0] == maps + 2 and shared[1] > fds  # weight and bias: one mapping each, and their descriptors
    start = model.weight.detach().numpy().copy()
    ctx = mp.get_context("fork")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_receive_and_report, args=(inbox, outbox))
    child.start()
    inbox.put(model.weight)
    outbox.get()
    child.join()
    np.testing.assert_array_equal(model.weight.detach().numpy(), 2 * start)  # the child doubled it
    assert _segment_maps_and_fds() == shared  # the descriptor lent to the child was closed once handed over
    with open("/proc/self/maps", encoding="utf-8") as f:  # the mapping is an anonymous file, not one in /dev/shm
        assert all("/dev/shm" not in line for line in f if "anynn-shared" in line)
    shm_after = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    assert not any("anynn" in name for name in shm_after - shm_before)
    del model
    gc.collect()
    assert _segment_maps_and_fds() == (maps, fds)


def test_a_plain_import_reaches_anynn_multiprocessing_as_torch():
    """``import torch`` is enough for ``torch.multiprocessing``; ``import anynn`` too, loaded on first use."""
    import subprocess

    code = ("import sys, anynn\n"
            "assert 'anynn.multiprocessing' not in sys.modules\n"
            "assert anynn.multiprocessing.Process is sys.modules['anynn.multiprocessing'].Process\n"
            "try:\n    anynn.no_such_name\nexcept AttributeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "module 'anynn' has no attribute 'no_such_name'" in out
