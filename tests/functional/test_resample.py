"""interpolate / Upsample and pixel (un)shuffle against PyTorch on every backend, with gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn.functional as F
from anynn.functional.resample import interpolate, pixel_shuffle, pixel_unshuffle
from anynn.nn import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from tests.helpers import check_gradients, compare_with_torch, make

F_TORCH = torch.nn.functional

CASES = [  # (input shape, keyword arguments)
    ((2, 3, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5), dict(size=7, mode="nearest")),
    ((1, 2, 7), dict(size=3, mode="nearest")),
    ((1, 2, 5), dict(scale_factor=1.5, mode="nearest")),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="nearest")),
    ((1, 2, 4, 5), dict(scale_factor=(2, 3), mode="nearest")),
    ((1, 2, 5, 4), dict(size=(8, 6), mode="nearest-exact")),
    ((2, 3, 5), dict(size=9, mode="linear")),
    ((2, 3, 5), dict(size=9, mode="linear", align_corners=True)),
    ((2, 2, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ((2, 2, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=1.7, mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 6, 5), dict(scale_factor=0.5, mode="bilinear", align_corners=True)),
    ((1, 2, 6, 5), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((1, 2, 3, 4, 2), dict(size=(4, 3, 5), mode="trilinear")),
    ((1, 2, 3, 4, 2), dict(scale_factor=2, mode="nearest")),
    # bicubic: up and down, both corner rules, a scale factor, one pixel (border clamping in every row)
    ((2, 2, 5, 7), dict(size=(8, 3), mode="bicubic")),
    ((2, 2, 5, 7), dict(size=(8, 3), mode="bicubic", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.7, mode="bicubic")),
    ((1, 2, 6, 5), dict(scale_factor=0.4, mode="bicubic", align_corners=True)),
    ((1, 1, 3, 2), dict(size=(1, 4), mode="bicubic")),
    # area (adaptive average pooling): overlapping windows, uneven windows, upsampling, a scale factor, 3-D
    ((2, 3, 7), dict(size=3, mode="area")),
    ((1, 2, 9, 5), dict(size=(4, 7), mode="area")),
    ((1, 2, 4, 6), dict(scale_factor=0.5, mode="area")),
    ((1, 2, 3, 5, 4), dict(scale_factor=0.6, mode="area")),
    # antialias: shrinking (the filter stretched over several pixels) by size and by factor, both corner rules,
    # and growing (Keys' a = -0.5, taps cut at the border and renormalized)
    ((1, 1, 7, 9), dict(size=(3, 4), mode="bilinear", antialias=True)),
    ((1, 2, 9, 11), dict(scale_factor=0.37, mode="bicubic", antialias=True)),
    ((1, 2, 9, 7), dict(scale_factor=0.5, mode="bicubic", align_corners=True, antialias=True)),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="bicubic", antialias=True)),
]


def _id(case):
    shape, kwargs = case
    return f"{len(shape) - 2}d-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_interpolate_matches_torch(backend, rng, case, dtype):
    shape, kwargs = case
    x = rng.standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    compare_with_torch(backend, lambda t: interpolate(t, **kwargs), lambda t: F_TORCH.interpolate(t, **kwargs), x,
                       **tol)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_an_inf_or_nan_reaches_only_the_outputs_that_read_it_as_in_torch(backend, rng, case):
    # a matrix product along an axis would give NaN everywhere on it (0 * inf); PyTorch's kernels read the taps
    shape, kwargs = case
    if kwargs.get("antialias"):  # PyTorch's antialiasing kernel spreads an inf to outputs whose taps miss it
        pytest.skip("PyTorch's antialiased inf/NaN pattern is its kernel's, not the taps'")
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[1], x.flat[x.size // 2], x.flat[-2] = np.inf, np.nan, -np.inf
    out = interpolate(make(backend, x), **kwargs).numpy()
    expected = F_TORCH.interpolate(torch.tensor(x), **kwargs).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5, equal_nan=True)
    assert np.isfinite(out).any() or not np.isfinite(expected).any()


@pytest.mark.parametrize("case", [CASES[3], CASES[9], CASES[12], CASES[16], CASES[18], CASES[19], CASES[21],
                                  CASES[22], CASES[24], CASES[26], CASES[27], CASES[30]], ids=_id)
def test_interpolate_gradients(backend, rng, case):
    shape, kwargs = case
    check_gradients(backend, lambda t: interpolate(t, **kwargs), rng.standard_normal(shape))


def test_upsample_layers_match_torch(backend, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    layers = [(Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
              (Upsample(size=(6, 7), mode="bilinear"), torch.nn.Upsample(size=(6, 7), mode="bilinear")),
              (Upsample(scale_factor=(1.5, 2.0), mode="bilinear", align_corners=True),
               torch.nn.Upsample(scale_factor=(1.5, 2.0), mode="bilinear", align_corners=True)),
              (UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
              (UpsamplingBilinear2d(size=(5, 9)), torch.nn.UpsamplingBilinear2d(size=(5, 9)))]
    for ours, theirs in layers:
        compare_with_torch(backend, ours, theirs, x, rtol=1e-5, atol=1e-6)
        assert repr(ours).startswith(type(ours).__name__)


UPSAMPLE_ALIASES = [  # (name, input shape, keyword arguments): PyTorch's deprecated spellings of interpolate
    ("upsample", (2, 3, 4, 5), dict(scale_factor=2)),
    ("upsample", (2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ("upsample_nearest", (2, 3, 4, 5), dict(size=(7, 3))),
    ("upsample_nearest", (1, 2, 3, 4, 2), dict(scale_factor=2)),
    ("upsample_bilinear", (2, 3, 4, 5), dict(size=(7, 3))),
    ("upsample_bilinear", (1, 2, 4, 5), dict(scale_factor=1.5)),
]


@pytest.mark.parametrize(("name", "shape", "kwargs"), UPSAMPLE_ALIASES)
def test_upsample_aliases_match_torch(backend, rng, name, shape, kwargs):
    """The aliases warn as PyTorch's and give its results (upsample_bilinear: align_corners=True)."""
    ours, theirs = getattr(F, name), getattr(F_TORCH, name)
    x = rng.standard_normal(shape)
    with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
        compare_with_torch(backend, lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), x,
                           rtol=1e-10, atol=1e-12)
    with pytest.warns(UserWarning):
        check_gradients(backend, lambda t: ours(t, **kwargs), x)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_antialias_to_a_width_of_one_is_torchs_transposed_result(backend, rng, mode, align_corners):
    """Output width 1 with the height resized: PyTorch 2.13's CPU kernel repeats the first output row there (a
    kernel bug, the differences page); anynn's result is PyTorch's for the transposed image, as for any width."""
    x = rng.standard_normal((1, 2, 4, 1))
    kwargs = dict(size=(2, 1), mode=mode, align_corners=align_corners, antialias=True)
    out = interpolate(make(backend, x), **kwargs)
    swapped = F_TORCH.interpolate(torch.tensor(np.swapaxes(x, -1, -2)), size=(1, 2), mode=mode,
                                  align_corners=align_corners, antialias=True)
    np.testing.assert_allclose(out.numpy(), np.swapaxes(swapped.numpy(), -1, -2), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_copies_an_axis_whose_size_the_scale_factor_keeps(backend, rng, mode):
    """3 * 1.3 -> 3: PyTorch's antialiased forward copies that axis (anynn resampled it with the scale); its backward
    resamples with the scale, so its gradient is not its forward's (differences page): anynn's is (grad check)."""
    x = rng.standard_normal((1, 2, 3, 11))
    kwargs = dict(scale_factor=(1.3, 0.37), mode=mode, antialias=True)
    out = interpolate(make(backend, x), **kwargs)
    theirs = F_TORCH.interpolate(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(out.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda t: interpolate(t, **kwargs), x[:, :1, :, :6])


@pytest.mark.parametrize(("shape", "kwargs"), [((1, 2, 4, 4), dict(size=(0, 3))), ((1, 2, 4, 4), dict(size=(0, 0))),
                                               ((2, 3, 5), dict(size=0)), ((1, 2, 3, 4, 2), dict(size=(2, 0, 1))),
                                               ((1, 2, 4, 4), dict(scale_factor=0.1))])
def test_area_interpolation_to_an_empty_output_as_pytorchs(backend, rng, shape, kwargs):
    x = rng.standard_normal(shape)
    theirs = F_TORCH.interpolate(torch.from_numpy(x), mode="area", **kwargs)
    t = make(backend, x, requires_grad=True)
    ours = interpolate(t, mode="area", **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == t.dtype
    # PyTorch's backward refuses an empty grad_output; anynn's gives the input zeros (docs/differences.md)
    ours.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros(shape))


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 1, 3, 3), (1, 1, 3, 1, 3)])
def test_nearest_doubling_with_another_scale_reads_i_over_2(backend, shape):
    """``scale_factor=2.3`` of size 3 gives 6 = 2 * 3: PyTorch's 4-D kernel reads source ``i // 2`` forward and
    backward, its 3-D/5-D forward ``floor(i / 2.3)`` but their backward ``i // 2`` (docs/differences.md): anynn
    reads ``i // 2`` for every rank, so its gradient is its forward's and equals PyTorch's gradient."""
    x = np.arange(float(np.prod(shape))).reshape(shape)
    sf = tuple(2.3 if n == 3 else 1.0 for n in shape[2:])
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = F_TORCH.interpolate(theirs_x, scale_factor=sf, mode="nearest")
    weight = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    (theirs * torch.tensor(weight)).sum().backward()
    t = make(backend, x, requires_grad=True)
    ours = interpolate(t, scale_factor=sf, mode="nearest")
    (ours * make(backend, weight)).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12)
    halves = x
    for axis in range(2, len(shape)):
        if shape[axis] == 3:
            halves = np.repeat(halves, 2, axis=axis)
    np.testing.assert_array_equal(ours.numpy(), halves)
    if len(shape) == 4:
        np.testing.assert_array_equal(theirs.detach().numpy(), halves)


@pytest.mark.parametrize(("shape", "kwargs"), [((1, 2, 4, 4), dict(size=(0, 3), mode="nearest")),
                                               ((1, 2, 4), dict(size=0, mode="linear")),
                                               ((1, 2, 4, 4, 4), dict(size=(0, 2, 2), mode="trilinear")),
                                               ((1, 2, 0, 4), dict(size=(2, 2), mode="bilinear")),
                                               ((1, 2, 0, 4), dict(size=(2, 2), mode="area")),
                                               ((1, 2, 4, 4), dict(size=(-1, 2), mode="area"))])
def test_interpolation_with_empty_sizes_refused_as_pytorchs(backend, shape, kwargs):
    x = np.ones(shape)
    with pytest.raises(RuntimeError, match="greater than 0|non-zero size|greater than or equal to 0"):
        F_TORCH.interpolate(torch.from_numpy(x), **kwargs)
    with pytest.raises(RuntimeError, match=r"interpolate \(\w+(-exact)?\): (Input and output sizes should be greater "
                                           r"than 0, but got input \(.*\) output \(.*\)|expected input spatial)"):
        interpolate(make(backend, x), **kwargs)


def test_interpolate_errors(backend, rng):
    x = make(backend, rng.standard_normal((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        interpolate(x)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        interpolate(x, size=3, scale_factor=2)
    with pytest.raises(NotImplementedError, match="mode 'linear' needs a 3-D input"):
        interpolate(x, size=3, mode="linear")
    with pytest.raises(NotImplementedError, match="mode 'cubic' is not supported"):
        interpolate(x, size=3, mode="cubic")
    with pytest.raises(NotImplementedError, match="mode 'bicubic' needs a 4-D input"):
        interpolate(make(backend, rng.standard_normal((1, 2, 4))), size=3, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        interpolate(x, size=3, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        interpolate(x, size=3, align_corners=True)
    with pytest.raises(ValueError, match="size must have 2 elements"):
        interpolate(x, size=(3, 3, 3))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful with an explicit size"):
        interpolate(x, size=3, recompute_scale_factor=True)  # as PyTorch (False or None with a size are accepted)
    assert interpolate(x, size=3, recompute_scale_factor=False).shape == (1, 2, 3, 3)
    for mode, shape in [("nearest", (1, 2, 4, 4)), ("area", (1, 2, 4, 4)), ("linear", (1, 2, 4)),
                        ("trilinear", (1, 2, 2, 4, 4))]:  # antialias: bilinear and bicubic of 4-D input only
        with pytest.raises(ValueError) as theirs:
            F_TORCH.interpolate(torch.zeros(shape), size=2, mode=mode, antialias=True)
        with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear and bicubic modes and "
                                             f"requires a 4-D tensor as input, got mode '{mode}'"):
            interpolate(make(backend, np.zeros(shape)), size=2, mode=mode, antialias=True)
        assert "Anti-alias option is restricted" in str(theirs.value)
    with pytest.raises(ValueError, match="Upsample: expected 3-D or 4-D or 5-D input"):
        Upsample(scale_factor=2)(make(backend, rng.standard_normal((2, 2))))


@pytest.mark.parametrize(("mode", "shape"), [("linear", (1, 2, 5)), ("bilinear", (1, 2, 4, 5)),
                                             ("bicubic", (1, 2, 4, 5)), ("trilinear", (1, 1, 3, 3, 3)),
                                             ("area", (1, 2, 4, 5))])
def test_interpolating_an_integer_input_is_refused_naming_the_mode(backend, mode, shape):
    """Integer inputs to the weighting modes: PyTorch refuses every integer dtype but uint8 (bilinear and bicubic
    have fixed-point uint8 kernels; differences page); anynn gave 0 for every uint8 output."""
    x = (np.arange(np.prod(shape)) * 37 % 256).reshape(shape)
    with pytest.raises(NotImplementedError):
        F_TORCH.interpolate(torch.tensor(x), size=3, mode=mode)
    for dtype in ("uint8", "int64"):
        with pytest.raises(TypeError, match=f"interpolate \\({mode}\\): expected a floating point input, got "
                                            f"dtype {dtype}; cast it first"):
            interpolate(make(backend, x.astype(dtype)), size=3, mode=mode)
    nearest = interpolate(make(backend, x.astype("uint8")), size=3)  # (nearest copies values: any dtype)
    np.testing.assert_array_equal(nearest.numpy(), F_TORCH.interpolate(torch.tensor(x.astype("uint8")), size=3))


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((9, 2, 3), 3), ((1, 2, 4, 1, 2), 2)])
def test_pixel_shuffle_matches_torch(backend, rng, shape, r):
    x = rng.standard_normal(shape)
    compare_with_torch(backend, PixelShuffle(r), torch.nn.PixelShuffle(r), x)
    y = rng.standard_normal(tuple(shape[:-3]) + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r))
    compare_with_torch(backend, PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), y)
    check_gradients(backend, lambda t: pixel_shuffle(t, r), x)
    check_gradients(backend, lambda t: pixel_unshuffle(t, r), y)
    xa = make(backend, x)
    np.testing.assert_array_equal(pixel_unshuffle(pixel_shuffle(xa, r), r).numpy(), x)
    with pytest.raises(ValueError, match="pixel_shuffle: expected input"):
        pixel_shuffle(make(backend, rng.standard_normal((2, 3, 2, 2))), 2)
    with pytest.raises(ValueError, match="pixel_unshuffle: expected input"):
        pixel_unshuffle(make(backend, rng.standard_normal((2, 3, 3, 2))), 2)
