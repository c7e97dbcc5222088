"""What the loss and distance test files share (test_losses.py, test_loss_inputs.py, test_distance.py): `check_all`
(a float64 gradient check, PyTorch as the oracle in float32 and float64, float32 kept float32) and seeded inputs."""

from __future__ import annotations

import numpy as np

from anynn.backend import dtype_name

from tests.helpers import check_gradients, compare_with_torch, make

DTYPES = ["float32", "float64"]


def tolerances(dtype: str) -> dict[str, float]:
    """The tightest tolerances the merged tables held their rows to."""
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-6, "atol": 1e-9}


def assert_float32_forward_and_backward(backend, fn, *arrays, differentiable=None):
    differentiable = differentiable or [a.dtype.kind == "f" for a in arrays]
    tensors = [make(backend, a, requires_grad=d) for a, d in zip(arrays, differentiable)]
    out = fn(*tensors)
    assert dtype_name(out.dtype) == "float32"
    grads = out.grad_fn.backward(backend.xp, backend.xp.ones_like(out.array))  # before any cast back
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g is None or dtype_name(g.dtype) == "float32", f"{out.grad_fn.name} backward gives {g.dtype}"
    out.sum().backward()
    for t in tensors:
        if t.requires_grad:
            assert dtype_name(t.grad.dtype) == "float32"


def check_all(backend, ours, theirs, arrays, differentiable=None):
    """Gradient check in float64, PyTorch in float32 and float64, float32 stays float32."""
    check_gradients(backend, ours, *arrays, differentiable=differentiable)
    for dtype in DTYPES:
        cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
        compare_with_torch(backend, ours, theirs, *cast, differentiable=differentiable, **tolerances(dtype))
    assert_float32_forward_and_backward(
        backend, ours, *[a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays],
        differentiable=differentiable)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def regression_pair(kinks: tuple[float, ...], shape=(2, 3)) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape) * 1.5, rng.standard_normal(shape)
    d = x - y
    for k in kinks:  # keep the differences off the kinks, so finite differences see one piece
        for kk in (k, -k):
            d = np.where(np.abs(d - kk) < 0.05, kk + 0.1, d)
    return [y + d, y]


def probabilities(shape=(2, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


def labels(shape, classes=4, seed=0, ignore=None) -> np.ndarray:
    out = np.random.default_rng(seed).integers(0, classes, shape)
    if ignore is not None:
        out.reshape(-1)[::3] = ignore
    return out.astype(np.int64)


def logits(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * 2.0


def class_probabilities(shape, seed=1) -> np.ndarray:
    e = np.exp(np.random.default_rng(seed).standard_normal(shape))
    return e / e.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def log_probabilities(shape, seed=0) -> np.ndarray:
    """Log-softmax of `logits` over the class axis (1, or 0 for one sample)."""
    x = logits(shape, seed)
    axis = 1 if len(shape) > 1 else 0
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def signs(shape, seed=1):
    return rng(seed).choice([-1.0, 1.0], shape)


def distribution(shape, seed=2):
    """Probabilities over the last axis."""
    p = rng(seed).uniform(0.05, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def log_distribution(shape, seed=0):
    return np.log(distribution(shape, seed))


def counts(shape, seed=3):
    return rng(seed).integers(0, 6, shape).astype(np.float64) + rng(seed + 1).uniform(0.1, 0.9, shape)


def class_lists(shape, seed=4):
    """Target class lists for multilabel_margin_loss: each row some classes, then -1 and anything."""
    n, c = shape
    out = rng(seed).integers(0, c, shape)
    for i in range(n):
        out[i, min(i + 1, c - 1)] = -1
    out[0, 0] = out[1, 0]  # a class listed twice in one row counts twice
    return out.reshape(shape)


def triplet(shape=(5, 4)):
    return [rng(s).normal(size=shape) for s in (0, 1, 2)]
