"""PyTorch's ``torch.distributed`` names over anynn's world: one process against torch's one-process gloo group, and
several ranks (threads joined by the in-process transport of `fake_collectives`) against one process."""

from __future__ import annotations

import functools
import gc
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist

import anynn
import anynn.distributed as dist
from anynn import nn, optim
from anynn.distributed import comm
from tests.distributed.fake_collectives import ThreadGroup


@pytest.fixture
def fresh_world():
    """No anynn Context before or after the test (init_process_group joins one)."""
    comm.reset()
    yield
    comm.reset()


def test_porting_imports_resolve():
    # the import lines of nanoGPT's train.py, build-nanogpt and pytorch/examples imagenet, after the swap
    from anynn.distributed import destroy_process_group, init_process_group  # noqa: F401
    from anynn.nn.parallel import DistributedDataParallel  # noqa: F401
    from anynn.utils.data.distributed import DistributedSampler  # noqa: F401

    assert anynn.distributed.is_available() and anynn.nn.parallel.DistributedDataParallel is DistributedDataParallel
    assert anynn.utils.data.DistributedSampler is DistributedSampler  # DINO's and MoCo's spelling, as torch's
    assert torch.utils.data.DistributedSampler is torch.utils.data.distributed.DistributedSampler


def test_default_group_must_be_initialised_as_torch(fresh_world):
    for lib in (dist, torch_dist):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            lib.get_rank()


def test_one_process_world_matches_torch_gloo(fresh_world, tmp_path, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    torch_dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        dist.init_process_group("gloo")
        assert (dist.get_rank(), dist.get_world_size()) == (torch_dist.get_rank(), torch_dist.get_world_size())
        assert dist.is_initialized() and torch_dist.is_initialized()
        rng = np.random.default_rng(0)
        values = rng.standard_normal((3, 2))
        ours, theirs = anynn.tensor(values, dtype="float64"), torch.tensor(values)
        for op_ours, op_theirs in ((dist.ReduceOp.SUM, torch_dist.ReduceOp.SUM), (dist.ReduceOp.AVG, None),
                                   (dist.ReduceOp.MAX, torch_dist.ReduceOp.MAX)):
            dist.all_reduce(ours, op=op_ours)
            if op_theirs is not None:  # gloo has no AVG
                torch_dist.all_reduce(theirs, op=op_theirs)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        dist.broadcast(ours, src=0)
        dist.barrier()

        torch.manual_seed(0)
        t_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
        model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
        t_ddp = torch.nn.parallel.DistributedDataParallel(t_model)
        ddp = anynn.nn.parallel.DistributedDataParallel(model)
        assert list(ddp.state_dict()) == list(t_ddp.state_dict())
        assert ddp.module is model
        t_opt, opt = torch.optim.SGD(t_ddp.parameters(), lr=0.1), optim.SGD(ddp.parameters(), lr=0.1)
        x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
        for step in range(3):
            for m, lib, opt_ in ((ddp, anynn, opt), (t_ddp, torch, t_opt)):
                def loss(rows, m=m, lib=lib):
                    return ((m(lib.tensor(x[rows], dtype=lib.float64)) - lib.tensor(y[rows], dtype=lib.float64))
                            ** 2).mean()

                opt_.zero_grad()
                if step == 1:  # gradient accumulation: the first half without averaging
                    with m.no_sync():
                        loss(slice(0, 8)).backward()
                    loss(slice(8, 16)).backward()
                else:
                    loss(slice(0, 16)).backward()
                opt_.step()
        for (name, ours_p), theirs_p in zip(ddp.named_parameters(), t_ddp.parameters()):
            np.testing.assert_allclose(ours_p.detach().numpy(), theirs_p.detach().numpy(), rtol=1e-12, err_msg=name)
        dist.destroy_process_group()
        assert not dist.is_initialized()
    finally:
        # torch's DDP Reducer must go before its gloo group: destroyed after it (when the test's locals go), the
        # group's destructor can wait forever on its worker thread (a hang seen in CI)
        t_ddp = t_opt = m = opt_ = loss = None  # noqa: F841 - the loop's names and the closure hold them too
        gc.collect()
        torch_dist.destroy_process_group()


def test_torchrun_launch_is_refused_naming_mpiexec(fresh_world, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "4")
    with pytest.raises(RuntimeError, match="mpiexec -n 4"):
        dist.init_process_group("nccl")
    # the backend questions scripts ask first (AttributeError before), as PyTorch's CPU build answers them
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    for name in ("is_gloo_available", "is_torchelastic_launched"):
        assert getattr(dist, name)() is getattr(torch_dist, name)(), name
    assert dist.is_backend_available("gloo") and not dist.is_backend_available("ucc")
    if not anynn.cuda.is_available():
        assert dist.is_nccl_available() is False
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # a core install: the refusal names the extra
    monkeypatch.setattr(dist.torch_api.importlib.util, "find_spec", lambda name: None)
    assert dist.is_mpi_available() is False
    with pytest.raises((ImportError, RuntimeError), match=r"pip install 'anynn\[mpi\]'"):
        dist.init_process_group("gloo")


def test_bad_arguments_are_refused(fresh_world, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ValueError, match="world of 1"):
        dist.init_process_group("gloo", world_size=2, rank=1)
    dist.init_process_group("gloo")
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(anynn.ones(2), op="sum")
    with pytest.raises(ValueError, match="src must be a rank"):
        dist.broadcast(anynn.ones(2), src=3)
    with pytest.raises(TypeError, match="Module"):
        anynn.nn.parallel.DistributedDataParallel(lambda x: x)


def test_ranks_average_gradients_as_one_process_on_the_whole_batch(backend):
    # three ranks, each with a third of the batch (and rank 0's weights after wrapping), step as one process with
    # the whole batch; no_sync accumulates locally and the next synchronised backward averages the sum
    ranks, rng = 3, np.random.default_rng(1)
    x, y = rng.standard_normal((12, 4)), rng.standard_normal((12, 2))
    start = [rng.standard_normal((2, 4)), rng.standard_normal(2)]
    group = ThreadGroup(ranks)

    def make_model(seed_shift):
        model = nn.Linear(4, 2, backend=backend, dtype="float64")
        model.load_state_dict({"weight": start[0] + seed_shift, "bias": start[1]})
        return model

    def loss_of(model, rows):
        return ((model(anynn.tensor(x[rows], backend=backend, dtype="float64"))
                 - anynn.tensor(y[rows], backend=backend, dtype="float64")) ** 2).sum()

    def rank_run(rank):
        ctx = group.context(rank, anynn.get_backend(backend))
        ddp = anynn.nn.parallel.DistributedDataParallel(make_model(float(rank)), process_group=ctx)
        opt = optim.SGD(ddp.parameters(), lr=0.01)
        shard = slice(4 * rank, 4 * rank + 4)
        opt.zero_grad()
        loss_of(ddp, shard).backward()
        opt.step()
        opt.zero_grad()
        with ddp.no_sync():
            loss_of(ddp, slice(4 * rank, 4 * rank + 2)).backward()
        loss_of(ddp, slice(4 * rank + 2, 4 * rank + 4)).backward()
        opt.step()
        value = anynn.tensor(np.full(2, float(rank)), backend=backend, dtype="float64")
        dist.all_reduce(value, op=dist.ReduceOp.AVG, group=ctx)
        return [p.numpy() for p in ddp.parameters()], value.numpy()

    results = group.run(rank_run)
    single = make_model(0.0)
    opt = optim.SGD(single.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        (loss_of(single, slice(0, 12)) / ranks).backward()
        opt.step()
    for params, mean in results:
        for ours, want in zip(params, single.parameters()):
            np.testing.assert_allclose(ours, want.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(mean, [1.0, 1.0])


def test_all_gather_one_process_as_torch_gloo(fresh_world, tmp_path, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    torch_dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        dist.init_process_group("gloo")
        values = np.random.default_rng(2).standard_normal((3, 2))
        ours, theirs = [anynn.zeros(3, 2, dtype=anynn.float64)], [torch.zeros(3, 2, dtype=torch.float64)]
        dist.all_gather(ours, anynn.tensor(values, dtype="float64"))
        torch_dist.all_gather(theirs, torch.tensor(values))
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
        with pytest.raises(ValueError, match=r"all_gather: tensor_list must hold one Tensor per rank \(1\), got 2"):
            dist.all_gather([anynn.zeros(3, 2), anynn.zeros(3, 2)], anynn.ones(3, 2))
        with pytest.raises(ValueError, match=r"tensor_list\[0\] must be a Tensor of the input's shape \(3, 2\)"):
            dist.all_gather([anynn.zeros(2, 3)], anynn.ones(3, 2))
    finally:
        torch_dist.destroy_process_group()


def test_all_gather_gives_every_rank_every_ranks_tensor(backend):
    ranks, group = 3, ThreadGroup(3)
    values = np.random.default_rng(3).standard_normal((ranks, 2, 3))

    def rank_run(rank):
        ctx = group.context(rank, anynn.get_backend(backend))
        gathered = [anynn.zeros(2, 3, backend=backend, dtype="float64") for _ in range(ranks)]
        dist.all_gather(gathered, anynn.tensor(values[rank], backend=backend, dtype="float64"), group=ctx)
        return np.stack([g.numpy() for g in gathered])

    for result in group.run(rank_run):
        np.testing.assert_array_equal(result, values)


# -- torch.distributed.nn: differentiable collectives ------------------------------------------------------------
def _differentiable_collectives(backend, ranks, call):
    """``call(dist_nn, x, ctx, rank)`` -> outputs on each of ``ranks`` threads, each x_r its own (3,) leaf; the loss
    of rank r is sum_k (out_k * w[r, k]); returns each rank's (outputs, x.grad)."""
    from anynn.distributed import nn as dist_nn  # lucidrains' LFQ: ``from torch.distributed import nn as dist_nn``

    group = ThreadGroup(ranks)
    values = np.random.default_rng(4).standard_normal((ranks, 3))
    weights = np.random.default_rng(5).standard_normal((ranks, ranks, 3))

    def rank_run(rank):
        ctx = group.context(rank, anynn.get_backend(backend))
        x = anynn.tensor(values[rank], backend=backend, dtype="float64", requires_grad=True)
        outs = call(dist_nn, x, ctx, rank)
        outs = outs if isinstance(outs, tuple) else (outs,)
        loss = sum((o * anynn.tensor(weights[rank, k], backend=backend)).sum() for k, o in enumerate(outs))
        loss.backward()
        return [o.detach().numpy() for o in outs], x.grad.numpy()

    return values, weights, group.run(rank_run)


def test_distributed_nn_all_reduce_sends_gradients_to_every_rank(backend):
    values, weights, results = _differentiable_collectives(backend, 3, lambda d, x, ctx, r: d.all_reduce(x, group=ctx))
    for outs, grad in results:
        np.testing.assert_allclose(outs[0], values.sum(0), rtol=1e-12)
        np.testing.assert_allclose(grad, weights[:, 0].sum(0), rtol=1e-12)  # d(sum_r w_r . y)/dx_rank
    _, _, averaged = _differentiable_collectives(
        backend, 2, lambda d, x, ctx, r: d.all_reduce(x, op=dist.ReduceOp.AVG, group=ctx))
    np.testing.assert_allclose(averaged[1][1], np.random.default_rng(5).standard_normal((2, 2, 3))[:, 0].mean(0))


def test_distributed_nn_all_gather_and_broadcast_send_each_gradient_to_its_rank(backend):
    values, weights, results = _differentiable_collectives(backend, 3, lambda d, x, ctx, r: d.all_gather(x, group=ctx))
    for rank, (outs, grad) in enumerate(results):
        np.testing.assert_array_equal(np.stack(outs), values)
        np.testing.assert_allclose(grad, weights[:, rank].sum(0), rtol=1e-12)  # every rank's weight on slot `rank`
    values, weights, results = _differentiable_collectives(
        backend, 3, lambda d, x, ctx, r: d.broadcast(x * 1, src=1, group=ctx))
    for rank, (outs, grad) in enumerate(results):
        np.testing.assert_array_equal(outs[0], values[1])
        np.testing.assert_allclose(grad, weights[:, 0].sum(0) if rank == 1 else 0.0, rtol=1e-12)


def test_distributed_nn_one_process_as_torch_gloo(fresh_world, tmp_path, monkeypatch, backend):
    """One process: values and gradients pass through, as torch.distributed.nn's on a one-process gloo group; float64
    central differences through each (the Functions' gradient checks); the default group must exist first."""
    from anynn.distributed.nn import functional as ours
    from torch.distributed.nn import functional as theirs

    from tests.helpers import check_gradients

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    x = np.random.default_rng(6).standard_normal((2, 3))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        ours.all_reduce(anynn.tensor(x))
    torch_dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        dist.init_process_group("gloo")
        calls = [lambda m, t: m.all_reduce(t * 2) * t, lambda m, t: m.all_gather(t.sin())[0] * t,
                 lambda m, t: m.broadcast(t.exp(), 0) * t]
        # torch.distributed.nn binds group.WORLD as a default when it is first imported: a group an earlier test
        # made and destroyed in this worker; its calls get this test's group
        world = SimpleNamespace(**{name: functools.partial(getattr(theirs, name), group=torch_dist.group.WORLD)
                                   for name in ("all_reduce", "all_gather", "broadcast")})
        for call in calls:
            a = anynn.tensor(x, backend=backend, requires_grad=True)
            b = torch.tensor(x, requires_grad=True)
            out_a, out_b = call(ours, a), call(world, b)
            out_a.sum().backward()
            out_b.sum().backward()
            np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
            check_gradients(backend, lambda t, call=call: call(ours, t), x)
    finally:
        torch_dist.destroy_process_group()


def test_zero_redundancy_optimizer_steps_as_its_optimizer_class():
    """from torch.distributed.optim import ZeroRedundancyOptimizer (llm.c's train_gpt2.py imports it at the top;
    ModuleNotFoundError before): in one process PyTorch's ZeRO is its optimizer_class, groups added later and LR
    schedulers included, and so is anynn's on every rank (anynn's AdamW is checked against torch's elsewhere; a torch
    optimizer here would import TorchDynamo, seconds of this test)."""
    from anynn.distributed.optim import ZeroRedundancyOptimizer

    rng = np.random.default_rng(0)
    w, b, x = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal((5, 4))
    results = []
    for zero in (False, True):
        weight, bias = nn.Parameter(anynn.tensor(w)), nn.Parameter(anynn.tensor(b))
        options = dict(lr=0.1, betas=(0.9, 0.95), weight_decay=0.1)
        optimizer = (ZeroRedundancyOptimizer([weight], optimizer_class=optim.AdamW, **options) if zero
                     else optim.AdamW([weight], **options))
        optimizer.add_param_group({"params": [bias], "weight_decay": 0.0})
        scheduler = optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
        for _ in range(3):
            optimizer.zero_grad()
            ((anynn.tensor(x) @ weight.t() + bias) ** 2).sum().backward()
            optimizer.step()
            scheduler.step()
        results.append([weight.detach().numpy(), bias.detach().numpy(), optimizer.param_groups[1]["lr"]])
    for ours, plain in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, plain)
    assert results[0][2] == 0.1 / 8
    optimizer.consolidate_state_dict(to=0)
    optimizer.load_state_dict(optimizer.state_dict())
    assert optimizer.state is optimizer.optim.state and len(optimizer.state_dict()["state"]) == 2
    with pytest.raises(NotImplementedError, match="overlap_with_ddp"):
        ZeroRedundancyOptimizer([weight], optim.SGD, overlap_with_ddp=True, lr=0.1)
