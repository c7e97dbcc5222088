"""The reverse pass (anynn/autograd/graph.py): every Function visited after all of its consumers, whatever the order
of the inputs; and it does only the work it is asked for, and frees what it no longer needs, as PyTorch's engine:

- a backward without ``retain_graph`` drops each node's saved values once the node has run (PyTorch frees its
  saved tensors then), so a pass reuses that memory instead of holding the whole graph to its end;
- ``grad(outputs, inputs)`` computes only the gradients on a path to ``inputs``: a node asked for one input's
  gradient is called with ``needs_input_grad`` saying so (a layer differentiated for its input computes no
  weight gradient), recorded or not, and a retained graph keeps its own flags for the next pass.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn.autograd import Function, grad
from anynn.functional.fused_recorded import LinearGrad
from tests.helpers import make

pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")


class _Saved:
    """Something a Function saves for its backward (weakly referable on every backend)."""


class Product(Function):
    """``a * b``; records the ``needs_input_grad`` its backward saw, and saves a `_Saved` marker."""

    seen: list

    def forward(self, xp, a, b):
        self.a, self.b = a, b
        self.marker = _Saved()
        return a * b

    def backward(self, xp, g):
        self.seen.append(tuple(bool(n) for n in self.needs_input_grad))
        need_a, need_b = self.needs_input_grad
        return (g * self.b if need_a else None), (g * self.a if need_b else None)


def _pair(backend):
    rng = np.random.default_rng(3)
    return [anynn.tensor(rng.standard_normal(4), backend=backend, dtype="float64", requires_grad=True)
            for _ in range(2)]


@pytest.mark.parametrize("way", ["backward", "grad", "grad_create_graph_no_retain"])
def test_a_pass_without_retain_graph_frees_the_saved_values(backend, way):
    a, b = _pair(backend)
    seen: list = []
    out = Product.apply(a, b, seen=seen)
    marker = weakref.ref(out.grad_fn.marker)
    loss = out.sum()
    if way == "backward":
        loss.backward()
    elif way == "grad":
        grad(loss, [a])
    else:
        grad(loss, [a], create_graph=True, retain_graph=False)
    gc.collect()
    assert out.grad_fn is not None  # the output (and its node) are still held here ...
    assert marker() is None  # ... but what the node saved went with the pass, as in PyTorch
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_a_retained_graph_keeps_its_saved_values(backend):
    a, b = _pair(backend)
    out = Product.apply(a, b, seen=[])
    marker = weakref.ref(out.grad_fn.marker)
    out.sum().backward(retain_graph=True)
    gc.collect()
    assert marker() is not None
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * b.detach().numpy())


def test_grad_computes_only_the_gradients_on_the_way_to_its_inputs(backend):
    a, b = _pair(backend)
    seen: list = []
    out = Product.apply(a, b, seen=seen)
    loss = (out * out).sum()
    (ga,) = grad(loss, [a], retain_graph=True)
    (gb,) = grad(loss, [b], retain_graph=True)
    (ga2, gb2) = grad(loss, [a, b], retain_graph=True)
    loss.backward()
    assert seen == [(True, False), (False, True), (True, True), (True, True)]  # flags restored after each pass
    av, bv = a.detach().numpy(), b.detach().numpy()
    for found, expected in ((ga, 2 * av * bv * bv), (gb, 2 * bv * av * av), (ga2, 2 * av * bv * bv),
                            (gb2, 2 * bv * av * av), (a.grad, 2 * av * bv * bv), (b.grad, 2 * bv * av * av)):
        np.testing.assert_allclose(found.numpy(), expected, rtol=1e-12)


def test_recorded_grad_computes_only_the_gradients_on_the_way_to_its_inputs(backend):
    a, b = _pair(backend)
    seen: list = []
    loss = (Product.apply(a, b, seen=seen) ** 2).sum()
    (ga,) = grad(loss, [a], create_graph=True)
    assert seen == [(True, False)]
    (gaa, gab) = grad(ga.sum(), [a, b])
    av, bv = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(gaa.numpy(), 2 * bv * bv, rtol=1e-12)  # d/da sum(2 a b^2)
    np.testing.assert_allclose(gab.numpy(), 4 * av * bv, rtol=1e-12)


def test_gradient_penalty_on_the_input_computes_no_weight_gradient_and_matches_pytorch(backend):
    """WGAN-GP's inner gradient is taken with respect to the input only: each Linear's recorded gradient wants
    no weight gradient (one product per layer saved); the penalty's gradient still matches PyTorch."""
    rng = np.random.default_rng(5)
    shapes = [(6, 3), (6,), (5, 6), (5,), (1, 5), (1,)]
    arrays = [rng.standard_normal(s) * 0.5 for s in shapes]
    x_host = rng.standard_normal((4, 3))

    def critic(lib_linear, lib_tanh, params, x):
        h = lib_tanh(lib_linear(x, params[0], params[1]))
        h = lib_tanh(lib_linear(h, params[2], params[3]))
        return lib_linear(h, params[4], params[5])

    params = [anynn.tensor(a, backend=backend, dtype="float64", requires_grad=True) for a in arrays]
    x = anynn.tensor(x_host, backend=backend, dtype="float64", requires_grad=True)
    (g,) = grad(critic(F.linear, F.tanh, params, x).sum(), [x], create_graph=True)
    wanted = []
    stack, visited = [g.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in visited:
            continue
        visited.add(id(fn))
        if isinstance(fn, LinearGrad):
            wanted.append(fn.wanted)
        stack.extend(getattr(t, "grad_fn", None) for t in fn.inputs if isinstance(t, anynn.Tensor))
    assert wanted and all(w == (True, False, False) for w in wanted), wanted
    penalty = ((g * g).sum(1) - 1.0) ** 2
    penalty.sum().backward()

    tparams = [torch.tensor(a, requires_grad=True) for a in arrays]
    tx = torch.tensor(x_host, requires_grad=True)
    (tg,) = torch.autograd.grad(critic(torch.nn.functional.linear, torch.tanh, tparams, tx).sum(), [tx],
                                create_graph=True)
    (((tg * tg).sum(1) - 1.0) ** 2).sum().backward()
    assert params[5].grad is None and tparams[5].grad is None  # the last bias does not move the input's gradient
    for p, tp in zip(params[:5], tparams[:5]):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


# -- order: every Function after all of its consumers ----------------------------------------------------
def test_short_and_long_paths_into_one_op(backend):
    for swap in (False, True):
        a = anynn.tensor([1.0], backend=backend, requires_grad=True)
        y = a * 2.0
        c = y * 3.0
        total = (c + y) if swap else (y + c)
        total.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), [8.0])


def test_residual_chain(backend):
    a = anynn.tensor([0.5, -1.0], backend=backend, requires_grad=True)
    h = a
    for _ in range(3):
        h = h + (h * h).tanh()  # residual: h feeds both the branch and the sum
    h.sum().backward()
    x = np.array([0.5, -1.0])
    grad = np.ones(2)
    values = [x]
    for _ in range(3):
        values.append(values[-1] + np.tanh(values[-1] ** 2))
    for v in reversed(values[:-1]):
        grad = grad * (1 + (1 - np.tanh(v**2) ** 2) * 2 * v)
    np.testing.assert_allclose(a.grad.numpy(), grad, rtol=1e-5)


# -- dtype: each input gets its gradient in its own dtype ------------------------------------------------
@pytest.mark.parametrize("way", ["backward", "grad", "grad_create_graph"])
def test_a_mixed_dtype_op_hands_each_input_its_own_dtype(backend, way):
    """``float32 node + float64 leaf`` is float64; the float32 node's gradient comes back float32 (PyTorch's
    engine casts each input's gradient to its dtype), so its own backward multiplies float32 by float32 (a
    float64 gradient reached the linear's backward, which the torch backend refuses: float @ double)."""
    rng = np.random.default_rng(2)
    x_host, w_host, b_host = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal((3, 2))

    def run(lib, functional, tensor):
        x, w = tensor(x_host, "float32"), tensor(w_host, "float32")
        b = tensor(b_host, "float64")
        y = functional.linear(x, w)
        seen = []
        y.register_hook(lambda g: seen.append(str(g.dtype).rsplit(".", 1)[-1]))
        z = (y + b) * (y + b)
        if way == "backward":
            z.sum().backward()
            grads = [x.grad, w.grad, b.grad]
        else:
            grads = list(lib.autograd.grad(z.sum(), [x, w, b], create_graph=way == "grad_create_graph"))
        return seen, [g.detach() for g in grads]

    seen, got = run(anynn, F, lambda a, d: anynn.tensor(a, backend=backend, dtype=d, requires_grad=True))
    t_seen, expected = run(torch, torch.nn.functional,
                           lambda a, d: torch.tensor(a, dtype=getattr(torch, d), requires_grad=True))
    assert seen == t_seen == ["float32"]
    for g, tg in zip(got, expected):
        assert str(g.dtype).rsplit(".", 1)[-1] == str(tg.dtype).rsplit(".", 1)[-1]
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-5, atol=1e-6)


def test_gradient_penalty_as_wgan_gp_calls_grad_matches_torch(backend):
    """WGAN-GP's penalty: ``grad(..., grad_outputs=ones, create_graph=True, retain_graph=True, only_inputs=True)``
    (``only_inputs`` is deprecated and ignored, as PyTorch), the norm of the gradient, backward into the critic."""
    rng = np.random.default_rng(5)
    w1, w2, x0 = rng.standard_normal((6, 4)), rng.standard_normal((1, 6)), rng.standard_normal((3, 4))
    results = []
    for lib in (anynn, torch):
        def tensor(a, requires_grad=False, lib=lib):
            return (anynn.tensor(a, backend=backend, dtype="float64", requires_grad=requires_grad) if lib is anynn
                    else torch.tensor(a, requires_grad=requires_grad))
        weights = [tensor(w1, True), tensor(w2, True)]
        x = tensor(x0, True)
        critic = lib.nn.functional.linear(lib.tanh(lib.nn.functional.linear(x, weights[0])), weights[1])
        gradients = lib.autograd.grad(outputs=critic, inputs=x, grad_outputs=x.new_ones(3, 1),
                                      create_graph=True, retain_graph=True, only_inputs=True)[0]
        penalty = ((gradients.view(gradients.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
        results.append([penalty.detach().numpy()] + [w.grad.numpy() for w in weights])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    x = anynn.tensor(x0, backend=backend, dtype="float64", requires_grad=True)
    with pytest.warns(UserWarning, match="only_inputs argument is deprecated"):
        grad((x * x).sum(), x, only_inputs=False)


def _freed_graph_programs(lib, backend=None):
    """Two patterns of PINN/second-order programs that PyTorch runs without ``retain_graph``: (1) an input made
    once by an operation that saves nothing (``torch.tensor(X, requires_grad=True).float()``, ``leaf.clone()``)
    and differentiated through on every step; (2) ``grad`` with respect to a non-leaf after a backward freed
    the node that made it (the pass stops at the input and never needs that node)."""
    where = {} if lib is torch else {"backend": backend}
    found = []
    leaf = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True, **where)
    x = leaf.clone()
    for _ in range(2):
        (x * x).sum().backward()
        found.append(leaf.grad.detach().numpy().copy())
    leaf2 = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True, **where)
    y = leaf2.exp()
    y.sum().backward()
    found.append(lib.autograd.grad((y * y).sum(), y)[0].detach().numpy())
    return found


def test_a_second_pass_through_nodes_that_saved_nothing_or_are_not_needed_as_pytorch(backend):
    for ours, theirs in zip(_freed_graph_programs(anynn, backend), _freed_graph_programs(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


# a second backward() without retain_graph through each graph: PyTorch reruns the nodes that saved no tensor (a sum,
# an addition, a reshape, a negation) and refuses those that did (exp saves its result, a product its operand)
AGAIN = {
    "sum": lambda x: x.sum(),
    "add_number_reshape_sum": lambda x: (x + 1.0).reshape(3, 1).sum(),
    "negate_permute_sum": lambda x: (-x.reshape(3, 1)).permute(1, 0).sum(),
    "x_plus_x_sum": lambda x: (x + x).sum(),
    "exp_sum": lambda x: x.exp().sum(),
    "product_sum": lambda x: (x * x).sum(),
    # nodes that save sizes or Python numbers only, as PyTorch's TrilBackward, UpsampleBackward, LerpBackward0 (a
    # number weight), AddBackward0 (alpha) and the Scalar products inside trapezoid: they refused before
    "tril_triu_sum": lambda x: (x.reshape(1, 3).tril(1) + x.reshape(3, 1).triu()).sum(),
    "interpolate_sum": lambda x: sum(_lib(x)[1].interpolate(x.reshape(1, 1, 3), 5, mode=mode).sum()
                                     for mode in ("nearest", "linear")),
    "numbers_in_composites_sum": lambda x: (x.lerp(x.detach(), 0.3) + x.add(x, alpha=2.0)
                                            + x.detach().sub(x, alpha=0.5)).sum()
    + _lib(x)[0].trapezoid(x, dx=0.5) + _lib(x)[0].cumulative_trapezoid(x).sum(),
    "interpolate_area_sum": lambda x: _lib(x)[1].interpolate(x.reshape(1, 1, 3), 2, mode="area").sum(),
    # views between real and complex (they kept the dtype object, which counted as saved)
    "complex_views_sum": lambda x: _lib(x)[0].view_as_real(_lib(x)[0].fft.fft2(x.reshape(1, 3))).sum()
    + _lib(x)[0].view_as_complex(x[:2].reshape(1, 2)).imag.sum() + _lib(x)[0].real(
        _lib(x)[0].view_as_complex(x[1:].clone().reshape(1, 2))).sum(),
    "as_strided_sum": lambda x: x.as_strided((2, 2), (1, 1)).sum(),  # (its positions were a saved array)
    # nodes that read nothing (floor/ceil/round/trunc/sign: zeros; frac: g) and a copy_ that casts (it kept the source's
    # dtype object, which counted as saved): they saved their input and output, or the dtype, and refused
    "piecewise_constant_frac_cast_copy_sum": lambda x: (x.floor() + x.ceil() + x.round() + x.trunc() + x.sign()
                                                        + x.frac()).sum() + x.new_zeros(3, dtype=_lib(x)[0].float32)
    .copy_(x).sum(),
    # torch.gradient with number spacing divides by Scalars (its coordinates were tensors whose products saved them)
    "gradient_spacing_sum": lambda x: sum(g.sum() for g in _lib(x)[0].gradient(x, spacing=0.5, edge_order=2))
    + _lib(x)[0].gradient(x)[0].sum(),
}


def _lib(x):
    """The library of ``x`` and its functional module."""
    return (anynn, F) if isinstance(x, anynn.Tensor) else (torch, torch.nn.functional)


@pytest.mark.parametrize("case", sorted(AGAIN))
def test_a_second_backward_reruns_what_saved_nothing_as_pytorch(backend, case):
    values = np.array([0.5, -1.0, 2.0])
    mine = anynn.tensor(values, backend=backend, dtype="float64", requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    outputs = [AGAIN[case](mine), AGAIN[case](theirs)]
    for out in outputs:
        out.backward()
    outcomes = []
    for out in outputs:
        try:
            out.backward()
            outcomes.append("ran")
        except RuntimeError as error:
            assert "retain_graph=True" in str(error)
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]
    np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_a_released_node_keeps_its_edges_not_its_inputs_arrays(backend):
    """After a backward without retain_graph, ``next_functions`` are as before (PyTorch keeps a freed node's edges),
    a tensor kept alive can still be the target of ``grad`` through the nodes that saved nothing, and an
    intermediate tensor the caller dropped is no longer held by the graph."""
    (a,) = _pair(backend)[:1]
    hidden = a * 3.0
    dropped = weakref.ref(hidden)
    kept = a.exp()
    out = anynn.cat([(hidden + kept) + 1.0, kept]).reshape(2, 4).sum()
    names = [type(fn).__name__ for fn, _ in out.grad_fn.next_functions]
    out.backward()
    assert [type(fn).__name__ for fn, _ in out.grad_fn.next_functions] == names
    (g,) = grad(out, [kept])  # Sum, Reshape, cat and the additions saved nothing: rerun to reach `kept`
    np.testing.assert_allclose(g.numpy(), np.full(4, 2.0))
    del hidden
    gc.collect()
    assert dropped() is None
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        grad(out, [a])  # through exp and the product, which saved their operands


def test_recording_through_released_nodes_that_saved_nothing(backend):
    """create_graph=True through a sum and additions an earlier backward released, as PyTorch records through its
    nodes without saved tensors; the intermediate tensor is gone (its stand-in's values are never read)."""
    (a,) = _pair(backend)[:1]
    out = ((a * 1.0) + a + 2.0).sum() * 1.0
    out.backward()
    ta = torch.tensor(a.detach().numpy(), requires_grad=True)
    tout = ((ta * 1.0) + ta + 2.0).sum() * 1.0
    tout.backward()
    with pytest.raises(RuntimeError):
        grad(out, [a], create_graph=True)  # the last product saved its operand, in both
    with pytest.raises(RuntimeError):
        torch.autograd.grad(tout, [ta], create_graph=True)
    inner, tinner = (a + 1.0) + a, (ta + 1.0) + ta
    loss, tloss = inner.sum(), tinner.sum()
    loss.backward()
    tloss.backward()
    del inner
    (g,) = grad(loss, [a], create_graph=True)
    (tg,) = torch.autograd.grad(tloss, [ta], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy())


def _hooked_program(lib, make, case):
    """One of the HOOKED programs on ``lib``: returns the gradients it reads, as host arrays (None where absent)."""
    a = make(np.array([0.5, -1.0, 2.0]))
    b = make(np.array([1.5, 0.25, -3.0]))
    y = a * b
    z = (y * y).sum()
    if case == "leaf_hook_in_grad":
        a.register_hook(lambda g: g * 3)
        found = list(lib.autograd.grad(z, (a, b)))
    elif case == "hook_on_the_way_in_grad":
        y.register_hook(lambda g: g * 5)
        found = list(lib.autograd.grad(z, (a,)))
    elif case == "grad_of_a_hooked_tensor":  # its producer runs on to a: PyTorch returns y's before its hook
        y.register_hook(lambda g: g * 5)
        found = list(lib.autograd.grad(z, (y, a)))
    elif case == "grad_of_a_hooked_tensor_alone":  # the pass ends at y: after its hook
        y.register_hook(lambda g: g * 5)
        found = list(lib.autograd.grad(z, (y,)))
    elif case == "retain_grad_in_grad":
        y.retain_grad()
        lib.autograd.grad(z, (a,))
        found = [y.grad]
    elif case == "retain_grad_after_hooks":
        y.register_hook(lambda g: g * 5)
        y.retain_grad()
        z.backward()
        found = [y.grad, a.grad]
    elif case == "retained_output":
        z.retain_grad()
        z.register_hook(lambda g: g * 2)
        z.backward()
        found = [z.grad, a.grad]
    else:  # "create_graph_twice": each .grad its own tensor, the second pass added once
        w = a + b
        w.retain_grad()
        loss = (w * 1.0).sum()
        loss.backward(retain_graph=True, create_graph=True)
        loss.backward()
        found = [a.grad, b.grad, w.grad]
    return [None if g is None else g.detach().numpy() for g in found]


HOOKED = ("leaf_hook_in_grad", "hook_on_the_way_in_grad", "grad_of_a_hooked_tensor", "grad_of_a_hooked_tensor_alone",
          "retain_grad_in_grad",
          "retain_grad_after_hooks", "retained_output", "create_graph_twice")


@pytest.mark.parametrize("case", HOOKED)
def test_tensor_hooks_and_retained_gradients_as_pytorch(backend, case):
    """Tensor hooks run on a tensor's total gradient before it is returned by grad() or passed on, leaf hooks too;
    a retained gradient is that total after the hooks, filled by grad() as well as backward() (before the fix,
    grad() ignored leaf hooks, returned a wanted tensor's gradient before its hooks and left retained gradients
    None; two .grad filled by one create_graph pass were one Tensor, so a second backward added twice)."""
    theirs = _hooked_program(torch, lambda a: torch.tensor(a, requires_grad=True), case)
    ours = _hooked_program(anynn, lambda a: anynn.tensor(a, backend=backend, requires_grad=True), case)
    assert [g is None for g in ours] == [g is None for g in theirs]
    for mine, reference in zip(ours, theirs):
        if reference is not None:
            np.testing.assert_allclose(np.asarray(mine), reference, rtol=1e-12)


MISUSED_BACKWARD = {  # PyTorch's error class for each
    "hook_returns_a_number": (lambda lib, x: _hooked_by(x * 2, lambda g: 3).sum().backward(), TypeError,
                              "hook '<lambda>' returned a int; expected a Tensor"),
    "empty_inputs": (lambda lib, x: (x * x).sum().backward(inputs=[]), RuntimeError,
                     "`inputs` argument to `backward\\(\\)` cannot be empty"),
    "empty_inputs_of_autograd_backward": (lambda lib, x: lib.autograd.backward([(x * x).sum()], inputs=()),
                                          RuntimeError, "cannot be empty"),
    "inputs_that_do_not_require_grad": (lambda lib, x: (x * x).sum().backward(inputs=[x, x.detach()]), RuntimeError,
                                        "input 1 of `inputs` does not require grad"),
    "grad_of_a_number_input": (lambda lib, x: lib.autograd.grad((x * x).sum(), [1.0]), RuntimeError,  # (TypeError
                               "input 0 is a float, not a Tensor"),  # only before)
}


def _hooked_by(tensor, hook):
    tensor.register_hook(hook)
    return tensor


@pytest.mark.parametrize("case", sorted(MISUSED_BACKWARD))
def test_misused_backward_is_refused_as_pytorch(backend, case):
    """A hook that returns a number failed in our own code ("'int' object has no attribute 'shape'"); an empty
    ``inputs`` accumulated nothing, silently."""
    run, error, message = MISUSED_BACKWARD[case]
    with pytest.raises(error):
        run(torch, torch.ones(2, requires_grad=True))
    x = anynn.ones(2, backend=backend, requires_grad=True)
    with pytest.raises(error, match=message):
        run(anynn, x)
    assert x.grad is None


def test_a_hook_returning_a_gradient_of_another_backend_is_refused_by_name(backend):
    """The other library's dtype met ours: 'dtype argument must be a NumPy dtype, but it is a torch.dtype'."""
    from anynn.backend import BackendMismatch

    other = "torch" if backend.key.split(":")[0] != "torch" else "numpy"
    x = anynn.ones(2, backend=backend, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: anynn.ones(2, backend=other))
    with pytest.raises(BackendMismatch, match=f"hook '<lambda>' returned a gradient on '{other}'"):
        y.sum().backward()
    layer = anynn.nn.Linear(2, 2, backend=backend)
    layer.register_full_backward_hook(lambda module, grad_input, grad_output: (anynn.ones(1, 2, backend=other),))
    with pytest.raises(BackendMismatch, match=f"Linear's backward hook returned gradient 0 on '{other}'"):
        layer(anynn.ones(1, 2, backend=backend, requires_grad=True)).sum().backward()


@pytest.mark.parametrize("leaf", (True, False), ids=("leaf", "intermediate"))
def test_a_hook_that_changes_the_gradients_dtype_is_refused_as_pytorchs(backend, leaf):
    for m, kw in ((torch, {}), (anynn, {"backend": backend})):
        x = m.ones(3, requires_grad=True, **kw)
        hooked = x if leaf else x * 2
        hooked.register_hook(lambda g: g.double())
        with pytest.raises(RuntimeError, match="changed the (type of value|dtype of the gradient)"):
            (hooked * 3).sum().backward()


@pytest.mark.parametrize("create_graph", (False, True))
def test_grad_through_a_tensor_overwritten_after_a_read_as_pytorch(backend, create_graph):
    """``v = a - b; w = v + v; v.copy_(w)``: the addition read v's old value, so grad() sends its gradient to the
    subtraction, not to the copy that is v's producer now (before the fix, grad() followed the living tensor to
    its new producer and found neither input)."""
    found = []
    for lib, make_tensor in ((torch, lambda a: torch.tensor(a, requires_grad=True)),
                             (anynn, lambda a: anynn.tensor(a, backend=backend, requires_grad=True))):
        a, b = make_tensor(np.array([1.0, 2.0])), make_tensor(np.array([0.5, -1.0]))
        v = a - b
        w = v + v
        v.copy_(w * 1.0)
        gradients = lib.autograd.grad((w * lib.tensor(np.array([1.0, 3.0]))).sum() if lib is torch else
                                      (w * make_tensor(np.array([1.0, 3.0])).detach()).sum(), (a, b),
                                      create_graph=create_graph)
        found.append([g.detach().numpy() for g in gradients])
    for ours, theirs in zip(found[1], found[0]):
        np.testing.assert_allclose(np.asarray(ours), theirs, rtol=1e-12)


def test_post_accumulate_grad_hooks_as_pytorch(backend):
    """``register_post_accumulate_grad_hook``: once per backward, after the summed gradient reached ``.grad``
    (also for ``backward(inputs=...)`` and create_graph, not for ``autograd.grad``); refused on non-leaves; removable.
    PyTorch's optimizer-in-backward recipe (an optimizer per parameter stepped by the hook) trains as the loop does.
    It was missing."""
    def run(lib, x):
        seen = []
        handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.detach().numpy().copy()))
        ((x * 2.0).sum() + (x * x).sum()).backward()
        lib.autograd.grad((x * 2.0).sum(), x)
        (x * 3.0).sum().backward(inputs=[x])
        x.grad = None
        (x * x).sum().backward(create_graph=True)
        handle.remove()
        (x * 2.0).sum().backward()
        with pytest.raises(RuntimeError, match="non-leaf"):
            (x * 2.0).register_post_accumulate_grad_hook(lambda t: None)
        return seen

    x0 = np.array([1.0, -2.0, 0.5])
    expected = run(torch, torch.tensor(x0, requires_grad=True))
    got = run(anynn, make(backend, x0, requires_grad=True))
    assert len(got) == len(expected) == 3
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12)

    def train(lib, nn_lib, weights):
        model = nn_lib.Linear(3, 2, dtype=lib.float64)
        model = model.to(backend) if lib is anynn else model
        with lib.no_grad():
            model.weight.copy_(weights[0])
            model.bias.copy_(weights[1])
        optimizers = {p: lib.optim.SGD([p], lr=0.1) for p in model.parameters()}

        def step(p):
            optimizers[p].step()
            optimizers[p].zero_grad()

        for p in model.parameters():
            p.register_post_accumulate_grad_hook(step)
        inputs = weights[2]
        for _ in range(3):
            model(inputs).square().sum().backward()
        return model.weight.detach().numpy(), model.bias.detach().numpy()

    rng = np.random.default_rng(0)
    w, b, inputs = rng.standard_normal((2, 3)), rng.standard_normal(2), rng.standard_normal((4, 3))
    expected = train(torch, torch.nn, [torch.tensor(w), torch.tensor(b), torch.tensor(inputs)])
    got = train(anynn, anynn.nn, [make(backend, w), make(backend, b), make(backend, inputs)])
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-10)


@pytest.mark.parametrize("call", [lambda a: F.softmax(a, dim=0), lambda a: F.max_pool1d(a[None], 2),
                                  lambda a: F.pad(a, (1, 1)), lambda a: F.normalize(a[None])])
def test_a_numpy_array_where_a_tensor_goes_names_the_op_and_the_type(call):
    """PyTorch raises "argument 'input' must be Tensor, not numpy.ndarray"; anynn said "<Function>.apply needs at
    least one Tensor input", naming neither what was given nor the way out (found by the adversarial helper)."""
    with pytest.raises(TypeError, match=r"expected a Tensor input, got numpy\.ndarray.*anynn\.tensor"):
        call(np.ones(4))


def test_a_number_on_the_left_of_add_or_mul_is_the_second_input_like_torch(backend):
    """``2 * b`` and ``2 + b`` are recorded as ``b * 2`` and ``b + 2`` (PyTorch's): the introyt autograd tutorial
    walks ``grad_fn.next_functions[0][0]`` from the loss down to the leaf, which ``(None, 0)`` first broke."""
    def depth(lib, a):
        out = (2 * (1.5 + lib.sin(a) * 3)).sum()
        steps, fn = [], out.grad_fn
        while fn is not None and fn.next_functions:
            steps.append(len(fn.next_functions))
            fn = fn.next_functions[0][0]
        return steps, fn.variable is a, out
    values = np.linspace(0.0, 6.0, 5)
    ours_a = make(backend, values, requires_grad=True)
    theirs_a = torch.tensor(values, requires_grad=True)
    ours, theirs = depth(anynn, ours_a), depth(torch, theirs_a)
    assert ours[:2] == theirs[:2]
    ours[2].backward()
    theirs[2].backward()
    np.testing.assert_allclose(ours_a.grad.cpu().numpy(), theirs_a.grad.numpy(), rtol=1e-12)
    assert (2 * ours_a).dtype == ours_a.dtype and (2 - ours_a).grad_fn.next_functions[1][0] is not None
