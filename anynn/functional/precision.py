"""Low-precision floats (float16, bfloat16) computed in float32, as PyTorch's CPU and CUDA kernels do.

Statistics (norms), reductions (losses) and their backward run in float32 for float16/bfloat16 inputs, and
the result is cast back to the input's dtype: a float16 variance of values ~300 or a float16 sum of 32 losses
of 1e4 would overflow, while their float32 versions, and the results cast back, are finite.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from ..autograd.tensor import Tensor
from ..backend.typing import Namespace

Fn = TypeVar("Fn", bound=Callable[..., Any])


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


def in_float32(inplace_at: int | None = None) -> Callable[[Fn], Fn]:
    """Decorate an elementwise function of ``input`` whose formula takes several steps (``1 / (1 + exp(-x))``,
    ``x * sigmoid(x)``, ``x * 0.01``): for a float16/bfloat16 Tensor it runs on ``input.float()`` and the result is
    cast back, so it is rounded once, as PyTorch's kernels compute these dtypes in float32; rounded at each step it
    was an ulp or more off on about a third of the values. ``inplace_at``: the position of an ``inplace`` argument;
    in place, the float32 result is copied into ``input``."""

    def decorate(fn: Fn) -> Fn:
        @functools.wraps(fn)
        def wrapper(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
            if not (isinstance(input, Tensor) and is_low_precision(input.backend.xp, input.array.dtype)):
                return fn(input, *args, **kwargs)
            positional = inplace_at is not None and len(args) >= inplace_at
            if not kwargs.get("inplace", positional and args[inplace_at - 1]):  # type: ignore[operator]
                return fn(input.float(), *args, **kwargs).to(input.dtype)
            if "inplace" in kwargs:
                kwargs["inplace"] = False
            else:
                args = args[:inplace_at - 1] + (False,) + args[inplace_at:]  # type: ignore[operator]
            return input.copy_(fn(input.clone().float(), *args, **kwargs))  # (clone: the cast saves its input)

        return wrapper  # type: ignore[return-value]

    return decorate


def tensors_in_float32(fn: Fn) -> Fn:
    """Decorate a function of several operands whose formula takes several steps (``input + value * t1 * t2``,
    ``input + weight * (end - input)``): where its floating Tensor operands are all of one low-precision dtype
    (float16 or bfloat16), they run in float32 (the numbers beside them too, which float16 would round first) and
    the result is cast back, rounded once, as PyTorch's fused kernels compute; rounded at each step it was an ulp
    or more off at a third of the values. Other operands pass through as given."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        floating = [v for v in (*args, *kwargs.values()) if isinstance(v, Tensor)
                    and v.backend.xp.isdtype(v.array.dtype, ("real floating", "complex floating"))]
        low = floating[0].array.dtype if floating else None
        if low is None or not is_low_precision(floating[0].backend.xp, low) or any(
                v.array.dtype != low for v in floating):
            return fn(*args, **kwargs)

        def wide(v: Any) -> Any:
            return v.float() if isinstance(v, Tensor) and v.array.dtype == low else v

        out = fn(*(wide(v) for v in args), **{k: wide(v) for k, v in kwargs.items()})
        return out.to(low) if isinstance(out, Tensor) and out.array.dtype == out.backend.xp.float32 else out

    return wrapper  # type: ignore[return-value]
