"""anynn.func's derivative transforms (grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian) against torch.func
on every backend: a table of small functions, pytree arguments, argnums, has_aux, composition (grad of grad,
jacrev of jacrev, closures over an outer transform's input), results against float64 central differences, which
results stay connected to the caller's graph, and misuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn import func
from anynn.autograd.grad_check import grad_check

from tests.helpers import make

TOL = dict(rtol=1e-8, atol=1e-10)

# name -> (function written once for both libraries, input shape); scalar-valued ones are marked for grad/hessian
SCALAR = {
    "sin_times_x": (lambda x: (x.sin() * x).sum(), (4,)),
    "softplus_norm": (lambda x: (x.exp() + 1).log().sum() + (x * x).sum().sqrt(), (2, 3)),
    "quartic": (lambda x: ((x ** 2).sum()) ** 2, (3,)),
    "matrix": (lambda x: (x @ x.tanh()).sum(), (3, 3)),
}
VECTOR = {
    "elementwise": (lambda x: x.sin() * x, (4,)),
    "matvec": (lambda x: (x @ x) * 0.5 + x.exp(), (3, 3)),
    "reduce_rows": (lambda x: (x ** 3).sum(1), (2, 3)),
}


def _pair(backend, array: np.ndarray):
    return make(backend, array), torch.tensor(array)


def _close(ours, theirs) -> None:
    ours_leaves, _ = func.pytree.flatten(ours)
    theirs_leaves = torch.utils._pytree.tree_leaves(theirs)
    assert len(ours_leaves) == len(theirs_leaves)
    for a, b in zip(ours_leaves, theirs_leaves):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


@pytest.mark.parametrize("name", sorted(SCALAR))
@pytest.mark.parametrize("transform", ["grad", "grad_and_value", "hessian", "jacrev", "jacfwd"])
def test_scalar_functions_match_torch_func(backend, rng, name: str, transform: str) -> None:
    f, shape = SCALAR[name]
    x, xt = _pair(backend, rng.standard_normal(shape))
    _close(getattr(func, transform)(f)(x), getattr(torch.func, transform)(f)(xt))


@pytest.mark.parametrize("name", sorted(VECTOR))
@pytest.mark.parametrize("transform", ["jacrev", "jacfwd", "vjp", "jvp", "jacrev_jacrev", "linearize"])
def test_vector_functions_match_torch_func(backend, rng, name: str, transform: str) -> None:
    f, shape = VECTOR[name]
    x, xt = _pair(backend, rng.standard_normal(shape))
    if transform == "vjp":
        out, fn = func.vjp(f, x)
        ref, fn_t = torch.func.vjp(f, xt)
        v = rng.standard_normal(tuple(ref.shape))
        _close((out, fn(make(backend, v))), (ref, fn_t(torch.tensor(v))))
        return
    if transform == "jvp":
        v = rng.standard_normal(shape)
        _close(func.jvp(f, (x,), (make(backend, v),)), torch.func.jvp(f, (xt,), (torch.tensor(v),)))
        return
    if transform == "linearize":  # the output, and jvp_fn at two tangents (torch.func.jvp's: its linearize traces
        out, fn = func.linearize(f, x)  # with make_fx, seconds to start)
        v, w = rng.standard_normal(shape), rng.standard_normal(shape)
        reference = [torch.func.jvp(f, (xt,), (torch.tensor(t),))[1] for t in (v, w)]
        _close((out, fn(make(backend, v)), fn(make(backend, w))), (f(xt), *reference))
        return
    if transform == "jacrev_jacrev":
        _close(func.jacrev(func.jacrev(f))(x), torch.func.jacrev(torch.func.jacrev(f))(xt))
        return
    _close(getattr(func, transform)(f)(x), getattr(torch.func, transform)(f)(xt))


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_gradient_matches_central_differences(backend, rng, name: str) -> None:
    """grad(f) is the derivative of f (float64 central differences), and its own gradient checks out too."""
    f, shape = SCALAR[name]
    base = rng.standard_normal(shape)
    g = func.grad(f)(make(backend, base)).numpy()
    eps = 1e-6
    for index in np.ndindex(*shape):
        moved = [base.copy(), base.copy()]
        moved[0][index] += eps
        moved[1][index] -= eps
        values = [float(f(make(backend, m)).numpy()) for m in moved]
        np.testing.assert_allclose(g[index], (values[0] - values[1]) / (2 * eps), rtol=1e-6, atol=1e-7)
    assert grad_check(lambda x: func.grad(f)(x), make(backend, base, requires_grad=True))


def test_third_derivative_by_nesting(backend) -> None:
    def f(s):
        return s.sin() * s * s

    s, st = _pair(backend, np.array(0.7))
    nested, reference = f, f
    for _ in range(3):
        nested, reference = func.grad(nested), torch.func.grad(reference)
    _close(nested(s), reference(st))


def test_pytree_arguments_argnums_and_aux(backend, rng) -> None:
    w, b, x = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((4, 2))

    def loss(params, x, scale):
        out = (x @ params["w"].mT + params["b"]).tanh()
        return (out ** 2).sum() * scale, {"mean": out.mean()}

    ours = {"w": make(backend, w), "b": make(backend, b)}
    theirs = {"w": torch.tensor(w), "b": torch.tensor(b)}
    xs, xt = _pair(backend, x)
    s, st = _pair(backend, np.array(1.5))
    _close(func.grad(loss, argnums=(0, 2), has_aux=True)(ours, xs, s),
           torch.func.grad(loss, argnums=(0, 2), has_aux=True)(theirs, xt, st))
    _close(func.grad_and_value(loss, argnums=1, has_aux=True)(ours, xs, s),
           torch.func.grad_and_value(loss, argnums=1, has_aux=True)(theirs, xt, st))
    _close(func.jacrev(lambda p, x: (x @ p["w"].mT + p["b"]).tanh())(ours, xs),
           torch.func.jacrev(lambda p, x: (x @ p["w"].mT + p["b"]).tanh())(theirs, xt))
    _close(func.hessian(lambda p, x: loss(p, x, 1.0)[0], argnums=(0, 1))(ours, xs),
           torch.func.hessian(lambda p, x: loss(p, x, 1.0)[0], argnums=(0, 1))(theirs, xt))
    # an argument the output does not use gets zeros, as torch.func gives
    _close(func.grad(lambda a, b: (a * 2).sum(), argnums=1)(xs, s), torch.func.grad(
        lambda a, b: (a * 2).sum(), argnums=1)(xt, st))


@pytest.mark.jax
def test_closure_over_an_outer_transforms_input(backend, rng) -> None:
    """The inner grad is differentiated in w, which it only closes over: its backward must be recorded."""
    x0, w0 = rng.standard_normal(3), rng.standard_normal(3)
    x, xt = _pair(backend, x0)
    w, wt = _pair(backend, w0)
    _close(func.jacrev(lambda w: func.grad(lambda x: (x * w).sin().sum())(x))(w),
           torch.func.jacrev(lambda w: torch.func.grad(lambda x: (x * w).sin().sum())(xt))(wt))


def test_results_connected_only_where_the_caller_tracks(backend, rng) -> None:
    """Outside any recording, results are detached; with an input that requires grad, backward goes through."""
    x0 = rng.standard_normal(3)

    def f(x):
        return (x.sin() * x).sum()

    g, value = func.grad_and_value(f)(make(backend, x0))
    assert not g.requires_grad and not value.requires_grad
    with anynn.no_grad():
        assert not func.grad(f)(make(backend, x0, requires_grad=True)).requires_grad
    x, xt = make(backend, x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    func.grad(f)(x).sum().backward()
    torch.func.grad(f)(xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **TOL)
    out, fn = func.vjp(lambda x: x.sin(), make(backend, x0))
    assert not out.requires_grad
    first = fn(anynn.ones(3, backend=backend, dtype="float64"))[0]
    np.testing.assert_allclose(fn(anynn.ones(3, backend=backend, dtype="float64"))[0].numpy(), first.numpy())


def test_misuse_is_named(backend, rng) -> None:
    x = make(backend, rng.standard_normal(3))
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        func.grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        func.grad(lambda x: x.sum(), has_aux=True)(x)
    for aux in (3, None, (x, 3.0)):  # an aux that is not Tensors: PyTorch's RuntimeError (anynn returned it)
        for call in (lambda f: func.grad(f, has_aux=True)(x), lambda f: func.vjp(f, x, has_aux=True),
                     lambda f: func.jacrev(f, has_aux=True)(x)):
            with pytest.raises(RuntimeError, match="expected tensors in the aux output"):
                call(lambda x, aux=aux: (x.sum(), aux))
    with pytest.raises(RuntimeError, match="argnums=2"):
        func.grad(lambda x: x.sum(), argnums=2)(x)
    with pytest.raises(TypeError, match="argnums must be an int"):
        func.grad(lambda x: x.sum(), argnums=[0])(x)
    with pytest.raises(TypeError, match="only Tensors"):
        func.grad(lambda x, y: x.sum(), argnums=1)(x, 3.0)
    with pytest.raises(RuntimeError, match="same as pytree structure of outputs"):
        func.vjp(lambda x: (x, x), x)[1](x)
    with pytest.raises(RuntimeError, match="same python structure"):
        func.jvp(lambda x: x, (x,), (x, x))
    with pytest.raises(ValueError, match="randomness"):
        func.jacfwd(lambda x: x, randomness="sometimes")
    z = make(backend, np.array([0.3 + 0.2j, -1.0]))  # PyTorch's words: "input idx" for an output too
    with pytest.raises(RuntimeError, match="jacrev: Expected all outputs to be real but received complex tensor at"):
        func.jacrev(lambda x: x * 1j)(x)  # (a real x: its vjp of a real one-hot dropped the imaginary part: 0)
    with pytest.raises(RuntimeError, match="jacfwd: Expected all inputs to be real but received complex tensor at"):
        func.hessian(lambda z: (z * z).abs().sum())(z)
    with pytest.raises(RuntimeError, match="tangent:0 with shape \\(2,\\) in flattened pytree doesn't match"):
        func.linearize(lambda x: x.sin(), x)[1](x[:2])
    for transform in (lambda f: func.vjp(f, x), lambda f: func.jacrev(f)(x)):  # zeros before, as cotangents of ints
        with pytest.raises(RuntimeError, match="All outputs of f must be floating-point or complex Tensors"):
            transform(lambda x: (x.sin(), x > 0))


def test_integer_outputs_get_zero_tangents_as_torch(backend, rng) -> None:
    """jvp / jacfwd of a function with an integer output: zeros of its dtype (jvp raised before: its dummy cotangent
    was an integer tensor that required grad; jacfwd's block was the input's float dtype)."""
    x = make(backend, rng.standard_normal(3))
    (value, count), (tangent, zero) = func.jvp(lambda x: (x.sin(), (x > 0).sum()), (x,), (x,))
    np.testing.assert_allclose(tangent.numpy(), np.cos(x.numpy()) * x.numpy())
    assert zero.dtype == count.dtype == anynn.int64 and zero.numpy() == 0
    block = func.jacfwd(lambda x: (x * 2).long())(x)
    assert block.dtype == anynn.int64 and tuple(block.shape) == (3, 3) and not block.numpy().any()


def test_no_grad_inside_and_outside(backend, rng) -> None:
    """PyTorch's two cases: a no_grad region inside f makes a constant; grad called inside no_grad still works."""
    x0 = rng.standard_normal(3)

    def f(lib):
        def inner(x):
            with lib.no_grad():
                c = x ** 2
            return (x * c).sum()
        return inner

    x, xt = _pair(backend, x0)
    _close(func.grad(f(anynn))(x), torch.func.grad(f(torch))(xt))
    with anynn.no_grad():
        ours = func.grad(lambda x: (x ** 3).sum())(x)
    with torch.no_grad():
        theirs = torch.func.grad(lambda x: (x ** 3).sum())(xt)
    _close(ours, theirs)


def test_functionalize_and_debug_unwrap_as_torch(backend, rng) -> None:
    """torch.func.functionalize / debug_unwrap (missing before: AttributeError): eagerly, f's values, its input's
    in-place update written back, under grad too; PyTorch's refusal of another ``remove``; the tensor unwrapped."""
    x0 = rng.standard_normal(3)
    x, xt = _pair(backend, x0)
    for lib, t in ((anynn, x), (torch, xt)):
        assert lib.func.debug_unwrap(t) is t
        with pytest.raises(RuntimeError, match="received invalid argument for remove=views"):
            lib.func.functionalize(lambda y: y, remove="views")
    _close(func.grad(func.functionalize(lambda y: (y.clone().mul_(y).view(-1)).sum(), remove="mutations_and_views"))(
        x), torch.func.grad(torch.func.functionalize(lambda y: (y.clone().mul_(y).view(-1)).sum()))(xt))
    _close(func.functionalize(lambda y: y.add_(1.0) * 2)(x.clone()), torch.func.functionalize(
        lambda y: y.add_(1.0) * 2)(xt.clone()))
