"""Host memory: let glibc's malloc keep a training step's freed arrays for the next step.

glibc serves a block of at least its *mmap threshold* (128 KiB when a process starts) with a fresh ``mmap`` and
returns free memory at the top of its heap to the OS once that exceeds the *trim threshold* (twice the mmap
threshold). Both thresholds rise, up to 32 MiB and 64 MiB, the first time the program frees a larger block that
it got from ``mmap``. A training step allocates and frees the same arrays every iteration (activations,
gradients, products of a few hundred KiB to some MiB), so with the starting thresholds each step hands that
memory back and page-faults it in again: a process whose BLAS runs one thread (OpenBLAS with several threads
frees a large buffer when it starts, which raises the thresholds by chance) measured about 5,000 page faults
and 45 ms per step of the benchmark CNN (benchmarks/workloads.py, batch 64) where the raised thresholds give
0.1 faults and 32 ms, and 96 faults per double backward of benchmarks/double_backward.py's MLP (0.17 ms of
1.66 ms).

`settle_malloc_thresholds` frees one block just under the 32 MiB limit once, as a program that loaded a
dataset would: glibc's own adaptation then keeps freed blocks below 32 MiB for reuse, holding at most 64 MiB of
free heap. The block is never touched, so no page of it is faulted in. Other C libraries (macOS, musl) have
allocators of their own; there it does nothing.
"""

from __future__ import annotations

import os

# glibc raises its thresholds only for a freed mmap block no larger than DEFAULT_MMAP_THRESHOLD_MAX, 32 MiB on
# 64-bit systems, counted with the block's header and rounded up to a page: stay a little below it
BLOCK_BYTES = (32 << 20) - (1 << 16)

_settled = False


def uses_glibc() -> bool:
    """Whether this process runs on GNU libc (the C library whose malloc thresholds are settled here)."""
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # no confstr (Windows), or a C library without that name
        return False


def settle_malloc_thresholds() -> None:
    """Raise glibc's mmap and trim thresholds to their dynamic maximum, once per process (see the module)."""
    global _settled
    if _settled:
        return
    _settled = True
    if not uses_glibc():
        return
    import numpy as np

    block = np.empty(BLOCK_BYTES, dtype=np.uint8)  # malloc -> mmap (above the threshold), pages untouched
    del block  # free -> munmap, and glibc raises both thresholds to this block's size
