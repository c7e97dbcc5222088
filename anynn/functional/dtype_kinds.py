"""``xp.isdtype`` answered from a cache: the loss checks ask it at every call, and NumPy's (and
array-api-compat's) ``isdtype`` is Python code that costs more than the check it serves."""

from __future__ import annotations

from typing import Any

# (id(dtype), kind) -> (dtype, xp, answer): the entry holds the dtype and the namespace, so their ids cannot be
# reused while it lives, and the identity tests make a stale entry harmless; bounded, for dtypes made on the fly
_ANSWERS: dict[tuple[int, Any], tuple[Any, Any, bool]] = {}


def isdtype(xp: Any, dtype: Any, kind: str | tuple[str, ...]) -> bool:
    """``xp.isdtype(dtype, kind)`` (``kind``: a standard kind name such as ``"real floating"``, or a tuple)."""
    key = (id(dtype), kind)
    hit = _ANSWERS.get(key)
    if hit is not None and hit[0] is dtype and hit[1] is xp:
        return hit[2]
    answer = bool(xp.isdtype(dtype, kind))
    if len(_ANSWERS) >= 256:
        _ANSWERS.clear()
    _ANSWERS[key] = (dtype, xp, answer)
    return answer
