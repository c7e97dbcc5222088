"""``torch.types``: the typing aliases that annotated PyTorch code imports (``from torch.types import Device,
Number, _size``), spelled with anynn's classes: `anynn.device`, `anynn.dtype`, `anynn.Size`, `anynn.Tensor`.
Annotations only; nothing here computes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Union

from .autograd.size import Size
from .autograd.tensor import Tensor
from .device import device as _device
from .dtypes import dtype as _dtype  # noqa: F401 - a name of torch.types
from .layout import layout as _layout  # noqa: F401 - a name of torch.types

__all__ = ["Device", "FileLike", "Number", "Size", "Tensor"]  # and the private _size, _dtype, _device, _int...

_int = int
_float = float
_bool = bool
_complex = complex
_str = str
_bytes = bytes
Number = Union[int, float, bool]
Device = Union[_device, str, int, None]
FileLike = Union[str, os.PathLike[str], IO[bytes]]
IntLikeType = int  # (PyTorch's admits its SymInt: anynn records symbolic sizes as ints or its own SymInt)
FloatLikeType = float
BoolLikeType = bool
_size = Union[Size, list[int], tuple[int, ...]]
_symsize = Union[Size, Sequence[int]]
_TensorOrTensors = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors = Union[Tensor, Sequence[Union[Tensor, None]]]
