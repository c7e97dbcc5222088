"""``anynn`` console script: ``anynn info`` reports backends, devices, versions and what "auto" picks."""

from __future__ import annotations

import argparse
import importlib
import os
import sys


def _version(module: str) -> str:
    try:
        return getattr(importlib.import_module(module), "__version__", "installed")
    except Exception as exc:  # a broken install should be reported, not crash the report
        return f"not available ({type(exc).__name__})"


def info() -> str:
    """A human-readable report of the environment and each backend's availability."""
    from .backend import BackendUnavailable, choose_auto, get_backend
    from .backend.registry import REGISTRY

    from .version import release, torch_api

    lines = [f"anynn {release} (PyTorch {torch_api}'s API) on Python {sys.version.split()[0]}"]
    for module in ("numpy", "array_api_compat", "array_api_strict", "torch", "cupy", "jax"):
        lines.append(f"  {module:<17} {_version(module)}")
    lines.append("backends:")
    for name in REGISTRY:  # every library with a backend, in the registry's order
        try:
            backend = get_backend(name)
            lines.append(f"  {name:<17} available (device {backend.device})")
        except BackendUnavailable as exc:
            lines.append(f"  {name:<17} unavailable: {exc}")
    lines.extend(_cupy_vendor_lines())
    chosen, reason = choose_auto()
    lines.append(f"auto -> {chosen}: {reason}")
    return "\n".join(lines)


def _cupy_vendor_lines() -> list[str]:
    """Whether the cupy backend runs cuDNN (convolution, attention) and cuBLASLt epilogues, and why not."""
    from .backend.cudnn import load_frontend
    from .backend.cupy_backend import probe_cupy
    from .backend.epilogue import load_nvmath

    usable, why = probe_cupy()
    lines = ["cupy vendor kernels:"]
    for label, (module, reason), use in (("cuDNN", load_frontend(), "convolution and attention"),
                                         ("cuBLASLt", load_nvmath(), "Linear + ReLU/GELU(tanh) in Sequential")):
        if module is None:
            lines.append(f"  {label:<17} not used: {reason}; the portable kernels run")
        elif not usable:
            lines.append(f"  {label:<17} not used: {why} ({reason} is installed)")
        else:
            lines.append(f"  {label:<17} used for {use} ({reason})")
    return lines


def main(argv: list[str] | None = None) -> int:
    from .version import release, torch_api

    parser = argparse.ArgumentParser(prog="anynn", description="anynn: one model, any array library")
    parser.add_argument("--version", action="version", version=f"anynn {release} (PyTorch {torch_api}'s API)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="show versions, backends, devices and what backend='auto' chooses")
    args = parser.parse_args(argv)
    if args.command == "info":
        try:
            print(info(), flush=True)
        except BrokenPipeError:  # `anynn info | head`: the reader has what it wanted and closed the pipe
            # stdout to devnull, so Python's flush at exit does not raise (and print a traceback) again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        return 0
    parser.print_help()
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
