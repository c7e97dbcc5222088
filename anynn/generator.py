"""`Generator`: PyTorch's ``torch.Generator`` as a NumPy ``Generator`` that can be reseeded in place.

anynn draws random values on the host with NumPy (so one seed gives the same values on every backend); this
class adds PyTorch's methods (``manual_seed``, ``seed``, ``initial_seed``, ``get_state``/``set_state``) and is
accepted wherever anynn takes ``generator=`` (factories, ``DataLoader``, ``random_split``, samplers).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Generator(np.random.Generator):
    """A seedable host random generator (PCG64): ``anynn.Generator().manual_seed(42)``.

    ``Generator(seed)`` seeds it at once (an anynn extra); ``device`` is recorded (draws are on the host and moved to
    the tensor's backend); a CUDA device where none is usable is `CudaUnavailable`, a RuntimeError as PyTorch's CPU
    build raises.
    """

    def __init__(self, device: Any = "cpu", seed: int | None = None) -> None:
        if isinstance(device, (int, np.integer)) and not isinstance(device, bool) and seed is None:
            device, seed = "cpu", int(device)
        self._initial_seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else _as_seed(seed)
        super().__init__(np.random.PCG64(self._initial_seed))
        from .device import device as as_device  # (anynn.device imports the backends; generator is imported first)

        # an anynn.device as PyTorch's, so ``generator.device != param.device`` compares like devices (AdaHessian
        # re-seeds its generator whenever they differ)
        self.device = as_device(device)
        if self.device.type == "cuda":  # a generator for a GPU where none is usable: PyTorch's CPU build refuses it
            from .backend import default_backend
            from .backend.torch_names import need_cuda

            need_cuda(f"anynn.Generator(device={device!r})", default_backend())

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed`` (the same stream as ``numpy.random.default_rng(seed)``); returns self.

        A negative seed is read as its 64-bit two's complement (``-1`` is ``2**64 - 1``), as PyTorch's."""
        seed = _as_seed(seed)
        self.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        seed = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream was last started from."""
        return self._initial_seed

    def get_state(self) -> dict[str, Any]:
        """The generator's state (NumPy's PCG64 state dict; PyTorch returns a byte tensor)."""
        return dict(self.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> "Generator":
        """Restore a state from `get_state`; returns self."""
        self.bit_generator.state = state
        return self

    def __repr__(self) -> str:
        return f"anynn.Generator(initial_seed={self._initial_seed})"

    __str__ = __repr__


def _as_seed(seed: Any) -> int:
    """``seed`` as PyTorch reads it, a 64-bit integer: negative ones wrap to ``2**64 + seed`` (PCG64 takes no
    negative seed); outside ``[-2**63, 2**64)`` a ValueError, as PyTorch's overflow."""
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        raise ValueError(f"manual_seed: the seed {seed} does not fit in 64 bits; expected an integer in "
                         f"[-2**63, 2**64) (PyTorch: 'Overflow when unpacking long long')")
    return seed + 2**64 if seed < 0 else seed


__all__ = ["Generator"]
