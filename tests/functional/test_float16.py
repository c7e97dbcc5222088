"""float16 and bfloat16 that stay right: normalisation statistics and loss reductions computed in float32.

Each case runs in the low-precision dtype and is compared with the float32 computation (PyTorch's, on the
same rounded values): values of 1e3..1e4 overflow a float16 variance or a float16 sum of losses, while the
results themselves are representable. float16 runs where the backend has it (not array_api_strict),
bfloat16 on torch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
from anynn import nn
from anynn.backend import dtype_name
from anynn.functional import loss as F
from tests.helpers import copy_torch_weights

LOW_DTYPES = ["float16", "bfloat16"]


@pytest.fixture(autouse=True)
def _quiet():
    # an unused branch of a where() may overflow on NumPy; the results are what the tests check
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def skip_unless_has(backend, dtype: str) -> None:
    try:
        backend.dtype(dtype)
    except TypeError:
        pytest.skip(f"{backend.key} has no {dtype}")
    if dtype == "bfloat16" and backend.name not in ("torch", "jax"):
        pytest.skip(f"bfloat16 is tested on torch and jax (NumPy has none), not on {backend.key}")


def low_tensor(backend, values: np.ndarray, dtype: str, requires_grad: bool = False) -> anynn.Tensor:
    """``values`` (float32) rounded to ``dtype`` on ``backend``."""
    return anynn.tensor(values.astype(np.float32), backend=backend, dtype=dtype, requires_grad=requires_grad)


def host32(t: anynn.Tensor) -> np.ndarray:
    """A Tensor's values in float32 on the host (NumPy has no bfloat16)."""
    assert dtype_name(t.dtype) in LOW_DTYPES, f"expected a low-precision result, got {t.dtype}"
    return t.detach().to(dtype="float32").numpy()


def assert_close_scaled(ours: np.ndarray, ref: np.ndarray, dtype: str, what: str) -> None:
    """Equal within the low dtype's resolution, relative to the largest reference value."""
    assert np.isfinite(ours).all(), f"{what}: not finite: {ours}"
    rtol = 1e-2 if dtype == "float16" else 4e-2
    scale = float(np.abs(ref).max()) or 1.0
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale, err_msg=what)


# -- normalisation: statistics in float32, cast back --------------------------------------------------
# (id, anynn module, PyTorch module, input shape, location, spread): spread keeps BatchNorm's running
# variance (stored in the low dtype, as PyTorch's) below float16's largest value, 65504
NORMS = [
    ("layer_norm", lambda: nn.LayerNorm(16), lambda: torch.nn.LayerNorm(16), (4, 16), 5e3, 2e3),
    ("layer_norm_2d", lambda: nn.LayerNorm((4, 8)), lambda: torch.nn.LayerNorm((4, 8)), (3, 4, 8), 3e3, 1e3),
    ("rms_norm", lambda: nn.RMSNorm(16), lambda: torch.nn.RMSNorm(16), (4, 16), 5e3, 2e3),
    ("group_norm", lambda: nn.GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4), (3, 4, 6, 5), 5e3, 2e3),
    ("batch_norm_1d", lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (64, 3), 5e3, 100.0),
    ("batch_norm_1d_3d", lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (16, 3, 8), 4e3, 100.0),
    ("batch_norm_2d", lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (8, 3, 4, 4), 5e3, 100.0),
]


def _randomize(torch_module: torch.nn.Module) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in torch_module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5 + 1.0)
    return torch_module


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", LOW_DTYPES)
@pytest.mark.parametrize("name,ours,theirs,shape,location,spread", NORMS, ids=[n[0] for n in NORMS])
def test_norms_compute_statistics_in_float32(backend, dtype, name, ours, theirs, shape, location, spread, training):
    skip_unless_has(backend, dtype)
    rng = np.random.default_rng(0)
    torch_module = _randomize(theirs())
    module = ours().to(backend)
    copy_torch_weights(module, torch_module)
    if not training:
        if not name.startswith("batch_norm"):
            pytest.skip("only BatchNorm differs between train and eval")
        # running statistics near the data, so eval-mode outputs are O(1)
        with torch.no_grad():
            torch_module.running_mean.copy_(torch.full((3,), location) + torch.arange(3.0))
            torch_module.running_var.copy_(torch.full((3,), spread * spread))
        copy_torch_weights(module, torch_module)
        module.eval()
        torch_module.eval()
    module.to(dtype=dtype)
    if dtype == "bfloat16":
        spread = min(spread, 100.0)  # bfloat16 has float32's range: its risk is a mean of 8 bits drowning the spread
    x = low_tensor(backend, location + spread * rng.standard_normal(shape), dtype, requires_grad=True)
    upstream = rng.standard_normal(shape).astype(np.float32)
    out = module(x)
    out.backward(low_tensor(backend, upstream, dtype))

    # the float32 computation on the same rounded values and the same rounded weights
    rounded = {k: torch.tensor(v.detach().to(dtype="float32").numpy()) for k, v in module.state_dict().items()
               if dtype_name(v.dtype) != "int64"}
    if training and name.startswith("batch_norm"):
        rounded = {k: v for k, v in rounded.items() if not k.startswith("running")}
    with torch.no_grad():
        for k, v in rounded.items():
            dict(torch_module.named_parameters()).get(k, dict(torch_module.named_buffers()).get(k)).copy_(v)
    xt = torch.tensor(host32(x), requires_grad=True)
    ref = torch_module(xt)
    ref.backward(torch.tensor(host32(low_tensor(backend, upstream, dtype))))

    assert dtype_name(out.dtype) == dtype and dtype_name(x.grad.dtype) == dtype
    assert_close_scaled(host32(out), ref.detach().numpy(), dtype, "forward")
    assert_close_scaled(host32(x.grad), xt.grad.numpy(), dtype, "input gradient")
    for (pname, p), (_, pt) in zip(module.named_parameters(), torch_module.named_parameters()):
        assert_close_scaled(host32(p.grad), pt.grad.numpy(), dtype, f"gradient of {pname}")
    if training and name.startswith("batch_norm"):
        for buffer in ("running_mean", "running_var"):
            ours_buffer = getattr(module, buffer)
            assert dtype_name(ours_buffer.dtype) == dtype
            assert_close_scaled(host32(ours_buffer), getattr(torch_module, buffer).numpy(), dtype, buffer)


def test_rms_norm_default_eps_is_float32s_for_float16(backend):
    """PyTorch's default eps is the machine epsilon of the type computed in (float32 for float16)."""
    skip_unless_has(backend, "float16")
    x = low_tensor(backend, np.full((2, 4), 1e-3), "float16")
    ref = TF.rms_norm(torch.tensor(host32(x)).half(), (4,))
    np.testing.assert_allclose(host32(nn.RMSNorm(4, backend=backend).to(dtype="float16")(x)),
                               ref.float().numpy(), rtol=1e-3)


# -- loss reductions accumulate in float32 ----------------------------------------------------------------
def _pattern(n: int, magnitude: float) -> np.ndarray:
    return magnitude * np.resize([1.0, -1.0, 0.5, -0.25], n)


REDUCED = [
    ("l1", lambda x, y: F.l1_loss(x, y), lambda x, y: TF.l1_loss(x, y), 1e4),
    ("mse", lambda x, y: F.mse_loss(x, y), lambda x, y: TF.mse_loss(x, y), 200.0),  # 4e4 each, 32 of them
    ("huber", lambda x, y: F.huber_loss(x, y), lambda x, y: TF.huber_loss(x, y), 1e4),
    ("smooth_l1", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), lambda x, y: TF.smooth_l1_loss(x, y, beta=0.5),
     1e4),
    ("bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y),
     lambda x, y: TF.binary_cross_entropy_with_logits(x, y), 1e4),
]


@pytest.mark.parametrize("dtype", LOW_DTYPES)
@pytest.mark.parametrize("name,ours,theirs,magnitude", REDUCED, ids=[r[0] for r in REDUCED])
def test_loss_means_of_many_large_low_precision_elements(backend, dtype, name, ours, theirs, magnitude):
    skip_unless_has(backend, dtype)
    x = low_tensor(backend, _pattern(64, magnitude), dtype, requires_grad=True)
    y = low_tensor(backend, np.resize([0.0, 1.0], 64) if name.startswith("bce") else -_pattern(64, magnitude) / 4,
                   dtype)
    loss = ours(x, y)
    loss.backward()
    xt = torch.tensor(host32(x), dtype=torch.float64, requires_grad=True)
    ref = theirs(xt, torch.tensor(host32(y), dtype=torch.float64))
    ref.backward()
    assert dtype_name(loss.dtype) == dtype
    assert_close_scaled(host32(loss), ref.detach().numpy(), dtype, "loss")
    assert_close_scaled(host32(x.grad), xt.grad.numpy(), dtype, "gradient")


@pytest.mark.parametrize("dtype", LOW_DTYPES)
def test_bce_and_class_losses_over_many_rows(backend, dtype):
    skip_unless_has(backend, dtype)
    # BCE: 1024 saturated predictions, 100 each (a float16 sum of them overflows, their mean is 100)
    p = low_tensor(backend, np.resize([0.0, 1.0], 1024), dtype, requires_grad=True)
    y = low_tensor(backend, np.resize([1.0, 0.0], 1024), dtype)
    loss = F.binary_cross_entropy(p, y)
    assert_close_scaled(host32(loss), np.array(100.0), dtype, "bce")
    # cross-entropy and NLL: 64 rows of loss 1e4
    logits = np.resize([[1e4, 0.0, -1e4]], (64, 3))
    labels = anynn.tensor(np.resize([1, 2], 64), backend=backend)
    for ours, theirs in ((F.cross_entropy, TF.cross_entropy), (F.nll_loss, TF.nll_loss)):
        x = low_tensor(backend, logits, dtype, requires_grad=True)
        out = ours(x, labels)
        out.backward()
        xt = torch.tensor(host32(x), dtype=torch.float64, requires_grad=True)
        ref = theirs(xt, torch.tensor(np.resize([1, 2], 64)))
        ref.backward()
        assert_close_scaled(host32(out), ref.detach().numpy(), dtype, ours.__name__)
        assert_close_scaled(host32(x.grad), xt.grad.numpy(), dtype, f"{ours.__name__} gradient")


def test_hardswish_at_the_float16_limit(backend):
    skip_unless_has(backend, "float16")
    x = low_tensor(backend, np.array([6e4, -6e4, 1.2e4, 2.0]), "float16", requires_grad=True)
    out = nn.Hardswish()(x)
    out.backward(low_tensor(backend, np.ones(4), "float16"))
    np.testing.assert_allclose(host32(out), [6e4, 0.0, 1.2e4, 2.0 * 5.0 / 6.0], rtol=1e-3)
    np.testing.assert_allclose(host32(x.grad), [1.0, 0.0, 1.0, 2.0 / 3.0 + 0.5], rtol=1e-3)


# multi-step elementwise formulas: PyTorch computes them in float32 and rounds once (anynn rounded each step to
# float16: sigmoid 791 of 2001 values an ulp or more off, leaky_relu 326, sinc 1626)
ROUNDED_ONCE = [
    lambda m, x: m.sigmoid(x), lambda m, x: m.nn.functional.silu(x), lambda m, x: m.nn.functional.gelu(x[60:]),
    lambda m, x: m.nn.functional.mish(x), lambda m, x: m.nn.functional.softplus(x),
    lambda m, x: m.nn.functional.logsigmoid(x), lambda m, x: m.nn.functional.selu(x),
    lambda m, x: m.nn.functional.hardswish(x), lambda m, x: m.nn.functional.hardsigmoid(x),
    lambda m, x: m.nn.functional.leaky_relu(x.clone(), 0.01, True), lambda m, x: m.deg2rad(x),
    lambda m, x: m.rad2deg(x), lambda m, x: m.sinc(x), lambda m, x: m.erfc(x),
    lambda m, x: m.rsqrt(x.abs()), lambda m, x: m.special.i1e(x),
    lambda m, x: m.special.gammainc(x.abs() * 8, x.abs() * 8 + 1),  # (a 256-term series: P(48, 49) was 0.38)
    lambda m, x: m.logaddexp2(x, x.flip(0) * 0.5),
    lambda m, x: x * 0.1, lambda m, x: x / 3.3, lambda m, x: 1e5 * x,  # (1e5 was float16's inf first: 0 * inf NaN)
    lambda m, x: x.addcmul(x, x.flip(0), value=0.3), lambda m, x: x.lerp(x.flip(0), 0.3),
    lambda m, x: x.add(x.flip(0), alpha=3.3), lambda m, x: x // 0.1,  # (alpha: rounded to float16 as PyTorch's)
    lambda m, x: x * x.new_tensor(0.1, dtype=m.float32), lambda m, x: x / x.new_tensor(1e-5, dtype=m.float64),
    # nn.Linear's product and bias summed in float32 (a float16 bias add put 1 in 4 outputs an ulp off)
    lambda m, x: m.nn.functional.linear(x[:240].reshape(60, 4), x[100:112].reshape(3, 4), x[50:53]).flatten(),
    lambda m, x: m.nn.functional.conv1d(x[:240].reshape(1, 4, 60), x[100:124].reshape(3, 4, 2), x[50:53]).flatten(),
]


def test_add_with_alpha_scales_in_the_result_dtype_as_torch(backend):
    """``float32.add(float16, alpha=3.3)`` scales the float16 operand in float32, as PyTorch (it was scaled and
    rounded in float16, then added: off by ~1e-3 relative)."""
    skip_unless_has(backend, "float16")
    values = np.linspace(-6, 6, 241).astype(np.float16)
    for call in (lambda m, x: x.float().add(x.flip(0), alpha=3.3), lambda m, x: x.float().sub_(x.flip(0), alpha=3.3)):
        want = call(torch, torch.tensor(values)).numpy()
        np.testing.assert_allclose(call(anynn, anynn.tensor(values, backend=backend)).numpy(), want, rtol=1e-6)


def test_multi_step_formulas_of_float16_round_once_as_torch(backend):
    skip_unless_has(backend, "float16")
    values = np.linspace(-6, 6, 241).astype(np.float16)
    for k, call in enumerate(ROUNDED_ONCE):  # (float32 formulas rounded twice may still differ by an ulp at a few)
        want = call(torch, torch.tensor(values)).numpy()
        ours = call(anynn, anynn.tensor(values, backend=backend)).numpy()
        assert np.mean((ours != want) & ~(np.isnan(ours) & np.isnan(want))) <= 0.05, f"ROUNDED_ONCE[{k}]"
