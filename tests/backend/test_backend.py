"""Backends: names, namespaces, availability messages, mismatches, and fast paths against fallbacks."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import types

import array_api_strict
import numpy as np
import pytest
import torch

import anynn
from anynn.backend import (Backend, BackendMismatch, BackendUnavailable, backend_of, choose_auto, get_backend, op,
                           portable, registry, use_fast_paths)
from anynn.backend.cupy_backend import probe_cupy
from anynn.backend.portable import scatter as portable_scatter

CPU_NAMES = ["numpy", "torch", "array_api_strict", "array_api_strict:device1"]


def _cuda_works() -> bool:
    return probe_cupy()[0]


# -- names, namespaces, caching -----------------------------------------------------------------
@pytest.mark.parametrize("name", CPU_NAMES)
def test_get_backend_by_name(name):
    be = get_backend(name)
    assert isinstance(be, Backend)
    assert be.key == name
    assert be.name == name.split(":")[0]
    assert get_backend(name) is be, "backends are cached"
    assert get_backend(be) is be
    x = be.xp.ones((2, 3), dtype=be.float32, device=be.device)
    assert be.is_native(x)
    assert backend_of(x) == be
    np.testing.assert_array_equal(be.to_host(x), np.ones((2, 3), np.float32))


def test_auto_falls_back_to_numpy_without_a_gpu():
    if _cuda_works():
        pytest.skip("a CUDA device works here: auto picks CuPy")
    chosen, reason = choose_auto()
    assert chosen == "numpy"
    assert "CPU" in reason
    assert get_backend("auto") is get_backend("numpy")


def test_auto_prefers_cupy_when_a_device_works(monkeypatch):
    import anynn.backend.cupy_backend as cupy_backend

    monkeypatch.setattr(cupy_backend, "probe_cupy", lambda: (True, "CuPy 14.0.0 with 1 CUDA device(s)"))
    assert choose_auto()[0] == "cupy"


@pytest.mark.parametrize("namespace, expected", [
    (np, "numpy"), (torch, "torch"), (array_api_strict, "array_api_strict"),
    ("array_api_compat.numpy", "numpy"), ("array_api_compat.torch", "torch"),
])
def test_get_backend_from_namespace(namespace, expected):
    if isinstance(namespace, str):
        import importlib

        namespace = importlib.import_module(namespace)
    assert get_backend(namespace) is get_backend(expected)


def test_strict_device1_is_a_separate_device():
    cpu, dev1 = get_backend("array_api_strict"), get_backend("array_api_strict:device1")
    assert cpu != dev1
    assert get_backend("array_api_strict", device="device1") is dev1
    x = dev1.from_host(np.arange(3.0))
    assert x.device == array_api_strict.Device("device1")
    assert backend_of(x) is dev1
    np.testing.assert_array_equal(dev1.to_host(x), np.arange(3.0))


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="unknown backend 'mxnet'.*numpy.*torch.*array_api_strict.*jax"):
        get_backend("mxnet")
    for lib in (torch, anynn):  # an unknown device string: PyTorch's RuntimeError (and still a ValueError here)
        with pytest.raises(RuntimeError, match="foo"):
            lib.zeros(2, device="foo")
        with pytest.raises(RuntimeError, match="foo"):
            lib.nn.Linear(2, 2).to("foo")
        for spec in ("foo", "cuda:x", ("cpu", -1)):  # refused when the device is made, not when used
            with pytest.raises(RuntimeError):
                lib.device(*(spec if isinstance(spec, tuple) else (spec,)))
    with pytest.raises(ValueError, match="not an array namespace anynn has a backend for"):
        get_backend(math)
    fake = types.ModuleType("mylib.numpy")  # a namespace named like another library's numpy is not NumPy
    with pytest.raises(ValueError, match="mylib.numpy"):
        get_backend(fake)
    with pytest.raises(BackendUnavailable, match="only the 'cpu' device"):
        get_backend("numpy:gpu")


# -- cupy availability messages -----------------------------------------------------------------
def _fake_cupy(version: str, device_count: int | None) -> types.ModuleType:
    """A stand-in ``cupy`` module: ``device_count=None`` makes the CUDA runtime fail."""

    def get_device_count() -> int:
        if device_count is None:
            raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")
        return device_count

    module = types.ModuleType("cupy")
    module.__version__ = version
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return module


@pytest.mark.parametrize("fake, why", [
    (None, "not installed.*pip install"),
    (_fake_cupy("13.3.0", 1), r"13\.3\.0 is too old.*>= 14"),
    (_fake_cupy("14.0.1", 0), "no CUDA device"),
    (_fake_cupy("14.0.1", None), "CUDA is not usable.*insufficient"),
])
def test_cupy_unavailable_says_why_and_what_instead(monkeypatch, fake, why):
    monkeypatch.setitem(sys.modules, "cupy", fake)  # None makes ``import cupy`` raise ImportError
    monkeypatch.setattr(registry, "_cache", {})  # where a GPU works, a real CuPy backend is cached already
    usable, reason = probe_cupy()
    assert not usable
    assert re.search(why, reason), reason
    with pytest.raises(BackendUnavailable, match=why) as info:
        get_backend("cupy")
    message = str(info.value)
    assert "backend='numpy'" in message and "backend='auto'" in message
    assert choose_auto() == ("numpy", f"NumPy on the CPU, because {reason}")


@pytest.mark.parametrize("name, module, hint", [
    ("torch", "torch", r"pip install 'anynn\[torch\]'"), ("jax", "jax", r"pip install 'anynn\[jax\]'"),
    ("array_api_strict", "array_api_strict", "pip install array-api-strict "),  # (the whole test extra before)
])
def test_a_missing_library_names_what_to_install(monkeypatch, name, module, hint):
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setattr(registry, "_cache", {})
    with pytest.raises(BackendUnavailable, match=hint):
        get_backend(name)


def test_cupy_without_gpu_raises_here():
    if _cuda_works():
        pytest.skip("a CUDA device works here")
    with pytest.raises(BackendUnavailable, match="cupy"):
        get_backend("cupy")


# -- mixing backends ----------------------------------------------------------------------------
@pytest.mark.parametrize("first, second", [
    ("numpy", "torch"), ("torch", "array_api_strict"), ("array_api_strict", "array_api_strict:device1"),
])
def test_mixing_backends_raises_naming_both(first, second):
    a = anynn.tensor([1.0, 2.0], backend=first, requires_grad=True)
    b = anynn.tensor([3.0, 4.0], backend=second)
    for combine in (lambda: a + b, lambda: b * a, lambda: a @ b):
        with pytest.raises(BackendMismatch) as info:
            combine()
        assert repr(first) in str(info.value) and repr(second) in str(info.value)


def test_mixing_a_tensor_with_a_foreign_native_array_raises():
    a = anynn.tensor([1.0, 2.0], backend="numpy")
    with pytest.raises(BackendMismatch, match="'numpy'.*torch.Tensor"):
        a + torch.ones(2)
    t = anynn.tensor([1.0, 2.0], backend="torch")
    with pytest.raises(BackendMismatch, match="'torch'.*numpy.ndarray"):
        t * np.ones(2, np.float32)


# -- fast paths against their portable fallbacks ------------------------------------------------
ERF_POINTS = np.concatenate([
    np.linspace(-7.0, 7.0, 1401),
    np.geomspace(1e-300, 1e-3, 50), -np.geomspace(1e-300, 1e-3, 50),
    [0.0, 0.4999999999, 0.5, 0.5000000001, 3.9999999999, 4.0, 4.0000000001, 5.9, 6.1, 10.0, 26.5, 27.3, 1e10,
     -1e10, np.inf, -np.inf],
])


@pytest.mark.parametrize("name", ["numpy", "torch", "array_api_strict", "array_api_strict:device1"])
def test_portable_erf_matches_math_erf(name):
    be = get_backend(name)
    got = be.to_host(portable.erf(be.xp, be.from_host(ERF_POINTS)))
    expected = np.array([math.erf(v) for v in ERF_POINTS])
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-300)
    assert np.all(np.sign(got) == np.sign(expected))


def test_portable_erf_keeps_float32():
    be = get_backend("array_api_strict")
    x = be.from_host(np.linspace(-5, 5, 101, dtype=np.float32))
    out = portable.erf(be.xp, x)
    assert out.dtype == be.xp.float32
    np.testing.assert_allclose(be.to_host(out), [math.erf(v) for v in np.linspace(-5, 5, 101)], rtol=1e-6,
                               atol=1e-7)



@pytest.mark.parametrize("name, low", [("numpy", "float16"), ("torch", "float16"), ("torch", "bfloat16")])
def test_portable_erf_of_half_precision_is_finite_and_keeps_its_dtype(name, low):
    """Cody's rational form overflows float16 (its numerator reaches ~1e3 * a**8): the fallback computes in
    float32 and rounds back, as PyTorch's CPU kernels do for half inputs (GELU gave nan on numpy-portable)."""
    be = get_backend(name)
    x = be.xp.astype(be.from_host(np.linspace(-6, 6, 97, dtype=np.float32)), be.dtype(low))
    out = portable.erf(be.xp, x)
    assert out.dtype == be.dtype(low)
    expected = torch.erf(torch.linspace(-6, 6, 97).to(getattr(torch, low))).float().numpy()
    np.testing.assert_allclose(be.to_host(be.xp.astype(out, be.xp.float32)), expected, rtol=0, atol=1e-2)

def _op_result(backend, name, fast, *args, **kwargs):
    use_fast_paths(fast)
    try:
        return backend.to_host(op(backend, name)(*args, **kwargs))
    finally:
        use_fast_paths(True)


@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_fast_erf_agrees_with_portable(name):
    be = get_backend(name)
    assert be.fast_path("erf") is not None
    x = be.from_host(ERF_POINTS[np.isfinite(ERF_POINTS)])
    np.testing.assert_allclose(_op_result(be, "erf", True, x), _op_result(be, "erf", False, x), rtol=1e-14,
                               atol=1e-300)


def test_scatter_add_accumulates_duplicates(backend, rng, monkeypatch):
    index = np.array([0, 3, 3, 1, 0, 3, 4], dtype=np.int64)
    values = rng.standard_normal((7, 2, 3))
    expected = np.zeros((6, 2, 3))
    np.add.at(expected, index, values)
    args = (backend.from_host(index), backend.from_host(values), 6)
    fast = _op_result(backend, "scatter_add", True, *args)
    slow = _op_result(backend, "scatter_add", False, *args)
    np.testing.assert_allclose(fast, expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(slow, expected, rtol=1e-14, atol=1e-15)
    assert not np.any(expected[[2, 5]]), "rows never indexed stay zero"
    assert backend.is_native(op(backend, "scatter_add")(*args))
    # the portable one-hot in blocks of 2 of the 7 entries (a (7, 6) one-hot is over the patched budget of 12)
    monkeypatch.setattr(portable_scatter, "ONE_HOT_ELEMENTS", 12)
    blocked = _op_result(backend, "scatter_add", False, args[0], backend.from_host(values[:, 0, 0]), 6)
    np.testing.assert_allclose(blocked, expected[:, 0, 0], rtol=1e-14, atol=1e-15)


def test_scatter_add_of_no_rows_is_zeros(backend):
    # an empty lookup (Embedding(max_norm=...) or its backward on no indices): -1 cannot be inferred from 0 rows
    args = (backend.from_host(np.zeros(0, np.int64)), backend.from_host(np.zeros((0, 2, 3))), 4)
    for fast in (True, False):
        np.testing.assert_array_equal(_op_result(backend, "scatter_add", fast, *args), np.zeros((4, 2, 3)))


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["float64", "int32", "uint8"])
def test_scatter_reduce_rows_fast_and_portable(backend, rng, reduce, dtype):
    index = np.array([0, 3, 3, 1, 0, 3, 4], dtype=np.int64)
    values = (rng.standard_normal((7, 2)) * 3).astype(dtype) if dtype == "float64" else rng.integers(0, 5, (7, 2))
    values = values.astype(dtype)
    if dtype == "float64":
        values[1, 0] = np.nan  # NaN propagates, as in PyTorch's amax/amin
    info = np.finfo(dtype) if dtype == "float64" else np.iinfo(dtype)
    identity = {"prod": 1, "amax": -np.inf if dtype == "float64" else info.min,
                "amin": np.inf if dtype == "float64" else info.max}[reduce]
    expected = np.full((6, 2), identity, dtype=dtype)
    {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce].at(expected, index, values)
    args = (backend.from_host(index), backend.from_host(values), 6, reduce)
    for fast in (True, False):
        out = _op_result(backend, "scatter_reduce", fast, *args)
        assert out.dtype == expected.dtype, (fast, out.dtype)
        np.testing.assert_allclose(out, expected, rtol=1e-14, err_msg=f"fast path {fast}")


@pytest.mark.parametrize("window_shape, axis", [((3,), (1,)), ((2, 3), (1, 2)), ((2, 2), (2, 3)), ((3,), (-1,))])
def test_sliding_window_view_matches_numpy(backend, window_shape, axis):
    x = np.arange(2 * 4 * 5 * 6, dtype=np.float64).reshape(2, 4, 5, 6)
    expected = np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)
    args = (backend.from_host(x), window_shape, axis)
    np.testing.assert_array_equal(_op_result(backend, "sliding_window_view", True, *args), expected)
    np.testing.assert_array_equal(_op_result(backend, "sliding_window_view", False, *args), expected)


def test_fast_paths_switch_off():
    be = get_backend("numpy")
    use_fast_paths(False)
    try:
        assert op(be, "scatter_add") is not be.fast_path("scatter_add")
    finally:
        use_fast_paths(True)
    assert op(be, "scatter_add") is be.fast_path("scatter_add")
    assert get_backend("array_api_strict").fast_path("scatter_add") is None


# -- RNG ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CPU_NAMES)
def test_rng_is_seeded_and_on_device(name):
    be = get_backend(name)
    a = be.rng(7).uniform((4, 3), be.float32)
    b = be.rng(7).uniform((4, 3), be.float32)
    assert be.is_native(a) and a.dtype == be.float32
    np.testing.assert_array_equal(be.to_host(a), be.to_host(b))
    host = be.to_host(a)
    assert np.all((host >= 0) & (host < 1))
    perm = be.to_host(be.rng(1).permutation(10))
    assert sorted(perm.tolist()) == list(range(10))


# -- the CLI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["anynn.cli", "anynn"])  # python -m anynn: the package's __main__
def test_cli_info_reports_the_auto_choice(module):
    result = subprocess.run([sys.executable, "-m", module, "info"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "anynn " in out and "numpy" in out and "backends:" in out
    assert "array_api_strict" in out and "available" in out
    expected = "cupy" if _cuda_works() else "numpy"
    assert f"auto -> {expected}" in out
    if expected == "numpy":
        assert "cupy" in out and "unavailable" in out


def test_cli_without_command_prints_help(capsys):
    from anynn.cli import main

    assert main([]) == 1
    assert "info" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:  # `anynn --version` (argparse's "unrecognized arguments" before)
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith(f"anynn {anynn.version.release} ")


def test_cli_info_into_a_closed_pipe_ends_without_a_traceback(monkeypatch, tmp_path):
    """``anynn info | head -3``: the reader closes the pipe early (BrokenPipeError and a traceback before)."""
    from anynn import cli

    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        flush = write

        def fileno(self):
            return descriptor

    descriptor = os.open(tmp_path / "stdout", os.O_WRONLY | os.O_CREAT)
    monkeypatch.setattr(cli, "info", lambda: "anynn 0.1.0")
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    try:
        assert cli.main(["info"]) == 1
    finally:
        os.close(descriptor)


@pytest.mark.parametrize("name", CPU_NAMES)
def test_zero_dimensional_arrays_keep_their_shape(name):
    be = get_backend(name)
    x = be.from_host(np.array(2.5))
    assert tuple(x.shape) == ()
    assert be.to_host(x).shape == () and float(be.to_host(x)) == 2.5
    t = anynn.tensor(2.5, backend=name)
    for other in CPU_NAMES:
        moved = t.to(other)
        assert moved.shape == () and moved.item() == 2.5


def test_host_bfloat16_arrays_of_ml_dtypes_move_to_torch_bit_exactly():
    # once JAX is imported, safetensors hands out ml_dtypes' bfloat16 arrays, which torch.from_numpy refuses
    ml_dtypes = pytest.importorskip("ml_dtypes")
    torch = pytest.importorskip("torch")
    host = np.array([1.5, -2.25, 3e38, 0.0], dtype=ml_dtypes.bfloat16)
    moved = get_backend("torch").from_host(host)
    assert moved.dtype == torch.bfloat16
    np.testing.assert_array_equal(moved.view(torch.uint16).numpy(), host.view(np.uint16))


def test_mixing_backends_is_pytorchs_runtime_error_for_two_devices():
    # PyTorch raises RuntimeError "Expected all tensors to be on the same device" (cuda:0 and cpu); BackendMismatch
    # was a ValueError only, so `except RuntimeError` written for PyTorch missed it
    a, b = anynn.ones(2, backend="numpy"), anynn.ones(2, backend="torch")
    for call in (lambda: a + b, lambda: anynn.nn.Linear(2, 2, backend="torch")(a), lambda: anynn.cat([a, b])):
        with pytest.raises(RuntimeError, match="backend"):
            call()
