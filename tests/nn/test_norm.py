"""Normalisation: gradient checks, PyTorch oracle (train and eval; fixed cases and hypothesis-drawn layer
configurations), running statistics, errors."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import anynn
from anynn.functional.lp_normalize import normalize
from anynn.functional.norm import batch_norm, group_norm, layer_norm, rms_norm
from anynn.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm

from tests.helpers import check_gradients, compare_module_with_torch, copy_torch_weights, make
from tests.nn.oracle import (OURS, build_torch, check_layer, compare_step, copy_weights, norm_input, oracle_settings,
                             randomise, tolerance)

pytestmark = pytest.mark.jax  # the whole module runs on the jax backend too

TOLERANCES = {"float64": dict(rtol=1e-5, atol=1e-7), "float32": dict(rtol=1e-4, atol=1e-5)}


def _randomize(torch_module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Non-trivial affine parameters (PyTorch starts them at ones and zeros)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in torch_module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5 + 1.0)
    return torch_module


# -- gradient checks (float64, tiny shapes) --------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 2), (2, 2, 3)])
def test_grad_check_batch_norm_train(backend, rng, shape):
    channels = shape[1]
    check_gradients(backend, lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
                    rng.standard_normal(shape), rng.standard_normal(channels), rng.standard_normal(channels))


def test_grad_check_batch_norm_eval_and_no_affine(backend, rng):
    mean = make(backend, rng.standard_normal(2))
    var = make(backend, rng.uniform(0.5, 2.0, 2))
    check_gradients(backend, lambda x, w, b: batch_norm(x, mean, var, w, b, training=False),
                    rng.standard_normal((2, 2, 2)), rng.standard_normal(2), rng.standard_normal(2))
    check_gradients(backend, lambda x: batch_norm(x, None, None, training=True), rng.standard_normal((3, 2)))


def test_grad_check_layer_norm(backend, rng):
    check_gradients(backend, lambda x, w, b: layer_norm(x, (2, 2), w, b),
                    rng.standard_normal((2, 2, 2)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2)))
    check_gradients(backend, lambda x: layer_norm(x, 3), rng.standard_normal((2, 3)))


def test_grad_check_group_norm(backend, rng):
    check_gradients(backend, lambda x, w, b: group_norm(x, 2, w, b),
                    rng.standard_normal((2, 4, 2)), rng.standard_normal(4), rng.standard_normal(4))


def test_grad_check_rms_norm(backend, rng):
    check_gradients(backend, lambda x, w: rms_norm(x, 3, w, eps=1e-6),
                    rng.standard_normal((2, 3)), rng.standard_normal(3))
    check_gradients(backend, lambda x: rms_norm(x, (2, 2)), rng.standard_normal((2, 2, 2)))


# -- PyTorch oracle: forward, input and parameter gradients ---------------------------------------
def _batch_norm_cases():
    return [
        ("bn1d-2d", BatchNorm1d, torch.nn.BatchNorm1d, dict(num_features=3), (4, 3)),
        ("bn1d-3d", BatchNorm1d, torch.nn.BatchNorm1d, dict(num_features=3, momentum=None), (2, 3, 4)),
        ("bn2d", BatchNorm2d, torch.nn.BatchNorm2d, dict(num_features=2, eps=1e-3), (2, 2, 3, 3)),
        ("bn2d-plain", BatchNorm2d, torch.nn.BatchNorm2d,
         dict(num_features=2, affine=False, track_running_stats=False), (2, 2, 2, 3)),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", _batch_norm_cases(), ids=lambda c: c[0])
def test_batch_norm_matches_torch(backend, rng, case, train, dtype):
    _, ours, theirs, kwargs, shape = case
    # built on the backend directly: moving a 0-d buffer through the host makes it 1-d (see report)
    module, torch_module = ours(**kwargs, backend=backend, dtype=dtype), _randomize(theirs(**kwargs))
    if torch_module.track_running_stats:  # non-trivial running statistics for eval mode
        with torch.no_grad():
            for _ in range(2):
                torch_module(torch.tensor(rng.standard_normal(shape) * 2.0 + 0.5, dtype=torch.float32))
    module.train(train)
    torch_module.train(train)
    x = (rng.standard_normal(shape) * 1.5 + 0.3).astype(dtype)
    compare_module_with_torch(backend, module, torch_module, x, **TOLERANCES[dtype])
    for name, buf in torch_module.named_buffers():
        np.testing.assert_allclose(getattr(module, name).numpy(), buf.numpy(), err_msg=name, **TOLERANCES[dtype])
    if not train:  # inference, no backward: the form x * alpha + beta (norm.BatchNorm), as PyTorch's CPU kernel
        with anynn.no_grad(), torch.no_grad():
            np.testing.assert_allclose(module(make(backend, x)).numpy(), torch_module(torch.tensor(x)).numpy(),
                                       **TOLERANCES[dtype])


def _other_cases():
    return [
        ("layernorm", lambda: LayerNorm(4), lambda: torch.nn.LayerNorm(4), (3, 4)),
        ("layernorm-2d", lambda: LayerNorm((2, 3), eps=1e-3), lambda: torch.nn.LayerNorm((2, 3), eps=1e-3),
         (2, 2, 3)),
        ("layernorm-nobias", lambda: LayerNorm(3, bias=False), lambda: torch.nn.LayerNorm(3, bias=False), (2, 2, 3)),
        ("groupnorm", lambda: GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4), (2, 4, 3)),
        ("groupnorm-4d", lambda: GroupNorm(3, 3, eps=1e-4), lambda: torch.nn.GroupNorm(3, 3, eps=1e-4),
         (2, 3, 2, 2)),
        ("rmsnorm", lambda: RMSNorm(4), lambda: torch.nn.RMSNorm(4), (3, 4)),
        ("rmsnorm-eps", lambda: RMSNorm((2, 3), eps=1e-5), lambda: torch.nn.RMSNorm((2, 3), eps=1e-5), (2, 2, 3)),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", _other_cases(), ids=lambda c: c[0])
def test_norm_layers_match_torch(backend, rng, case, dtype):
    _, ours, theirs, shape = case
    x = (rng.standard_normal(shape) * 2.0 + 0.5).astype(dtype)
    compare_module_with_torch(backend, ours(), _randomize(theirs()), x, **TOLERANCES[dtype])


@pytest.mark.parametrize("case", [("ln", lambda: LayerNorm(3, elementwise_affine=False),
                                   lambda: torch.nn.LayerNorm(3, elementwise_affine=False)),
                                  ("gn", lambda: GroupNorm(1, 3, affine=False),
                                   lambda: torch.nn.GroupNorm(1, 3, affine=False)),
                                  ("rms", lambda: RMSNorm(3, elementwise_affine=False),
                                   lambda: torch.nn.RMSNorm(3, elementwise_affine=False))], ids=lambda c: c[0])
def test_norm_without_parameters_matches_torch(backend, rng, case):
    _, ours, theirs = case
    module = ours()
    assert list(module.parameters()) == []
    compare_module_with_torch(backend, module, theirs(), rng.standard_normal((2, 3, 3)), **TOLERANCES["float64"])


# -- running statistics ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_running_statistics_follow_torch(backend, rng, kind, momentum, dtype):
    ours = (BatchNorm1d if kind == "1d" else BatchNorm2d)(3, momentum=momentum, dtype=dtype, backend=backend)
    theirs = (torch.nn.BatchNorm1d if kind == "1d" else torch.nn.BatchNorm2d)(3, momentum=momentum)
    theirs = theirs.to(getattr(torch, dtype))
    shape = (4, 3, 5) if kind == "1d" else (2, 3, 2, 3)
    for step in range(3):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(dtype)
        ours(make(backend, x))
        theirs(torch.tensor(x))
    tol = TOLERANCES[dtype]
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), **tol)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), **tol)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(ours(make(backend, x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), **tol)


@pytest.mark.jax(run=False)  # (BatchNorm's own rows cover jax)
def test_sync_batch_norm_in_one_process_is_torchs(backend, rng):
    """SyncBatchNorm over (N, C, *) of any rank >= 2 as PyTorch's in one process (which runs batch_norm): outputs,
    gradients and running statistics; convert_sync_batchnorm swaps every BatchNorm*d, sharing its state."""
    from anynn import nn

    x = rng.standard_normal((4, 3, 2, 2, 2))
    compare_module_with_torch(backend, nn.SyncBatchNorm(3, momentum=None), torch.nn.SyncBatchNorm(3, momentum=None),
                              x, rtol=1e-10, atol=1e-12)
    ours = nn.Sequential(nn.Conv1d(2, 3, 1), nn.BatchNorm1d(3), nn.Sequential(nn.BatchNorm2d(2, affine=False)))
    theirs = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 1), torch.nn.BatchNorm1d(3),
                                 torch.nn.Sequential(torch.nn.BatchNorm2d(2, affine=False)))
    ours[1].eval(), theirs[1].eval()
    weight, mean = ours[1].weight, ours[1].running_mean
    ours, theirs = nn.SyncBatchNorm.convert_sync_batchnorm(ours), torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert repr(ours) == repr(theirs)
    assert ours[1].weight is weight and ours[1].running_mean is mean and not ours[1].training
    assert type(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm3d(2))) is nn.SyncBatchNorm
    ours[1].to(backend, dtype="float64")
    theirs[1].double()
    for _ in range(2):
        batch = rng.standard_normal((5, 3, 4))
        np.testing.assert_allclose(ours[1].train()(make(backend, batch)).numpy(),
                                   theirs[1].train()(torch.tensor(batch)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours[1].running_var.numpy(), theirs[1].running_var.numpy(), rtol=1e-10)


def test_sync_batch_norm_refuses_to_train_over_several_ranks():
    """Per-rank statistics would differ from PyTorch's synchronized ones without a word: refused, naming the layer
    and the ranks; eval mode (running statistics, no reduction in PyTorch either) runs."""
    from types import SimpleNamespace

    from anynn import nn

    layer = nn.SyncBatchNorm(2, process_group=SimpleNamespace(world_size=4))
    x = make("numpy", np.ones((3, 2), np.float32))
    with pytest.raises(NotImplementedError, match="SyncBatchNorm: training with a data-parallel group of 4 ranks"):
        layer(x)
    assert tuple(layer.eval()(x).shape) == (3, 2)
    with pytest.raises(ValueError, match=r"SyncBatchNorm: expected at least 2D input \(got 1D input\)"):
        layer(make("numpy", np.ones(3, np.float32)))


def test_eval_mode_leaves_running_statistics(backend, rng):
    bn = BatchNorm1d(2, backend=backend).eval()
    bn(make(backend, rng.standard_normal((3, 2)).astype("float32")))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(2, np.float32))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(2, np.float32))
    assert int(bn.num_batches_tracked) == 0


def test_state_dict_names_match_torch():
    for ours, theirs in [(BatchNorm2d(3), torch.nn.BatchNorm2d(3)), (LayerNorm(3), torch.nn.LayerNorm(3)),
                         (GroupNorm(1, 3), torch.nn.GroupNorm(1, 3)), (RMSNorm(3), torch.nn.RMSNorm(3)),
                         (BatchNorm1d(3, track_running_stats=False),
                          torch.nn.BatchNorm1d(3, track_running_stats=False))]:
        state = ours.state_dict()
        assert list(state) == list(theirs.state_dict())
        for name, value in theirs.state_dict().items():
            assert state[name].shape == tuple(value.shape), name
        copy_torch_weights(ours, theirs)


@pytest.mark.parametrize("strict", [True, False])
def test_a_state_dict_without_num_batches_tracked_loads_as_torch(backend, strict):
    """Checkpoints from before PyTorch 0.4.1 (and hand-made ones) have no counter: PyTorch keeps its own."""
    theirs = torch.nn.BatchNorm1d(3)
    theirs.num_batches_tracked.fill_(5)
    ours = BatchNorm1d(3, backend=backend)
    ours.num_batches_tracked.array = ours.num_batches_tracked.array + 5
    state = {k: v for k, v in theirs.state_dict().items() if k != "num_batches_tracked"}
    state["running_mean"] = torch.arange(3.0)
    expected = theirs.load_state_dict(dict(state), strict=strict)  # a plain dict, as an old file gives
    result = ours.load_state_dict({k: v.numpy() for k, v in state.items()}, strict=strict)
    assert tuple(result) == tuple(expected) == ([], [])
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 5
    np.testing.assert_array_equal(ours.running_mean.numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(KeyError, match='Missing key.s. in state_dict: "running_var"'):  # the others are still required
        ours.load_state_dict({k: v.numpy() for k, v in state.items() if k != "running_var"})


# -- errors ----------------------------------------------------------------------------------------
def test_batch_of_one_in_training_raises(backend):
    bn = BatchNorm1d(3, backend=backend)
    x = make(backend, np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected more than 1 value per channel.*\(1, 3\)"):
        bn(x)
    bn.eval()
    assert bn(x).shape == (1, 3)
    assert BatchNorm1d(3, backend=backend)(make(backend, np.ones((1, 3, 2), np.float32))).shape == (1, 3, 2)
    # PyTorch's eps checks (anynn divided by a zero or negative variance + eps): > 0 training, >= 0 in eval
    x = make(backend, np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="batch_norm eps must be positive during training, but got 0.0"):
        BatchNorm1d(3, eps=0.0, backend=backend)(x)
    with pytest.raises(ValueError, match="batch_norm eps must be non-negative"):
        BatchNorm1d(3, eps=-1e-5, backend=backend).eval()(x)
    assert BatchNorm1d(3, eps=0.0, backend=backend).eval()(x).shape == (2, 3)


@pytest.mark.parametrize("layer, shape, pattern", [
    (lambda: BatchNorm1d(3), (2, 3, 4, 4), r"BatchNorm1d: expected 2-D or 3-D input.*\(2, 3, 4, 4\)"),
    (lambda: BatchNorm1d(3), (2, 4), r"BatchNorm1d: expected input of shape \(N, C\).*C=3.*\(2, 4\)"),
    (lambda: BatchNorm2d(3), (2, 3, 4), r"BatchNorm2d: expected 4-D input.*\(2, 3, 4\)"),
    (lambda: BatchNorm2d(3), (2, 2, 4, 4), r"BatchNorm2d: expected input of shape \(N, C, H, W\).*C=3"),
    (lambda: LayerNorm((2, 3)), (4, 3, 2), r"LayerNorm: expected input of shape \(\*, 2, 3\).*\(4, 3, 2\)"),
    (lambda: GroupNorm(2, 4), (2, 6, 3), r"GroupNorm: expected input of shape \(N, C, \*\).*C=4.*\(2, 6, 3\)"),
    (lambda: RMSNorm(5), (2, 4), r"RMSNorm: expected input of shape \(\*, 5\).*\(2, 4\)"),
])
def test_wrong_shapes_name_the_layer(layer, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer()(make("numpy", np.ones(shape, np.float32)))


def test_other_errors():
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(5\) must be divisible by num_groups \(2\)"):
        GroupNorm(2, 5)
    with pytest.raises(TypeError, match="BatchNorm2d: expected input dtype float32"):
        BatchNorm2d(2)(make("numpy", np.ones((2, 2, 2, 2))))
    with pytest.raises(TypeError, match="BatchNorm1d: expected input dtype float32"):
        BatchNorm1d(2, affine=False)(make("numpy", np.ones((2, 2))))
    with pytest.raises(ValueError, match="BatchNorm1d: input is on backend 'torch' but the layer's buffers"):
        BatchNorm1d(2, affine=False)(make("torch", np.ones((2, 2), np.float32)))
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        batch_norm(make("numpy", np.ones((2, 2))), None, None, training=False)
    # a float normalized_shape is PyTorch's TypeError (int() truncated (3.5,) to 3; 3.0 was "not iterable")
    for shape in (3.0, (3.5,)):
        with pytest.raises(TypeError, match="layer_norm\\(\\): argument 'normalized_shape' must be an int or a tuple"):
            layer_norm(make("numpy", np.ones((2, 3), np.float32)), shape)
        with pytest.raises(TypeError, match="RMSNorm\\(\\): argument 'normalized_shape'"):
            RMSNorm(shape)


# -- configurations drawn by hypothesis, against torch.nn ---------------------------------------------


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


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
@oracle_settings(60)
@given(cfg=batch_norm_configs())
@example(cfg=dict(name="BatchNorm1d", args=(3,), kwargs=dict(momentum=None), shape=(4, 3, 2),
                  modes=[True, True, True, False], dtype="float64", seed=1))  # cumulative average
@example(cfg=dict(name="BatchNorm1d", args=(2,), kwargs={}, shape=(1, 2), modes=[True], dtype="float64",
                  seed=1))  # one value per channel in training: rejected by both
def test_batch_norm_matches_torch_over_steps(backend, cfg):
    """Several train/eval steps: outputs, gradients and running statistics stay equal."""
    name, args, kwargs, dtype, tol = cfg["name"], cfg["args"], cfg["kwargs"], cfg["dtype"], tolerance(cfg["dtype"])
    theirs = build_torch(name, args, kwargs, dtype)
    randomise(theirs, cfg["seed"])
    ours = OURS[name](*args, **kwargs)
    copy_weights(ours, theirs, backend, dtype)
    for i, training in enumerate(cfg["modes"]):
        ours.train(training)
        theirs.train(training)
        x = (norm_input(name, args, cfg["seed"] + i, cfg["shape"], dtype) * (i + 1) + i).astype(dtype)
        try:
            copy.deepcopy(theirs)(torch.tensor(x))  # a probe: the real step below updates the statistics
        except (RuntimeError, ValueError) as error:
            assert "more than 1 value" in str(error)
            with pytest.raises(ValueError, match="more than 1 value"):
                ours(make(backend, x))
            return
        compare_step(backend, ours, theirs, x, cfg["seed"] + i, tol, label=f" (step {i}, training={training})")
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


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
@oracle_settings(80)
@given(cfg=trailing_norm_configs())
@example(cfg=_norm("LayerNorm", ((2, 3, 4),), (2, 2, 3, 4), bias=False))
@example(cfg=_norm("RMSNorm", ((3, 4),), (2, 3, 4), dtype="float32"))  # eps None: float32 machine epsilon
@example(cfg=_norm("GroupNorm", (1, 4), (2, 4, 3)))  # one group: layer norm over (C, *)
@example(cfg=_norm("GroupNorm", (4, 4), (2, 4, 2, 2)))  # instance norm
@example(cfg=_norm("GroupNorm", (2, 2), (1, 2)))  # one value per group: rejected by both
@example(cfg=_norm("LayerNorm", (3,), (2, 4)))  # wrong trailing shape: rejected by both
def test_trailing_norms_match_torch(backend, cfg):
    check_layer(backend, cfg)


INTEGER_NORMS = {  # (the function, its PyTorch twin): PyTorch's kernels refuse integer input
    "batch_norm": (lambda x: batch_norm(x, None, None, training=True),
                   lambda t: torch.nn.functional.batch_norm(t, None, None, training=True)),
    "layer_norm": (lambda x: layer_norm(x, (4,)), lambda t: torch.nn.functional.layer_norm(t, (4,))),
    "group_norm": (lambda x: group_norm(x, 1), lambda t: torch.nn.functional.group_norm(t, 1)),
    "rms_norm": (lambda x: rms_norm(x, (4,)), lambda t: torch.nn.functional.rms_norm(t, (4,))),
    "normalize": (lambda x: normalize(x), lambda t: torch.nn.functional.normalize(t)),
}


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("name", sorted(INTEGER_NORMS))
def test_normalisations_refuse_integer_input_as_torch(backend, name, dtype):
    values = np.arange(24).reshape(2, 3, 4) % 5
    values = values > 2 if dtype == "bool" else values.astype(dtype)
    ours, theirs = INTEGER_NORMS[name]
    with pytest.raises((RuntimeError, NotImplementedError)):
        theirs(torch.tensor(values))
    with pytest.raises(TypeError, match=rf"{name}\(\): expected a floating point or complex input, got dtype {dtype}"):
        ours(make(backend, values))


HALF_INPUT_LAYERS = [("BatchNorm2d", (3,), {}), ("GroupNorm", (3, 3), {}), ("LayerNorm", (2,), {}),
                     ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True)), ("RMSNorm", (2,), {})]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name,args,kwargs", HALF_INPUT_LAYERS, ids=[r[0] for r in HALF_INPUT_LAYERS])
def test_a_float32_norm_layer_takes_float16_input_as_torch(backend, name, args, kwargs, train):
    # PyTorch's normalization layers run float16/bfloat16 input with float32 parameters and statistics (autocast
    # or not): the output in the input's dtype, the statistics kept float32; other layers refuse the mismatch
    import anynn

    try:
        backend.dtype("float16")
    except TypeError:
        pytest.skip(f"{backend.key} has no float16")
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float16)
    ours = getattr(anynn.nn, name)(*args, **kwargs).to(backend).train(train)
    theirs = getattr(torch.nn, name)(*args, **kwargs).train(train)
    mine, ref_in = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(mine), theirs(ref_in)
    assert anynn.backend.dtype_name(out.dtype) == "float16" == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.detach().numpy().astype(np.float32), ref.detach().float().numpy(), atol=2e-2)
    out.float().sum().backward()
    ref.float().sum().backward()
    assert mine.grad.numpy().dtype == np.float16
    for key, value in ours.state_dict().items():
        assert value.numpy().dtype == theirs.state_dict()[key].numpy().dtype, key
        np.testing.assert_allclose(value.numpy().astype(np.float32), theirs.state_dict()[key].float().numpy(),
                                   atol=1e-3, err_msg=key)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.grad.numpy().dtype == np.float32, key
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=5e-2, rtol=2e-2, err_msg=key)


@pytest.mark.parametrize("input_dtype, layer_dtype", [("float64", "float32"), ("float32", "float64")])
def test_rms_norm_takes_another_floating_dtype_as_torch(backend, input_dtype, layer_dtype):
    # PyTorch's RMSNorm (a composite) runs any floating input, the result and its gradient in the input's dtype;
    # anynn refused the layer's call (DTypeMismatchError) and gave float64 for float32 input with float64 weights
    from anynn.backend import dtype_name

    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    theirs = torch.nn.RMSNorm(4).to(getattr(torch, layer_dtype))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(np.random.default_rng(1).standard_normal(4)))
    ours = RMSNorm(4, backend=backend).to(dtype=layer_dtype)
    ours.load_state_dict({"weight": theirs.weight.detach().numpy()})
    xt = torch.tensor(x).to(getattr(torch, input_dtype)).requires_grad_()
    xa = make(backend, x.astype(input_dtype), requires_grad=True)
    out_t, out_a = theirs(xt), ours(xa)
    assert str(out_t.dtype).removeprefix("torch.") == dtype_name(out_a.dtype) == input_dtype
    np.testing.assert_allclose(out_a.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_t.sum().backward()
    out_a.sum().backward()
    assert dtype_name(xa.grad.dtype) == input_dtype
    assert dtype_name(ours.weight.grad.dtype) == layer_dtype
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_an_empty_normalized_axis_is_silent_as_torch(backend):
    # layer, group and RMS norm over an empty feature axis: empty results and gradients, no warning (NumPy's mean
    # warned 'Mean of empty slice', an error under -W error)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for call in (lambda x: layer_norm(x, (0,)), lambda x: group_norm(x, 2), lambda x: rms_norm(x, (0,))):
            x = make(backend, np.zeros((2, 4, 0), np.float32), requires_grad=True)
            call(x).sum().backward()
            assert tuple(x.grad.shape) == (2, 4, 0)
