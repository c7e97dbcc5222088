"""The factories' shape forms as PyTorch's (torch 2.13 the oracle): zeros/ones/empty/rand/randn/full with
positional sizes, one tuple/list/Size, or the ``size=`` keyword; randint's (high, size) and (low, high, size) forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import dtype_name
from tests.helpers import make

SIZE = object()  # stands for anynn.Size / torch.Size of the next entry
SHAPE_FORMS = [
    ("ints", (2, 3), {}),
    ("one int", (4,), {}),
    ("tuple", ((2, 3),), {}),
    ("list", ([2, 3],), {}),
    ("Size", (SIZE, (2, 3)), {}),
    ("empty tuple: 0-d", ((),), {}),
    ("empty list: 0-d", ([],), {}),
    ("size keyword", (), {"size": (2, 3)}),
    ("size keyword, a list", (), {"size": [3]}),
    ("NumPy integer", (np.int64(3),), {}),
]
FACTORIES = ["zeros", "ones", "empty", "rand", "randn"]


def _args(module, args):
    return (module.Size(args[1]),) if args and args[0] is SIZE else args


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("label,args,kwargs", SHAPE_FORMS, ids=[f[0] for f in SHAPE_FORMS])
def test_shape_forms_as_torch(backend, name, label, args, kwargs):
    ref = getattr(torch, name)(*_args(torch, args), **kwargs)
    got = getattr(anynn, name)(*_args(anynn, args), backend=backend, **kwargs)
    assert tuple(got.shape) == tuple(ref.shape)
    assert got.dtype == anynn.float32 and got.backend == backend
    if name in ("zeros", "ones"):
        np.testing.assert_array_equal(got.numpy(), ref.numpy())


FULL_FORMS = [f for f in SHAPE_FORMS if f[0] not in ("ints", "one int", "NumPy integer")]  # full's size is one tuple


@pytest.mark.parametrize("label,args,kwargs", FULL_FORMS, ids=[f[0] for f in FULL_FORMS])
def test_full_shape_forms_as_torch(backend, label, args, kwargs):
    args = _args(anynn, args) + (1.5,) if args else ()
    ref_args = tuple(torch.Size(a) if isinstance(a, anynn.Size) else a for a in args)
    kw = dict(kwargs, fill_value=1.5) if not args else kwargs
    ref = torch.full(*ref_args, **kw)
    got = anynn.full(*args, backend=backend, **kw)
    np.testing.assert_array_equal(got.numpy(), ref.numpy())


@pytest.mark.parametrize("name", FACTORIES)
def test_shape_forms_refused_as_torch(name):
    for args, kwargs in [((2.0,), {}), ((), {}), ((2,), {"size": (2,)}), (((2,), 3), {})]:
        with pytest.raises(TypeError):
            getattr(torch, name)(*args, **kwargs)
        with pytest.raises(TypeError, match=name):
            getattr(anynn, name)(*args, **kwargs)


@pytest.mark.parametrize("label,args,kwargs", [f for f in SHAPE_FORMS if f not in FULL_FORMS],
                         ids=[f[0] for f in SHAPE_FORMS if f not in FULL_FORMS])
def test_full_refuses_the_int_size_forms_as_torch(label, args, kwargs):
    # torch.full's size is one tuple or list: full(2, 1) is a TypeError there, not a length-2 tensor
    with pytest.raises(TypeError):
        torch.full(*args, 1.5, **kwargs)
    with pytest.raises(TypeError, match="full\\(\\): argument 'size' must be a tuple or list of ints"):
        anynn.full(*args, 1.5, **kwargs)
    with pytest.raises(TypeError, match="full\\(\\): argument 'size'"):
        anynn.full(size=args[0], fill_value=1.5)


@pytest.mark.parametrize("name", FACTORIES + ["full"])
@pytest.mark.parametrize("size", [(-1,), (2, -3)], ids=str)
def test_a_negative_size_is_refused_naming_the_factory(name, size):
    fill = (1.5,) if name == "full" else ()
    with pytest.raises(RuntimeError, match="negative dimension|must be non-negative"):
        getattr(torch, name)(size, *fill)
    with pytest.raises(ValueError, match=rf"{name}\(\): cannot make a tensor with a negative dimension"):
        getattr(anynn, name)(size, *fill)
    with pytest.raises(RuntimeError):  # PyTorch's class too
        getattr(anynn, name)(size, *fill)


def test_a_size_past_any_storage_or_the_memory_is_a_runtime_error_as_torch():
    """zeros(2**40, 2**40): PyTorch's RuntimeError 'Storage size calculation overflowed' (NumPy's ValueError 'array
    is too big' before); a size past the memory: its RuntimeError 'can't allocate memory' (NumPy's MemoryError
    alone before; still a MemoryError). (2**54 float32 elements: 64 PB, past any address space, so refused even
    where the kernel overcommits.)"""
    for size in ((2**40, 2**40), (2**62,)):
        for module in (torch, anynn):
            with pytest.raises(RuntimeError):
                module.zeros(size)
    with pytest.raises(MemoryError) as info:
        anynn.zeros(2**27, 2**27)
    assert isinstance(info.value, RuntimeError)


def test_a_bool_size_and_a_nan_std_are_refused_as_torch():
    # zeros(True) was a (1,) tensor and normal(0, nan) / normal(mean, tensor([nan])) drew NaNs; PyTorch refuses them
    calls = [(TypeError, lambda lib: lib.zeros(True)), (TypeError, lambda lib: lib.ones(False)),
             (RuntimeError, lambda lib: lib.normal(0.0, float("nan"), size=(2,))),
             (RuntimeError, lambda lib: lib.normal(lib.zeros(2), lib.tensor([float("nan"), 1.0])))]
    for error, call in calls:
        for lib in (torch, anynn):
            with pytest.raises(error):
                call(lib)
    assert tuple(anynn.zeros((2, True)).shape) == tuple(torch.zeros((2, True)).shape) == (2, 1)


RANDINT_FORMS = [
    ("high, size", (10, (3,)), {}),
    ("low, high, size", (2, 10, (3,)), {}),
    ("high, size=", (10,), {"size": (3,)}),
    ("low, high, size=", (3, 10), {"size": [2, 2]}),
    ("keywords", (), {"low": 2, "high": 10, "size": (3,)}),
    ("high= and size= only", (), {"high": 10, "size": (3,)}),
    ("a Size", (10, SIZE), {}),
]


@pytest.mark.parametrize("label,args,kwargs", RANDINT_FORMS, ids=[f[0] for f in RANDINT_FORMS])
def test_randint_forms_as_torch(backend, label, args, kwargs):
    def built(module):
        return tuple(module.Size([4, 2]) if a is SIZE else a for a in args)

    ref = torch.randint(*built(torch), **kwargs)
    got = anynn.randint(*built(anynn), backend=backend, **kwargs)
    assert tuple(got.shape) == tuple(ref.shape) and got.dtype == anynn.int64
    low = kwargs.get("low", args[0] if len(args) == 3 or (len(args) == 2 and "size" in kwargs) else 0)
    high = kwargs.get("high", args[1] if len(args) == 3 or (len(args) == 2 and "size" in kwargs) else
                      args[0] if args else None)
    values = got.numpy()
    assert values.min() >= low and values.max() < high


def test_randint_without_a_size_is_refused_as_torch():
    for args in [(10,), (2, 10)]:
        with pytest.raises(TypeError):
            torch.randint(*args)
        with pytest.raises(TypeError, match="randint"):
            anynn.randint(*args)



@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
def test_random_like_takes_torchs_keywords(backend, name):
    """cleanrl's td3 draws ``torch.randn_like(actions, device=device)``: a TypeError before."""
    for lib, like in ((torch, torch.zeros(2, 3)), (anynn, anynn.zeros(2, 3, backend=backend))):
        out = getattr(lib, name)(like, dtype=lib.float64, device=like.device, requires_grad=True,
                                 layout=lib.strided, memory_format=lib.preserve_format)
        assert tuple(out.shape) == (2, 3) and out.dtype == lib.float64 and out.requires_grad and out.is_leaf
    got = getattr(anynn, name)(anynn.zeros(2, 3, backend=backend), backend="numpy")
    assert got.backend.key == "numpy" and got.dtype == anynn.float32


def test_integer_draws_take_requires_grad_as_torch():
    """PyTorch's memory-format tutorial draws ``randint(1, 10, (2, 8, 4, 4), dtype=float32, requires_grad=True)``
    (a TypeError before); randperm and randint_like take it too, and an integer dtype refuses it, as PyTorch's."""
    for lib in (torch, anynn):
        made = [lib.randint(1, 10, (2, 8, 4, 4), dtype=lib.float32, requires_grad=True),
                lib.randperm(3, dtype=lib.float64, requires_grad=True),
                lib.randint_like(lib.zeros(2), 3, requires_grad=True, memory_format=lib.preserve_format)]
        assert [(t.requires_grad, t.is_leaf, str(t.dtype).split(".")[-1]) for t in made] == [
            (True, True, "float32"), (True, True, "float64"), (True, True, "float32")]
        with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
            lib.randint(0, 3, (2,), requires_grad=True)


@pytest.mark.parametrize("draw", [
    lambda lib: lib.rand(3, dtype=lib.int64), lambda lib: lib.randn(3, dtype=lib.bool),
    lambda lib: lib.rand_like(lib.zeros(3, dtype=lib.int64)), lambda lib: lib.randn_like(lib.zeros(3), dtype=lib.uint8),
], ids=["rand int64", "randn bool", "rand_like of int64", "randn_like to uint8"])
def test_uniform_and_normal_draws_refuse_integer_dtypes_as_torch(draw):
    """They gave zeros (or True) cast from the float draws."""
    with pytest.raises(NotImplementedError):
        draw(torch)
    with pytest.raises(NotImplementedError, match="not implemented for (int64|bool|uint8)"):
        draw(anynn)

RANDOM_AND_RANGE_REFUSALS = {  # PyTorch refuses each (RuntimeError); NumPy would give an empty range or draw anyway
    "arange_step_away_from_end": lambda lib: lib.arange(0, 5, -1),
    "arange_float_step_away": lambda lib: lib.arange(1.0, 0.0, 0.5),
    "normal_negative_std": lambda lib: lib.normal(0.0, -1.0, (2,)),
    "normal_negative_std_tensor": lambda lib: lib.normal(lib.zeros(2), lib.tensor([-1.0, 1.0])),
    "bernoulli_p_above_one": lambda lib: lib.bernoulli(lib.zeros(2), p=1.5),
    "bernoulli_input_below_zero": lambda lib: lib.bernoulli(lib.tensor([0.5, -0.1])),
    "poisson_negative_rate": lambda lib: lib.poisson(lib.tensor([1.5, -0.5])),
    "poisson_nan_rate": lambda lib: lib.poisson(lib.tensor([1.5, float("nan")])),
    # (each of these reached the user as NumPy's error, an empty result or a draw before)
    "bernoulli_nan_probability": lambda lib: lib.bernoulli(lib.tensor([0.5, float("nan")])),
    "arange_infinite_end": lambda lib: lib.arange(0, float("inf")),
    "arange_nan_end": lambda lib: lib.arange(0.0, float("nan")),
    "linspace_negative_steps": lambda lib: lib.linspace(0, 1, -1),
    "logspace_negative_steps": lambda lib: lib.logspace(0, 1, -2),
    "eye_negative": lambda lib: lib.eye(-1),
    "eye_negative_columns": lambda lib: lib.eye(2, -3),
    "randint_empty_range": lambda lib: lib.randint(3, 3, (2,)),
    "randperm_negative": lambda lib: lib.randperm(-1),
    "bincount_negative_minlength": lambda lib: lib.bincount(lib.tensor([0, 1]), minlength=-1),
    "repeat_interleave_negative_count": lambda lib: lib.repeat_interleave(lib.ones(3), lib.tensor([1, -1, 2])),
    "repeat_interleave_negative_int": lambda lib: lib.repeat_interleave(lib.ones(3), -1),
    "repeat_interleave_float_counts": lambda lib: lib.repeat_interleave(lib.ones(2), lib.tensor([1.0, 2.0])),
    "repeat_interleave_negative_alone": lambda lib: lib.repeat_interleave(lib.tensor([2, -1])),
}


@pytest.mark.parametrize("name", sorted(RANDOM_AND_RANGE_REFUSALS))
def test_bad_ranges_and_distributions_are_refused_as_torch(name):
    with pytest.raises(RuntimeError):
        RANDOM_AND_RANGE_REFUSALS[name](torch)
    with pytest.raises(RuntimeError, match="^(arange|normal|bernoulli|invalid Poisson|linspace|logspace|eye|randint|"
                                           "randperm|bincount|repeat_interleave)"):
        RANDOM_AND_RANGE_REFUSALS[name](anynn)


def test_poisson_and_binomial_draws_as_torch(backend):
    """torch.poisson and torch.binomial: dtypes, the laws' means and variances over many draws, PyTorch's clipping
    of probabilities and negative counts, a seeded draw the same on every backend, poisson's zero gradient."""
    rates = make(backend, np.array([0.0, 0.5, 4.0, 40.0], dtype=np.float32), requires_grad=True)
    many = rates.detach().expand(20000, 4)
    counts = anynn.poisson(many, generator=3)
    assert dtype_name(counts.dtype) == "float32" and counts.shape == (20000, 4)
    host = counts.numpy()
    np.testing.assert_array_equal(host, np.round(host))
    np.testing.assert_allclose(host.mean(0), [0.0, 0.5, 4.0, 40.0], rtol=0.03, atol=0.01)
    np.testing.assert_allclose(host.var(0), [0.0, 0.5, 4.0, 40.0], rtol=0.06, atol=0.01)
    anynn.poisson(rates).sum().backward()
    np.testing.assert_array_equal(rates.grad.numpy(), np.zeros(4))  # PyTorch's PoissonBackward: zeros
    # and NormalBackward's, BernoulliBackward's (their results did not require grad: backward raised)
    samples = (anynn.normal(rates, rates + 1.0), anynn.normal(0.0, rates), anynn.bernoulli(rates / 40))
    sum(s.sum() for s in samples).backward()
    np.testing.assert_array_equal(rates.grad.numpy(), np.zeros(4))
    first = anynn.poisson(make(backend, np.full(5, 3.0)), generator=7).numpy()
    np.testing.assert_array_equal(first, anynn.poisson(anynn.full((5,), 3.0, dtype="float64"), generator=7).numpy())
    trials = make(backend, np.array([[10.0, 10.0, 5.0, -1.0, 5.0, 7.9]]))
    chances = make(backend, np.array([0.3, 0.9, 1.5, 0.5, -0.1, 1.0]))
    drawn = anynn.binomial(trials.expand(20000, 6), chances, generator=5).numpy()
    reference = torch.binomial(torch.tensor(trials.numpy()).expand(4, 6), torch.tensor(chances.numpy())).numpy()
    np.testing.assert_array_equal(drawn[:, 2:], np.broadcast_to([5.0, 0.0, 0.0, 7.9], (20000, 4)))
    np.testing.assert_array_equal(reference[:, 2:], np.broadcast_to([5.0, 0.0, 0.0, 7.9], (4, 4)))
    np.testing.assert_allclose(drawn[:, :2].mean(0), [3.0, 9.0], rtol=0.02)
    np.testing.assert_allclose(drawn[:, :2].var(0), [2.1, 0.9], rtol=0.06)
    assert dtype_name(anynn.binomial(trials, chances).dtype) == "float64"
    for lib, wrap in ((torch, torch.tensor), (anynn, lambda v: make(backend, v))):
        with pytest.raises((RuntimeError, NotImplementedError)):
            lib.poisson(wrap(np.array([1, 2])))


def test_arange_with_a_none_bound_is_refused_as_torch():
    """arange(0, None) gave arange(0), an empty range; None is a symbolic size while an ONNX export records."""
    for call in (lambda lib: lib.arange(0, None), lambda lib: lib.arange(None), lambda lib: lib.arange(5, end=None),
                 lambda lib: lib.arange(0, 4, None)):
        with pytest.raises(TypeError):
            call(torch)
        with pytest.raises(TypeError, match="arange: start, end and step must be numbers"):
            call(anynn)


def test_linspace_and_logspace_values_are_torchs_bit_for_bit(backend):
    """PyTorch's kernels (linspace: fused start + step * i, the second half counted back from end, integer bounds
    truncated; logspace: the same exponents in float64, one step base ** start): NumPy's linspace was 1 ulp off in
    float32/float64 and floored integers (linspace(-0.8, 2, 4, int32) gave -1); logspace took base ** linspace in
    float64, so integer bounds were not truncated (logspace(0.5, 3.2, 5, base=3, dtype=uint8) gave 3 for 2)."""
    rows = [("linspace", (-3.0, 2.48, 37), "float32"), ("linspace", (1, -1, 7), "float64"),
            ("linspace", (-10, 0, 4), "int64"), ("linspace", (-0.8, 2.0, 4), "int32"),
            ("linspace", (0.0, 1.0, 1), "float32"), ("linspace", (3, -2, 7), "float16"),
            ("logspace", (0.5, 3.2, 5, 3.0), "uint8"), ("logspace", (-1, 1, 7, 3.0), "uint8"),
            ("logspace", (-2.8, 2.11, 10), "float32"), ("logspace", (-0.89, 0.02, 1, 2.0), "int64"),
            ("logspace", (-0.98, -1.95, 10, 3.0), "float16")]
    for name, args, dtype in rows:
        try:
            ours = getattr(anynn, name)(*args, dtype=dtype, backend=backend).numpy()
        except TypeError:  # (array-api-strict has no float16)
            assert dtype == "float16"
            continue
        theirs = getattr(torch, name)(*args, dtype=getattr(torch, dtype)).numpy()
        np.testing.assert_array_equal(ours, theirs, err_msg=f"{name}{args} {dtype}")


FILL_REFUSALS = {  # PyTorch's RuntimeError 'value cannot be converted to type ... without overflow'
    # (NumPy dropped the imaginary part silently, or failed with float()'s TypeError / int()'s ValueError)
    "full_like_complex": lambda lib: lib.full_like(lib.zeros(2), 1j),
    "new_full_complex": lambda lib: lib.zeros(2).new_full((2,), 1j),
    "fill_complex": lambda lib: lib.zeros(2).fill_(1j),
    "fill_nan_into_int64": lambda lib: lib.zeros(2, dtype=lib.int64).fill_(float("nan")),
    "full_below_uint8": lambda lib: lib.full((1,), -0.5, dtype=lib.uint8),
    # a finite float beyond float32 (inf before) and x[i] = v with v refused as fill_ refuses it (float()'s TypeError,
    # int()'s ValueError before)
    "fill_beyond_float32": lambda lib: lib.zeros(2).fill_(1e40),
    "full_beyond_float32": lambda lib: lib.full((1,), -1e40),
    "masked_fill_beyond_float32": lambda lib: lib.zeros(2).masked_fill(lib.ones(2, dtype=lib.bool), 1e40),
    "setitem_complex": lambda lib: lib.zeros(2).__setitem__(0, 1j),
    "setitem_nan_into_int64": lambda lib: lib.zeros(2, dtype=lib.int64).__setitem__(0, float("nan")),
    # clamp's and index_fill's bounds as fill values (they clamped to / filled inf), and a float16 fill of more than
    # one element (PyTorch's one-element fill checks float32's range only: the kept rows)
    "clamp_beyond_float32": lambda lib: lib.ones(2).clamp(max=1e40),
    "clamp_int_beyond_float32": lambda lib: lib.ones(2, dtype=lib.int32).clamp(min=-1e40),
    "clamp_beyond_float16": lambda lib: lib.ones(2, dtype=lib.float16).clamp(min=7e4),
    "index_fill_beyond_float32": lambda lib: lib.ones(2).index_fill(0, lib.tensor([0]), 1e40),
    "full_beyond_float16": lambda lib: lib.full((2,), 1e5, dtype=lib.float16),
    "fill_beyond_float16": lambda lib: lib.ones(3, dtype=lib.float16).fill_(2 ** 40),
}


def test_fill_values_convert_as_torch():
    for call in FILL_REFUSALS.values():
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="cannot be converted to type"):
            call(anynn)
    kept = (lambda lib: lib.full((2,), 1 + 0j, dtype=lib.float32),  # (refused before: a zero imaginary part is kept)
            lambda lib: lib.full((2,), -3.9, dtype=lib.int32), lambda lib: lib.zeros(2, dtype=lib.int32).fill_(-3.9),
            lambda lib: lib.full((1,), 1e5, dtype=lib.float16), lambda lib: lib.full((1,), float("inf")),
            lambda lib: lib.where(lib.ones(2, dtype=lib.bool), lib.ones(2, dtype=lib.float16), 1e5),
            lambda lib: lib.ones(2, dtype=lib.float16).clamp(max=float("inf")))
    for call in kept:
        assert call(anynn).tolist() == call(torch).tolist()
    for lib in (torch, anynn):  # an int beyond 64 bits: PyTorch's OverflowError
        with pytest.raises(OverflowError):
            lib.ones(2).fill_(2 ** 70)


def test_linspace_and_logspace_with_complex_ends_as_torch():
    """A complex start or end gives the default complex dtype (float() of it raised TypeError before); a real
    dtype= beside one is PyTorch's RuntimeError."""
    for name in ("linspace", "logspace"):
        ours, theirs = getattr(anynn, name)(0, 1 + 2j, 3), getattr(torch, name)(0, 1 + 2j, 3)
        assert dtype_name(ours.dtype) == "complex64"
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        for lib in (torch, anynn):
            with pytest.raises(RuntimeError, match="can't be safely cast"):
                getattr(lib, name)(1j, 2, 3, dtype=lib.float32)


def test_ranges_that_point_the_right_way_or_are_empty_as_torch(backend):
    # float32 steps of 0.1 are start + i * step rounded once (NumPy's drifted: -2.8000002, 0.90000004)
    for args in [(5, 0, -1), (0, 0, -1), (0.0, 1.0, 0.25), (3,), (-3, -2.2, 0.1), (0, 1, 0.1)]:
        np.testing.assert_array_equal(anynn.arange(*args, backend=backend).numpy(), torch.arange(*args).numpy())
    # a 0-d tensor bound is its number: arange(lengths.max()) is int64, as PyTorch's (it was float32)
    got = anynn.arange(make(backend, np.array([2, 5])).max())
    assert dtype_name(got.dtype) == "int64" and got.tolist() == [0, 1, 2, 3, 4]


def test_tensor_of_a_tensor_warns_as_torch():
    """torch.tensor(t) copies with PyTorch's UserWarning (found porting RetNet's forward_recurrent: anynn was
    silent); a list of tensors, a NumPy array and as_tensor(t) stay quiet, as PyTorch's."""
    import warnings

    messages = {}
    for lib in (torch, anynn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]), lib.tensor(np.ones(2)), lib.as_tensor(lib.ones(2))
            assert caught == []
            copy = lib.tensor(lib.ones(2, requires_grad=True), dtype=lib.float64)
        messages[lib.__name__] = [str(w.message).split(" (Triggered internally")[0] for w in caught]
        assert not copy.requires_grad and copy.dtype == lib.float64
    assert messages["anynn"] == messages["torch"] and len(messages["torch"]) == 1


def test_tensors_in_a_list_are_read_as_numbers_as_torch():
    """torch.tensor([t0, t1]) reads each tensor as one number: a one-element tensor of any shape is its value (its
    dtype taking part), a larger one is PyTorch's ValueError (anynn stacked them: [ones(1), ones(1)] was (2, 1))."""
    for lib in (torch, anynn):
        got = lib.tensor([[lib.ones(1, 1, dtype=lib.float64)], [lib.tensor(2)]])
        assert tuple(got.shape) == (2, 1) and got.dtype == lib.float64 and got.tolist() == [[1.0], [2.0]]
        with pytest.raises(ValueError, match="only one element tensors"):
            lib.tensor([lib.ones(2), lib.ones(2)])


@pytest.mark.parametrize("data,dtype", [([2**31], "int32"), ([256], "uint8"), ([-256], "uint8"), ([-0.5], "uint8"),
                                        ([[1, 1e10]], "int32"), ([float("nan")], "int64"), ([1 + 0j], "float64"),
                                        ([1j], "int64"), ([np.int64(-129)], "int8"),
                                        # past int64 (ValueError; TypeError 'dtype object' or uint64 before)
                                        ([2**70], None), ([2**63], None), ([[1, -2**63 - 1]], "int64"),
                                        # beside an int64 one: NumPy reads float64 (wrapped to -2**63 before)
                                        ([1, 2**63], None), ((2**63, -1), None)], ids=str)
def test_python_numbers_outside_the_dtype_are_refused_as_torch(data, dtype):
    """torch.tensor(numbers, dtype=...) refuses a number its dtype cannot hold (NumPy wrapped it: 2**31 became
    -2**31 in int32) and a complex one for a real dtype (the imaginary part was dropped)."""
    with pytest.raises((RuntimeError, TypeError, ValueError)) as theirs:
        torch.tensor(data, dtype=dtype and getattr(torch, dtype))
    with pytest.raises(type(theirs.value)):
        anynn.tensor(data, dtype=dtype)


def test_a_fill_value_outside_the_dtype_is_refused_as_torch():
    """full(size, NaN or 1e10, dtype=int) and full(size, 1 + 1j, dtype=float32) are refused (anynn filled the
    int64 minimum, a wrapped value, or the real part)."""
    for value, dtype in [(float("nan"), "int64"), (1e10, "int32"), (1 + 1j, "float32")]:
        for lib in (torch, anynn):
            with pytest.raises(RuntimeError, match="cannot be"):
                lib.full((2,), value, dtype=getattr(lib, dtype))


def test_python_numbers_that_fit_or_arrays_are_cast_as_torch():
    """What PyTorch takes: a negative int down to -max wraps into an unsigned dtype, a float is cut, NumPy arrays go
    unchecked, complex numbers into bool."""
    for data, dtype in [([-1, -255], "uint8"), ([1.5, 255.0], "uint8"), (np.array([256, -1]), "uint8"),
                        ([1 + 1j, 0j], "bool"), ([1e300], "float32"), ([2**70, 1], "float32")]:
        assert anynn.tensor(data, dtype=dtype).tolist() == torch.tensor(data, dtype=getattr(torch, dtype)).tolist()


@pytest.mark.parametrize("fill", [None, "1", [1.0, 2.0], (1,), np.ones(2)], ids=repr)
def test_a_fill_value_that_is_no_number_is_refused_as_torch(fill):
    """full / full_like take a number or a 0-d tensor (None gave NaN, "1" gave 1, a list filled by broadcasting)."""
    for lib in (torch, anynn):
        with pytest.raises(TypeError, match="fill_value"):
            lib.full((2,), fill)
        with pytest.raises(TypeError, match="fill_value"):
            lib.full_like(lib.ones(2), fill)
