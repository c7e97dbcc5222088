"""Convolutions (1-D to 3-D, transposed): gradient checks, PyTorch as oracle (forward, input and weight gradients;
fixed cases, hypothesis-drawn layer configurations, seeded padding-mode fuzzing), init, errors."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import anynn
from anynn.functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from anynn.functional.conv3d import conv3d
from anynn.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from anynn.nn.conv3d import Conv3d, ConvTranspose3d

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make
from tests.nn.oracle import (FUZZ_TOL, TORCH_DTYPE, check_layer, compare_grads, fuzz_count, int_or_tuple,
                             oracle_settings, project, run_both)

# (x shape, weight shape, keyword arguments): tiny, so the numerical check stays fast
GRAD_CASES = {
    "conv2d-stride-pad": (conv2d, (1, 2, 4, 5), (2, 2, 2, 3), dict(stride=2, padding=1)),
    "conv2d-dilation-groups": (conv2d, (2, 2, 5, 4), (4, 1, 2, 2), dict(padding=(1, 0), dilation=(2, 1), groups=2)),
    "conv2d-same-even-kernel": (conv2d, (1, 1, 4, 3), (2, 1, 2, 2), dict(padding="same")),
    # more channels than output columns: the input gradient takes the channels-last col2im
    "conv2d-channels-last-groups": (conv2d, (1, 4, 3, 2), (4, 2, 2, 2), dict(padding=1, stride=(1, 2), groups=2)),
    "conv1d": (conv1d, (2, 2, 7), (2, 1, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    "conv_transpose2d": (conv_transpose2d, (1, 2, 3, 2), (2, 1, 2, 3),
                         dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2))),
    "conv_transpose1d": (conv_transpose1d, (2, 2, 3), (2, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    "conv_transpose2d-channels-last": (conv_transpose2d, (1, 2, 2, 1), (2, 2, 2, 2),
                                       dict(stride=2, padding=(1, 0), groups=2, dilation=(2, 1))),
    "conv_transpose3d": (conv_transpose3d, (1, 2, 2, 1, 2), (2, 1, 2, 2, 1),
                         dict(stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1), groups=2,
                              dilation=(1, 2, 1))),
    "conv_transpose3d-unbatched": (conv_transpose3d, (2, 2, 1, 2), (2, 2, 1, 2, 2), dict(stride=2, padding=(0, 0, 1))),
}


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_grad_check(backend, case):
    fn, x_shape, w_shape, kwargs = GRAD_CASES[case]
    rng = np.random.default_rng(0)
    out_channels = w_shape[1] * kwargs.get("groups", 1) if fn in (conv_transpose1d, conv_transpose2d,
                                                                  conv_transpose3d) \
        else w_shape[0]
    check_gradients(backend, lambda x, w, b: fn(x, w, b, **kwargs), rng.standard_normal(x_shape),
                    rng.standard_normal(w_shape), rng.standard_normal(out_channels))


def test_grad_check_without_bias_unbatched(backend):
    rng = np.random.default_rng(1)
    check_gradients(backend, lambda x, w: conv2d(x, w, stride=(1, 2)), rng.standard_normal((2, 3, 4)),
                    rng.standard_normal((2, 2, 2, 2)))


MODULE_CASES = {
    # stride=[2] is (2, 2), as PyTorch's convolutions expand a 1-sequence (EfficientNet's blocks: stride=[1])
    "conv2d": lambda: (Conv2d(3, 4, 3, stride=[2], padding=[1]), torch.nn.Conv2d(3, 4, 3, stride=[2], padding=[1]),
                       (2, 3, 5, 6)),
    "conv2d-strided-dilated": lambda: (Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=2),
                                       torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1),
                                                       groups=2), (2, 4, 7, 5)),
    "conv2d-same-depthwise": lambda: (Conv2d(3, 3, 4, padding="same", groups=3, bias=False),
                                      torch.nn.Conv2d(3, 3, 4, padding="same", groups=3, bias=False), (2, 3, 6, 5)),
    "conv2d-valid-1x1": lambda: (Conv2d(3, 5, 1, padding="valid"), torch.nn.Conv2d(3, 5, 1, padding="valid"),
                                 (2, 3, 4, 4)),
    "conv2d-channels-last": lambda: (Conv2d(8, 6, 3, stride=(1, 2), padding=1, groups=2),
                                     torch.nn.Conv2d(8, 6, 3, stride=(1, 2), padding=1, groups=2), (2, 8, 5, 4)),
    "conv1d": lambda: (Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2),
                       torch.nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), (3, 4, 11)),
    "conv1d-same": lambda: (Conv1d(2, 3, 4, padding="same"), torch.nn.Conv1d(2, 3, 4, padding="same"), (2, 2, 7)),
    "conv_transpose2d": lambda: (ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                                 torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                                 (2, 4, 3, 4)),
    "conv_transpose2d-dilated": lambda: (ConvTranspose2d(3, 2, (2, 3), stride=(1, 3), dilation=(2, 1), bias=False),
                                         torch.nn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 3), dilation=(2, 1),
                                                                  bias=False), (2, 3, 4, 3)),
    "conv_transpose2d-channels-last": lambda: (ConvTranspose2d(4, 8, 3, stride=2, padding=1, groups=2),
                                               torch.nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, groups=2),
                                               (2, 4, 3, 2)),
    "conv_transpose1d": lambda: (ConvTranspose1d(3, 4, 3, stride=3, padding=1, output_padding=2),
                                 torch.nn.ConvTranspose1d(3, 4, 3, stride=3, padding=1, output_padding=2), (2, 3, 5)),
    "conv_transpose3d": lambda: (ConvTranspose3d(4, 6, (2, 3, 2), stride=(2, 1, 3), padding=(1, 0, 1),
                                                 output_padding=(1, 0, 2), groups=2, dilation=(1, 2, 1)),
                                 torch.nn.ConvTranspose3d(4, 6, (2, 3, 2), stride=(2, 1, 3), padding=(1, 0, 1),
                                                          output_padding=(1, 0, 2), groups=2, dilation=(1, 2, 1)),
                                 (2, 4, 3, 4, 3)),
    "conv_transpose3d-unbatched-no-bias": lambda: (ConvTranspose3d(3, 2, 2, stride=2, bias=False),
                                                   torch.nn.ConvTranspose3d(3, 2, 2, stride=2, bias=False),
                                                   (3, 2, 3, 2)),
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # PyTorch's note on its own copy
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(MODULE_CASES))
def test_module_matches_torch(backend, case, dtype):
    torch.manual_seed(0)
    ours, theirs, shape = MODULE_CASES[case]()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float64" else dict(rtol=1e-4, atol=1e-4)
    compare_module_with_torch(backend, ours, theirs, x, **tol)


def _conv_forward_subclasses(lib: Any) -> dict[str, Any]:
    """Subclasses that override ``_conv_forward(input, weight, bias)``, as public programs do: weight
    standardization (timm's StdConv2d, BiT) computes a new weight in its own forward; Whisper's Conv1d casts the
    weight to the input's dtype (float32 weights, float16 audio)."""

    class StdConv2d(lib.nn.Conv2d):
        def forward(self, x):
            mean = self.weight.mean(dim=(1, 2, 3), keepdim=True)
            std = self.weight.var(dim=(1, 2, 3), keepdim=True, unbiased=False).add(1e-5).sqrt()
            return self._conv_forward(x, (self.weight - mean) / std, self.bias)

    class CastConv1d(lib.nn.Conv1d):
        def _conv_forward(self, x, weight, bias):
            return super()._conv_forward(x, weight.to(x.dtype), None if bias is None else bias.to(x.dtype))

    return dict(std=StdConv2d, cast=CastConv1d)


@pytest.mark.parametrize("case, args, kwargs, shape, dtype", [
    ("std", (3, 4, 3), dict(padding=1), (2, 3, 5, 5), "float64"),
    ("std", (2, 4, 3), dict(padding=2, padding_mode="reflect", stride=2), (1, 2, 6, 5), "float64"),
    ("cast", (3, 4, 3), dict(padding=1, stride=2), (2, 3, 8), "float64"),
    ("cast", (3, 4, 3), dict(padding=1, padding_mode="circular"), (2, 3, 8), "float16"),
])
def test_subclass_overriding_conv_forward_matches_torch(backend, case, args, kwargs, shape, dtype):
    if dtype == "float16" and "array_api_strict" in backend.key:
        pytest.skip("array-api-strict has no float16")
    torch.manual_seed(0)
    theirs = _conv_forward_subclasses(torch)[case](*args, **kwargs).double()
    ours = _conv_forward_subclasses(anynn)[case](*args, **kwargs).to(backend, dtype="float64")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xa), theirs(xt)
    assert out.numpy().dtype == ref.detach().numpy().dtype == np.dtype(dtype)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(out.numpy().astype(np.float64), ref.detach().numpy().astype(np.float64), **tol)
    out.float().sum().backward()
    ref.float().sum().backward()
    np.testing.assert_allclose(xa.grad.numpy().astype(np.float64), xt.grad.numpy().astype(np.float64), **tol)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **tol)


def test_unbatched_input_matches_torch(backend):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    compare_with_torch(backend, lambda x, w, b: conv2d(x, w, b, padding=(0, 1)),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=(0, 1)), x, w, b)
    w_t = rng.standard_normal((2, 3, 2, 2))
    compare_with_torch(backend, lambda x, w: conv_transpose2d(x, w, stride=2),
                       lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2), x, w_t)


def test_frozen_weight_still_gives_input_gradient(backend):
    rng = np.random.default_rng(3)
    x = make(backend, rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = make(backend, rng.standard_normal((3, 2, 3, 3)))
    conv2d(x, w, padding=1).sum().backward()
    ref = torch.tensor(x.numpy(), requires_grad=True)
    torch.nn.functional.conv2d(ref, torch.tensor(w.numpy()), padding=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-10)


def test_nn_grad_conv_input_and_weight_match_torch(backend):
    """torch.nn.grad.conv{1,2,3}d_input / _weight, which custom Functions call in their backward (AttributeError
    before): the gradients PyTorch gives for these sizes, strides, padding, dilation and groups."""
    rng = np.random.default_rng(4)
    for nd, xs, ws, kw in ((2, (2, 4, 8, 7), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                                                                 groups=2)),
                           (1, (1, 2, 9), (3, 2, 3), dict(stride=2, padding=1)),
                           (3, (1, 1, 4, 3, 5), (2, 1, 2, 2, 3), {})):
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        conv = getattr(torch.nn.functional, f"conv{nd}d")
        g = rng.standard_normal(conv(torch.tensor(x), torch.tensor(w), **kw).shape)
        for lib, t in ((torch, torch.tensor), (anynn, partial(make, backend))):
            grad_input = getattr(lib.nn.grad, f"conv{nd}d_input")(xs, t(w), t(g), **kw)
            grad_weight = getattr(lib.nn.grad, f"conv{nd}d_weight")(t(x), ws, t(g), **kw)
            if lib is torch:
                expected = grad_input.numpy(), grad_weight.numpy()
        np.testing.assert_allclose(grad_input.numpy(), expected[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grad_weight.numpy(), expected[1], rtol=1e-10, atol=1e-12)
        assert not grad_input.requires_grad and not grad_weight.requires_grad  # (as PyTorch's: nothing requires grad)
    assert anynn.nn.grad.conv3d_input(xs, make(backend, w), make(backend, g, requires_grad=True)).requires_grad


@pytest.mark.parametrize("fn", [partial(conv2d, padding=1), partial(conv_transpose2d, stride=2)],
                         ids=["conv2d", "conv_transpose2d"])
def test_col2im_with_more_channels_than_columns_gives_n_c_h_w_memory_order(fn):
    # more channels than output columns: col2im runs channels-last; its result must come back in (N, C, H, W)
    # memory order, or every elementwise step taking it (a ReLU's or max pool's backward) runs several times slower
    rng = np.random.default_rng(4)
    if fn.func is conv2d:  # the input gradient: 16 input channels, 6 output columns
        x = anynn.tensor(rng.standard_normal((2, 16, 6, 6)).astype(np.float32), requires_grad=True)
        w = anynn.tensor(rng.standard_normal((4, 16, 3, 3)).astype(np.float32))
        fn(x, w).sum().backward()
        image = x.grad.array
    else:  # the forward: 16 output channels from a 5-column input
        x = anynn.tensor(rng.standard_normal((2, 4, 5, 5)).astype(np.float32))
        w = anynn.tensor(rng.standard_normal((4, 16, 3, 3)).astype(np.float32))
        image = fn(x, w).array
    assert list(image.strides) == sorted(image.strides, reverse=True), image.strides


def test_default_init_matches_pytorch_bounds_and_is_seeded():
    layer = Conv2d(4, 6, (3, 2), groups=2, seed=3)
    assert layer.weight.shape == (6, 2, 3, 2) and layer.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3 * 2)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= bound and np.abs(values).max() > bound / 2
    again = Conv2d(4, 6, (3, 2), groups=2, seed=3, backend="torch")
    np.testing.assert_array_equal(again.weight.numpy(), layer.weight.numpy())
    transposed = ConvTranspose2d(4, 6, 3, groups=2, seed=0)
    assert transposed.weight.shape == (4, 3, 3, 3)
    assert np.abs(transposed.weight.numpy()).max() <= 1 / math.sqrt(3 * 9)


def test_conv_module_output_shapes():
    x = anynn.tensor(np.zeros((2, 3, 9, 8), np.float32))
    assert Conv2d(3, 5, 3, stride=2, padding=1)(x).shape == (2, 5, 5, 4)
    assert Conv2d(3, 5, 3, padding="same", dilation=2)(x).shape == (2, 5, 9, 8)
    assert ConvTranspose2d(3, 5, 3, stride=2, padding=1, output_padding=1)(x).shape == (2, 5, 18, 16)
    assert Conv1d(3, 2, 4)(anynn.tensor(np.zeros((3, 10), np.float32))).shape == (2, 7)
    assert "groups=3" in repr(Conv2d(3, 6, 3, groups=3))


def test_errors_name_layer_and_shapes():
    layer = Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d: expected input of shape \(N, 3, H, W\).*\(2, 4, 8, 8\)"):
        layer(anynn.tensor(np.zeros((2, 4, 8, 8), np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d: expected input of shape \(N, 3, H, W\).*2-D.*\(2, 3\)"):
        layer(anynn.tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"Conv1d: expected input of shape \(N, 2, L\).*\(1, 2, 3, 4\)"):
        Conv1d(2, 2, 1)(anynn.tensor(np.zeros((1, 2, 3, 4), np.float32)))
    with pytest.raises(ValueError, match=r"ConvTranspose2d: .*\(N, 4, H, W\).*\(1, 2, 3, 3\)"):
        ConvTranspose2d(4, 2, 3)(anynn.tensor(np.zeros((1, 2, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        layer(anynn.tensor(np.zeros((1, 3, 2, 8), np.float32)))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride 1"):
        Conv2d(3, 4, 3, stride=2, padding="same")
    for bad in (dict(stride=-1), dict(stride=0), dict(dilation=0)):  # PyTorch's RuntimeError (a ValueError only before)
        with pytest.raises(RuntimeError, match="stride and dilation must be positive"):
            Conv2d(3, 4, 3, **bad)(anynn.tensor(np.zeros((1, 3, 8, 8), np.float32)))
    with pytest.raises(ValueError, match=r"conv2d: weight of shape \(4, 2, 3, 3\) with groups=1 expects 2"):
        conv2d(anynn.tensor(np.zeros((1, 3, 5, 5), np.float32)), anynn.tensor(np.zeros((4, 2, 3, 3), np.float32)))
    zeros = partial(np.zeros, dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"conv2d: weight of shape \(4, 3, 3, 3\) expects a 1-D bias of 4"):
        conv2d(*(anynn.tensor(zeros(s)) for s in ((1, 3, 5, 5), (4, 3, 3, 3), (5,))))  # PyTorch's class
    with pytest.raises(RuntimeError, match=r"conv3d: weight of shape \(2, 2, 1, 1, 1\) with groups=1 expects 2"):
        conv3d(anynn.tensor(zeros((1, 3, 2, 2, 2))), anynn.tensor(zeros((2, 2, 1, 1, 1))))
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose2d(anynn.tensor(np.zeros((1, 2, 3, 3), np.float32)),
                         anynn.tensor(np.zeros((2, 2, 3, 3), np.float32)), stride=2, output_padding=2)


# -- configurations drawn by hypothesis, against torch.nn ---------------------------------------------


@st.composite
def conv_configs(draw: Any) -> dict[str, Any]:
    nd = draw(st.sampled_from([1, 2]))
    transposed = draw(st.booleans())
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    if draw(st.integers(0, 4)) == 0:  # depthwise: one input channel per group
        in_channels = groups
    else:
        in_channels = groups * draw(st.integers(1, 3))
    out_channels = groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kind = draw(st.sampled_from(["int", "tuple"] if transposed else ["int", "tuple", "same", "same", "valid"]))
    if kind == "same" and draw(st.integers(0, 4)):
        stride = (1,) * nd  # "same" with stride > 1 (rejected by both) only now and then
    padding: Any = kind if kind in ("same", "valid") else tuple(draw(st.integers(0, 2)) for _ in range(nd))
    kwargs: dict[str, Any] = dict(stride=int_or_tuple(draw, stride), dilation=int_or_tuple(draw, dilation),
                                  groups=groups, bias=draw(st.booleans()))
    kwargs["padding"] = padding if isinstance(padding, str) else int_or_tuple(draw, padding)
    if transposed:
        kwargs["output_padding"] = int_or_tuple(draw, tuple(draw(st.integers(0, max(s, d) - 1))
                                                            for s, d in zip(stride, dilation)))
    size = tuple(draw(st.integers(1, 7)) for _ in range(nd))
    batch = draw(st.sampled_from([(), (1,), (2,), (3,)]))  # () is an unbatched input
    name = ("ConvTranspose" if transposed else "Conv") + f"{nd}d"
    return dict(name=name, args=(in_channels, out_channels, int_or_tuple(draw, kernel)), kwargs=kwargs,
                shape=batch + (in_channels,) + size, dtype=draw(st.sampled_from(["float64", "float32"])),
                seed=draw(st.integers(0, 2 ** 16)))


def _conv(name: str, args: tuple, shape: tuple[int, ...], dtype: str = "float64", **kwargs: Any) -> dict[str, Any]:
    return dict(name=name, args=args, kwargs=kwargs, shape=shape, dtype=dtype, seed=7)


@oracle_settings(120)
@given(cfg=conv_configs())
@example(cfg=_conv("Conv2d", (4, 4, 3), (2, 4, 5, 6), groups=4, padding=1))  # depthwise
@example(cfg=_conv("Conv2d", (3, 6, (1, 3)), (1, 3, 4, 7), stride=(2, 1), padding="same", dilation=(1, 2)))
@example(cfg=_conv("Conv2d", (2, 4, 2), (2, 5, 5), padding="same", dilation=3, dtype="float32"))  # unbatched, odd total
@example(cfg=_conv("Conv1d", (2, 3, 5), (1, 2, 9), stride=2, padding="valid", bias=False))
@example(cfg=_conv("Conv2d", (2, 2, 4), (1, 2, 7, 7), stride=2, padding="same"))  # rejected by both
@example(cfg=_conv("ConvTranspose2d", (4, 6, (3, 2)), (2, 4, 3, 4), stride=(3, 2), padding=(1, 0),
                   output_padding=(2, 1), groups=2))
@example(cfg=_conv("ConvTranspose1d", (3, 3, 4), (3, 5), stride=2, padding=1, output_padding=1, groups=3,
                   dilation=2, dtype="float32"))
@example(cfg=_conv("ConvTranspose2d", (2, 2, 3), (1, 2, 2, 2), padding=3))  # empty output: rejected by both
def test_conv_layers_match_torch(backend, cfg):
    check_layer(backend, cfg)


# -- Conv1d / Conv2d with padding modes, seeded fuzzing -----------------------------------------------


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv_padding_modes_fuzz(backend, padding_mode):
    rng = np.random.default_rng(len(padding_mode))
    for i in range(fuzz_count(backend, 24)):
        dims = 1 + i % 2
        groups = int(rng.choice([1, 1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kernel = tuple(int(rng.integers(1, 4)) for _ in range(dims))
        dilation = tuple(int(rng.integers(1, 3)) for _ in range(dims))
        same = rng.random() < 0.3
        stride = (1,) * dims if same else tuple(int(rng.integers(1, 3)) for _ in range(dims))
        padding: Any = "same" if same else tuple(int(rng.integers(0, 3)) for _ in range(dims))
        kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                      bias=bool(rng.random() < 0.7), padding_mode=padding_mode)
        shape = ((2,) if rng.random() < 0.7 else ()) + (cin,) + tuple(int(rng.integers(2, 7)) for _ in range(dims))
        dtype = "float32" if i % 4 == 3 else "float64"
        x = rng.standard_normal(shape).astype(dtype)
        what = (dims, cin, cout, kernel, kwargs, shape, dtype)
        ours_cls, theirs_cls = (Conv1d, torch.nn.Conv1d) if dims == 1 else (Conv2d, torch.nn.Conv2d)
        theirs = theirs_cls(cin, cout, kernel, **kwargs).to(TORCH_DTYPE[dtype])
        ours = ours_cls(cin, cout, kernel, **kwargs)
        ours.to(backend, dtype=dtype)
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        got = run_both(partial(ours, xa), partial(theirs, xt), what)
        if got is None:
            continue
        out, ref = got
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg=str(what), **FUZZ_TOL[dtype])
        w = rng.standard_normal(tuple(ref.shape)).astype(dtype)
        project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        params = dict(theirs.named_parameters())
        compare_grads([(xa, xt)] + [(p, params[n]) for n, p in ours.named_parameters()], dtype, what)


# -- Conv3d -------------------------------------------------------------------------------------------


CONV3D_CASES = [  # (in, out, kernel, options, input shape)
    (2, 3, 2, dict(), (2, 2, 3, 4, 3)),
    (4, 6, (2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2), (2, 4, 4, 5, 6)),
    (2, 2, 3, dict(padding="same", bias=False), (1, 2, 3, 3, 4)),
    (2, 3, (1, 2, 2), dict(padding="valid", stride=2), (2, 2, 3, 5, 4)),
    (2, 3, 2, dict(padding=1, padding_mode="reflect"), (1, 2, 3, 3, 3)),
    (2, 3, 2, dict(padding=(1, 0, 1), padding_mode="circular"), (1, 2, 3, 3, 3)),
    (2, 3, 2, dict(padding=1), (2, 3, 3, 2)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CONV3D_CASES, ids=[str(i) for i in range(len(CONV3D_CASES))])
def test_conv3d_matches_torch(backend, rng, case, dtype):
    cin, cout, kernel, options, shape = case
    x = rng.standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    ours, theirs = Conv3d(cin, cout, kernel, **options), torch.nn.Conv3d(cin, cout, kernel, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    compare_module_with_torch(backend, ours, theirs, x, **tol)


@pytest.mark.parametrize("options", [dict(), dict(stride=(2, 1, 1), padding=1, dilation=(1, 2, 1)),
                                     dict(groups=2, padding="same")])
def test_conv3d_gradients(backend, rng, options):
    x = rng.standard_normal((1, 2, 3, 4, 3))
    w = rng.standard_normal((2, 2 // options.get("groups", 1), 2, 2, 2))
    check_gradients(backend, lambda a, b, c: conv3d(a, b, c, **options), x, w, rng.standard_normal(2))


def test_conv3d_init_and_errors(backend, rng):
    layer = Conv3d(2, 4, 3, backend=backend, seed=0)
    bound = 1 / np.sqrt(2 * 27)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    with pytest.raises(ValueError, match=r"Conv3d: expected input of shape \(N, 2, D, H, W\)"):
        layer(make(backend, np.ones((1, 3, 4, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="conv3d: input of shape .* is smaller than the dilated kernel"):
        layer(make(backend, np.ones((1, 2, 2, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        Conv3d(2, 4, 3, stride=2, padding="same")


# -- ConvTranspose*.forward(input, output_size): PyTorch's choice of output_padding -------------------------------
OUTPUT_SIZE_CASES = [  # (layer, constructor arguments, input shape, output_size)
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 5), (8, 10)),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 5), (7, 10)),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 5), (2, 4, 8, 9)),  # the whole shape
    ("ConvTranspose2d", (2, 2, (2, 3)), dict(stride=(3, 2), dilation=(2, 1)), (2, 3, 3), [9, 8]),  # unbatched
    ("ConvTranspose2d", (2, 2, (2, 3)), dict(stride=(3, 2), dilation=(2, 1)), (2, 3, 3), (2, 9, 8)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=3, padding=1), (2, 3, 5), (15,)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=3, padding=1), (2, 3, 5), (2, 2, 14)),
    ("ConvTranspose3d", (2, 3, 3), dict(stride=(2, 3, 1), padding=1), (1, 2, 2, 3, 2), (4, 8, 2)),
    ("ConvTranspose3d", (2, 3, 3), dict(stride=(2, 3, 1), padding=1), (2, 2, 3, 2), (3, 4, 9, 2)),  # unbatched
]


@pytest.mark.parametrize("name, args, kw, shape, size", OUTPUT_SIZE_CASES,
                         ids=[f"{c[0]}-{c[3]}-{c[4]}" for c in OUTPUT_SIZE_CASES])
def test_conv_transpose_output_size_matches_torch(backend, name, args, kw, shape, size):
    theirs = getattr(torch.nn, name)(*args, **kw).double()
    ours = getattr(anynn.nn, name)(*args, **kw)
    x = np.random.default_rng(0).standard_normal(shape)
    ref = theirs(torch.tensor(x), output_size=size)
    assert tuple(ours.to(backend, dtype="float64")(make(backend, x), size).shape) == tuple(ref.shape)
    compare_module_with_torch(backend, _Sized(ours, size), _TorchSized(theirs, size), x, rtol=1e-10, atol=1e-12)


class _Sized(anynn.nn.Module):
    """The layer called with ``output_size``: a module for compare_module_with_torch."""

    def __init__(self, layer, size):
        super().__init__()
        self.layer, self.size = layer, size

    def forward(self, input):
        return self.layer(input, output_size=self.size)


class _TorchSized(torch.nn.Module):
    def __init__(self, layer, size):
        super().__init__()
        self.layer, self.size = layer, size

    def forward(self, input):
        return self.layer(input, output_size=self.size)


@pytest.mark.parametrize("size", [(6, 10), (9, 9), [8, 11], (8,), (1, 2, 6, 10), (2, 4, 3, 8, 10)])
def test_conv_transpose_impossible_output_size_raises_as_torch(size):
    x = np.zeros((2, 3, 4, 5))
    theirs, ours = torch.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1), ConvTranspose2d(3, 4, 3, stride=2, padding=1)
    with pytest.raises(ValueError) as expected:
        theirs(torch.tensor(x, dtype=torch.float32), output_size=size)
    with pytest.raises(ValueError) as raised:
        ours(make("numpy", x.astype(np.float32)), output_size=size)
    message = str(expected.value).replace("torch.Size([4, 5])", "(4, 5)")
    assert str(raised.value) in (message, f"ConvTranspose2d: {message}")  # anynn's calls name the layer


def test_conv_transpose3d_init_and_errors(backend):
    layer = ConvTranspose3d(4, 6, (3, 2, 2), groups=2, backend=backend, seed=0)
    assert layer.weight.shape == (4, 3, 3, 2, 2) and layer.bias.shape == (6,)
    assert np.abs(layer.weight.numpy()).max() <= 1 / math.sqrt(3 * 12)  # fan_in from weight.shape[1:], as PyTorch

    def zeros(*shape):
        return make(backend, np.zeros(shape, np.float32))

    with pytest.raises(ValueError, match=r"ConvTranspose3d: expected input of shape \(N, 4, D, H, W\).*\(1, 3, 2,"):
        layer(zeros(1, 3, 2, 2, 2))
    with pytest.raises(ValueError, match=r"ConvTranspose3d: expected input of shape .*3-D input of shape \(4, 2, 2\)"):
        layer(zeros(4, 2, 2))
    with pytest.raises(ValueError, match=r"conv_transpose3d: weight of shape \(2, 2, 1, 1, 1\) with groups=1 expects"):
        conv_transpose3d(zeros(1, 3, 2, 2, 2), zeros(2, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="conv_transpose3d: output_padding"):
        conv_transpose3d(zeros(1, 2, 2, 2, 2), zeros(2, 2, 1, 1, 1), stride=(2, 2, 1), output_padding=(0, 0, 1))
    with pytest.raises(ValueError, match=r"conv_transpose3d: stride must be an int or a 3-tuple"):
        conv_transpose3d(zeros(1, 2, 2, 2, 2), zeros(2, 2, 1, 1, 1), stride=(2, 2))
