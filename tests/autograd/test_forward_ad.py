"""anynn.autograd.forward_ad (dual_level, make_dual, unpack_dual) against torch.autograd.forward_ad on every
backend, following PyTorch's forward-mode AD tutorial: a function of two inputs, a Linear layer whose parameters
are swapped for duals, functional_call with dual parameters, a custom Function that defines only ``jvp``, and
misuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as torch_fwad

import anynn
import anynn.autograd.forward_ad as fwad
from anynn.func import functional_call

from tests.helpers import make

TOL = dict(rtol=1e-10, atol=1e-12)


def _close(ours: anynn.Tensor, theirs: torch.Tensor) -> None:
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), **TOL)


def test_tangent_of_a_function_of_two_inputs(backend) -> None:
    rng = np.random.default_rng(0)
    x, v, y = (rng.standard_normal((3, 4)) for _ in range(3))

    def fn(lib, a, b):
        return a ** 2 * b.sin() + (a @ b.mT).exp().sum() / 10

    with fwad.dual_level():
        tangent = make(backend, v)
        dual = fwad.make_dual(make(backend, x), tangent)
        assert fwad.unpack_dual(dual).tangent is tangent
        out = fn(anynn, dual, make(backend, y))
        ours = fwad.unpack_dual(out).tangent
        assert fwad.unpack_dual(make(backend, y)).tangent is None
    assert fwad.unpack_dual(out).tangent is None
    with torch_fwad.dual_level():
        theirs = torch_fwad.unpack_dual(fn(torch, torch_fwad.make_dual(torch.tensor(x), torch.tensor(v)),
                                           torch.tensor(y))).tangent
    _close(ours, theirs)


def test_module_with_dual_parameters_and_functional_call(backend) -> None:
    rng = np.random.default_rng(1)
    weight, bias, inp = rng.standard_normal((5, 4)), rng.standard_normal(5), rng.standard_normal((6, 4))
    tangents = {"weight": rng.standard_normal((5, 4)), "bias": rng.standard_normal(5)}
    results = []
    for lib, ad, tensor in ((anynn, fwad, lambda a: make(backend, a)), (torch, torch_fwad, torch.tensor)):
        model = lib.nn.Linear(4, 5, dtype=lib.float64)
        if lib is anynn:
            model = model.to(backend)
        with lib.no_grad():
            model.weight.copy_(tensor(weight))
            model.bias.copy_(tensor(bias))
        params = dict(model.named_parameters())
        fresh = lib.nn.Linear(4, 5, dtype=lib.float64)
        fresh = fresh.to(backend) if lib is anynn else fresh
        with ad.dual_level():
            duals = {n: ad.make_dual(p, tensor(tangents[n])) for n, p in params.items()}
            called = ad.unpack_dual(functional_call(fresh, duals, tensor(inp)) if lib is anynn else
                                    torch.func.functional_call(fresh, duals, tensor(inp))).tangent
            for n in params:
                delattr(model, n)
                setattr(model, n, duals[n])
            swapped = ad.unpack_dual(model(tensor(inp))).tangent
        results.append((called, swapped))
    _close(results[0][0], results[1][0])
    _close(results[0][1], results[1][1])


def _exp_with_jvp(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = lib.exp(x)
            ctx.save_for_forward(result)  # (AttributeError before)
            return result

        @staticmethod
        def jvp(ctx, tangent):
            result, = ctx.saved_tensors  # save_for_forward's, in jvp
            return tangent * result

    return Exp


def test_custom_function_defining_only_jvp(backend) -> None:
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    with fwad.dual_level():
        out = _exp_with_jvp(anynn).apply(fwad.make_dual(make(backend, x, requires_grad=True), make(backend, v)))
        ours = fwad.unpack_dual(out * 3).tangent
    with torch_fwad.dual_level():
        dual = torch_fwad.make_dual(torch.tensor(x, requires_grad=True), torch.tensor(v))
        theirs = torch_fwad.unpack_dual(_exp_with_jvp(torch).apply(dual) * 3).tangent
    _close(ours, theirs)
    plain = _exp_with_jvp(anynn).apply(make(backend, x))
    np.testing.assert_allclose(plain.cpu().numpy(), np.exp(x), **TOL)


def test_misuse_is_named(backend) -> None:
    with pytest.raises(RuntimeError, match="make_dual: no forward AD level is open"):
        fwad.make_dual(make(backend, np.zeros(2)), make(backend, np.zeros(2)))
    with fwad.dual_level():
        with pytest.raises(RuntimeError, match=r"tangent's shape \(3,\) differs from the primal's \(2,\)"):
            fwad.make_dual(make(backend, np.zeros(2)), make(backend, np.zeros(3)))


def test_dual_changed_in_place_and_reverse_over_forward(backend) -> None:
    """As PyTorch's: a dual of a tensor that does not require grad can be changed in place (anynn's was a leaf that
    requires grad: 'a leaf Variable ... in-place'), and a tangent is differentiable where the tangent or the primal
    requires grad (anynn's was detached: 'does not require grad')."""
    x, v = np.array([0.4, -1.3, 2.0]), np.array([0.5, 1.0, -1.5])
    found = []
    for lib, forward_ad, tensor in ((torch, torch_fwad, torch.tensor), (anynn, fwad, lambda a: make(backend, a))):
        with forward_ad.dual_level():
            dual = forward_ad.make_dual(tensor(x), tensor(v))
            dual.mul_(2.0)
            first = forward_ad.unpack_dual(dual.sin()).tangent
            primal, tangent = tensor(x).requires_grad_(), tensor(v).requires_grad_()
            second = forward_ad.unpack_dual(forward_ad.make_dual(primal, tangent).sin() ** 2).tangent
            by_primal, by_tangent = lib.autograd.grad(second.sum(), (primal, tangent))
        found.append([first, second, by_primal, by_tangent])
    for ours, theirs in zip(found[1], found[0]):
        _close(ours, theirs)
