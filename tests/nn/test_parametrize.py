"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) against PyTorch's on
every backend: state-dict keys and parameter order, forward and gradients with copied state, optimizer steps,
state dicts loaded both ways, assignment through right_inverse, chains, caching, remove_parametrizations both ways,
numerical gradients of the parametrized weights (orthogonal's matrix_exp and householder_product: tests/functional/
test_matrix_functions.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import anynn
from anynn.nn.utils import parametrizations as ours_p
from anynn.nn.utils import parametrize as P

from tests.helpers import check_gradients, compare_module_with_torch, copy_torch_weights, make

TP = torch.nn.utils.parametrize
TPZ = torch.nn.utils.parametrizations

# name -> (anynn layer, torch layer, input shape, wrap ours, wrap theirs)
LAYERS = {
    "linear": (lambda: anynn.nn.Linear(5, 4), lambda: torch.nn.Linear(5, 4), (3, 5)),
    "square": (lambda: anynn.nn.Linear(5, 5), lambda: torch.nn.Linear(5, 5), (3, 5)),
    "wide": (lambda: anynn.nn.Linear(6, 4), lambda: torch.nn.Linear(6, 4), (3, 6)),
    "tall": (lambda: anynn.nn.Linear(3, 6), lambda: torch.nn.Linear(3, 6), (3, 3)),
    "conv2d": (lambda: anynn.nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3), (2, 2, 6, 5)),
    "conv_transpose1d": (lambda: anynn.nn.ConvTranspose1d(3, 2, 4, stride=2),
                         lambda: torch.nn.ConvTranspose1d(3, 2, 4, stride=2), (2, 3, 7)),
}


def _both(name: str, **kwargs):
    """(ours, theirs) wrappers of the parametrization ``name`` with the keyword arguments ``kwargs``."""
    return (lambda m: getattr(ours_p, name)(m, **kwargs)), (lambda m: getattr(TPZ, name)(m, **kwargs))


# (parametrization, keyword arguments, layer)
CASES = [
    ("weight_norm", {}, "linear"), ("weight_norm", {"dim": None}, "conv2d"), ("weight_norm", {"dim": 1}, "linear"),
    ("weight_norm", {}, "conv_transpose1d"),
    ("spectral_norm", {}, "linear"), ("spectral_norm", {}, "conv2d"), ("spectral_norm", {}, "conv_transpose1d"),
    ("spectral_norm", {"dim": 1, "n_power_iterations": 3}, "conv2d"),
    ("orthogonal", {}, "square"), ("orthogonal", {"orthogonal_map": "cayley"}, "square"),
    ("orthogonal", {"orthogonal_map": "householder"}, "square"), ("orthogonal", {}, "wide"),
    ("orthogonal", {}, "tall"), ("orthogonal", {"orthogonal_map": "matrix_exp"}, "wide"),
    ("orthogonal", {"orthogonal_map": "cayley"}, "tall"),
    ("orthogonal", {"use_trivialization": False}, "square"),
    ("orthogonal", {"orthogonal_map": "cayley", "use_trivialization": False}, "wide"),
    ("orthogonal", {"orthogonal_map": "householder", "use_trivialization": False}, "square"),
    ("orthogonal", {"use_trivialization": False}, "wide"), ("orthogonal", {"use_trivialization": False}, "tall"),
]
CASE_IDS = [f"{name}-{layer}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, layer in CASES]


def _pair(name: str, kwargs: dict, layer: str, seed: int = 0, dtype: str = "float64"):
    """The layer in both libraries, parametrized; ours on the default backend before state is copied."""
    ours, theirs, shape = LAYERS[layer]
    wrap_ours, wrap_theirs = _both(name, **kwargs)
    torch.manual_seed(seed)
    theirs_module = theirs()
    if dtype == "float64":
        theirs_module = theirs_module.double()
    return wrap_ours(ours()), wrap_theirs(theirs_module), shape


def _tol(dtype: str) -> dict[str, float]:
    return dict(rtol=1e-9, atol=1e-11) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "kwargs", "layer"), CASES, ids=CASE_IDS)
def test_parametrizations_match_torch(backend, name, kwargs, layer, dtype):
    ours, theirs, shape = _pair(name, kwargs, layer, dtype=dtype)
    assert type(ours).__name__ == type(theirs).__name__
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [(n, tuple(b.shape)) for n, b in ours.named_buffers()] == \
        [(n, tuple(b.shape)) for n, b in theirs.named_buffers()]
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    # copied state: forward, input gradient and the gradient of every original (spectral_norm: one power step)
    compare_module_with_torch(backend, ours, theirs, x, **_tol(dtype))
    theirs_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs_state[key].numpy(), **_tol(dtype), err_msg=key)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), **_tol(dtype))


# registered on the same weights, without copying state: the originals (and base) PyTorch's register computes
DETERMINISTIC = [c for c in CASES if c[0] == "weight_norm" or (c[0] == "orthogonal" and c[2] in ("square",))
                 or (c[0] == "orthogonal" and not c[1].get("use_trivialization", True))]


@pytest.mark.parametrize(("name", "kwargs", "layer"), DETERMINISTIC, ids=[CASE_IDS[CASES.index(c)]
                                                                         for c in DETERMINISTIC])
def test_registration_computes_torchs_originals(backend, name, kwargs, layer):
    ours_layer, theirs_layer, shape = LAYERS[layer]
    torch.manual_seed(9)
    theirs = theirs_layer().double()
    ours = ours_layer().to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    wrap_ours, wrap_theirs = _both(name, **kwargs)
    wrap_ours(ours)
    wrap_theirs(theirs)
    theirs_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs_state[key].numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs", "layer"), [CASES[i] for i in (0, 5, 8, 9, 10, 11, 12)],
                         ids=[CASE_IDS[i] for i in (0, 5, 8, 9, 10, 11, 12)])
def test_optimizer_steps_match_torch(backend, name, kwargs, layer):
    ours, theirs, shape = _pair(name, kwargs, layer, seed=3)
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    opt_ours = anynn.optim.Adam(ours.parameters(), lr=0.05)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=0.05)
    rng = np.random.default_rng(4)
    for _ in range(4):
        x = rng.standard_normal(shape)
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        ((ours(make(backend, x)) - 1.0) ** 2).mean().backward()
        ((theirs(torch.tensor(x)) - 1.0) ** 2).mean().backward()
        opt_ours.step()
        opt_theirs.step()
    theirs_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs_state[key].numpy(), rtol=1e-8, atol=1e-10, err_msg=key)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("name", "kwargs", "layer"), CASES, ids=CASE_IDS)
def test_state_dict_loads_both_ways(backend, name, kwargs, layer):
    ours, theirs, shape = _pair(name, kwargs, layer, seed=5)
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)  # torch -> anynn
    ours.eval()
    # anynn -> a fresh torch twin built from another seed: after loading it computes what ours computes
    _, fresh, _ = _pair(name, kwargs, layer, seed=6)
    fresh.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    fresh.eval()
    x = np.random.default_rng(7).standard_normal(shape)
    expected = ours(make(backend, x)).numpy()
    np.testing.assert_allclose(fresh(torch.tensor(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(theirs.eval()(torch.tensor(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("leave_parametrized", [True, False])
@pytest.mark.parametrize(("name", "kwargs", "layer"), [CASES[i] for i in (0, 4, 8, 11)],
                         ids=[CASE_IDS[i] for i in (0, 4, 8, 11)])
def test_remove_parametrizations_as_torch(backend, name, kwargs, layer, leave_parametrized):
    ours, theirs, _ = _pair(name, kwargs, layer, seed=8)
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    if name == "weight_norm" and not leave_parametrized:  # two originals: no single tensor to leave
        for remove, module in ((P.remove_parametrizations, ours), (TP.remove_parametrizations, theirs)):
            with pytest.raises(ValueError, match="sequence of tensors"):
                remove(module, "weight", leave_parametrized=False)
        return
    original = None if name == "weight_norm" else ours.parametrizations.weight.original
    assert P.remove_parametrizations(ours, "weight", leave_parametrized) is ours
    TP.remove_parametrizations(theirs, "weight", leave_parametrized)
    assert type(ours) is anynn.nn.Linear and not P.is_parametrized(ours)
    assert not hasattr(ours, "parametrizations")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.weight, anynn.nn.Parameter)
    if original is not None:  # the original Parameter object is kept (an optimizer still updates it)
        assert ours.weight is original
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(ours, "weight")


# -- register_parametrization with user parametrizations, both libraries from one definition ------------------------

def _symmetric(base):
    class Symmetric(base):
        def forward(self, X):  # noqa: N803
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):  # noqa: N803
            return A.triu()
    return Symmetric


def _scale(base):
    class Scale(base):
        def forward(self, X):  # noqa: N803
            return X * 2.0

        def right_inverse(self, A):  # noqa: N803
            return A / 2.0
    return Scale


def _rank_one(base):
    class RankOne(base):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):  # noqa: N803
            return Z[:, 0], Z[0, :] / Z[0, 0]
    return RankOne


def _build(lib, nn_mod, parts, seed=0):
    """A Linear(4, 4) in float64 with the parametrizations ``parts`` (class factories) registered on weight."""
    torch.manual_seed(seed)
    module = torch.nn.Linear(4, 4).double()
    if lib is anynn:
        twin = anynn.nn.Linear(4, 4, dtype="float64")
        copy_torch_weights(twin, module)
        module = twin
    for part in parts:
        (P if lib is anynn else TP).register_parametrization(module, "weight", part(nn_mod.Module)())
    return module


@pytest.mark.jax
@pytest.mark.parametrize("parts", [[_symmetric], [_symmetric, _scale], [_rank_one], [_rank_one, _scale]],
                         ids=["symmetric", "chain", "rank_one", "rank_one_chain"])
def test_register_parametrization_matches_torch(backend, parts):
    ours = _build(anynn, anynn.nn, parts).to(backend)
    theirs = _build(torch, torch.nn, parts)
    assert type(ours).__name__ == "ParametrizedLinear" and P.type_before_parametrizations(ours) is anynn.nn.Linear
    assert P.is_parametrized(ours) and P.is_parametrized(ours, "weight") and not P.is_parametrized(ours, "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(ours.parametrizations.weight) == len(parts)
    x = np.random.default_rng(2).standard_normal((3, 4))
    compare_module_with_torch(backend, ours, theirs, x, rtol=1e-10, atol=1e-12)
    # assignment runs every right_inverse, last registered first
    target = np.random.default_rng(3).standard_normal((4, 4))
    target = target + target.T if parts[0] is _symmetric else np.outer(target[:, 0], target[0, :])
    ours.weight = make(backend, target)
    theirs.weight = torch.tensor(target)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    their_grads = {n: p.grad for n, p in theirs.named_parameters()}
    for n, p in ours.named_parameters():  # set_() keeps each original's gradient
        np.testing.assert_allclose(p.grad.numpy(), their_grads[n].numpy(), rtol=1e-10, atol=1e-12, err_msg=n)
    np.testing.assert_allclose(ours.weight.numpy(), target, rtol=1e-10, atol=1e-12)


@pytest.mark.jax
# eager JAX takes ~20 s over the householder map's per-column products: that row stays out of the jax subset
@pytest.mark.parametrize("orthogonal_map", [pytest.param("householder", marks=pytest.mark.jax(run=False)), "cayley"])
def test_recurrent_weight_parametrized_matches_torch(backend, orthogonal_map):
    """PyTorch's documented use: an orthogonal recurrent kernel, read once per sequence inside cached()."""
    torch.manual_seed(10)
    theirs = TPZ.orthogonal(torch.nn.LSTM(3, 4).double(), "weight_hh_l0", orthogonal_map)
    ours = ours_p.orthogonal(anynn.nn.LSTM(3, 4), "weight_hh_l0", orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(11).standard_normal((5, 2, 3))
    with P.cached(), TP.cached():
        compare_module_with_torch(backend, ours, theirs, x, rtol=1e-9, atol=1e-11)


def test_spectral_norm_of_a_vector_is_its_direction(backend):
    torch.manual_seed(12)
    theirs = TPZ.spectral_norm(torch.nn.Linear(3, 4).double(), name="bias")
    ours = ours_p.spectral_norm(anynn.nn.Linear(3, 4), name="bias")
    assert list(ours.state_dict()) == list(theirs.state_dict())  # no _u, _v for a vector
    compare_module_with_torch(backend, ours, theirs, np.random.default_rng(13).standard_normal((2, 3)), rtol=1e-10,
                              atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(ours.bias.numpy()), 1.0, rtol=1e-12)


@pytest.mark.parametrize("in_features, out_features", [(3, 0), (0, 3)])
def test_spectral_norm_of_an_empty_weight_as_torch(backend, in_features, out_features):
    # the weight as a matrix was (rows, -1), which nothing infers from a (0, 3) weight
    theirs = TPZ.spectral_norm(torch.nn.Linear(in_features, out_features).double())
    ours = ours_p.spectral_norm(anynn.nn.Linear(in_features, out_features, backend=backend, dtype="float64"))
    assert [tuple(b.shape) for b in ours.buffers()] == [tuple(b.shape) for b in theirs.buffers()]
    x = np.ones((2, in_features))
    out, expected = ours(make(backend, x)), theirs(torch.tensor(x))
    assert tuple(out.shape) == tuple(expected.shape)


def test_deepcopy_keeps_the_parametrization(backend):
    module = ours_p.orthogonal(anynn.nn.Linear(4, 4, backend=backend, dtype="float64"))
    twin = copy.deepcopy(module)
    assert type(twin) is type(module) and P.is_parametrized(twin, "weight")
    assert twin.parametrizations.weight.original is not module.parametrizations.weight.original
    np.testing.assert_allclose(twin.weight.numpy(), module.weight.numpy(), rtol=1e-12)
    moved = np.random.default_rng(14).standard_normal((4, 4))
    twin.parametrizations.weight.original.array = make(backend, moved).array
    assert not np.allclose(twin.weight.numpy(), module.weight.numpy())  # the copies are independent


def test_original_keeps_the_parameter_and_assignment_rules(backend):
    module = anynn.nn.Linear(3, 3, backend=backend, dtype="float64")
    weight = module.weight
    P.register_parametrization(module, "weight", _symmetric(anynn.nn.Module)())
    assert module.parametrizations.weight.original is weight  # an optimizer made before still updates it
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        module.weight = anynn.nn.Parameter(np.eye(3), backend=backend)

    class NoInverse(anynn.nn.Module):
        def forward(self, X):  # noqa: N803
            return X * 3.0

    P.register_parametrization(module, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="NoInverse does not implement right_inverse"):
        module.weight = make(backend, np.eye(3))


def test_a_buffer_is_parametrized_into_a_buffer(backend):
    module = anynn.nn.BatchNorm1d(3, backend=backend, dtype="float64")
    theirs = torch.nn.BatchNorm1d(3).double()
    for lib, m in ((P, module), (TP, theirs)):
        lib.register_parametrization(m, "running_var", _scale(anynn.nn.Module if lib is P else torch.nn.Module)())
    assert list(module.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in module.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    # right_inverse halved the ones into the original; reading doubles them back
    np.testing.assert_allclose(module.parametrizations.running_var.original.numpy(), 0.5)
    np.testing.assert_allclose(module.running_var.numpy(), 1.0)
    assert not module.parametrizations.running_var.original.requires_grad


@pytest.mark.parametrize("lib", ["anynn", "torch"])
def test_cached_computes_once_per_context(lib):
    nn_mod, p = (anynn.nn, P) if lib == "anynn" else (torch.nn, TP)
    calls = []

    class Counting(nn_mod.Module):
        def forward(self, X):  # noqa: N803
            calls.append(1)
            return X + 1.0

    module = nn_mod.Linear(2, 2)
    p.register_parametrization(module, "weight", Counting(), unsafe=True)
    calls.clear()
    with p.cached():
        first = module.weight
        assert module.weight is first
        with p.cached():  # nested: the same cache
            assert module.weight is first
        assert module.weight is first
    assert len(calls) == 1
    assert module.weight is not first and len(calls) == 2


def test_misuse_is_refused_as_torch_does():
    class Grow(anynn.nn.Module):
        def forward(self, X):  # noqa: N803
            return anynn.cat([X, X])

    module = anynn.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(module, "weight", Grow())
    assert not P.is_parametrized(module)
    P.register_parametrization(module, "weight", Grow(), unsafe=True)
    assert tuple(module.weight.shape) == (4, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        P.register_parametrization(module, "kernel", Grow())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        P.remove_parametrizations(module, "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of'):
        ours_p.orthogonal(anynn.nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        ours_p.orthogonal(anynn.nn.Linear(3, 3), name="bias")
    with pytest.raises(ValueError, match="householder parametrization does not support complex"):  # it ran
        ours_p.orthogonal(anynn.nn.Linear(3, 2, dtype=anynn.complex64), orthogonal_map="householder")
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        ours_p.spectral_norm(anynn.nn.Linear(3, 3), name="kernel")
    with pytest.raises(ValueError, match="n_power_iterations"):
        ours_p.spectral_norm(anynn.nn.Linear(3, 3), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ours_p.spectral_norm(anynn.nn.Linear(3, 3), dim=2)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        ours_p.orthogonal(anynn.nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False).weight = \
            anynn.eye(3)
    ortho = ours_p.orthogonal(anynn.nn.Linear(3, 3))
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        ortho.weight = anynn.ones(2, 3)


def test_transfer_parametrizations_and_params(backend):
    source = ours_p.orthogonal(anynn.nn.Linear(4, 4, backend=backend, dtype="float64"))
    target = anynn.nn.Linear(4, 4, backend=backend, dtype="float64")
    assert P.transfer_parametrizations_and_params(source, target) is target
    assert P.is_parametrized(target, "weight")
    assert target.parametrizations.weight.original is source.parametrizations.weight.original
    np.testing.assert_allclose(target.weight.numpy(), source.weight.numpy(), rtol=1e-12)
    plain = anynn.nn.Linear(4, 4)
    assert P.transfer_parametrizations_and_params(plain, target) is target  # nothing to transfer


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_orthogonal_weights_are_orthogonal_on_every_backend(backend, dtype):
    anynn.manual_seed(0)
    for shape in ((5, 5), (3, 6), (6, 3)):
        for orthogonal_map in ("matrix_exp", "cayley", "householder"):
            module = anynn.nn.Linear(shape[1], shape[0], backend=backend, dtype=dtype)
            ours_p.orthogonal(module, orthogonal_map=orthogonal_map)
            # householder reads the sign of each column from the diagonal truncated to an integer (PyTorch's
            # .int()): keep it at -1 so that no column is zeroed
            start = 0.1 * np.random.default_rng(1).standard_normal(shape) - 1.5 * np.eye(*shape)
            module.parametrizations.weight.original.array = make(backend, start.astype(dtype)).array
            w = module.weight.numpy().astype(np.float64)
            gram = w @ w.T if shape[0] < shape[1] else w.T @ w
            np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12 if dtype == "float64" else 1e-5)


@pytest.mark.parametrize("name", ["weight_norm", "spectral_norm", "orthogonal"])
def test_parametrized_weight_gradients_numerically(backend, name):
    module = getattr(ours_p, name)(anynn.nn.Linear(3, 3, backend=backend, dtype="float64"))
    module.eval()  # spectral_norm: no power step, the weight is a smooth function of the originals
    chain = module.parametrizations.weight
    names = ["original"] if chain.is_tensor else ["original0", "original1"]
    originals = [getattr(chain, n).numpy() for n in names]

    def weight(*values):
        for n, v in zip(names, values):
            object.__setattr__(chain, n, v)
        return module.weight

    check_gradients(backend, weight, *originals)
