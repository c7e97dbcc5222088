"""The one GPU check: the CuPy test subset, the GPU benchmarks and mixed precision, in under 8 minutes.

    python benchmarks/gpu_check.py [--budget 470] [--json gpu_check.json]

1. ``pytest -k cupy`` over the test suite (every test's ``cupy`` parameter);
2. ``benchmarks/run.py --backend cupy``: anynn on CuPy vs PyTorch CUDA eager vs a hand-written CuPy loop,
   and anynn compiled (a CUDA graph; the ``*_cupy`` tests of tests/compile/test_compile.py check it in part 1);
3. ``benchmarks/double_backward.py --backend cupy``: a gradient penalty's second backward against the first, anynn
   on CuPy vs PyTorch CUDA;
4. the jax backend on the GPU, where a CUDA build of jax is installed (``pip install -e ".[jax-cuda12]"``):
   tests/backend/test_jax_backend.py and the jax tests of tests/compile/test_compile.py on JAX's default device;
5. mixed precision: anynn's MLP and CNN training steps in float32 and under autocast (float16 with a
   GradScaler on CuPy; bfloat16 on the torch backend's CUDA where PyTorch has it).

Each part runs with its share of the time budget (a part that runs out is reported as such); the summary
names the date and the GPU model, so its figures can go to docs/performance.md as measured. Without a CUDA
device it stops at once with a message and exit status 2.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NO_GPU_STATUS = 2


def cuda_device() -> tuple[dict | None, str]:
    """(facts about device 0, "") when CuPy sees a CUDA device, else (None, the reason)."""
    try:
        import cupy
    except ImportError as exc:
        return None, f"CuPy is not installed ({exc}); pip install -e '.[cuda12]' or '.[cuda13]'"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - any CUDA runtime error means: no usable device
        return None, f"CuPy {cupy.__version__} finds no usable CUDA device ({type(exc).__name__}: {exc})"
    if count < 1:
        return None, f"CuPy {cupy.__version__} sees 0 CUDA devices"
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    return {"gpu": name, "devices": count, "cupy": cupy.__version__,
            "memory_gib": round(props.get("totalGlobalMem", 0) / 2**30, 1),
            "driver": cupy.cuda.runtime.driverGetVersion(), "runtime": cupy.cuda.runtime.runtimeGetVersion()}, ""


def jax_default_platform() -> str:
    """JAX's default platform ("gpu" with a CUDA build of jax), asked in a subprocess so this one stays light."""
    try:
        proc = subprocess.run([sys.executable, "-c", "import jax; print(jax.default_backend())"], text=True,
                              capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "jax did not answer in 120 s"
    return proc.stdout.strip() or f"jax failed: {proc.stderr.strip()[-200:]}"


def run_part(name: str, cmd: list[str], timeout: float) -> dict:
    """Run one part as a subprocess within ``timeout`` seconds; its output streams through."""
    print(f"\n== {name}: {' '.join(cmd)}  (budget {timeout:.0f} s)", flush=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, timeout=max(timeout, 1.0))
        out, status = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        status = "timeout"
    print(out[-6000:], flush=True)
    return {"name": name, "status": status, "seconds": round(time.perf_counter() - start, 1), "output": out}


def pytest_summary(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return lines[-1].strip("= ") if lines else "no pytest summary (timed out?)"


# -- mixed precision: float32 vs autocast, anynn's own steps -----------------------------------------------
def amp_step(backend: str, kind: str, precision: str, batch: int, width: int):
    """A training step (MLP or CNN) on ``backend`` in float32 or under autocast(``precision``)."""
    import numpy as np

    import anynn
    from anynn import nn

    rng = np.random.default_rng(0)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width // 2), nn.ReLU(),
                              nn.Linear(width // 2, 10), backend=backend, seed=0)
        x = anynn.tensor(rng.random((batch, 784), dtype=np.float32), backend=backend)
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, width), nn.ReLU(),
                              nn.Linear(width, 10), backend=backend, seed=0)
        x = anynn.tensor(rng.random((batch, 1, 28, 28), dtype=np.float32), backend=backend)
    y = anynn.tensor(rng.integers(0, 10, batch), backend=backend)
    opt = anynn.optim.Adam(model.parameters(), lr=1e-3)
    low = None if precision == "float32" else precision
    device_type = "cuda" if model[0].weight.is_cuda else "cpu"
    scaler = anynn.amp.GradScaler(device_type, enabled=low == "float16")
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        with anynn.autocast(device_type, dtype=low or "float16", enabled=low is not None):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        model[0].weight.backend.synchronize()
        return loss

    return step


def time_step(step, seconds: float) -> float:
    """Steps per second of ``step`` after a warm-up, over about ``seconds``."""
    for _ in range(3):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 3:
        step()
        count += 1
    return count / (time.perf_counter() - start)


def amp_benchmark(backends: list[str], seconds: float, batch: int = 128, width: int = 512) -> list[dict]:
    """float32 vs autocast steps/s for the MLP and CNN on each backend (float16 on CuPy, bfloat16 on torch)."""
    rows = []
    for backend in backends:
        low = "bfloat16" if backend.startswith("torch") else "float16"
        for kind in ("mlp", "cnn"):
            try:
                full = time_step(amp_step(backend, kind, "float32", batch, width), seconds)
                mixed = time_step(amp_step(backend, kind, low, batch, width), seconds)
                rows.append({"backend": backend, "model": kind, "low": low, "float32_steps_s": round(full, 1),
                             "autocast_steps_s": round(mixed, 1), "speedup": round(mixed / full, 2)})
            except Exception as exc:  # noqa: BLE001 - report the failure, keep measuring the rest
                rows.append({"backend": backend, "model": kind, "low": low, "error": f"{type(exc).__name__}: {exc}"})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CuPy tests + GPU benchmarks + mixed precision, one command")
    parser.add_argument("--budget", type=float, default=470.0, help="seconds for everything (default 470)")
    parser.add_argument("--json", default=None, help="write the summary here")
    parser.add_argument("--amp-worker", nargs=2, metavar=("BACKENDS", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.amp_worker:
        print("AMP_RESULT " + json.dumps(amp_benchmark(args.amp_worker[0].split(","), float(args.amp_worker[1]))))
        return 0

    device, reason = cuda_device()
    if device is None:
        print(f"gpu_check: no CUDA device here: {reason}.\n"
              "This check needs an NVIDIA GPU with CuPy >= 14; nothing was run.", file=sys.stderr)
        return NO_GPU_STATUS
    started = datetime.datetime.now(datetime.timezone.utc)
    deadline = time.perf_counter() + args.budget
    print(f"gpu_check {started:%Y-%m-%d %H:%M UTC} on {device['gpu']} ({device})", flush=True)
    parts = []
    left = lambda: deadline - time.perf_counter()  # noqa: E731
    parts.append(run_part("cupy tests", [sys.executable, "-m", "pytest", "tests", "-k", "cupy", "-q",
                                         "-p", "no:cacheprovider", "-W", "ignore"], left() * 0.55))
    with tempfile.TemporaryDirectory() as tmp:
        bench_json = os.path.join(tmp, "bench.json")
        parts.append(run_part("benchmarks", [sys.executable, str(HERE / "run.py"), "--backend", "cupy", "--repeats",
                                             "1", "--seconds", "0.4", "--implementations",
                                             "anynn,torch,handwritten,compiled", "--json", bench_json], left() * 0.7))
        bench = json.loads(Path(bench_json).read_text()) if os.path.exists(bench_json) else None
    # issue 15's double backward through anynn's own autograd on CuPy, against PyTorch CUDA's (second/first ratios)
    parts.append(run_part("double backward", [sys.executable, str(HERE / "double_backward.py"), "--backend", "cupy",
                                              "--quick", "--dtypes", "float32", "--batches", "128,1024"],
                          left() * 0.25))
    import importlib.util

    jax_platform = jax_default_platform() if importlib.util.find_spec("jax") else "jax not installed"
    if jax_platform == "gpu":  # the jax backend's device arrays and compiled steps on the GPU
        parts.append(run_part("jax on the GPU", [sys.executable, "-m", "pytest", "tests/backend/test_jax_backend.py",
                                                 "tests/compile/test_compile.py", "-k", "jax", "-q",
                                                 "-p", "no:cacheprovider", "-W", "ignore"], left() * 0.4))
    amp_backends = ["cupy"] + (["torch:cuda"] if importlib.util.find_spec("torch") else [])
    parts.append(run_part("mixed precision", [sys.executable, str(Path(__file__).resolve()), "--amp-worker",
                                              ",".join(amp_backends), "1.0"], left() - 5))
    amp = next((json.loads(line[len("AMP_RESULT "):]) for line in parts[-1]["output"].splitlines()
                if line.startswith("AMP_RESULT ")), None)

    tests_line = pytest_summary(parts[0]["output"])
    ok = all(p["status"] == 0 for p in parts)
    print("\n" + "=" * 72)
    print(f"GPU check, {started:%Y-%m-%d}, {device['gpu']} (CuPy {device['cupy']}, driver {device['driver']})")
    print(f"cupy tests: {tests_line}  [{parts[0]['seconds']} s, status {parts[0]['status']}]")
    if bench:
        print("benchmarks (samples/s, anynn on CuPy vs PyTorch CUDA eager):")
        for workload, by_impl in bench["results"].items():
            rate = {impl: max((r["samples_per_s"] for r in runs), default=None) for impl, runs in by_impl.items()}
            ratio = (f"{rate['anynn'] / rate['torch']:.2f}x" if rate.get("anynn") and rate.get("torch") else "n/a")
            graph = (f"{rate['compiled'] / rate['torch']:.2f}x" if rate.get("compiled") and rate.get("torch")
                     else "n/a")
            print(f"  {workload:10s} anynn {rate.get('anynn')}  torch {rate.get('torch')}  anynn/torch {ratio}  "
                  f"CUDA graph {rate.get('compiled')}  graph/torch {graph}")
    else:
        print(f"benchmarks: no results [status {parts[1]['status']}]")
    for row in amp or []:
        print(f"  autocast {row}")
    print(f"jax: {jax_platform}" + "".join(f"; {p['name']}: {pytest_summary(p['output'])} [status {p['status']}]"
                                           for p in parts if p["name"] == "jax on the GPU"))
    print(f"total {sum(p['seconds'] for p in parts):.0f} s; {'PASS' if ok else 'FAIL'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"date": started.isoformat(), "device": device, "tests": tests_line,
                                               "benchmarks": bench, "mixed_precision": amp,
                                               "parts": [{k: v for k, v in p.items() if k != "output"}
                                                         for p in parts]}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
