"""Collating samples into batches.

`collate_host` is the loader's own step: a list of samples to one batch of host arrays (one stacked array per
field), cast and moved by `DataLoader`. `default_collate` and `default_convert` are PyTorch's public functions, for
``collate_fn``s that call them: Tensors out, with PyTorch's structure and dtypes."""

from __future__ import annotations

import collections.abc
import copy
import functools
import re
from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import Tensor
from ..autograd.tensor import tensor
from ..backend import dtype_name, get_backend
from ..functional.type_promotion import promote_types


class CollateMismatchError(ValueError, RuntimeError):
    """Samples that cannot be stacked together (shapes, numbers of fields or backends differ): PyTorch's
    RuntimeError ('stack expects each tensor to be equal size'), and a ValueError."""


class CollateTypeError(TypeError, ValueError):
    """A Tensor field beside something that is not a Tensor: PyTorch's TypeError ('expected Tensor as element 1'),
    and a ValueError."""


def collate_host(samples: Sequence[Any]) -> tuple[Any, ...]:
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
        A field holding None, objects, or strings beside numbers (`CollateTypeError`: a Tensor beside a non-Tensor).
    CollateMismatchError
        A field whose samples differ in shape or backend, samples with different numbers of fields (a ValueError
        and PyTorch's RuntimeError).
    """
    if len(samples) == 0:
        raise ValueError("cannot collate an empty batch")
    first = samples[0]
    if not isinstance(first, (tuple, list)):
        return (_stack([s for s in samples]),)
    width = len(first)
    for s in samples:
        if not isinstance(s, (tuple, list)) or len(s) != width:
            raise CollateMismatchError(f"cannot collate samples with different numbers of fields: {width} and "
                                       f"{len(s) if isinstance(s, (tuple, list)) else 1}")
    fields = (_stack([s[k] for s in samples]) for k in range(width))
    batch = tuple(tuple(f) if is_string_field(f) else f for f in fields)  # PyTorch's tuples of strings
    return type(first)(*batch) if isinstance(first, tuple) and hasattr(type(first), "_fields") else batch


def _stack(values: list[Any]) -> Any:
    """One field's values stacked: a Tensor for Tensors, a list for strings, else a NumPy array."""
    if isinstance(values[0], Tensor):
        be = values[0].backend
        first = values[0].array.dtype
        one_dtype = True
        for i, v in enumerate(values):
            if not isinstance(v, Tensor):
                raise CollateTypeError(f"default_collate: expected a Tensor as element {i} of the batch (element 0 "
                                       f"is one), got {type(v).__name__}")
            if v.backend is not be and v.backend != be:
                raise CollateMismatchError(f"cannot collate a batch mixing backend {be.key!r} with {v.backend.key!r}")
            if v.array.dtype is not first:
                one_dtype = False
        _check_one_shape([tuple(v.shape) for v in values])
        if one_dtype:  # (the usual batch: nothing to promote, no dtype compared per sample)
            arrays = [v.array for v in values]
        else:
            target = _promoted([v.array.dtype for v in values])
            arrays = [v.array if dtype_name(v.array.dtype) == target else be.xp.astype(v.array, be.dtype(target))
                      for v in values]
        return Tensor._make(be.xp.stack(arrays, axis=0), be, None, 0)
    if all(isinstance(v, (str, bytes)) for v in values):
        return list(values)  # as PyTorch: strings and bytes stay a list
    arrays = [np.asarray(v) for v in values]
    for v, a in zip(values, arrays):
        if a.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: a batch must hold Tensors, arrays, numbers, or lists, tuples or dicts "
                            f"of those (strings only beside strings); found {type(v).__name__} {v!r:.40}")
    _check_one_shape([a.shape for a in arrays])
    return np.stack(arrays, axis=0)


def _check_one_shape(shapes: list[tuple[int, ...]]) -> None:
    other = next((shape for shape in shapes if shape != shapes[0]), None)
    if other is not None:
        raise CollateMismatchError(f"default_collate: every sample's field must have the same shape to be stacked, "
                                   f"got shape {shapes[0]} and shape {other}; pad them (nn.utils.rnn.pad_sequence) "
                                   "in a collate_fn")


def _promoted(dtypes: list[Any]) -> str:
    """PyTorch's promotion of a field's dtypes, as its ``stack`` of the samples does (int64 with float32 is float32,
    not NumPy's float64; float32 with float64 float64, not the first sample's)."""
    return functools.reduce(lambda a, b: promote_types(a, b).name, (dtype_name(d) for d in dtypes))


def is_string_field(field: Any) -> bool:
    """A collated field of strings or bytes (kept as a list or tuple, never made a tensor)."""
    return isinstance(field, (list, tuple)) and len(field) > 0 and all(isinstance(v, (str, bytes)) for v in field)


CollateFnMap = dict[Any, Callable[..., Any]]  # a type or a tuple of types -> fn(batch, *, collate_fn_map)


def collate(batch: Sequence[Any], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """PyTorch's ``torch.utils.data._utils.collate.collate``: a list of samples as one batch, level by level, the
    leaves by the function ``collate_fn_map`` holds for their type (the first sample's exact type, else the first key
    it is an instance of, in the map's order; each called as ``fn(batch, collate_fn_map=...)``).

    Containers as PyTorch's: a mapping gives a copy of the first sample's mapping type (a dict where that type cannot
    be copied and updated) with each key collated, a namedtuple its type, a tuple a list of collated fields, any other
    sequence of equal-length samples a copy of its type (a list where that fails). `default_collate` is
    ``collate(batch, collate_fn_map=default_collate_fn_map)``, so an entry added to that map (``default_collate_fn_map
    [MyBox] = collate_boxes``) is read by `default_collate` as well.
    """
    first = batch[0]
    if collate_fn_map is not None:
        if type(first) in collate_fn_map:
            return collate_fn_map[type(first)](batch, collate_fn_map=collate_fn_map)
        for kind in collate_fn_map:
            if isinstance(first, kind):
                return collate_fn_map[kind](batch, collate_fn_map=collate_fn_map)
    if isinstance(first, collections.abc.Mapping):
        return _same_container(first, {key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map)
                                       for key in first})
    if isinstance(first, tuple) and hasattr(type(first), "_fields"):
        return type(first)(*(collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # each field as zip gives it, a tuple, as PyTorch's: a field of strings stays that tuple
        fields = [collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)]
        return fields if isinstance(first, tuple) else _same_container(first, fields)
    raise TypeError(default_collate_err_msg_format.format(type(first)))


def _same_container(like: Any, items: Any) -> Any:
    """``items`` (a dict or a list) in ``like``'s container type, as PyTorch's collate and default_convert keep it: a
    copy of a mutable ``like`` updated in place, else ``type(like)(items)``; ``items`` itself where neither works."""
    try:
        if isinstance(like, (collections.abc.MutableMapping, collections.abc.MutableSequence)):
            clone = copy.copy(like)
            if isinstance(like, collections.abc.MutableMapping):
                clone.update(items)
            else:
                for i, item in enumerate(items):
                    clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:  # a type that cannot be copied, updated or built from its items (range)
        return items


def collate_tensor_fn(batch: Sequence[Tensor], *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Tensors of one shape stacked to ``(N, ...)`` on their backend, in their promoted dtype."""
    return _stack(list(batch))


def collate_numpy_array_fn(batch: Sequence[np.ndarray], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """NumPy arrays as Tensors of their dtype (on the default backend), collated as Tensors through the map."""
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    if collate_fn_map is None or collate_fn_map.get(Tensor, collate_tensor_fn) is collate_tensor_fn:
        arrays = [np.asarray(v) for v in batch]  # stacked on the host, one transfer
        return tensor(_stack(arrays), dtype=_promoted([a.dtype for a in arrays]))
    return collate([tensor(a, dtype=a.dtype.name) for a in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: Sequence[Any], *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """NumPy scalars as a 1-D Tensor of their (promoted) dtype."""
    arrays = [np.asarray(v) for v in batch]
    return tensor(np.stack(arrays), dtype=_promoted([a.dtype for a in arrays]))


def collate_float_fn(batch: Sequence[float], *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python floats as a float64 Tensor, as PyTorch's."""
    return tensor(list(batch), dtype="float64")


def collate_int_fn(batch: Sequence[int], *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python ints (and bools) as ``torch.tensor(batch)`` makes them: [1, 2.5] is float32, [True, 2] int64."""
    return tensor(list(batch))


def collate_str_fn(batch: Sequence[Any], *, collate_fn_map: CollateFnMap | None = None) -> Sequence[Any]:
    """Strings and bytes stay the batch's list."""
    return batch


np_str_obj_array_pattern = re.compile(r"[SaUO]")
default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                                  "lists; found {}")
default_collate_fn_map: CollateFnMap = {
    Tensor: collate_tensor_fn, np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn, float: collate_float_fn, int: collate_int_fn,
    str: collate_str_fn, bytes: collate_str_fn}


_BUILT_IN_COLLATE_FNS = dict(default_collate_fn_map)


def added_collate_types() -> tuple[Any, ...]:
    """The keys of `default_collate_fn_map` a program added or whose function it replaced (PyTorch's DataLoader
    collates through that map, so the loader hands batches holding such types to `default_collate`)."""
    return tuple(kind for kind, fn in default_collate_fn_map.items() if _BUILT_IN_COLLATE_FNS.get(kind) is not fn)


def holds_type(sample: Any, kinds: tuple[Any, ...]) -> bool:
    """Whether ``sample`` or anything inside its mappings and sequences (strings aside) is an instance of ``kinds``
    (each a type or a tuple of types)."""
    if any(isinstance(sample, kind) for kind in kinds):
        return True
    if isinstance(sample, collections.abc.Mapping):
        return any(holds_type(v, kinds) for v in sample.values())
    if isinstance(sample, collections.abc.Sequence) and not isinstance(sample, (str, bytes)):
        return any(holds_type(v, kinds) for v in sample)
    return False


def default_collate(batch: Sequence[Any]) -> Any:
    """PyTorch's ``default_collate``: a list of samples as one batch of Tensors (on the default backend), field by
    field and level by level: `collate` with `default_collate_fn_map` (entries a program adds are read too).

    Tensors are stacked (``(N, ...)``); NumPy arrays and scalars become Tensors of their dtype (float64 stays
    float64), Python floats float64, ints int64, bools bool; strings and bytes stay a list; dicts give a dict
    (nested ones too), namedtuples a namedtuple, other sequences a list of collated fields (equal lengths). The
    `DataLoader` batches through its own host step, with its ``dtype=`` rule (see `DataLoader`), except for samples
    holding a type a program added to the map (or whose function it replaced): those go through this function.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any, *, backend: Any = None) -> Any:
    """PyTorch's ``default_convert`` (the loader's step without batching): NumPy arrays and scalars become Tensors of
    their dtype on ``backend`` (anynn's keyword; the default backend by default), through mappings and sequences
    (their types kept where they can be copied, as `collate` keeps them), namedtuples (kept) and tuples (lists);
    anything else is returned as it is."""
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind in "OUSV":
            return data
        return tensor(data, dtype=data.dtype.name, backend=get_backend(backend))
    if isinstance(data, collections.abc.Mapping):
        return _same_container(data, {key: default_convert(value, backend=backend) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(type(data), "_fields"):
        return type(data)(*(default_convert(value, backend=backend) for value in data))
    if isinstance(data, tuple):  # a plain tuple gives a list, as PyTorch's
        return [default_convert(value, backend=backend) for value in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes, Tensor)):
        return _same_container(data, [default_convert(value, backend=backend) for value in data])
    return data
