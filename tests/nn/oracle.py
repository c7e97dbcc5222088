"""The comparison engines against torch.nn that the family test files of tests/nn/ share.

Three ways of drawing cases, one section each:

- hypothesis-drawn layer configurations (derandomised, so CI sees the same ones every run): each is built in
  both libraries with copied weights and compared forward and backward (input, weight and bias gradients) in
  float64 (rtol 1e-6) and float32 (rtol 1e-4); where PyTorch rejects a configuration, anynn must reject it too
  (`check_layer`);
- twins drawn from a seeded generator (the test id carries the seed), built in PyTorch, copied into the anynn
  twin with ``load_state_dict`` and compared in eval mode: forward outputs, then the gradients of the inputs,
  initial states and every parameter (`compare`);
- seeded fuzz loops: each test draws its configurations from a seeded generator and compares forward values,
  then the gradients after projecting every output on fixed random weights; where PyTorch refuses a
  configuration anynn must refuse it too (`run_both`, `compare_grads`); the NumPy backend runs every
  configuration, the other backends a smaller share (`fuzz_count`).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import anynn
from anynn.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from anynn.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from anynn.nn.pool import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make


# -- hypothesis-drawn layer configurations -------------------------------------------------------

OURS: dict[str, Any] = {cls.__name__: cls for cls in (
    Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d,
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, RMSNorm)}
# what a configuration torch rejects must raise here too
REJECTED = (ValueError, TypeError, IndexError, NotImplementedError)


def oracle_settings(examples: int) -> Any:
    """Derandomised settings; ``ANYNN_ORACLE_SCALE=10`` multiplies the examples for a deeper local hunt."""
    examples *= int(os.environ.get("ANYNN_ORACLE_SCALE", "1"))
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def tolerance(dtype: str) -> dict[str, float]:
    return dict(rtol=1e-6, atol=1e-9) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)


def torch_dtype(dtype: str) -> torch.dtype:
    return torch.float64 if dtype == "float64" else torch.float32


def random_input(seed: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _smallest_spread(name: str, args: tuple, x: np.ndarray) -> float:
    """Smallest standard deviation (RMS for RMSNorm) over the sets of values a norm layer normalises together.

    Sets of one value are left out: they normalise exactly to 0.
    """
    if name.startswith("BatchNorm"):
        sets = np.moveaxis(x, 1, 0).reshape(x.shape[1], -1)
    elif name == "GroupNorm":
        sets = x.reshape(x.shape[0] * args[0], -1)
    else:
        normalized = args[0] if isinstance(args[0], tuple) else (args[0],)
        sets = x.reshape(-1, math.prod(normalized))
    if sets.shape[1] < 2:
        return math.inf
    spread = np.sqrt((sets ** 2).mean(axis=1)) if name == "RMSNorm" else sets.std(axis=1)
    return float(spread.min())


def norm_input(name: str, args: tuple, seed: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A standard normal input; in float32 one whose every normalised set is spread out.

    Two nearly equal values in a small set make the input gradient ill-conditioned (it is a difference of
    terms ~1/std larger than itself): PyTorch's and our float32 answers then differ from the exact one
    (and each other) by far more than 1e-4. Float64 keeps such inputs.
    """
    x = random_input(seed, shape, dtype)
    while dtype == "float32" and _smallest_spread(name, args, x) < 0.3:
        seed += 1_000_003
        x = random_input(seed, shape, dtype)
    return x


def int_or_tuple(draw: Any, values: tuple[int, ...]) -> int | tuple[int, ...]:
    """An int when every axis agrees and the draw says so (PyTorch accepts both forms)."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return values


def build_torch(name: str, args: tuple, kwargs: dict, dtype: str) -> torch.nn.Module:
    return getattr(torch.nn, name)(*args, **kwargs).to(torch_dtype(dtype))


def randomise(module: torch.nn.Module, seed: int) -> None:
    """Random parameters and running statistics (not ones/zeros), so affine maps are really tested."""
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                values = g.standard_normal(tuple(t.shape))
                t.copy_(torch.tensor(np.abs(values) + 0.5 if name.endswith("running_var") else values))


def copy_weights(ours: anynn.nn.Module, theirs: torch.nn.Module, backend: Any, dtype: str) -> None:
    ours.to(backend, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def compare_step(backend: Any, ours: anynn.nn.Module, theirs: torch.nn.Module, x: np.ndarray, seed: int,
                 tol: dict[str, float], label: str = "") -> None:
    """One forward and backward of both modules on ``x``; compare output and every gradient."""
    for p in ours.parameters():
        p.grad = None
    theirs.zero_grad()
    xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xa), theirs(xt)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg=f"forward{label}", **tol)
    if not torch.isfinite(ref).all():
        return  # a max-pool window with no input element: -inf out, and PyTorch's gradient index is garbage
    weights = np.random.default_rng(seed + 1).standard_normal(tuple(ref.shape)).astype(x.dtype)
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), err_msg=f"input gradient{label}", **tol)
    theirs_params = dict(theirs.named_parameters())
    assert {n for n, _ in ours.named_parameters()} == set(theirs_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(),
                                   err_msg=f"gradient of {name}{label}", **tol)


def check_layer(backend: Any, cfg: dict[str, Any]) -> None:
    """Build ``cfg`` in both libraries; compare, or check that both reject it."""
    name, args, kwargs, shape, dtype = cfg["name"], cfg["args"], cfg["kwargs"], cfg["shape"], cfg["dtype"]
    x = (norm_input(name, args, cfg["seed"], shape, dtype) if name.endswith("Norm") or name.startswith("BatchNorm")
         else random_input(cfg["seed"], shape, dtype))
    if cfg.get("ties"):
        x = np.round(x * 2).astype(dtype)  # repeated values: the gradient goes to the first maximum
    try:
        theirs = build_torch(name, args, kwargs, dtype)
        probe = theirs(torch.tensor(x))
    except (RuntimeError, ValueError, TypeError, IndexError):
        with pytest.raises(REJECTED):
            ours = OURS[name](*args, **kwargs)
            ours.to(backend, dtype=dtype)
            ours(make(backend, x))
        return
    if probe.numel() == 0:
        # PyTorch lets a 2-D transposed convolution give an empty output (not a 1-D one); we reject both
        with pytest.raises(ValueError, match="empty output"):
            OURS[name](*args, **kwargs).to(backend, dtype=dtype)(make(backend, x))
        return
    randomise(theirs, cfg["seed"])
    ours = OURS[name](*args, **kwargs)
    copy_weights(ours, theirs, backend, dtype)
    compare_step(backend, ours, theirs, x, cfg["seed"], tolerance(dtype))


# -- twins drawn from a seeded generator ----------------------------------------------------------

TWIN_TOL = {"float64": dict(rtol=1e-6, atol=1e-8), "float32": dict(rtol=1e-4, atol=1e-5)}
TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}


def _flat(out: Any) -> list[Any]:
    """Nested tuples of outputs as a flat list (None entries dropped)."""
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def check_close(a: Any, b: Any, dtype: str, what: str) -> None:
    np.testing.assert_allclose(a, b, err_msg=what, **TWIN_TOL[dtype])


def compare(backend: Any, ours: Any, theirs: Any, run_ours: Callable[..., Any], run_theirs: Callable[..., Any],
            inputs: list[np.ndarray], dtype: str, extras: list[Any] = (), seed: int = 0) -> None:
    """Copy ``theirs``' state into ``ours``, run both on ``inputs`` (+ non-differentiable ``extras``), compare.

    ``ours`` / ``theirs`` may be a module or None (a plain function). Floating ``inputs`` (None
    allowed) require grad; the outputs are projected on fixed random weights so every element counts.
    """
    tdtype = TORCH_DTYPE[dtype]
    if theirs is not None:
        theirs.to(tdtype).eval()
        ours.to(backend, dtype=dtype).eval()  # first: loading float64 into float32 would round the weights
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    a_in = [None if x is None else make(backend, x.astype(dtype), requires_grad=True) for x in inputs]
    t_in = [None if x is None else torch.tensor(x.astype(dtype), requires_grad=True) for x in inputs]
    a_ex = [None if e is None else make(backend, e if e.dtype == bool else e.astype(dtype)) for e in extras]
    t_ex = [None if e is None else torch.tensor(e if e.dtype == bool else e.astype(dtype)) for e in extras]
    a_out, t_out = _flat(run_ours(*a_in, *a_ex)), _flat(run_theirs(*t_in, *t_ex))
    assert len(a_out) == len(t_out), f"{len(a_out)} outputs, PyTorch gives {len(t_out)}"
    rng = np.random.default_rng(seed)
    a_loss = t_loss = 0.0
    for i, (a, t) in enumerate(zip(a_out, t_out)):
        assert tuple(a.shape) == tuple(t.shape), f"output {i}: shape {tuple(a.shape)}, PyTorch {tuple(t.shape)}"
        check_close(a.numpy(), t.detach().numpy(), dtype, f"output {i}")
        w = rng.standard_normal(tuple(t.shape)).astype(dtype)
        a_loss = (a * make(backend, w)).sum() + a_loss
        t_loss = (t * torch.tensor(w)).sum() + t_loss
    a_loss.backward()
    t_loss.backward()
    for i, (a, t) in enumerate(zip(a_in, t_in)):
        if t is not None:
            expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            got = np.zeros(t.shape) if a.grad is None else a.grad.numpy()
            check_close(got, expected, dtype, f"gradient of input {i}")
    if theirs is not None:
        mine = dict(ours.named_parameters())
        for name, p in theirs.named_parameters():
            assert name in mine, f"PyTorch parameter {name} has no anynn twin"
            expected = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
            got = np.zeros(p.shape) if mine[name].grad is None else mine[name].grad.numpy()
            check_close(got, expected, dtype, f"gradient of {name}")


def seed_dtype(backend: Any, seed: int) -> str:
    return "float32" if seed % 3 == 2 else "float64"


def random_mask(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """A random mask that leaves every row at least one allowed key (PyTorch's MHA gives NaN otherwise)."""
    forbid = rng.random(shape) < 0.35
    forbid[..., 0] = False
    if kind == "bool":
        return forbid
    return np.where(forbid, -np.inf, rng.standard_normal(shape) * 0.5)


def perturb_torch(theirs: Any) -> None:
    """Non-default values everywhere (biases, norms, running statistics), so every entry matters."""
    torch.manual_seed(3)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn(p.shape) * 0.2)
        for name, b in theirs.named_buffers():
            if "running_var" in name:
                b.uniform_(0.5, 2.0)
            elif "running_mean" in name:
                b.normal_()


# -- seeded fuzz loops ----------------------------------------------------------------------------

FUZZ_TOL = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=2e-4, atol=2e-5)}


def fuzz_count(backend: Any, n: int) -> int:
    """How many configurations a backend runs: all on NumPy, a sixth (at least 2) elsewhere."""
    return n if backend.name == "numpy" else max(2, n // 6)


def project(out: Any, weights: np.ndarray, backend: Any) -> Any:
    return (out * make(backend, weights)).sum()


def run_both(ours: Callable[[], Any], theirs: Callable[[], Any], what: Any,
          torch_empty_ok: bool = False) -> tuple[Any, Any] | None:
    """Run both sides; None when both refuse, a failure naming ``what`` when only one does.

    With ``torch_empty_ok``, an empty PyTorch result that anynn refuses also gives None (max unpooling
    to an empty size, where PyTorch drops the indices unchecked and anynn raises).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = theirs()
    except Exception:  # PyTorch refuses: anynn must refuse too
        try:
            ours()
        except Exception:
            return None
        pytest.fail(f"{what}: PyTorch refuses it, anynn does not")
    if torch_empty_ok and ref.numel() == 0:
        return None
    return ours(), ref


def build_and_call(cls: Any, kernel: Any, kwargs: dict[str, Any], *args: Any, **call_kwargs: Any) -> Any:
    return cls(kernel, **kwargs)(*args, **call_kwargs)


def compare_grads(pairs: list[tuple[Any, Any]], dtype: str, what: Any) -> None:
    for i, (a, t) in enumerate(pairs):
        if t.grad is None:
            continue
        assert a.grad is not None, f"{what}: no gradient for input {i}"
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), err_msg=f"{what}: gradient {i}", **FUZZ_TOL[dtype])


def layer_case_matches_torch(backend: Any, rng: np.random.Generator, ours: Callable, theirs: Callable,
                             shape: tuple[int, ...], positive: bool) -> None:
    """A fixed layer case (the LAYERS tables of the pool, fold and channel files): forward and gradients against
    torch.nn in float64 and float32, with a tie in the last axis (the first maximum wins in both) and, for layers
    that need them, positive inputs; the same class name in the repr."""
    x = rng.standard_normal(shape)
    x[..., 0] = x[..., 1]
    x = np.abs(x) + 0.1 if positive else x
    compare_module_with_torch(backend, ours(), theirs(), x, rtol=1e-10, atol=1e-12)
    compare_module_with_torch(backend, ours(), theirs(), x.astype(np.float32), rtol=1e-4, atol=1e-5)
    assert repr(ours()).split("(")[0] == repr(theirs()).split("(")[0]


def function_case_matches_torch(backend: Any, rng: np.random.Generator, fn: Callable, shape: tuple[int, ...]) -> None:
    """A fixed functional case (the FUNCTIONS tables): ``fn(F)`` against ``fn(torch.nn.functional)`` in float64,
    and a float64 central-difference gradient check."""
    x = rng.standard_normal(shape)
    compare_with_torch(backend, fn(anynn.nn.functional), fn(torch.nn.functional), x, rtol=1e-10, atol=1e-12)
    check_gradients(backend, fn(anynn.nn.functional), x)
