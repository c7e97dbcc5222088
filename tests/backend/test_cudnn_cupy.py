"""The vendor kernels on a real GPU (run by ``python benchmarks/gpu_check.py``: every test here has "cupy" in its id).

cuDNN convolution (forward, data and weight gradients; 1-D and 2-D, groups, dilation, asymmetric padding) and
flash attention (forward and backward), cuBLASLt's Linear + bias + ReLU/GELU epilogue, and the fused CuPy
kernels in float16, each against the portable math run by NumPy in float64 (float32 for float16 inputs).
Each test also checks that the vendor path really ran (plans built, none refused). Skipped without a CUDA
device; the cuDNN and cuBLASLt tests are skipped where their packages are not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import anynn
import anynn.functional as F
from anynn import nn
from anynn.backend import BackendUnavailable, get_backend, op


@pytest.fixture
def cupy_backend():
    try:
        return get_backend("cupy")
    except BackendUnavailable as exc:
        pytest.skip(f"no CUDA device: {exc}")


def _cudnn(backend):
    from anynn.backend import cudnn

    kernels, reason = cudnn.kernels_for(backend.cupy, backend.device_id)
    if kernels is None:
        pytest.skip(f"cuDNN is not used here: {reason}")
    return kernels


def _run(backend, arrays, fn, dtype, seed=5):
    ts = [anynn.tensor(a, backend=backend, dtype=dtype, requires_grad=True) for a in arrays]
    y = fn(*ts)
    g = np.random.default_rng(seed).standard_normal(tuple(y.shape))
    y.backward(anynn.tensor(g, backend=backend, dtype=dtype))
    host = backend.to_host
    return [np.asarray(host(y.array), np.float64)] + [np.asarray(host(t.grad.array), np.float64) for t in ts]


CONV = [  # (fn, x shape, w shape, kwargs)
    (F.conv2d, (4, 8, 16, 16), (16, 8, 3, 3), dict(padding=1)),
    (F.conv2d, (2, 8, 15, 14), (12, 4, 3, 2), dict(stride=2, dilation=(2, 1), groups=2)),
    (F.conv2d, (2, 16, 12, 12), (16, 1, 3, 3), dict(padding="same", groups=16)),
    (F.conv2d, (2, 4, 10, 10), (8, 4, 4, 4), dict(padding="same")),
    (F.conv1d, (4, 8, 33), (16, 4, 5), dict(padding=4, dilation=2, groups=2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("fn, x_shape, w_shape, kw", CONV)
def test_cudnn_convolution_on_cupy(cupy_backend, fn, x_shape, w_shape, kw, dtype):
    kernels = _cudnn(cupy_backend)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, (w_shape[0],))]
    before = kernels.plans.builds
    got = _run(cupy_backend, arrays, lambda x, w, b: fn(x, w, b, **kw), dtype)
    want = _run(get_backend("numpy"), arrays, lambda x, w, b: fn(x, w, b, **kw), "float64")
    tol = 1e-4 if dtype == "float32" else 3e-2
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol * max(1.0, float(np.abs(e).max())))
    assert kernels.plans.builds >= before  # built now or earlier (same shape)
    assert not kernels.plans.refused, kernels.plans.refused


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("causal", [False, True])
def test_cudnn_attention_on_cupy(cupy_backend, causal, dtype):
    kernels = _cudnn(cupy_backend)
    try:
        cupy_backend.dtype(dtype)
    except TypeError:
        pytest.skip(f"CuPy has no {dtype} here")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 4, 64, 64)) for _ in range(3)]

    def attention(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    got = _run(cupy_backend, arrays, attention, dtype)
    want = _run(get_backend("numpy"), arrays, attention, "float32")
    tol = 2e-2 if dtype == "float16" else 8e-2
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol)
    assert any(key[0] == "sdpa_backward" for key in kernels.plans._plans), "flash attention did not run"
    assert not kernels.plans.refused, kernels.plans.refused


@pytest.mark.parametrize("activation", ["relu", "gelu_tanh"])
def test_cublaslt_epilogue_on_cupy(cupy_backend, activation):
    from anynn.backend.epilogue import linear_activation_for

    fused, reason = linear_activation_for(cupy_backend.device_id)
    if fused is None:
        pytest.skip(f"cuBLASLt epilogues are not used here: {reason}")
    act = nn.ReLU() if activation == "relu" else nn.GELU(approximate="tanh")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 96))

    def run(backend):
        model = nn.Sequential(nn.Linear(96, 40), act, nn.Linear(40, 10), backend=backend, seed=0)
        xt = anynn.tensor(x, backend=backend, requires_grad=True)
        y = model(xt)
        (y * y).sum().backward()
        host = backend.to_host
        return [host(y.array), host(xt.grad.array)] + [host(p.grad.array) for p in model.parameters()]

    plans = fused.plans
    got, want = run(cupy_backend), run(get_backend("numpy"))
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4)
    assert fused.plans > plans or fused.plans > 0
    assert not fused.refused, fused.refused


@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad", "tanh_grad", "relu_grad"])
def test_fused_kernels_take_float16_on_cupy(cupy_backend, name):
    from anynn.backend import cupy_backend as module

    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(4096).astype(np.float16) for _ in range(1 if name == "sigmoid" else 2)]
    if name != "sigmoid":
        arrays[1] = (np.tanh(arrays[1]) if name != "relu_grad" else np.maximum(arrays[1], 0)).astype(np.float16)
    got = cupy_backend.to_host(op(cupy_backend, name)(*[cupy_backend.from_host(a) for a in arrays]))
    numpy = get_backend("numpy")
    want = op(numpy, name)(*[a.astype(np.float32) for a in arrays]).astype(np.float16)  # float32 math, one rounding
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=1e-3, atol=1e-3)
    assert not any(entry[1] == "float16" for entry in module._REFUSED), module._REFUSED


def test_fused_adam_and_lstm_take_float16_on_cupy(cupy_backend):
    from anynn.backend import cupy_backend as module

    rng = np.random.default_rng(4)
    numpy = get_backend("numpy")
    param, grad = rng.standard_normal(1000), rng.standard_normal(1000)
    m, v = rng.standard_normal(1000) * 0.1, rng.random(1000) * 0.1
    scalars = (0.9, 0.999, 1e-3, 0.97, 1e-8)
    device = [cupy_backend.from_host(a.astype(np.float16)) for a in (param, grad, m, v)]
    op(cupy_backend, "adam_step")(*device, *scalars)
    host = [a.astype(np.float16).astype(np.float32) for a in (param, grad, m, v)]
    op(numpy, "adam_step")(*host, *scalars)
    for d, h in zip(device, host):
        np.testing.assert_allclose(cupy_backend.to_host(d).astype(np.float32), h, rtol=2e-3, atol=2e-3)
    pre = rng.standard_normal((4 * 16, 8)).astype(np.float16)
    c = rng.standard_normal((16, 8)).astype(np.float16)
    got = op(cupy_backend, "lstm_step")(cupy_backend.from_host(pre), cupy_backend.from_host(c), False, True)
    want = op(numpy, "lstm_step")(pre.astype(np.float32), c.astype(np.float32), False, True)
    for g, w in zip(got, want):
        assert g.dtype == np.float16
        np.testing.assert_allclose(cupy_backend.to_host(g).astype(np.float32), w, rtol=2e-3, atol=2e-3)
    assert not any(entry[1] == "float16" for entry in module._REFUSED), module._REFUSED
