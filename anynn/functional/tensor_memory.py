"""Tensor methods PyTorch programs call about the memory behind a tensor: ``data_ptr`` (do two tensors share
memory? tied weights, views), ``storage_offset``, ``is_pinned``/``pin_memory`` (page-locked host memory for fast
copies to a GPU), and the top-level twins ``narrow_copy``, ``prelu``, ``lu_solve``, ``triangular_solve``.

Addresses come from the backend's array (`anynn.backend.arrays.memory_address`): a NumPy/CuPy/PyTorch view gives
the address of its first element and its offset in its buffer, as PyTorch's; where the library shows no address
(JAX while tracing, ndonnx) the array's identity stands in.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend.arrays import memory_address


def data_ptr(self: Tensor) -> int:
    """The address of the first element (equal for tensors that share it: ``a.data_ptr() == b.data_ptr()``)."""
    return memory_address(self.array)[0]


def storage_offset(self: Tensor) -> int:
    """The offset of the first element in its buffer, in elements (0 for a tensor that owns its memory)."""
    return memory_address(self.array)[1]


def is_pinned(self: Tensor, device: Any = None) -> bool:
    """False: anynn keeps host tensors in ordinary (pageable) memory."""
    return False


def pin_memory(self: Tensor, device: Any = None) -> Tensor:
    """A copy of this host tensor for fast transfers to a GPU. With no CUDA device it raises, as PyTorch's (guard it
    as PyTorch programs do, ``if torch.cuda.is_available()``); with one, the copy is in ordinary memory (anynn's
    host-to-device copies go through the GPU library's own staging)."""
    from ..backend.torch_names import cuda_available

    if not cuda_available(self.backend):
        raise RuntimeError("pin_memory: page-locked memory needs a CUDA device and none is available (PyTorch "
                           "raises here too); call it under `if torch.cuda.is_available():`")
    kind = self.backend.device_parts()[0]
    if kind != "cpu":
        raise RuntimeError(f"pin_memory: only host tensors can be pinned; this one is on '{kind}' (backend "
                           f"{self.backend.key})")
    return self.clone()


def narrow_copy(self: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``torch.narrow_copy(x, dim, start, length)``: the narrowed part as a new tensor."""
    return self.narrow(dim, start, length).clone()


def prelu(self: Tensor, weight: Tensor) -> Tensor:
    """``torch.prelu(x, weight)``."""
    from .activation import prelu as top_level

    return top_level(self, weight)


def lu_solve(self: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803 (PyTorch's names)
    """``torch.lu_solve(b, LU_data, LU_pivots)`` with this tensor as ``b``."""
    from .linalg_tensor import lu_solve_legacy

    return lu_solve_legacy(self, LU_data, LU_pivots)


def triangular_solve(self: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> Any:
    """``torch.triangular_solve(b, A, ...)`` with this tensor as ``b``: (solution, a copy of A)."""
    from .linalg_tensor import triangular_solve as top_level

    return top_level(self, A, upper, transpose, unitriangular)


METHODS: dict[str, Any] = {
    "data_ptr": data_ptr, "const_data_ptr": data_ptr, "storage_offset": storage_offset, "is_pinned": is_pinned,
    "pin_memory": pin_memory, "narrow_copy": narrow_copy, "prelu": prelu, "lu_solve": lu_solve,
    "triangular_solve": triangular_solve,
}
