"""`anynn.functional.dtype_kinds.isdtype`: ``xp.isdtype`` from a cache, the same answer on every backend."""

from __future__ import annotations

import numpy as np

from anynn.functional import dtype_kinds
from anynn.functional.dtype_kinds import isdtype

_NAMES = ("float32", "float64", "int8", "int32", "int64", "uint8", "bool")
_KINDS = ("real floating", "integral", "bool", "signed integer", "unsigned integer", "numeric", ("integral", "bool"))


def test_the_answers_of_the_backends_own_isdtype(backend):
    xp = backend.xp
    for _ in range(2):  # the second round answers from the cache
        for name in _NAMES:
            dtype = backend.dtype(name)
            for kind in _KINDS:
                assert isdtype(xp, dtype, kind) == xp.isdtype(dtype, kind), (name, kind)


def test_one_dtype_asked_through_two_namespaces_and_more_dtypes_than_the_cache_holds():
    import array_api_compat.numpy as compat_numpy

    f32 = np.dtype("float32")
    for xp in (np, compat_numpy, np, compat_numpy):
        assert isdtype(xp, f32, "real floating") and not isdtype(xp, f32, "integral")
    swapped = [np.dtype(np.int16).newbyteorder(">") for _ in range(300)]  # a new object each
    assert all(isdtype(np, d, "integral") and not isdtype(np, d, "real floating") for d in swapped)
    assert len(dtype_kinds._ANSWERS) <= 256
