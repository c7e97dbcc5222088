"""Randomised oracle: convolution, pooling, normalisation, embedding and shape layers against torch.nn.

Hypothesis draws layer configurations (derandomised, so CI sees the same ones every run); each is
built in both libraries with copied weights and compared forward and backward (input, weight and
bias gradients) in float64 (rtol 1e-6) and float32 (rtol 1e-4) on every backend of the fixture.
Where PyTorch rejects a configuration, anynn must reject it too.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import anynn
from anynn.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from anynn.nn.dropout import Dropout, Dropout1d, Dropout2d
from anynn.nn.embedding import Embedding
from anynn.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from anynn.nn.pool import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from anynn.nn.shape import Flatten, Unflatten

from tests.helpers import make

OURS: dict[str, Any] = {cls.__name__: cls for cls in (
    Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d,
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, RMSNorm)}
# what a configuration torch rejects must raise here too
REJECTED = (ValueError, TypeError, IndexError, NotImplementedError)


def _settings(examples: int) -> Any:
    """Derandomised settings; ``ANYNN_ORACLE_SCALE=10`` multiplies the examples for a deeper local hunt."""
    examples *= int(os.environ.get("ANYNN_ORACLE_SCALE", "1"))
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _tolerance(dtype: str) -> dict[str, float]:
    return dict(rtol=1e-6, atol=1e-9) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)


def _torch_dtype(dtype: str) -> torch.dtype:
    return torch.float64 if dtype == "float64" else torch.float32


def _input(seed: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
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


def _norm_input(name: str, args: tuple, seed: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A standard normal input; in float32 one whose every normalised set is spread out.

    Two nearly equal values in a small set make the input gradient ill-conditioned (it is a difference of
    terms ~1/std larger than itself): PyTorch's and our float32 answers then differ from the exact one
    (and each other) by far more than 1e-4. Float64 keeps such inputs.
    """
    x = _input(seed, shape, dtype)
    while dtype == "float32" and _smallest_spread(name, args, x) < 0.3:
        seed += 1_000_003
        x = _input(seed, shape, dtype)
    return x


def _int_or_tuple(draw: Any, values: tuple[int, ...]) -> int | tuple[int, ...]:
    """An int when every axis agrees and the draw says so (PyTorch accepts both forms)."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return values


def _build_torch(name: str, args: tuple, kwargs: dict, dtype: str) -> torch.nn.Module:
    return getattr(torch.nn, name)(*args, **kwargs).to(_torch_dtype(dtype))


def _randomise(module: torch.nn.Module, seed: int) -> None:
    """Random parameters and running statistics (not ones/zeros), so affine maps are really tested."""
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                values = g.standard_normal(tuple(t.shape))
                t.copy_(torch.tensor(np.abs(values) + 0.5 if name.endswith("running_var") else values))


def _copy(ours: anynn.nn.Module, theirs: torch.nn.Module, backend: Any, dtype: str) -> None:
    ours.to(backend, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _step(backend: Any, ours: anynn.nn.Module, theirs: torch.nn.Module, x: np.ndarray, seed: int,
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


def _check_layer(backend: Any, cfg: dict[str, Any]) -> None:
    """Build ``cfg`` in both libraries; compare, or check that both reject it."""
    name, args, kwargs, shape, dtype = cfg["name"], cfg["args"], cfg["kwargs"], cfg["shape"], cfg["dtype"]
    x = (_norm_input(name, args, cfg["seed"], shape, dtype) if name.endswith("Norm") or name.startswith("BatchNorm")
         else _input(cfg["seed"], shape, dtype))
    if cfg.get("ties"):
        x = np.round(x * 2).astype(dtype)  # repeated values: the gradient goes to the first maximum
    try:
        theirs = _build_torch(name, args, kwargs, dtype)
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
    _randomise(theirs, cfg["seed"])
    ours = OURS[name](*args, **kwargs)
    _copy(ours, theirs, backend, dtype)
    _step(backend, ours, theirs, x, cfg["seed"], _tolerance(dtype))


# -- normalisation --------------------------------------------------------------------------------


@st.composite
def batch_norm_configs(draw: Any) -> dict[str, Any]:
    name = draw(st.sampled_from(["BatchNorm1d", "BatchNorm1d", "BatchNorm2d"]))
    c = draw(st.integers(1, 4))
    if name == "BatchNorm2d":
        shape = (draw(st.integers(1, 3)), c, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    elif draw(st.booleans()):
        shape = (draw(st.integers(1, 5)), c)
    else:
        shape = (draw(st.integers(1, 3)), c, draw(st.integers(1, 4)))
    kwargs = dict(eps=draw(st.sampled_from([1e-5, 1e-3])), momentum=draw(st.sampled_from([0.1, 0.5, 1.0, 0.0, None])),
                  affine=draw(st.booleans()), track_running_stats=draw(st.booleans()))
    modes = draw(st.lists(st.booleans(), min_size=1, max_size=4))  # train (True) / eval steps in order
    return dict(name=name, args=(c,), kwargs=kwargs, shape=shape, modes=modes,
                dtype=draw(st.sampled_from(["float64", "float32"])), seed=draw(st.integers(0, 2 ** 16)))


@_settings(60)
@given(cfg=batch_norm_configs())
@example(cfg=dict(name="BatchNorm1d", args=(3,), kwargs=dict(momentum=None), shape=(4, 3, 2),
                  modes=[True, True, True, False], dtype="float64", seed=1))  # cumulative average
@example(cfg=dict(name="BatchNorm1d", args=(2,), kwargs={}, shape=(1, 2), modes=[True], dtype="float64",
                  seed=1))  # one value per channel in training: rejected by both
def test_batch_norm_matches_torch_over_steps(backend, cfg):
    """Several train/eval steps: outputs, gradients and running statistics stay equal."""
    name, args, kwargs, dtype, tol = cfg["name"], cfg["args"], cfg["kwargs"], cfg["dtype"], _tolerance(cfg["dtype"])
    theirs = _build_torch(name, args, kwargs, dtype)
    _randomise(theirs, cfg["seed"])
    ours = OURS[name](*args, **kwargs)
    _copy(ours, theirs, backend, dtype)
    for i, training in enumerate(cfg["modes"]):
        ours.train(training)
        theirs.train(training)
        x = (_norm_input(name, args, cfg["seed"] + i, cfg["shape"], dtype) * (i + 1) + i).astype(dtype)
        try:
            copy.deepcopy(theirs)(torch.tensor(x))  # a probe: the real step below updates the statistics
        except (RuntimeError, ValueError) as error:
            assert "more than 1 value" in str(error)
            with pytest.raises(ValueError, match="more than 1 value"):
                ours(make(backend, x))
            return
        _step(backend, ours, theirs, x, cfg["seed"] + i, tol, label=f" (step {i}, training={training})")
        state = theirs.state_dict()
        for buffer_name, buffer in ours.named_buffers():
            np.testing.assert_allclose(np.asarray(buffer.numpy()), state[buffer_name].numpy(),
                                       err_msg=f"{buffer_name} after step {i}", **tol)


@st.composite
def trailing_norm_configs(draw: Any) -> dict[str, Any]:
    name = draw(st.sampled_from(["LayerNorm", "RMSNorm", "GroupNorm"]))
    if name == "GroupNorm":
        groups = draw(st.integers(1, 4))
        channels = groups * draw(st.integers(1, 3))
        spatial = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
        batch = draw(st.integers(1, 3))
        if channels // groups * math.prod(spatial) == 1:
            spatial += (2,)  # a group of one value normalises to 0 (PyTorch's float32 gives rounding noise)
        args: tuple = (groups, channels)
        normalized = (channels // groups,) + spatial
        kwargs: dict[str, Any] = dict(eps=draw(st.sampled_from([1e-5, 1e-3])), affine=draw(st.booleans()))
        shape = (batch, channels) + spatial
    else:
        normalized = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3))))
        lead = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
        args = (normalized[0] if len(normalized) == 1 and draw(st.booleans()) else normalized,)
        shape = lead + normalized
        if name == "LayerNorm":
            kwargs = dict(eps=draw(st.sampled_from([1e-5, 1e-3])), elementwise_affine=draw(st.booleans()),
                          bias=draw(st.booleans()))
        else:
            kwargs = dict(eps=draw(st.sampled_from([None, 1e-6, 1e-3])), elementwise_affine=draw(st.booleans()))
    dtype = draw(st.sampled_from(["float64", "float32"]))
    if name == "LayerNorm" and math.prod(normalized) == 1:
        dtype = "float64"  # one value normalises to 0 exactly; PyTorch's float32 gives ~1e-5 of rounding noise
    return dict(name=name, args=args, kwargs=kwargs, shape=shape, dtype=dtype, seed=draw(st.integers(0, 2 ** 16)))


def _norm(name: str, args: tuple, shape: tuple[int, ...], dtype: str = "float64", **kwargs: Any) -> dict[str, Any]:
    return dict(name=name, args=args, kwargs=kwargs, shape=shape, dtype=dtype, seed=5)


@_settings(80)
@given(cfg=trailing_norm_configs())
@example(cfg=_norm("LayerNorm", ((2, 3, 4),), (2, 2, 3, 4), bias=False))
@example(cfg=_norm("RMSNorm", ((3, 4),), (2, 3, 4), dtype="float32"))  # eps None: float32 machine epsilon
@example(cfg=_norm("GroupNorm", (1, 4), (2, 4, 3)))  # one group: layer norm over (C, *)
@example(cfg=_norm("GroupNorm", (4, 4), (2, 4, 2, 2)))  # instance norm
@example(cfg=_norm("GroupNorm", (2, 2), (1, 2)))  # one value per group: rejected by both
@example(cfg=_norm("LayerNorm", (3,), (2, 4)))  # wrong trailing shape: rejected by both
def test_trailing_norms_match_torch(backend, cfg):
    _check_layer(backend, cfg)


# -- embedding, dropout, reshaping ----------------------------------------------------------------


@st.composite
def embedding_configs(draw: Any) -> dict[str, Any]:
    num = draw(st.integers(1, 8))
    return dict(num=num, dim=draw(st.integers(1, 4)), padding_idx=draw(st.sampled_from([None, 0, num - 1, -1])),
                shape=tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 3)))),
                dtype=draw(st.sampled_from(["float64", "float32"])),
                index_dtype=draw(st.sampled_from(["int64", "int32"])), seed=draw(st.integers(0, 2 ** 16)),
                extra=dict(max_norm=draw(st.sampled_from([None, None, 0.5, 1.5])),
                           norm_type=draw(st.sampled_from([2.0, 1.0, 3.0, math.inf])),
                           scale_grad_by_freq=draw(st.booleans())))


@_settings(40)
@given(cfg=embedding_configs())
def test_embedding_matches_torch(backend, cfg):
    """Any index shape (0-D to 3-D), the largest index, padding_idx (negative too), repeated indices,
    max_norm (rows rescaled in place) with several norms, scale_grad_by_freq."""
    num, dtype = cfg["num"], cfg["dtype"]
    g = np.random.default_rng(cfg["seed"])
    indices = g.integers(0, num, size=cfg["shape"])
    indices.reshape(-1)[:1] = num - 1  # always look up the last row
    indices = indices.astype(cfg["index_dtype"])
    theirs = torch.nn.Embedding(num, cfg["dim"], padding_idx=cfg["padding_idx"], **cfg["extra"])
    theirs = theirs.to(_torch_dtype(dtype))
    ours = Embedding(num, cfg["dim"], padding_idx=cfg["padding_idx"], **cfg["extra"])
    _copy(ours, theirs, backend, dtype)
    out, ref = ours(make(backend, indices)), theirs(torch.tensor(indices))
    tol = _tolerance(dtype)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tol)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), err_msg="renormed weight", **tol)
    weights = g.standard_normal(tuple(ref.shape)).astype(dtype)
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **tol)
    with pytest.raises(IndexError, match="out of range"):
        ours(make(backend, np.array([0, num])))


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("cls, shape", [(Dropout, (4, 50)), (Dropout1d, (3, 40, 5)), (Dropout1d, (60, 4)),
                                        (Dropout2d, (3, 40, 2, 3)), (Dropout2d, (40, 2, 3))])
def test_dropout_masks(backend, cls, shape, p):
    """Kept values are scaled by 1 / (1 - p), Dropout1d/2d drop whole channels, eval is the identity."""
    x = np.random.default_rng(0).uniform(1.0, 2.0, shape)
    layer = cls(p, seed=3)
    xa = make(backend, x, requires_grad=True)
    out = layer(xa)
    out.sum().backward()
    y, grad = out.numpy(), xa.grad.numpy()
    kept = y != 0
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    np.testing.assert_allclose(y[kept], x[kept] * scale, rtol=1e-12)
    np.testing.assert_allclose(grad, kept * scale, rtol=1e-12)
    spatial = {Dropout: 0, Dropout1d: 1, Dropout2d: 2}[cls]
    if cls is Dropout2d and len(shape) == 3:  # PyTorch 2.13 reads 3-D input of Dropout2d as (N, C, L)
        spatial = 1
    if spatial:
        planes = kept.reshape(shape[:-spatial] + (-1,))
        assert (planes.all(axis=-1) | ~planes.any(axis=-1)).all(), "a channel was partly dropped"
    if 0.0 < p < 1.0:
        units = kept.size // math.prod(shape[len(shape) - spatial:])
        frac = (kept.sum() / kept.size)
        assert abs(frac - (1 - p)) < 4 * math.sqrt(p * (1 - p) / units) + 1e-9
    layer.eval()
    np.testing.assert_array_equal(layer(make(backend, x)).numpy(), x)


FLATTEN_CASES = [((), (2, 3, 4)), ((0, -1), (2, 3, 4)), ((2, 3), (2, 3, 4, 5)), ((-3, -2), (2, 3, 4, 5)),
                 ((1, 1), (3, 4)), ((-1, -1), (2, 3)), ((0, 0), ()), ((2, 1), (2, 3, 4)), ((1, -1), (5,)),
                 ((3, -1), (2, 3))]


@pytest.mark.parametrize("args, shape", FLATTEN_CASES)
def test_flatten_matches_torch(backend, args, shape):
    _check_reshaping(backend, Flatten, torch.nn.Flatten, args, shape)


UNFLATTEN_CASES = [((1, (2, 2)), (3, 4)), ((-1, (2, 3)), (4, 6)), ((0, (2, -1)), (6, 5)), ((1, [1, 4, 1]), (2, 4, 3)),
                   ((-2, (3, 2)), (5, 6, 2)), ((1, (2, 3)), (2, 5)), ((3, (2, 2)), (2, 4)), ((1, (4, -1)), (2, 6))]


@pytest.mark.parametrize("args, shape", UNFLATTEN_CASES)
def test_unflatten_matches_torch(backend, args, shape):
    _check_reshaping(backend, Unflatten, torch.nn.Unflatten, args, shape)


def _check_reshaping(backend: Any, ours_cls: Any, torch_cls: Any, args: tuple, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    try:
        ref = torch_cls(*args)(torch.tensor(x, requires_grad=True))
    except (RuntimeError, IndexError, ValueError):
        with pytest.raises(REJECTED):
            ours_cls(*args)(make(backend, x))
        return
    xa = make(backend, x, requires_grad=True)
    out = ours_cls(*args)(xa)
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    out.sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), np.ones(shape))
