"""PyTorch's process-wide switches and small queries at the top of training scripts (`anynn.runtime`,
`anynn.layout`, `anynn.compiler`, `anynn.cpu`, ``anynn.xpu``/``anynn.mps``, ``anynn.default_generator``), each read
back and refused as PyTorch does."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import BackendUnavailable
from tests.helpers import make


@pytest.fixture
def restored():
    """Both libraries' switches as they were before the test."""
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.is_warn_always_enabled())
    yield
    for lib in (anynn, torch):
        lib.use_deterministic_algorithms(before[0], warn_only=before[1])
        lib.set_warn_always(before[2])
    anynn.set_default_device("cpu") if anynn.get_default_device().type != "cpu" else None
    anynn.set_default_backend("numpy")


def test_deterministic_switches_read_back_as_torch(restored):
    calls = [lambda lib: lib.use_deterministic_algorithms(True), lambda lib: lib.set_deterministic_debug_mode("warn"),
             lambda lib: lib.set_deterministic_debug_mode(0), lambda lib: lib.use_deterministic_algorithms(
                 True, warn_only=True), lambda lib: lib.set_deterministic_debug_mode(2),
             lambda lib: lib.set_deterministic_debug_mode("default")]
    for call in calls:
        seen = []
        for lib in (anynn, torch):
            call(lib)
            seen.append((lib.are_deterministic_algorithms_enabled(),
                         lib.is_deterministic_algorithms_warn_only_enabled(), lib.get_deterministic_debug_mode()))
        assert seen[0] == seen[1]
    for bad, error, message in ((3, RuntimeError, "expected 0, 1, or 2, but got 3"),
                                ("loud", RuntimeError, "expected one of `default`, `warn`, `error`, but got loud")):
        for lib in (anynn, torch):
            with pytest.raises(error, match=message):
                lib.set_deterministic_debug_mode(bad)
    for lib in (anynn, torch):
        with pytest.raises(TypeError, match="'mode'.*must be bool"):
            lib.use_deterministic_algorithms(1)


def test_threads_denormals_and_warnings_as_torch(restored):
    for lib in (anynn, torch):
        assert isinstance(lib.get_num_interop_threads(), int) and lib.get_num_interop_threads() >= 1
        lib.set_warn_always(True)
        assert lib.is_warn_always_enabled() is True
        lib.set_warn_always(False)
        assert lib.is_warn_always_enabled() is False
    anynn.set_num_interop_threads(3)
    assert anynn.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="must be positive"):
        anynn.set_num_interop_threads(0)
    assert anynn.set_flush_denormal(True) is False  # not supported: subnormals survive
    assert anynn.tensor([1e-310], dtype=anynn.float64).numpy()[0] == 1e-310
    anynn.set_flush_denormal(False)


def test_default_device_sets_the_default_backend(restored):
    assert anynn.get_default_device() == torch.get_default_device() == anynn.device("cpu")
    anynn.set_default_device("cpu")
    assert anynn.zeros(2).backend.name == "numpy"
    anynn.set_default_backend("torch")
    anynn.set_default_device("cpu")  # "cpu" keeps the library: PyTorch stays PyTorch
    assert anynn.zeros(2).backend.name == "torch" and anynn.get_default_device() == anynn.device("cpu")
    anynn.set_default_device(None)
    assert anynn.zeros(2).backend.name == "torch"
    anynn.set_default_backend("array_api_strict:device1")
    assert str(anynn.get_default_device()) == "device1"
    anynn.set_default_backend("numpy")
    if not anynn.cuda.is_available():
        with pytest.raises(BackendUnavailable, match="cuda"):
            anynn.set_default_device("cuda")
        assert anynn.zeros(2).backend.name == "numpy"  # unchanged


def test_a_device_as_a_context_is_the_default_inside_the_block(restored):
    """``with torch.device(d):`` (gpt-fast's setup_caches, HF's model construction): factories with no device make
    their tensors on ``d`` inside the block; the default before comes back on exit, also after an error."""
    with torch.device("cpu") as entered:
        assert torch.zeros(1).device == entered == torch.device("cpu")
    with anynn.device("cpu") as entered:
        assert anynn.zeros(1).backend.name == "numpy" and entered == anynn.device("cpu")
    elsewhere = anynn.zeros(1, backend="array_api_strict:device1").device
    with elsewhere:
        assert str(anynn.zeros(2).device) == "device1" and str(anynn.nn.Linear(2, 2).weight.device) == "device1"
        with anynn.device(anynn.zeros(1, backend="torch").device):
            assert anynn.zeros(1).backend.name == "torch"
        assert str(anynn.zeros(1).device) == "device1"
    assert anynn.zeros(1).backend.name == "numpy"
    with pytest.raises(ValueError, match="inside"):
        with elsewhere:
            raise ValueError("inside")
    assert anynn.zeros(1).backend.name == "numpy"


def test_a_device_block_in_one_thread_leaves_other_threads_defaults_alone():
    """``with torch.device(d):`` is per thread in PyTorch (its device context is thread-local): a thread building a
    model inside a block must not move the tensors that another thread makes meanwhile, and two blocks that overlap
    in time must each restore their own thread's default (the shared default was left on the first block's device).
    PyTorch's set_default_device is per thread too (thread c): it moved every thread's default."""
    import threading

    entered, leave, seen = threading.Barrier(4), threading.Barrier(4), {}

    def inside(name, spec):
        with anynn.device(anynn.zeros(1, backend=spec).device):
            entered.wait()
            seen[name] = anynn.zeros(1).backend.key
            leave.wait()
        seen[name + " after"] = anynn.zeros(1).backend.key

    def set_default(name, spec):
        anynn.set_default_device(anynn.zeros(1, backend=spec).device)
        entered.wait()
        seen[name] = anynn.zeros(1).backend.key
        leave.wait()
        anynn.set_default_device(None)
        seen[name + " after"] = anynn.zeros(1).backend.key

    threads = [threading.Thread(target=inside, args=("a", "torch")),
               threading.Thread(target=inside, args=("b", "array_api_strict:device1")),
               threading.Thread(target=set_default, args=("c", "torch"))]
    for t in threads:
        t.start()
    entered.wait()
    seen["main"] = anynn.zeros(1).backend.key
    leave.wait()
    for t in threads:
        t.join()
    assert seen == {"a": "torch", "b": "array_api_strict:device1", "c": "torch", "main": "numpy", "a after": "numpy",
                    "b after": "numpy", "c after": "numpy"}
    assert anynn.zeros(1).backend.key == "numpy"


def test_default_tensor_type_is_the_default_dtype():
    for lib in (anynn, torch):  # PyTorch warns once per process, anynn every time
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            lib.set_default_tensor_type(lib.FloatTensor)
            lib.set_default_tensor_type("torch.FloatTensor")
        assert lib.get_default_dtype() == lib.float32
        assert lib is torch or ["set_default_tensor_type() is deprecated" in str(w.message) for w in seen] == [True] * 2
    with pytest.warns(UserWarning):
        anynn.set_default_tensor_type(anynn.DoubleTensor)  # as anynn.set_default_dtype(float64)
    assert anynn.get_default_dtype() == anynn.float64 and anynn.zeros(1).dtype == anynn.float64
    anynn.set_default_dtype(anynn.float32)
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="only floating-point types"):
        anynn.set_default_tensor_type(anynn.LongTensor)
    with pytest.raises(TypeError):
        torch.set_default_tensor_type(torch.LongTensor)
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="expected a tensor type"):
        anynn.set_default_tensor_type(3)


def test_default_generator_is_the_one_manual_seed_reseeds():
    state = anynn.get_rng_state()
    try:
        for lib in (anynn, torch):
            assert lib.manual_seed(5) is lib.default_generator and lib.default_generator.initial_seed() == 5
            assert lib.manual_seed(-1).initial_seed() == 2**64 - 1
        anynn.default_generator.manual_seed(7)
        first = anynn.randn(3).numpy()
        saved = anynn.default_generator.get_state()
        second = anynn.randn(3).numpy()
        anynn.default_generator.set_state(saved)
        np.testing.assert_array_equal(anynn.randn(3).numpy(), second)
        anynn.manual_seed(7)
        np.testing.assert_array_equal(anynn.randn(3, generator=anynn.default_generator).numpy(), first)
        assert anynn.initial_seed() == 7
    finally:
        anynn.set_rng_state(state)


def test_anomaly_switch_as_torch():
    for lib in (anynn, torch):
        lib.set_anomaly_enabled(True)
        assert lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()  # the flag stays as given
        lib.set_anomaly_enabled(False, False)
        assert not lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False, True)
    anynn.set_anomaly_enabled(True)
    try:
        x = anynn.tensor([-1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="returned nan values"):
            (anynn.sqrt(x) * 0 + anynn.log(x)).backward()
    finally:
        anynn.set_anomaly_enabled(False)


def test_object_queries_match_torch(backend):
    x = make(backend, np.zeros((2, 3), np.float32))
    xt = torch.zeros(2, 3)
    assert anynn.typename(x) == torch.typename(xt) == "torch.FloatTensor"
    assert anynn.typename(x.long()) == torch.typename(xt.long())
    for obj in (3, "s", 1.5, [1], len, anynn.Tensor):
        expected = torch.typename(obj) if obj is not anynn.Tensor else "anynn.autograd.tensor.Tensor"
        assert anynn.typename(obj) == expected
    assert anynn.typename(anynn.nn.Linear(1, 1)).endswith(".Linear")
    assert anynn.is_storage(x) is torch.is_storage(xt) is False
    assert anynn.get_device(x) == (x.device.index or 0 if x.device.type == "cuda" else -1)
    assert torch.get_device(xt) == -1
    with anynn.inference_mode():
        made = anynn.zeros(2, backend=backend)
    assert anynn.is_inference(made) is True and anynn.is_inference(x) is False
    with pytest.raises(TypeError, match="must be Tensor"):
        anynn.is_inference(3)


def test_layouts_and_device_namespaces():
    assert repr(anynn.strided) == "anynn.strided" and isinstance(anynn.sparse_coo, anynn.layout)
    assert anynn.empty(2, layout=anynn.strided).shape == torch.empty(2, layout=torch.strided).shape
    with pytest.raises(NotImplementedError, match="layout=anynn.sparse_coo is not supported"):
        anynn.empty(2, layout=anynn.sparse_coo)
    assert anynn.cpu.is_available() is torch.cpu.is_available() is True
    assert anynn.cpu.device_count() == torch.cpu.device_count() and anynn.cpu.current_device() == "cpu"
    anynn.cpu.synchronize()
    with pytest.warns(FutureWarning, match="anynn.amp.autocast\\('cpu'"):
        region = anynn.cpu.amp.autocast()
    with region:
        assert anynn.is_autocast_enabled("cpu") and anynn.get_autocast_dtype("cpu") == anynn.bfloat16
    assert importlib.import_module("anynn.cpu.amp") is anynn.cpu.amp  # importable, as torch.cpu.amp
    for name in ("xpu", "mps"):
        assert getattr(anynn, name).is_available() is getattr(torch, name).is_available() is False
        assert getattr(anynn, name).device_count() == 0


def test_device_module_is_the_namespace_of_the_device():
    for name in ("cpu", "cuda", "xpu", "mps"):
        assert anynn.get_device_module(name) is getattr(anynn, name)
        assert torch.get_device_module(name) is getattr(torch, name)
    assert anynn.get_device_module() is anynn.cpu and anynn.get_device_module(anynn.device("cuda:1")) is anynn.cuda
    with pytest.raises(RuntimeError, match="does not have a corresponding module"):
        anynn.get_device_module("device1")


def test_compiler_disable_returns_the_function():
    def step(x):
        return x * 2

    assert anynn.compiler.disable(step) is step and anynn.compiler.disable(recursive=False)(step) is step
    assert anynn.compiler.disable(reason="prints")(step) is step
    assert anynn.compiler.is_compiling() is torch.compiler.is_compiling() is False
    anynn.compiler.reset()
    with pytest.raises(TypeError, match="expected a function"):
        anynn.compiler.disable(3)


def test_version_is_the_pytorch_release_it_follows_labelled_with_anynns_own():
    """``__version__`` is ``version.torch_api`` (the PyTorch release the tests compare with, the test extra's pin) with
    anynn's release as its local label: a port's gate on ``torch.__version__`` (``version.parse(torch.__version__) >=
    version.parse("2.0")``, lucidrains' flash-attention assert) took the older-PyTorch branch before ("0.1.0"), and
    it compares with strings and tuples as PyTorch's TorchVersion."""
    import re
    from pathlib import Path

    from anynn import version

    root = Path(__file__).parents[1]
    assert anynn.__version__ == version.__version__ == f"{version.torch_api}+anynn.{version.release}"
    assert re.search(rf'^version = "{re.escape(version.release)}"$', (root / "pyproject.toml").read_text(), re.M)
    pins = re.findall(r'"torch==([0-9.]+)"', (root / "pyproject.toml").read_text())
    assert pins and set(pins) == {version.torch_api}
    assert torch.__version__.split("+")[0] == version.torch_api
    ours = anynn.__version__
    for other in ("2.0", "1.10.0", "2.5", version.torch_api, "2.99", (2, 0), (1, 13), [3, 0], "2.0.0a0"):
        for op in ("__lt__", "__le__", "__gt__", "__ge__"):
            assert getattr(ours, op)(other) == getattr(torch.__version__, op)(other), (op, other)
    assert ours != version.torch_api and ours.split(".")[0] == torch.__version__.split(".")[0]
