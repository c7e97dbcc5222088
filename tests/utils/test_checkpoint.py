"""anynn.utils.checkpoint: gradients equal the plain run's (parameters, dropout masks redrawn alike), and torch's
checkpoint on the same weights; the region keeps no activations and reruns once in backward; tuple outputs,
no_grad, double backward (gradient and second-derivative checks), checkpoint_sequential."""

from __future__ import annotations

import gc
import importlib
import warnings
import weakref

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn import nn
from anynn.utils.checkpoint import CheckpointFunction, checkpoint, checkpoint_sequential
from tests.helpers import check_gradients, make


def _model(backend, dropout: float) -> nn.Sequential:
    anynn.manual_seed(3)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Dropout(dropout), nn.Linear(6, 6), nn.GELU(),
                         nn.Dropout(dropout), nn.Linear(6, 3)).to(backend).double()


def _grads(model, x) -> list[np.ndarray]:
    return [p.grad.numpy() for p in model.parameters()] + [x.grad.numpy()]


def _fresh(model, x) -> None:
    """Gradients cleared and the dropout layers' generators forgotten (remade from the host state)."""
    for p in model.parameters():
        p.grad = None
    x.grad = None
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m._generator = None


@pytest.mark.parametrize("how", ["module", "lambda", "sequential", "functional dropout"])
def test_gradients_equal_the_plain_run(backend, rng, how):
    model = _model(backend, 0.4)
    x = make(backend, rng.standard_normal((5, 4)), requires_grad=True)

    def run(checkpointed: bool):
        if how == "functional dropout":  # F.dropout seeds a new generator from anynn's host generator
            head, tail = model[:2], model[3:]
            region = (lambda v: F.dropout(head(v), 0.5, True))  # noqa: E731
            return tail(checkpoint(region, x, use_reentrant=False) if checkpointed else region(x))
        if not checkpointed:
            return model(x)
        if how == "module":
            return checkpoint(model, x, use_reentrant=False)
        if how == "lambda":
            return checkpoint(lambda v: model(v), x, use_reentrant=False)
        return checkpoint_sequential(model, 3, x, use_reentrant=False)

    state = anynn.get_rng_state()
    plain = run(False)
    (plain * plain).sum().backward()
    expected = _grads(model, x)
    _fresh(model, x)
    anynn.set_rng_state(state)
    out = run(True)
    np.testing.assert_array_equal(out.numpy(), plain.numpy())
    (out * out).sum().backward()
    for got, want in zip(_grads(model, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_region_keeps_no_activations_and_reruns_once(backend, rng):
    model = _model(backend, 0.0)
    calls = []

    def region(v):
        calls.append(1)
        return model(v)

    x = make(backend, rng.standard_normal((2, 4)), requires_grad=True)
    out = checkpoint(region, x, use_reentrant=False)
    node = out.grad_fn
    assert isinstance(node, CheckpointFunction) and len(calls) == 1
    # the node's inputs are the input and the six parameters: no activation of the region is held
    assert len(node.inputs) == 7 and node.inputs[0] is x
    assert {id(t) for t in node.inputs[1:]} == {id(p) for p in model.parameters()}
    assert not any(hasattr(node, name) for name in ("saved", "activations")) and node.outputs == ()
    out.sum().backward()
    assert len(calls) == 2


def test_the_first_runs_activations_are_freed(backend, rng):
    kept = []

    def region(v):
        hidden = (v * 2.0).tanh()
        kept.append(weakref.ref(hidden))
        return hidden.exp()

    x = make(backend, rng.standard_normal((3,)), requires_grad=True)
    plain = region(x)
    out = checkpoint(region, x, use_reentrant=False)
    gc.collect()
    assert kept[0]() is not None and kept[1]() is None  # the plain graph holds its activation, the region not
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * (1.0 - np.tanh(2.0 * x.numpy()) ** 2) * plain.numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("order", ["region first", "outer first"])
def test_a_closed_over_tensor_with_a_creator_is_a_boundary(backend, rng, order):
    w = make(backend, rng.standard_normal((3,)), requires_grad=True)
    x = make(backend, rng.standard_normal((3,)), requires_grad=True)
    u = w * 3.0  # made before the region, read inside it: the region's graph stops there

    def run(checkpointed):
        out = checkpoint(lambda v: (v * u).tanh(), x, use_reentrant=False) if checkpointed else (x * u).tanh()
        outer = u.exp().sum()  # the outer pass may free u's node before it reaches the region's
        (out.sum() + outer if order == "region first" else outer + out.sum()).backward()
        return [w.grad.numpy(), x.grad.numpy()]

    expected = run(False)
    w.grad = x.grad = None
    u = w * 3.0

    got = run(True)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_parameters_get_gradients_without_an_input_requiring_grad(backend, rng):
    model = _model(backend, 0.0)
    x = make(backend, rng.standard_normal((2, 4)))
    checkpoint(model, x, use_reentrant=False).sum().backward()
    grads = [p.grad.numpy() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for got, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_matches_torch_checkpoint(backend, rng):
    ours = _model(backend, 0.0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Dropout(0.0), torch.nn.Linear(6, 6),
                                 torch.nn.GELU(), torch.nn.Dropout(0.0), torch.nn.Linear(6, 3)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    data = rng.standard_normal((5, 4))
    x, tx = make(backend, data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out = checkpoint_sequential(ours, 2, x, use_reentrant=False)
    ref = torch.utils.checkpoint.checkpoint_sequential(theirs, 2, tx, use_reentrant=False)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    (out ** 3).sum().backward()
    (ref ** 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_tuple_outputs_and_non_tensor_entries(backend, rng):
    a = make(backend, rng.standard_normal((3,)), requires_grad=True)
    b = make(backend, rng.standard_normal((3,)), requires_grad=True)
    out = checkpoint(lambda u, v, scale: (u * v * scale, "tag", v.exp()), a, b, 2.0, use_reentrant=False)
    assert isinstance(out, tuple) and out[1] == "tag"
    (out[0].sum() + out[2].sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), 2.0 * b.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), 2.0 * a.numpy() + np.exp(b.numpy()), rtol=1e-12)


def test_under_no_grad_it_is_a_plain_call(backend, rng):
    model = _model(backend, 0.0)
    x = make(backend, rng.standard_normal((2, 4)), requires_grad=True)
    with anynn.no_grad():
        out = checkpoint(model, x, use_reentrant=False)
    assert out.grad_fn is None and not out.requires_grad


def test_checkpoint_gradient_and_second_derivative_checks(backend, rng):
    weight = make(backend, rng.standard_normal((3, 3)), requires_grad=True)

    def region(x, w):
        return checkpoint(lambda v: (v @ weight).tanh() * w, x, use_reentrant=False)

    arrays = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    check_gradients(backend, region, *arrays)
    tensors = [make(backend, a, requires_grad=True) for a in arrays]
    assert anynn.testing.gradgrad_check(region, *tensors)
    # the closed-over weight's second derivatives too
    x = make(backend, arrays[0])
    assert anynn.testing.gradgrad_check(lambda w: checkpoint(lambda v: (v @ w).tanh() ** 2, x,
                                                             use_reentrant=False), weight)


def test_a_rerun_of_other_shapes_is_refused_as_torch(backend):
    """A region whose rerun gives outputs of other shapes (it reads state that changed since the forward) is
    PyTorch's CheckpointError naming the output and both metadata; anynn's error was a gradient shape mismatch
    deep in backward."""
    for lib, x in ((torch, torch.ones(4, requires_grad=True)),
                   (anynn, make(backend, np.ones(4), requires_grad=True))):
        calls = [0]

        def growing(t, calls=calls):
            calls[0] += 1
            return t[:calls[0]].exp()

        module = importlib.import_module(f"{lib.__name__}.utils.checkpoint")
        y = module.checkpoint(growing, x, use_reentrant=False)
        with pytest.raises(module.CheckpointError, match="Recomputed values for the following tensors have "
                                                         "different metadata than during the forward pass"):
            y.sum().backward()


def test_use_reentrant_left_out_warns_as_torch():
    x = anynn.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda v: v * 2, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda v: v * 2, x, use_reentrant=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: bad"):
        checkpoint_sequential([lambda v: v], 1, x, use_reentrant=False, bad=1)
