"""Arrays from other libraries as anynn Tensors, through DLPack (no host copy where DLPack allows)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..backend.transfer import transfer
from ..backend import backend_of, get_backend


def from_dlpack(ext_tensor: Any, backend: Any = None) -> Tensor:
    """Wrap an array of any DLPack-capable library as a `Tensor`, sharing memory where possible.

    Parameters
    ----------
    ext_tensor : array, Tensor or capsule (PyTorch's name)
        A NumPy / torch / CuPy / array_api_strict array, anything with ``__dlpack__``, a Tensor, or a DLPack
        capsule (``to_dlpack``'s). A bare capsule carries its device only inside its C struct: it is read as host
        memory (NumPy refuses a GPU one); hand over the array itself to keep its device.
    backend : str or Backend, optional
        The backend of the result. By default the backend of ``ext_tensor``'s own library (no transfer at
        all), or NumPy for a library anynn does not run on.

    Returns
    -------
    Tensor
        A leaf tensor. Between NumPy and PyTorch on the CPU (and CuPy and PyTorch on one GPU) it
        shares memory with ``ext_tensor``: writing to one shows in the other. Where DLPack cannot be used
        (array_api_strict, another device) the data is copied through the host.
    """
    obj = ext_tensor
    if isinstance(obj, Tensor):
        return obj if backend is None else obj.to(backend)
    if type(obj).__name__ == "PyCapsule":  # a bare capsule (``to_dlpack``'s): host memory, read by NumPy's importer
        obj = np.from_dlpack(_HostCapsule(obj))
    try:
        source = backend_of(obj)
    except TypeError:
        source = None
    if source is None:
        if not hasattr(obj, "__dlpack__"):
            raise TypeError(f"from_dlpack: a {type(obj).__name__} is not an array (no __dlpack__ method)")
        obj = np.from_dlpack(obj)  # an unknown library: its CPU arrays come in through NumPy
        source = get_backend("numpy")
    target = source if backend is None else get_backend(backend)
    data = obj if target == source else transfer(obj, source, target)
    return Tensor._make(data, target, None, 0)


class _HostCapsule:
    """A bare DLPack capsule dressed as an array of host memory, for NumPy's ``from_dlpack``."""

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # DLPack's kDLCPU, device 0
