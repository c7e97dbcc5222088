"""LBFGS against torch.optim.LBFGS: the same closure (Rosenbrock, a quadratic, a small MLP) from the same
weights, with and without the strong-Wolfe line search, on every backend; state round trips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import get_backend
from anynn.nn.module import Parameter
from anynn.optim import LBFGS
from anynn.optim.line_search import cubic_interpolate
from torch.optim.lbfgs import _cubic_interpolate


def _rosen_ours(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _quadratic_data(seed=0, n=6):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n), rng.standard_normal(n), rng.standard_normal(n)


def _run_ours(backend, problem, options, steps, dtype="float64", share=False):
    """The parameters after each ``step(closure)`` and the returned losses (``share``: in shared memory first)."""
    if problem == "rosenbrock":
        params = [Parameter(np.array([-1.5, 2.0]), backend=backend, dtype=dtype)]

        def loss_fn():
            return _rosen_ours(params[0])
    elif problem == "quadratic":
        A, b, x0 = _quadratic_data()
        params = [Parameter(x0, backend=backend, dtype=dtype)]
        A_t, b_t = anynn.tensor(A, backend=backend, dtype=dtype), anynn.tensor(b, backend=backend, dtype=dtype)

        def loss_fn():
            x = params[0]
            return 0.5 * (x * (A_t @ x)).sum() - (b_t * x).sum()
    else:
        model, data, target = _mlp(anynn.nn, lambda a: anynn.tensor(a, backend=backend, dtype=dtype), backend)
        params = list(model.parameters())

        def loss_fn():
            return ((model(data) - target) ** 2).mean()
    if share:
        for p in params:
            p.share_memory_()
    opt = LBFGS(params, **options)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    history, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        history.append([p.numpy().copy() for p in params])
    return history, losses, opt, params, closure


def _run_torch(problem, options, steps, dtype="float64"):
    tdtype = getattr(torch, dtype)
    if problem == "rosenbrock":
        params = [torch.tensor([-1.5, 2.0], dtype=tdtype, requires_grad=True)]

        def loss_fn():
            return _rosen_ours(params[0])
    elif problem == "quadratic":
        A, b, x0 = _quadratic_data()
        params = [torch.tensor(x0, dtype=tdtype, requires_grad=True)]
        A_t, b_t = torch.tensor(A, dtype=tdtype), torch.tensor(b, dtype=tdtype)

        def loss_fn():
            x = params[0]
            return 0.5 * (x * (A_t @ x)).sum() - (b_t * x).sum()
    else:
        model, data, target = _mlp(torch.nn, lambda a: torch.tensor(a, dtype=tdtype), None)
        params = list(model.parameters())

        def loss_fn():
            return ((model(data) - target) ** 2).mean()
    opt = torch.optim.LBFGS(params, **options)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    history, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        history.append([p.detach().numpy().copy() for p in params])
    return history, losses


def _mlp(nn, make, backend):
    """Linear(3, 8) - Tanh - Linear(8, 2) with fixed weights, and a fixed batch."""
    rng = np.random.default_rng(7)
    shapes = [(8, 3), (8,), (2, 8), (2,)]
    values = [0.5 * rng.standard_normal(s) for s in shapes]
    data, target = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    if backend is None:
        model = model.double()
        with torch.no_grad():
            for p, v in zip(model.parameters(), values):
                p.copy_(torch.tensor(v))
    else:
        model = model.to(backend) if backend != get_backend("numpy") else model
        for p, v in zip(model.parameters(), values):
            p.data = make(v).data
    return model, make(data), make(target)


# (problem, options, outer steps, rtol). Rosenbrock is ill-conditioned: rounding differences of 1e-16
# (a dot product summed in another order) grow by about 10x every few iterations, so its long runs get a
# looser tolerance, and short runs of one or two iterations per step check the algorithm tightly.
CASES = [
    ("rosenbrock", dict(lr=1, max_iter=1), 14, 1e-12),
    ("rosenbrock", dict(lr=1, max_iter=2, line_search_fn="strong_wolfe"), 16, 1e-12),
    ("rosenbrock", dict(lr=1, max_iter=20, line_search_fn="strong_wolfe"), 20, 1e-5),
    ("rosenbrock", dict(lr=0.5, max_iter=5, history_size=3, line_search_fn="strong_wolfe"), 20, 1e-5),
    ("quadratic", dict(lr=0.3, max_iter=4, history_size=2), 20, 1e-10),
    ("quadratic", dict(max_iter=10, line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-14),
     20, 1e-10),
    ("mlp", dict(lr=0.5, max_iter=10, history_size=5), 6, 1e-10),
    ("mlp", dict(lr=1, max_iter=20, max_eval=15, history_size=10, line_search_fn="strong_wolfe"), 4, 1e-10),
]


@pytest.mark.parametrize("problem, options, steps, rtol", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch_lbfgs(backend, problem, options, steps, rtol):
    ours, our_losses, opt, _, _ = _run_ours(backend, problem, options, steps)
    theirs, their_losses = _run_torch(problem, options, steps)
    atol = rtol * 0.1  # near a minimum the rounding noise is absolute
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol, atol=atol)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"step {step}")
    assert opt.state[id(opt.param_groups[0]["params"][0])]["n_iter"] >= steps


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_complex_parameter_matches_torch(backend, line_search_fn):
    """A complex parameter beside a real one, flattened as its real view (re, im pairs) as PyTorch's: anynn cast
    the complex gradient to real (dropping its imaginary part)."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    a = a @ a.conj().T + np.eye(3)
    b = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    w0, v0 = rng.standard_normal(3) + 0.5j, rng.standard_normal(2)

    def run(lib, w, v, opt):
        def closure():
            opt.zero_grad()
            const = torch.tensor if lib is torch else (lambda x: anynn.tensor(x, backend=backend))
            r = const(a) @ w - const(b)
            loss = (r.conj() * r).real.sum() + (v ** 4).sum()
            loss.backward()
            return loss
        return closure

    tw, tv = torch.tensor(w0, requires_grad=True), torch.tensor(v0, requires_grad=True)
    ow, ov = Parameter(np.asarray(w0), backend=backend), Parameter(v0, backend=backend)
    theirs = torch.optim.LBFGS([tw, tv], lr=0.5, max_iter=4, line_search_fn=line_search_fn)
    ours = LBFGS([ow, ov], lr=0.5, max_iter=4, line_search_fn=line_search_fn)
    for _ in range(2):
        theirs.step(run(torch, tw, tv, theirs))
        ours.step(run(anynn, ow, ov, ours))
        np.testing.assert_allclose(ow.numpy(), tw.detach().numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ov.numpy(), tv.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_shared_parameters_stay_in_shared_memory(name):
    """Hogwild (``share_memory()``): the steps and the line search write into the shared arrays, with torch's
    numbers."""
    problem, options, steps, rtol = CASES[-1]
    ours, _, _, params, _ = _run_ours(name, problem, options, steps, share=True)
    theirs, _ = _run_torch(problem, options, steps)
    assert all(p.is_shared() for p in params)
    for x, y in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * 0.1)


def test_rosenbrock_converges_float32(backend):
    options = dict(lr=1, max_iter=50, line_search_fn="strong_wolfe")
    ours, _, _, params, _ = _run_ours(backend, "rosenbrock", options, 3, dtype="float32")
    theirs, _ = _run_torch("rosenbrock", options, 3, dtype="float32")
    assert params[0].dtype == backend.dtype("float32")
    np.testing.assert_allclose(ours[-1][0], [1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(ours[-1][0], theirs[-1][0], atol=1e-3)


def _quartic_float32_steps(lib, make):
    """Five strong-Wolfe steps on sum(w^4 - w) in float32: (evaluations, iterations, max |grad|, t) after each."""
    w = make(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32) * 0.5)
    opt = lib.optim.LBFGS([w], lr=0.5, line_search_fn="strong_wolfe", history_size=3, max_iter=5)

    def closure():
        opt.zero_grad()
        loss = (w ** 4 - w).sum()
        loss.backward()
        return loss

    seen = []
    for _ in range(5):
        opt.step(closure)
        state = opt.state[w]
        seen.append((state["func_evals"], state["n_iter"], float(w.grad.abs().max()), float(state["t"])))
    return seen


def test_strong_wolfe_float32_keeps_pytorchs_steps_near_a_minimum(backend):
    # the search's scalars round to float32 as PyTorch's 0-d tensors: in float64 the third step took one
    # evaluation more and a zero step, and the gradient stalled at 1e-3 where PyTorch's keeps halving
    ours = _quartic_float32_steps(anynn, lambda a: anynn.tensor(a, backend=backend, requires_grad=True))
    theirs = _quartic_float32_steps(torch, lambda a: torch.tensor(a, requires_grad=True))
    assert [s[:2] + s[3:] for s in ours] == [s[:2] + s[3:] for s in theirs]
    np.testing.assert_allclose([s[2] for s in ours], [s[2] for s in theirs], rtol=2e-3)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip(backend, line_search_fn):
    options = dict(lr=0.8, max_iter=3, history_size=4, line_search_fn=line_search_fn)
    _, _, opt, params, closure = _run_ours(backend, "rosenbrock", options, 2)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0] and len(saved["state"][0]["old_dirs"]) > 0
    clone = [Parameter(params[0].numpy(), backend=backend, dtype="float64")]
    resumed = LBFGS(clone, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.8

    def clone_closure():
        resumed.zero_grad()
        loss = _rosen_ours(clone[0])
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
        resumed.step(clone_closure)
    np.testing.assert_allclose(clone[0].numpy(), params[0].numpy(), rtol=1e-13, atol=1e-15)
    # the saved dict is a snapshot: the history it holds did not change with the later steps
    assert len(saved["state"][0]["old_dirs"]) <= 4


@pytest.mark.parametrize("args", [
    (0.0, 1.0, -2.0, 1.0, 0.5, 1.0, None), (1.0, 0.5, 1.0, 0.0, 1.0, -2.0, None),
    (0.0, 1.0, -1.0, 2.0, 3.0, -5.0, (2.02, 20.0)), (0.0, 0.0, -1.0, 1.0, 10.0, 30.0, None),
])
def test_cubic_interpolate_matches_torch(args):
    *values, bounds = args
    expected = _cubic_interpolate(*[torch.tensor(v, dtype=torch.float64) for v in values], bounds=bounds)
    assert cubic_interpolate(*values, bounds=bounds) == pytest.approx(float(expected), rel=1e-14)


def test_errors():
    params = [Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="line_search_fn"):
        LBFGS(params, line_search_fn="armijo")
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([{"params": params}, {"params": [Parameter(np.zeros(1))], "lr": 0.1}])
    with pytest.raises(RuntimeError, match="closure"):
        LBFGS(params).step(None)
    assert LBFGS(params, max_iter=8).param_groups[0]["max_eval"] == 10


def test_lstm_cell_sequence_matches_torch():
    """The time-sequence-prediction example's setting: an LSTMCell unrolled over a sine wave, trained by
    LBFGS with the strong-Wolfe search (a few steps, float64)."""
    rng = np.random.default_rng(3)
    series = np.sin(np.arange(12)[None, :] / 2.0 + rng.uniform(0, 3, (3, 1)))
    cells = (anynn.nn.LSTMCell(1, 6, dtype="float64"), anynn.nn.Linear(6, 1, dtype="float64"))
    tcells = (torch.nn.LSTMCell(1, 6).double(), torch.nn.Linear(6, 1).double())
    for ours, theirs in zip(cells, tcells):
        for (name, p), (tname, t) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            p.data = anynn.tensor(t.detach().numpy(), dtype="float64").data

    def run(lib, cell, linear, make):
        x, target = make(series[:, :-1]), make(series[:, 1:])
        params = [*cell.parameters(), *linear.parameters()]
        opt = (LBFGS if lib is anynn else torch.optim.LBFGS)(params, lr=0.8, max_iter=6,
                                                              line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            h = c = None
            loss = 0.0
            for t in range(x.shape[1]):
                state = cell(x[:, t:t + 1]) if h is None else cell(x[:, t:t + 1], (h, c))
                h, c = state
                loss = loss + ((linear(h)[:, 0] - target[:, t]) ** 2).mean()
            loss.backward()
            return loss

        return [float(opt.step(closure).detach() if lib is torch else opt.step(closure)) for _ in range(3)]

    ours = run(anynn, *cells, lambda a: anynn.tensor(a, dtype="float64"))
    theirs = run(torch, *tcells, lambda a: torch.tensor(a))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    assert ours[-1] < ours[0]
