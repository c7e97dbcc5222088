"""Hooks on graph nodes, PyTorch's ``grad_fn.register_prehook`` / ``grad_fn.register_hook``
(anynn/autograd/hooks.py, run_node_hooks): what they see, what they replace, removal, several outputs,
create_graph, against PyTorch on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

X, W = [1.0, 2.0, -3.0, 0.5], [0.5, -1.0, 2.0, 1.5]


def _seen(t):
    return None if t is None else np.round(t.detach().numpy(), 9).tolist()


def _pair(m, backend, w_grad=True):
    kw = {"backend": backend} if m is anynn else {}
    x = m.tensor(X, dtype=m.float64, requires_grad=True, **kw)
    w = m.tensor(W, dtype=m.float64, requires_grad=w_grad, **kw)
    return x, w


@pytest.mark.parametrize("w_grad", [True, False], ids=["both_inputs", "one_input"])
def test_prehook_and_hook_see_and_replace_gradients_as_pytorchs(backend, w_grad):
    def run(m):
        x, w = _pair(m, backend, w_grad)
        y = x * w
        loss = (y.exp() * 0.1).sum()
        seen = []

        def pre(grad_outputs):
            seen.append(("pre", [_seen(g) for g in grad_outputs]))
            return (grad_outputs[0] * 2,)

        def post(grad_inputs, grad_outputs):
            seen.append(("post", [_seen(g) for g in grad_inputs], [_seen(g) for g in grad_outputs]))
            return (grad_inputs[0] + 1,) + tuple(grad_inputs[1:])

        handles = [y.grad_fn.register_prehook(pre), y.grad_fn.register_hook(post)]
        loss.backward(retain_graph=True)
        hooked = [_seen(x.grad), _seen(w.grad)]
        for handle in handles:
            handle.remove()
        x.grad = w.grad = None
        loss.backward()
        return seen, hooked, [_seen(x.grad), _seen(w.grad)]

    ours, theirs = run(anynn), run(torch)
    assert ours == theirs


def test_a_node_with_several_outputs_hands_its_prehook_every_output(backend):
    def run(m):
        kw = {"backend": backend} if m is anynn else {}
        x = m.tensor(np.arange(6.0).reshape(3, 2), dtype=m.float64, requires_grad=True, **kw)
        first, second, third = x.split(1)
        loss = (first * 3).sum() + (third ** 2).sum()
        seen = []
        first.grad_fn.register_prehook(lambda go: seen.append([_seen(g) for g in go]))
        loss.backward()
        return seen, _seen(x.grad)

    assert run(anynn) == run(torch)  # (the unreached output's gradient: None in both)


def test_a_hooked_node_in_a_create_graph_pass(backend):
    def run(m):
        x, w = _pair(m, backend)
        y = x.sin() * w
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 3, gi[1]))
        (gx,) = m.autograd.grad(y.sum(), x, create_graph=True)
        (gx ** 2).sum().backward()
        return _seen(gx), _seen(x.grad), _seen(w.grad)

    assert run(anynn) == run(torch)


def test_a_hook_that_returns_the_wrong_number_of_gradients_is_refused(backend):
    x, w = _pair(anynn, backend)
    y = x * w
    y.grad_fn.register_hook(lambda gi, go: (gi[0],))
    with pytest.raises(RuntimeError, match="returned 1 gradients; expected 2"):
        y.sum().backward()


def test_node_type_and_increment_version_as_pytorchs(backend):
    for m, kw in ((anynn, {"backend": backend}), (torch, {})):
        x = m.ones(3, requires_grad=True, **kw)
        y = x * 2
        z = (y * y).sum()
        assert isinstance(z.grad_fn, m.autograd.graph.Node) and not isinstance(x, m.autograd.graph.Node)
        assert all(isinstance(f, m.autograd.graph.Node) for f, _ in z.grad_fn.next_functions if f is not None)
        m.autograd.graph.increment_version(y)  # as if y changed in place where autograd could not see it
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()
