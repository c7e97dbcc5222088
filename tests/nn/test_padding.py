"""``anynn.functional.pad``, the padding layers and the padding modes of Conv1d/Conv2d against PyTorch (fixed
cases and seeded fuzzing)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from anynn.functional.padding import pad
from anynn.nn import padding as pad_layers
from anynn.nn.conv import Conv1d, Conv2d, ConvTranspose2d

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make
from tests.nn.oracle import compare_grads, fuzz_count, project, run_both

MODES = ["constant", "reflect", "replicate", "circular"]

# (input shape, pad): 1-D, 2-D and 3-D pads, batched and unbatched, asymmetric, zero and negative entries
CASES = {
    "1d": ((2, 3, 6), (2, 1)),
    "1d-unbatched": ((3, 5), (0, 3)),
    "1d-crop": ((2, 2, 6), (-2, 3)),
    "2d": ((2, 2, 4, 5), (1, 2, 3, 0)),
    "2d-unbatched": ((2, 4, 5), (2, 2, 1, 3)),
    "2d-crop": ((1, 2, 5, 5), (2, -1, -2, 1)),
    "3d": ((1, 2, 3, 4, 5), (1, 0, 2, 1, 2, 2)),
    "3d-unbatched": ((2, 3, 4, 3), (0, 2, 1, 1, 1, 0)),
    "3d-crop": ((1, 1, 4, 4, 4), (-1, 2, 1, -2, 2, 0)),
}


def _x(shape: tuple[int, ...], dtype: str = "float64", seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_pad_matches_torch(backend, mode, case):
    shape, pads = CASES[case]
    compare_with_torch(backend, lambda x: pad(x, pads, mode=mode),
                       lambda x: torch.nn.functional.pad(x, pads, mode=mode), _x(shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["1d", "2d-crop", "3d"])
def test_pad_gradients(backend, mode, case):
    shape, pads = CASES[case]
    check_gradients(backend, lambda x: pad(x, pads, mode=mode), _x(shape))


@pytest.mark.parametrize("pads", [(1, 2), (0, 1, 2, 0), (1, 1, 1, 1, 1, 1, 1, 1), (-1, 2, 0, -2), (0, -3)])
def test_constant_pad_any_rank_and_value(backend, pads):
    x = _x((2, 3, 3, 4), "float32")
    compare_with_torch(backend, lambda t: pad(t, pads, value=-2.5),
                       lambda t: torch.nn.functional.pad(t, pads, value=-2.5), x)
    check_gradients(backend, lambda t: pad(t, pads, value=0.75), x)


def test_constant_pad_integer_input_truncates_value(backend):
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    out = pad(make(backend, x), (1, 2), value=2.7)
    expected = torch.nn.functional.pad(torch.tensor(x), (1, 2), value=2.7).numpy()
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_edge_sizes(backend, mode):
    # the largest pads each mode allows: reflect < size, circular <= size, replicate any
    size = 3
    pads = {"reflect": (2, 2), "replicate": (5, 4), "circular": (3, 3)}[mode]
    compare_with_torch(backend, lambda x: pad(x, pads, mode=mode),
                       lambda x: torch.nn.functional.pad(x, pads, mode=mode), _x((1, 2, size)))
    # circular with crops: PyTorch crops first, then wraps the part that is left
    if mode == "circular":
        compare_with_torch(backend, lambda x: pad(x, (2, -1), mode=mode),
                           lambda x: torch.nn.functional.pad(x, (2, -1), mode=mode), _x((1, 2, 5)))


def test_pad_float32_and_zero_pad_is_identity(backend):
    x = make(backend, _x((2, 3, 4), "float32"))
    out = pad(x, (0, 0), mode="reflect")
    assert out.shape == (2, 3, 4) and out.dtype == x.dtype
    np.testing.assert_array_equal(out.numpy(), x.numpy())


@pytest.mark.parametrize("mode, pads, shape, match", [
    ("reflect", (3, 0), (1, 2, 3), r"reflect.*pad < the input size 3.*\(3, 0\)"),
    ("reflect", (1, 1, 4, 0), (1, 1, 4, 4), r"pad < the input size 4.*\(4, 0\) at dimension 2"),
    ("circular", (0, 4), (1, 2, 3), r"circular.*pad <= the input size 3.*\(0, 4\)"),
    ("circular", (-2, 2), (1, 2, 3), r"circular.*size left after the negative pads \(1\).*\(-2, 2\)"),
    ("replicate", (1, 1), (4,), r"pad of length 2 \(1, 1\) for a 1-D input"),
    ("reflect", (1, 1, 1, 1, 1, 1), (1, 4, 4), r"pad of length 6.*3-D input"),
    ("reflect", (1, 1, 1, 1, 1, 1, 1, 1), (1, 1, 4, 4, 4, 4), r"last 1, 2 or 3 axes"),
    ("constant", (1, 1, 1), (2, 3), r"even length.*\(1, 1, 1\)"),
    ("constant", (1, 1, 1, 1, 1, 1), (2, 3), r"at most 4 values"),
    ("constant", (0, -4), (2, 3), r"negative size -1"),
    ("replicate", (-2, -2), (1, 1, 3), r"negative size -1"),
    ("replicate", (1, 1), (1, 2, 0), r"non-empty"),
    ("wrap", (1, 1), (1, 2, 3), r"mode must be one of"),
])
def test_pad_errors(backend, mode, pads, shape, match):
    with pytest.raises(ValueError, match=match) as caught:
        pad(make(backend, np.zeros(shape, np.float32)), pads, mode=mode)
    if "2, 4 or 6" in str(caught.value) or mode == "wrap":  # no kernel for the length, or an unknown mode: PyTorch's
        assert isinstance(caught.value, NotImplementedError)  # NotImplementedError (the mode's: a ValueError before)


def test_pad_rejects_value_for_other_modes(backend):
    x = make(backend, np.zeros((1, 2, 3), np.float32))
    with pytest.raises(ValueError, match="takes no value"):
        pad(x, (1, 1), mode="reflect", value=1.0)
    assert pad(x, (1, 1), mode="reflect", value=0.0).shape == (1, 2, 5)
    with pytest.raises(TypeError, match="sequence of ints"):
        pad(x, (1.5, 1))


LAYERS = {
    "ConstantPad1d": ((3, 1.5), (2, 3, 5)),
    "ConstantPad2d": (((1, 0, -1, 2), -1.0), (2, 3, 4)),
    "ConstantPad3d": ((1, 2.0), (1, 2, 2, 3, 2)),
    "ZeroPad1d": (((2, 0),), (2, 5)),
    "ZeroPad2d": ((1,), (1, 2, 3, 4)),
    "ZeroPad3d": (((1, 0, 0, 1, 2, 0),), (1, 2, 2, 3, 2)),
    "ReflectionPad1d": (((2, 1),), (2, 3, 5)),
    "ReflectionPad2d": ((2,), (1, 2, 3, 4)),
    "ReflectionPad3d": (((1, 0, 2, 1, 0, 1),), (1, 2, 2, 3, 4)),
    "ReplicationPad1d": ((3,), (3, 5)),
    "ReplicationPad2d": (((0, 2, 3, 1),), (1, 2, 3, 4)),
    "ReplicationPad3d": ((2,), (2, 2, 3, 4)),
    "CircularPad1d": (((1, 3),), (2, 3, 5)),
    "CircularPad2d": ((2,), (2, 3, 4)),
    "CircularPad3d": (((1, 0, 2, 1, 2, 2),), (1, 2, 2, 3, 4)),
}


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_match_torch(backend, name):
    args, shape = LAYERS[name]
    ours, theirs = getattr(pad_layers, name)(*args), getattr(torch.nn, name)(*args)
    assert ours.padding == tuple(theirs.padding)
    assert repr(ours) == repr(theirs)
    compare_module_with_torch(backend, ours, theirs, _x(shape), rtol=1e-12, atol=1e-12)


def test_layer_padding_must_fit():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be an int or a 4-tuple"):
        pad_layers.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ConstantPad1d: padding must be an int or a 2-tuple"):
        pad_layers.ConstantPad1d((1, 2, 3), 0.0)


# -- convolutions with padding_mode -------------------------------------------------------------

CONVS = {
    "conv1d": (Conv1d, torch.nn.Conv1d, (3, 4, 3), dict(padding=2, stride=2), (2, 3, 9)),
    "conv1d-same-even": (Conv1d, torch.nn.Conv1d, (2, 3, 4), dict(padding="same", dilation=2), (2, 2, 9)),
    "conv1d-unbatched": (Conv1d, torch.nn.Conv1d, (2, 2, 3), dict(padding=1), (2, 6)),
    "conv2d": (Conv2d, torch.nn.Conv2d, (2, 4, 3), dict(padding=(1, 2), bias=False), (2, 2, 5, 6)),
    "conv2d-same-groups": (Conv2d, torch.nn.Conv2d, (4, 4, (3, 2)), dict(padding="same", groups=2), (1, 4, 5, 5)),
    "conv2d-valid": (Conv2d, torch.nn.Conv2d, (2, 3, 3), dict(padding="valid"), (1, 2, 5, 4)),
    "conv2d-stride-dilation": (Conv2d, torch.nn.Conv2d, (3, 2, 2), dict(padding=2, stride=(2, 1), dilation=2),
                               (2, 3, 6, 5)),
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("case", sorted(CONVS))
def test_conv_padding_modes_match_torch(backend, case, padding_mode):
    ours_cls, torch_cls, args, kwargs, shape = CONVS[case]
    ours = ours_cls(*args, padding_mode=padding_mode, **kwargs)
    theirs = torch_cls(*args, padding_mode=padding_mode, **kwargs)
    compare_module_with_torch(backend, ours, theirs, _x(shape), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding_mode", ["reflect", "circular"])
def test_conv_padding_mode_float32(backend, padding_mode):
    ours, theirs = Conv2d(2, 3, 3, padding=1, padding_mode=padding_mode), torch.nn.Conv2d(
        2, 3, 3, padding=1, padding_mode=padding_mode)
    compare_module_with_torch(backend, ours, theirs, _x((2, 2, 4, 5), "float32"), rtol=1e-4, atol=1e-5)


def test_conv_padding_mode_repr_and_errors():
    assert repr(Conv2d(2, 3, 3, padding=1, padding_mode="reflect")) == repr(
        torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"))  # padding_mode=reflect, unquoted as PyTorch
    assert "padding_mode" not in repr(Conv2d(2, 3, 3, padding=1))
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        Conv2d(2, 3, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros'"):
        ConvTranspose2d(2, 3, 3, padding_mode="reflect")
    conv = Conv1d(1, 1, 3, padding=3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"pad < the input size 3"):
        conv(make(conv.weight.backend, np.zeros((1, 1, 3), np.float32)))


# -- pad and the padding layers, seeded fuzzing -------------------------------------------------------


def _pad_config(rng: np.random.Generator, mode: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    dims = int(rng.integers(1, 4))
    if mode == "constant":
        lead = tuple(int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 3))))
    else:
        lead = tuple(int(rng.integers(1, 3)) for _ in range(int(rng.integers(1, 3))))
    shape = lead + tuple(int(rng.integers(1, 5)) for _ in range(dims))
    # mostly within what each mode allows (reflect: |pad| < size), sometimes anywhere in -3..4
    sizes = [shape[-1 - k] for k in range(dims) for _ in range(2)]
    high = {"reflect": 0, "circular": 1}.get(mode, 2)
    pads = tuple(int(rng.integers(-3, 5)) if rng.random() < 0.2 else int(rng.integers(1 - size, size + high))
                 for size in sizes)
    if mode == "circular":  # PyTorch reads memory it never wrote when a pad exceeds what the crops leave
        for k in range(dims):
            size, before, after = shape[-1 - k], pads[2 * k], pads[2 * k + 1]
            if max(before, after) > size + min(before, 0) + min(after, 0):
                return _pad_config(rng, mode)
    return shape, pads


@pytest.mark.parametrize("mode", MODES)
def test_pad_fuzz(backend, mode):
    rng = np.random.default_rng(MODES.index(mode))
    for _ in range(fuzz_count(backend, 60)):
        shape, pads = _pad_config(rng, mode)
        value = float(rng.choice([0.0, -1.5, 2.0])) if mode == "constant" else 0.0
        x = rng.standard_normal(shape)
        xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        what = (mode, shape, pads, value)
        kwargs = dict(value=value) if mode == "constant" else {}
        got = run_both(partial(pad, xa, pads, mode=mode, value=value),
                    partial(torch.nn.functional.pad, xt, pads, mode=mode, **kwargs), what)
        if got is None:
            continue
        out, ref = got
        assert tuple(out.shape) == tuple(ref.shape), what
        np.testing.assert_array_equal(out.numpy(), ref.detach().numpy(), err_msg=str(what))
        if ref.numel() == 0:
            continue
        w = rng.standard_normal(tuple(ref.shape))
        project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        compare_grads([(xa, xt)], "float64", what)


@pytest.mark.parametrize("mode, pads, shape", [
    ("reflect", (-1, -2), (2, 3)),  # every padded axis empty: PyTorch refuses
    ("replicate", (-2, 0, 0, -2), (1, 2, 2, 2)),
    ("replicate", (-1, -1, -1, -1, -1, -1), (1, 1, 2, 2, 2)),
])
def test_pad_refuses_all_empty_like_torch(backend, mode, pads, shape):
    with pytest.raises(RuntimeError):
        torch.nn.functional.pad(torch.zeros(shape), pads, mode=mode)
    with pytest.raises(ValueError, match="empty"):
        pad(make(backend, np.zeros(shape, np.float32)), pads, mode=mode)


@pytest.mark.parametrize("mode, pads, shape", [
    ("replicate", (-2, 0, 1, 1), (1, 2, 2, 2)),  # one empty axis is fine, as in PyTorch
    ("reflect", (1, 1, -2, 0, 0, 0), (1, 2, 2, 3)),
])
def test_pad_one_empty_axis_like_torch(backend, mode, pads, shape):
    expected = torch.nn.functional.pad(torch.zeros(shape), pads, mode=mode).shape
    assert pad(make(backend, np.zeros(shape, np.float32)), pads, mode=mode).shape == tuple(expected)


FUZZ_LAYERS = [(f"{kind}Pad{d}d", d) for kind in ("Constant", "Zero", "Reflection", "Replication", "Circular")
          for d in (1, 2, 3)]


@pytest.mark.parametrize("name, dims", FUZZ_LAYERS)
def test_padding_layers_fuzz(backend, name, dims):
    rng = np.random.default_rng(len(name) * 10 + dims)
    for _ in range(fuzz_count(backend, 6)):
        spatial = tuple(int(rng.integers(3, 6)) for _ in range(dims))
        shape = ((2,) if rng.random() < 0.6 else ()) + (2,) + spatial
        low = -1 if name.startswith(("Constant", "Zero", "Replication")) else 0
        padding = int(rng.integers(low, 3)) if rng.random() < 0.3 else tuple(
            int(rng.integers(low, 3)) for _ in range(2 * dims))
        args = (padding, 0.5) if name.startswith("Constant") else (padding,)
        x = rng.standard_normal(shape)
        xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = getattr(pad_layers, name)(*args)(xa), getattr(torch.nn, name)(*args)(xt)
        what = (name, shape, padding)
        np.testing.assert_array_equal(out.numpy(), ref.detach().numpy(), err_msg=str(what))
        w = rng.standard_normal(tuple(ref.shape))
        project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        compare_grads([(xa, xt)], "float64", what)
