"""anynn.accelerator answers torch.accelerator's questions for the default backend (as anynn.cuda does)."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import types

import pytest

import anynn

torch = pytest.importorskip("torch")


def test_names_are_torch_accelerators() -> None:
    for name in anynn.accelerator.__all__:
        assert hasattr(torch.accelerator, name), name


@pytest.mark.parametrize("backend", ["numpy", "torch", "array_api_strict"])
def test_answers_follow_cuda(backend: str) -> None:
    anynn.set_default_backend(backend)
    try:
        available = anynn.cuda.is_available()
        assert anynn.accelerator.is_available() is available
        current = anynn.accelerator.current_accelerator()
        if available:
            assert current == anynn.device("cuda") and current.type == "cuda"
            assert anynn.accelerator.device_count() == anynn.cuda.device_count() >= 1
            assert anynn.accelerator.current_device_index() == 0
            anynn.accelerator.synchronize()
        else:
            assert current is None
            assert anynn.accelerator.device_count() == 0
            for ask in (anynn.accelerator.current_device_index, anynn.accelerator.synchronize):
                with pytest.raises(RuntimeError):  # as PyTorch: 'Cannot access accelerator device when none is ...'
                    ask()
        anynn.accelerator.empty_cache()
    finally:
        anynn.set_default_backend("numpy")


def test_the_examples_device_idiom_runs() -> None:
    """pytorch/examples pick their device so; after ``import anynn as torch`` it gives a usable device."""
    device = (anynn.accelerator.current_accelerator() if anynn.accelerator.is_available()
              else anynn.device("cpu"))
    model = anynn.nn.Linear(2, 3).to(device)
    assert model(anynn.ones(4, 2).to(device)).shape == (4, 3)


def test_current_accelerator_signature_matches() -> None:
    assert list(inspect.signature(anynn.accelerator.current_accelerator).parameters) == \
        list(inspect.signature(torch.accelerator.current_accelerator).parameters)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_memory_figures_and_device_name_as_torch_without_a_gpu(backend: str) -> None:
    """Programs log torch.cuda.memory_allocated() and friends; without a GPU they answer as PyTorch's CPU build
    (0, an empty dict, version.cuda None), and the device's name / another device are refused by name; a stream
    block of None runs, a Stream or Event is refused."""
    if anynn.cuda.is_available() or torch.cuda.is_available():
        pytest.skip("checks the answers without a GPU")
    anynn.set_default_backend(backend)
    try:
        for name in ("memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"):
            assert getattr(anynn.cuda, name)() == getattr(torch.cuda, name)() == 0, name
            assert getattr(anynn.cuda, name)(0) == 0, name
        assert anynn.cuda.memory_stats() == dict(torch.cuda.memory_stats()) == {}
        # (the CUDA toolkit the library was built for: None for NumPy and PyTorch's CPU build, a CUDA build's own)
        assert anynn.version.cuda == (torch.version.cuda if backend == "torch" else None)
        anynn.cuda.reset_peak_memory_stats()
        anynn.cuda.set_device(-1)  # a negative index: nothing, as PyTorch's
        with pytest.raises(RuntimeError, match=r"get_device_name: no CUDA device is usable for the default backend"):
            anynn.cuda.get_device_name(0)
        with pytest.raises(RuntimeError, match=r"get_device_capability: no CUDA device is usable for the default"):
            anynn.cuda.get_device_capability()  # the torch-function-modes recipe's first line (AttributeError before)
        with pytest.raises(RuntimeError, match=r"set_device\(0\): no CUDA device 0"):
            anynn.accelerator.set_device_index(0)
        with anynn.accelerator.device_index(None):
            pass
        for lib in (anynn, torch):  # streams and events (AttributeError before), as PyTorch's CPU build answers
            with lib.cuda.stream(None), lib.cuda.StreamContext(None):  # the `stream if cuda else None` idiom
                lib.cuda.set_stream(None)
            with pytest.raises(RuntimeError, match="torch.cuda.Stream requires CUDA support"):
                lib.cuda.Stream()
            with pytest.raises(RuntimeError):
                lib.cuda.Event(enable_timing=True)
            with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
                lib.cuda.current_stream()
    finally:
        anynn.set_default_backend("numpy")


CUDA_CALLS = {  # asked without a GPU, PyTorch's CPU build raises AssertionError ('Torch not compiled with CUDA
    # enabled') or RuntimeError; anynn raised BackendUnavailable (a RuntimeError) or returned 0 / None before
    ".cuda()": lambda lib: lib.zeros(3).cuda(),
    "Module.cuda()": lambda lib: lib.nn.Linear(2, 3).cuda(),
    "zeros(device='cuda')": lambda lib: lib.zeros(3, device="cuda"),
    ".to('cuda:0')": lambda lib: lib.ones(2).to("cuda:0"),
    "cuda.current_device()": lambda lib: lib.cuda.current_device(),
    "cuda.synchronize()": lambda lib: lib.cuda.synchronize(),
    "cuda.init()": lambda lib: lib.cuda.init(),
    "cuda.get_device_name(0)": lambda lib: lib.cuda.get_device_name(0),
    "cuda.get_device_capability()": lambda lib: lib.cuda.get_device_capability(),
    "cuda.get_device_properties(0)": lambda lib: lib.cuda.get_device_properties(0),
    "cuda.current_stream()": lambda lib: lib.cuda.current_stream(),
    "cuda.CUDAGraph()": lambda lib: lib.cuda.CUDAGraph(),
    "cuda.make_graphed_callables": lambda lib: lib.cuda.make_graphed_callables(lib.nn.Linear(2, 2), (lib.ones(1, 2),)),
    "with cuda.device(0)": lambda lib: lib.cuda.device(0).__enter__(),
    # (AttributeError before: anynn.cuda had no such names; a CUDA Generator and pinned factories were accepted)
    "cuda.get_rng_state()": lambda lib: lib.cuda.get_rng_state(),
    "cuda.random.get_rng_state()": lambda lib: lib.cuda.random.get_rng_state(),
    "cuda.initial_seed()": lambda lib: lib.cuda.initial_seed(),
    "cuda.mem_get_info()": lambda lib: lib.cuda.mem_get_info(),
    "cuda.ipc_collect()": lambda lib: lib.cuda.ipc_collect(),
    "cuda.FloatTensor(2)": lambda lib: lib.cuda.FloatTensor(2),
    "cuda.LongTensor([1])": lambda lib: lib.cuda.LongTensor([1]),
    ".type(cuda.FloatTensor)": lambda lib: lib.zeros(2).type(lib.cuda.FloatTensor),
    "Module.type(cuda.FloatTensor)": lambda lib: lib.nn.Linear(2, 2).type(lib.cuda.FloatTensor),
    "Generator(device='cuda')": lambda lib: lib.Generator(device="cuda"),
    "empty(pin_memory=True)": lambda lib: lib.empty(2, pin_memory=True),
    "zeros(pin_memory=True)": lambda lib: lib.zeros(2, pin_memory=True),
    "tensor(pin_memory=True)": lambda lib: lib.tensor([1.0], pin_memory=True),
    "zeros_like(pin_memory=True)": lambda lib: lib.zeros_like(lib.ones(2), pin_memory=True),
    "new_full(pin_memory=True)": lambda lib: lib.ones(2).new_full((2,), 1.0, pin_memory=True),
    # an integer device is the accelerator's index (DDP scripts' model.to(rank)): ValueError/TypeError before
    ".to(0)": lambda lib: lib.ones(2).to(0),
    "Module.to(rank)": lambda lib: lib.nn.Linear(2, 2).to(0),
    "ones(device=0)": lambda lib: lib.ones(2, device=0),
    "device(0)": lambda lib: lib.device(0),
    # the driver's figures through nvidia-ml-py (PyTorch's ModuleNotFoundError without it; AttributeError before)
    "cuda.utilization()": lambda lib: lib.cuda.utilization(),
    "cuda.memory_usage()": lambda lib: lib.cuda.memory_usage(),
    "cuda.temperature()": lambda lib: lib.cuda.temperature(),
    "cuda.power_draw()": lambda lib: lib.cuda.power_draw(),
    "cuda.clock_rate()": lambda lib: lib.cuda.clock_rate(),
    "cuda.set_per_process_memory_fraction(0.5)": lambda lib: lib.cuda.set_per_process_memory_fraction(0.5),
    "cuda.get_per_process_memory_fraction()": lambda lib: lib.cuda.get_per_process_memory_fraction(),
    "cuda.is_current_stream_capturing()": lambda lib: lib.cuda.is_current_stream_capturing(),
}


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_cuda_without_a_gpu_raises_pytorchs_class(backend: str) -> None:
    if anynn.cuda.is_available() or torch.version.cuda is not None:
        pytest.skip("compares with PyTorch's CPU build, without a GPU")
    anynn.set_default_backend(backend)
    try:
        for name, call in CUDA_CALLS.items():
            with pytest.raises(Exception) as theirs:
                call(torch)
            with pytest.raises(Exception) as ours:
                call(anynn)
            assert isinstance(ours.value, type(theirs.value)), (name, ours.value, theirs.value)
        assert anynn.cuda.is_initialized() is torch.cuda.is_initialized() is False
        with anynn.cuda.device(-1), anynn.cuda.device_of(anynn.ones(1)):  # no device to switch to: nothing, as torch
            pass
        # what PyTorch's CPU build answers: no states, setters and reseeding do nothing, old names of the figures
        assert anynn.cuda.get_rng_state_all() == torch.cuda.get_rng_state_all() == []
        for lib in (anynn, torch):
            lib.cuda.set_rng_state_all([]), lib.cuda.seed(), lib.cuda.seed_all(), lib.cuda.random.seed()
            lib.cuda.set_rng_state(lib.get_rng_state())
            assert lib.zeros(2, pin_memory=False).tolist() == [0.0, 0.0]
            assert lib.cuda.memory_stats_as_nested_dict() == {} and lib.cuda.has_half and not lib.cuda.has_magma
            assert lib.cuda.is_tf32_supported() is False
            assert lib.cuda.get_arch_list() == [] and lib.cuda.get_gencode_flags() == ""  # (AttributeError before)
            assert lib.cuda.host_memory_stats() == {} and lib.cuda.memory.memory_allocated() == 0
            with pytest.warns(FutureWarning, match="renamed to `torch.cuda.memory_reserved`"):
                assert lib.cuda.memory_cached() == 0
        assert anynn.cuda.list_gpu_processes() == torch.cuda.list_gpu_processes()
        anynn.cuda.reset_max_memory_cached()
        assert "no CUDA device is usable" in anynn.cuda.memory_summary()  # (PyTorch's CPU build: a KeyError)
        assert anynn.GradScaler is anynn.amp.GradScaler
    finally:
        anynn.set_default_backend("numpy")


def test_driver_figures_read_nvml_for_the_visible_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.cuda.utilization / temperature / power_draw / clock_rate / memory_usage / list_gpu_processes read NVML
    through nvidia-ml-py for the device CUDA_VISIBLE_DEVICES makes "cuda:k" (an index or a UUID); here a stand-in
    pynvml answers, as a driver would."""
    asked = []

    def handle(kind):
        return lambda name: asked.append((kind, name)) or name

    class NVMLError(Exception):
        pass

    nvml = types.SimpleNamespace(
        NVMLError=NVMLError, NVMLError_DriverNotLoaded=type("NVMLError_DriverNotLoaded", (NVMLError,), {}),
        nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=handle("index"), nvmlDeviceGetHandleByUUID=handle("uuid"),
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=87, memory=40),
        nvmlDeviceGetTemperature=lambda h, sensor: 61, nvmlDeviceGetPowerUsage=lambda h: 250123,
        nvmlDeviceGetClockInfo=lambda h, clock: 1980,
        nvmlDeviceGetComputeRunningProcesses=lambda h: [types.SimpleNamespace(pid=42, usedGpuMemory=3 * 2**20)])
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,GPU-8f2e,-1,0")
    figures = (anynn.cuda.utilization(), anynn.cuda.memory_usage(), anynn.cuda.temperature(),
               anynn.cuda.power_draw(), anynn.cuda.clock_rate("cuda:1"))
    assert figures == (87, 40, 61, 250123, 1980)
    assert asked == [("index", 3)] * 4 + [("uuid", "GPU-8f2e")]
    assert anynn.cuda.list_gpu_processes(anynn.device("cuda:0")).splitlines() == [
        "GPU:0", "process         42 uses        3.000 MB GPU memory"]
    with pytest.raises(RuntimeError, match=r"device 2 is not visible \(CUDA_VISIBLE_DEVICES=3,GPU-8f2e,-1,0\)"):
        anynn.cuda.temperature(2)  # CUDA stops reading the list at its first invalid entry

    def no_driver():
        raise nvml.NVMLError_DriverNotLoaded()

    nvml.nvmlInit = no_driver
    with pytest.raises(RuntimeError, match="cuda driver can't be loaded"):
        anynn.cuda.utilization()
    assert anynn.cuda.list_gpu_processes() == "cuda driver can't be loaded, is cuda enabled?"


@pytest.mark.parametrize("backend", ["cupy", "torch"])
def test_cuda_names_answer_with_a_gpu(backend: str) -> None:
    """Where a GPU works (the cupy subset benchmarks/gpu_check.py runs), what a CPU machine refuses answers: the
    driver's memory figures, the RNG state (the host one, device draws being seeded from it), legacy CUDA types,
    pinned factories and CUDA generators."""
    anynn.set_default_backend("numpy" if backend == "cupy" else "torch")
    try:
        if not anynn.cuda.is_available():
            pytest.skip(f"needs a CUDA device usable from {backend}")
        free, total = anynn.cuda.mem_get_info()
        assert 0 < free <= total == anynn.cuda.get_device_properties(0).total_memory
        state = anynn.cuda.get_rng_state()
        drawn = anynn.randn(3).tolist()
        anynn.cuda.set_rng_state(state)
        assert anynn.randn(3).tolist() == drawn and len(anynn.cuda.get_rng_state_all()) == anynn.cuda.device_count()
        assert anynn.cuda.initial_seed() == anynn.random.initial_seed()
        t = anynn.cuda.FloatTensor(2)
        assert t.is_cuda and isinstance(t, anynn.cuda.FloatTensor) and not isinstance(t, anynn.FloatTensor)
        assert anynn.nn.Linear(2, 2).type(anynn.cuda.DoubleTensor).weight.is_cuda
        assert anynn.zeros(2, pin_memory=True).tolist() == [0.0, 0.0]
        assert anynn.Generator(device="cuda").device.type == "cuda"
        assert anynn.device(0) == anynn.device("cuda:0") and anynn.ones(2).to(0).is_cuda  # model.to(rank)
        assert anynn.nn.Linear(2, 2).to(0).weight.is_cuda and anynn.ones(2, device=0).is_cuda
        anynn.cuda.ipc_collect()
        assert "MiB" in anynn.cuda.memory_summary()
        anynn.cuda.set_per_process_memory_fraction(0.5)
        assert anynn.cuda.get_per_process_memory_fraction() == 0.5
        anynn.cuda.set_per_process_memory_fraction(1.0)
        assert any(arch.startswith("sm_") for arch in anynn.cuda.get_arch_list())
        assert anynn.cuda.is_current_stream_capturing() is False
        if "pynvml" in sys.modules or importlib.util.find_spec("pynvml") is not None:
            assert 0 <= anynn.cuda.utilization() <= 100 and anynn.cuda.temperature() > 0
    finally:
        anynn.set_default_backend("numpy")


@pytest.mark.parametrize("actual, expected, dtype", [
    ([1.0, 2.0], [1.00005, 2.0], "float32"),   # inside assert_allclose's float32 rtol 1e-4, outside assert_close's
    ([1.0, 2.0], [1.001, 2.0], "float32"),     # outside
    ([1.0, float("nan")], [1.0, float("nan")], "float64"),  # NaN equal by default
    ([1, 2], [1, 3], "int64"),                 # integers exactly
])
def test_assert_allclose_as_torch(actual: list, expected: list, dtype: str) -> None:
    """torch.testing.assert_allclose (deprecated, still in older programs): its tolerances, NaN rule and warning."""
    outcomes = []
    for lib in (anynn, torch):
        with pytest.warns(FutureWarning):
            try:
                lib.testing.assert_allclose(lib.tensor(actual, dtype=getattr(lib, dtype)), expected)
                outcomes.append(True)
            except AssertionError:
                outcomes.append(False)
    assert outcomes[0] == outcomes[1]
