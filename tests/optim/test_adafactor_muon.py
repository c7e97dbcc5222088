"""Adafactor and Muon against torch.optim on the same weights and gradients; their option checks and refusals; the
bfloat16 rounding Muon's Newton-Schulz iteration runs in (portable, NumPy's bit path and torch's cast agree)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend.numpy_backend import _bfloat16_rounded
from anynn.backend.portable import bfloat16_rounded
from anynn.nn.module import Parameter
from anynn.optim import Adafactor, Muon

pytestmark = pytest.mark.jax

ADAFACTOR_SHAPES = [(3, 4), (4,), (2, 3, 5), ()]  # factored matrices (a stack too), a vector and a scalar
MUON_SHAPES = [(6, 4), (3, 8), (5, 5)]  # tall (iterated transposed), wide and square
STEPS = 12


def _run(backend, cls, torch_cls, shapes, options, dtype, seed=0, steps=STEPS):
    """Both optimizers fed the same gradients; the parameters after each step, (anynn, torch), as host arrays."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    ours = [Parameter(w, backend=backend, dtype=dtype) for w in weights]
    theirs = [torch.tensor(w, dtype=getattr(torch, dtype), requires_grad=True) for w in weights]
    lr = options.get("lr")
    our_options = dict(options, lr=anynn.tensor(float(lr), backend=backend)) if torch.is_tensor(lr) else options
    ours_opt, theirs_opt = cls(ours, **our_options), torch_cls(theirs, **options)
    history = []
    for step_grads in grads:
        for p, q, g in zip(ours, theirs, step_grads):
            p.grad = anynn.tensor(g, backend=backend, dtype=dtype)
            q.grad = torch.tensor(g, dtype=getattr(torch, dtype))
        ours_opt.step()
        theirs_opt.step()
        history.append(([p.numpy().copy() for p in ours], [q.detach().numpy().copy() for q in theirs]))
    return history, ours_opt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", [
    dict(), dict(lr=0.05, weight_decay=0.1), dict(maximize=True, d=1.5, eps=(1e-20, 1e-2)),
    dict(beta2_decay=-0.5, lr=torch.tensor(0.02), weight_decay=0.05),  # a float32 lr Tensor: PyTorch's float32 steps
], ids=["default", "decay", "maximize-d-eps", "tensor-lr"])
def test_adafactor_matches_torch(backend, options, dtype):
    history, _ = _run(backend, Adafactor, torch.optim.Adafactor, ADAFACTOR_SHAPES, options, dtype)
    tol = dict(rtol=1e-10, atol=1e-13) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    for step, (ours, theirs) in enumerate(history):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, err_msg=f"step {step}", **tol)
            assert a.dtype == b.dtype


@pytest.mark.parametrize("options, dtype", [
    (dict(), "float32"), (dict(lr=0.02, weight_decay=0.0, nesterov=False), "float64"),
    (dict(lr=0.05, momentum=0.9, adjust_lr_fn="match_rms_adamw", ns_steps=3), "float32"),
    (dict(lr=torch.tensor(0.01), weight_decay=0.2), "float64"),
], ids=["default-float32", "plain-momentum-float64", "match-rms-adamw-float32", "tensor-lr-float64"])
def test_muon_matches_torch(backend, options, dtype):
    """The iteration runs in bfloat16 as PyTorch's, so the updates agree to the last bit but where an accumulation
    order tips one rounding: one bfloat16 step (2^-8 relative) of one entry of an update, at most."""
    history, opt = _run(backend, Muon, torch.optim.Muon, MUON_SHAPES, options, dtype, steps=6)
    for step, (ours, theirs) in enumerate(history):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=0, atol=2e-4, err_msg=f"step {step}")
            assert a.dtype == b.dtype
    assert sorted(opt.state_dict()["state"][0]) == ["momentum_buffer"]


def test_adafactor_state_round_trip_continues_identically():
    history, opt = _run("numpy", Adafactor, torch.optim.Adafactor, ADAFACTOR_SHAPES, dict(lr=0.05), "float64")
    saved = opt.state_dict()
    assert sorted(saved["state"][0]) == ["col_var", "row_var", "step"] and sorted(saved["state"][1]) == [
        "step", "variance"]
    assert tuple(saved["state"][2]["row_var"].shape) == (2, 3, 1) and tuple(saved["state"][2]["col_var"].shape) == (
        2, 1, 5)
    params = opt.param_groups[0]["params"]
    clones = [Parameter(p.numpy(), dtype="float64") for p in params]
    resumed = Adafactor(clones, lr=1.0)
    resumed.load_state_dict(saved)
    rng = np.random.default_rng(7)
    for _ in range(3):
        for p, q in zip(params, clones):
            p.grad = q.grad = anynn.tensor(rng.standard_normal(tuple(p.shape)), dtype="float64")
        opt.step()
        resumed.step()
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(q.numpy(), p.numpy())


@pytest.mark.parametrize("cls, options, match", [
    (Adafactor, dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
    (Adafactor, dict(beta2_decay=0.5), "beta2_decay should be <= 0"),
    (Adafactor, dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0"),
    (Adafactor, dict(eps=(None, -1.0)), "epsilon2 should be >= 0"),
    (Adafactor, dict(d=0.5), "Clipping threshold d should be >= 1"),
    (Adafactor, dict(weight_decay=-0.1), "weight_decay should be >= 0"),
    (Muon, dict(lr=-1.0), "Learning rate should be >= 0"),
    (Muon, dict(momentum=-0.5), "momentum should be >= 0"),
    (Muon, dict(weight_decay=-0.1), "weight decay should be >= 0"),
    (Muon, dict(adjust_lr_fn="spectral"), "Adjust learning rate function spectral is not supported"),
])
def test_bad_options_as_torch(cls, options, match):
    with pytest.raises(ValueError, match=match):
        cls([Parameter(np.ones((2, 3)))], **options)
    with pytest.raises(ValueError, match=match):  # the oracle raises the same
        getattr(torch.optim, cls.__name__)([torch.ones(2, 3, requires_grad=True)], **options)


def test_muon_refuses_what_is_not_a_matrix_and_complex_parameters():
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters .* size: \(3,\)"):
        Muon([Parameter(np.ones((2, 3))), Parameter(np.ones(3))])
    for cls in (Muon, Adafactor):
        p = Parameter(np.ones((2, 2)) + 1j)
        p.grad = anynn.ones_like(p)
        with pytest.raises(RuntimeError, match=f"{cls.__name__} does not support complex parameters"):
            cls([p]).step()
        np.testing.assert_array_equal(p.numpy(), np.ones((2, 2)) + 1j)


def test_bfloat16_rounding_as_torchs_cast():
    rng = np.random.default_rng(0)
    magnitudes = 10.0 ** rng.integers(-30, 30, 4000)
    edges = [0.0, -0.0, np.inf, -np.inf, 1.0, 1.00390625, 1.01171875, -3.0, 2.0 ** -126, 3.0e38]
    x = np.concatenate([rng.standard_normal(4000) * magnitudes, edges]).astype(np.float32)
    expected = torch.from_numpy(x).bfloat16().float().numpy()
    np.testing.assert_array_equal(_bfloat16_rounded(x), expected)
    np.testing.assert_array_equal(bfloat16_rounded(anynn.get_backend("numpy").xp, x), expected)
    assert np.isnan(_bfloat16_rounded(np.array([np.nan], np.float32))[0])


@pytest.mark.parametrize("name", ["Adafactor", "Adagrad", "Adadelta", "Adamax", "ASGD", "NAdam", "RAdam", "RMSprop",
                                  "Rprop", "SGD", "Adam", "Lion"])
def test_a_scalar_parameter_stays_an_array(name):
    """NumPy's arithmetic on 0-d arrays returns scalars: Adagrad and Adafactor left a 0-d parameter's data a
    ``numpy.float32`` (``p.numpy()`` not an ndarray, as PyTorch's is)."""
    p = Parameter(np.array(1.5, dtype=np.float32))
    p.grad = anynn.tensor(0.5)
    getattr(anynn.optim, name)([p], lr=0.1).step()
    assert type(p.numpy()) is np.ndarray and p.numpy().shape == () and p.dtype == anynn.float32


@pytest.mark.parametrize("options", [dict(), dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, maximize=True)],
                         ids=["default", "options"])
def test_sparse_adam_on_a_sparse_embedding_matches_torch(backend, options):
    """``Embedding(sparse=True)`` and ``SparseAdam`` (refused / missing before): a word2vec-style table of which
    each step looks up a few rows; the rows not looked up keep their values and moments, as PyTorch's."""
    rng = np.random.default_rng(3)
    table = rng.standard_normal((10, 4))
    theirs = torch.nn.Embedding(10, 4, sparse=True, dtype=torch.float64)
    ours = anynn.nn.Embedding(10, 4, sparse=True, backend=backend, dtype="float64")
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(table))
    ours.weight.data = anynn.tensor(table, backend=backend, dtype="float64")
    their_opt = torch.optim.SparseAdam(theirs.parameters(), **options)
    our_opt = anynn.optim.SparseAdam(ours.parameters(), **options)
    for _ in range(6):
        rows = rng.integers(0, 10, size=(3, 2))  # repeats: a row's gradients add up (PyTorch coalesces them)
        target = rng.standard_normal((3, 2, 4))
        for model, opt, lib, kind in ((theirs, their_opt, torch, None), (ours, our_opt, anynn, backend)):
            opt.zero_grad()
            given = dict(backend=kind) if kind is not None else {}
            out = model(lib.tensor(rows, **given))
            ((out - lib.tensor(target, **given)) ** 2).sum().backward()
            opt.step()
        np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert their_opt.state_dict()["state"][0]["step"] == our_opt.state_dict()["state"][0]["step"] == 6


def test_sparse_lookups_give_dense_gradients():
    weight = anynn.ones(5, 2, requires_grad=True)
    anynn.nn.functional.embedding(anynn.tensor([1, 1, 3]), weight, sparse=True).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [0, 2, 0, 1, 0])
    bag = anynn.nn.EmbeddingBag(5, 2, mode="sum", sparse=True)
    bag(anynn.tensor([[0, 4]])).sum().backward()
    np.testing.assert_array_equal(bag.weight.grad.numpy()[:, 0], [1, 0, 0, 0, 1])
