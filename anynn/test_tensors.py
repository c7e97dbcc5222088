"""``torch.testing.make_tensor``: a tensor of random values of a given shape and dtype, for tests.

The values are uniform in ``[low, high)`` (floats, and both parts of complex numbers; -9 to 9 by default) or random
integers in ``[low, high)`` (integers: -9 to 10, bounded by the dtype; booleans: both values), drawn from anynn's
generator (``anynn.manual_seed``), so they are not PyTorch's numbers; the rules for ``low``, ``high`` and the
options, and their errors, are PyTorch's.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

from .autograd.tensor import Tensor
from .backend import dtype_name
from .type_info import PART_DTYPES, finfo, iinfo


def make_tensor(*shape: int | Sequence[int], dtype: Any, device: Any = None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False, noncontiguous: bool = False,
                exclude_zero: bool = False, memory_format: Any = None) -> Tensor:
    """A tensor of ``shape`` and ``dtype`` on ``device`` filled with random values in ``[low, high)``.

    ``noncontiguous``: a strided view (every other element along the last axis of a tensor twice as long);
    ``exclude_zero``: zeros drawn are replaced by 1 (integers) or the dtype's smallest normal number (floats);
    ``memory_format`` is accepted (anynn's layouts are row-major). ``requires_grad`` only for floating dtypes.
    """
    from . import factories
    from .functional.complex_numbers import complex as make_complex
    from .functional.tensor_extras import where

    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    shape = tuple(int(n) for n in shape)
    name = dtype_name(dtype)
    kind = "bool" if name == "bool" else ("complex" if name.startswith("complex") else
                                           ("float" if name.startswith(("float", "bfloat")) else "int"))
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and kind in ("bool", "int"):
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    drawn_shape = shape[:-1] + (2 * shape[-1],) if noncontiguous else shape
    if kind == "bool":
        low, high = _bounds(low, high, kind, 0, 2, 0, 2)
        out = factories.randint(int(low), int(high), drawn_shape, dtype=dtype, device=device)
    elif kind == "int":
        info = iinfo(dtype)
        low, high = _bounds(low, high, kind, info.min, info.max + (1 if name != "int64" else 0), -9, 10)
        out = factories.randint(int(low), int(high), drawn_shape, dtype=dtype, device=device)
    else:
        info = finfo(dtype)  # (of a complex dtype: its parts')
        low, high = _bounds(low, high, kind, info.min, info.max, -9, 9)
        part_dtype = PART_DTYPES.get(name, dtype)
        if kind == "complex":
            out = make_complex(*(_uniform(factories, drawn_shape, part_dtype, device, low, high) for _ in "re"))
        else:
            out = _uniform(factories, drawn_shape, dtype, device, low, high)
    if noncontiguous:
        out = out[..., ::2]
    if exclude_zero:
        replacement = 1 if kind in ("bool", "int") else finfo(dtype).tiny
        out = where(out == 0, factories.full_like(out, replacement), out)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _uniform(factories: Any, shape: tuple[int, ...], dtype: Any, device: Any, low: float, high: float) -> Tensor:
    """Uniform draws in ``[low, high)``; halved bounds doubled where ``high - low`` overflows the dtype."""
    span_overflows = high - low >= finfo(dtype).max
    scale = 2.0 if span_overflows else 1.0
    base = factories.rand(shape, dtype=dtype, device=device)
    return (base * (high / scale - low / scale) + low / scale) * scale


def _bounds(low: float | None, high: float | None, kind: str, lowest: float, highest: float, default_low: float,
            default_high: float) -> tuple[float, float]:
    """PyTorch's checks of ``low`` and ``high``, then both clamped to what the dtype holds (integers rounded up)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and kind in ("float", "complex"):
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                      "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                      FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but the dtype only "
                         f"supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (math.ceil(low), math.ceil(high)) if kind in ("bool", "int") else (low, high)
