"""PyTorch-style custom Functions (``forward(ctx, ...)`` / ``backward(ctx, ...)`` static methods on Tensors):
the same class body runs on anynn and on PyTorch, with the same values and gradients, on every backend."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.custom_function import CtxFunctionNode

from tests.helpers import check_gradients, make


def make_classes(lib):
    """The same PyTorch-style Functions, written against ``lib`` (``torch`` or ``anynn``)."""

    class MyReLU(lib.autograd.Function):  # the jcjohnson / PyTorch-tutorial warm-up
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            grad_x = grad_output.clone()
            grad_x[x < 0] = 0
            return grad_x

    class LegendrePolynomial3(lib.autograd.Function):  # tutorials' polynomial_custom_function
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * x ** 2 - 1)

    class ScaledMul(lib.autograd.Function):  # two tensor inputs, a constant, two outputs, setup_context style
        @staticmethod
        def forward(x, y, scale):
            return x * y * scale, x - y

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y, scale = inputs
            ctx.save_for_backward(x, y)
            ctx.scale = scale

        @staticmethod
        def backward(ctx, g_prod, g_diff):
            x, y = ctx.saved_tensors
            gx = gy = None
            if ctx.needs_input_grad[0]:
                gx = g_prod * y * ctx.scale + g_diff
            if ctx.needs_input_grad[1]:
                gy = g_prod * x * ctx.scale - g_diff
            return gx, gy, None

    class GradReverse(lib.autograd.Function):  # domain-adversarial gradient reversal: forward returns a view
        @staticmethod
        def forward(ctx, x, alpha):
            ctx.alpha = alpha
            return x.view_as(x)

        @staticmethod
        def vjp(ctx, grad_output):  # PyTorch's other name for backward
            return grad_output.neg() * ctx.alpha, None

    class ArgmaxWithValue(lib.autograd.Function):  # an integer output marked non-differentiable
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax(dim=-1, keepdim=True)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.shape = x.shape
            return x.gather(-1, idx), idx

        @staticmethod
        def backward(ctx, g, _g_idx):
            idx, = ctx.saved_tensors
            return g.new_zeros(ctx.shape).scatter(-1, idx, g)

    class LossWithSupport(lib.autograd.Function):  # entmax's loss Functions: classmethods, a None output
        @classmethod
        def forward(cls, ctx, x):
            ctx.save_for_backward(x)
            return (x * x).sum(-1), None, 2

        @classmethod
        def backward(cls, ctx, g, g_support, g_count):
            assert g_support is None and g_count is None  # outputs that are no Tensor: None, as PyTorch hands
            x, = ctx.saved_tensors
            return 2 * x * g.unsqueeze(-1)

    return dict(MyReLU=MyReLU, LegendrePolynomial3=LegendrePolynomial3, ScaledMul=ScaledMul,
                GradReverse=GradReverse, ArgmaxWithValue=ArgmaxWithValue, LossWithSupport=LossWithSupport)


OURS, THEIRS = make_classes(anynn), make_classes(torch)
CASES = {  # name -> (call(classes, *tensors) -> one Tensor, input shapes)
    "MyReLU": (lambda c, x: c["MyReLU"].apply(x.mm(x.t())), [(3, 4)]),
    "LegendrePolynomial3": (lambda c, x: c["LegendrePolynomial3"].apply(x), [(5,)]),
    "ScaledMul": (lambda c, x, y: (lambda p, d: p * 2 + d * d)(*c["ScaledMul"].apply(x, y, 0.5)), [(2, 3), (2, 3)]),
    "GradReverse": (lambda c, x: c["GradReverse"].apply(x * x, 0.3) * 2, [(4,)]),
    "ArgmaxWithValue": (lambda c, x: c["ArgmaxWithValue"].apply(x)[0] * 3, [(3, 5)]),
    "LossWithSupport": (lambda c, x: (lambda loss, none, two: loss * two + (none is None))(
        *c["LossWithSupport"].apply(x)), [(3, 4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_ctx_function_matches_pytorch(backend, name):
    call, shapes = CASES[name]
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [make(backend, a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = call(OURS, *ours), call(THEIRS, *theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = rng.standard_normal(tuple(ref.shape))
    (out * make(backend, w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["MyReLU", "LegendrePolynomial3", "ScaledMul"])  # GradReverse: not a true gradient
def test_ctx_function_gradients(backend, name):
    call, shapes = CASES[name]
    rng = np.random.default_rng(3)
    check_gradients(backend, lambda *t: call(OURS, *t), *[rng.standard_normal(s) for s in shapes])


def test_ctx_function_second_order_matches_pytorch(backend):
    """create_graph=True records the user's backward (Tensor operations), so it is differentiated again."""
    x0 = np.array([0.3, -1.2, 2.0])
    results = []
    for lib, classes, x in ((anynn, OURS, make(backend, x0, requires_grad=True)),
                            (torch, THEIRS, torch.tensor(x0, requires_grad=True))):
        y = classes["LegendrePolynomial3"].apply(x).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        g2, = lib.autograd.grad(g.sum(), x)
        results.append((g.detach().numpy() if lib is torch else g.numpy(), g2.numpy() if lib is anynn else
                        g2.detach().numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_ctx_function_outputs_and_modes(backend):
    x = make(backend, np.array([[1.0, 3.0, 2.0]]), requires_grad=True)
    value, idx = OURS["ArgmaxWithValue"].apply(x)
    assert value.requires_grad and isinstance(value.grad_fn, CtxFunctionNode)
    assert not idx.requires_grad and idx.grad_fn is None  # marked non-differentiable (an integer output)
    with anynn.no_grad():
        assert not OURS["MyReLU"].apply(x).requires_grad
    assert not OURS["MyReLU"].apply(x.detach()).requires_grad


def test_ctx_function_bad_backward_is_named(backend):
    class WrongShape(anynn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    class TooMany(anynn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class Number(anynn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 2.0

    x = make(backend, np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned an invalid gradient at index 0"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"TooMany.backward: .*incorrect number of gradients \(expected 1, got 2"):
        TooMany.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"Number.backward: expected Variable or None \(got float\)"):
        Number.apply(x).sum().backward()  # PyTorch's RuntimeError (a TypeError before)
    # a wrong shape for an input that requires no grad is dropped unchecked, as PyTorch's (jacrev of x alone)
    Scaled = type("Scaled", (TooMany,), {"forward": staticmethod(lambda ctx, x, w: x * w),
                                         "backward": staticmethod(lambda ctx, g: (g, g.sum()))})
    np.testing.assert_array_equal(anynn.autograd.grad(Scaled.apply(x, make(backend, np.ones(3))).sum(), x)[0].numpy(),
                                  np.ones(3))
    with pytest.raises(RuntimeError, match=r"Scaled.backward returned an invalid gradient at index 1"):
        Scaled.apply(x, make(backend, np.ones(3), requires_grad=True)).sum().backward()
    Both = type("Both", (TooMany,), {"backward": staticmethod(lambda ctx, g: g), "vjp": staticmethod(lambda ctx, g: g)})
    with pytest.raises(RuntimeError, match=r"Implementing both 'backward' and 'vjp' .* not allowed"):
        Both.apply(x).sum().backward()


def _scaled(lib, separate):
    """``a * b * c`` with defaults for b and c, its setup in forward (ctx style) or in ``setup_context``."""

    def backward(ctx, g):
        return (g * ctx.bc,) + (None,) * ctx.count

    def setup_context(ctx, inputs, output):
        ctx.bc, ctx.count = inputs[1] * inputs[2], len(inputs) - 1

    def forward(ctx, a, b=2.0, c=3.0):
        ctx.bc, ctx.count = b * c, 0  # ctx style: PyTorch asks for one gradient per given argument
        return a * b * c

    body = {"backward": staticmethod(backward)}
    if separate:
        body.update(forward=staticmethod(lambda a, b=2.0, c=3.0: a * b * c), setup_context=staticmethod(setup_context))
    else:
        body["forward"] = staticmethod(forward)
    return type("Scaled", (lib.autograd.Function,), body)


@pytest.mark.parametrize("separate", [False, True], ids=["ctx", "setup_context"])
def test_ctx_function_apply_binds_keywords_as_pytorch(backend, separate):
    """``apply(x, c=4.0)`` / ``apply(a=x)`` as PyTorch's: keywords bound to forward's parameters by name
    (anynn refused every keyword); with ``setup_context`` its ``inputs`` hold the defaults too."""
    calls = [((), {"a": None}), ((None, 5.0), {}), ((None,), {"b": 1.0, "c": 4.0}), ((None,), {"c": 4.0})]
    for lib, leaf in ((torch, lambda: torch.tensor([1.0, -2.0], requires_grad=True)),
                      (anynn, lambda: make(backend, np.array([1.0, -2.0]), requires_grad=True))):
        results = []
        for args, kwargs in calls:
            x = leaf()
            args = tuple(x if a is None else a for a in args)
            kwargs = {k: x if v is None else v for k, v in kwargs.items()}
            try:
                y = _scaled(lib, separate).apply(*args, **kwargs)
                y.sum().backward()
                results.append((y.tolist(), x.grad.tolist()))
            except (TypeError, RuntimeError) as error:
                results.append(type(error).__name__)
        if lib is torch:
            expected = results
    assert results == expected
    with pytest.raises(TypeError, match="unexpected keyword argument 'd'"):
        _scaled(anynn, separate).apply(make(backend, np.ones(2)), d=1.0)


def _double_in_place(lib):
    class DoubleInPlace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            x.mul_(2)
            ctx.mark_dirty(x)
            ctx.scale = scale
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    return DoubleInPlace


def test_ctx_function_corner_cases_as_pytorch(backend):
    """mark_dirty returns the input object itself, now the call's output (gradients through its earlier history);
    a dirty leaf that requires grad, a gradient for a non-Tensor input and the legacy ``F()(x)`` call are refused
    as PyTorch refuses them."""
    grads, same = [], []
    for lib, w in ((torch, torch.tensor([1.0, -2.0, 3.0], requires_grad=True)),
                   (anynn, make(backend, np.array([1.0, -2.0, 3.0]), requires_grad=True))):
        x = w * 3
        y = _double_in_place(lib).apply(x, 0.5)
        same.append(y is x)
        (y * y).sum().backward()
        grads.append(w.grad.numpy())
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
            _double_in_place(lib).apply(lib.ones(2, requires_grad=True) if lib is torch else
                                        make(backend, np.ones(2), requires_grad=True), 0.5)

        class GradForNumber(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * 2, g

        with pytest.raises(RuntimeError, match="gradient different than None at position 2, but the corresponding "
                                               "forward input was not a"):
            GradForNumber.apply(w * 1, 2).sum().backward()
        with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (PyTorch also warns on instantiation)
            GradForNumber()(w)
    assert same == [True, True]
    np.testing.assert_allclose(grads[1], grads[0])


def _accumulating_stack(lib):
    """labml's feedback transformer's StackFunction: a buffer kept on ``ctx`` (not saved) that backward adds into."""

    class Stack(lib.autograd.Function):
        @staticmethod
        def forward(ctx, memory, memory_grad, last):
            ctx.memory_grad = memory_grad
            return memory + last

        @staticmethod
        def backward(ctx, g):
            ctx.memory_grad += g
            return None, None, ctx.memory_grad.clone()

    return Stack


def test_ctx_function_inputs_changed_in_place_are_checked_only_where_saved(backend):
    """PyTorch checks the versions of saved tensors only: a buffer input kept on ``ctx``, changed after the call
    (here by the backward of a later call), is allowed; a saved input changed is refused by both."""
    grads = []
    for lib, new in ((torch, torch.tensor), (anynn, lambda a, **k: make(backend, np.asarray(a), **k))):
        x = new([1.0, -2.0], requires_grad=True)
        memory, memory_grad = new([0.0, 0.0]), new([0.0, 0.0])
        stack = _accumulating_stack(lib)
        y = stack.apply(memory, memory_grad, x * 2)
        memory.add_(1.0)
        (stack.apply(memory, memory_grad, y * 3) * x).sum().backward()
        grads.append(x.grad.numpy())
        saved = new([1.0, 1.0])
        z = THEIRS["ScaledMul"].apply(x, saved, 2.0) if lib is torch else OURS["ScaledMul"].apply(x, saved, 2.0)
        saved.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z[0].sum().backward()
        # an input that requires grad, not saved, changed after the call: its gradient goes to its old producer,
        # at first order and with create_graph=True (x * w * w saves only w)
        w = new([2.0, 3.0], requires_grad=True)
        scaled = x * 3.0
        out = _scale_by_saved_square(lib).apply(scaled, w)
        scaled.mul_(7.0)
        (gx,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        grads.append(gx.detach().numpy())
        grads.append(lib.autograd.grad((gx * gx).sum(), w)[0].numpy())
    for ours, theirs in zip(grads[len(grads) // 2:], grads[:len(grads) // 2]):
        np.testing.assert_allclose(ours, theirs)


def _scale_by_saved_square(lib):
    class ScaleBySavedSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(w)
            return x * w * w

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return g * w * w, None

    return ScaleBySavedSquare


def test_array_style_functions_are_unchanged(backend):
    """Subclasses in anynn's own style (``forward(self, xp, *arrays)``) keep the array calling convention."""

    class Cube(anynn.autograd.Function):
        def forward(self, xp, x):
            self.x = x
            return x * x * x

        def backward(self, xp, g):
            return 3 * self.x * self.x * g

    check_gradients(backend, Cube.apply, np.array([0.5, -2.0]))
    assert Cube.apply.__func__ is anynn.autograd.primitive.Function.apply.__func__


def _square_once(lib):
    """PyTorch's x ** 2 as a ctx-style Function whose backward is @once_differentiable, in library ``lib``."""

    class SquareOnce(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return SquareOnce


def test_once_differentiable_as_pytorch(backend):
    """First derivatives as usual; with create_graph and a grad_output that requires grad, differentiating the
    gradient again raises PyTorch's error (it is no constant); without create_graph nothing is recorded."""
    x0, v0 = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -1.0])
    found = []
    for lib, mk in ((anynn, lambda v, r: make(backend, v, requires_grad=r)),
                    (torch, lambda v, r: torch.tensor(v, requires_grad=r))):
        x, v = mk(x0, True), mk(v0, True)
        square = _square_once(lib)
        square.apply(x).sum().backward()
        (g,) = lib.autograd.grad(square.apply(x), x, grad_outputs=v, create_graph=True)
        assert g.requires_grad
        with pytest.raises(RuntimeError, match="differentiate twice a function that was marked with @once_diff"):
            g.sum().backward()
        found.append((x.grad.detach().numpy().copy(), g.detach().numpy().copy()))
    for mine, theirs in zip(*found):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_once_differentiable_gradient_is_a_dead_end_not_a_wall(backend):
    """The error node hangs from a stand-in leaf, as PyTorch's: autograd.grad towards inputs reached another way
    (through the forward) runs and gives PyTorch's values, the input only reached through the once-differentiated
    gradient gets None; backward() into every leaf still raises (anynn tied it to the incoming gradients and
    raised for both)."""
    found = []
    for lib, mk in ((anynn, lambda v: make(backend, v, requires_grad=True)),
                    (torch, lambda v: torch.tensor(v, requires_grad=True))):
        x, y = mk(np.array([0.5, -1.0])), mk(np.array([2.0, 3.0]))
        gx, gy = lib.autograd.grad((_square_once(lib).apply(x) * y).sum(), (x, y), create_graph=True)
        dx, dy = lib.autograd.grad((gx ** 2).sum() + (gy ** 2).sum(), (x, y), allow_unused=True)
        assert dy is None
        found.append(dx.detach().numpy().copy())
        gx, gy = lib.autograd.grad((_square_once(lib).apply(x) * y).sum(), (x, y), create_graph=True)
        with pytest.raises(RuntimeError, match="differentiate twice"):
            ((gx ** 2).sum() + (gy ** 2).sum()).backward()
    np.testing.assert_allclose(found[0], found[1], rtol=1e-12)


def test_next_functions_as_pytorch(backend):
    """``grad_fn.next_functions``: the creator of each input with its output index, an AccumulateGrad holding the
    leaf for a leaf that requires grad, ``(None, 0)`` for an input without gradient."""
    shapes = []
    for mk in (lambda v, r: make(backend, v, requires_grad=r), lambda v, r: torch.tensor(v, requires_grad=r)):
        w, c = mk(np.ones(3), True), mk(np.ones(3), False)
        y = (w * c + w.exp()).sum()
        add = y.grad_fn.next_functions[0][0]
        mul_edge, exp_edge = add.next_functions
        leaf_edges = mul_edge[0].next_functions
        assert leaf_edges[0][0].variable is w and leaf_edges[1] == (None, 0)
        assert type(leaf_edges[0][0]).__name__ == "AccumulateGrad"
        shapes.append((len(y.grad_fn.next_functions), len(add.next_functions), exp_edge[1], len(leaf_edges)))
    assert shapes[0] == shapes[1]


def _saves_its_output(lib):
    """PyTorch's double-backward tutorial's Exp: ``save_for_backward`` of the output, ``backward`` from it."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = lib.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_out):
            (result,) = ctx.saved_tensors
            return result * grad_out

    return Exp


def test_a_saved_output_is_differentiated_again_as_pytorch(backend):
    """A saved output reads back as the recorded output (its grad_fn this node): the gradient ``result * g``
    depends on ``x`` through it, so the second derivative is ``exp(x)`` (it was 0: a constant was saved)."""
    x0 = np.array([0.3, -1.2, 2.0])
    found = []
    for lib, x in ((anynn, make(backend, x0, requires_grad=True)), (torch, torch.tensor(x0, requires_grad=True))):
        exp = _saves_its_output(lib)
        (g,) = lib.autograd.grad(exp.apply(x).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        found.append((g.detach().numpy(), g2.detach().numpy()))
        assert lib.autograd.gradgradcheck(exp.apply, (x.detach().requires_grad_(),))
    for mine, theirs in zip(*found):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_gradcheck_and_gradgradcheck_as_pytorch(backend):
    """PyTorch's spellings: a Tensor or a tuple of inputs, True on success, GradcheckError (a RuntimeError), or
    False with raise_exception=False, on a wrong backward; an input made by clone() may be checked again and again
    (the check differentiates the function, not the graph the input came from)."""

    def wrong(lib):
        class HalfWrong(lib.autograd.Function):  # d/dx x**3 is 3x**2, not 2x**2
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x ** 2 * g

        return HalfWrong

    x0 = np.array([[0.3, -1.2], [2.0, 0.7]])
    for lib, x in ((anynn, make(backend, x0, requires_grad=True)), (torch, torch.tensor(x0, requires_grad=True))):
        clone = x.clone()
        exp = _saves_its_output(lib)
        for _ in range(2):
            assert lib.autograd.gradcheck(exp.apply, clone) is True
            assert lib.autograd.gradgradcheck(exp.apply, (clone,), eps=1e-6, atol=1e-5) is True
        assert lib.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), (lib.ones_like(x),)) is True
        assert lib.autograd.gradcheck(wrong(lib).apply, (x,), raise_exception=False) is False
        with pytest.raises(RuntimeError, match="(?i)jacobian mismatch|gradient check failed"):
            lib.autograd.gradcheck(wrong(lib).apply, (x,))
        # nothing left to check: PyTorch's assertions (anynn returned True)
        with pytest.raises(AssertionError, match="check_forward_ad or check_backward_ad"):
            lib.autograd.gradcheck(exp.apply, (x,), check_backward_ad=False)
        with pytest.raises(AssertionError, match="check_fwd_over_rev or check_rev_over_rev"):
            lib.autograd.gradgradcheck(exp.apply, (x,), check_rev_over_rev=False)
        with pytest.raises(AssertionError, match="check_undefined_grad=True requires check_rev_over_rev"):
            lib.autograd.gradgradcheck(exp.apply, (x,), check_rev_over_rev=False, check_fwd_over_rev=True)
    assert issubclass(anynn.autograd.GradcheckError, RuntimeError)


TORCH_AUTOGRAD_FILES = {"gradcheck": "gradcheck gradgradcheck GradcheckError",
                        "grad_mode": "no_grad enable_grad set_grad_enabled inference_mode",
                        "anomaly_mode": "detect_anomaly set_detect_anomaly"}


def test_torch_autograd_file_paths_import_as_pytorchs():
    """``from torch.autograd.gradcheck import gradcheck`` (the numpy-extensions tutorial), ``grad_mode`` and
    ``anomaly_mode``: each path holds PyTorch's names, the same objects as ``anynn.autograd``'s; the attribute
    ``autograd.gradcheck`` stays the function, as PyTorch's."""
    import importlib

    for file, names in TORCH_AUTOGRAD_FILES.items():
        theirs, mine = (importlib.import_module(f"{lib}.autograd.{file}") for lib in ("torch", "anynn"))
        for name in names.split():
            assert hasattr(theirs, name) and getattr(mine, name) is getattr(anynn.autograd, name), (file, name)
    assert callable(anynn.autograd.gradcheck) and anynn.autograd.gradcheck.__name__ == "gradcheck"


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
def test_gradchecks_of_float32_inputs_warn_and_run_as_pytorchs(backend, check):
    """PyTorch's gradcheck/gradgradcheck warn about a float32 input and check it in float32 (the defaults then
    fail, loose tolerances pass); anynn's own grad_check/gradgrad_check keep refusing it."""
    for m, kw in ((torch, {}), (anynn, {"device": backend.key})):
        x = m.tensor([0.5, -1.0, 2.0], dtype=m.float32, requires_grad=True, **kw)
        run = getattr(m.autograd, check)
        with pytest.warns(UserWarning, match="precision"):
            assert run(lambda t: (t * t * t).sum(), (x,), eps=1e-2, atol=1e-2, rtol=1e-2)
        with pytest.warns(UserWarning):
            assert not run(lambda t: (t * t * t).sum(), (x,), raise_exception=False)
    x = anynn.tensor([0.5, -1.0], dtype="float32", requires_grad=True, device=backend.key)
    with pytest.raises(TypeError, match="float64"):
        anynn.testing.grad_check(lambda t: (t * t).sum(), x)


def test_pytorchs_import_path_of_function_gives_the_ctx_style_class():
    """``from torch.autograd.function import Function, FunctionCtx, InplaceFunction, once_differentiable`` (older
    programs and quantizers import them so) gives the classes users subclass, not anynn's engine base: a ctx-style
    Function from that path runs as PyTorch's (it raised AttributeError: no save_for_backward on the namespace)."""
    grads = []
    for lib, mk in ((anynn, lambda v: anynn.tensor(v, requires_grad=True)),
                    (torch, lambda v: torch.tensor(v, requires_grad=True))):
        module = __import__(f"{lib.__name__}.autograd.function", fromlist=["Function"])
        assert {"Function", "FunctionCtx", "InplaceFunction", "once_differentiable"} <= set(dir(module))

        class RoundSte(module.InplaceFunction):
            @staticmethod
            def forward(ctx, x, inplace=False):
                ctx.save_for_backward(x)
                return (x * x).round()

            @staticmethod
            @module.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g, None

        x = mk([0.3, -1.2, 2.5])
        RoundSte.apply(x, False).sum().backward()
        grads.append(np.asarray(x.grad.detach().numpy()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def _transform_classes(lib):
    """A square written without setup_context (Old), with it (New), with a vmap rule too (Batched) and with jvp
    as well (Full): what PyTorch's torch.func transforms ask of a custom Function."""

    class Old(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * g * x

    class New(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.x = inputs[0]

        backward = Old.backward

    class Batched(New):
        generate_vmap_rule = True

    class Full(Batched):
        @staticmethod
        def jvp(ctx, t):
            return 2 * ctx.x * t

    return dict(Old=Old, New=New, Batched=Batched, Full=Full, Operator=_square_operator(lib))


def _square_operator(lib):
    """A torch.library operator squaring x, its gradient registered (made once: operators are named globally)."""
    if not hasattr(_square_operator, "made"):
        @lib.library.custom_op("anynn_tests::transform_square", mutates_args=())
        def square(x: lib.Tensor) -> lib.Tensor:
            return x * x

        square.register_autograd(lambda ctx, g: 2 * g * ctx.saved_tensors[0],
                                 setup_context=lambda ctx, inputs, output: ctx.save_for_backward(inputs[0]))
        _square_operator.made = SimpleNamespace(apply=square)
    return _square_operator.made


def _in_transform(lib, how: str, fn, x):
    f, vm = lib.func, lib.func.vmap
    if how == "dual":
        with lib.autograd.forward_ad.dual_level():
            return lib.autograd.forward_ad.unpack_dual(fn(lib.autograd.forward_ad.make_dual(x, x) * 2)).tangent
    return {"grad": lambda: f.grad(lambda y: fn(y).sum())(x), "vmap": lambda: vm(fn)(x),
            "jvp": lambda: f.jvp(fn, (x,), (x,))[1], "jacrev": lambda: f.jacrev(fn)(x),
            "hessian": lambda: f.hessian(lambda y: fn(y).sum())(x),
            "vmap_grad": lambda: vm(f.grad(lambda y: fn(y).sum()))(x), "vjp": lambda: f.vjp(fn, x)[1](x)[0],
            "jvp_of_a_constant": lambda: f.jvp(lambda y: fn(x) + y, (x,), (x,))[1]}[how]()


_SETUP = (RuntimeError, "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, "
                        "...), it must override the setup_context staticmethod. For more details, please see "
                        "https://pytorch.org/docs/main/notes/extending.func.html")
_VMAP = (RuntimeError, "You tried to vmap over New, but it does not have vmap support. Please override and implement "
                       "the vmap staticmethod or set generate_vmap_rule=True. For more details, please see "
                       "https://pytorch.org/docs/main/notes/extending.func.html")
_JVP = (NotImplementedError, "You must implement the jvp function for custom autograd.Function to use it with forward "
                             "mode AD.")
IN_TRANSFORMS = {  # (how, class) -> PyTorch 2.13's refusal, or the values it gives as a function of x
    ("grad", "Old"): _SETUP, ("vjp", "Old"): _SETUP, ("vmap", "New"): _VMAP, ("hessian", "New"): _VMAP,
    ("vmap_grad", "New"): _VMAP, ("jvp", "New"): _JVP, ("hessian", "Batched"): _JVP, ("dual", "Batched"): _JVP,
    ("jacrev", "New"): lambda x: np.diag(2 * x), ("vmap", "Batched"): lambda x: x * x,
    ("jvp_of_a_constant", "New"): lambda x: x, ("hessian", "Full"): lambda x: 2 * np.eye(3),
    # a torch.library operator's registered gradient runs as a Function without setup_context: refused where an
    # input requires grad in grad / vjp / jacrev / hessian (anynn computed it); vmap alone runs it
    ("grad", "Operator"): _SETUP, ("jacrev", "Operator"): _SETUP, ("vmap_grad", "Operator"): _SETUP,
    ("vmap", "Operator"): lambda x: x * x, ("jvp_of_a_constant", "Operator"): lambda x: x}


@pytest.mark.parametrize("how, name", list(IN_TRANSFORMS))
def test_ctx_function_in_func_transforms_as_pytorch(backend, how, name):
    """torch.func's transforms run a custom Function only where it has setup_context (any transform), a vmap rule
    (vmap, jacfwd, hessian) and jvp (forward mode: jvp, jacfwd, linearize, a dual input): anynn computed all of
    them on the tape. The refusals are PyTorch's (class and message; PyTorch's own run of a Function in a transform
    takes seconds the first time, so its outcomes are written in the table)."""
    x = np.array([0.3, -0.8, 1.1])
    expected = IN_TRANSFORMS[how, name]
    try:
        got = _in_transform(anynn, how, _transform_classes(anynn)[name].apply, make(backend, x)).numpy()
    except (RuntimeError, NotImplementedError) as error:  # (an operator's refusal names it after PyTorch's words)
        assert type(error) is expected[0] and str(error).startswith(expected[1]), str(error)
        return
    assert callable(expected), f"ran where PyTorch refuses: {expected}"
    np.testing.assert_allclose(got, expected(x), rtol=1e-12)
