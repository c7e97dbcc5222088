"""A step's arguments and results as (arrays, spec): the arrays cross the compiled call, the spec rebuilds.

A spec is a hashable description: ``("T", requires_grad, backend)`` for a `Tensor` (its array is a leaf),
``("A",)`` for a bare array, ``(kind, specs)`` for tuples, lists and dicts, ``("C", value)`` for anything
else (a Python constant of the program). Argument specs are part of a compiled program's cache key,
together with each array's shape and dtype, so a new shape compiles once more and is then cached.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..autograd.tensor import Tensor, make_tensor


def _is_array(obj: Any) -> bool:
    return hasattr(obj, "shape") and hasattr(obj, "dtype") and not isinstance(obj, (int, float, complex, bool))


def split(obj: Any, leaves: list[Any], keyed: bool = True) -> Any:
    """Append ``obj``'s arrays to ``leaves``; return its spec (with shapes and dtypes when ``keyed``)."""
    if isinstance(obj, Tensor):
        data = obj.array
        leaves.append(data)
        facts = (data.shape, data.dtype) if keyed else ()
        return ("T", obj.requires_grad and keyed, obj.backend) + facts  # results come back as plain tensors
    if _is_array(obj):
        leaves.append(obj)
        return ("A", obj.shape, obj.dtype) if keyed else ("A",)
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(split(item, leaves, keyed) for item in obj))
    if isinstance(obj, dict):
        return ("dict", tuple(obj), tuple(split(value, leaves, keyed) for value in obj.values()))
    if keyed:
        try:
            hash(obj)
        except TypeError:
            raise TypeError(f"anynn.compile: a compiled step's arguments must be tensors, arrays, numbers, strings "
                            f"or tuples/lists/dicts of them; got an unhashable {type(obj).__name__}") from None
    return ("C", obj)


def join(spec: Any, leaves: Iterator[Any]) -> Any:
    """The object `split` described, with the next arrays of ``leaves`` in place of its arrays."""
    kind = spec[0]
    if kind == "T":
        t = make_tensor(next(leaves), spec[2], None, 0)
        t._requires_grad = spec[1]
        return t
    if kind == "A":
        return next(leaves)
    if kind == "tuple":
        return tuple(join(s, leaves) for s in spec[1])
    if kind == "list":
        return [join(s, leaves) for s in spec[1]]
    if kind == "dict":
        return {k: join(s, leaves) for k, s in zip(spec[1], spec[2])}
    return spec[1]
