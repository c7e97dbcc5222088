"""Mixed precision: autocast's op rules against PyTorch's CPU autocast, regions and threads, GradScaler, training."""

from __future__ import annotations

import re
import threading
import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.amp import GradScaler, autocast
from anynn.autograd import autocast_mode
from anynn.backend import dtype_name

LOW = ["float16", "bfloat16"]


def _has(backend, name: str) -> bool:
    try:
        backend.dtype(name)
        return True
    except TypeError:
        return False


def _needs(backend, low: str) -> None:
    if not _has(backend, low):
        pytest.skip(f"{backend.name} has no {low} (tested in test_autocast_refuses_missing_dtype)")


class _Lib:
    """The same case code runs against anynn and torch: tensors from one host generator in either library."""

    def __init__(self, lib, backend=None, seed=0):
        self.lib, self.backend, self.rng = lib, backend, np.random.default_rng(seed)
        self.F = lib.nn.functional

    def r(self, *shape, dtype="float32", positive=False):
        host = self.rng.standard_normal(shape).astype(np.float32)
        host = np.abs(host) + 0.1 if positive else host
        if self.lib is torch:
            return torch.tensor(host).to(getattr(torch, dtype))
        return anynn.tensor(host, backend=self.backend).astype(dtype)

    def u(self, *shape, dtype="float32"):
        host = self.rng.uniform(0.05, 0.95, shape).astype(np.float32)
        return torch.tensor(host).to(getattr(torch, dtype)) if self.lib is torch else \
            anynn.tensor(host, backend=self.backend).astype(dtype)

    def labels(self, *values):
        host = np.array(values, dtype=np.int64)
        return torch.tensor(host) if self.lib is torch else anynn.tensor(host, backend=self.backend)


# each case: (L, dtype of the floating inputs) -> output; the same code for anynn and torch
CASES = {
    "linear": lambda L, d: L.F.linear(L.r(4, 8, dtype=d), L.r(3, 8, dtype=d), L.r(3, dtype=d)),
    "matmul": lambda L, d: L.r(4, 8, dtype=d) @ L.r(8, 3, dtype=d),
    "bmm": lambda L, d: L.lib.bmm(L.r(2, 4, 8, dtype=d), L.r(2, 8, 3, dtype=d)),
    "baddbmm": lambda L, d: L.lib.baddbmm(L.r(2, 4, 3, dtype=d), L.r(2, 4, 8, dtype=d), L.r(2, 8, 3, dtype=d)),
    "addmm": lambda L, d: L.lib.addmm(L.r(4, 3, dtype=d), L.r(4, 8, dtype=d), L.r(8, 3, dtype=d)),
    "conv1d": lambda L, d: L.F.conv1d(L.r(2, 3, 9, dtype=d), L.r(4, 3, 3, dtype=d)),
    "conv2d": lambda L, d: L.F.conv2d(L.r(2, 3, 6, 6, dtype=d), L.r(4, 3, 3, 3, dtype=d), L.r(4, dtype=d)),
    "conv_transpose2d": lambda L, d: L.F.conv_transpose2d(L.r(2, 3, 5, 5, dtype=d), L.r(3, 2, 3, 3, dtype=d)),
    "conv3d": lambda L, d: L.F.conv3d(L.r(1, 2, 4, 4, 4, dtype=d), L.r(2, 2, 2, 2, 2, dtype=d)),
    "attention": lambda L, d: L.F.scaled_dot_product_attention(L.r(2, 4, 8, dtype=d), L.r(2, 4, 8, dtype=d),
                                                               L.r(2, 4, 8, dtype=d)),
    "prelu": lambda L, d: L.F.prelu(L.r(4, 3, dtype=d), L.r(3, dtype=d)),
    "einsum": lambda L, d: L.lib.einsum("ij,kj->ik", L.r(4, 8, dtype=d), L.r(3, 8, dtype=d)),
    # float32 on CPU and CUDA
    "mse_loss": lambda L, d: L.F.mse_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d)),
    "l1_loss": lambda L, d: L.F.l1_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d)),
    "huber_loss": lambda L, d: L.F.huber_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d)),
    "smooth_l1_loss": lambda L, d: L.F.smooth_l1_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d)),
    "cross_entropy": lambda L, d: L.F.cross_entropy(L.r(4, 3, dtype=d), L.labels(0, 2, 1, 0)),
    "nll_loss": lambda L, d: L.F.nll_loss(L.r(4, 3, dtype=d), L.labels(0, 2, 1, 0)),
    "binary_cross_entropy": lambda L, d: L.F.binary_cross_entropy(L.u(4, 3, dtype=d), L.u(4, 3, dtype=d)),
    "bce_with_logits": lambda L, d: L.F.binary_cross_entropy_with_logits(L.r(4, 3, dtype=d), L.u(4, 3, dtype=d)),
    "kl_div": lambda L, d: L.F.kl_div(L.r(4, 3, dtype=d), L.u(4, 3, dtype=d), reduction="batchmean"),
    "poisson_nll_loss": lambda L, d: L.F.poisson_nll_loss(L.r(4, 3, dtype=d), L.u(4, 3, dtype=d)),
    "margin_ranking_loss": lambda L, d: L.F.margin_ranking_loss(L.r(4, dtype=d), L.r(4, dtype=d),
                                                                L.r(4, dtype=d).sign()),
    "hinge_embedding_loss": lambda L, d: L.F.hinge_embedding_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d).sign()),
    "soft_margin_loss": lambda L, d: L.F.soft_margin_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d).sign()),
    "multi_margin_loss": lambda L, d: L.F.multi_margin_loss(L.r(4, 3, dtype=d), L.labels(0, 2, 1, 0)),
    "cosine_embedding_loss": lambda L, d: L.F.cosine_embedding_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d),
                                                                    L.r(4, dtype=d).sign()),
    "triplet_margin_loss": lambda L, d: L.F.triplet_margin_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d),
                                                                L.r(4, 3, dtype=d)),
    "fft": lambda L, d: L.lib.fft.fft(L.r(4, 8, dtype=d)),
    "rfft2": lambda L, d: L.lib.fft.rfft2(L.r(4, 8, dtype=d)),
    "irfft": lambda L, d: L.lib.fft.irfft(L.r(4, 5, dtype=d)),
    "ihfft": lambda L, d: L.lib.fft.ihfft(L.r(4, 6, dtype=d)),
    "stft": lambda L, d: L.lib.stft(L.r(2, 20, dtype=d), 8, window=L.r(8, dtype=d), return_complex=True),
    # in the input's dtype under CPU autocast (float32 on CUDA)
    "softmax": lambda L, d: L.F.softmax(L.r(4, 3, dtype=d), dim=-1),
    "log_softmax": lambda L, d: L.F.log_softmax(L.r(4, 3, dtype=d), dim=-1),
    "layer_norm": lambda L, d: L.F.layer_norm(L.r(4, 3, dtype=d), (3,)),
    "group_norm": lambda L, d: L.F.group_norm(L.r(2, 4, 3, dtype=d), 2),
    "exp": lambda L, d: L.r(4, 3, dtype=d).exp(),
    "log": lambda L, d: L.r(4, 3, dtype=d, positive=True).log(),
    "pow": lambda L, d: L.r(4, 3, dtype=d) ** 2,
    "sum": lambda L, d: L.r(4, 3, dtype=d).sum(),
    "cumsum": lambda L, d: L.lib.cumsum(L.r(4, 3, dtype=d), 0),
    "logsumexp": lambda L, d: L.lib.logsumexp(L.r(4, 3, dtype=d), 1),
    "softplus": lambda L, d: L.F.softplus(L.r(4, 3, dtype=d)),
    "cosine_similarity": lambda L, d: L.F.cosine_similarity(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d)),
    "gaussian_nll_loss": lambda L, d: L.F.gaussian_nll_loss(L.r(4, 3, dtype=d), L.r(4, 3, dtype=d),
                                                            L.u(4, 3, dtype=d)),
    # not in PyTorch's lists: the input's dtype
    "relu": lambda L, d: L.F.relu(L.r(4, 3, dtype=d)),
    "gelu": lambda L, d: L.F.gelu(L.r(4, 3, dtype=d)),
    "sigmoid": lambda L, d: L.lib.sigmoid(L.r(4, 3, dtype=d)),
    "mean": lambda L, d: L.r(4, 3, dtype=d).mean(),
    "max_pool2d": lambda L, d: L.F.max_pool2d(L.r(1, 2, 4, 4, dtype=d), 2),
    "avg_pool2d": lambda L, d: L.F.avg_pool2d(L.r(1, 2, 4, 4, dtype=d), 2),
    "embedding": lambda L, d: L.F.embedding(L.labels(0, 2, 1), L.r(3, 4, dtype=d)),
}


def _torch_dtype(name: str, low: str, inputs: str) -> str:
    lib = _Lib(torch)
    with torch.autocast("cpu", dtype=getattr(torch, low)):
        return str(CASES[name](lib, inputs).dtype).removeprefix("torch.")


@pytest.mark.parametrize("low", LOW)
@pytest.mark.parametrize("name", sorted(CASES))
def test_autocast_output_dtypes_match_torch_cpu(backend, name, low):
    """Output dtype for float32 inputs and for low-precision inputs, as torch.autocast('cpu') gives."""
    _needs(backend, low)
    for inputs in ("float32", low):
        expected = _torch_dtype(name, low, inputs)
        with anynn.autocast("cpu", dtype=low):
            out = CASES[name](_Lib(anynn, backend), inputs)
        assert dtype_name(out.dtype) == expected, (name, inputs)


@pytest.mark.parametrize("low", LOW)
def test_autocast_values_and_float32_gradients_match_torch(backend, low):
    """A linear layer and a loss under autocast: values and float32 parameter gradients as PyTorch's."""
    _needs(backend, low)
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((5, 6), (4, 6), (4,)))
    labels = np.array([0, 3, 1, 2, 3])
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    with torch.autocast("cpu", dtype=getattr(torch, low)):
        t_logits = torch.nn.functional.linear(torch.tensor(x), tw, tb)
        t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(labels))
    t_loss.backward()
    aw, ab = (anynn.tensor(a, backend=backend, requires_grad=True) for a in (w, b))
    with anynn.autocast("cpu", dtype=low):
        logits = anynn.nn.functional.linear(anynn.tensor(x, backend=backend), aw, ab)
        loss = anynn.nn.functional.cross_entropy(logits, anynn.tensor(labels, backend=backend))
    loss.backward()
    assert dtype_name(logits.dtype) == low and dtype_name(loss.dtype) == "float32"
    assert dtype_name(aw.grad.dtype) == "float32" and dtype_name(ab.grad.dtype) == "float32"
    # (NumPy's float16 matmul rounds as it accumulates, PyTorch accumulates in float32: a unit in the last place)
    tol = 3e-2 if low == "bfloat16" else 4e-3
    np.testing.assert_allclose(logits.float().numpy(), t_logits.float().detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=tol)
    np.testing.assert_allclose(aw.grad.numpy(), tw.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ab.grad.numpy(), tb.grad.numpy(), rtol=tol, atol=tol)



@pytest.mark.parametrize("low", LOW)
def test_autocast_residual_block_trains_as_torch(backend, low):
    """nanoGPT's block under autocast: a float32 residual plus low-precision linear branches. The sum is
    float32, and each branch gets its gradient back in its own dtype (the torch backend refused the float32
    gradient against the bfloat16 weight in the linear's backward)."""
    _needs(backend, low)
    rng = np.random.default_rng(4)
    x, w1, w2 = (rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((5, 6), (8, 6), (6, 8)))

    def run(lib, tensor, functional):
        weights = [tensor(w1), tensor(w2)]
        h = tensor(x)
        with lib.autocast("cpu", dtype=getattr(lib, low)):
            for _ in range(2):
                h = h + functional.linear(functional.gelu(functional.linear(h, weights[0])), weights[1])
            loss = (h * h).mean()
        loss.backward()
        return h, loss, weights

    h, loss, weights = run(anynn, lambda a: anynn.tensor(a, backend=backend, requires_grad=True), anynn.nn.functional)
    th, t_loss, t_weights = run(torch, lambda a: torch.tensor(a, requires_grad=True), torch.nn.functional)
    assert dtype_name(h.dtype) == "float32" and all(dtype_name(w.grad.dtype) == "float32" for w in weights)
    tol = 5e-2 if low == "bfloat16" else 5e-3
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=tol)
    for w, tw in zip(weights, t_weights):
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=tol, atol=tol)

def test_autocast_modules_take_low_precision_inputs(backend):
    """Conv -> BatchNorm -> ReLU -> pool -> Linear -> LayerNorm -> Dropout -> Linear under autocast, as PyTorch."""
    _needs(backend, "float16")
    model = anynn.nn.Sequential(anynn.nn.Conv2d(3, 4, 3), anynn.nn.BatchNorm2d(4), anynn.nn.ReLU(),
                                anynn.nn.MaxPool2d(2), anynn.nn.Flatten(), anynn.nn.Linear(16, 5),
                                anynn.nn.LayerNorm(5), anynn.nn.Dropout(0.2), anynn.nn.Linear(5, 3),
                                backend=backend, seed=0)
    x = anynn.tensor(np.random.default_rng(0).random((2, 3, 6, 6), dtype=np.float32), backend=backend)
    with anynn.autocast(dtype="float16"):
        out = model(x)
        loss = anynn.nn.functional.cross_entropy(out, anynn.tensor(np.array([0, 2]), backend=backend))
    loss.backward()
    assert dtype_name(out.dtype) == "float16" and dtype_name(loss.dtype) == "float32"
    assert all(dtype_name(p.grad.dtype) == "float32" for p in model.parameters())
    assert dtype_name(model[1].running_mean.dtype) == "float32"


def test_autocast_to_a_dtype_the_backend_lacks_warns_and_casts_nothing(backend):
    """A backend without the dtype warns once, naming what works, and runs the region's operations uncast, as
    PyTorch's CPU autocast of a dtype it cannot run ('Disabling autocast'): build-nanogpt's
    torch.autocast("cpu", dtype=torch.bfloat16) raised TypeError on NumPy."""
    missing = [low for low in LOW if not _has(backend, low)]
    if not missing:
        pytest.skip(f"{backend.name} has float16 and bfloat16")
    x = anynn.ones(2, 3, backend=backend)
    w = anynn.ones(4, 3, backend=backend, requires_grad=True)
    for low in missing:
        autocast_mode._DTYPES.pop((id(x.backend), low), None)  # warned once per backend and dtype
        with anynn.autocast(dtype=low), pytest.warns(UserWarning, match=f"dtype '{low}' is not supported by.*"
                                                                         "Disabling autocast"):
            out = anynn.nn.functional.linear(x, w)
        assert dtype_name(out.dtype) == "float32"
        out.sum().backward()
        assert dtype_name(w.grad.dtype) == "float32"


def test_autocast_regions_nest_and_restore():
    x, w = anynn.ones(2, 3), anynn.ones(4, 3)
    linear = anynn.nn.functional.linear
    assert not anynn.amp.is_autocast_enabled("cpu")
    with anynn.autocast("cpu", dtype="float16"):
        assert anynn.amp.is_autocast_enabled("cpu") and not anynn.amp.is_autocast_enabled("cuda")
        assert anynn.amp.get_autocast_dtype("cpu") == "float16"
        with anynn.autocast("cpu", enabled=False):
            assert dtype_name(linear(x, w).dtype) == "float32"
            with anynn.autocast("cpu", dtype="float16"):
                assert dtype_name(linear(x, w).dtype) == "float16"
            assert dtype_name(linear(x, w).dtype) == "float32"
        assert dtype_name(linear(x, w).dtype) == "float16"
        with anynn.autocast("cuda", dtype="float16"):  # another device type: CPU data still cast as before
            assert dtype_name(linear(x, w).dtype) == "float16"
    assert dtype_name(linear(x, w).dtype) == "float32"
    with pytest.raises(KeyError), anynn.autocast("cpu", dtype="float16"):
        {}["missing"]
    assert not anynn.amp.is_autocast_enabled() and autocast_mode.active_threads == 0
    assert anynn.amp.get_autocast_dtype("cpu") == "bfloat16"  # PyTorch's defaults when off
    assert anynn.amp.get_autocast_dtype("cuda") == "float16"
    # a dtype object, as PyTorch's torch.float16 (a str before: .itemsize / .is_floating_point failed)
    assert anynn.get_autocast_dtype("cpu").itemsize == 2 and anynn.get_autocast_dtype("cuda").is_floating_point


def test_autocast_device_type_selects_data():
    """autocast('cuda') leaves CPU (NumPy) data alone, as PyTorch's leaves CPU tensors."""
    x, w = anynn.ones(2, 3), anynn.ones(4, 3)
    with anynn.autocast("cuda"):
        assert dtype_name(anynn.nn.functional.linear(x, w).dtype) == "float32"
    with anynn.autocast(dtype="float16"):  # anynn's device_type=None: every device type
        assert dtype_name(anynn.nn.functional.linear(x, w).dtype) == "float16"


@pytest.mark.skipif(torch.cuda.is_available() or anynn.cuda.is_available(), reason="this machine has CUDA")
def test_autocast_cuda_without_cuda_warns_and_casts_nothing_as_torch():
    for lib, enabled in ((torch, torch.is_autocast_enabled), (anynn, anynn.amp.is_autocast_enabled)):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            region = lib.autocast("cuda")
        with region:
            assert not enabled("cuda")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with lib.autocast("cuda", enabled=False), lib.autocast("cpu", dtype=lib.bfloat16):  # no warning
                assert enabled("cpu") and not enabled("cuda")


def test_autocast_decorator_and_torch_names():
    x, w = anynn.ones(2, 3), anynn.ones(4, 3)

    @anynn.amp.autocast("cpu", dtype=anynn.float16)
    def forward():
        return anynn.nn.functional.linear(x, w)

    assert dtype_name(forward().dtype) == "float16"
    assert not anynn.amp.is_autocast_enabled()
    with pytest.warns(FutureWarning, match="anynn.amp.autocast"):
        region = anynn.cuda.amp.autocast()
    assert region.device == "cuda" and region.fast_dtype == "float16"
    from anynn.cuda.amp import GradScaler as CudaScaler  # noqa: F401  (PyTorch's import spelling works)
    with pytest.warns(UserWarning, match="not supported"):
        off = anynn.autocast("cpu", dtype="float64")
    with off:
        assert not anynn.amp.is_autocast_enabled()
    with pytest.raises(RuntimeError, match="device_type"):
        anynn.autocast("tpu")
    # bool('no') is True: it switched autocast on (PyTorch's TypeError comes from entering, which leaves its
    # thread's autocast state changed, so it is not run here)
    for flags in (dict(enabled="no"), dict(cache_enabled=0)):
        with pytest.raises(TypeError, match="must be a bool"), anynn.autocast("cpu", **flags):
            pass


def _product_function(lib, cast_inputs, seen):
    """A custom Function in the style of xformers' and mamba's: a product whose backward notes the autocast state."""

    class Product(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            seen.append(("forward", lib.is_autocast_enabled("cpu"), str(a.dtype).split(".")[-1]))
            return a.mm(b)

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            seen.append(("backward", lib.is_autocast_enabled("cpu"), str(g.dtype).split(".")[-1]))
            return g.mm(b.t()), a.t().mm(g)

    return Product


@pytest.mark.parametrize("cast_inputs", [None, "float32"])
def test_custom_fwd_and_custom_bwd_as_torch(cast_inputs):
    """torch.amp.custom_fwd / custom_bwd (AttributeError before): with cast_inputs the forward runs with autocast off
    on inputs cast to that dtype; without, under the region's autocast; the backward under the forward's state."""
    results = {}
    for lib in (torch, anynn):
        seen = []
        product = _product_function(lib, None if cast_inputs is None else getattr(lib, cast_inputs), seen)
        a = lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float16, requires_grad=True)
        b = lib.ones(3, 2, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.float16):
            y = product.apply(a, b)
        y.sum().backward()
        results[lib.__name__] = seen, [str(t.dtype).split(".")[-1] for t in (y, a.grad, b.grad)], y.float().tolist()
    assert results["anynn"] == results["torch"]
    with pytest.warns(FutureWarning, match="anynn.amp.custom_fwd"):
        anynn.cuda.amp.custom_fwd(cast_inputs=anynn.float32)
    with pytest.raises(ValueError, match="custom_bwd: expected `device_type` of type `str`"):
        anynn.amp.custom_bwd(device_type=None)


def test_autocast_is_per_thread():
    """A region open in one thread does not cast another thread's operations."""
    x, w = anynn.ones(2, 3), anynn.ones(4, 3)
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def holder():
        with anynn.autocast("cpu", dtype="float16"):
            seen["holder"] = dtype_name(anynn.nn.functional.linear(x, w).dtype)
            inside.set()
            done.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert inside.wait(10)
    try:
        seen["other"] = dtype_name(anynn.nn.functional.linear(x, w).dtype)
        assert not anynn.amp.is_autocast_enabled()
    finally:
        done.set()
        thread.join()
    assert seen == {"holder": "float16", "other": "float32"}
    assert autocast_mode.active_threads == 0


# -- GradScaler -----------------------------------------------------------------------------------------
def _param(backend, values):
    return anynn.tensor(np.asarray(values, dtype=np.float32), backend=backend, requires_grad=True)


def test_grad_scaler_scales_and_unscales(backend):
    p = _param(backend, [1.0, 2.0])
    opt = anynn.optim.SGD([p], lr=0.5)
    scaler = GradScaler("cpu", init_scale=8.0)
    loss = (p * p).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == 8.0 * loss.item()
    assert [t.item() for t in scaler.scale([loss, loss])] == [40.0, 40.0]
    assert isinstance(scaler.scale((loss,)), tuple)
    scaled.backward()
    np.testing.assert_array_equal(p.grad.numpy(), [16.0, 32.0])
    scaler.unscale_(opt)
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)  # no second unscale
    np.testing.assert_array_equal(p.numpy(), [0.0, 0.0])
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 8.0 and scaler._get_growth_tracker() == 1
    with pytest.raises(ValueError, match="Tensor or an iterable"):
        scaler.scale(3.0)


def test_grad_scaler_disabled_is_transparent(backend):
    p = _param(backend, [1.0])
    opt = anynn.optim.SGD([p], lr=1.0)
    scaler = GradScaler("cpu", enabled=False)
    loss = p.sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.step(opt)
    scaler.update()
    assert p.item() == 0.0 and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    scaler.load_state_dict({})  # a no-op, as PyTorch's


def _grads_for(values):
    return np.asarray(values, dtype=np.float32)


@pytest.mark.parametrize("pattern", [["ok", "inf", "ok", "ok", "ok", "nan", "ok", "ok"]])
def test_grad_scaler_matches_torch_through_skips_and_growth(backend, pattern):
    """Scale, growth tracker and parameters step by step against torch.amp.GradScaler('cpu')."""
    kwargs = dict(init_scale=4.0, growth_factor=2.0, backoff_factor=0.25, growth_interval=2)
    ours, theirs = GradScaler("cpu", **kwargs), torch.amp.GradScaler("cpu", **kwargs)
    p = _param(backend, [1.0, -1.0, 0.5])
    tp = torch.tensor([1.0, -1.0, 0.5], requires_grad=True)
    opt, topt = anynn.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    for step, kind in enumerate(pattern):
        bad = {"ok": 1.0, "inf": np.inf, "nan": np.nan}[kind]
        target = _grads_for([bad, 2.0, 3.0])
        for scaler, param, optimizer, lib in ((ours, p, opt, anynn), (theirs, tp, topt, torch)):
            optimizer.zero_grad()
            weights = anynn.tensor(target, backend=backend) if lib is anynn else torch.tensor(target)
            scaler.scale((param * weights).sum()).backward()
            scaler.step(optimizer)
            scaler.update()
        assert ours.get_scale() == theirs.get_scale(), step
        assert ours._get_growth_tracker() == theirs._get_growth_tracker(), step
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-6, err_msg=f"step {step}")
    assert ours.state_dict() == theirs.state_dict()


def test_grad_scaler_new_scale_settings_and_errors(backend):
    scaler = GradScaler("cpu", init_scale=2.0**16)
    scaler.scale(_param(backend, [1.0]))
    with pytest.raises(AssertionError, match="No inf checks"):
        scaler.update()
    scaler.update(1024.0)
    assert scaler.get_scale() == 1024.0
    scaler.update(anynn.tensor(np.float32(16.0), backend=backend))
    assert scaler.get_scale() == 16.0
    scaler.set_growth_factor(3.0)
    scaler.set_backoff_factor(0.1)
    scaler.set_growth_interval(7)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(), scaler.get_growth_interval()) == (3.0, 0.1, 7)
    with pytest.raises(AssertionError, match="growth factor"):
        GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="backoff factor"):
        GradScaler("cpu", backoff_factor=1.0)
    p = _param(backend, [1.0])
    opt = anynn.optim.SGD([p], lr=1.0)
    p.sum().backward()
    with pytest.raises(RuntimeError, match="Closure"):
        scaler.step(opt, closure=lambda: None)
    if _has(backend, "float16"):
        h = anynn.tensor(np.ones(2), backend=backend, dtype="float16", requires_grad=True)
        h.sum().backward()
        with pytest.raises(ValueError, match="FP16 gradients"):
            scaler.unscale_(anynn.optim.SGD([h], lr=1.0))


@pytest.mark.parametrize("loaded", [False, True])
def test_grad_scaler_before_any_scale_refuses_as_torch(backend, loaded):
    """Before the first ``scale()`` (a loaded state does not count) step, unscale_ and update raise PyTorch's
    AssertionError and leave the parameters as they were; afterwards step works, also in later iterations."""
    state = {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3, "_growth_tracker": 0}
    p, tp = _param(backend, [1.0, -2.0]), torch.tensor([1.0, -2.0], requires_grad=True)
    ours, theirs = GradScaler("cpu"), torch.amp.GradScaler("cpu")
    if loaded:
        ours.load_state_dict(state)
        theirs.load_state_dict(state)
    opt, topt = anynn.optim.SGD([p], lr=0.5), torch.optim.SGD([tp], lr=0.5)
    (p * p).sum().backward()
    (tp * tp).sum().backward()
    for call, name in ((lambda s, o: s.step(o), "step"), (lambda s, o: s.unscale_(o), "unscale_"),
                       (lambda s, o: s.update(), "update"), (lambda s, o: s.update(4.0), "update")):
        message = f"Attempted {name} but _scale is None.  This may indicate your script did not use"
        with pytest.raises(AssertionError, match=re.escape(message)):
            call(theirs, topt)
        with pytest.raises(AssertionError, match=re.escape(message)):
            call(ours, opt)
    np.testing.assert_array_equal(p.numpy(), [1.0, -2.0])
    for scaler, optimizer, q in ((ours, opt, p), (theirs, topt, tp)):
        scaler.scale((q * q).sum())
        scaler.step(optimizer)
        scaler.update()
        scaler.step(optimizer)  # a later iteration without scale(): PyTorch steps (its scale tensor exists)
        scaler.update()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-6)
    assert ours.state_dict() == theirs.state_dict()


def test_grad_scaler_cuda_without_cuda_disables_with_warning():
    if anynn.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = GradScaler()
    assert not scaler.is_enabled()
    with pytest.warns(FutureWarning):
        assert not anynn.cuda.amp.GradScaler().is_enabled()


def test_grad_scaler_state_round_trip_and_checkpoint_resume(tmp_path, backend):
    scaler = GradScaler("cpu", init_scale=64.0, growth_interval=3)
    p = _param(backend, [1.0, 2.0])
    opt = anynn.optim.SGD([p], lr=0.1)
    for bad in (False, False, True, False):
        opt.zero_grad()
        loss = (p * p).sum() * (float("inf") if bad else 1.0)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    state = scaler.state_dict()
    assert state == {"scale": 32.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3,
                     "_growth_tracker": 1}
    copy = GradScaler("cpu")
    copy.load_state_dict(state)
    assert copy.state_dict() == state
    with pytest.raises(RuntimeError, match="empty"):
        copy.load_state_dict({})
    path = tmp_path / "amp.safetensors"
    anynn.save_checkpoint(path, optimizer=opt, scaler=scaler, step=4)
    resumed = GradScaler("cpu")
    result = anynn.load_checkpoint(path, optimizer=anynn.optim.SGD([_param(backend, [0.0, 0.0])], lr=0.1),
                                   scaler=resumed)
    assert resumed.state_dict() == state and result["scaler"] == state
    anynn.save_checkpoint(path, optimizer=opt)
    with pytest.raises(ValueError, match="no GradScaler state"):
        anynn.load_checkpoint(path, scaler=GradScaler("cpu"))


def test_grad_scaler_reads_the_device_once_per_step(monkeypatch):
    """The inf/NaN check is combined on the device: one host read per step, not one per parameter."""
    params = [_param(anynn.get_backend("numpy"), [float(i)]) for i in range(6)]
    opt = anynn.optim.SGD(params, lr=0.1)
    scaler = GradScaler("cpu")
    scaler.scale(sum((q * q).sum() for q in params)).backward()
    reads = []
    original = GradScaler._found_inf

    def counting(self, state):
        reads.append(len(state["found_inf_per_device"]))
        return original(self, state)

    monkeypatch.setattr(GradScaler, "_found_inf", counting)
    scaler.step(opt)
    scaler.update()
    assert reads == [1, 1]  # step and update each see one combined flag; the value is read once and kept
    assert opt.state is not None


# -- float16 training: autocast + GradScaler against PyTorch's -------------------------------------------
def _train(lib, backend, steps=20):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
    w1, b1 = rng.standard_normal((16, 8)).astype(np.float32) * 0.3, np.zeros(16, np.float32)
    w2, b2 = rng.standard_normal((3, 16)).astype(np.float32) * 0.3, np.zeros(3, np.float32)
    if lib is torch:
        params = [torch.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
        X, Y = torch.tensor(x), torch.tensor(y)
        opt = torch.optim.SGD(params, lr=0.2, momentum=0.9)
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**20, growth_interval=5)
        region = lambda: torch.autocast("cpu", dtype=torch.float16)  # noqa: E731
    else:
        params = [anynn.tensor(a, backend=backend, requires_grad=True) for a in (w1, b1, w2, b2)]
        X, Y = anynn.tensor(x, backend=backend), anynn.tensor(y, backend=backend)
        opt = anynn.optim.SGD(params, lr=0.2, momentum=0.9)
        scaler = GradScaler("cpu", init_scale=2.0**20, growth_interval=5)
        region = lambda: anynn.autocast("cpu", dtype="float16")  # noqa: E731
    F = lib.nn.functional
    losses, scales = [], []
    for _ in range(steps):
        opt.zero_grad()
        with region():
            hidden = F.relu(F.linear(X, params[0], params[1]))
            loss = F.cross_entropy(F.linear(hidden, params[2], params[3]), Y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
        scales.append(scaler.get_scale())
    return np.array(losses), scales, [np.asarray(q.detach().numpy() if lib is torch else q.numpy()) for q in params]


def test_float16_training_with_grad_scaler_matches_torch(backend):
    _needs(backend, "float16")
    ours, our_scales, our_params = _train(anynn, backend)
    theirs, their_scales, their_params = _train(torch, None)
    assert our_scales == their_scales  # the same skipped steps (the first ones overflow float16) and growth
    assert our_scales[0] < 2.0**20
    np.testing.assert_allclose(ours, theirs, rtol=5e-3, atol=5e-3)
    assert ours[-1] < ours[0]
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-3)


def test_autocast_off_costs_nothing_per_family():
    """With no region open anywhere, apply reads one class attribute and one module global (no casts)."""
    assert autocast_mode.active_threads == 0
    calls = []
    original = autocast_mode.cast_inputs
    autocast_mode.cast_inputs = lambda cls, args: calls.append(cls) or original(cls, args)
    try:
        anynn.nn.functional.linear(anynn.ones(2, 3), anynn.ones(4, 3))
        assert calls == []
        with anynn.autocast("cpu", dtype="float16"):
            anynn.nn.functional.linear(anynn.ones(2, 3), anynn.ones(4, 3))
            anynn.nn.functional.relu(anynn.ones(2, 3))  # no family: never consulted
        assert [c.__name__ for c in calls] == ["LinearFunction"]
    finally:
        autocast_mode.cast_inputs = original
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        autocast()  # constructing a region has no side effect until it is entered


def test_autocast_leaves_float64_alone_and_gradients_check(backend):
    """float64 is never cast (PyTorch's rule), so float64 gradient checks pass inside a region too."""
    if not _has(backend, "float64"):
        pytest.skip(f"{backend.name} has no float64")
    rng = np.random.default_rng(5)
    x, w, b = (anynn.tensor(rng.standard_normal(s), backend=backend, dtype="float64", requires_grad=True)
               for s in ((3, 4), (2, 4), (2,)))
    with anynn.autocast(dtype="float16"):
        out = anynn.nn.functional.linear(x, w, b)
        assert dtype_name(out.dtype) == "float64"
        assert anynn.grad_check(lambda a, c, d: anynn.nn.functional.softmax(anynn.nn.functional.linear(a, c, d),
                                                                            dim=-1), x, w, b)


def test_bfloat16_on_numpy_names_the_alternatives():
    """NumPy has no bfloat16 (ml_dtypes' has no BLAS): the error says what works instead."""
    with pytest.raises(TypeError, match="float16.*torch backend"):
        anynn.nn.Linear(2, 3).bfloat16()
    half = anynn.nn.Linear(2, 3).half()
    assert dtype_name(half.weight.dtype) == "float16"
