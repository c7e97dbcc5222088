"""Intra-op threads, PyTorch's ``set_num_threads`` / ``get_num_threads``: the BLAS pool NumPy computes with, and
the PyTorch backend's own pool when torch is loaded.

NumPy's BLAS (OpenBLAS, MKL) is limited through threadpoolctl, which can change a loaded library's pool; without it
installed the BLAS keeps its pool and a warning says how to limit it (``pip install threadpoolctl``, or
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` set before the process starts).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

_requested: int | None = None
_limits: Any = None  # threadpoolctl's limiter: the limit holds while it is kept


def set_num_threads(num: int) -> None:
    """Compute with ``num`` threads (a positive int) in the BLAS pool and, when loaded, PyTorch's pool."""
    global _requested, _limits
    if isinstance(num, bool) or not isinstance(num, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _requested = num
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        warnings.warn("set_num_threads: threadpoolctl is not installed, so NumPy's BLAS keeps its thread pool; "
                      "pip install threadpoolctl, or set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before starting",
                      RuntimeWarning, stacklevel=2)
    else:
        if _limits is not None:
            _limits.restore_original_limits()
        _limits = threadpool_limits(limits=num)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(num)


def get_num_threads() -> int:
    """The number of intra-op threads: the last `set_num_threads`, else the BLAS pool's size (CPU count if unknown)."""
    if _requested is not None:
        return _requested
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    pools = [int(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(pools) if pools else os.cpu_count() or 1
