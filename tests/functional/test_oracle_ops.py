# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Randomized oracle tests: tensor ops, activations, losses, optimizers, schedulers and autograd vs PyTorch.

Every configuration is drawn from a seeded generator (deterministic), run on every backend through the
``backend`` fixture in float64 and float32, and compared with PyTorch CPU: forward values and the gradient
of every floating input (the output is projected on fixed random weights so every element counts).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional  # noqa: F401  (binds Tensor operators)
from anynn.autograd.mode import no_grad
from anynn.functional import activation as A
from anynn.functional import elementwise as E
from anynn.functional import linalg as L
from anynn.functional import loss as LS
from anynn.functional import reduce as R
from anynn.functional import shape as S
from anynn.nn import activation as NA
from anynn.nn import loss as NL
from anynn.nn.linear import Linear

TS = torch.optim.lr_scheduler

DTYPES = ["float64", "float32"]


def tol(dtype: str) -> dict[str, float]:
    return dict(rtol=1e-7, atol=1e-9) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)


def mk(backend: Any, a: np.ndarray, grad: bool = False) -> anynn.Tensor:
    a = np.asarray(a)
    return anynn.tensor(a, backend=backend, dtype=a.dtype.name, requires_grad=grad)


def oracle(backend: Any, ours: Callable[..., Any], theirs: Callable[..., Any], arrays: Sequence[np.ndarray],
           dtype: str, grads: Sequence[bool] | None = None, what: str = "", seed: int = 0) -> None:
    """Compare ``ours(*tensors)`` with ``theirs(*torch_tensors)``: forward and every requested gradient."""
    arrays = [np.asarray(a) for a in arrays]
    if grads is None:
        grads = [a.dtype.kind == "f" for a in arrays]
    mine = [mk(backend, a, g) for a, g in zip(arrays, grads)]
    ref_in = [torch.tensor(a).requires_grad_(g) for a, g in zip(arrays, grads)]
    out = ours(*mine)
    ref = theirs(*ref_in)
    t = tol(dtype)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **t, err_msg=f"forward {what}")
    assert tuple(out.shape) == tuple(ref.shape), f"shape {what}: {out.shape} vs {tuple(ref.shape)}"
    assert out.numpy().dtype == ref.detach().numpy().dtype, f"dtype {what}: {out.dtype} vs {ref.dtype}"
    if not any(grads):
        return
    w = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(out.numpy().dtype)
    (out * mk(backend, w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for i, (a, r) in enumerate(zip(mine, ref_in)):
        if r.requires_grad:
            assert a.grad is not None, f"no gradient for input {i} {what}"
            assert tuple(a.grad.shape) == tuple(r.shape), f"grad shape {i} {what}"
            np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), **t, err_msg=f"gradient {i} {what}")


def rand_shape(rng: np.random.Generator, min_rank: int = 0, max_rank: int = 4, max_dim: int = 3) -> tuple[int, ...]:
    return tuple(int(n) for n in rng.integers(1, max_dim + 1, size=int(rng.integers(min_rank, max_rank + 1))))


def broadcastable(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape``: some leading axes dropped, some axes set to 1."""
    drop = int(rng.integers(0, len(shape) + 1))
    return tuple(1 if rng.random() < 0.3 else n for n in shape[drop:])


# -- elementwise arithmetic with broadcasting -----------------------------------------------------
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("div", lambda a, b: a / b, lambda a, b: a / b),
    ("maximum", E.maximum, torch.maximum),
    ("pow", lambda a, b: a ** b, lambda a, b: a ** b),
    ("where", lambda a, b: E.where(a > 1.0, a, b), lambda a, b: torch.where(a > 1.0, a, b)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs", BINARY, ids=[b[0] for b in BINARY])
def test_broadcast_binary(backend, dtype, name, ours, theirs):
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    for trial in range(6):
        out_shape = rand_shape(rng)
        sa, sb = broadcastable(rng, out_shape), broadcastable(rng, out_shape)
        if trial % 2:
            sa, sb = sb, sa
        a = rng.uniform(0.5, 2.0, sa).astype(dtype)  # positive: pow's gradient in the exponent needs log(a)
        b = rng.uniform(0.5, 2.0, sb)
        if name not in ("pow", "div"):
            b = np.where(rng.random(sb) < 0.5, -b, b)
        b = np.asarray(b).astype(dtype)
        oracle(backend, ours, theirs, [a, b], dtype, what=f"{name} {sa} {sb}")


SCALAR_OPS = [
    ("radd", lambda x: 2.5 + x), ("rsub", lambda x: 2.5 - x), ("rmul", lambda x: -3 * x),
    ("rdiv", lambda x: 1.5 / x), ("rpow", lambda x: 2.0 ** x), ("rpow_int", lambda x: 3 ** x),
    ("sub", lambda x: x - 1), ("div", lambda x: x / 4), ("neg", lambda x: -x),
    ("pow_neg_frac", lambda x: x ** -1.5), ("pow_half", lambda x: x ** 0.5), ("pow_neg_int", lambda x: x ** -2),
    ("pow3", lambda x: x ** 3), ("pow0", lambda x: x ** 0), ("pow1", lambda x: x ** 1), ("pow2", lambda x: x ** 2),
    ("pow_frac", lambda x: x ** 2.7),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_scalar_and_reflected_ops(backend, dtype):
    rng = np.random.default_rng(1)
    for name, fn in SCALAR_OPS:
        for shape in [(), (3,), (2, 1, 3)]:
            x = rng.uniform(0.3, 2.0, shape).astype(dtype)
            oracle(backend, fn, fn, [x], dtype, what=f"{name} {shape}")


UNARY = [
    ("exp", E.exp, torch.exp, False), ("log", E.log, torch.log, True), ("sqrt", E.sqrt, torch.sqrt, True),
    ("abs", E.abs, torch.abs, False), ("sin", E.sin, torch.sin, False), ("cos", E.cos, torch.cos, False),
    ("clip", lambda x: E.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), False),
    ("clip_min", lambda x: E.clip(x, min=0.1), lambda x: torch.clamp(x, min=0.1), False),
    ("clip_max", lambda x: E.clip(x, max=0.1), lambda x: torch.clamp(x, max=0.1), False),
    ("clamp_method", lambda x: x.clamp(-0.2, 0.3), lambda x: x.clamp(-0.2, 0.3), False),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary(backend, dtype):
    rng = np.random.default_rng(2)
    for name, ours, theirs, positive in UNARY:
        for shape in [(), (4,), (2, 3, 2)]:
            x = rng.uniform(0.2, 2.0, shape) if positive else rng.standard_normal(shape)
            oracle(backend, ours, theirs, [x.astype(dtype)], dtype, what=f"{name} {shape}")


# -- matmul ---------------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((4, 2, 3), (3, 2)), ((3,), (4, 3, 2)),
    ((4, 2, 3), (3,)), ((2, 1, 2, 3), (3, 3, 4)), ((1, 2, 3), (4, 3, 2)), ((2, 3, 2, 3), (2, 1, 3, 2)),
    ((5, 1, 3), (1, 3, 2)), ((2, 1, 1, 3), (1, 2, 3, 1)), ((1, 3), (3, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_batched_broadcast(backend, dtype):
    rng = np.random.default_rng(3)
    for sa, sb in MATMUL_SHAPES:
        a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
        oracle(backend, lambda x, y: x @ y, lambda x, y: x @ y, [a, b], dtype, what=f"{sa}@{sb}")
        oracle(backend, L.matmul, torch.matmul, [a, b], dtype, grads=[True, False], what=f"{sa}@{sb} a only")


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_layer_any_rank(backend, dtype):
    rng = np.random.default_rng(4)
    for shape, bias in [((3,), True), ((2, 3), False), ((2, 4, 3), True), ((2, 1, 2, 3), True)]:
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal((5, 3)).astype(dtype)
        arrays = [x, w] + ([rng.standard_normal(5).astype(dtype)] if bias else [])
        oracle(backend, L.linear, TF.linear, arrays, dtype, what=f"linear {shape}")
    layer = Linear(3, 2, backend=backend, dtype=dtype)
    tlayer = torch.nn.Linear(3, 2).to(getattr(torch, dtype))
    layer.load_state_dict({k: v.detach().numpy() for k, v in tlayer.state_dict().items()})
    x = rng.standard_normal((2, 2, 3)).astype(dtype)
    oracle(backend, layer, tlayer, [x], dtype, what="Linear module")


# -- reductions -----------------------------------------------------------------------------------
def _draw_axis(rng: np.random.Generator, ndim: int) -> Any:
    choice = int(rng.integers(0, 3)) if ndim else 0
    if choice == 0:
        return None
    if choice == 1:
        return int(rng.integers(-ndim, ndim))
    k = int(rng.integers(1, ndim + 1))
    axes = rng.choice(ndim, size=k, replace=False)
    return tuple(int(a) - ndim if rng.random() < 0.5 else int(a) for a in axes)


def _dim(axis: Any, ndim: int) -> Any:
    return tuple(range(ndim)) if axis is None else axis


REDUCTIONS = [
    ("sum", R.sum, lambda t, d, k: torch.sum(t, dim=d, keepdim=k)),
    ("mean", R.mean, lambda t, d, k: torch.mean(t, dim=d, keepdim=k)),
    ("max", R.max, lambda t, d, k: torch.amax(t, dim=d, keepdim=k)),
    ("min", R.min, lambda t, d, k: torch.amin(t, dim=d, keepdim=k)),
    ("logsumexp", R.logsumexp, lambda t, d, k: torch.logsumexp(t, dim=d, keepdim=k)),
    ("var0", lambda x, a, k: R.var(x, a, k, correction=0),
     lambda t, d, k: torch.var(t, dim=d, keepdim=k, correction=0)),
    ("var_default", lambda x, a, k: R.var(x, a, k), lambda t, d, k: torch.var(t, dim=d, keepdim=k)),
    ("var1", lambda x, a, k: R.var(x, a, k, correction=1),
     lambda t, d, k: torch.var(t, dim=d, keepdim=k, correction=1)),
    ("method_sum", lambda x, a, k: x.sum(axis=a, keepdims=k), lambda t, d, k: t.sum(dim=d, keepdim=k)),
    ("method_mean", lambda x, a, k: x.mean(a, k), lambda t, d, k: t.mean(dim=d, keepdim=k)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions_random_axes(backend, dtype, name, ours, theirs):
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    for _ in range(8):
        shape = rand_shape(rng, min_rank=1, max_dim=4)
        axis = _draw_axis(rng, len(shape))
        keepdims = bool(rng.integers(0, 2))
        count = math.prod(shape) if axis is None else math.prod(
            shape[a] for a in ((axis,) if isinstance(axis, int) else axis))
        if name == "var1" and count < 2:
            continue
        x = rng.standard_normal(shape).astype(dtype)
        oracle(backend, lambda t: ours(t, axis, keepdims), lambda t: theirs(t, _dim(axis, t.ndim), keepdims),
               [x], dtype, what=f"{name} {shape} axis={axis} keepdims={keepdims}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_of_scalars(backend, dtype):
    x = np.asarray(1.5, dtype=dtype)
    for name, ours, theirs in REDUCTIONS[:5]:
        oracle(backend, lambda t: ours(t, None, False), lambda t: theirs(t, (), False), [x], dtype, what=name)
        oracle(backend, lambda t: ours(t, 0, True), lambda t: theirs(t, 0, True), [x], dtype, what=f"{name} axis 0")


# -- shapes and indexing --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_permute_transpose_flatten(backend, dtype):
    rng = np.random.default_rng(5)
    for _ in range(6):
        shape = rand_shape(rng, min_rank=1)
        x = rng.standard_normal(shape).astype(dtype)
        n = len(shape)
        order = tuple(int(i) for i in rng.permutation(n))
        oracle(backend, lambda t: t.permute(order), lambda t: t.permute(order), [x], dtype, what=f"permute {order}")
        oracle(backend, lambda t: t.permute(*order), lambda t: t.permute(*order), [x], dtype, what="permute *")
        a0, a1 = (int(i) for i in rng.integers(-n, n, size=2))
        oracle(backend, lambda t: t.transpose(a0, a1), lambda t: t.transpose(a0, a1), [x], dtype,
               what=f"transpose {a0} {a1}")
        s, e = sorted(int(i) for i in rng.integers(0, n, size=2))
        s, e = s - n if rng.random() < 0.5 else s, e - n if rng.random() < 0.5 else e
        oracle(backend, lambda t: t.flatten(s, e), lambda t: t.flatten(s, e), [x], dtype, what=f"flatten {s} {e}")
        oracle(backend, lambda t: S.flatten(t, s, e), lambda t: t.flatten(s, e), [x], dtype, what="F.flatten")
        new = (-1,) + shape[-1:]
        oracle(backend, lambda t: t.reshape(new), lambda t: t.reshape(new), [x], dtype, what=f"reshape {new}")
        oracle(backend, lambda t: t.reshape(*new), lambda t: t.reshape(*new), [x], dtype, what="reshape *")
        oracle(backend, lambda t: t.T, lambda t: t.permute(*reversed(range(t.ndim))), [x], dtype, what=".T")
        if n >= 2:
            oracle(backend, lambda t: t.mT, lambda t: t.mT, [x], dtype, what=".mT")


def _index_oracle(backend, x: np.ndarray, index: Any, dtype: str, what: str) -> None:
    """Forward and gradient against PyTorch; where torch refuses the index (negative steps), against
    NumPy's indexing and ``np.add.at`` (duplicates accumulate)."""
    t = mk(backend, x, True)
    parts = index if isinstance(index, tuple) else (index,)
    host = tuple(i.numpy() if isinstance(i, anynn.Tensor) else i for i in parts)
    try:
        tx = torch.tensor(x, requires_grad=True)
        tref = tx[tuple(torch.tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in host)]
    except (ValueError, IndexError, TypeError):
        tx = tref = None
    out = t[index]
    ref = x[host] if tref is None else tref.detach().numpy()
    np.testing.assert_allclose(out.numpy(), ref, **tol(dtype), err_msg=f"forward {what}")
    assert tuple(out.shape) == ref.shape, f"{what}: {out.shape} vs {ref.shape}"
    w = np.random.default_rng(0).standard_normal(ref.shape).astype(dtype)
    (out * mk(backend, w)).sum().backward()
    if tref is None:
        expected = np.zeros_like(x)
        np.add.at(expected, host, w)
    else:
        (tref * torch.tensor(w)).sum().backward()
        expected = tx.grad.numpy()
    np.testing.assert_allclose(t.grad.numpy(), expected, **tol(dtype), err_msg=f"gradient {what}")


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
    ]
    for index in cases:
        if isinstance(index, np.ndarray):
            index = mk(backend, index)
        _index_oracle(backend, x, index, dtype, what=f"[{index}]")


# -- activations ----------------------------------------------------------------------------------
ACTIVATIONS = [
    ("relu", A.relu, TF.relu), ("sigmoid", A.sigmoid, torch.sigmoid), ("tanh", A.tanh, torch.tanh),
    ("leaky_relu", lambda x: A.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("leaky_relu_neg", lambda x: A.leaky_relu(x, -0.3), lambda x: TF.leaky_relu(x, -0.3)),
    ("leaky_relu_big", lambda x: A.leaky_relu(x, 2.0), lambda x: TF.leaky_relu(x, 2.0)),
    ("elu", lambda x: A.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("elu_big", lambda x: A.elu(x, 2.5), lambda x: TF.elu(x, 2.5)),
    ("selu", A.selu, TF.selu),
    ("gelu", A.gelu, TF.gelu),
    ("gelu_tanh", lambda x: A.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", A.silu, TF.silu), ("mish", A.mish, TF.mish),
    ("softplus", A.softplus, TF.softplus),
    ("softplus_beta", lambda x: A.softplus(x, beta=2.5, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.5, threshold=3.0)),
    ("softplus_small_beta", lambda x: A.softplus(x, beta=0.5, threshold=1.0),
     lambda x: TF.softplus(x, beta=0.5, threshold=1.0)),
    ("hardtanh", lambda x: A.hardtanh(x, -0.5, 1.5), lambda x: TF.hardtanh(x, -0.5, 1.5)),
    ("relu6", A.relu6, TF.relu6), ("hardswish", A.hardswish, TF.hardswish),
    ("softmax0", lambda x: A.softmax(x, 0), lambda x: torch.softmax(x, 0)),
    ("softmax1", lambda x: A.softmax(x, 1), lambda x: torch.softmax(x, 1)),
    ("softmax-1", lambda x: A.softmax(x, -1), lambda x: torch.softmax(x, -1)),
    ("log_softmax1", lambda x: A.log_softmax(x, 1), lambda x: torch.log_softmax(x, 1)),
    ("log_softmax-2", lambda x: A.log_softmax(x, -2), lambda x: torch.log_softmax(x, -2)),
    ("glu", A.glu, TF.glu), ("glu0", lambda x: A.glu(x, 0), lambda x: TF.glu(x, 0)),
    ("glu1", lambda x: A.glu(x, 1), lambda x: TF.glu(x, 1)),
    ("prelu1", lambda x: A.prelu(x, mk(x.backend, np.asarray([0.3], x.numpy().dtype))),
     lambda x: TF.prelu(x, torch.tensor([0.3], dtype=x.dtype))),
    ("prelu_c", lambda x: A.prelu(x, mk(x.backend, np.asarray([0.3, -0.2], x.numpy().dtype))),
     lambda x: TF.prelu(x, torch.tensor([0.3, -0.2], dtype=x.dtype))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations(backend, dtype, name, ours, theirs):
    rng = np.random.default_rng(8)
    for shape in [(2, 2, 4), (4, 2)] if not name.startswith(("glu", "softmax0", "log_softmax")) else [(2, 2, 4)]:
        x = (rng.standard_normal(shape) * 3.0).astype(dtype)
        x.flat[0] = 25.0  # saturated / linear regions (softplus threshold, tanh, sigmoid)
        x.flat[1] = -25.0
        oracle(backend, ours, theirs, [x], dtype, what=f"{name} {shape}")


MODULES = [
    (lambda: NA.LeakyReLU(0.3), lambda: torch.nn.LeakyReLU(0.3)),
    (lambda: NA.ELU(alpha=0.5), lambda: torch.nn.ELU(0.5)),
    (lambda: NA.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: NA.Softplus(2.0, 5.0), lambda: torch.nn.Softplus(2.0, 5.0)),
    (lambda: NA.Hardtanh(-2.0, 0.5), lambda: torch.nn.Hardtanh(-2.0, 0.5)),
    (lambda: NA.Softmax(dim=1), lambda: torch.nn.Softmax(1)),
    (lambda: NA.LogSoftmax(dim=0), lambda: torch.nn.LogSoftmax(0)),
    (lambda: NA.GLU(dim=1), lambda: torch.nn.GLU(1)),
    (lambda: NA.SELU(), lambda: torch.nn.SELU()), (lambda: NA.ReLU6(), lambda: torch.nn.ReLU6()),
    (lambda: NA.Mish(), lambda: torch.nn.Mish()), (lambda: NA.Hardswish(), lambda: torch.nn.Hardswish()),
    (lambda: NA.SiLU(), lambda: torch.nn.SiLU()), (lambda: NA.Sigmoid(), lambda: torch.nn.Sigmoid()),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_modules(backend, dtype):
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((2, 4, 3)) * 2).astype(dtype)
    for ours, theirs in MODULES:
        oracle(backend, ours(), theirs(), [x], dtype, what=repr(theirs()))
    prelu = NA.PReLU(4, init=0.1, backend=backend, dtype=dtype)
    tprelu = torch.nn.PReLU(4, init=0.1).to(getattr(torch, dtype))
    oracle(backend, prelu, tprelu, [x], dtype, what="PReLU")


# -- losses ---------------------------------------------------------------------------------------
def _reg_oracle(backend, dtype, ours, theirs, shape, rng, what, positive=False):
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    if positive:
        x = rng.uniform(0.02, 0.98, shape).astype(dtype)
        y = rng.uniform(0, 1, shape).astype(dtype)
    x.flat[0] = y.flat[0]  # a zero difference (sign/abs kink)
    oracle(backend, ours, theirs, [x, y], dtype, what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(backend, dtype, reduction):
    rng = np.random.default_rng(10)
    for shape in [(), (5,), (2, 3, 2)]:
        cases = [
            ("mse", lambda a, b: LS.mse_loss(a, b, reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction)),
            ("l1", lambda a, b: LS.l1_loss(a, b, reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction)),
        ]
        for delta in (1.0, 0.3, 2.0):
            cases.append((f"huber{delta}", lambda a, b, d=delta: LS.huber_loss(a, b, reduction, d),
                          lambda a, b, d=delta: TF.huber_loss(a, b, reduction=reduction, delta=d)))
        for beta in (1.0, 0.0, 0.4, 2.0):
            cases.append((f"smoothl1{beta}", lambda a, b, d=beta: LS.smooth_l1_loss(a, b, reduction, d),
                          lambda a, b, d=beta: TF.smooth_l1_loss(a, b, reduction=reduction, beta=d)))
        cases += [
            ("MSELoss", NL.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction)),
            ("HuberLoss", NL.HuberLoss(reduction, 0.5), torch.nn.HuberLoss(reduction=reduction, delta=0.5)),
            ("SmoothL1Loss", NL.SmoothL1Loss(reduction=reduction, beta=0.0),
             torch.nn.SmoothL1Loss(reduction=reduction, beta=0.0)),
        ]
        for name, ours, theirs in cases:
            _reg_oracle(backend, dtype, ours, theirs, shape, rng, f"{name} {shape} {reduction}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses(backend, dtype, reduction):
    rng = np.random.default_rng(11)
    for shape, wshape, pwshape in [((4, 3), None, (3,)), ((4, 3), (3,), (3,)), ((4, 3), (4, 3), (4, 3)),
                                   ((5,), (5,), None), ((2, 3, 4), (3, 1), (4,)), ((), None, None),
                                   ((4, 3), (4, 1), (1,))]:
        x = rng.standard_normal(shape).astype(dtype) * 3
        p = rng.uniform(0.02, 0.98, shape).astype(dtype)
        y = rng.uniform(0, 1, shape).astype(dtype)
        w = None if wshape is None else rng.uniform(0.2, 2, wshape).astype(dtype)
        pw = None if pwshape is None else rng.uniform(0.2, 3, pwshape).astype(dtype)
        tw = None if w is None else torch.tensor(w)
        tpw = None if pw is None else torch.tensor(pw)
        bw = None if w is None else mk(backend, w)
        bpw = None if pw is None else mk(backend, pw)
        what = f"{shape} w={wshape} pw={pwshape} {reduction}"
        oracle(backend, lambda a, b: LS.binary_cross_entropy_with_logits(a, b, bw, reduction, bpw),
               lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=tpw),
               [x, y], dtype, what="bce_logits " + what)
        oracle(backend, NL.BCEWithLogitsLoss(bw, reduction=reduction, pos_weight=bpw),
               torch.nn.BCEWithLogitsLoss(tw, reduction=reduction, pos_weight=tpw), [x, y], dtype,
               what="BCEWithLogitsLoss " + what)
        oracle(backend, lambda a, b: LS.binary_cross_entropy(a, b, bw, reduction),
               lambda a, b: TF.binary_cross_entropy(a, b, tw, reduction=reduction), [p, y], dtype,
               what="bce " + what)
        oracle(backend, NL.BCELoss(bw, reduction=reduction), torch.nn.BCELoss(tw, reduction=reduction), [p, y], dtype,
               what="BCELoss " + what)


CLASS_SHAPES = [((5, 4), (5,)), ((2, 3, 2, 2), (2, 2, 2)), ((3, 4, 3), (3, 3)), ((4,), ())]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_every_option(backend, dtype, reduction):
    rng = np.random.default_rng(12)
    for in_shape, t_shape in CLASS_SHAPES:
        C = in_shape[0] if len(in_shape) == 1 else in_shape[1]
        x = (rng.standard_normal(in_shape) * 2).astype(dtype)
        labels = rng.integers(0, C, t_shape).astype(np.int64)
        for use_weight in (False, True):
            w = rng.uniform(0.2, 2.0, C).astype(dtype) if use_weight else None
            tw = None if w is None else torch.tensor(w)
            bw = None if w is None else mk(backend, w)
            for ignore in (-100, 1):
                for smoothing in (0.0, 0.15):
                    what = f"{in_shape} w={use_weight} ignore={ignore} ls={smoothing} {reduction}"
                    lab = labels.copy()
                    oracle(backend,
                           lambda a, t: LS.cross_entropy(a, t, bw, ignore, reduction, smoothing),
                           lambda a, t: TF.cross_entropy(a, t, tw, ignore_index=ignore, reduction=reduction,
                                                         label_smoothing=smoothing),
                           [x, lab], dtype, what="cross_entropy " + what)
                    oracle(backend, NL.CrossEntropyLoss(bw, ignore_index=ignore, reduction=reduction,
                                                         label_smoothing=smoothing),
                           torch.nn.CrossEntropyLoss(tw, ignore_index=ignore, reduction=reduction,
                                                     label_smoothing=smoothing),
                           [x, lab], dtype, what="CrossEntropyLoss " + what)
                oracle(backend, lambda a, t: LS.nll_loss(a, t, bw, ignore, reduction),
                       lambda a, t: TF.nll_loss(a, t, tw, ignore_index=ignore, reduction=reduction),
                       [x, labels], dtype, what="nll " + f"{in_shape} w={use_weight} ignore={ignore}")
                oracle(backend, NL.NLLLoss(bw, ignore_index=ignore, reduction=reduction),
                       torch.nn.NLLLoss(tw, ignore_index=ignore, reduction=reduction),
                       [x, labels], dtype, what="NLLLoss")
            # class probabilities as targets (with weight and label smoothing)
            probs = rng.uniform(0, 1, in_shape).astype(dtype)
            probs = probs / probs.sum(axis=0 if len(in_shape) == 1 else 1, keepdims=True)
            for smoothing in (0.0, 0.2):
                oracle(backend, lambda a, t: LS.cross_entropy(a, t, bw, reduction=reduction, label_smoothing=smoothing),
                       lambda a, t: TF.cross_entropy(a, t, tw, reduction=reduction, label_smoothing=smoothing),
                       [x, probs], dtype, grads=[True, False],
                       what=f"ce probs {in_shape} w={use_weight} ls={smoothing}")


def test_cross_entropy_all_ignored_and_label_gradient(backend):
    x = np.random.default_rng(13).standard_normal((3, 4))
    lab = np.full(3, 2, dtype=np.int64)
    for reduction in ("mean", "sum", "none"):
        oracle(backend, lambda a, t: LS.cross_entropy(a, t, ignore_index=2, reduction=reduction),
               lambda a, t: TF.cross_entropy(a, t, ignore_index=2, reduction=reduction),
               [x, lab], "float64", what=f"all ignored {reduction}") if reduction != "mean" else None
    out = LS.cross_entropy(mk(backend, x, True), mk(backend, lab), ignore_index=2)
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor(lab), ignore_index=2)
    assert np.isnan(out.numpy()) and torch.isnan(ref)


def test_probability_targets_get_gradients(backend):
    rng = np.random.default_rng(14)
    x, t = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    oracle(backend, lambda a, b: LS.cross_entropy(a, b, label_smoothing=0.1),
           lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1), [x, t], "float64", what="target grad")
    oracle(backend, lambda a, b: LS.binary_cross_entropy(a, b), lambda a, b: TF.binary_cross_entropy(a, b),
           [rng.uniform(0.1, 0.9, 4), rng.uniform(0, 1, 4)], "float64", what="bce target grad")
    oracle(backend, lambda a, b: LS.binary_cross_entropy_with_logits(a, b, pos_weight=mk(backend, np.array([2.0]))),
           lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor([2.0], dtype=torch.float64)),
           [rng.standard_normal(4), rng.uniform(0, 1, 4)], "float64", what="bcel target grad")
    oracle(backend, lambda a, b: LS.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b),
           [rng.standard_normal(4), rng.standard_normal(4)], "float64", what="mse target grad")
    oracle(backend, lambda a, b: LS.smooth_l1_loss(a, b, beta=0.5), lambda a, b: TF.smooth_l1_loss(a, b, beta=0.5),
           [rng.standard_normal(4), rng.standard_normal(4)], "float64", what="smooth target grad")


# -- optimizers -----------------------------------------------------------------------------------


# -- learning-rate schedulers ---------------------------------------------------------------------


# -- autograd semantics ---------------------------------------------------------------------------
def test_gradient_accumulates_across_backward_calls(backend):
    x = np.array([0.5, -1.0, 2.0])
    a, t = mk(backend, x, True), torch.tensor(x, requires_grad=True)
    (a * a).sum().backward()
    (a.exp()).sum().backward()
    (t * t).sum().backward()
    t.exp().sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_retain_graph_twice_and_freed_graph(backend):
    x = np.array([0.5, -1.0, 2.0])
    a, t = mk(backend, x, True), torch.tensor(x, requires_grad=True)
    y, ty = (a * a.sin()).sum(), (t * t.sin()).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError):
        y.backward()  # the graph was freed by the second call, as in torch


def test_backward_with_explicit_gradient(backend):
    rng = np.random.default_rng(15)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    a, t = mk(backend, x, True), torch.tensor(x, requires_grad=True)
    (a * 3.0 + a * a).backward(mk(backend, g))
    (t * 3.0 + t * t).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    b = mk(backend, x, True)
    (b * 2.0).backward(mk(backend, g).array)  # a native array works too
    np.testing.assert_allclose(b.grad.numpy(), 2 * g, rtol=1e-12)
    with pytest.raises(RuntimeError):
        (b * 2.0).backward()  # non-scalar without a gradient
    with pytest.raises((RuntimeError, ValueError)):
        (b * 2.0).backward(mk(backend, np.ones((3, 2))))  # gradient of the wrong shape


def test_no_grad_detach_and_requires_grad_propagation(backend):
    x = np.array([1.0, 2.0])
    a = mk(backend, x, True)
    b = mk(backend, x)
    assert (a * b).requires_grad and not (b * b).requires_grad
    assert not (b + 1.0).requires_grad
    with no_grad():
        c = a * 2.0
    assert not c.requires_grad and c.is_leaf and c.grad_fn is None
    d = a.detach()
    assert not d.requires_grad and d.is_leaf
    e = (a * 2.0)
    assert not e.is_leaf and e.grad_fn is not None
    (e.detach() * a).sum().backward()  # detach cuts the path through e
    np.testing.assert_allclose(a.grad.numpy(), 2 * x)
    with pytest.raises(RuntimeError):
        b.sum().backward()
    with pytest.raises(TypeError):
        mk(backend, np.array([1, 2]), True)  # integer tensors cannot require grad
    f = mk(backend, x)
    f.requires_grad = True
    assert f.requires_grad and f.is_leaf
    with pytest.raises(RuntimeError):
        e.requires_grad = False


def test_leaf_and_non_leaf_grad(backend):
    x = np.array([1.0, -2.0, 3.0])
    a, t = mk(backend, x, True), torch.tensor(x, requires_grad=True)
    h, th = a * a, t * t
    h2, th2 = a * 3.0, t * 3.0
    h2.retain_grad()
    th2.retain_grad()
    (h * h2).sum().backward()
    (th * th2).sum().backward()
    assert h.grad is None  # non-leaf without retain_grad keeps no gradient
    np.testing.assert_allclose(h2.grad.numpy(), th2.grad.numpy())
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy())


def test_same_tensor_used_twice_and_diamond(backend):
    x = np.array([0.3, 1.2])
    a, t = mk(backend, x, True), torch.tensor(x, requires_grad=True)
    y, ty = a.exp(), t.exp()
    z, tz = (y * y + y.sin() * a - y / a).sum(), (ty * ty + ty.sin() * t - ty / t).sum()
    z.backward()
    tz.backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_inplace_free_semantics(backend):
    x = np.array([1.0, 2.0])
    a = mk(backend, x, True)
    before = a.numpy().copy()
    b = a + 1.0
    c = b * 2.0
    _ = a[0:1]
    _ = a.reshape(2, 1)
    assert np.array_equal(a.numpy(), before)  # no operation writes into its input
    c.sum().backward()
    g1 = a.grad.numpy().copy()
    (a * 5.0).sum().backward()
    assert np.array_equal(g1, [2.0, 2.0])  # a later backward does not mutate an earlier gradient array
    np.testing.assert_allclose(a.grad.numpy(), [7.0, 7.0])
    np.testing.assert_allclose(c.numpy(), (x + 1) * 2)


def test_broadcast_gradient_into_leaf_and_scalar_outputs(backend):
    a = mk(backend, np.asarray(2.0), True)
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (a * mk(backend, np.ones((2, 3)))).sum().backward()
    (t * torch.ones(2, 3, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy())
    assert a.grad.shape == ()
    b = mk(backend, np.ones((1, 3)), True)
    (b * 1.0).backward(mk(backend, np.ones((1, 3))))
    assert b.grad.shape == (1, 3)


def test_freed_graph_inside_is_an_error_not_a_silent_partial_gradient(backend):
    a = mk(backend, np.array([1.0, 2.0]), True)
    y = a * 2.0
    y.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        (y * 3.0).sum().backward()


def test_torch_spellings_dim_keepdim_and_host_weights(backend):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 4))
    oracle(backend, lambda t: t.sum(dim=1, keepdim=True), lambda t: t.sum(dim=1, keepdim=True), [x], "float64")
    oracle(backend, lambda t: R.var(t, dim=0, unbiased=True), lambda t: torch.var(t, dim=0), [x], "float64")
    oracle(backend, lambda t: R.max(t, dim=[0, 1]), lambda t: t.amax(dim=[0, 1]), [x], "float64")
    oracle(backend, lambda t: A.softmax(t, dim=0), lambda t: torch.softmax(t, dim=0), [x], "float64")
    oracle(backend, lambda t: t.log_softmax(dim=0), lambda t: t.log_softmax(dim=0), [x], "float64")
    labels = np.array([0, 3, 1])
    w = rng.uniform(0.5, 2, 4)
    oracle(backend, lambda t, y: LS.cross_entropy(t, y, weight=w.astype(np.float32)),  # host weight, other dtype
           lambda t, y: TF.cross_entropy(t, y, weight=torch.tensor(w.astype(np.float32)).double()),
           [x, labels], "float64", grads=[True, False])
    oracle(backend, lambda t, y: LS.binary_cross_entropy_with_logits(t, y, pos_weight=list(w)),
           lambda t, y: TF.binary_cross_entropy_with_logits(t, y, pos_weight=torch.tensor(w)),
           [x, rng.uniform(0, 1, (3, 4))], "float64", grads=[True, False])


def test_probability_targets_k_dim_get_gradients(backend):
    rng = np.random.default_rng(17)
    x, t = rng.standard_normal((2, 3, 2)), rng.uniform(0, 1, (2, 3, 2))
    w = rng.uniform(0.5, 2, 3)
    for reduction in ("mean", "sum", "none"):
        oracle(backend, lambda a, b: LS.cross_entropy(a, b, mk(backend, w), reduction=reduction, label_smoothing=0.3),
               lambda a, b: TF.cross_entropy(a, b, torch.tensor(w), reduction=reduction, label_smoothing=0.3),
               [x, t], "float64", what=reduction)


def test_mixed_kinds_promote_as_in_torch_on_every_backend(backend):
    rng = np.random.default_rng(18)
    ints, x = np.array([1, -2, 3]), rng.standard_normal(3).astype(np.float32)
    cases = [lambda a, b: a / 2, lambda a, b: a + 1.5, lambda a, b: a * b, lambda a, b: b - a, lambda a, b: (b > 0) * b,
             lambda a, b: (b > 0) * 2, lambda a, b: a / a, lambda a, b: 2.5 * a, lambda a, b: (a < 1.5) * 1]
    for i, fn in enumerate(cases):
        oracle(backend, fn, fn, [ints, x], "float32", grads=[False, True] if i in (2, 3, 4) else [False, False],
               what=f"case {i}")
