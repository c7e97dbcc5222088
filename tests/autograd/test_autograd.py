"""Tensors and the tape: dtype rules, accumulation, no_grad, detach, moving between backends, grad_check, and the
autograd semantics (accumulation, retain_graph, explicit gradients, leaves, diamonds, freed graphs) against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd import Function, GradientCheckError, Tensor, enable_grad, grad_check, is_grad_enabled, no_grad
from anynn.backend import dtype_name

from tests.helpers import make


def _name(t: Tensor) -> str:
    return dtype_name(t.dtype)


# -- dtype rules --------------------------------------------------------------------------------
def test_python_floats_become_float32_and_numpy_keeps_its_dtype(backend):
    """PyTorch's rule: Python floats take the default dtype (float32), NumPy arrays and scalars keep theirs."""
    for data, expected in ((1.5, "float32"), ([1.0, 2.0], "float32"), ([[1.0], [2.5]], "float32"),
                           (np.array([1.0, 2.0]), "float64"), (np.float64(3.0), "float64"),
                           (np.array([1.0], dtype=np.float32), "float32")):
        t = anynn.tensor(data, backend=backend)
        assert _name(t) == expected, data
        assert t.backend == backend
        assert backend.is_native(t.array)
    np.testing.assert_array_equal(anynn.tensor([[1.0], [2.5]], backend=backend).numpy(), [[1.0], [2.5]])


def test_float64_on_request(backend):
    values = np.array([0.1, 1e-300, 1.0 + 2**-40])
    for data in (values, values.tolist()):
        t = anynn.tensor(data, backend=backend, dtype="float64")
        assert _name(t) == "float64"
        np.testing.assert_array_equal(t.numpy(), values)
    assert _name(anynn.tensor(1.5, backend=backend, dtype=np.float64)) == "float64"
    assert _name(anynn.tensor([1, 2], backend=backend, dtype="float32")) == "float32"


def test_integers_stay_int64(backend):
    for data in (3, [1, 2, 3], np.array([1, 2], dtype=np.int64)):
        t = anynn.tensor(data, backend=backend)
        assert _name(t) == "int64", data
    assert _name(anynn.tensor([True, False], backend=backend)) == "bool"


def test_native_arrays_keep_their_dtype_and_backend():
    import torch

    t = anynn.tensor(torch.zeros(2, dtype=torch.float64))
    assert t.backend.name == "torch" and _name(t) == "float64"
    assert _name(anynn.zeros((2, 3), backend="torch")) == "float32"
    assert _name(anynn.ones((2,), backend="array_api_strict", dtype="float64")) == "float64"


@pytest.mark.parametrize("backend_name", ["numpy", "torch"])
def test_numpy_float16_stays_float16_as_torch_tensor_keeps_it(backend_name):
    # only float64 host data is narrowed (the documented difference); torch.tensor keeps float16 as it is
    for data in (np.array([1.5, -2.25], dtype=np.float16), np.float16(0.5), [np.float16(1.0), np.float16(2.0)]):
        t = anynn.tensor(data, backend=backend_name)
        expected = torch.tensor(data)
        assert _name(t) == "float16" and expected.dtype == torch.float16, data
        np.testing.assert_array_equal(t.numpy(), expected.numpy())
    assert _name(anynn.tensor(np.ones(2, dtype=np.float16), backend=backend_name, dtype="float32")) == "float32"


def test_tensor_from_a_tensor_keeps_its_dtype(backend):
    wide = anynn.tensor(np.ones(2), backend=backend, dtype="float64")
    for target in (None, "numpy", "torch", "array_api_strict:device1"):
        copy = anynn.tensor(wide, backend=target)
        assert _name(copy) == "float64", target
        assert copy.backend == (backend if target is None else anynn.get_backend(target))
    assert _name(anynn.tensor(wide, dtype="float32")) == "float32"


# -- requires_grad ------------------------------------------------------------------------------
def test_requires_grad_setter(backend):
    x = anynn.tensor([1.0, 2.0], backend=backend)
    assert not x.requires_grad and x.is_leaf
    x.requires_grad = True
    assert x.requires_grad
    y = x * 2.0
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert x.output_nr == y.output_nr == 0  # PyTorch's (AttributeError before)
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point and complex dtype can require gradients.*int64"):
        anynn.tensor([1, 2], backend=backend, requires_grad=True)  # PyTorch's class and words
    x.requires_grad = False
    assert not (x * 2.0).requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2.0).sum().backward()


# -- accumulation -------------------------------------------------------------------------------
def test_tensor_used_twice_accumulates(backend):
    values = np.array([1.0, -2.0, 3.0])
    x = make(backend, values, requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * values)

    x = make(backend, values, requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])

    # diamond: y feeds two branches that meet again
    x = make(backend, values, requires_grad=True)
    y = x * 3.0
    z = (y * y + y.exp() * y).sum()
    z.backward()
    expected = 3.0 * (2 * 3 * values + np.exp(3 * values) * (1 + 3 * values))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_backward_twice_accumulates_into_grad(backend):
    values = np.array([0.5, 2.0])
    x = make(backend, values, requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * values)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * values + 3.0)
    x.zero_grad()
    assert x.grad is None


def test_backward_with_explicit_gradient(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(make(backend, np.array([10.0, 100.0])))
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 400.0])


def test_broadcast_gradient_sums_to_shape(backend):
    x = make(backend, np.ones((3, 1)), requires_grad=True)
    b = make(backend, np.arange(4.0), requires_grad=True)
    (x * b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 6.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


# -- no_grad, detach, retain_grad ---------------------------------------------------------------
def test_no_grad_records_nothing(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1.0
        with enable_grad():
            z = x * 2.0
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    np.testing.assert_allclose(y.numpy(), [2.0, 5.0])

    @no_grad()
    def infer(t):
        return t * t

    assert infer(x).grad_fn is None


def test_detach(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.array is y.array
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # no path through d


def test_numpy_and_item(backend):
    values = np.arange(6.0).reshape(2, 3)
    t = make(backend, values)
    host = t.numpy()
    assert isinstance(host, np.ndarray) and host.dtype == np.float64
    np.testing.assert_array_equal(host, values)
    assert t.sum().item() == 15.0 and isinstance(t.sum().item(), float)
    assert t.tolist() == values.tolist()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar.*one-element"):
        t.item()
    for convert in (float, int, complex):  # PyTorch's ValueError (item()'s RuntimeError too here)
        with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
            convert(torch.tensor(values))
        with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
            convert(t)


def test_retain_grad(backend):
    x = make(backend, np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y * 2.0 + y
    loss = z.sum()
    loss.retain_grad()
    loss.backward()
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), 6.0 * np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(loss.grad.numpy(), 1.0)
    with pytest.warns(UserWarning, match="not a leaf Tensor"):  # as PyTorch warns
        assert z.grad is None, "only tensors that asked keep their gradient"
    leaf = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    leaf.retain_grad()  # a no-op on a leaf: its gradient is counted once
    (leaf * 2.0).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_retained_grad_sums_into_a_new_tensor(backend, create_graph):
    """A second backward gives a retained non-leaf a new ``.grad`` (PyTorch's retain_grad hook adds out of place):
    a ``.grad`` read before keeps its value, also when a recorded graph saved it (``y.grad`` after
    ``backward(create_graph=True)``: an in-place sum changed the gradient of ``x`` that the second pass computes)."""
    found = []
    for tensor in (lambda a: torch.tensor(a, requires_grad=True), lambda a: make(backend, a, requires_grad=True)):
        x = tensor(np.array([0.5, -1.0]))
        y = x.tanh()
        y.retain_grad()
        (y ** 3).sum().backward(create_graph=create_graph, retain_graph=True)
        first_y, first_x = y.grad, x.grad
        x.grad = None
        (first_y.sum() + (first_x ** 2).sum() if create_graph else (y ** 3).sum()).backward()
        found.append([np.array(first_y.tolist()), np.array(x.grad.tolist())])
    for ours, theirs in zip(found[1], found[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# -- .grad of a non-leaf warns as PyTorch (its gradient is not kept) ------------------------
def _warned(read):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = read()
    return value, [w for w in caught if "not a leaf Tensor" in str(w.message)]


def test_non_leaf_grad_warns_like_pytorch(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    y.sum().backward()
    value, warned = _warned(lambda: y.grad)
    assert value is None
    assert len(warned) == 1 and warned[0].category is UserWarning
    assert "retain_grad()" in str(warned[0].message)
    # PyTorch, the oracle, warns the same way
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    yt = xt * 3.0
    _, torch_warned = _warned(lambda: yt.grad)
    assert len(torch_warned) == 1


def test_no_warning_where_pytorch_gives_none_or_a_gradient_silently(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    plain = make(backend, np.array([1.0, 2.0]))
    y = x * 3.0
    y.retain_grad()
    (y * y).sum().backward()
    for read in (lambda: x.grad, lambda: plain.grad, lambda: y.grad, lambda: y.detach().grad):
        _, warned = _warned(read)
        assert not warned
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])


def test_the_warning_points_at_the_caller(backend):
    y = make(backend, np.array([1.0]), requires_grad=True) * 2.0
    with pytest.warns(UserWarning, match="not a leaf Tensor") as record:
        y.grad  # noqa: B018
    assert record[0].filename == __file__


# -- moving between backends --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_to_round_trips_between_backends(dtype):
    values = (np.arange(12).reshape(3, 4) * 1.25 - 3).astype(dtype)
    t = anynn.tensor(values, backend="numpy", dtype=dtype)
    for name in ("torch", "array_api_strict", "array_api_strict:device1", "torch", "numpy"):
        t = t.to(name)
        assert t.backend.key == name
        assert t.backend.is_native(t.array)
        assert _name(t) == dtype
        np.testing.assert_array_equal(t.numpy(), values)


def test_to_keeps_requires_grad_and_casts():
    x = anynn.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("torch")
    assert y.requires_grad and y.is_leaf
    z = x.to("array_api_strict", dtype="float64")
    assert _name(z) == "float64"
    (z * z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [2.0, 4.0])
    assert x.grad is None


# -- grad_check ---------------------------------------------------------------------------------
class _Square(Function):
    def forward(self, xp, x):
        self.x = x
        return x * x

    def backward(self, xp, grad):
        return 2.0 * self.x * grad


class _WrongSquare(_Square):
    """Correct everywhere but at flat index 4, where the gradient is 10% off."""

    def backward(self, xp, grad):
        good = 2.0 * self.x * grad
        index = xp.arange(good.shape[0] * good.shape[1], device=_device(good))
        return xp.where(xp.reshape(index, good.shape) == 4, good * 1.1, good)


def _device(x):
    from array_api_compat import device

    return device(x)


def test_grad_check_passes_for_a_correct_backward(backend, rng):
    x = make(backend, rng.standard_normal((2, 3)), requires_grad=True)
    assert grad_check(_Square.apply, x) is True


def test_grad_check_names_the_worst_element(backend, rng):
    x = make(backend, rng.standard_normal((2, 3)) + 2.0, requires_grad=True)
    with pytest.raises(GradientCheckError, match=r"input 0 at index \(1, 1\).*analytic.*numerical"):
        grad_check(_WrongSquare.apply, x)


def test_grad_check_needs_float64(backend):
    x = make(backend, np.ones(2, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        grad_check(_Square.apply, x)
    with pytest.raises(TypeError, match="grad_check: input 0 is a list of Tensors; pass the inputs as separate"):
        grad_check(_Square.apply, [x.double()])  # PyTorch's spelling, gradcheck(fn, (x,)), given to grad_check


# -- autograd semantics against PyTorch ---------------------------------------------------------
def test_gradient_accumulates_across_backward_calls(backend):
    x = np.array([0.5, -1.0, 2.0])
    a, t = make(backend, x, True), torch.tensor(x, requires_grad=True)
    (a * a).sum().backward()
    (a.exp()).sum().backward()
    (t * t).sum().backward()
    t.exp().sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_accumulation_adds_into_the_same_grad_tensor_as_pytorch(backend):
    """A held ``x.grad`` sees later backward passes (PyTorch adds into it in place); create_graph replaces it."""
    x = np.array([0.5, -1.0, 2.0])
    a, t = make(backend, x, True), torch.tensor(x, requires_grad=True)
    for leaf in (a, t):
        (leaf * 2.0).sum().backward()
    held, held_t = a.grad, t.grad
    for _ in range(3):  # the second pass adds out of place into the same Tensor, the later ones in place
        for leaf in (a, t):
            (leaf * leaf).sum().backward()
        assert a.grad is held and t.grad is held_t
        np.testing.assert_allclose(held.numpy(), held_t.numpy(), rtol=1e-12)
    for leaf in (a, t):
        (leaf * leaf).sum().backward(create_graph=True)
    assert a.grad is not held and t.grad is not held_t
    np.testing.assert_allclose(a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(held.numpy(), held_t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("case", ["add", "seed", "retained", "view", "several_roots"])
def test_gradients_handed_to_several_tensors_do_not_share_memory(backend, case):
    """An addition hands one array to both inputs; PyTorch copies where it cannot take the array for itself, so an
    in-place change of one ``.grad`` changes neither another ``.grad`` nor the caller's gradient."""
    if case == "view" and not isinstance(make(backend, [1.0]).array, np.ndarray):
        pytest.skip("a view's base is known for NumPy arrays only; PyTorch itself shares memory in this case")
    x = np.array([1.0, 2.0, 3.0])
    results = []
    for lib, mk in ((anynn, lambda v: make(backend, v, True)), (torch, lambda v: torch.tensor(v, requires_grad=True))):
        a, b = mk(x), mk(2 * x)
        seed = lib.full((3,), 2.0, dtype=lib.float64) if lib is torch else make(backend, np.full(3, 2.0))
        if case == "add":
            (a + b).backward(seed)
            watched = [a, b]
        elif case == "seed":
            a.backward(seed)  # a leaf as the root: its gradient is the caller's own tensor
            watched = [a]
        elif case == "retained":
            y = a + b
            y.retain_grad()
            y.backward(seed)
            watched = [a, b, y]
        elif case == "view":  # (PyTorch lets a.grad share the seed's memory here; anynn copies, as for "add")
            if lib is torch:
                seed = seed.clone()
            (a.reshape(3, 1).reshape(3) + b).backward(seed)
            watched = [a, b]
        else:
            lib.autograd.backward([a + b, a * 1.0], [seed, seed])
            watched = [a, b]
        with lib.no_grad():
            watched[0].grad.mul_(10.0)
        results.append([w.grad.detach().numpy().copy() for w in watched] + [seed.detach().numpy().copy()])
        if case == "view" and lib is torch:  # the values anynn gives: a.grad changed alone
            results[-1][-1] = np.full(3, 2.0)
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.parametrize("with_inputs", [False, True])
def test_autograd_backward_of_several_tensors_as_pytorch(backend, with_inputs):
    x = np.array([0.5, -1.0, 2.0])
    results = []
    for lib, mk in ((anynn, lambda v: make(backend, v, True)), (torch, lambda v: torch.tensor(v, requires_grad=True))):
        a, b = mk(x), mk(x[::-1].copy())
        shared = a * b
        outs = [shared.sin(), (shared * a).sum()]
        seeds = [lib.ones(3, dtype=lib.float64) if lib is torch else make(backend, np.ones(3)), None]
        lib.autograd.backward(outs, seeds, inputs=[a] if with_inputs else None)
        results.append((a.grad.detach().numpy(), None if b.grad is None else b.grad.detach().numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    assert (results[0][1] is None) == (results[1][1] is None)
    if results[0][1] is not None:
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    with pytest.raises(RuntimeError, match="does not require grad"):
        anynn.autograd.backward([make(backend, x)])


@pytest.mark.parametrize("retain", [False, True])
def test_gradients_summed_in_place_stay_pytorchs(backend, retain):
    """A tensor used by three layers gets three gradients; the engine adds the later ones into the first where
    that array is its own (fresh products), never into one a retained .grad or a leaf's .grad shows."""
    rng = np.random.default_rng(3)
    x, w1, w2, w3 = (rng.standard_normal(s) for s in ((4, 5), (6, 5), (3, 6), (3, 6)))
    results = []
    for lib, mk in ((anynn, lambda v: make(backend, v, True)), (torch, lambda v: torch.tensor(v, requires_grad=True))):
        F = lib.nn.functional
        xs, ws = mk(x), [mk(w) for w in (w1, w2, w3)]
        h = F.relu(F.linear(xs, ws[0]))
        if retain:
            h.retain_grad()
        out = (F.linear(h, ws[1]) * F.linear(h, ws[2])).sum() + (h * h).sum()
        out.backward(retain_graph=True)
        first = [t.grad.detach().numpy().copy() for t in [xs, *ws] + ([h] if retain else [])]
        held = xs.grad
        out.backward()  # the second pass adds into the leaves' .grad
        second = [t.grad.detach().numpy().copy() for t in [xs, *ws] + ([h] if retain else [])]
        results.append((first, second, held.detach().numpy().copy()))
    for mine, theirs in zip(results[0], results[1]):
        for a, b in zip(mine if isinstance(mine, list) else [mine], theirs if isinstance(theirs, list) else [theirs]):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_retain_graph_twice_and_freed_graph(backend):
    x = np.array([0.5, -1.0, 2.0])
    a, t = make(backend, x, True), torch.tensor(x, requires_grad=True)
    y, ty = (a * a.sin()).sum(), (t * t.sin()).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError):
        y.backward()  # the graph was freed by the second call, as in torch


def test_backward_with_explicit_gradient_as_torch(backend):
    rng = np.random.default_rng(15)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    a, t = make(backend, x, True), torch.tensor(x, requires_grad=True)
    (a * 3.0 + a * a).backward(make(backend, g))
    (t * 3.0 + t * t).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    b = make(backend, x, True)
    (b * 2.0).backward(make(backend, g).array)  # a native array works too
    np.testing.assert_allclose(b.grad.numpy(), 2 * g, rtol=1e-12)
    with pytest.raises(RuntimeError):
        (b * 2.0).backward()  # non-scalar without a gradient
    with pytest.raises((RuntimeError, ValueError)):
        (b * 2.0).backward(make(backend, np.ones((3, 2))))  # gradient of the wrong shape


def test_no_grad_detach_and_requires_grad_propagation(backend):
    x = np.array([1.0, 2.0])
    a = make(backend, x, True)
    b = make(backend, x)
    assert (a * b).requires_grad and not (b * b).requires_grad
    assert not (b + 1.0).requires_grad
    with no_grad():
        c = a * 2.0
    assert not c.requires_grad and c.is_leaf and c.grad_fn is None
    d = a.detach()
    assert not d.requires_grad and d.is_leaf
    e = (a * 2.0)
    assert not e.is_leaf and e.grad_fn is not None
    (e.detach() * a).sum().backward()  # detach cuts the path through e
    np.testing.assert_allclose(a.grad.numpy(), 2 * x)
    with pytest.raises(RuntimeError):
        b.sum().backward()
    with pytest.raises(RuntimeError, match="floating point"):
        make(backend, np.array([1, 2]), True)  # integer tensors cannot require grad (PyTorch's RuntimeError)
    f = make(backend, x)
    f.requires_grad = True
    assert f.requires_grad and f.is_leaf
    with pytest.raises(RuntimeError):
        e.requires_grad = False


def test_leaf_and_non_leaf_grad(backend):
    x = np.array([1.0, -2.0, 3.0])
    a, t = make(backend, x, True), torch.tensor(x, requires_grad=True)
    h, th = a * a, t * t
    h2, th2 = a * 3.0, t * 3.0
    h2.retain_grad()
    th2.retain_grad()
    (h * h2).sum().backward()
    (th * th2).sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):  # as PyTorch warns
        assert h.grad is None  # non-leaf without retain_grad keeps no gradient
    np.testing.assert_allclose(h2.grad.numpy(), th2.grad.numpy())
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy())


def test_same_tensor_used_twice_and_diamond(backend):
    x = np.array([0.3, 1.2])
    a, t = make(backend, x, True), torch.tensor(x, requires_grad=True)
    y, ty = a.exp(), t.exp()
    z, tz = (y * y + y.sin() * a - y / a).sum(), (ty * ty + ty.sin() * t - ty / t).sum()
    z.backward()
    tz.backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_inplace_free_semantics(backend):
    x = np.array([1.0, 2.0])
    a = make(backend, x, True)
    before = a.numpy().copy()
    b = a + 1.0
    c = b * 2.0
    _ = a[0:1]
    _ = a.reshape(2, 1)
    assert np.array_equal(a.numpy(), before)  # no operation writes into its input
    c.sum().backward()
    g1 = a.grad.numpy().copy()
    (a * 5.0).sum().backward()
    assert np.array_equal(g1, [2.0, 2.0])  # a later backward does not mutate an earlier gradient array
    np.testing.assert_allclose(a.grad.numpy(), [7.0, 7.0])
    np.testing.assert_allclose(c.numpy(), (x + 1) * 2)


def test_broadcast_gradient_into_leaf_and_scalar_outputs(backend):
    a = make(backend, np.asarray(2.0), True)
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (a * make(backend, np.ones((2, 3)))).sum().backward()
    (t * torch.ones(2, 3, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy())
    assert a.grad.shape == ()
    b = make(backend, np.ones((1, 3)), True)
    (b * 1.0).backward(make(backend, np.ones((1, 3))))
    assert b.grad.shape == (1, 3)


def test_freed_graph_inside_is_an_error_not_a_silent_partial_gradient(backend):
    a = make(backend, np.array([1.0, 2.0]), True)
    y = a * 2.0
    y.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        (y * 3.0).sum().backward()
