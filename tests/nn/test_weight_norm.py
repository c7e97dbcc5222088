"""nn.utils.weight_norm / spectral_norm (PyTorch's hook-based API) against torch.nn.utils on every backend:
state-dict keys, forward and gradients with copied weights, a few optimizer steps, remove_*, misuse."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.grad_check import grad_check
from anynn.nn.utils import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm
from anynn.nn.utils.spectral_norm import SpectralNorm
from anynn.nn.utils.weight_norm import WeightNorm

from tests.helpers import compare_module_with_torch, copy_torch_weights, make

# (anynn layer, torch layer, input shape): the layers GAN and vocoder programs normalise
LAYERS = {
    "linear": (lambda: anynn.nn.Linear(5, 4), lambda: torch.nn.Linear(5, 4), (3, 5)),
    "conv2d": (lambda: anynn.nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3), (2, 2, 6, 5)),
    "conv_transpose1d": (lambda: anynn.nn.ConvTranspose1d(3, 2, 4, stride=2),
                         lambda: torch.nn.ConvTranspose1d(3, 2, 4, stride=2), (2, 3, 7)),
}
DTYPES = ["float64", "float32"]


def _tol(dtype: str) -> dict[str, float]:
    return dict(rtol=1e-9, atol=1e-11) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)


def _pair(layer: str, wrap_ours, wrap_theirs, seed: int = 0):
    ours, theirs, shape = LAYERS[layer]
    torch.manual_seed(seed)
    with pytest.warns(FutureWarning) if wrap_theirs is torch.nn.utils.weight_norm else nullcontext():
        theirs_module = wrap_theirs(theirs())
    return wrap_ours(ours()), theirs_module, shape


@pytest.mark.parametrize("dim", [0, None, 1])
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_norm_matches_torch(backend, layer, dim, dtype):
    ours, theirs, shape = _pair(layer, lambda m: weight_norm(m, dim=dim),
                                lambda m: torch.nn.utils.weight_norm(m, dim=dim))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert tuple(ours.weight_g.shape) == tuple(theirs.weight_g.shape)
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    # forward, input gradient and the gradients of bias, weight_g and weight_v
    compare_module_with_torch(backend, ours, theirs, x, **_tol(dtype))


@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_norm_matches_torch(backend, layer, dim, dtype):
    ours, theirs, shape = _pair(layer, lambda m: spectral_norm(m, dim=dim),
                                lambda m: torch.nn.utils.spectral_norm(m, dim=dim))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(b.shape) for b in ours.buffers()] == [tuple(b.shape) for b in theirs.buffers()]
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    # copied u, v: one power-iteration step each side (training mode), then the gradient of weight_orig
    compare_module_with_torch(backend, ours, theirs, x, **_tol(dtype))
    for name in ("weight_u", "weight_v"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), **_tol(dtype))


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
@pytest.mark.parametrize("layer", ["linear", "conv2d"])
def test_optimizer_steps_match_torch(backend, kind, layer):
    wrap_ours = {"weight_norm": weight_norm, "spectral_norm": spectral_norm}[kind]
    wrap_theirs = getattr(torch.nn.utils, kind)
    ours, theirs, shape = _pair(layer, wrap_ours, wrap_theirs, seed=3)
    theirs = theirs.double()
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    opt_ours = anynn.optim.Adam(ours.parameters(), lr=0.05)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=0.05)
    rng = np.random.default_rng(4)
    for _ in range(4):
        x = rng.standard_normal(shape)
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        (ours(make(backend, x)) ** 2).mean().backward()
        (theirs(torch.tensor(x)) ** 2).mean().backward()
        opt_ours.step()
        opt_theirs.step()
    theirs_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs_state[key].numpy(), rtol=1e-9, atol=1e-11, err_msg=key)
    # eval mode: no power iteration, the same weight both sides
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(make(backend, x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_remove_restores_a_plain_weight(backend, kind):
    wrap, remove = {"weight_norm": (weight_norm, remove_weight_norm),
                    "spectral_norm": (spectral_norm, remove_spectral_norm)}[kind]
    module = wrap(anynn.nn.Linear(4, 3).to(backend, dtype="float64"))
    x = make(backend, np.random.default_rng(0).standard_normal((2, 4)))
    module.eval()
    expected = module(x).numpy()
    assert remove(module) is module
    assert list(module.state_dict()) == ["bias", "weight"]
    assert isinstance(module.weight, anynn.nn.Parameter) and not module._hooks.forward_pre
    np.testing.assert_allclose(module(x).numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match=f"{kind} of 'weight' not found"):
        remove(module)


def test_torch_state_dict_loads_after_remove_too(backend):
    torch.manual_seed(0)
    with pytest.warns(FutureWarning):
        theirs = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2).double())
    ours = weight_norm(anynn.nn.Linear(3, 2).to(backend, dtype="float64"))
    copy_torch_weights(ours, theirs)
    remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_weight_norm_gradients_numerically(backend, dim):
    rng = np.random.default_rng(2)
    v = make(backend, rng.standard_normal((3, 4, 2)), requires_grad=True)
    norm_shape = () if dim == -1 else tuple(s if i == dim else 1 for i, s in enumerate(v.shape))
    g = make(backend, rng.standard_normal(norm_shape), requires_grad=True)
    hook = WeightNorm("weight", dim)
    holder = anynn.nn.Module()

    def weight(g, v):
        object.__setattr__(holder, "weight_g", g)
        object.__setattr__(holder, "weight_v", v)
        return hook.compute_weight(holder)

    assert grad_check(weight, g, v)


def test_spectral_norm_gradients_numerically(backend):
    module = spectral_norm(anynn.nn.Conv2d(2, 3, 2).to(backend, dtype="float64"), dim=1)
    module.eval()  # u, v fixed: the weight is a smooth function of weight_orig
    hook = next(h for h in module._hooks.forward_pre.values() if isinstance(h, SpectralNorm))
    orig = make(backend, np.random.default_rng(3).standard_normal((3, 2, 2, 2)), requires_grad=True)

    def weight(orig):
        object.__setattr__(module, "weight_orig", orig)
        return hook.compute_weight(module, do_power_iteration=False)

    assert grad_check(weight, orig)


def test_misuse_is_refused_as_torch_does():
    module = weight_norm(anynn.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        weight_norm(module)
    module = spectral_norm(anynn.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        spectral_norm(module)
    with pytest.raises(ValueError, match="n_power_iterations"):
        spectral_norm(anynn.nn.Linear(2, 2), n_power_iterations=0)
    for apply, torch_class in ((weight_norm, AttributeError), (spectral_norm, KeyError)):  # PyTorch's classes
        with pytest.raises(torch_class, match="no parameter 'kernel'"):
            apply(anynn.nn.Linear(2, 2), name="kernel")
    with pytest.raises(IndexError, match="dim 3"):
        weight_norm(anynn.nn.Linear(2, 2), dim=3)


def test_spectral_norm_start_is_seeded_the_same_on_every_backend(backend):
    anynn.manual_seed(7)
    reference = spectral_norm(anynn.nn.Linear(3, 4, dtype="float64"))
    anynn.manual_seed(7)
    module = spectral_norm(anynn.nn.Linear(3, 4, backend=backend, dtype="float64"))
    for name in ("weight_orig", "weight_u", "weight_v"):
        np.testing.assert_allclose(getattr(module, name).numpy(), getattr(reference, name).numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(module.weight_u.numpy()), 1.0, rtol=1e-12)
