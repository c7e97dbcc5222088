"""Window arithmetic helpers (`anynn.functional.windows`): argument parsing and the window indices, which the
windowed ops ask for at every call (the parse has a fast path for ints, the indices are kept once made)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from anynn.functional.windows import ntuple, pair, window_slice


@pytest.mark.parametrize("value, n, want", [(3, 2, (3, 3)), (2, 3, (2, 2, 2)), ((1, 2), 2, (1, 2)),
                                            ([4, 5, 6], 3, (4, 5, 6)), (np.int64(2), 2, (2, 2)),
                                            (True, 2, (True, True)), ((1, True), 2, (1, True))])
def test_ntuple_accepts_ints_and_n_sequences_of_ints(value, n, want):  # NumPy's integers as ints, as PyTorch's
    got = ntuple(value, n, "stride", "conv2d")
    assert got == want and type(got) is tuple and all(type(a) is type(b) for a, b in zip(got, want))


@pytest.mark.parametrize("value", [(1, 2, 3), (1,), (1.0, 2), (1, 2.5), ("a", 1), (None, None), [1, [2]]])
def test_ntuple_refuses_other_lengths_and_non_ints_naming_the_place(value):
    with pytest.raises(ValueError, match=r"conv2d: stride must be an int or a pair of ints, got"):
        ntuple(value, 2, "stride", "conv2d")


@pytest.mark.parametrize("value", [True, (1, False)])
def test_ntuple_without_bools_refuses_them(value):
    want = (value, value) if isinstance(value, bool) else value
    assert ntuple(value, 2, "padding", "ZeroPad2d") == want  # with bools (the default) they pass
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or a 2-sided pair of ints"):
        ntuple(value, 2, "padding", "ZeroPad2d", bools=False, kind="a 2-sided pair")


def test_pair_is_ntuple_of_two():
    assert pair(3, "kernel_size", "conv2d") == (3, 3) and pair([1, 2], "kernel_size", "conv2d") == (1, 2)
    assert pair([3], "stride", "conv2d", one=True) == (3, 3)  # PyTorch's convolutions and pools expand [3]
    with pytest.raises(ValueError, match="conv2d: kernel_size"):
        pair((1, 2, 3), "kernel_size", "conv2d")


def _fresh(offset, count, stride):
    return (Ellipsis,) + tuple(slice(o, o + (c - 1) * s + 1, s) for o, c, s in zip(offset, count, stride))


def test_window_slice_is_the_same_index_each_time_for_tuples_and_lists():
    x = np.arange(7 * 9).reshape(7, 9)
    for offset, count, stride in itertools.product([(0, 0), (1, 2), (2, 0)], [(3, 4), (1, 1)], [(1, 1), (2, 3)]):
        want = _fresh(offset, count, stride)
        for args in [(offset, count, stride), (list(offset), list(count), list(stride)), (offset, count, stride)]:
            got = window_slice(*args)
            assert got == want
            np.testing.assert_array_equal(x[got], x[want])
    assert window_slice((1, 1, 1), (2, 2, 2), (1, 2, 3)) == _fresh((1, 1, 1), (2, 2, 2), (1, 2, 3))  # any rank
