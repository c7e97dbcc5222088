"""Indexing: ints, slices with steps, None, Ellipsis, integer arrays (duplicates accumulate), boolean masks,
take_rows: a float64 gradient check on every backend, forward + input gradients against PyTorch in float32 and
float64, and seeded random indexes against PyTorch (NumPy where PyTorch refuses negative steps) on every
backend."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import BackendMismatch
from anynn.functional import shape as S

from tests.functional.samples import DTYPES, sample, tolerances
from tests.helpers import check_gradients, compare_with_torch, make, oracle_tolerance, rand_shape


# -- basic indexing: ints, slices, steps, Ellipsis, None -----------------------------------------------
INDEX_OPS = [
    ("int", lambda x: x[1], lambda t: t[1]),
    ("negative_int", lambda x: x[-1, 0], lambda t: t[-1, 0]),
    ("element", lambda x: x[1, 2, 0], lambda t: t[1, 2, 0]),
    ("slices", lambda x: x[:, 1:3], lambda t: t[:, 1:3]),
    ("step_slice", lambda x: x[:, ::2], lambda t: t[:, ::2]),
    ("ellipsis", lambda x: x[..., 1], lambda t: t[..., 1]),
    ("none_axis", lambda x: x[None, 0], lambda t: t[None, 0]),
    ("none_middle", lambda x: x[:, None, 1:], lambda t: t[:, None, 1:]),
    ("true", lambda x: x[True], lambda t: t[True]),  # a Python True is a new axis, not index 1
    ("true_middle", lambda x: x[1, True, ::2], lambda t: t[1, True, ::2]),
    # a Python False (or a 0-d False mask) is a new axis of size 0, several bools one axis (refused before)
    ("false", lambda x: x[False], lambda t: t[False]),
    ("false_middle", lambda x: x[1, False, ::2], lambda t: t[1, False, ::2]),
    ("false_after_ellipsis", lambda x: x[..., False, None], lambda t: t[..., False, None]),
    ("true_and_false", lambda x: x[True, :, False], lambda t: t[True, :, False]),
    ("mask_0d_true", lambda x: x[anynn.tensor(True, device=x.device)], lambda t: t[torch.tensor(True)]),
    ("mask_0d_false", lambda x: x[0, anynn.tensor(False, device=x.device)], lambda t: t[0, torch.tensor(False)]),
]


@pytest.mark.parametrize("name,ours,theirs", INDEX_OPS, ids=[s[0] for s in INDEX_OPS])
def test_index_gradients_and_torch(backend, name, ours, theirs):
    x = sample("any", (2, 3, 2))
    check_gradients(backend, ours, x)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, x.astype(dtype), **tolerances(dtype))


@pytest.mark.parametrize("index_shape", [(5,), (2, 3)], ids=str)
def test_take_rows_with_duplicate_indices(backend, index_shape):
    rng = np.random.default_rng(0)
    index = np.array([0, 2, 0, 0, 3, 2])[: int(np.prod(index_shape))].reshape(index_shape)
    x = rng.standard_normal((4, 3))

    def ours(t):
        return S.take_rows(t, make(backend, index))

    check_gradients(backend, ours, x)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, lambda t: t[torch.tensor(index)], x.astype(dtype), **tolerances(dtype))
    # through Tensor.__getitem__, with a Tensor and with a native array index
    t = make(backend, x, requires_grad=True)
    t[make(backend, index)].sum().backward()
    counts = np.bincount(index.ravel(), minlength=4)[:, None] * np.ones((1, 3))
    np.testing.assert_allclose(t.grad.numpy(), counts)
    np.testing.assert_allclose(t[backend.from_host(index)].numpy(), x[index])


def test_getitem_with_a_list_of_rows(backend):
    x = sample("any", (4, 3))
    t = make(backend, x, requires_grad=True)
    t[[3, 0, 3]].sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.array([[1.0] * 3, [0] * 3, [0] * 3, [2] * 3]))


def test_getitem_boolean_mask_as_in_torch_and_float_index_refused(backend):
    x = sample("any", (4, 3))
    t = make(backend, x)
    np.testing.assert_allclose(t[t > 0.0].numpy(), x[x > 0.0])  # a mask selects, as in PyTorch and NumPy
    # PyTorch truncates a list of floats (deprecated) but refuses float tensors: anynn refuses both, as the latter
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        t[[0.5, 1.0]]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        torch.from_numpy(x)[torch.tensor([0.5, 1.0])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        t[make(backend, np.array([0.5, 1.0]))]
    # index arrays that do not broadcast: PyTorch's IndexError (NumPy's ValueError before), reading and writing
    for index in (([0, 1, 2], [0, 1]), (t[:, 0] > 0.0, [[0, 1], [1, 0]])):
        for call in (t.__getitem__, lambda i: t.__setitem__(i, 1.0)):
            with pytest.raises(IndexError, match="shape mismatch: indexing tensors could not be broadcast"):
                call(index)
    with pytest.raises(IndexError, match="shape mismatch: indexing tensors could not be broadcast"):
        torch.from_numpy(x)[[0, 1, 2], [0, 1]]


def test_indexing_a_0_dim_tensor_refused_with_torchs_hint(backend):
    """``loss.data[0]`` (pre-0.4 PyTorch programs, PyTorch-GAN's BEGAN): PyTorch's IndexError names ``item()``."""
    t = make(backend, np.array(1.5))
    with pytest.raises(IndexError, match=r"invalid index of a 0-dim tensor. Use `tensor.item\(\)`"):
        torch.tensor(1.5)[0]
    with pytest.raises(IndexError, match=r"invalid index of a 0-dim tensor. Use `tensor.item\(\)`"):
        t.data[0]
    with pytest.raises(IndexError, match="too many indices"):
        make(backend, np.zeros(3))[0, 1]


class _Unindexable:
    pass


WRONG_INDICES = {  # index -> the refusal's class (PyTorch's)
    "float": (1.0, IndexError), "float_in_tuple": ((0, 1.5), IndexError),
    "ellipsis_and_float": ((..., 2.0), IndexError),
    "numpy_float": (np.float64(1.0), IndexError), "dict": ({1: 2}, IndexError), "object": (_Unindexable(), IndexError),
    "type": (int, IndexError), "string": ("a", TypeError), "float_slice": (slice(0.5, 2), TypeError),
}


@pytest.mark.parametrize("case", WRONG_INDICES)
def test_wrong_index_types_refused_as_torch_naming_the_index(backend, case):
    index, error = WRONG_INDICES[case]
    x = sample("any", (3, 4))
    t = make(backend, x)
    with pytest.raises(error):
        torch.from_numpy(x)[index]
    with pytest.raises(error):
        torch.from_numpy(x)[index] = 0.0
    expected = r"slice indices must be integers" if case == "float_slice" else rf"^index {re.escape(repr(index))}: "
    with pytest.raises(error, match=expected):
        t[index]
    with pytest.raises(error, match=expected):
        t[index] = 0.0


MASK_INDICES = {  # (mask shape, where the mask goes) on a (3, 4) tensor: the mask must match the axes it covers
    "rows_short": ((2,), lambda m: m), "rows": ((3,), lambda m: m), "columns_as_rows": ((4,), lambda m: m),
    "columns": ((4,), lambda m: (slice(None), m)), "columns_after_ellipsis": ((4,), lambda m: (Ellipsis, m)),
    "rows_before_ellipsis": ((3,), lambda m: (m, Ellipsis)), "rows_after_none": ((3,), lambda m: (None, m)),
    "whole": ((3, 4), lambda m: m), "whole_transposed": ((4, 3), lambda m: m),
}


@pytest.mark.parametrize("name", sorted(MASK_INDICES))
def test_a_boolean_mask_must_match_the_axes_it_covers_as_in_torch(backend, name):
    shape, where = MASK_INDICES[name]
    x = sample("any", (3, 4))
    mask = np.resize(np.array([True, False, True]), shape)
    try:
        expected = torch.tensor(x)[where(torch.tensor(mask))].numpy()
    except IndexError:
        with pytest.raises(IndexError, match="the shape of the mask"):
            make(backend, x)[where(make(backend, mask))]
        return
    np.testing.assert_array_equal(make(backend, x)[where(make(backend, mask))].numpy(), expected)


def test_getitem_uint8_index_is_a_mask_as_in_torch(backend):
    # PyTorch (with a deprecation warning) selects with a uint8 index as with a mask, not by positions
    x, mask = sample("any", (4, 3)), np.array([1, 0, 2, 1], dtype=np.uint8)
    with pytest.warns(UserWarning, match="uint8"):
        out = make(backend, x)[make(backend, mask)]
    with pytest.warns(UserWarning, match="uint8"):
        ref = torch.tensor(x)[torch.tensor(mask)]
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert tuple(make(backend, x)[False].shape) == tuple(torch.tensor(x)[False].shape) == (0, 4, 3)


def test_getitem_with_numpy_integer(backend):
    t = make(backend, sample("any", (4, 3)))
    np.testing.assert_allclose(t[np.int64(2)].numpy(), t.numpy()[2])


def test_take_rows_refuses_indices_of_another_backend():
    x = make("torch", sample("any", (4, 3)))
    with pytest.raises(BackendMismatch, match="take_rows"):
        S.take_rows(x, np.array([0, 1]))
    with pytest.raises(BackendMismatch, match="take_rows"):
        S.take_rows(x, make("numpy", np.array([0, 1])))


# -- a range indexes as a list of ints, as in PyTorch (x[range(n), y] = x.max()) ----------------------
def test_range_index_get_and_set_as_torch(backend):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.array([1, 0, 3])
    x, xt = make(backend, a), torch.tensor(a)
    np.testing.assert_array_equal(x[range(3), make(backend, y)].numpy(), xt[range(3), torch.tensor(y)].numpy())
    np.testing.assert_array_equal(x[range(1, 3)].numpy(), xt[range(1, 3)].numpy())
    x2, xt2 = x.clone(), xt.clone()
    x2[range(3), make(backend, y)] = x.max()
    xt2[range(3), torch.tensor(y)] = xt.max()
    np.testing.assert_array_equal(x2.numpy(), xt2.numpy())


def test_a_list_holding_sequences_indexes_as_a_tuple_as_torch(backend):
    """PyTorch (as NumPy once did) reads a list index holding a list, slice, ... or None as a tuple, with its
    deprecation warning: x[[[0], [1]]] is x[[0], [1]] (anynn read it as one 2-D index array before)."""
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for index in ([[0], [1]], [0, [1, 2]], [[0, 1], slice(None)]):
        x, xt = make(backend, a), torch.tensor(a)
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            ours = x[index]
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            expected = xt[index]
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            x[index] = -1.0
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            xt[index] = -1.0
        np.testing.assert_array_equal(x.numpy(), xt.numpy())


# -- seeded random indexes against PyTorch on every backend --------------------------------------------
def _index_oracle(backend, x: np.ndarray, index: Any, dtype: str, what: str) -> None:
    """Forward and gradient against PyTorch; where torch refuses the index (negative steps), against
    NumPy's indexing and ``np.add.at`` (duplicates accumulate)."""
    t = make(backend, x, True)
    parts = index if isinstance(index, tuple) else (index,)
    host = tuple(i.numpy() if isinstance(i, anynn.Tensor) else i for i in parts)
    try:
        tx = torch.tensor(x, requires_grad=True)
        tref = tx[tuple(torch.tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in host)]
    except (ValueError, IndexError, TypeError):
        tx = tref = None
    out = t[index]
    ref = x[host] if tref is None else tref.detach().numpy()
    np.testing.assert_allclose(out.numpy(), ref, **oracle_tolerance(dtype), err_msg=f"forward {what}")
    assert tuple(out.shape) == ref.shape, f"{what}: {out.shape} vs {ref.shape}"
    w = np.random.default_rng(0).standard_normal(ref.shape).astype(dtype)
    (out * make(backend, w)).sum().backward()
    if tref is None:
        expected = np.zeros_like(x)
        np.add.at(expected, host, w)
    else:
        (tref * torch.tensor(w)).sum().backward()
        expected = tx.grad.numpy()
    np.testing.assert_allclose(t.grad.numpy(), expected, **oracle_tolerance(dtype), err_msg=f"gradient {what}")


def _rand_slice(rng: np.random.Generator, n: int) -> slice:
    step = int(rng.choice([1, 2, 3, -1, -2, None]) or 0) or None
    start = None if rng.random() < 0.4 else int(rng.integers(-n - 1, n + 1))
    stop = None if rng.random() < 0.4 else int(rng.integers(-n - 1, n + 1))
    return slice(start, stop, step)


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_slices_steps_ints_none_ellipsis(backend, dtype):
    rng = np.random.default_rng(6)
    for _ in range(25):
        shape = rand_shape(rng, min_rank=1, max_dim=5)
        x = rng.standard_normal(shape).astype(dtype)
        parts: list[Any] = []
        for n in shape:
            r = rng.random()
            parts.append(int(rng.integers(-n, n)) if r < 0.25 else _rand_slice(rng, n))
        if rng.random() < 0.3:
            parts.insert(int(rng.integers(0, len(parts) + 1)), None)
        if rng.random() < 0.3 and len(parts) > 1:
            parts = [Ellipsis] + parts[2:]
        index = tuple(parts) if len(parts) != 1 or rng.random() < 0.5 else parts[0]
        _index_oracle(backend, x, index, dtype, what=f"{shape}[{index}]")


def test_a_second_ellipsis_is_taken_as_torch(backend):
    """PyTorch takes x[..., ...] (x) and x[..., None, ...]; an index after the second ... is past the last axis:
    IndexError (anynn refused every second ellipsis, as NumPy)."""
    x = np.arange(6.0).reshape(2, 3)
    for index in ((Ellipsis, Ellipsis), (Ellipsis, None, Ellipsis), (None, Ellipsis, Ellipsis),
                  (0, Ellipsis, Ellipsis)):
        _index_oracle(backend, x, index, "float64", what=f"[{index}]")
    t = make(backend, x)
    t[..., ...] = 1.0
    assert t.sum().item() == 6.0
    for y in (torch.tensor(x), t):
        with pytest.raises(IndexError):
            y[..., ..., 0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_integer_arrays(backend, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3, 5)).astype(dtype)
    rows = [2, 0, 2, -1]
    cases = [
        rows,
        (rows,),
        np.array([[1, 3], [3, 3]]),
        (slice(None), [0, 2, 2]),
        (Ellipsis, [4, 0, 4]),
        ([0, 1, 1], [2, 0, 2]),
        ([0, 3], slice(1, None), [4, 4]),
        (1, slice(None), [1, 2]),
        ([1, 2], 0),
        (slice(None, None, 2), [1, 1], slice(1, 4)),
        ([0, 1], None, [1, 2]),
        (slice(None), [0, 1], None, [1, 2]),
        ([[0, 1]], slice(None), [[1], [2]]),
        (None, [0, 1], [1, 2]),
        ([1, 2], 0, [3, 3]),
        (np.array([True, False, True, True]),),
        (slice(None), np.array([True, False, True])),
        (np.array([[True, False, True], [False, False, True], [True, True, True], [False, False, False]]),),
        (slice(None, None, -1), [0, 2]),
        (np.array(2),),
        ([],),
        # a bool beside index arrays is one more of them, of shape (1,) or (0,) (refused before)
        (True, [0, 1]),
        (0, False, [1]),
        ([1, 2], Ellipsis, np.array(True)),
        # a 0-d integer index beside index arrays selects as an int, first (it led the result as one more array)
        (np.array(1), None, [1, 2]),
        (np.array(0), Ellipsis, True),
    ]
    for index in cases:
        if isinstance(index, np.ndarray):
            index = make(backend, index)
        _index_oracle(backend, x, index, dtype, what=f"[{index}]")


@pytest.mark.parametrize("index, value_shape", [(0, (3,)), (slice(None), (2,)), ((slice(None), [0, 2]), (3, 3)),
                                                (0, (2, 4))])
def test_setitem_of_a_value_that_does_not_broadcast_names_both_shapes_as_torch(backend, index, value_shape):
    with pytest.raises(RuntimeError):  # PyTorch: "shape mismatch" or "The expanded size of the tensor"
        torch.zeros(3, 4)[index] = torch.ones(value_shape)
    x = make(backend, np.zeros((3, 4), np.float32))
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape .* cannot be broadcast to indexing "
                                           r"result of shape") as info:
        x[index] = make(backend, np.ones(value_shape, np.float32))
    assert isinstance(info.value, ValueError)  # anynn's class for a wrong shape too
    np.testing.assert_array_equal(x.numpy(), np.zeros((3, 4)))
    x[0] = make(backend, np.ones((1, 1, 4), np.float32))  # leading ones broadcast away, as in PyTorch
    np.testing.assert_array_equal(x.numpy()[0], np.ones(4))


def test_setitem_at_a_bare_false_changes_nothing_as_torch(backend):
    """PyTorch's ``y[False] = v`` returns at once: no node (v.grad stays None; anynn's was zeros) and no shape check."""
    theirs = torch.zeros(3, 4, requires_grad=True) * 1
    theirs[False] = torch.ones(7)
    v = make(backend, np.ones(4, np.float32), requires_grad=True)
    y = make(backend, np.zeros((3, 4), np.float32), requires_grad=True) * 1
    y[False] = v
    y[False] = make(backend, np.ones(7, np.float32))
    y.sum().backward()
    assert v.grad is None and theirs.grad_fn.name() == "MulBackward0"


def test_setitem_of_a_list_none_or_str_is_pytorchs_type_error():
    # x[0] = None filled NaN, a list was read as an array, a str raised NumPy's ValueError; PyTorch: "can't assign a
    # list to a torch.FloatTensor"
    for value in ([1.0, 2.0, 3.0, 4.0], (1.0,), None, "a"):
        for lib in (torch, anynn):
            with pytest.raises(TypeError, match="can't assign a"):
                lib.zeros(2, 4)[0] = value


def test_setitem_of_one_value_at_a_uint8_mask_is_refused_as_torch(backend):
    """PyTorch writes ``x[mask] = v`` of one element with masked_fill_, which refuses a uint8 mask (anynn wrote it);
    a value of more elements, or the mask beside an index array, is still taken as a (deprecated) mask."""
    for index, value in [("m", 0.0), ("m", "0-d"), (("m", 0), True), ((Ellipsis, "m"), "(1,)")]:
        outcomes = []
        for new in (torch.tensor, lambda a: make(backend, np.asarray(a))):
            mask = new(np.array([1, 0, 1, 0], np.uint8))
            parts = tuple(mask if i == "m" else i for i in (index if isinstance(index, tuple) else (index,)))
            v = {"0-d": new(np.float32(5)), "(1,)": new(np.ones(1, np.float32))}.get(value, value)
            with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype "
                                                   "unsigned char"):
                new(np.zeros((4, 4), np.float32))[parts if len(parts) > 1 else parts[0]] = v
            x = new(np.zeros((4, 2), np.float32))
            with pytest.warns(UserWarning, match="indexing with dtype .*uint8 is now deprecated"):
                x[mask, 0] = new(np.array([1.0, 2.0], np.float32))
            outcomes.append(np.asarray(x.tolist()))
        np.testing.assert_array_equal(*outcomes)


@pytest.mark.parametrize("mask", [[False, False, False, False], [False, True, False, True]], ids=["none", "some"])
def test_masked_write_into_a_strided_clone_as_torch(backend, mask):
    """An all-False mask writes nothing: on the torch backend the unchanged array (a view of a transposed clone) was
    written back into itself, which PyTorch refuses ('refer to a single memory location')."""
    values = np.arange(4.0).reshape(1, 4, 1)
    ours = make(backend, values).transpose(-1, -2).clone()
    theirs = torch.tensor(values).transpose(-1, -2).clone()
    ours[make(backend, np.array([[mask]]))] = 2.0
    theirs[torch.tensor([[mask]])] = 2.0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
