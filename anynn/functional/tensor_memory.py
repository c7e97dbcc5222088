"""Tensor methods PyTorch programs call about the memory behind a tensor: ``data_ptr`` (do two tensors share
memory? tied weights, views), ``storage_offset``, ``untyped_storage`` / ``storage`` (the buffer a view lies in),
``is_pinned``/``pin_memory`` (page-locked host memory for fast copies to a GPU), and the top-level twins
``narrow_copy``, ``prelu``, ``lu_solve``, ``triangular_solve``.

Addresses come from the backend's array (`anynn.backend.arrays.memory_address`): a NumPy/CuPy/PyTorch view gives
the address of its first element and its offset in its buffer, as PyTorch's; where the library shows no address
(JAX while tracing, ndonnx) the array's identity stands in.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend.arrays import memory_address, memory_extent


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


def record_stream(self: Tensor, s: Any) -> None:
    """``tensor.record_stream(torch.cuda.current_stream())``: data prefetchers mark a batch copied on a side stream as
    used by the compute stream, so that PyTorch's caching allocator keeps its memory until that work is done. anynn's
    device has one queue (`anynn.cuda.Stream`) and the array library owns the memory: there is nothing to record."""
    if not (callable(getattr(s, "wait_stream", None)) and callable(getattr(s, "synchronize", None))):
        raise RuntimeError(f"record_stream(): unknown parameter type: expected a Stream (torch.cuda.Stream, "
                           f"torch.cuda.current_stream()), got {type(s).__name__}")


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


class UntypedStorage:
    """The buffer a tensor's array lies in, as PyTorch's ``Tensor.untyped_storage()`` describes it: where it starts
    (``data_ptr``: equal for a tensor and its views) and its size in bytes (``nbytes``, ``size``, ``len``). It
    describes the memory; it holds no values of its own to change (``resize_`` is refused)."""

    def __init__(self, tensor: Tensor) -> None:
        self._start, self._nbytes = memory_extent(tensor.array)
        self.device = tensor.device

    def data_ptr(self) -> int:
        """The address of the buffer's first byte."""
        return self._start

    def nbytes(self) -> int:
        """The buffer's size in bytes."""
        return self._nbytes

    def size(self) -> int:
        """The buffer's size in bytes (an untyped storage counts bytes)."""
        return self._nbytes

    def __len__(self) -> int:
        return self._nbytes

    def element_size(self) -> int:
        """1: an untyped storage's elements are bytes."""
        return 1

    def resize_(self, size: int) -> UntypedStorage:
        """Refused: anynn tensors hold their library's arrays, whose buffers cannot be resized in place."""
        raise NotImplementedError(f"UntypedStorage.resize_({size}): anynn tensors hold their library's arrays, "
                                  f"whose buffers cannot be resized in place; drop the tensor (del t) to free it")

    def __repr__(self) -> str:
        return f"<anynn UntypedStorage of {self._nbytes} bytes at {self._start:#x} on {self.device}>"


class TypedStorage(UntypedStorage):
    """``Tensor.storage()`` (deprecated by PyTorch): the buffer counted in elements of the tensor's dtype."""

    def __init__(self, tensor: Tensor) -> None:
        super().__init__(tensor)
        self.dtype = tensor.dtype
        self._itemsize = int(tensor.element_size())

    def size(self) -> int:
        """The buffer's size in elements."""
        return self._nbytes // self._itemsize

    def __len__(self) -> int:
        return self.size()

    def element_size(self) -> int:
        """The bytes per element of the tensor's dtype."""
        return self._itemsize


def untyped_storage(self: Tensor) -> UntypedStorage:
    """The buffer this tensor's array lies in: ``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()``
    for a tensor and its views (shared-tensor checks before saving), ``nbytes()`` its size."""
    return UntypedStorage(self)


_storage_warned = [False]  # PyTorch warns once per process (_warn_typed_storage_removal's has_warned)


def storage(self: Tensor) -> TypedStorage:
    """`untyped_storage` counted in elements, with PyTorch's deprecation warning at the first call."""
    import warnings

    if not _storage_warned[0]:
        _storage_warned[0] = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the "
                      "only storage class. This should only matter to you if you are using storages directly.  To "
                      "access UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=2)
    return TypedStorage(self)


METHODS: dict[str, Any] = {
    "data_ptr": data_ptr, "const_data_ptr": data_ptr, "storage_offset": storage_offset, "is_pinned": is_pinned,
    "pin_memory": pin_memory, "narrow_copy": narrow_copy, "prelu": prelu, "lu_solve": lu_solve,
    "triangular_solve": triangular_solve, "untyped_storage": untyped_storage, "storage": storage,
    "record_stream": record_stream,
}
