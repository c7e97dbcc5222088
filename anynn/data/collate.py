"""`default_collate`: a list of samples to one batch (a tuple with one stacked array per field)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd import Tensor


def default_collate(samples: Sequence[Any]) -> tuple[Any, ...]:
    """Stack a list of samples field by field.

    Parameters
    ----------
    samples : list
        Each sample is a tuple/list of fields (arrays, numbers or Tensors) or a single field.

    Returns
    -------
    tuple
        One batched array per field (a namedtuple of them for namedtuple samples, as PyTorch's): ``(N, ...)``
        NumPy arrays for host fields, Tensors (stacked on their backend) for Tensor fields; a field of strings
        stays a tuple of them (a list for single-field samples), as in PyTorch.

    Raises
    ------
    TypeError
        A field holding None, objects, or strings beside numbers.
    ValueError
        A field whose samples differ in shape.
    """
    if len(samples) == 0:
        raise ValueError("cannot collate an empty batch")
    first = samples[0]
    if not isinstance(first, (tuple, list)):
        return (_stack([s for s in samples]),)
    width = len(first)
    for s in samples:
        if not isinstance(s, (tuple, list)) or len(s) != width:
            raise ValueError(f"cannot collate samples with different numbers of fields: {width} and "
                             f"{len(s) if isinstance(s, (tuple, list)) else 1}")
    fields = (_stack([s[k] for s in samples]) for k in range(width))
    batch = tuple(tuple(f) if is_string_field(f) else f for f in fields)  # PyTorch's tuples of strings
    return type(first)(*batch) if isinstance(first, tuple) and hasattr(type(first), "_fields") else batch


def _stack(values: list[Any]) -> Any:
    if isinstance(values[0], Tensor):
        be = values[0].backend
        for v in values:
            if not isinstance(v, Tensor) or v.backend != be:
                other = v.backend.key if isinstance(v, Tensor) else type(v).__name__
                raise ValueError(f"cannot collate a batch mixing backend {be.key!r} with {other!r}")
        return Tensor._make(be.xp.stack([v.array for v in values], axis=0), be, None, 0)
    if all(isinstance(v, str) for v in values):
        return list(values)  # as PyTorch: strings stay a list
    arrays = [np.asarray(v) for v in values]
    for v, a in zip(values, arrays):
        if a.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: a batch must hold Tensors, arrays, numbers, or lists, tuples or dicts "
                            f"of those (strings only beside strings); found {type(v).__name__} {v!r:.40}")
    other = next((a.shape for a in arrays if a.shape != arrays[0].shape), None)
    if other is not None:
        raise ValueError(f"default_collate: every sample's field must have the same shape to be stacked, got "
                         f"shape {arrays[0].shape} and shape {other}; pad them (nn.utils.rnn.pad_sequence) in a "
                         f"collate_fn")
    return np.stack(arrays, axis=0)


def is_string_field(field: Any) -> bool:
    """A collated field of strings (kept as a list or tuple, never made a tensor)."""
    return isinstance(field, (list, tuple)) and len(field) > 0 and all(isinstance(v, str) for v in field)
