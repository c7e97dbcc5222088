"""Saved-tensor hooks (anynn/autograd/saved_hooks.py; torch.autograd.graph.saved_tensors_hooks, save_on_cpu,
disable_saved_tensors_hooks): what is packed, that the backward uses the unpacked values, per thread, with
create_graph, against PyTorch on every backend."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks

RNG = np.random.default_rng(0)
X, W1, W2 = RNG.standard_normal((6, 4)), RNG.standard_normal((4, 5)), RNG.standard_normal((5, 3))
LABELS = np.array([0, 2, 1, 1, 0, 2])


def _mlp_grads(m, backend=None, hooks=None):
    """Gradients of an MLP's cross-entropy in library ``m`` (anynn or torch), the forward under ``hooks``."""
    make = (lambda v, **k: m.tensor(v, backend=backend, **k)) if m is anynn else m.tensor
    x, w1, w2 = (make(v, requires_grad=True) for v in (X, W1, W2))
    with hooks if hooks is not None else contextlib.nullcontext():
        loss = m.nn.functional.cross_entropy(m.relu(x @ w1).tanh() @ w2, make(LABELS))
    loss.backward()
    return [t.grad.numpy() for t in (x, w1, w2)]


def test_packed_values_are_what_the_backward_uses(backend):
    calls = {"pack": 0, "unpack": 0}

    def pack(t):
        calls["pack"] += 1
        assert isinstance(t, anynn.Tensor) and not t.requires_grad
        return ("kept", t.detach().numpy().copy(), t.dtype)

    def unpack(packed):
        calls["unpack"] += 1
        return anynn.tensor(packed[1], dtype=packed[2], backend=backend)

    ours = _mlp_grads(anynn, backend, saved_tensors_hooks(pack, unpack))
    assert calls["pack"] > 0 and calls["unpack"] == calls["pack"]
    for mine, theirs in zip(ours, _mlp_grads(torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_a_compressing_pair_of_hooks_gives_pytorchs_gradients(backend):
    def run(m, **kw):
        x = m.tensor(X.astype(np.float32), requires_grad=True, **kw)
        w = m.tensor(W1.astype(np.float32), requires_grad=True, **kw)
        count = []

        def pack(t):
            count.append(t.shape)
            return t.to(m.float16)

        with m.autograd.graph.saved_tensors_hooks(pack, lambda t: t.to(m.float32)):
            y = (x @ w).tanh().sum()
        y.backward()
        return len(count), x.grad.numpy(), w.grad.numpy()

    if not backend.name.startswith("array_api_strict"):  # (array-api-strict has no float16)
        ours, theirs = run(anynn, backend=backend), run(torch)
        assert ours[0] == theirs[0] == 3  # x and w for the product, the output for tanh
        for mine, reference in zip(ours[1:], theirs[1:]):
            np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-6)


def test_save_on_cpu_and_nested_blocks_keep_the_gradients(backend):
    reference = _mlp_grads(anynn, backend)
    for mine in (_mlp_grads(anynn, backend, save_on_cpu()), _mlp_grads(anynn, backend, save_on_cpu(pin_memory=True))):
        for a, b in zip(mine, reference):
            np.testing.assert_array_equal(a, b)
    inner = []
    with saved_tensors_hooks(lambda t: pytest.fail("the outer hooks packed"), lambda t: t):
        with saved_tensors_hooks(lambda t: inner.append(1) or t, lambda t: t):
            x = anynn.ones(3, backend=backend, requires_grad=True)
            y = (x.exp() * x).sum()
    y.backward()
    assert inner and np.allclose(x.grad.numpy(), 2 * np.e)


def test_nothing_is_packed_where_nothing_is_recorded(backend):
    with saved_tensors_hooks(lambda t: pytest.fail("packed"), lambda t: t):
        x = anynn.ones(3, backend=backend, requires_grad=True)
        with anynn.no_grad():
            (x * x).exp()
        (anynn.ones(3, backend=backend) * 2).exp()


def test_hooks_apply_to_their_own_thread_only(backend):
    packed, errors = [], []
    started, done = threading.Event(), threading.Event()

    def other():
        try:
            started.wait(10)
            x = anynn.ones(3, backend=backend, requires_grad=True)
            (x * x).sum().backward()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with saved_tensors_hooks(lambda t: packed.append(threading.get_ident()) or t, lambda t: t):
        started.set()
        done.wait(10)
        x = anynn.ones(3, backend=backend, requires_grad=True)
        (x * x).sum().backward()
    thread.join()
    assert not errors and set(packed) == {threading.get_ident()}


def test_create_graph_and_retain_graph_through_packed_values(backend):
    def run(m, **kw):
        x = m.tensor([0.3, -0.7, 1.1], dtype=m.float64, requires_grad=True, **kw)
        with m.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
            y = (x.sin() * x.exp()).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True, retain_graph=True)
        (g * g).sum().backward(retain_graph=True)
        first = x.grad.numpy().copy()
        y.backward()
        return g.detach().numpy(), first, x.grad.numpy()

    for mine, theirs in zip(run(anynn, backend=backend), run(torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_disable_block_and_a_bad_unpack_hook_raise_clearly(backend):
    with disable_saved_tensors_hooks("this feature keeps its own activations"):
        with pytest.raises(RuntimeError, match="keeps its own activations"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with saved_tensors_hooks(lambda t: t, lambda t: "not a tensor"):
        x = anynn.ones(3, backend=backend, requires_grad=True)
        y = x.exp().sum()
    with pytest.raises(TypeError, match="unpack_hook must return a Tensor"):
        y.backward()
    assert anynn.autograd.graph.saved_tensors_hooks is saved_tensors_hooks
