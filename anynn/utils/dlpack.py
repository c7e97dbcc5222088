"""``torch.utils.dlpack``: `to_dlpack` (a Tensor's DLPack capsule) and `from_dlpack` (a Tensor of another library's
array or capsule, no copy where the library allows), the path CuPy/JAX interop code imports them from."""

from __future__ import annotations

from ..functional.torch_small_ops import to_dlpack
from ..io.interop import from_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
