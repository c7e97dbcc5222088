"""Modes per thread, copies and sharing, in-place updates, version counters and optimizer/backward misuse.

Issue 12, sections 1 and 4: two threads training two models must not disturb each other; ``anynn.tensor``
copies and ``from_numpy`` shares; ``p -= lr * p.grad`` under ``no_grad()`` updates the model; PyTorch's
rules for in-place changes of leaves; backward after an in-place change of a saved tensor raises.
"""

from __future__ import annotations

import operator
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn import nn, optim
from anynn.autograd import detect_anomaly, is_anomaly_enabled
from anynn.backend import BackendMismatch
from tests.helpers import check_gradients, make


@pytest.fixture
def fast_switching():
    """Switch threads every microsecond, so that two threads interleave inside every training step."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


# -- 1. modes per thread ----------------------------------------------------------------------------------
def _train(backend, seed: int, steps: int, start: threading.Barrier | None = None) -> tuple[list[float], list]:
    """An MLP trained with Adam for ``steps`` full-batch steps; the losses and the final weights."""
    rng = np.random.default_rng(seed)
    x = anynn.tensor(rng.standard_normal((16, 4), dtype=np.float32), backend=backend)
    y = anynn.tensor(rng.standard_normal((16, 1), dtype=np.float32), backend=backend)
    model = nn.Sequential(nn.Linear(4, 8, seed=seed), nn.Tanh(), nn.Linear(8, 1, seed=seed + 1)).to(backend)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    if start is not None:
        start.wait()
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        with anynn.no_grad():  # inference in the middle of training, as a validation step does
            model(x)
        losses.append(float(loss))
    return losses, [p.numpy().copy() for p in model.parameters()]


def test_two_threads_train_exactly_as_one_after_the_other(backend, fast_switching):
    steps = 200
    expected = [_train(backend, seed, steps) for seed in (1, 2)]
    results: dict[int, tuple] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(seed: int) -> None:
        try:
            results[seed] = _train(backend, seed, steps, start)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for seed, (losses, weights) in zip((1, 2), expected):
        got_losses, got_weights = results[seed]
        assert got_losses == losses
        for got, want in zip(got_weights, weights):
            np.testing.assert_array_equal(got, want)


def test_no_grad_held_in_another_thread_does_not_stop_recording(backend):
    holding, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def hold() -> None:
        with anynn.no_grad():
            seen["other thread inside no_grad"] = anynn.is_grad_enabled()
            holding.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert holding.wait(10)
        w = make(backend, np.array([1.0, 2.0], np.float32), requires_grad=True)
        loss = (w * w).sum()
        assert anynn.is_grad_enabled() and loss.requires_grad
        loss.backward()
        np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])
    finally:
        release.set()
        other.join()
    assert seen["other thread inside no_grad"] is False


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_a_new_thread_starts_recording_and_without_anomaly_detection(backend):
    seen: dict[str, object] = {}

    def probe() -> None:
        seen["grad"] = anynn.is_grad_enabled()
        seen["anomaly"] = is_anomaly_enabled()
        x = make(backend, np.array([-1.0], np.float32), requires_grad=True)
        seen["log"] = anynn.log(x).numpy()  # NaN: not checked in this thread

    with anynn.no_grad(), detect_anomaly():
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        assert not anynn.is_grad_enabled() and is_anomaly_enabled()
    assert seen["grad"] is True and seen["anomaly"] is False and np.isnan(seen["log"]).all()
    assert anynn.is_grad_enabled() and not is_anomaly_enabled()



def test_two_threads_backward_into_shared_leaves_accumulate_both_gradients(backend, fast_switching):
    # PyTorch adds both threads' gradients into a shared leaf; the first gradient of a fresh leaf is the racy case
    errors: list[BaseException] = []
    for trial in range(40):
        layer = nn.Linear(8, 4, seed=trial).to(backend)
        inputs = [anynn.tensor(np.full((3, 8), k, np.float32), backend=backend) for k in (1.0, 2.0)]
        start = threading.Barrier(2)

        def work(x, layer=layer, start=start) -> None:
            try:
                start.wait(10)
                layer(x).sum().backward()
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(x,)) for x in inputs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        np.testing.assert_array_equal(layer.weight.grad.numpy(), np.full((4, 8), 9.0, np.float32))
        np.testing.assert_array_equal(layer.bias.grad.numpy(), np.full((4,), 6.0, np.float32))


def test_an_optimizer_step_while_another_thread_reads_the_parameters(backend, fast_switching):
    model = nn.Sequential(nn.Linear(16, 16, seed=0), nn.Tanh(), nn.Linear(16, 2, seed=1)).to(backend)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = anynn.tensor(np.ones((4, 16), np.float32), backend=backend)
    stop, errors, reads = threading.Event(), [], [0]

    def read() -> None:
        try:
            while not stop.is_set():
                with anynn.no_grad():
                    assert model(x).shape == (4, 2)
                state = model.state_dict()
                assert all(np.isfinite(v.numpy()).all() for v in state.values())
                reads[0] += 1
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(60):
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
    finally:
        stop.set()
        reader.join()
    assert not errors, errors
    assert reads[0] > 0


MODE_QUERIES = {  # PyTorch's top-level questions about the modes of this thread, inside their context
    "is_inference_mode_enabled": lambda lib: lib.inference_mode(),
    "is_anomaly_enabled": lambda lib: lib.autograd.set_detect_anomaly(True),
    "is_grad_enabled": lambda lib: lib.enable_grad(),
}


@pytest.mark.parametrize("name", sorted(MODE_QUERIES))
def test_mode_queries_answer_per_thread_as_torch(name):
    import torch

    for lib in (torch, anynn):
        query = getattr(lib, name)
        outside, seen = query(), {}
        with MODE_QUERIES[name](lib):
            inside = query()
            thread = threading.Thread(target=lambda q=query, out=seen: out.setdefault("other", q()))
            thread.start()
            thread.join()
        other = outside if lib is anynn or name != "is_anomaly_enabled" else True  # PyTorch's anomaly mode is global
        assert (outside, inside, seen["other"], query()) == (name == "is_grad_enabled", True, other, outside)
    with torch.inference_mode(), anynn.inference_mode():
        with torch.inference_mode(False), anynn.inference_mode(False):
            assert anynn.is_inference_mode_enabled() is torch.is_inference_mode_enabled() is False
        assert anynn.is_inference_mode_enabled() is torch.is_inference_mode_enabled() is True
    assert anynn.is_autocast_enabled("cpu") is torch.is_autocast_enabled("cpu") is False
    with anynn.autocast("cpu"):
        assert anynn.is_autocast_enabled("cpu") is True


def test_grad_mode_switches_behave_as_pytorch():
    w = anynn.tensor([1.0], requires_grad=True)

    @anynn.no_grad()
    def called() -> bool:
        return (w * 2).requires_grad

    @anynn.no_grad
    def bare() -> bool:
        return (w * 2).requires_grad

    @anynn.set_grad_enabled(False)
    def switched_off() -> bool:
        return (w * 2).requires_grad

    assert anynn.is_grad_enabled()  # decorating switched nothing
    assert called() is False and bare() is False and switched_off() is False
    with anynn.no_grad():
        with anynn.enable_grad():
            assert (w * 2).requires_grad
        with anynn.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not (w * 2).requires_grad
    with anynn.inference_mode():
        assert not (w * 2).requires_grad
    with anynn.inference_mode(False):
        assert (w * 2).requires_grad
    for not_a_bool in ("False", 0, np.bool_(True), None):  # PyTorch's TypeError (bool("False") was True)
        for lib in (torch, anynn):
            with pytest.raises(TypeError, match="must be bool, not"):
                lib.set_grad_enabled(not_a_bool)
    assert anynn.is_grad_enabled() and torch.is_grad_enabled()
    anynn.set_grad_enabled(False)  # called as a function: holds until switched back, as torch.set_grad_enabled
    try:
        assert not anynn.is_grad_enabled()
    finally:
        anynn.set_grad_enabled(True)
    assert anynn.is_grad_enabled()
    for lib in (torch, anynn):  # a decorated generator runs its body in the mode, the caller's code between yields not
        def steps(lib=lib):
            for _ in range(2):
                yield lib.is_grad_enabled()

        def outside(lib=lib):
            return lib.is_grad_enabled()

        inference = lib.inference_mode()(steps)()
        assert [(step, outside()) for step in lib.no_grad()(steps)()] == [(False, True)] * 2
        assert [next(inference), lib.is_inference_mode_enabled(), next(inference)] == [False, False, False]
        with lib.no_grad():
            assert list(lib.enable_grad()(steps)()) == [True, True]


# -- 4a. copies and sharing -------------------------------------------------------------------------------
def test_tensor_and_parameter_copy_the_callers_array(backend):
    host = np.ones((2, 3), np.float32)
    t = anynn.tensor(host, backend=backend)
    first, second = nn.Parameter(host, backend=backend), nn.Parameter(host, backend=backend)
    first.grad = anynn.tensor(np.ones((2, 3), np.float32), backend=backend)
    optim.SGD([first], lr=0.5).step()
    with anynn.no_grad():
        t += 1.0
    np.testing.assert_array_equal(host, np.ones((2, 3)))  # the caller's array is untouched
    np.testing.assert_array_equal(second.numpy(), np.ones((2, 3)))  # two parameters from one array: independent
    np.testing.assert_array_equal(first.numpy(), np.full((2, 3), 0.5))
    np.testing.assert_array_equal(t.numpy(), np.full((2, 3), 2.0))


def test_tensor_of_a_native_array_or_tensor_copies(backend):
    original = anynn.tensor(np.arange(3.0, dtype=np.float32), backend=backend)
    copies = [nn.Parameter(original.array), nn.Parameter(original), anynn.tensor(original.array, requires_grad=True),
              anynn.tensor(original, requires_grad=True)]  # (anynn.Tensor(t) aliases t, as torch.Tensor(t))
    for copy in copies:
        copy.grad = anynn.ones_like(copy)
    optim.SGD(copies, lr=1.0).step()  # steps write into the parameters' arrays where they can
    np.testing.assert_array_equal(original.numpy(), [0.0, 1.0, 2.0])
    for copy in copies:
        np.testing.assert_array_equal(copy.numpy(), [-1.0, 0.0, 1.0])


def test_from_numpy_shares_memory_both_ways(backend):
    if backend.name not in ("numpy", "torch", "array_api_strict"):
        pytest.skip("shares host memory only on host backends")
    host = np.arange(4.0)
    t = anynn.from_numpy(host, backend=backend)
    assert anynn.float64 == t.dtype  # float64 stays float64, as torch.from_numpy
    host[0] = 10.0
    assert t.numpy()[0] == 10.0
    t += 1.0
    np.testing.assert_array_equal(host, [11.0, 2.0, 3.0, 4.0])
    tt = torch.from_numpy(np.arange(4.0))
    assert tt.dtype == torch.float64


@pytest.mark.parametrize("bad", [None, "abc", object(), [1.0, "a"], {"a": 1}])
def test_tensor_of_non_numbers_raises_type_error(backend, bad):
    with pytest.raises((TypeError, RuntimeError, ValueError)):  # PyTorch refuses them too
        torch.tensor(bad)
    with pytest.raises(TypeError, match="tensor"):
        anynn.tensor(bad, backend=backend)
    if bad is None:  # Parameter(None) is PyTorch's Parameter(): an empty parameter
        assert tuple(nn.Parameter(bad, backend=backend).shape) == tuple(torch.nn.Parameter(bad).shape) == (0,)
        return
    with pytest.raises(TypeError) as info:
        nn.Parameter(bad, backend=backend)
    if isinstance(bad, (str, list)):  # PyTorch's AttributeError ('list' object has no attribute 'detach') too
        assert isinstance(info.value, AttributeError)


def test_from_numpy_refuses_non_arrays_and_objects():
    with pytest.raises(TypeError):
        anynn.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError):
        anynn.from_numpy(np.array([None, 1]))
    # a dtype PyTorch has no tensor dtype for (TypeError), bytes in non-native order (ValueError): anynn kept a
    # float128 or '>f4' dtype before
    swapped = np.ones(2, np.dtype(np.float32).newbyteorder("S"))
    for make_tensor in (anynn.from_numpy, anynn.tensor, anynn.as_tensor, anynn.asarray):
        if np.dtype(np.longdouble).itemsize > 8:  # (on some platforms longdouble is float64)
            with pytest.raises(TypeError, match="longdouble"):
                make_tensor(np.ones(2, np.longdouble))
        with pytest.raises(ValueError, match="byte order"):
            make_tensor(swapped)
        with pytest.raises(ValueError, match="stride in the given numpy array is negative"):
            make_tensor(np.ones((2, 3))[:, ::-1])  # PyTorch's refusal (anynn copied it)
    # numpy() of a tensor holding such a view (a gradient that cumsum's backward flipped) is copied, so it converts
    x = anynn.arange(4.0, requires_grad=True)
    (x.cumsum(0) * anynn.arange(4.0)).sum().backward()
    assert anynn.from_numpy(x.grad.numpy()).tolist() == [6.0, 6.0, 5.0, 3.0]


# -- 4b. in-place operators and methods -------------------------------------------------------------------
def _model(backend, seed: int = 0) -> nn.Module:
    return nn.Sequential(nn.Linear(3, 5, seed=seed), nn.Tanh(), nn.Linear(5, 2, seed=seed + 1)).to(backend)


def test_manual_sgd_update_under_no_grad_updates_the_model(backend):
    x = make(backend, np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    by_hand, by_optimizer = _model(backend), _model(backend)
    opt = optim.SGD(by_optimizer.parameters(), lr=0.1)
    before = [p.numpy().copy() for p in by_hand.parameters()]
    for _ in range(3):
        by_hand(x).sum().backward()
        with anynn.no_grad():
            for p in by_hand.parameters():
                p -= 0.1 * p.grad
                p.grad = None
        opt.zero_grad()
        by_optimizer(x).sum().backward()
        opt.step()
    for mine, theirs, start in zip(by_hand.parameters(), by_optimizer.parameters(), before):
        assert not np.array_equal(mine.numpy(), start)
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


INPLACE_CASES = [
    ("iadd", lambda t, o: t.__iadd__(o)), ("isub", lambda t, o: t.__isub__(o)),
    ("imul", lambda t, o: t.__imul__(o)), ("itruediv", lambda t, o: t.__itruediv__(o)),
    ("add_", lambda t, o: t.add_(o)), ("add_alpha", lambda t, o: t.add_(o, alpha=2.5)),
    ("sub_", lambda t, o: t.sub_(o)), ("sub_alpha", lambda t, o: t.sub_(o, alpha=-0.5)),
    ("mul_", lambda t, o: t.mul_(o)), ("div_", lambda t, o: t.div_(o)),
    ("add_number", lambda t, o: t.add_(1.5)), ("mul_number", lambda t, o: t.mul_(-2.0)),
    ("zero_", lambda t, o: t.zero_()), ("fill_", lambda t, o: t.fill_(2.5)),
    ("copy_", lambda t, o: t.copy_(o)), ("copy_row", lambda t, o: t.copy_(o[0])),
    ("clamp_", lambda t, o: t.clamp_(-0.5, 0.5)), ("clamp_min", lambda t, o: t.clamp_(min=0.1)),
    # in-place twins of out-of-place methods (x.<name>_(...) is x.<name>(...) written back)
    ("masked_fill_", lambda t, o: t.masked_fill_(o > 1.0, -1.5)), ("lerp_", lambda t, o: t.lerp_(o, 0.25)),
    ("addcmul_", lambda t, o: t.addcmul_(o, o, value=0.5)), ("addcdiv_", lambda t, o: t.addcdiv_(t, o, value=-2)),
    ("exp_", lambda t, o: t.exp_()), ("sqrt_abs_", lambda t, o: t.abs_().sqrt_()), ("neg_", lambda t, o: t.neg_()),
    ("pow_", lambda t, o: t.pow_(2)), ("clamp_min_", lambda t, o: t.clamp_min_(0.0)), ("tril_", lambda t, o: t.tril_()),
    ("triu_", lambda t, o: t.triu_(1)), ("lt_", lambda t, o: t.lt_(o)), ("cumsum_", lambda t, o: t.cumsum_(1)),
    ("sign_", lambda t, o: t.sign_()), ("round_", lambda t, o: t.round_(decimals=1)),
    ("tanh_reciprocal_", lambda t, o: t.tanh_().reciprocal_()), ("nan_to_num_", lambda t, o: t.log_().nan_to_num_()),
    ("unsqueeze_", lambda t, o: t.unsqueeze_(0)), ("t_", lambda t, o: t.t_()), ("squeeze_", lambda t, o: t.squeeze_()),
    ("transpose_", lambda t, o: t.transpose_(0, 1)),
    ("erfinv_", lambda t, o: t.erfinv_()), ("lgamma_digamma_", lambda t, o: t.lgamma_().digamma_()),
    ("sinc_", lambda t, o: t.sinc_()), ("xlogy_", lambda t, o: t.xlogy_(o)),
    ("ifloordiv", lambda t, o: t.__ifloordiv__(o)), ("imod", lambda t, o: t.__imod__(o)),
    ("ipow", lambda t, o: t.__ipow__(2)),
]


@pytest.mark.parametrize("name,op", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_changes_the_tensor_itself_as_pytorch(backend, name, op):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
    t, other = make(backend, a), make(backend, b)
    tt = torch.tensor(a)
    array_before = t.array
    assert op(t, other) is t
    op(tt, torch.tensor(b))
    np.testing.assert_allclose(t.numpy(), tt.numpy(), rtol=1e-6, atol=1e-7)
    assert t._version >= 1 and t.dtype == anynn.float32 and tuple(t.shape) == tuple(tt.shape)
    if backend.name in ("numpy", "torch") and tuple(t.shape) == a.shape:
        assert t.array is array_before  # written into the array itself


@pytest.mark.parametrize("op", [operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift,
                                operator.ifloordiv, operator.imod, operator.ipow], ids=lambda f: f.__name__)
def test_integer_augmented_assignment_is_in_place_as_torch(backend, op):
    """``x &= m``, ``x //= 2``... write into ``x`` as PyTorch's (the missing ``__iand__``... made Python rebind ``x``
    to a new tensor, so another reference to it kept the old values)."""
    a, b = np.array([[5, 3, 0], [7, 2, 9]], dtype=np.int32), np.array([1, 2, 3], dtype=np.int32)
    for other, twin in ((make(backend, b), torch.tensor(b)), (2, 2)):
        t, tt = make(backend, a), torch.tensor(a)
        same, same_torch = t, tt
        same = op(same, other)
        same_torch = op(same_torch, twin)
        assert same is t and same_torch is tt
        assert t.dtype == anynn.int32 and t._version >= 1
        np.testing.assert_array_equal(t.numpy(), tt.numpy())


def test_in_place_complex_number_operands_as_torch(backend):
    """``z.add_(1j)`` and ``z *= 2j`` on a complex tensor (a Python complex was refused as an operand of another
    library); a real tensor refuses to take a complex result, as PyTorch's."""
    a = np.array([1 + 2j, -0.5j], dtype=np.complex64)
    for op in (lambda z: z.add_(1j), lambda z: z.mul_(2 - 1j), lambda z: z.__imul__(2j), lambda z: z.fill_(3j)):
        z, zt = make(backend, a), torch.tensor(a)
        assert op(z) is z
        op(zt)
        np.testing.assert_allclose(z.numpy(), zt.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError):
        torch.ones(2).add_(1j)
    with pytest.raises(RuntimeError, match="add_"):
        make(backend, np.ones(2, np.float32)).add_(1j)


def test_resize_as_torch(backend):
    """``label.resize_(batch).fill_(1)`` (older DCGAN code): shrinking keeps the first elements in row-major order;
    the elements a growth adds are PyTorch's uninitialised memory, zeros here, so only the kept ones are compared."""
    data = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t, tt = make(backend, data), torch.tensor(data)
    for sizes in ((4,), ((2, 2),), (1, 1, 3)):
        assert t.resize_(*sizes) is t
        tt.resize_(*sizes)
        assert tuple(t.shape) == tuple(tt.shape)
        np.testing.assert_array_equal(t.numpy(), tt.numpy())
    assert t.resize_as_(make(backend, np.zeros(5))) is t and tuple(t.shape) == (5,)
    np.testing.assert_array_equal(t.numpy()[:3], tt.resize_as_(torch.zeros(5)).numpy()[:3])
    assert t._version >= 1
    for leaf in (torch.ones(2, requires_grad=True), make(backend, np.ones(2), requires_grad=True)):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            leaf.resize_(3)


@pytest.mark.parametrize("name,op", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_on_a_leaf_that_requires_grad_raises_outside_no_grad(backend, name, op):
    a = np.ones((2, 3), np.float32)
    t, other = make(backend, a, requires_grad=True), make(backend, a)
    tt = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        op(tt, torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
        op(t, other)
    assert t._version == 0 and t.grad_fn is None
    with anynn.no_grad():
        op(t, other)
    assert t._version >= 1 and t.requires_grad and t.is_leaf



LEAF_VIEWS = {  # views of a leaf that requires grad: PyTorch refuses in-place changes of them while recording
    "index": lambda t: t[0], "slice": lambda t: t[:, 1:], "view": lambda t: t.view(3, 2), "t": lambda t: t.t(),
    "unsqueeze": lambda t: t.unsqueeze(0), "view_of_a_view": lambda t: t[1:][0],
}


@pytest.mark.parametrize("view", sorted(LEAF_VIEWS))
def test_inplace_on_a_view_of_a_leaf_that_requires_grad_raises_as_torch(backend, view):
    tt = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
        LEAF_VIEWS[view](tt).mul_(2)
    t = make(backend, np.ones((2, 3), np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation \\(mul_\\)"):
        LEAF_VIEWS[view](t).mul_(2)
    np.testing.assert_array_equal(t.numpy(), np.ones((2, 3), np.float32))
    with anynn.no_grad():  # allowed there, as in PyTorch; the leaf changes where the library shares memory
        LEAF_VIEWS[view](t).mul_(2)
    u = make(backend, np.ones((2, 3), np.float32), requires_grad=True) * 1  # a view of a non-leaf: recorded
    LEAF_VIEWS[view](u).mul_(2)


@pytest.mark.parametrize("view", sorted(LEAF_VIEWS))
def test_inplace_on_a_view_of_a_non_leaf_changes_the_base_as_torch(backend, view):
    """torchvision's Swin V2 zeroes the key third of a cloned bias through a slice (``b[n:2 * n].zero_()``): the
    change reaches the base, and the base's gradient has zeros there."""
    rng = np.random.default_rng(5)
    w0, k = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))

    def run(weights, w):
        u = w * 2.0
        v = LEAF_VIEWS[view](u)
        v.mul_(3.0).add_(1.0)
        v[..., :1] = -1.0  # item assignment into the view reaches the base too
        loss = (u * weights).sum() + (v * v).sum()
        loss.backward()
        return u.detach().numpy(), v.detach().numpy(), w.grad.numpy()

    expected = run(torch.tensor(k), torch.tensor(w0, requires_grad=True))
    got = run(make(backend, k), make(backend, w0, requires_grad=True))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


# writes through views made while nothing was recorded (of a tensor that needs no gradient), and changes of recorded
# views under no_grad(): the source takes the new values and, while recording, the gradient (PyTorch's CopySlices)
UNRECORDED_VIEW_WRITES = {
    "index_copy": lambda out, x: out[1].copy_(x * 2.0),
    "narrow_copy": lambda out, x: out.narrow(0, 1, 1).copy_(x[None]),
    "select_add": lambda out, x: out.select(0, 2).add_(x),
    "view_of_view": lambda out, x: out.view(6)[2:4].copy_(x),
    "transposed": lambda out, x: out.t()[1].mul_(x[0]).add_(x[1]),
    "unsqueezed": lambda out, x: out.unsqueeze(0)[0, 1].copy_(x),
    "item_of_view": lambda out, x: out[1].__setitem__(0, x[0]),
    "column": lambda out, x: out[..., 0].copy_(x.sum() * x[[0, 1, 0]]),
    "flattened": lambda out, x: out.flatten()[1:3].copy_(x),
    "permuted": lambda out, x: out.permute(1, 0)[:, 1].copy_(x),
    "two_rows": lambda out, x: (out[0].copy_(x), out[2].copy_(x * 3.0)),
    "diagonal": lambda out, x: out.diagonal().copy_(x),  # a gathered copy in anynn: passed back all the same
    "lower_diagonal": lambda out, x: (out.add_(1.0), out.diagonal(-1).mul_(x[0]).add_(x)),
}
RECORDED_VIEW_CHANGES_UNDER_NO_GRAD = {
    "index_zero": lambda h: h[0].zero_(),
    "view_mul": lambda h: h.view(6).mul_(3.0),
    "piece_of_split": lambda h: h.split(1)[1].fill_(5.0),
    "item_of_view": lambda h: h[1].__setitem__(0, 7.0),
    "diagonal": lambda h: h.diagonal().zero_(),
}


# a view taken before an in-place change of its source shows the new values (PyTorch's views share the storage) and,
# while recording, passes its gradient through the change; x: a leaf requiring grad, y = x.clone() its source
VIEWS_SEE_LATER_CHANGES = {
    "row_after_mul": lambda x: (y := x.clone().view(3, 4), v := y[0], y.mul_(2.0), v * x[4:8])[-1],
    "overlapping_slices": lambda x: (y := x.clone(), v1 := y[0:5], v2 := y[3:9], v1.mul_(3.0), v2 * v2)[-1],
    "view_of_view": lambda x: (y := x.clone(), b := y.view(3, 4)[:, 1:3], y.add_(x), b * b)[-1],
    "transposed": lambda x: (y := x.clone().view(3, 4), t := y.t(), y.add_(1.0), t * t)[-1],
    "diagonal": lambda x: (y := x.clone()[:9].view(3, 3), d := y.diagonal(), y.mul_(2.0), d * d)[-1],
    "item_assignment": lambda x: (y := x.clone(), v := y[2:6], y.__setitem__(slice(1, 4), x[:3] * 5.0), v * v)[-1],
    # y[2:5] += a is t = y[2:5]; t += a; y[2:5] = t: y's own view handed back (backward refused it as changed)
    "augmented_item_assignment": lambda x: (y := x.clone(), v := y[0:6], y.__setitem__(slice(2, 5), y[2:5].__iadd__(
        x[:3] * x[:3])), y.__setitem__(1, y[1].__imul__(3.0)), v * v + y[6:])[-1],
    # (PyTorch refuses a backward through a piece of chunk after such a change: its values only)
    "chunk_pieces": lambda x: (y := x.clone(), a := y.chunk(2), y.mul_(x), a[0].detach() * x[6:])[-1],
    "slice_of_slice": lambda x: (y := x.clone(), v := y[0:6], w := v[1:], y.mul_(x), w * w)[-1],
    "sibling_changed": lambda x: (y := x.clone().view(3, 4), a := y[0], b := y[:, 1], a.mul_(x[8:]), b * b)[-1],
    # a reshape of a transposed tensor is a copy (PyTorch's reshape copies where view fails): it keeps its values
    "reshape_of_transposed": lambda x: (y := x.clone().view(3, 4), r := y.t().reshape(-1), y.mul_(2.0), r * r)[-1],
    "view_of_reshaped_copy": lambda x: (y := x.clone().view(3, 4), r := y.t().reshape(2, 6), r.add_(x[:6]),
                                        y * y)[-1],
}


@pytest.mark.parametrize("case", sorted(VIEWS_SEE_LATER_CHANGES))
def test_views_taken_before_an_in_place_change_of_their_source_see_it(backend, case):
    """``v = y[0]; y.mul_(2)``: v shows the doubled values and its gradient flows through the change, as PyTorch's.
    Before, a recorded change gave y a new array and every view taken earlier kept the old values (silently
    wrong values and gradients)."""
    x0 = np.random.default_rng(5).standard_normal(12)

    def run(x):
        out = VIEWS_SEE_LATER_CHANGES[case](x)
        (out * out.new_tensor(np.arange(1.0, out.numel() + 1.0).reshape(tuple(out.shape)))).sum().backward()
        return out.detach().numpy(), x.grad.numpy()

    got = run(make(backend, x0, requires_grad=True))
    expected = run(torch.tensor(x0, requires_grad=True))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_a_function_that_saved_views_written_since_is_refused_also_by_grad_of_some_inputs(backend):
    """``h[1] = h[1] * h[0]``: the product saved two views of ``h`` that the write changed. ``backward()`` refused it
    as PyTorch does; ``autograd.grad(y, x)`` pruned it off a cycle (the views' new producer reads the write of the
    product) and returned a wrong gradient ([[1, 1], [0, 0]]) without a word."""
    for lib, x in ((torch, torch.tensor(np.ones((2, 2)), requires_grad=True)),
                   (anynn, make(backend, np.ones((2, 2)), requires_grad=True))):
        h = x.clone()
        h[1] = h[1] * h[0]
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            lib.autograd.grad(h.sum(), x)


def test_views_see_changes_made_outside_recording(backend):
    """Under no_grad a tensor a Function made (or, on an immutable library, any tensor) takes a new array when
    changed in place; its views taken before show the new values, as PyTorch's."""
    w = make(backend, np.ones(4), requires_grad=True)
    h = w.exp()
    v, t = h[1:3], h.view(2, 2).t()
    with anynn.no_grad():
        h.zero_()
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(t.numpy(), np.zeros((2, 2)))
    out = anynn.zeros(3, 2, dtype="float64", backend=backend)
    row, diagonal, element = out[1], out[:2].diagonal(), out[2, 0]
    out.add_(1.0)
    out[1, 1] = 4.0
    np.testing.assert_array_equal(row.numpy(), [1.0, 4.0])
    np.testing.assert_array_equal(diagonal.numpy(), [1.0, 4.0])
    assert element.item() == 1.0  # one element is a 0-d view too (NumPy's x[i, j] is a copy)
    row.mul_(3.0)  # written into the shared array: the diagonal, a copy taken from a sibling view, follows
    np.testing.assert_array_equal(diagonal.numpy(), [1.0, 12.0])


@pytest.mark.jax
def test_contiguous_copies_a_strided_view_as_torch(backend):
    """``x.t().contiguous()`` is a copy in PyTorch (the transposed view is not row-major): changing it leaves x alone.
    anynn's contiguous() returned the view itself, so ``y.add_(1)`` and ``z[0, 0] = 100`` wrote into x. A row-major
    tensor is returned as it is, and gradients flow through the copy."""
    def run(lib, make):
        x = make(np.arange(6.0).reshape(2, 3))
        y = x.t().contiguous()
        y.add_(1.0)
        z = (x.t() * 2.0).contiguous()
        z[0, 0] = 100.0
        a = make(np.arange(6.0).reshape(2, 3), requires_grad=True)
        c = (a * 1.0).t().contiguous()
        c.mul_(3.0)
        (c * c).sum().backward()
        return x.numpy(), y.detach().numpy(), x.contiguous() is x, a.grad.numpy()

    got = run(anynn, lambda v, **k: make(backend, v, **k))
    expected = run(torch, lambda v, **k: torch.tensor(v, **k))
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


@pytest.mark.jax
def test_views_of_a_parameter_see_an_optimizer_step(backend):
    """``v = w[0]`` (recorded), ``t = w.t()``, then ``opt.step()``: the views show the new values, as PyTorch's. On
    an immutable library (JAX) the step gives w a new array, and the views kept the old values."""
    w = anynn.nn.Parameter(make(backend, np.ones((2, 3))))
    v, t = w[0], w.t()
    with anynn.no_grad():
        flat = w.view(6)
    opt = optim.SGD([w], lr=0.25)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(v.detach().numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(t.detach().numpy(), np.full((3, 2), 0.5))
    np.testing.assert_array_equal(flat.numpy(), np.full(6, 0.5))


@pytest.mark.parametrize("case", sorted(UNRECORDED_VIEW_WRITES))
def test_writes_through_views_made_while_nothing_was_recorded_reach_the_source(backend, case):
    """``out = zeros(...); out[i].copy_(x)`` with x requiring grad: out takes x's values and x the gradient (the
    view notes its source though nothing was recorded when it was taken). Before, out stayed zeros."""
    rng = np.random.default_rng(3)
    x0, k = rng.standard_normal(2), rng.standard_normal((3, 2))

    def run(out, x, weights):
        UNRECORDED_VIEW_WRITES[case](out, x)
        (out * weights).sum().backward()
        return out.detach().numpy(), x.grad.numpy()

    got = run(make(backend, np.zeros((3, 2))), make(backend, x0, requires_grad=True), make(backend, k))
    expected = run(torch.zeros(3, 2, dtype=torch.float64), torch.tensor(x0, requires_grad=True), torch.tensor(k))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_a_view_taken_under_no_grad_then_written_while_recording_reaches_the_source(backend):
    """PyTorch refuses this (a view made in no_grad mode changed with grad mode on); anynn records the write on the
    source, as for any view made while nothing was recorded."""
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    out = anynn.zeros(3, 2, dtype="float64", backend=backend)
    with anynn.no_grad():
        view = out[1]
    view.copy_(x)
    (out * 3.0).sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), [[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_unrecorded_changes_of_a_diagonal_reach_the_matrix(backend):
    """``m.diagonal().fill_(v)`` and friends with nothing recorded: the matrix changes, as PyTorch's diagonal view
    (anynn's diagonal is gathered into a new array; before, the change stayed in that copy, also where it was made
    through a view of the diagonal)."""
    def run(m):
        m.diagonal().fill_(1.0)
        m.diagonal(1).add_(2.0)
        m.diagonal(-1)[0] = 5.0
        m.t().diagonal(-1).mul_(3.0)
        m.diagonal()[1:].sub_(4.0)  # a view of the diagonal: the change passes through it to the matrix
        m.diagonal(1)[1:][0] = 7.0
        return m.numpy()

    np.testing.assert_array_equal(run(make(backend, np.zeros((3, 3)))), run(torch.zeros(3, 3, dtype=torch.float64)))


@pytest.mark.parametrize("case", sorted(RECORDED_VIEW_CHANGES_UNDER_NO_GRAD))
def test_changes_of_recorded_views_under_no_grad_reach_the_source(backend, case):
    """``h = w * 2; v = h[0]; with no_grad(): v.zero_()`` changes h, as PyTorch's shared storage does (h kept its
    old values), and the gradient through h stays right."""
    w0 = np.random.default_rng(4).standard_normal((3, 2))

    def run(lib, w):
        h = w * 2.0
        with lib.no_grad():
            RECORDED_VIEW_CHANGES_UNDER_NO_GRAD[case](h)
        (h * h).sum().backward()
        return h.detach().numpy(), w.grad.numpy()

    got = run(anynn, make(backend, w0, requires_grad=True))
    expected = run(torch, torch.tensor(w0, requires_grad=True))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_item_assignment_under_no_grad_keeps_an_array_a_function_saved(backend):
    """``h = w.exp(); with no_grad(): h[0] = 0``: exp saved h's array as its output; the assignment wrote into it,
    so the gradient through exp read the new value (w.grad[0] was 0). h now takes a new array, as with the in-place
    methods: the gradient is exp(w) (PyTorch refuses the backward)."""
    w0 = np.array([0.5, -1.0, 2.0])
    w = make(backend, w0, requires_grad=True)
    h = w.exp()
    with anynn.no_grad():
        h[0] = 0.0
    np.testing.assert_allclose(h.detach().numpy(), [0.0, *np.exp(w0[1:])], rtol=1e-15)  # (XLA's exp: 1 ulp off)
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp(w0), rtol=1e-12)


@pytest.mark.parametrize("pieces", ["split", "chunk", "unbind"])
def test_recorded_changes_of_pieces_of_split_are_refused_as_torch(backend, pieces):
    """Outputs of an operation returning several views: PyTorch refuses changing one in place while recording
    (the source would not follow); anynn refused nothing and the source kept its old values."""
    take = {"split": lambda t: t.split(1)[1], "chunk": lambda t: t.chunk(3)[1], "unbind": lambda t: t.unbind(0)[1]}
    for w, out in ((torch.ones(3, 2, requires_grad=True), torch.zeros(3, 2)),
                   (make(backend, np.ones((3, 2)), requires_grad=True), make(backend, np.zeros((3, 2))))):
        h = w * 2.0
        with pytest.raises(RuntimeError, match="view|several views"):
            take[pieces](h).mul_(w[0] if pieces != "unbind" else w[0, 0])
        with pytest.raises(RuntimeError, match="view|several views"):
            take[pieces](out).copy_(w[0] if pieces != "unbind" else w[0])


def test_inplace_on_non_leaves_is_recorded_as_pytorch(backend):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, (2, 3))

    def run(zeros, x, w):
        y = x * 2.0
        y.add_(w, alpha=0.5)
        y.mul_(w)
        y /= w + 1.0
        y.clamp_(-1.0, 1.5)
        h = zeros(3)  # a leaf without grad takes a gradient-carrying value
        h += (y * y).sum(0)
        z = x * 3.0
        z.copy_(w[0])  # z's old value gets no gradient, w does
        u = x + 1.0
        u.fill_(2.0)
        return (h * 2.0).sum() + (z * x).sum() + (u * w).sum()

    x, w = make(backend, a, requires_grad=True), make(backend, b, requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours = run(lambda n: anynn.zeros(n, dtype="float64", backend=backend), x, w)
    theirs = run(lambda n: torch.zeros(n, dtype=torch.float64), tx, tw)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)



def test_every_in_place_twin_of_an_out_of_place_method_exists():
    """PyTorch's ``x.<name>_()`` for every ``x.<name>()`` anynn has (value-changing and shape-changing alike)."""
    missing = sorted(n for n in dir(torch.Tensor) if n.endswith("_") and not n.startswith("_")
                     and hasattr(anynn.Tensor, n[:-1]) and not hasattr(anynn.Tensor, n))
    assert not missing


def test_in_place_twins_on_non_leaves_are_recorded_as_pytorch(backend):
    """Recorded in-place twins (values and shapes) give PyTorch's gradients, and the leaf keeps its own."""
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, (2, 3))

    def run(x, w):
        y = x * 2.0
        y.masked_fill_(w > 1.0, 0.25).lerp_(w, 0.3).addcmul_(w, x, value=0.5)
        y.unsqueeze_(0).squeeze_(0).t_().exp_()
        z = (x + 1.0).addcdiv_(x, w).tril_(1).pow_(2).add_(1.0).sqrt_()
        return (y.t() * w).sum() + (z * x).sum()

    x, w = make(backend, a, requires_grad=True), make(backend, b, requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours, theirs = run(x, w), run(tx, tw)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    # a comparison in place keeps the tensor on the graph with a zero gradient, as PyTorch's (EqBackward0; it stopped
    # requiring grad, so backward raised 'element 0 of tensors does not require grad')
    (x * 1.0).lt_(w).eq_(1.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda x, w: (x * 1.0).addcmul_(w, x, value=-0.5).lerp_(w, 0.7).unsqueeze_(1), a, b)


def test_addcmul_and_addcdiv_match_torch(backend):
    rng = np.random.default_rng(7)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((1, 3)), rng.uniform(0.5, 2.0, (2, 1))
    for name in ("addcmul", "addcdiv"):
        ours = getattr(anynn, name)(make(backend, a), make(backend, b), make(backend, c), value=0.5)
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b), torch.tensor(c), value=0.5)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
        check_gradients(backend, lambda x, y, z, name=name: getattr(x, name)(y, z, value=-1.5), a, b, c)
    with pytest.raises(RuntimeError, match="addcdiv: integer division"):  # PyTorch's refusal (computed before)
        anynn.addcdiv(make(backend, a), make(backend, np.array([4, 6])), make(backend, np.array([2, 4])))

def test_inplace_gradient_checks(backend):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, (2, 3))
    check_gradients(backend, lambda x, w: (x * 1.0).add_(w, alpha=-2.0).mul_(w), a, b)
    check_gradients(backend, lambda x, w: (x * 1.0).copy_(w[1]) * x, a, b)
    check_gradients(backend, lambda x, w: (x * 1.0).fill_(w[0, 0]) + x, a, b)


def test_inplace_keeps_shape_and_refuses_a_wider_kind(backend):
    row = make(backend, np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match="shape"):
        row += make(backend, np.ones((2, 3), np.float32))
    with pytest.raises(RuntimeError):
        torch.ones(3).add_(torch.ones(2, 3))
    counts = make(backend, np.array([1, 2, 3], np.int64))
    with pytest.raises(RuntimeError, match="can't be cast"):
        counts += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.tensor([1, 2, 3]).add_(1.5)
    counts += 2
    assert counts.numpy().tolist() == [3, 4, 5]
    narrow = make(backend, np.ones(3, np.float32))
    narrow += make(backend, np.full(3, 0.5, np.float64))  # float64 into float32: cast, as in PyTorch
    assert narrow.dtype == anynn.float32 and narrow.numpy().tolist() == [1.5, 1.5, 1.5]


def test_copy_from_another_backend_raises(backend):
    other = "torch" if backend.name != "torch" else "numpy"
    t = make(backend, np.zeros(3, np.float32))
    with pytest.raises(BackendMismatch, match="backend"):
        t.copy_(anynn.tensor(np.ones(3, np.float32), backend=other))
    t.copy_([1.0, 2.0, 3.0])
    assert t.numpy().tolist() == [1.0, 2.0, 3.0]
    # complex into real: the real part, as PyTorch (array_api_strict refused the cast)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's warning, once per process)
        t.copy_(make(backend, np.array([1 + 2j, 3 - 1j, 0.5j])))
    assert t.numpy().tolist() == [1.0, 3.0, 0.0]


def test_normal_and_uniform_in_place(backend):
    t = make(backend, np.zeros((200, 50), np.float32))
    assert t.normal_(2.0, 0.5, generator=7) is t and t._version == 1
    values = t.numpy()
    assert abs(values.mean() - 2.0) < 0.02 and abs(values.std() - 0.5) < 0.02
    np.testing.assert_array_equal(make(backend, np.zeros((200, 50), np.float32)).normal_(2.0, 0.5, generator=7).numpy(),
                                  values)
    t.uniform_(-1.0, 3.0, generator=8)
    values = t.numpy()
    assert values.min() >= -1.0 and values.max() < 3.0 and abs(values.mean() - 1.0) < 0.05
    with pytest.raises(TypeError, match="floating"):
        make(backend, np.zeros(3, np.int64)).normal_()


# -- 4c. version counters ---------------------------------------------------------------------------------
def test_step_between_forward_and_backward_raises_naming_the_function(backend):
    x = make(backend, np.ones((4, 3), np.float32))
    model = _model(backend)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(x).sum().backward()
    loss = model(x).sum()
    versions = [p._version for p in model.parameters()]
    opt.step()
    assert [p._version for p in model.parameters()] == [v + 1 for v in versions]
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: .*Linear"):
        loss.backward()
    # PyTorch agrees (its second layer saved the weight it needs for the first layer's gradient)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    tm(torch.ones(4, 3)).sum().backward()
    tloss = tm(torch.ones(4, 3)).sum()
    topt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()


def test_changing_an_input_in_place_after_forward_raises(backend):
    x = make(backend, np.ones((4, 3), np.float32))
    model = _model(backend)
    out = model(x).sum()
    with anynn.no_grad():
        x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()
    out = model(x).sum()
    x.detach().mul_(2.0)  # a detached alias shares x's version, as PyTorch's (the gradient used the new x before)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()
    # an output its Function saved (sigmoid's, exp's), changed through a detached alias: refused as PyTorch's (the
    # gradient read the zeros before); an output no Function saved (b * 3 keeps the scalar) runs, as PyTorch's
    for saves_output in ("sigmoid", "exp"):
        a = make(backend, np.ones(2), requires_grad=True)
        b = getattr(a, saves_output)()
        c = b * 1.0
        b.detach().zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            c.sum().backward()
    a = make(backend, np.ones(2), requires_grad=True)
    b = a * 2.0
    c = b * 3.0
    b.detach().zero_()
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 6.0])


def _writes_after_reads_that_save_nothing(lib, make_tensor):
    """PyTorch checks the versions of *saved* tensors only: a clone or a slice that was read before an in-place
    write needs no value of its input for its gradient. MAF/IAF's inverse pass writes ``x[:, i]`` after
    ``net(x.clone())``; a spline flow (nflib's RQS) writes ``cumwidths[..., -1] += eps`` after ``cumwidths[..., 1:]
    - cumwidths[..., :-1]``. Returns the gradient of a weight through both."""
    w = make_tensor(np.array([0.5, -1.0, 2.0]), True)
    x = lib.ones_like(w)
    for i in range(3):
        x[i] = (x.clone() * w).sum()
    c = w * 2
    widths = c[1:] - c[:-1]
    c[-1] = c[-1] + 1.0
    (x.sum() + (widths ** 2).sum() + c.sum()).backward()
    return w.grad.numpy()


def test_writes_after_a_clone_or_a_slice_was_read_backpropagate_as_torch(backend):
    ours = _writes_after_reads_that_save_nothing(anynn, lambda a, g: make(backend, a, requires_grad=g))
    theirs = _writes_after_reads_that_save_nothing(torch, lambda a, g: torch.tensor(a, requires_grad=g))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def anynn_or_torch_relu(h):
    return torch.relu(h) if isinstance(h, torch.Tensor) else anynn.relu(h)


# an in-place change of h after a Function read it, then backward: (PyTorch's outcome, anynn's), each "ran" or
# "refused"; where both ran the gradients must agree. The row that differs is on the differences page.
CHANGE_AFTER_READ = {
    "sum_then_scale": (lambda h: h.sum(), lambda h: h.mul_(2.0), "ran", "ran"),
    "clone_then_add": (lambda h: (h.clone() * 2.0).sum(), lambda h: h.add_(1.0), "ran", "ran"),
    "slice_then_scale_the_rest": (lambda h: (h[:2] * 2.0).sum(), lambda h: h[2:].mul_(3.0), "ran", "ran"),
    "reshape_transpose_exp": (lambda h: h.reshape(3, 1).t().exp().sum(), lambda h: h.mul_(2.0), "ran", "ran"),
    "added_twice_then_written": (lambda h: (h + h).sum(), lambda h: h.__setitem__(0, 5.0), "ran", "ran"),
    "product_saves_it": (lambda h: (h * h).sum(), lambda h: h.add_(1.0), "refused", "refused"),
    # exp saves its output only: the change of its input is allowed, and the gradient is the one of the value read
    "exp_of_it": (lambda h: h.exp().sum(), lambda h: h.add_(1.0), "ran", "ran"),
    "relu_then_added_to_it": (lambda h: (lambda r: (r * 2.0).sum())(anynn_or_torch_relu(h)), lambda h: h.add_(3.0),
                              "ran", "ran"),
    "sigmoid_then_scaled": (lambda h: h.sigmoid().sum(), lambda h: h.mul_(2.0), "ran", "ran"),
    "softmax_then_overwritten": (lambda h: (h.softmax(0) * h.new_tensor([1.0, 2.0, 3.0])).sum(),
                                 lambda h: h.copy_(h * 0.5), "ran", "ran"),
    "matmul_saves_it": (lambda h: h @ h, lambda h: h.add_(1.0), "refused", "refused"),
    "copied_then_scaled": (lambda h: (h.new_zeros(3).copy_(h) * 2.0).sum(), lambda h: h.mul_(3.0), "ran", "ran"),
    # a product by a constant (a mask) and a quotient by one save only the constant, as PyTorch (anynn refused)
    "masked_then_scaled": (lambda h: (h * h.new_tensor([1.0, 0.0, 1.0])).sum(), lambda h: h.mul_(3.0), "ran", "ran"),
    "halved_then_shifted": (lambda h: (h / 2.0).sum(), lambda h: h.add_(1.0), "ran", "ran"),
    "quotient_by_it": (lambda h: (h.new_tensor([1.0, 2.0, 3.0]) / h).sum(), lambda h: h.add_(1.0), "refused",
                       "refused"),
    # a view read before the change sees it (it is taken again from h's new value), and the product saved it
    "product_of_a_view": (lambda h: (h.reshape(3, 1) * h.reshape(3, 1)).sum(), lambda h: h.add_(1.0), "refused",
                          "refused"),
}


@pytest.mark.parametrize("case", sorted(CHANGE_AFTER_READ))
def test_an_in_place_change_after_a_read_as_torch(backend, case):
    read, change, torch_outcome, anynn_outcome = CHANGE_AFTER_READ[case]
    values = np.array([1.0, 2.0, 3.0])
    results = []
    for lib, x in ((torch, torch.tensor(values, requires_grad=True)), (anynn, make(backend, values, True))):
        h = x * 1.0
        out = read(h)
        change(h)
        try:
            out.backward()
        except RuntimeError as error:
            assert "modified by an inplace operation" in str(error)
            results.append(("refused", None))
        else:
            results.append(("ran", x.grad.detach().numpy() if lib is torch else x.grad.numpy()))
    assert (results[0][0], results[1][0]) == (torch_outcome, anynn_outcome)
    if results[0][0] == results[1][0] == "ran":
        np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)
    if results[1][0] == "ran":  # the gradient of read(x): the change came after the read
        expected = torch.tensor(values, requires_grad=True)
        read(expected * 1.0).backward()
        np.testing.assert_allclose(results[1][1], expected.grad.numpy(), rtol=1e-12)


# an in-place operation whose operand is the changed tensor itself: (the in-place call, its out-of-place value);
# the recorded Function reads the old value (before the fix, x.mul_(x) refused and x.add_(x, alpha=3) lost the
# operand's gradient in a loop of the graph). PyTorch runs the first five; it refuses the others (it saved the
# value the operation overwrote, or the operand overlaps the output), where anynn gives the out-of-place gradient
SELF_OPERAND = {
    "add_": (lambda x: x.add_(x), lambda x: x + x),
    "iadd": (lambda x: x.__iadd__(x), lambda x: x + x),
    "add_alpha": (lambda x: x.add_(x, alpha=3), lambda x: x + 3 * x),
    "sub_": (lambda x: x.sub_(x), lambda x: x - x),
    "copy_": (lambda x: x.copy_(x), lambda x: x),
    "mul_": (lambda x: x.mul_(x), lambda x: x * x),
    "addcmul_": (lambda x: x.addcmul_(x, x), lambda x: x + x * x),
    "index_add_": (lambda x: x.index_add_(0, _indices(x, [0, 1, 2]), x), lambda x: x + x),
    "index_copy_": (lambda x: x.index_copy_(0, _indices(x, [2, 1, 0]), x), lambda x: x.flip(0)),
}


def _indices(x, values):
    lib = torch if isinstance(x, torch.Tensor) else anynn
    return lib.tensor(values) if lib is torch else anynn.tensor(values, backend=x.backend)


@pytest.mark.parametrize("case", sorted(SELF_OPERAND))
def test_an_in_place_operation_on_itself_reads_the_old_value(backend, case):
    in_place, out_of_place = SELF_OPERAND[case]
    values, weights = np.array([1.0, -2.0, 3.0]), np.array([1.0, 2.0, 3.0])
    a = make(backend, values, True)
    x = a * 2.0
    in_place(x)
    (x * make(backend, weights)).sum().backward()
    expected = torch.tensor(values, requires_grad=True)
    (out_of_place(expected * 2.0) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.detach().numpy(), out_of_place(expected * 2.0).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), expected.grad.numpy(), rtol=1e-12)
    theirs = torch.tensor(values, requires_grad=True)
    y = theirs * 2.0
    try:
        in_place(y)
        (y * torch.tensor(weights)).sum().backward()
    except RuntimeError:
        assert case in ("mul_", "addcmul_", "index_add_", "index_copy_")
    else:
        np.testing.assert_allclose(a.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


# an overwrite of a recorded tensor: its old value's producer gets zeros, as PyTorch's zeros_like(grad) (a leaf
# under it had a None .grad before the fix: an optimizer then skipped it where PyTorch's steps it)
OVERWRITES = {
    "zero_": lambda x, y: x.zero_(),
    "fill_": lambda x, y: x.fill_(3.0),
    "copy_": lambda x, y: x.copy_(y),
    "setitem_all": lambda x, y: x.__setitem__(slice(None), y),
}


@pytest.mark.parametrize("case", sorted(OVERWRITES))
def test_an_overwrite_gives_the_old_value_zero_gradients_as_torch(backend, case):
    found = []
    for make_tensor in (lambda a: torch.tensor(a, requires_grad=True), lambda a: make(backend, a, True)):
        a, b = make_tensor(np.array([1.0, -2.0, 3.0])), make_tensor(np.array([0.5, 0.25, 2.0]))
        x = a * 2.0
        OVERWRITES[case](x, b * 1.0)
        (x * 3.0).sum().backward()
        found.append([None if t.grad is None else np.asarray(t.grad.detach().numpy()) for t in (a, b)])
    assert [g is None for g in found[1]] == [g is None for g in found[0]]
    for ours, theirs in zip(found[1], found[0]):
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_a_create_graph_pass_through_a_changed_input_it_did_not_save_is_refused(backend):
    """exp saved its output, so a plain backward runs after its input changed (as PyTorch's); a create_graph pass
    records exp's backward from its input's value, which is gone: a clear refusal, not a wrong second derivative."""
    x = make(backend, np.array([0.5, 1.0]), True)
    h = x * 1.0
    y = h.exp()
    h.add_(1.0)
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-12)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        anynn.autograd.grad(y.sum(), x, create_graph=True)


@pytest.mark.parametrize("read", ["mask", "quotient"])
def test_a_create_graph_pass_through_a_changed_input_whose_backward_reads_other_inputs_runs_as_torch(backend, read):
    """``x * mask`` saved only the mask, ``x / 2`` only the number: after x changed in place, a create_graph pass
    records their backward from the other inputs and gives PyTorch's first and second derivatives (it refused)."""
    d, m = np.array([0.3, -1.2, 0.8]), np.array([1.0, 0.0, 2.0])
    found = []
    for w, mask in ((torch.tensor(d, requires_grad=True), torch.tensor(m)),
                    (make(backend, d, True), make(backend, m))):
        x = w * 1.0
        y = (x * mask if read == "mask" else x / 2.0) * w
        x.add_(1.0)
        lib = torch if isinstance(w, torch.Tensor) else anynn
        g, = lib.autograd.grad(y.sum(), w, create_graph=True)
        (g * g).sum().backward()
        found.append((g.detach().numpy(), w.grad.numpy()))
    for ours, theirs in zip(found[1], found[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_ordinary_training_and_unrelated_changes_are_unaffected(backend):
    x = make(backend, np.ones((4, 3), np.float32))
    model = _model(backend)
    opt = optim.Adam(model.parameters(), lr=0.01)
    unrelated = make(backend, np.zeros(2, np.float32))
    for _ in range(3):
        opt.zero_grad()
        loss = model(x).sum()
        unrelated.add_(1.0)  # another tensor changes between forward and backward: no error
        loss.backward(retain_graph=True)
        loss.backward()
        opt.step()
    assert unrelated.numpy().tolist() == [3.0, 3.0] and unrelated._version == 3


def test_manual_version_bump_helper():
    from anynn.autograd.tensor import mark_modified

    w = anynn.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    mark_modified(w)
    assert w._version == 1
    with pytest.raises(RuntimeError, match="Mul"):
        loss.backward()


# -- 4d. optimizer and backward misuse --------------------------------------------------------------------
def test_the_same_parameter_twice_in_an_optimizer_raises(backend):
    p = make(backend, np.ones(3, np.float32), requires_grad=True)
    q = make(backend, np.ones(3, np.float32), requires_grad=True)
    tp = torch.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        torch.optim.SGD([{"params": [tp]}, {"params": [tp]}], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([p, q, p], lr=0.1)


def test_backward_with_a_gradient_of_another_backend_or_shape_raises(backend):
    other = "torch" if backend.name != "torch" else "numpy"
    w = make(backend, np.ones(3, np.float32), requires_grad=True)
    y = w * 2.0
    with pytest.raises(BackendMismatch, match=f"{other}.*{backend.key}|{backend.key}.*{other}"):
        y.backward(anynn.tensor(np.ones(3, np.float32), backend=other))
    foreign = torch.ones(3) if backend.name != "torch" else np.ones(3, np.float32)
    with pytest.raises(BackendMismatch, match="backend"):
        y.backward(foreign)
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(make(backend, np.ones(4, np.float32)))
    with pytest.raises(TypeError, match="gradient"):
        y.backward([1.0, 1.0, 1.0])
    y.backward(make(backend, np.ones(3, np.float32)))
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("make", [
    lambda m, kw: (m.ones(2, 2, requires_grad=True, **kw) * 2)[0], lambda m, kw: m.ones(2, 2, **kw)[0],
    lambda m, kw: m.ones(2, 2, requires_grad=True, **kw)[:, 1], lambda m, kw: (m.ones(2, 2, **kw) * 2).view(4),
    lambda m, kw: m.ones(2, 3, **kw).t(),
], ids=["slice_of_result", "slice_of_plain", "column_of_leaf", "view", "transpose"])
def test_detach_in_place_of_a_view_is_refused_as_pytorchs(backend, make):
    with pytest.raises(RuntimeError, match="views in-place"):
        make(torch, {}).detach_()
    with pytest.raises(RuntimeError, match="views in-place"):
        make(anynn, {"backend": backend}).detach_()
    y = anynn.ones(2, 2, requires_grad=True, backend=backend) * 2
    assert y.detach_() is y and not y.requires_grad and y.grad_fn is None  # not a view: detached in place
