"""affine_grid and grid_sample (2-D and 3-D; bilinear, nearest, bicubic; zeros, border, reflection padding; both
align_corners) against PyTorch on every backend: forward, input and grid gradients; float64 gradient checks,
second derivatives, errors."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import anynn.nn.functional as F
from anynn.testing import gradgrad_check
from tests.helpers import check_gradients, compare_with_torch, make

TF = torch.nn.functional
PADDING = ("zeros", "border", "reflection")
SAMPLE_CASES = [  # (input shape, grid shape, mode, padding_mode, align_corners)
    *[((2, 3, 4, 5), (2, 3, 4, 2), mode, padding, align)
      for mode, padding, align in itertools.product(("bilinear", "nearest", "bicubic"), PADDING, (False, True))],
    *[((2, 2, 3, 4, 5), (2, 2, 3, 4, 3), mode, padding, align)
      for mode, padding, align in itertools.product(("bilinear", "nearest"), PADDING, (False, True))],
    ((1, 2, 1, 4), (1, 2, 3, 2), "bilinear", "reflection", True),  # a size-1 axis: reflection has no span
    ((1, 2, 1, 3), (1, 5, 2, 2), "bicubic", "reflection", False),
    ((1, 1, 3, 1, 2), (1, 1, 2, 2, 3), "bilinear", "border", False),
    ((0, 2, 3, 4), (0, 3, 4, 2), "bicubic", "zeros", False),  # an empty batch (its backward refused to reshape)
    ((0, 2, 3, 4, 5), (0, 2, 3, 4, 3), "bilinear", "border", True),
]


def _case_id(case: tuple) -> str:
    shape, _, mode, padding, align = case
    return f"{len(shape) - 2}d-{mode}-{padding}-{'aligned' if align else 'centres'}-{'x'.join(map(str, shape))}"


def _grid(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Positions mostly inside [-1, 1], some outside (the padding modes' business)."""
    return rng.uniform(-1.5, 1.5, shape)


@pytest.mark.jax
@pytest.mark.parametrize("case", SAMPLE_CASES, ids=[_case_id(c) for c in SAMPLE_CASES])
def test_grid_sample_matches_torch(backend, case):
    shape, grid_shape, mode, padding, align = case
    rng = np.random.default_rng(len(_case_id(case)))
    x, grid = rng.standard_normal(shape), _grid(rng, grid_shape)
    compare_with_torch(backend, lambda a, g: F.grid_sample(a, g, mode, padding, align),
                       lambda a, g: TF.grid_sample(a, g, mode, padding, align), x, grid, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_float32_matches_torch(backend, mode):
    rng = np.random.default_rng(5)
    x, grid = rng.standard_normal((2, 3, 6, 5)).astype(np.float32), _grid(rng, (2, 4, 3, 2)).astype(np.float32)
    compare_with_torch(backend, lambda a, g: F.grid_sample(a, g, mode, "border", False),
                       lambda a, g: TF.grid_sample(a, g, mode, "border", False), x, grid, rtol=1e-4, atol=1e-5)


def test_grid_sample_far_outside_reads_padding_as_torch(backend):
    """Positions beyond int range: PyTorch reads them as padding (zeros), or clips/reflects them first."""
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    grid = np.array([[[[-1e12, 0.2], [1e12, 0.1], [0.3, -1e9], [2.5, 1e15]]]])
    for mode, padding in itertools.product(("bilinear", "nearest", "bicubic"), PADDING):
        out = F.grid_sample(make(backend, x), make(backend, grid), mode, padding, False)
        ref = TF.grid_sample(torch.tensor(x), torch.tensor(grid), mode, padding, False)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{mode} {padding}")


GRAD_CASES = [  # (input shape, grid shape, mode, padding_mode, align_corners)
    ((1, 2, 3, 4), (1, 2, 3, 2), "bilinear", "zeros", False),
    ((1, 2, 3, 4), (1, 2, 2, 2), "bilinear", "reflection", True),
    ((1, 2, 3, 3), (1, 2, 2, 2), "bicubic", "border", False),
    ((1, 1, 3, 4), (1, 3, 2, 2), "bicubic", "reflection", True),
    ((1, 2, 3, 4), (1, 2, 2, 2), "nearest", "zeros", False),
    ((1, 2, 2, 3, 3), (1, 2, 2, 1, 3), "bilinear", "border", True),
    ((1, 1, 2, 3, 2), (1, 1, 2, 2, 3), "bilinear", "reflection", False),
]


@pytest.mark.jax
@pytest.mark.parametrize("case", GRAD_CASES, ids=[_case_id(c) for c in GRAD_CASES])
def test_grid_sample_grad_check(backend, case):
    shape, grid_shape, mode, padding, align = case
    rng = np.random.default_rng(3)
    # nearest is piecewise constant in the grid: keep positions off the rounding boundaries
    grid = _grid(rng, grid_shape) if mode != "nearest" else np.array([[[[-0.8, 0.3], [0.35, -0.6]],
                                                                         [[0.1, 0.9], [-0.3, -0.05]]]])
    check_gradients(backend, lambda a, g: F.grid_sample(a, g, mode, padding, align), rng.standard_normal(shape),
                    grid)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_second_derivatives(backend, mode):
    rng = np.random.default_rng(4)
    x = make(backend, rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    grid = make(backend, _grid(rng, (1, 2, 2, 2)), requires_grad=True)
    assert gradgrad_check(lambda a, g: F.grid_sample(a, g, mode, "zeros", False), x, grid, atol=1e-5, rtol=1e-4)


AFFINE_CASES = [  # (size, align_corners)
    ((2, 3, 4, 5), False), ((2, 3, 4, 5), True), ((1, 1, 1, 3), False),
    ((2, 1, 3, 2, 4), False), ((2, 1, 3, 2, 4), True), ((1, 2, 1, 1, 2), False),
]


@pytest.mark.parametrize("size, align", AFFINE_CASES, ids=[f"{s}-{a}" for s, a in AFFINE_CASES])
def test_affine_grid_matches_torch_and_grad_check(backend, size, align):
    k = len(size) - 2
    theta = np.random.default_rng(k).standard_normal((size[0], k, k + 1))
    compare_with_torch(backend, lambda t: F.affine_grid(t, size, align), lambda t: TF.affine_grid(t, size, align),
                       theta, rtol=1e-12, atol=1e-12)
    check_gradients(backend, lambda t: F.affine_grid(t, size, align), theta)


def test_affine_grid_second_derivatives(backend):
    theta = make(backend, np.random.default_rng(0).standard_normal((2, 2, 3)), requires_grad=True)
    assert gradgrad_check(lambda t: F.affine_grid(t, (2, 1, 3, 2), False) ** 2, theta, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("k", [2, 3])
def test_spatial_transformer_matches_torch(backend, k):
    """affine_grid then grid_sample, the gradient flowing back to theta through the grid."""
    rng = np.random.default_rng(k)
    shape = (2, 3) + (5, 4, 6)[3 - k:]
    theta = np.eye(k, k + 1)[None] + 0.3 * rng.standard_normal((2, k, k + 1))
    x = rng.standard_normal(shape)
    compare_with_torch(backend, lambda a, t: F.grid_sample(a, F.affine_grid(t, shape, False), align_corners=False),
                       lambda a, t: TF.grid_sample(a, TF.affine_grid(t, shape, False), align_corners=False),
                       x, theta, rtol=1e-10, atol=1e-12)



@pytest.mark.parametrize("align", [False, True])
def test_identity_transformer_in_float32_samples_torchs_positions(backend, align):
    """The spatial-transformer tutorial starts at theta = identity, where every sampling position falls on a pixel
    and bilinear's gradient is one-sided: the float32 grid must round as PyTorch's (its linspace: a float32 step,
    each half from its own end in one rounding) or the first step's theta gradient, and every loss after it,
    differ (~1e-4 from step 2)."""
    rng = np.random.default_rng(11)
    for size in [(2, 1, 28, 28), (1, 2, 5, 7), (1, 1, 9, 13)]:
        theta = np.broadcast_to(np.eye(2, 3, dtype=np.float32), (size[0], 2, 3)).copy()
        grid = F.affine_grid(make(backend, theta), size, align).numpy()
        np.testing.assert_array_equal(grid, TF.affine_grid(torch.tensor(theta), size, align).numpy())
        x, w = rng.standard_normal(size).astype(np.float32), rng.standard_normal(size).astype(np.float32)
        t = make(backend, theta, requires_grad=True)
        (F.grid_sample(make(backend, x), F.affine_grid(t, size, align), align_corners=align) * make(backend, w)
         ).sum().backward()
        tt = torch.tensor(theta, requires_grad=True)
        (TF.grid_sample(torch.tensor(x), TF.affine_grid(tt, size, align), align_corners=align) * torch.tensor(w)
         ).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-4, atol=1e-4)

@pytest.mark.parametrize("backend_name", ["numpy", "jax"])
def test_identity_grid_in_float32_and_float64_rounds_as_torchs(backend_name):
    """The grid of the test above on JAX, whose CPU division is not correctly rounded (float32: 14 of 28 positions
    one ulp off PyTorch's, on the wrong side of a pixel for bilinear's one-sided gradient: the tutorial's first theta
    gradient was 2.7 where PyTorch's is 3.9), and in float64, where PyTorch's linspace rounds each position once
    (a fused multiply-add: the middle of 7 is 5.6e-17, not 0) on every backend."""
    if backend_name == "jax":
        pytest.importorskip("jax")
    for dtype, align, size in [(np.float32, False, (1, 1, 28, 28)), (np.float64, False, (1, 1, 7, 28)),
                               (np.float64, True, (1, 1, 7, 3))]:
        theta = np.eye(2, 3, dtype=dtype)[None]
        grid = F.affine_grid(make(backend_name, theta), size, align).numpy()
        np.testing.assert_array_equal(grid, TF.affine_grid(torch.tensor(theta), size, align).numpy())


def test_align_corners_default_warns_as_torch():
    theta = make("numpy", np.eye(2, 3)[None])
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(theta, (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(make("numpy", np.ones((1, 1, 2, 2))), grid)
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(theta, (1, 1, 1, 3), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(make("numpy", np.ones((1, 1, 2, 2))), grid, align_corners=True)


def test_errors_name_the_function_and_shapes(backend):
    x, grid = make(backend, np.ones((1, 2, 3, 3))), make(backend, np.zeros((1, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"grid_sample: a 4-D input of shape \(1, 2, 3, 3\) needs a grid of shape "
                                         r"\(N, H_out, W_out, 2\), got grid of shape \(1, 2, 2, 1\)"):
        F.grid_sample(x, make(backend, np.zeros((1, 2, 2, 1))), align_corners=False)
    with pytest.raises(ValueError, match=r"grid_sample: expected a 4-D \(N, C, H, W\) or 5-D .*got input of shape "
                                         r"\(2, 3, 3\)"):
        F.grid_sample(make(backend, np.ones((2, 3, 3))), grid, align_corners=False)
    with pytest.raises(ValueError, match=r"grid_sample: expected grid and input to have the same batch size, got input "
                                         r"of shape \(2, 2, 3, 3\) and grid of shape \(1, 2, 2, 2\)"):
        F.grid_sample(make(backend, np.ones((2, 2, 3, 3))), grid, align_corners=False)
    with pytest.raises(ValueError, match="grid_sample: expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, grid, mode="linear", align_corners=False)
    with pytest.raises(ValueError, match="grid_sample: expected padding_mode to be 'zeros', 'border', or 'reflection'"):
        F.grid_sample(x, grid, padding_mode="circular", align_corners=False)
    with pytest.raises(ValueError, match=r"grid_sample: bicubic interpolation only supports 4-D input, got input of "
                                         r"shape \(1, 2, 3, 3, 3\)"):
        F.grid_sample(make(backend, np.ones((1, 2, 3, 3, 3))), make(backend, np.zeros((1, 1, 1, 1, 3))), "bicubic",
                      align_corners=False)
    with pytest.raises(ValueError, match=r"grid_sample: expected input to have non-empty spatial dimensions"):
        F.grid_sample(make(backend, np.ones((1, 2, 0, 3))), grid, align_corners=False)
    with pytest.raises(TypeError, match="grid_sample: expected input and grid to have the same dtype, got input "
                                        "float32 and grid float64"):
        F.grid_sample(make(backend, np.ones((1, 2, 3, 3), np.float32)), grid, align_corners=False)
    theta = make(backend, np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"affine_grid: expected a batch of 3-D affine matrices of shape \(N, 3, 4\) "
                                         r"for size \(1, 1, 2, 2, 2\), got theta of shape \(1, 2, 3\)"):
        F.affine_grid(theta, (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match=r"affine_grid: only 4-D and 5-D sizes"):
        F.affine_grid(theta, (1, 1, 2), align_corners=False)
    with pytest.raises(ValueError, match=r"affine_grid: expected a positive output size, got \(1, 1, 0, 2\)"):
        F.affine_grid(theta, (1, 1, 0, 2), align_corners=False)
    with pytest.raises(ValueError, match=r"affine_grid: theta of shape \(1, 2, 3\) holds 1 matrices, size "
                                         r"\(2, 1, 2, 2\) asks for a batch of 2"):
        F.affine_grid(theta, (2, 1, 2, 2), align_corners=False)
    with pytest.raises(TypeError, match="affine_grid: expected theta to have floating point type, but got int64"):
        F.affine_grid(make(backend, np.zeros((1, 2, 3), np.int64)), (1, 1, 2, 2), align_corners=False)
