"""``anynn.finfo`` / ``anynn.iinfo``: the limits of a floating or integer dtype, as ``torch.finfo``/``torch.iinfo``.

Host facts about a dtype (no array is made): programs read them for masks and clamps
(``torch.finfo(x.dtype).min`` as an attention mask value, ``eps`` in a log or a division). NumPy answers for
every dtype it has; bfloat16's figures are written out (8 exponent bits, 7 fraction bits).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import dtype_name
from .backend.default_dtype import default_float

PART_DTYPES = {"complex64": "float32", "complex128": "float64"}  # a complex dtype's real and imaginary parts
# bfloat16: float32's exponent range with 8 significant bits
_BFLOAT16 = dict(bits=16, eps=2.0**-7, max=(2.0 - 2.0**-7) * 2.0**127, tiny=2.0**-126, resolution=0.01)


class finfo:  # noqa: N801 - PyTorch's name
    """The limits of a floating dtype (default: the default dtype, float32 unless set): ``bits``, ``eps``, ``max``,
    ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``, and ``dtype`` (its name). ``dtype`` may be an anynn
    dtype, a backend's native dtype or a name; a complex dtype gives its parts' (complex64: float32's), as PyTorch's."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002 - PyTorch's name
        name = default_float() if type is None else dtype_name(type)
        name = PART_DTYPES.get(name, name)  # a complex dtype: its parts'
        if name == "bfloat16":
            facts = _BFLOAT16
        elif name in ("float16", "float32", "float64"):
            info = np.finfo(np.dtype(name))
            facts = dict(bits=info.bits, eps=float(info.eps), max=float(info.max), tiny=float(info.tiny),
                         resolution=10.0 ** -info.precision)
        else:
            raise TypeError(f"finfo: expected a floating-point dtype (float16, bfloat16, float32, float64), "
                            f"got {name}")
        self.dtype = name
        self.bits: int = int(facts["bits"])
        self.eps: float = facts["eps"]
        self.max: float = facts["max"]
        self.min: float = -facts["max"]
        self.tiny: float = facts["tiny"]
        self.smallest_normal: float = facts["tiny"]
        self.resolution: float = facts["resolution"]

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - PyTorch's name
    """The limits of an integer dtype: ``bits``, ``min``, ``max`` and ``dtype`` (its name)."""

    def __init__(self, type: Any) -> None:  # noqa: A002 - PyTorch's name
        name = dtype_name(type)
        if name not in ("uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"):
            raise TypeError(f"iinfo: expected an integer dtype (uint8, int8, int16, int32, int64), got {name}")
        info = np.iinfo(np.dtype(name))
        self.dtype = name
        self.bits: int = info.bits
        self.min: int = int(info.min)
        self.max: int = int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


__all__ = ["finfo", "iinfo"]
