"""Step numbers that are Python numbers in an eager step and 0-d arrays in a compiled one.

An optimizer's step counter, learning rate and bias corrections are Python numbers when it runs
eagerly (exact host arithmetic, no device work). Inside a compiled step (`anynn.compile`) they are
0-d arrays — traced on JAX, device buffers in a CUDA graph — so a new step count or learning rate
never forces a new program. These helpers compute the same formula either way, in the array's own
namespace when given an array (no ``float()`` of an array, which a traced step cannot answer).
"""

from __future__ import annotations

import math
import struct
from typing import Any

from array_api_compat import array_namespace

from ..backend.arrays import device_of
from ..backend.default_dtype import default_float


def is_number(value: Any) -> bool:
    """True for a Python number (the eager case), False for an array."""
    return isinstance(value, (int, float))


def nonzero(value: Any) -> bool:
    """Whether an option value (momentum, weight decay) is not 0. A compiled step hands such values in as arrays
    only where they are not 0 (0 stays a number of the program), so an array counts as non-zero: a traced one has
    no truth value to read."""
    return value != 0 if is_number(value) else True


def sqrt(value: Any) -> Any:
    """``math.sqrt`` of a number, ``xp.sqrt`` of an array."""
    return math.sqrt(value) if is_number(value) else array_namespace(value).sqrt(value)


def maximum(value: Any, floor: float) -> Any:
    """``max(value, floor)``, elementwise for an array."""
    if is_number(value):
        return max(value, floor)
    xp = array_namespace(value)
    return xp.maximum(value, xp.asarray(floor, dtype=xp.float64, device=device_of(value)))


def round_float32(value: Any) -> Any:
    """``value`` rounded to the nearest float32, as PyTorch keeps some optimizer scalars (a float64 array for
    an array, so the arithmetic after it stays in float64 as the eager step's)."""
    if is_number(value):
        return struct.unpack("f", struct.pack("f", value))[0]
    xp = array_namespace(value)
    return xp.astype(xp.astype(value, xp.float32), xp.float64)


def round_state_scalar(value: Any) -> Any:
    """``value`` as PyTorch keeps an optimizer's state scalars (ASGD's eta and mu, NAdam's mu_product): in a 0-d
    Tensor of its scalar dtype, float32, or float64 where the default dtype is float64 (``_get_scalar_dtype``)."""
    return value if default_float() == "float64" else round_float32(value)


def like(value: Any, param: Any) -> Any:
    """A step coefficient ready to scale ``param``-shaped arrays: a number as is, an array cast to
    ``param``'s dtype (a float64 0-d array would otherwise promote a float32 update to float64)."""
    if is_number(value) and not hasattr(value, "dtype"):
        return value
    xp = array_namespace(param)
    return xp.astype(xp.asarray(value), param.dtype)  # (NumPy's float64 scalars are Python floats with a dtype)
