"""torch.cond and torch._higher_order_ops (cond, while_loop, scan, associative_scan, map, foreach_map) run eagerly,
with the control-flow tutorial's examples and the values its pure-PyTorch ground truths give."""

import importlib

import numpy as np

import anynn


def _op(name):
    return getattr(importlib.import_module(f"anynn._higher_order_ops.{name}"), name)


def test_the_control_flow_tutorials_operators_give_its_ground_truths():
    cond, while_loop, scan, associative_scan, hmap = (_op(n) for n in ("cond", "while_loop", "scan",
                                                                       "associative_scan", "map"))
    x = anynn.tensor([[0.5, -1.0], [2.0, 0.25]])
    out = cond((x.sum() > 0).unsqueeze(0), lambda t: (t.cos(),), lambda t: (t.sin(),), (x,))
    np.testing.assert_allclose(out[0].numpy(), np.cos(x.numpy()))
    assert anynn.cond(False, lambda t: t + 1, lambda t: t - 1, [anynn.tensor(1.0)]).item() == 0.0
    assert while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (anynn.tensor(0), anynn.tensor(0)))[1] == 10
    carry, ys = scan(lambda c, v: (c + v, (c + v) * 2.0), anynn.tensor(0.0), anynn.arange(1.0, 5.0))
    assert carry.item() == 10.0 and ys.tolist() == [2.0, 6.0, 12.0, 20.0]
    carry, ys = scan(lambda c, v: (c + v, c * 10), anynn.tensor(0.0), anynn.arange(1.0, 5.0), reverse=True)
    assert carry.item() == 10.0 and ys.tolist() == [90.0, 70.0, 40.0, 0.0]  # PyTorch's values
    assert associative_scan(lambda a, b: a + b, anynn.arange(5), 0, combine_mode="generic").tolist() == [0, 1, 3, 6, 10]
    a, b = anynn.tensor([0.5, 2.0]), anynn.tensor([[1.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    pa, pb = associative_scan(lambda p, q: (q[0] * p[0], q[0] * p[1] + q[1]), (a.repeat((3, 1)), b), dim=0)
    assert pb.tolist() == [[1.0, 1.0], [2.5, 5.0], [5.25, 15.0]] and pa.tolist() == [[0.5, 2.0], [0.25, 4.0],
                                                                                     [0.125, 8.0]]
    assert hmap(lambda v, y: v ** y, anynn.arange(5), anynn.tensor(2)).tolist() == [0, 1, 4, 9, 16]
    assert [t.tolist() for t in _op("foreach_map")(anynn.add, [anynn.ones(2), anynn.zeros(1)], 1.0)] == [[2.0, 2.0],
                                                                                                         [1.0]]


def test_gradients_flow_through_a_scan_as_through_the_loop():
    w = anynn.tensor([0.5, -0.25], requires_grad=True)
    xs = anynn.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    carry, ys = _op("scan")(lambda c, v: (anynn.tanh(c * w + v), c * w), anynn.zeros(2), xs)
    (carry.sum() + ys.sum()).backward()
    looped, c, extra = anynn.tensor([0.5, -0.25], requires_grad=True), anynn.zeros(2), 0
    for v in xs:
        extra = extra + (c * looped).sum()
        c = anynn.tanh(c * looped + v)
    (c.sum() + extra).backward()
    np.testing.assert_allclose(w.grad.numpy(), looped.grad.numpy(), rtol=1e-6)
