"""`assert_close`: PyTorch's ``torch.testing.assert_close`` for anynn tensors (any backend), NumPy arrays, Python
numbers and sequences / mappings of them.

A host-side test helper: values are brought to the host with NumPy and compared there, with PyTorch's default
tolerances by dtype, its closeness rule (``|actual - expected| <= atol + rtol * |expected|``, infinities equal only
to themselves, NaN equal to NaN with ``equal_nan``) and its messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .autograd.tensor import Tensor
from .backend import dtype_name

# PyTorch's defaults (rtol, atol); every other dtype compares exactly
DEFAULT_TOLERANCES = {
    "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7),
}
_NUMBER_DTYPES = {bool: "bool", int: "int64", float: "float64", complex: "complex128"}


class _Mismatch(AssertionError):
    pass


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

    Tensors must agree in shape, and unless switched off in dtype and device (backend); their values are close
    when ``|actual - expected| <= atol + rtol * |expected|`` elementwise. Without ``rtol``/``atol`` (give both or
    neither) the tolerances are PyTorch's for the dtype (float32: 1.3e-6 / 1e-5, float64: 1e-7 / 1e-7, float16:
    1e-3 / 1e-5, bfloat16: 1.6e-2 / 1e-5; integers and booleans exactly), the larger of the two dtypes' when they
    differ. Sequences and mappings are compared item by item; the message names the item. ``msg`` replaces the
    message (a callable receives the generated one). ``allow_subclasses``, ``check_layout`` and ``check_stride``
    are accepted for PyTorch's signature (anynn tensors are all dense, of one class).
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, (), rtol, atol, equal_nan, check_device, check_dtype)
    except _Mismatch as error:
        text = str(error)
        raise AssertionError(msg if isinstance(msg, str) else msg(text) if callable(msg) else text) from None


# `assert_allclose`'s own defaults (rtol, atol), PyTorch's before assert_close; every other dtype compares exactly
ALLCLOSE_TOLERANCES = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """PyTorch's deprecated ``torch.testing.assert_allclose`` (a FutureWarning, as PyTorch's): `assert_close` with
    dtypes free to differ, NaN equal to NaN by default, and its older tolerances (float32: 1e-4 / 1e-5, float64:
    1e-5 / 1e-8, float16: 1e-3 / 1e-3; the larger of the two tensors'). A non-Tensor ``actual`` becomes a tensor,
    a non-Tensor ``expected`` one of ``actual``'s dtype and backend."""
    import warnings

    from .factories import tensor as make

    warnings.warn("torch.testing.assert_allclose() is deprecated (as in PyTorch since 1.12); use "
                  "anynn.testing.assert_close()", FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = make(actual)
    if not isinstance(expected, Tensor):
        expected = make(expected, dtype=actual.dtype, backend=actual.backend)
    if rtol is None and atol is None:
        names = dtype_name(actual.dtype), dtype_name(expected.dtype)
        rtol, atol = (max(values) for values in zip(*(ALLCLOSE_TOLERANCES.get(n, (0.0, 0.0)) for n in names)))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)


def _where(path: tuple[Any, ...]) -> str:
    return f"\n\nThe failure occurred for item {''.join(f'[{key!r}]' for key in path)}" if path else ""


def _compare(actual: Any, expected: Any, path: tuple[Any, ...], rtol: float | None, atol: float | None,
             equal_nan: bool, check_device: bool, check_dtype: bool) -> None:
    leaf_types = (Tensor, np.ndarray, bool, int, float, complex, np.generic)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        missing, extra = sorted(set(expected) - set(actual), key=repr), sorted(set(actual) - set(expected), key=repr)
        if missing or extra:
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: {missing}\n"
                            f"Additional keys in the actual mapping: {extra}{_where(path)}")
        for key in expected:
            _compare(actual[key], expected[key], path + (key,), rtol, atol, equal_nan, check_device, check_dtype)
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence) and not isinstance(actual, str)
            and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}{_where(path)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), rtol, atol, equal_nan, check_device, check_dtype)
        return
    kinds = [next((k for k in (Tensor, np.ndarray) if isinstance(v, k)), None) for v in (actual, expected)]
    numbers = [type(v) in _NUMBER_DTYPES for v in (actual, expected)]
    if not (isinstance(actual, leaf_types) and isinstance(expected, leaf_types)) or (
            kinds[0] is not kinds[1] or (kinds[0] is None and not all(numbers))):
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    if kinds[0] is None:
        if check_dtype and type(actual) is not type(expected):
            raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.{_where(path)}")
        pair = tuple((np.asarray(v), _NUMBER_DTYPES[type(v)]) for v in (actual, expected))
    else:
        pair = _host(actual), _host(expected)
    (a, a_dtype), (e, e_dtype) = pair
    if kinds[0] is not None:
        if a.shape != e.shape:
            raise _Mismatch(f"The values for attribute 'shape' do not match: {_size(a.shape, kinds[0])} != "
                            f"{_size(e.shape, kinds[0])}.{_where(path)}")
        if check_device and kinds[0] is Tensor and actual.backend != expected.backend:
            raise _Mismatch(f"The values for attribute 'device' do not match: {actual.device} != {expected.device} "
                            f"(backends {actual.backend.key!r} and {expected.backend.key!r}).{_where(path)}")
        if check_dtype and a_dtype != e_dtype:
            raise _Mismatch(f"The values for attribute 'dtype' do not match: {a_dtype} != {e_dtype}.{_where(path)}")
    if rtol is None or atol is None:
        rtol, atol = (max(values) for values in zip(DEFAULT_TOLERANCES.get(a_dtype, (0.0, 0.0)),
                                                    DEFAULT_TOLERANCES.get(e_dtype, (0.0, 0.0))))
    _compare_values(a, e, rtol, atol, equal_nan, scalar=kinds[0] is None or a.ndim == 0, path=path)


def _host(value: Any) -> tuple[np.ndarray, str]:
    if isinstance(value, Tensor):
        name = dtype_name(value.dtype)
        array = value.detach()
        return np.asarray((array.float() if name == "bfloat16" else array).numpy()), name
    return value, value.dtype.name


def _size(shape: tuple[int, ...], kind: Any) -> str:
    return f"anynn.Size({list(shape)})" if kind is Tensor else str(shape)


def _compare_values(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, equal_nan: bool, scalar: bool,
                    path: tuple[Any, ...]) -> None:
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu"
    if exact:
        a, e = a.astype(np.int64), e.astype(np.int64)
    else:
        common = np.result_type(a.dtype, e.dtype)  # PyTorch compares in the promoted dtype (float32 stays)
        a, e = a.astype(common), e.astype(common)
    with np.errstate(invalid="ignore", over="ignore"):
        difference = np.abs(a - e)
        matches = (a == e) | (np.isfinite(difference) & (difference <= atol + rtol * np.abs(e)))
        if equal_nan and not exact:
            matches |= np.isnan(a) & np.isnan(e)
    if bool(np.all(matches)):
        return
    equality = rtol == 0 and atol == 0
    heading = f"{'Scalars' if scalar else 'Tensor-likes'} are not {'equal' if equality else 'close'}!\n\n"
    with np.errstate(divide="ignore", invalid="ignore"):
        # integers: PyTorch's true division gives its default float32
        relative = (difference.astype(np.float32) / np.abs(e).astype(np.float32) if exact
                    else difference / np.abs(e))
        relative = np.where(matches, 0, relative)
    difference = np.where(matches, 0, difference)
    if scalar:
        lines = [f"Expected {e.item()} but got {a.item()}.", _diff("Absolute difference", difference.item(), atol),
                 _diff("Relative difference", relative.item(), rtol)]
    else:
        mismatches = int(matches.size - np.count_nonzero(matches))
        abs_at = int(np.argmax(np.where(np.isnan(difference), np.inf, difference).ravel()))
        rel_at = int(np.argmax(np.where(np.isnan(relative), np.inf, relative).ravel()))
        where = [tuple(int(i) for i in np.unravel_index(k, a.shape)) for k in (abs_at, rel_at)]
        lines = [f"Mismatched elements: {mismatches} / {matches.size} ({mismatches / matches.size:.1%})",
                 _diff("Greatest absolute difference", difference.ravel()[abs_at].item(), atol, where[0]),
                 _diff("Greatest relative difference", relative.ravel()[rel_at].item(), rtol, where[1])]
    raise _Mismatch(heading + "\n".join(lines) + _where(path))


def _diff(label: str, value: Any, tolerance: float, index: tuple[int, ...] | None = None) -> str:
    text = f"{label}: {value}" + ("" if index is None else f" at index {index}")
    return text + (f" (up to {tolerance} allowed)" if tolerance > 0 else "")


__all__ = ["DEFAULT_TOLERANCES", "assert_close"]
