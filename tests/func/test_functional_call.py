"""anynn.func.functional_call (= anynn.nn.utils.stateless.functional_call) and stack_module_state against
torch.func on every backend: outputs and gradients with given tensors, a MAML step (second order), tied weights,
strict keys, several dicts, buffer updates, restoring after an exception, threads, ensembles with vmap."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

import anynn
from anynn.func import functional_call, grad, stack_module_state, vmap

from tests.helpers import copy_torch_weights, make

TOL = dict(rtol=1e-9, atol=1e-11)


def _mlp_pair(backend, seed: int = 0):
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    ours = anynn.nn.Sequential(anynn.nn.Linear(4, 6), anynn.nn.Tanh(), anynn.nn.Linear(6, 3))
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    return ours, theirs


def _given(backend, theirs: torch.nn.Module, seed: int = 1):
    """New parameter values (not the modules'), as leaves requiring grad, for both libraries."""
    rng = np.random.default_rng(seed)
    values = {k: rng.standard_normal(tuple(v.shape)) for k, v in theirs.named_parameters()}
    return ({k: make(backend, v, requires_grad=True) for k, v in values.items()},
            {k: torch.tensor(v, requires_grad=True) for k, v in values.items()})


def test_outputs_and_gradients_flow_to_the_given_tensors(backend, rng) -> None:
    ours, theirs = _mlp_pair(backend)
    mine, yours = _given(backend, theirs)
    x = rng.standard_normal((5, 4))
    out = functional_call(ours, mine, (make(backend, x),))
    ref = torch.func.functional_call(theirs, yours, (torch.tensor(x),))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL)
    (out ** 2).sum().backward()
    (ref ** 2).sum().backward()
    for k in mine:
        np.testing.assert_allclose(mine[k].grad.numpy(), yours[k].grad.numpy(), **TOL, err_msg=k)
    assert all(p.grad is None for p in ours.parameters()), "the module's own parameters got gradients"
    np.testing.assert_allclose(ours(make(backend, x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), **TOL)
    assert anynn.nn.utils.stateless.functional_call is functional_call


@pytest.mark.jax
def test_maml_inner_step_second_order(backend, rng) -> None:
    """The meta-gradient of one inner SGD step (through the inner gradient) equals torch.func's."""
    ours, theirs = _mlp_pair(backend)
    xs, ys, xq, yq = (rng.standard_normal(s) for s in [(6, 4), (6, 3), (5, 4), (5, 3)])

    def run(lib, model, call, grad_fn, params, tensor):
        def inner_loss(p, x, y):
            return ((call(model, p, (x,)) - y) ** 2).mean()

        g = grad_fn(inner_loss)(params, tensor(xs), tensor(ys))
        fast = {k: params[k] - 0.1 * g[k] for k in params}
        return inner_loss(fast, tensor(xq), tensor(yq))

    ours_params = dict(ours.named_parameters())
    loss = run(anynn, ours, functional_call, grad, ours_params, lambda a: make(backend, a))
    loss.backward()
    theirs_params = dict(theirs.named_parameters())
    ref = run(torch, theirs, torch.func.functional_call, torch.func.grad, theirs_params, torch.tensor)
    ref.backward()
    np.testing.assert_allclose(loss.numpy(), ref.detach().numpy(), **TOL)
    for k, p in ours_params.items():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[k].grad.numpy(), **TOL, err_msg=k)


def test_maml_meta_gradient_matches_central_differences(backend, rng) -> None:
    """The second-order MAML gradient of one weight entry against a float64 central difference."""
    ours, _ = _mlp_pair(backend)
    x, y = make(backend, rng.standard_normal((6, 4))), make(backend, rng.standard_normal((6, 3)))

    def meta_loss(params):
        def inner(p):
            return ((functional_call(ours, p, (x,)) - y) ** 2).mean()

        g = grad(inner)(params)
        return inner({k: params[k] - 0.3 * g[k] for k in params})

    params = {k: p.detach().requires_grad_() for k, p in ours.named_parameters()}
    meta_loss(params).backward()
    base = params["0.weight"].detach().numpy()
    eps = 1e-6
    for index in [(0, 0), (2, 3)]:
        values = []
        for sign in (1, -1):
            moved = base.copy()
            moved[index] += sign * eps
            trial = dict(params, **{"0.weight": make(backend, moved)})
            values.append(float(meta_loss(trial).numpy()))
        numeric = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(params["0.weight"].grad.numpy()[index], numeric, rtol=1e-6, atol=1e-8)


def test_restored_after_an_exception(backend) -> None:
    class Fails(anynn.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = anynn.nn.Linear(3, 2, backend=backend)

        def forward(self, x):
            self.lin(x)
            raise ValueError("boom")

    module = Fails()
    before = dict(module.named_parameters())
    given = {"lin.weight": anynn.zeros(2, 3, backend=backend), "lin.extra": anynn.zeros(1, backend=backend)}
    with pytest.raises(ValueError, match="boom"):
        functional_call(module, given, anynn.ones(4, 3, backend=backend))
    after = dict(module.named_parameters())
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    assert module.lin.weight is before["lin.weight"] and not hasattr(module.lin, "extra")


class _Tied(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(3, 3, bias=False)
        self.b = torch.nn.Linear(3, 3, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


class _TiedOurs(anynn.nn.Module):
    def __init__(self, backend) -> None:
        super().__init__()
        self.a = anynn.nn.Linear(3, 3, bias=False, backend=backend, dtype="float64")
        self.b = anynn.nn.Linear(3, 3, bias=False, backend=backend, dtype="float64")
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


@pytest.mark.parametrize("tie_weights", [True, False])
def test_tied_weights(backend, rng, tie_weights: bool) -> None:
    torch.manual_seed(0)
    theirs = _Tied().double()
    ours = _TiedOurs(backend)
    ours.a.weight.data = make(backend, theirs.a.weight.detach().numpy())
    w, x = rng.standard_normal((3, 3)), rng.standard_normal((2, 3))
    out = functional_call(ours, {"a.weight": make(backend, w)}, make(backend, x), tie_weights=tie_weights)
    ref = torch.func.functional_call(theirs, {"a.weight": torch.tensor(w)}, torch.tensor(x), tie_weights=tie_weights)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    two = {"a.weight": make(backend, w), "b.weight": make(backend, w + 1)}
    if tie_weights:
        with pytest.raises(ValueError, match="tied"):
            functional_call(ours, two, make(backend, x))
    else:
        out = functional_call(ours, two, make(backend, x), tie_weights=False)
        np.testing.assert_allclose(out.detach().numpy(), x @ w.T @ (w + 1).T, **TOL)
    assert ours.b.weight is ours.a.weight


def test_strict_keys_and_several_dicts(backend, rng) -> None:
    ours, theirs = _mlp_pair(backend)
    mine, _ = _given(backend, theirs)
    x = make(backend, rng.standard_normal((2, 4)))
    partial = {k: v for k, v in mine.items() if k != "2.bias"}
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): '2.bias'"):
        functional_call(ours, partial, x, strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key\\(s\\): 'nope'"):
        functional_call(ours, dict(mine, nope=mine["0.bias"]), x, strict=True)
    whole = functional_call(ours, mine, x, strict=True)
    split = functional_call(ours, (partial, {"2.bias": mine["2.bias"]}), x)
    np.testing.assert_allclose(split.numpy(), whole.numpy(), **TOL)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        functional_call(ours, (mine, {"2.bias": mine["2.bias"]}), x)
    with pytest.raises(ValueError, match="dict, or a list/tuple of dicts"):
        functional_call(ours, mine["0.bias"], x)
    with pytest.raises(TypeError, match="'0.bias' must be a Tensor"):
        functional_call(ours, {"0.bias": np.zeros(6)}, x)
    with pytest.raises(RuntimeError, match="bias of shape \\(6,\\)"):  # weights of another size: PyTorch's class
        functional_call(ours, {"0.weight": mine["0.weight"][:5]}, x)
    wider = functional_call(ours[0], {"weight": make(backend, np.ones((6, 5)))}, make(backend, np.ones((2, 5))))
    assert tuple(wider.shape) == (2, 6)  # the weight's own in_features, as PyTorch's F.linear reads them
    gru = anynn.nn.GRU(3, 4, num_layers=2).to(backend, dtype=anynn.float64)  # a recurrent weight of another shape
    with pytest.raises(RuntimeError, match=r"GRU: weight_hh_l1 has shape \(12, 3\); expected \(12, 4\)"):
        functional_call(gru, {"weight_hh_l1": make(backend, np.ones((12, 3)))}, make(backend, np.ones((2, 1, 3))))


def test_buffers_updated_as_torch_updates_them(backend, rng) -> None:
    """BatchNorm in training mode writes its running statistics into the given buffers, not the module's."""
    torch.manual_seed(0)
    theirs = torch.nn.BatchNorm1d(3).double()
    ours = anynn.nn.BatchNorm1d(3, backend=backend, dtype="float64")
    x = rng.standard_normal((8, 3))
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    mine = {"running_mean": make(backend, mean), "running_var": make(backend, var)}
    yours = {"running_mean": torch.tensor(mean), "running_var": torch.tensor(var)}
    out = functional_call(ours, mine, make(backend, x))
    ref = torch.func.functional_call(theirs, yours, torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    for k in mine:
        np.testing.assert_allclose(mine[k].numpy(), yours[k].numpy(), **TOL, err_msg=k)
        np.testing.assert_allclose(getattr(ours, k).numpy(), getattr(theirs, k).numpy(), **TOL, err_msg=k)


def test_threads_never_see_each_others_tensors(backend) -> None:
    """Two threads calling functional_call on one module (whose forward yields the GIL between reading its weight
    and using it): every result is its own thread's, and the module ends with its own weight."""

    class Slow(anynn.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = anynn.nn.Parameter(anynn.zeros(1, 2, backend=backend, dtype="float64"))

        def forward(self, x):
            first = self.weight
            time.sleep(0.001)
            return x @ first.mT + x @ self.weight.mT

    module = Slow()
    original = module.weight
    x = anynn.ones(1, 2, backend=backend, dtype="float64")
    errors: list[str] = []

    def work(value: float) -> None:
        w = anynn.full((1, 2), value, backend=backend, dtype="float64")
        for _ in range(20):
            got = float(functional_call(module, {"weight": w}, x).numpy().item())
            if got != 4 * value:
                errors.append(f"thread {value}: got {got}")

    threads = [threading.Thread(target=work, args=(v,)) for v in (1.0, 5.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert module.weight is original and module._parameters["weight"] is original


def test_ensemble_with_stack_module_state_and_vmap(backend, rng) -> None:
    pairs = [_mlp_pair(backend, seed) for seed in range(3)]
    params, buffers = stack_module_state([p[0] for p in pairs])
    assert tuple(params["0.weight"].shape) == (3, 6, 4) and params["0.weight"].requires_grad
    assert params["0.weight"].is_leaf and buffers == {}
    tparams, tbuffers = torch.func.stack_module_state([p[1] for p in pairs])
    x = rng.standard_normal((5, 4))
    base, tbase = pairs[0]

    def ours(p, b, x):
        return functional_call(base, (p, b), (x,))

    def theirs(p, b, x):
        return torch.func.functional_call(tbase, (p, b), (x,))

    out = vmap(ours, in_dims=(0, 0, None))(params, buffers, make(backend, x))
    ref = torch.func.vmap(theirs, in_dims=(0, 0, None))(tparams, tbuffers, torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(params["2.weight"].grad.numpy(), tparams["2.weight"].grad.numpy(), **TOL)
    with pytest.raises(RuntimeError, match="same class"):
        stack_module_state([base, anynn.nn.Linear(4, 3)])
    with pytest.raises(RuntimeError, match="at least one model"):
        stack_module_state([])


def test_a_hook_that_rebuilds_the_weight_uses_the_given_tensors(backend, rng) -> None:
    """weight_norm's pre-hook computes ``weight`` from the given weight_g/weight_v, as in PyTorch."""
    torch.manual_seed(0)
    with pytest.warns(FutureWarning):
        theirs = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double())
    ours = anynn.nn.utils.weight_norm(anynn.nn.Linear(4, 3))
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    g, v, x = rng.random((3, 1)) + 0.5, rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    mine = {"weight_g": make(backend, g, requires_grad=True), "weight_v": make(backend, v, requires_grad=True)}
    yours = {"weight_g": torch.tensor(g, requires_grad=True), "weight_v": torch.tensor(v, requires_grad=True)}
    out = functional_call(ours, mine, make(backend, x))
    ref = torch.func.functional_call(theirs, yours, torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    out.sin().sum().backward()
    ref.sin().sum().backward()
    for k in mine:
        np.testing.assert_allclose(mine[k].grad.numpy(), yours[k].grad.numpy(), **TOL, err_msg=k)
    np.testing.assert_allclose(ours(make(backend, x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL)


# (anynn layer, torch layer, input shapes): layers whose forward reads several parameters by name
LAYERS = {
    "lstm": (lambda: anynn.nn.LSTM(3, 4, batch_first=True), lambda: torch.nn.LSTM(3, 4, batch_first=True),
             [(2, 5, 3)]),
    "multihead_attention": (lambda: anynn.nn.MultiheadAttention(4, 2, batch_first=True),
                            lambda: torch.nn.MultiheadAttention(4, 2, batch_first=True), [(2, 3, 4)] * 3),
    "conv2d": (lambda: anynn.nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3), [(2, 2, 5, 5)]),
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_with_given_parameters(backend, rng, layer: str) -> None:
    make_ours, make_theirs, shapes = LAYERS[layer]
    torch.manual_seed(0)
    theirs = make_theirs().double()
    ours = make_ours()
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    mine, yours = _given(backend, theirs)
    inputs = [rng.standard_normal(s) for s in shapes]
    out = functional_call(ours, mine, tuple(make(backend, a) for a in inputs))[0]
    ref = torch.func.functional_call(theirs, yours, tuple(torch.tensor(a) for a in inputs))[0]
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-10)
    out.tanh().sum().backward()
    ref.tanh().sum().backward()
    for k in mine:
        np.testing.assert_allclose(mine[k].grad.numpy(), yours[k].grad.numpy(), rtol=1e-9, atol=1e-10, err_msg=k)


def test_parametrized_module_through_its_original(backend, rng) -> None:
    """A parametrized weight is recomputed from a given ``parametrizations.weight.original``, as in PyTorch."""

    class Symmetric(torch.nn.Module):
        def forward(self, w):
            return w.triu() + w.triu(1).mT

    class SymmetricOurs(anynn.nn.Module):
        def forward(self, w):
            return w.triu() + w.triu(1).mT

    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 3).double()
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", Symmetric())
    ours = anynn.nn.Linear(3, 3, backend=backend, dtype="float64")
    anynn.nn.utils.parametrize.register_parametrization(ours, "weight", SymmetricOurs())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    key = "parametrizations.weight.original"
    w, x = rng.standard_normal((3, 3)), rng.standard_normal((2, 3))
    mine, yours = make(backend, w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = functional_call(ours, {key: mine}, make(backend, x))
    ref = torch.func.functional_call(theirs, {key: yours}, torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), yours.grad.numpy(), **TOL)
    np.testing.assert_allclose(ours(make(backend, x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL)


def test_parametrized_name_goes_through_right_inverse_and_back(backend, rng) -> None:
    """Giving the parametrized name itself assigns it (right_inverse), as PyTorch does; the original comes back."""

    class Double(torch.nn.Module):
        def forward(self, w):
            return w * 2

        def right_inverse(self, w):
            return w / 2

    class DoubleOurs(anynn.nn.Module):
        def forward(self, w):
            return w * 2

        def right_inverse(self, w):
            return w / 2

    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 3).double()
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", Double())
    ours = anynn.nn.Linear(3, 3, backend=backend, dtype="float64")
    anynn.nn.utils.parametrize.register_parametrization(ours, "weight", DoubleOurs())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    original = ours.parametrizations.weight.original
    w, x = rng.standard_normal((3, 3)), rng.standard_normal((2, 3))
    out = functional_call(ours, {"weight": make(backend, w)}, make(backend, x))
    ref = torch.func.functional_call(theirs, {"weight": torch.tensor(w)}, torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    assert ours.parametrizations.weight.original is original
    np.testing.assert_allclose(original.detach().numpy(),
                               theirs.parametrizations.weight.original.detach().numpy(), **TOL)


def test_replace_all_batch_norm_modules_drops_running_stats_as_torch(rng) -> None:
    """torch.func.replace_all_batch_norm_modules_ (the model-ensembling recipe's; AttributeError before): every
    batch norm normalises with its batch's statistics, in eval mode too, and keeps no running buffers."""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3), lib.nn.ReLU(), lib.nn.Linear(3, 2),
                                 lib.nn.BatchNorm1d(2, track_running_stats=False)).double()

    ours, theirs = build(anynn), build(torch)
    copy_torch_weights(ours, theirs)
    assert anynn.func.replace_all_batch_norm_modules_(ours) is ours
    torch.func.replace_all_batch_norm_modules_(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and ours[1].running_mean is None
    assert ours[1].track_running_stats is theirs[1].track_running_stats is False
    x = rng.standard_normal((5, 4))
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(anynn.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL)
