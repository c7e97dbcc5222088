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
        One batched array per field: ``(N, ...)`` NumPy arrays for host fields, Tensors (stacked on
        their backend) for Tensor fields.
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
    return tuple(_stack([s[k] for s in samples]) for k in range(width))


def _stack(values: list[Any]) -> Any:
    if isinstance(values[0], Tensor):
        be = values[0].backend
        for v in values:
            if not isinstance(v, Tensor) or v.backend != be:
                other = v.backend.key if isinstance(v, Tensor) else type(v).__name__
                raise ValueError(f"cannot collate a batch mixing backend {be.key!r} with {other!r}")
        return Tensor._make(be.xp.stack([v.array for v in values], axis=0), be, None, 0)
    return np.stack([np.asarray(v) for v in values], axis=0)
