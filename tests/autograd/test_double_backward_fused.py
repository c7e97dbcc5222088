"""Fused recorded gradients (`anynn.functional.fused_recorded`): Linear, ReLU, Tanh/Sigmoid and cross-entropy
record their gradient as one node under ``create_graph=True``.

Each fused Function is checked by itself (first derivative: `grad_check`; second: `gradgrad_check`), against
the generic rerun of the layer's backward (the rule switched off), against PyTorch to third order, and by the
shape of the recorded graph of an MLP (a count of nodes: the cost measure that does not depend on the load).
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn.autograd import double_backward, grad
from anynn.functional.activation import ReLUFunction, SigmoidFunction, TanhFunction
from anynn.functional.fused_recorded import ActivationGradAt, ClassLossGrad, EmbeddingGrad, LinearGrad, PReLUGrad
from anynn.functional.linalg import LinearFunction
from anynn.functional.loss import ClassLoss
from anynn.testing import grad_check, gradgrad_check

pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
R = np.random.default_rng(11)


def _t(backend, a, requires_grad=True):
    kind = a.dtype.kind
    return anynn.tensor(a, backend=backend, dtype="float64" if kind == "f" else "int64",
                        requires_grad=requires_grad and kind == "f")


def _like(t, a):
    """A constant float64 Tensor of ``a`` on ``t``'s backend (a target distribution)."""
    return anynn.tensor(a, backend=t.backend, dtype="float64")


# the fused Functions applied directly: (name, function of the inputs, inputs)
DIRECT = {
    "linear_grad": (lambda g, x, w: LinearGrad.apply(g, x, w, wanted=(True, True, True), has_bias=True),
                    R.standard_normal((3, 2)), R.standard_normal((3, 4)), R.standard_normal((2, 4))),
    "linear_grad_3d_no_bias": (lambda g, x, w: LinearGrad.apply(g, x, w, wanted=(True, True, False), has_bias=False),
                               R.standard_normal((2, 2, 3)), R.standard_normal((2, 2, 2)), R.standard_normal((3, 2))),
    "linear_grad_weight_only": (lambda g, x, w: LinearGrad.apply(g, x, w, wanted=(False, True, True), has_bias=True),
                                R.standard_normal((3, 2)), R.standard_normal((3, 2)), R.standard_normal((2, 2))),
    "tanh_grad_at": (lambda g, x: ActivationGradAt.apply(g, x, activation=TanhFunction), R.standard_normal(5),
                     R.standard_normal(5)),
    "sigmoid_grad_at": (lambda g, x: ActivationGradAt.apply(g, x, activation=SigmoidFunction),
                        R.standard_normal((2, 3)), R.standard_normal((2, 3))),
    "class_loss_grad_mean": (lambda g, z: ClassLossGrad.apply(g, z, _like(z, np.eye(3)[[0, 2, 2, 1]]), 4.0),
                             np.array(0.7), R.standard_normal((4, 3))),
    "class_loss_grad_none": (lambda g, z: ClassLossGrad.apply(g, z, _like(z, 0.8 * np.eye(3)[[1, 0]] + 0.1), None),
                             R.standard_normal(2), R.standard_normal((2, 3))),
    # without scale_grad_by_freq its backward (the lookup) is the exact adjoint; with it, PyTorch's convention,
    # compared with PyTorch in test_double_backward_sweep.py (embedding_scale_grad_by_freq rows)
    "embedding_grad_padding": (lambda g, i: EmbeddingGrad.apply(g, i, num_embeddings=4, padding_idx=1,
                                                                scale_grad_by_freq=False),
                               np.random.default_rng(12).standard_normal((2, 3, 2)), np.array([[0, 1, 3], [3, 3, 0]])),
    # away from x = 0 (where its backward is PyTorch's convention, compared with PyTorch in the sweep's prelu rows)
    "prelu_grad": (lambda g, x, w: PReLUGrad.apply(g, x, w, wanted=(True, True)),
                   *np.random.default_rng(13).standard_normal((2, 1, 3, 2)), np.array([0.2, -0.4, 0.7])),
}


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_fused_function_gradients(backend, name):
    fn, *arrays = DIRECT[name]
    assert grad_check(fn, *[_t(backend, a) for a in arrays], atol=1e-6, rtol=1e-5)
    assert gradgrad_check(fn, *[_t(backend, a) for a in arrays], atol=1e-5, rtol=1e-4)


# layer calls whose recorded gradient takes a fused rule, checked to second order (and, through the gradient
# of their gradient, to third)
def _ce_variants(z, y):
    return (F.cross_entropy(z * z, y) + F.cross_entropy(z, y, reduction="sum", label_smoothing=0.2)
            + (F.cross_entropy(z, y, reduction="none", weight=anynn.tensor(np.array([0.5, 2.0, 1.0]),
                                                                           backend=z.backend, dtype="float64"))
               * z[:, 0]).sum()
            + F.cross_entropy(z, y, ignore_index=1))


LAYERS = {
    "linear": (lambda x, w, b: F.tanh(F.linear(x, w, b)) ** 2, R.standard_normal((3, 2)), R.standard_normal((2, 2)),
               R.standard_normal(2)),
    "linear_3d": (lambda x, w: F.linear(x, w) ** 3, R.standard_normal((2, 2, 3)), R.standard_normal((2, 3))),
    "activations": (lambda a: F.relu(a) * a + F.tanh(a) ** 2 + F.sigmoid(a * a), R.standard_normal(5)),
    "cross_entropy": (_ce_variants, R.standard_normal((4, 3)), np.array([0, 2, 1, 1])),
    "cross_entropy_probs": (lambda z, p: F.cross_entropy(z * z, p), R.standard_normal((2, 3)),
                            np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])),
    "cross_entropy_4d": (lambda z, y: F.cross_entropy(z * z, y), R.standard_normal((2, 3, 2)),
                         np.array([[0, 2], [1, 1]])),
}


def _layer_tensors(backend, name, arrays):
    return [_t(backend, a, requires_grad=not (name == "cross_entropy_probs" and i == 1)) for i, a in enumerate(arrays)]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_rules_second_order(backend, name):
    fn, *arrays = LAYERS[name]
    assert gradgrad_check(fn, *_layer_tensors(backend, name, arrays), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["linear", "activations", "cross_entropy"])
def test_fused_rules_third_order(backend, name):
    fn, *arrays = LAYERS[name]

    def gradient(*inputs):
        wrt = [t for t in inputs if t.requires_grad]
        return grad(fn(*inputs).sum(), wrt, create_graph=True)

    assert gradgrad_check(gradient, *_layer_tensors(backend, name, arrays), atol=1e-5, rtol=1e-4)


def _without_rules(classes):
    saved = {c: double_backward._fused_rules.pop(c) for c in classes}

    def restore():
        double_backward._fused_rules.update(saved)
    return restore


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_equals_generic_rerun(backend, name):
    """The fused nodes give the gradient-of-gradient of the generic rerun of each layer's backward."""
    fn, *arrays = LAYERS[name]

    def second(tensors):
        wrt = [t for t in tensors if t.requires_grad]
        first = grad(fn(*tensors).sum(), wrt, create_graph=True)
        s = sum((g * g).sum() for g in first)
        return [g.numpy() for g in grad(s, wrt)]

    fused = second(_layer_tensors(backend, name, arrays))
    restore = _without_rules((LinearFunction, ReLUFunction, TanhFunction, SigmoidFunction, ClassLoss))
    try:
        generic = second(_layer_tensors(backend, name, arrays))
    finally:
        restore()
    for a, b in zip(fused, generic):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid"])
def test_mlp_third_order_against_torch(backend, act):
    """d/dθ <v, d/dθ |dL/dθ|^2> of an MLP with cross-entropy, against PyTorch (float64, 1e-8 relative)."""
    rng = np.random.default_rng(5)
    sizes = [3, 5, 4]
    arrays = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        arrays += [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out)]
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    vs = [rng.standard_normal(a.shape) for a in arrays]

    def run(lib, F_, act_fn, params, tensor, grad_fn):
        h = tensor(x)
        for k in range(0, len(params), 2):
            h = F_.linear(h, params[k], params[k + 1])
            if k + 2 < len(params):
                h = act_fn(h)
        loss = F_.cross_entropy(h, tensor(y))
        g1 = grad_fn(loss, params, create_graph=True)
        g2 = grad_fn(sum((g * g).sum() for g in g1), params, create_graph=True)
        return grad_fn(sum((g * tensor(v)).sum() for g, v in zip(g2, vs)), params)

    ours = [anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    got = run(anynn, F, getattr(F, act), ours, lambda a: _t(backend, a, requires_grad=False), grad)
    want = run(torch, TF, getattr(torch, act), theirs, torch.tensor, torch.autograd.grad)
    for i, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12, err_msg=f"parameter {i}")


def _recorded_nodes(roots, stop):
    """Function names of the graph behind ``roots``, not counting the nodes of the graph behind ``stop``."""
    def walk(tensors):
        seen, kinds, stack = set(), collections.Counter(), [t.grad_fn for t in tensors if t.grad_fn is not None]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            kinds[fn.name] += 1
            stack += [t.grad_fn for t in fn.inputs if isinstance(t, anynn.Tensor) and t.grad_fn is not None]
        return kinds
    return walk(roots) - walk(stop)


@pytest.mark.parametrize("act,node", [("relu", "MaskedGradient"), ("tanh", "ActivationGradAt"),
                                      ("sigmoid", "ActivationGradAt")])
def test_mlp_recorded_gradient_is_one_node_per_layer(act, node):
    """The cost measure of create_graph on an MLP: one node per layer and activation, one for the loss (the
    generic rerun recorded 5 MatMul, 3 Permute, 3 Sum, 2 activation reruns and ~10 nodes of the loss)."""
    rng = np.random.default_rng(0)
    sizes = [6, 8, 8, 3]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [anynn.tensor(rng.standard_normal((n_out, n_in)), requires_grad=True),
                   anynn.tensor(rng.standard_normal(n_out), requires_grad=True)]
    h = anynn.tensor(rng.standard_normal((4, 6)))
    for k in range(0, len(params), 2):
        h = F.linear(h, params[k], params[k + 1])
        if k + 2 < len(params):
            h = getattr(F, act)(h)
    loss = F.cross_entropy(h, anynn.tensor(np.array([0, 1, 2, 1])))
    grads = grad(loss, params, create_graph=True)
    assert _recorded_nodes(grads, [loss]) == {"LinearGrad": 3, node: 2, "ClassLossGrad": 1}
