"""Instruction counts of training steps under callgrind: a timing that other processes on the machine cannot disturb.

    python benchmarks/count_instructions.py [--workloads lstm,cnn] [--implementations anynn,torch,handwritten]
                                            [--steps 3] [--warmup 3] [--annotate 25]

For every (implementation, workload) it starts ``valgrind --tool=callgrind --instr-atstart=no`` on a worker
(this file with ``--worker``), which builds the workload of `workloads.py`, runs ``--warmup`` steps
uninstrumented, switches instrumentation on (``callgrind_control -i on`` on its own pid), runs ``--steps``
steps and exits. The table gives instructions per step (``Ir``), which is the same from run to run to a
fraction of a percent whatever else the machine does. It is not a timing: cache misses, BLAS kernels that
retire fewer, wider instructions and threads are not weighed, so compare it with itself before and after
a change, and with wall time (benchmarks/run.py) on a quiet machine. BLAS runs single-threaded.

``--annotate N`` prints each run's N most expensive functions (inclusive), from ``callgrind_annotate``.
``--keep DIR`` keeps the callgrind.out files there for a closer look (kcachegrind, callgrind_annotate).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(impl: str, workload_name: str, backend: str, warmup: int, steps: int) -> None:
    """Inside valgrind: build, warm up uninstrumented, then count ``steps`` steps."""
    sys.path.insert(0, str(HERE))
    from workloads import BUILDERS, WORKLOADS

    step = BUILDERS[impl](WORKLOADS[workload_name], backend)
    for _ in range(warmup):
        step()
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(steps):
        step()
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)


def count(impl: str, workload: str, backend: str, warmup: int, steps: int, out_dir: Path,
          annotate: int) -> tuple[int, str]:
    """Run one worker under callgrind; return (instructions per step, annotation text)."""
    out_file = out_dir / f"callgrind.out.{impl}.{workload}"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}",
               sys.executable, __file__, "--worker", impl, workload, backend, str(warmup), str(steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{impl} {workload}: callgrind run failed:\n{done.stderr[-3000:]}")
    # with --instr-atstart=no the "summary:" line stays 0; "totals:" holds the instrumented count
    match = re.search(r"^totals:\s*(\d+)", out_file.read_text(), re.MULTILINE)
    total = int(match.group(1)) if match else 0
    text = ""
    if annotate:
        shown = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out_file)],
                               capture_output=True, text=True).stdout
        lines = [line for line in shown.splitlines() if re.match(r"^\s*[\d,]+ \(", line)]
        text = "\n".join(lines[:annotate])
    return total // steps, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="lstm,cnn")
    parser.add_argument("--implementations", default="anynn")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--annotate", type=int, default=0)
    parser.add_argument("--keep", default=None)
    parser.add_argument("--worker", nargs=5, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, workload, backend, warmup, steps = args.worker
        worker(impl, workload, backend, int(warmup), int(steps))
        return
    out_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="anynn-callgrind-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"{'workload':<10} {'implementation':<14} {'Ir per step':>16}  (callgrind, {args.steps} steps after "
          f"{args.warmup} warm-up, OPENBLAS_NUM_THREADS=1)")
    for workload in args.workloads.split(","):
        for impl in args.implementations.split(","):
            t0 = time.perf_counter()
            per_step, text = count(impl, workload, args.backend, args.warmup, args.steps, out_dir, args.annotate)
            print(f"{workload:<10} {impl:<14} {per_step:>16,}  ({time.perf_counter() - t0:.0f} s)", flush=True)
            if text:
                print(text, flush=True)
    if args.keep:
        print(f"callgrind files kept in {out_dir}")


if __name__ == "__main__":
    main()
