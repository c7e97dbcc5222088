"""Low-precision floats (float16, bfloat16) computed in float32, as PyTorch's CPU and CUDA kernels do.

Statistics (norms), reductions (losses) and their backward run in float32 for float16/bfloat16 inputs, and
the result is cast back to the input's dtype: a float16 variance of values ~300 or a float16 sum of 32 losses
of 1e4 would overflow, while their float32 versions, and the results cast back, are finite.
"""

from __future__ import annotations

from typing import Any

from ..backend.typing import Namespace


_LOW = ("float16", "bfloat16")
# (id(xp), id(dtype)) -> (xp, dtype, answer): losses and norms ask once per call, and the uncached answer costs a
# failed getattr (NumPy has no bfloat16: an AttributeError built and dropped) and dtype comparisons each time.
# The entry holds xp and dtype, so their ids cannot be reused while it lives; bounded, for dtypes made on the fly.
_ANSWERS: dict[tuple[int, int], tuple[Any, Any, bool]] = {}


def is_low_precision(xp: Namespace, dtype: Any) -> bool:
    """True for floating dtypes narrower than float32 (float16, bfloat16)."""
    hit = _ANSWERS.get((id(xp), id(dtype)))
    if hit is not None and hit[0] is xp and hit[1] is dtype:
        return hit[2]
    answer = False
    for name in _LOW:
        low = getattr(xp, name, None)
        # (not ``None == dtype``: NumPy reads None as float64 there)
        if low is not None and dtype == low:
            answer = True
            break
    if len(_ANSWERS) >= 256:
        _ANSWERS.clear()
    _ANSWERS[(id(xp), id(dtype))] = (xp, dtype, answer)
    return answer


def compute_dtype(xp: Namespace, dtype: Any) -> Any:
    """The dtype to compute in: float32 for float16/bfloat16, ``dtype`` itself otherwise."""
    return xp.float32 if is_low_precision(xp, dtype) else dtype


def upcast(xp: Namespace, a: Any) -> Any:
    """``a`` in float32 if it is float16/bfloat16 (``None`` and other dtypes pass through)."""
    if a is None or not is_low_precision(xp, a.dtype):
        return a
    return xp.astype(a, xp.float32)


def cast_to(xp: Namespace, a: Any, dtype: Any) -> Any:
    """``a`` cast to ``dtype`` unless it already has it (``None`` passes through)."""
    if a is None or a.dtype == dtype:
        return a
    return xp.astype(a, dtype)
