"""anynn.func.vmap against torch.func.vmap on every backend: per-sample gradients of an MLP, in_dims/out_dims
(None, negative, nested), keyword arguments, gradients through a vmapped function, randomness modes, misuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.func import functional_call, grad, jacrev, vmap

from tests.helpers import copy_torch_weights, make

TOL = dict(rtol=1e-9, atol=1e-11)


@pytest.mark.jax
def test_per_sample_gradients_of_an_mlp(backend, rng) -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)).double()
    ours = anynn.nn.Sequential(anynn.nn.Linear(4, 5), anynn.nn.ReLU(), anynn.nn.Linear(5, 3))
    ours.to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)

    def loss(call, cross_entropy, model):
        def per_sample(params, xi, yi):
            logits = call(model, params, (xi[None],))
            return cross_entropy(logits, yi[None])
        return per_sample

    mine = {k: v.detach() for k, v in ours.named_parameters()}
    yours = {k: v.detach() for k, v in theirs.named_parameters()}
    got = vmap(grad(loss(functional_call, anynn.nn.functional.cross_entropy, ours)), in_dims=(None, 0, 0))(
        mine, make(backend, x), make(backend, y))
    ref = torch.func.vmap(torch.func.grad(loss(torch.func.functional_call, torch.nn.functional.cross_entropy,
                                               theirs)), in_dims=(None, 0, 0))(yours, torch.tensor(x),
                                                                               torch.tensor(y))
    for k in ref:
        assert tuple(got[k].shape) == (6,) + tuple(yours[k].shape)
        assert not got[k].requires_grad
        np.testing.assert_allclose(got[k].numpy(), ref[k].numpy(), **TOL, err_msg=k)
    # the per-sample gradients average to the batch gradient
    ours.zero_grad()
    anynn.nn.functional.cross_entropy(ours(make(backend, x)), make(backend, y)).backward()
    np.testing.assert_allclose(got["0.weight"].numpy().mean(0), ours[0].weight.grad.numpy(), **TOL)


DIMS = [(0, 0), ((1, 0), 0), (-1, 1), (0, (1,)), ((1, None), -1), ((0, {"s": None, "t": 1}), (1, 0))]


@pytest.mark.parametrize("in_dims, out_dims", DIMS)
def test_dims_match_torch(backend, rng, in_dims, out_dims) -> None:
    a, b = rng.standard_normal((3, 3, 3)), {"s": rng.standard_normal(3), "t": rng.standard_normal((3, 3))}

    def f(x, tree, scale=1.0):
        inner = (x * tree["s"]).sin() * scale
        if isinstance(out_dims, tuple) and len(out_dims) == 2:
            return inner, inner.sum() + tree["t"].sum()
        return inner + tree["t"].sum()

    ours = vmap(f, in_dims=in_dims, out_dims=out_dims)(make(backend, a), {k: make(backend, v) for k, v in b.items()},
                                                       scale=2.0)
    theirs = torch.func.vmap(f, in_dims=in_dims, out_dims=out_dims)(torch.tensor(a),
                                                                    {k: torch.tensor(v) for k, v in b.items()},
                                                                    scale=2.0)
    ours, theirs = (ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,))
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), **TOL)


def test_gradients_through_vmap_and_jacobians_of_vmap(backend, rng) -> None:
    x0, w0 = rng.standard_normal((4, 3)), rng.standard_normal(3)

    def f(w, x):
        return ((x * w).tanh() ** 2).sum()

    w, wt = make(backend, w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    vmap(f, in_dims=(None, 0))(w, make(backend, x0)).sum().backward()
    torch.func.vmap(f, in_dims=(None, 0))(wt, torch.tensor(x0)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), **TOL)
    ours = jacrev(vmap(f, in_dims=(None, 0)))(make(backend, w0), make(backend, x0))
    theirs = torch.func.jacrev(torch.func.vmap(f, in_dims=(None, 0)))(torch.tensor(w0), torch.tensor(x0))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **TOL)
    nested = vmap(vmap(lambda a, b: (a * b).sum(), in_dims=(0, None)), in_dims=(None, 0))
    np.testing.assert_allclose(nested(make(backend, x0), make(backend, x0)).numpy(), x0 @ x0.T, **TOL)
    # the vmap tutorial's Jacobian: autograd.grad through a graph made outside, without retain_graph (PyTorch runs
    # one batched backward; anynn's slices each ran one, and the second found the graph freed before)
    y, yt = (lib.tanh(v) ** 2 for lib, v in ((anynn, w), (torch, wt)))
    ours = vmap(lambda v: anynn.autograd.grad(y, w, v)[0])(make(backend, np.eye(3)))
    theirs = torch.vmap(lambda v: torch.autograd.grad(yt, wt, v)[0])(torch.eye(3, dtype=torch.float64))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **TOL)
    with pytest.raises(RuntimeError):  # the last slice freed it, as PyTorch's one backward does
        anynn.autograd.grad(y, w, make(backend, np.ones(3)))


def test_randomness_modes(backend) -> None:
    x = anynn.zeros(4, 3, backend=backend, dtype="float64")

    def noisy(row):
        return row + anynn.randn(3, backend=backend, dtype="float64")

    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(noisy)(x)
    anynn.manual_seed(3)
    same = vmap(noisy, randomness="same")(x).numpy()
    anynn.manual_seed(3)
    expected = anynn.randn(3, backend=backend, dtype="float64").numpy()
    np.testing.assert_array_equal(same, np.broadcast_to(expected, (4, 3)))
    different = vmap(noisy, randomness="different")(x).numpy()
    assert len({tuple(r) for r in different}) == 4
    dropped = vmap(lambda r: anynn.nn.functional.dropout(r + 1, 0.5), randomness="same")(x).numpy()
    assert (dropped == dropped[:1]).all()
    assert vmap(lambda r: r * 2)(x).shape == (4, 3)  # no draw: "error" is quiet
    with pytest.raises(ValueError, match="Only allowed values for randomness"):
        vmap(noisy, randomness="each")


def test_misuse_is_named(backend) -> None:
    x = anynn.ones(4, 3, backend=backend)
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        vmap(lambda a, b: a + b)(x, anynn.ones(3, 3, backend=backend))
    with pytest.raises(ValueError, match="at least one input must be mapped"):
        vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ValueError, match="non-Tensor arguments"):
        vmap(lambda a, n: a * n)(x, 2)
    with pytest.raises(ValueError, match="expected in_dim to satisfy"):
        vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="not compatible with the structure"):
        vmap(lambda a: a, in_dims=(0, 0))(x)
    with pytest.raises(ValueError, match="must only return Tensors"):
        vmap(lambda a: 3)(x)
    with pytest.raises(ValueError, match="size 0"):
        vmap(lambda a: a)(anynn.ones(0, 3, backend=backend))
    with pytest.raises(ValueError, match="chunk_size"):
        vmap(lambda a: a, chunk_size=0)
    total = anynn.zeros(3, backend=backend)  # (written once per slice before: 4 where PyTorch refuses)
    with pytest.raises(RuntimeError, match="changed in place a Tensor argument that is not mapped over"):
        vmap(lambda a, t: t.add_(a), in_dims=(0, None))(x, total)
