"""Shortcuts of the backward that follows a ``create_graph=True`` pass (a gradient penalty's), issue 15:

- `ReLUFunction` keeps the 0/1 mask its recorded gradient made (fused_recorded's ReLU rule), so the backward
  through the forward node afterwards is one product (and falls back to ``relu_grad`` for another dtype);
- `Pow` with exponent 2 computes ``2 a g`` as one product doubled in place where the array allows it;
- reductions over every axis broadcast their 0-d gradient as it is.

Each is checked against PyTorch (values and gradients, float64) on every backend, and for the inputs it must
leave untouched.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn.autograd import grad
from anynn.functional.activation import ReLUFunction
from anynn.testing import grad_check

pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")


def _params(rng, sizes):
    arrays = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        arrays += [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out)]
    return arrays


def test_gradient_penalty_through_relu_mlp_against_torch(backend):
    """(sum of |dL/dθ|^2).backward() of a ReLU MLP, the ReLU nodes then holding their mask: .grad as PyTorch."""
    rng = np.random.default_rng(3)
    arrays = _params(rng, [4, 6, 5, 3])
    x, y = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)

    def run(F_, relu, params, tensor, grad_fn):
        h, relu_outputs = tensor(x), []
        for k in range(0, len(params), 2):
            h = F_.linear(h, params[k], params[k + 1])
            if k + 2 < len(params):
                h = relu(h)
                relu_outputs.append(h)
        loss = F_.cross_entropy(h, tensor(y))
        grads = grad_fn(loss, params, create_graph=True)
        masks = [getattr(h.grad_fn, "mask", None) for h in relu_outputs]  # (read before the backward frees them)
        sum((g ** 2).sum() for g in grads).backward()
        return relu_outputs, masks

    ours = [anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    relu_outputs, masks = run(F, F.relu, ours, lambda a: anynn.tensor(
        a, backend=backend, dtype="float64" if a.dtype.kind == "f" else "int64"), grad)
    run(TF, torch.relu, theirs, torch.tensor, torch.autograd.grad)
    assert all(m is not None for m in masks)  # kept by the recorded pass (the ReLU rule)
    for h, m in zip(relu_outputs, masks):
        np.testing.assert_array_equal(np.asarray(anynn.tensor(m, backend=backend).numpy()),
                                      (h.numpy() > 0).astype(np.float64))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"parameter {i}")


def test_relu_mask_of_another_dtype_is_not_used(backend):
    """A kept mask of another dtype than the incoming gradient: the gradient comes from ``relu_grad``, in g's dtype."""
    a = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 0.25]])
    x = anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True)
    y = F.relu(x)
    node = y.grad_fn
    assert isinstance(node, ReLUFunction)
    xp = node.backend.xp
    node.mask = xp.zeros(tuple(a.shape), dtype=xp.float32)  # wrong values: must not be read
    g = xp.asarray(np.full(a.shape, 2.0), dtype=xp.float64, device=node.backend.device)
    got = node.backward(xp, g)
    assert got.dtype == xp.float64
    np.testing.assert_array_equal(anynn.tensor(got, backend=backend).numpy(), 2.0 * (a > 0))


@pytest.mark.parametrize("upstream", ["sum", "weighted", "mean_rows"])
def test_square_backward_against_torch(backend, upstream):
    """d/da of f(a ** 2): 2 a g for a broadcast (read-only on NumPy), a full and a row-broadcast g; ``a`` unchanged."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))
    reduce = {"sum": lambda s, w_: s.sum(), "weighted": lambda s, w_: (s * w_).sum(),
              "mean_rows": lambda s, w_: s.mean(1).sum()}[upstream]
    ours = anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True)
    reduce(ours ** 2, anynn.tensor(w, backend=backend, dtype="float64")).backward()
    theirs = torch.tensor(a, requires_grad=True)
    reduce(theirs ** 2, torch.tensor(w)).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(ours.numpy(), a)  # the saved input was not doubled in place
    assert grad_check(lambda t: reduce(t ** 2, anynn.tensor(w, backend=backend, dtype="float64")),
                      anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True))


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "logsumexp", "norm"])
def test_full_reductions_backward_against_torch(backend, shape, name):
    """Every axis reduced (0-d gradient, broadcast as it is): gradients as PyTorch's, scaled by a 0-d seed."""
    a = np.random.default_rng(6).standard_normal(shape)
    dims = tuple(range(len(shape)))

    def call(lib, t):
        if name == "norm":
            return t.norm() if lib is anynn else torch.linalg.vector_norm(t)
        if name == "logsumexp":
            return lib.logsumexp(t, dim=dims) if shape else lib.logsumexp(t, dim=0)
        return getattr(t, name)()

    ours = anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True)
    (call(anynn, ours) * 3.0).backward()
    theirs = torch.tensor(a, requires_grad=True)
    (call(torch, theirs) * 3.0).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert tuple(ours.grad.shape) == shape
