"""PyTorch's ``out=`` keyword on ``anynn.*`` functions (`anynn.out_argument`): the result written into ``out`` and
``out`` returned, ``out`` resized (with PyTorch's warning when it had elements), PyTorch's dtype rules and its
refusal under autograd; each case run on anynn and on PyTorch side by side."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import make

R = np.random.default_rng(7)
A = R.standard_normal((2, 3)).astype(np.float32)
B = R.standard_normal((2, 3)).astype(np.float32)
M = R.standard_normal((3, 4)).astype(np.float32)
C = R.standard_normal((2, 3, 3)).astype(np.float32)
POSITIVE = np.abs(A) + 0.5
INDEX = np.array([1, 0], np.int64)

# name -> (call(lib, *tensors, out), inputs): the same call spelled for torch and anynn
CASES: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "add": (lambda lib, a, b, out: lib.add(a, b, alpha=2, out=out), [A, B]),
    "sub": (lambda lib, a, b, out: lib.sub(a, b, out=out), [A, B]),
    "mul": (lambda lib, a, b, out: lib.mul(a, b, out=out), [A, B]),
    "div": (lambda lib, a, b, out: lib.div(a, b, out=out), [A, POSITIVE]),
    "matmul": (lambda lib, a, m, out: lib.matmul(a, m, out=out), [A, M]),
    "mm": (lambda lib, a, m, out: lib.mm(a, m, out=out), [A, M]),
    "bmm": (lambda lib, c, out: lib.bmm(c, c, out=out), [C]),
    "cat": (lambda lib, a, b, out: lib.cat([a, b], 1, out=out), [A, B]),
    "stack": (lambda lib, a, b, out: lib.stack([a, b], out=out), [A, B]),
    "clamp": (lambda lib, a, out: lib.clamp(a, -0.5, 0.5, out=out), [A]),
    "exp": (lambda lib, a, out: lib.exp(a, out=out), [A]),
    "log": (lambda lib, a, out: lib.log(a, out=out), [POSITIVE]),
    "sqrt": (lambda lib, a, out: lib.sqrt(a, out=out), [POSITIVE]),
    "abs": (lambda lib, a, out: lib.abs(a, out=out), [A]),
    "neg": (lambda lib, a, out: lib.neg(a, out=out), [A]),
    "sum": (lambda lib, a, out: lib.sum(a, 1, out=out), [A]),
    "mean": (lambda lib, a, out: lib.mean(a, 0, keepdim=True, out=out), [A]),
    "max": (lambda lib, a, out: lib.max(a, out=out), [A]),
    "min": (lambda lib, a, b, out: lib.min(a, b, out=out), [A, B]),
    "argmax": (lambda lib, a, out: lib.argmax(a, 1, out=out), [A]),
    "nonzero": (lambda lib, a, out: lib.nonzero(a > 0, out=out), [A]),  # (out= was refused as a keyword)
    "where": (lambda lib, a, b, out: lib.where(a > 0, a, b, out=out), [A, B]),
    "gt": (lambda lib, a, b, out: lib.gt(a, b, out=out), [A, B]),
    "pow": (lambda lib, a, out: lib.pow(a, 2, out=out), [A]),
    "tanh": (lambda lib, a, out: lib.tanh(a, out=out), [A]),
    "index_select": (lambda lib, a, i, out: lib.index_select(a, 0, i, out=out), [A, INDEX]),
    "cumsum": (lambda lib, a, out: lib.cumsum(a, 1, out=out), [A]),
    "cumprod": (lambda lib, a, out: lib.cumprod(a, 0, out=out), [A]),
    "logical_and": (lambda lib, a, b, out: lib.logical_and(a > 0, b > 0, out=out), [A, B]),
    "addmm": (lambda lib, z, a, m, out: lib.addmm(z, a, m, out=out), [np.ones((2, 4), np.float32), A, M]),
    # (TypeError 'unexpected keyword argument out' before; kron wrote into out without resizing it)
    "kron": (lambda lib, a, b, out: lib.kron(a, b, out=out), [A, B]),
    "tril": (lambda lib, a, out: lib.tril(a, -1, out=out), [A]),
    # (row_stack wrote into out without resizing it: left out of fd285f9's table)
    "row_stack": (lambda lib, a, b, out: lib.row_stack([a, b], out=out), [A, B]),
    # (TypeError 'unexpected keyword argument out' before, as for nextafter, polygamma, igamma, norm, hardshrink...)
    "logaddexp2": (lambda lib, a, b, out: lib.logaddexp2(a, b, out=out), [A, B]),
    "renorm": (lambda lib, a, out: lib.renorm(a, 2, 0, 1.0, out=out), [A]),
    "bucketize": (lambda lib, a, b, out: lib.bucketize(a, b[0].sort().values, out=out), [A, B]),
    # (arcsin and softmax: TypeError 'unexpected keyword argument out'; cholesky_inverse took out and left it as it was)
    "arcsin": (lambda lib, a, out: lib.arcsin(a * 0.5, out=out), [A]),
    "softmax": (lambda lib, a, out: lib.softmax(a, 1, out=out), [A]),
    "cholesky_inverse": (lambda lib, a, out: lib.cholesky_inverse(a[:, :2] + 2, out=out), [A]),
}
# deterministic factories: (call(lib, out), out dtype)
FACTORIES: dict[str, Callable[..., Any]] = {
    "zeros": lambda lib, out: lib.zeros(2, 3, out=out),
    "ones": lambda lib, out: lib.ones((2, 3), out=out),
    "full": lambda lib, out: lib.full((2, 3), 1.5, out=out),
    "arange": lambda lib, out: lib.arange(1, 7, 2, out=out),
    "linspace": lambda lib, out: lib.linspace(0.0, 1.0, 5, out=out),
    "eye": lambda lib, out: lib.eye(3, out=out),
    # (TypeError 'unexpected keyword argument out' before; drawn in out's dtype, integers too)
    "bernoulli": lambda lib, out: lib.bernoulli(lib.ones_like(out, dtype=lib.float32), out=out),
}


def _inputs(backend: Any, arrays: list[np.ndarray]) -> tuple[list[Any], list[torch.Tensor]]:
    return [make(backend, a) for a in arrays], [torch.from_numpy(a) for a in arrays]


def _empty(backend: Any, shape: tuple[int, ...], dtype: str) -> tuple[anynn.Tensor, torch.Tensor]:
    return (anynn.empty(*shape, dtype=getattr(anynn, dtype), backend=backend),
            torch.empty(*shape, dtype=getattr(torch, dtype)))


def _same(ours: anynn.Tensor, theirs: torch.Tensor) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


def _dtype_of(torch_result: torch.Tensor) -> str:
    return str(torch_result.dtype).split(".")[-1]


@pytest.mark.parametrize("name", CASES)
def test_result_lands_in_an_empty_out_and_out_is_returned(backend, name):
    call, arrays = CASES[name]
    ours_in, theirs_in = _inputs(backend, arrays)
    expected = call(torch, *theirs_in, out=None)
    ours_out, theirs_out = _empty(backend, (0,), _dtype_of(expected))
    assert call(torch, *theirs_in, out=theirs_out) is theirs_out
    assert call(anynn, *ours_in, out=ours_out) is ours_out
    _same(ours_out, theirs_out)


@pytest.mark.parametrize("name", ["add", "sum", "cat", "matmul"])
def test_a_non_empty_out_of_another_shape_is_resized_with_pytorchs_warning(backend, name):
    call, arrays = CASES[name]
    ours_in, theirs_in = _inputs(backend, arrays)
    ours_out, theirs_out = _empty(backend, (5,), "float32")
    for lib, args, out in ((torch, theirs_in, theirs_out), (anynn, ours_in, ours_out)):
        with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
            call(lib, *args, out=out)
    _same(ours_out, theirs_out)
    with warnings.catch_warnings():  # the right shape now: no warning on either
        warnings.simplefilter("error")
        call(torch, *theirs_in, out=theirs_out)
        call(anynn, *ours_in, out=ours_out)
    _same(ours_out, theirs_out)


def test_out_may_be_a_view_of_a_bigger_tensor(backend):
    (a, b), _ = _inputs(backend, [A, B])
    base, theirs = anynn.zeros(4, 3, backend=backend), torch.zeros(4, 3)
    anynn.add(a[0], b[0], out=base[1])
    torch.add(torch.from_numpy(A[0]), torch.from_numpy(B[0]), out=theirs[1])
    _same(base, theirs)


@pytest.mark.parametrize("name", ["add", "sum", "cat", "mm", "max"])
def test_out_refused_while_an_argument_requires_grad(backend, name):
    call, arrays = CASES[name]
    ours_in, theirs_in = _inputs(backend, arrays)
    ours_in[0].requires_grad_(True)
    theirs_in[0].requires_grad_(True)
    dtype = _dtype_of(call(torch, *theirs_in, out=None))
    ours_out, theirs_out = _empty(backend, (0,), dtype)
    for lib, args, out in ((torch, theirs_in, theirs_out), (anynn, ours_in, ours_out)):
        with pytest.raises(RuntimeError, match=r"functions with out=\.\.\. arguments don't support automatic "
                                               r"differentiation"):
            call(lib, *args, out=out)
    # an out that requires grad is refused too, even when no input does
    ours_in, theirs_in = _inputs(backend, arrays)
    ours_out, theirs_out = _empty(backend, (0,), dtype)
    ours_out.requires_grad_(True)
    theirs_out.requires_grad_(True)
    for lib, args, out in ((torch, theirs_in, theirs_out), (anynn, ours_in, ours_out)):
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            call(lib, *args, out=out)
    # under no_grad both write, and out stays a leaf
    with anynn.no_grad():
        call(anynn, *ours_in, out=ours_out)
    with torch.no_grad():
        call(torch, *theirs_in, out=theirs_out)
    assert ours_out.requires_grad and ours_out.grad_fn is None
    _same(ours_out.detach(), theirs_out.detach())


# (case, out dtype): PyTorch accepts (casting the result) or refuses
DTYPE_RULES = [("add", "float64"), ("add", "float16"), ("add", "int64"), ("gt", "float32"), ("gt", "int64"),
               ("exp", "int32"), ("mean", "bool"), ("matmul", "float64"), ("bmm", "float16"), ("abs", "float64"),
               ("where", "float64"), ("argmax", "float32"), ("argmax", "int32"), ("sum", "float64"),
               ("cat", "float64"), ("cat", "int64"), ("max", "float64"), ("cumprod", "float64"), ("cumsum", "int64"),
               ("logical_and", "float32"), ("addmm", "float64"), ("nonzero", "int32"), ("kron", "float64"),
               ("tril", "float64"), ("softmax", "float64"), ("cholesky_inverse", "float64")]


@pytest.mark.parametrize(("name", "dtype"), DTYPE_RULES)
def test_dtype_rules_as_pytorchs(backend, name, dtype):
    call, arrays = CASES[name]
    ours_in, theirs_in = _inputs(backend, arrays)
    if dtype == "float16" and backend.name == "array_api_strict":
        pytest.skip("array_api_strict has no float16")
    ours_out, theirs_out = _empty(backend, (0,), dtype)
    try:
        call(torch, *theirs_in, out=theirs_out)
    except (RuntimeError, TypeError) as refusal:
        expected = rf"^{name}\(\): (.* can't be cast to the desired output type {dtype}|Expected out tensor to " \
                   rf"have dtype .*, but got {dtype})"
        with pytest.raises(type(refusal), match=expected):
            call(anynn, *ours_in, out=ours_out)
        return
    call(anynn, *ours_in, out=ours_out)
    assert str(ours_out.dtype).split(".")[-1] == dtype
    np.testing.assert_allclose(ours_out.numpy().astype(np.float64), theirs_out.numpy().astype(np.float64),
                               rtol=1e-3, atol=1e-3)


def test_max_along_a_dim_fills_a_pair_of_outs(backend):
    (a,), (ta,) = _inputs(backend, [A])
    values, indices = anynn.empty(0, backend=backend), anynn.empty(0, dtype=anynn.int64, backend=backend)
    tv, ti = torch.empty(0), torch.empty(0, dtype=torch.int64)
    result = anynn.max(a, 1, out=(values, indices))
    torch.max(ta, 1, out=(tv, ti))
    assert result[0] is values and result.indices is indices
    _same(values, tv)
    _same(indices, ti)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype"):
        torch.max(ta, 1, out=(torch.empty(0), torch.empty(0)))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype int64"):
        anynn.max(a, 1, out=(anynn.empty(0, backend=backend), anynn.empty(0, backend=backend)))


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_factories_build_in_outs_dtype_and_backend(backend, name, dtype):
    ours_out, theirs_out = _empty(backend, (3,), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.arange/linspace warn about a resized out of 3 elements
        assert FACTORIES[name](torch, theirs_out) is theirs_out
        assert FACTORIES[name](anynn, ours_out) is ours_out
    assert ours_out.backend == backend
    _same(ours_out, theirs_out)


def test_sequences_keep_the_shape_of_an_out_of_as_many_elements(backend):
    """arange / linspace into an out of 6 elements shaped (2, 3) fill it as it is, as PyTorch's (anynn made it (6,))."""
    for call in (lambda lib, out: lib.arange(6, out=out), lambda lib, out: lib.linspace(0.0, 1.0, 6, out=out)):
        ours, theirs = anynn.zeros(2, 3, backend=backend), torch.zeros(2, 3)
        call(anynn, ours)
        _same(ours, call(torch, theirs))


@pytest.mark.parametrize("name", ["randn", "rand", "normal", "empty"])
def test_random_factories_fill_out(backend, name):
    out = anynn.zeros(0, dtype=anynn.float64, backend=backend)
    calls = {"randn": lambda: anynn.randn(2, 3, out=out), "rand": lambda: anynn.rand(2, 3, out=out),
             "normal": lambda: anynn.normal(0.0, 1.0, (2, 3), out=out), "empty": lambda: anynn.empty(2, 3, out=out)}
    assert calls[name]() is out
    assert tuple(out.shape) == (2, 3) and out.dtype == anynn.float64 and out.backend == backend


def test_out_must_be_a_tensor_of_the_inputs_backend(backend):
    (a, b), _ = _inputs(backend, [A, B])
    with pytest.raises(TypeError, match=r"add\(\): argument 'out' must be Tensor, not numpy.ndarray"):
        anynn.add(a, b, out=np.empty(0, np.float32))
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not numpy.ndarray"):
        torch.add(torch.from_numpy(A), torch.from_numpy(B), out=np.empty(0, np.float32))
    other = "torch" if backend.name != "torch" else "numpy"
    with pytest.raises(anynn.BackendMismatch, match=r"add\(\): out is on backend"):
        anynn.add(a, b, out=anynn.empty(0, backend=other))


def test_nansum_of_floats_into_an_integer_out_is_pytorchs_missing_kernel():
    # PyTorch's nansum runs in out's dtype: '"nansum_cpu" not implemented for 'Long'' (anynn summed into it)
    for lib in (torch, anynn):
        with pytest.raises(NotImplementedError, match="nansum_cpu"):
            lib.nansum(lib.ones(3), dim=0, out=lib.zeros((), dtype=lib.int64))
        assert lib.nansum(lib.ones(3, dtype=lib.int64), dim=0, out=lib.zeros((), dtype=lib.int64)).item() == 3


def test_the_functional_spellings_keep_no_out_as_pytorchs():
    x = anynn.ones(2)
    assert anynn.exp(x, out=anynn.empty(0)).shape == (2,)
    with pytest.raises(TypeError, match="out"):
        anynn.functional.elementwise.exp(x, out=anynn.empty(0))


def test_tensor_methods_take_no_out_as_pytorchs():
    """``x.kron(y, out=z)`` is a TypeError in PyTorch; the functions behind ten methods take ``out=`` (accepted
    before), so the method table strips it."""
    import inspect

    takes_out = [name for name in dir(anynn.Tensor) if not name.startswith("_") and hasattr(torch.Tensor, name)
                 and callable(getattr(anynn.Tensor, name, None))
                 and "out" in getattr(inspect.signature(getattr(anynn.Tensor, name)), "parameters", {})]
    assert takes_out == []
    x = anynn.ones(2, 2)
    assert anynn.kron(x, x, out=anynn.empty(4, 4)).shape == (4, 4)
    for call in (lambda: x.kron(x, out=anynn.empty(4, 4)), lambda: x.histc(out=anynn.empty(100))):
        with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
            call()


def test_linalg_functions_write_out_as_torch():
    """torch.linalg's out=: inv, cholesky, solve, det, svdvals... took it and left it unwritten (householder_product
    refused it); the dtype must be the result's (PyTorch's linalg kernels), pinv / matrix_rank cast."""
    square = np.eye(3, dtype=np.float32) * 2 + 0.1
    calls = [lambda lib, a, out: lib.linalg.inv(a, out=out), lambda lib, a, out: lib.linalg.cholesky(a, out=out),
             lambda lib, a, out: lib.linalg.det(a, out=out), lambda lib, a, out: lib.linalg.svdvals(a, out=out),
             lambda lib, a, out: lib.linalg.pinv(a, out=out),
             lambda lib, a, out: lib.linalg.eigh(a, out=(out, lib.empty(0)))[0]]
    for call in calls:
        ours, theirs = anynn.empty(0), torch.empty(0)
        assert call(anynn, anynn.tensor(square), ours) is ours
        _same(ours, call(torch, torch.tensor(square), theirs))
    for lib in (torch, anynn):
        with pytest.raises(RuntimeError, match="Expected out tensor to have dtype"):
            lib.linalg.inv(lib.tensor(square), out=lib.empty(0, dtype=lib.float64))


def test_special_functions_and_pairs_write_out_as_torch():
    """torch.special's out= (erf, xlogy...: TypeError 'unexpected keyword argument out' before; they cast, as
    ldexp does, whose dtype had to be the result's); triangular_solve / histogram took out= and left it unwritten,
    aminmax refused it."""
    x, y = np.abs(A) + 0.5, np.abs(B) + 0.5
    calls = [lambda lib, out: lib.special.erf(lib.tensor(x), out=out),
             lambda lib, out: lib.special.xlogy(lib.tensor(x), lib.tensor(y), out=out),
             lambda lib, out: lib.ldexp(lib.tensor(x), lib.tensor(y), out=out),
             lambda lib, out: lib.triangular_solve(lib.tensor(M[:3, :2]), lib.tensor(np.triu(M[:, :3]) + 3),
                                                   out=(out, lib.empty(0)))[0],
             lambda lib, out: lib.histogram(lib.tensor(x), 4, out=(out, lib.empty(0)))[0],
             lambda lib, out: lib.aminmax(lib.tensor(x), dim=1, out=(out, lib.empty(0))).min]
    for call in calls:
        ours, theirs = anynn.empty(0), torch.empty(0)
        assert call(anynn, ours) is ours
        _same(ours, call(torch, theirs))
    for call in calls[:3]:  # a float64 out takes the float32 result, cast
        ours, theirs = anynn.empty(0, dtype=anynn.float64), torch.empty(0, dtype=torch.float64)
        call(anynn, ours), call(torch, theirs)
        _same(ours, theirs)
    for lib in (torch, anynn):  # pairs: the dtype must be the result's
        with pytest.raises(RuntimeError, match="(E|e)xpected out tensor to have dtype"):
            calls[3](lib, lib.empty(0, dtype=lib.float64))
    # one name, two rules: clamp with a Tensor bound and lerp with a number weight cast (with number bounds, a Tensor
    # weight, the dtype must match); the inverse real FFTs cast into a real floating out only (all refused before)
    casting = [lambda lib, out: lib.clamp(lib.tensor(x), min=lib.tensor(y), out=out),
               lambda lib, out: lib.lerp(lib.tensor(x), lib.tensor(y), 0.25, out=out),
               lambda lib, out: lib.fft.irfft(lib.fft.rfft(lib.tensor(x)), out=out)]
    for call in casting:
        ours, theirs = anynn.empty(0, dtype=anynn.float64), torch.empty(0, dtype=torch.float64)
        call(anynn, ours), call(torch, theirs)
        _same(ours, theirs)
    for lib in (torch, anynn):
        with pytest.raises(RuntimeError):
            lib.clamp(lib.tensor(x), 0.1, 0.5, out=lib.empty(0, dtype=lib.float64))
        with pytest.raises(RuntimeError, match="expects a floating point output tensor"):
            casting[2](lib, lib.empty(0, dtype=lib.complex64))
