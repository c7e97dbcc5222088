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


# -- the order a backward runs in, where hooks can see it (graph._execution_order) ----------------------------------
def _two_branches(m, log, later_first):
    x = m.ones(3, requires_grad=True)
    w = m.ones(3, requires_grad=True)
    if later_first:
        b, a = w * 3, x * 2
    else:
        a, b = x * 2, w * 3
    for name, t in (("a", a), ("b", b), ("x", x), ("w", w)):
        t.register_hook(lambda g, name=name: log.append(name))
    return a.sum() + b.sum(), x


def _diamond(m, log, create_graph):
    x = m.ones(3, dtype=m.float64, requires_grad=True)
    y = x * 2
    p, q = y.sin(), y.cos()
    r = p * 5
    for name, t in (("y", y), ("p", p), ("q", q), ("r", r), ("x", x)):
        t.register_hook(lambda g, name=name: log.append(name))
    return (r + q).sum(), x


def _modules(m, log, post_accumulate):
    layers = [m.nn.Linear(2, 2) for _ in range(3)]
    for i, layer in enumerate(layers, 1):
        layer.register_full_backward_hook(lambda mod, gi, go, i=i: log.append(f"l{i}"))
        if post_accumulate:
            layer.weight.register_post_accumulate_grad_hook(lambda p, i=i: log.append(f"w{i}"))
    x = m.ones(1, 2, requires_grad=True)
    h = layers[0](x)
    return (layers[1](h) * layers[2](h)).sum(), x


class _Doubled(anynn.autograd.Function):  # a custom Function whose backward logs: its order is seen too
    @staticmethod
    def forward(ctx, x, name, log):
        ctx.name, ctx.log = name, log
        return x * 2

    @staticmethod
    def backward(ctx, g):
        ctx.log.append(ctx.name)
        return g * 2, None, None


class _DoubledTorch(torch.autograd.Function):
    forward, backward = _Doubled.forward, _Doubled.backward


def _custom(m, log, _):
    double = _Doubled if m is anynn else _DoubledTorch
    x = m.ones(2, requires_grad=True)
    first = double.apply(x, "first", log)
    second = double.apply(x * 3, "second", log)
    return double.apply(first, "after_first", log).sum() + second.sum(), x


@pytest.mark.parametrize("build, flag", [(_two_branches, False), (_two_branches, True), (_diamond, False),
                                         (_diamond, True), (_modules, False), (_modules, True), (_custom, None)],
                         ids=["branches", "branches_later_first", "diamond", "diamond_create_graph", "module_hooks",
                              "post_accumulate_hooks", "custom_functions"])
def test_hooks_run_in_pytorchs_order(build, flag):
    """Of the Functions whose consumers all ran, the one recorded last runs first, and a leaf's hooks run as soon
    as its last gradient came (PyTorch's AccumulateGrad), not at the end of the pass."""
    logs = []
    for m in (anynn, torch):
        log = []
        loss, x = build(m, log, flag)
        if build is _diamond and flag:
            m.autograd.grad(loss, [x], create_graph=True)
        else:
            loss.backward()
        logs.append(log)
    assert logs[0] == logs[1]


def test_a_hook_raising_mid_backward_leaves_the_grads_pytorch_leaves():
    """PyTorch's order decides which leaves got their gradient before the hook raised."""
    states = []
    for m in (anynn, torch):
        x = m.ones(3, requires_grad=True)
        w = m.ones(3, requires_grad=True)
        a, b = x * 2, w * 3
        b.register_hook(lambda g: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            (a.sum() + b.sum()).backward()
        states.append((x.grad is None, w.grad is None))
    assert states[0] == states[1] == (True, True)
