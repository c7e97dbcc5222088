"""PyTorch's top-level layer functions (``torch.conv2d``, ``torch.batch_norm``, ``torch.kl_div``...) against PyTorch:
the same positional arguments as PyTorch's top-level form (not ``torch.nn.functional``'s), values, dtypes and
gradients. The math is the functional's, gradient-checked in its own table; these rows check the argument forms."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import make, torch_oracle

R = np.random.default_rng(0)
X4 = R.standard_normal((2, 4, 5, 5))
X3 = R.standard_normal((2, 4, 7))
X5 = R.standard_normal((1, 2, 4, 4, 4))
C4 = R.standard_normal(4)
POS = R.random((3, 4)) + 0.1
LOGP = np.log(R.dirichlet(np.ones(4), size=3))
SIGN = np.array([1.0, -1.0, 1.0])
A, B, N = R.standard_normal((3, 5)), R.standard_normal((3, 5)), R.standard_normal((3, 5))
W10 = R.standard_normal((10, 3))
BAG_INDICES, BAG_OFFSETS = np.array([1, 2, 4, 5, 4, 3, 7]), np.array([0, 3, 3])  # bags of 3, 0 and 4 indices

CASES = [
    ("conv1d", lambda t, x, w, b: t.conv1d(x, w, b, 2, 1, 1, 2), [X3, R.standard_normal((6, 2, 3)), R.random(6)]),
    ("conv2d", lambda t, x, w: t.conv2d(x, w, None, 1, "same"), [X4, R.standard_normal((3, 4, 3, 3))]),
    ("conv3d", lambda t, x, w: t.conv3d(x, w, None, 2), [X5, R.standard_normal((3, 2, 2, 2, 2))]),
    ("conv_transpose1d", lambda t, x, w: t.conv_transpose1d(x, w, None, 2, 1, 1), [X3, R.standard_normal((4, 3, 3))]),
    ("conv_transpose2d", lambda t, x, w: t.conv_transpose2d(x, w, None, 2, 0, 1, 2),
     [X4, R.standard_normal((4, 2, 2, 2))]),
    ("conv_transpose3d", lambda t, x, w: t.conv_transpose3d(x, w, None, 1, 1),
     [X5, R.standard_normal((2, 2, 3, 3, 3))]),
    ("max_pool1d", lambda t, x: t.max_pool1d(x, 3, 2, 1, 1, True), [X3]),
    ("max_pool2d", lambda t, x: t.max_pool2d(x, 2), [X4]),
    ("max_pool3d", lambda t, x: t.max_pool3d(x, (2, 1, 2), (1, 1, 2)), [X5]),
    ("max_pool1d_with_indices", lambda t, x: t.max_pool1d_with_indices(x, 2)[0], [X3]),
    ("avg_pool1d", lambda t, x: t.avg_pool1d(x, 3, 2, 1, False, False), [X3]),
    ("adaptive_avg_pool1d", lambda t, x: t.adaptive_avg_pool1d(x, 3), [X3]),
    ("adaptive_max_pool1d", lambda t, x: t.adaptive_max_pool1d(x, 3)[0], [X3]),
    ("batch_norm", lambda t, x, w, b: t.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False), [X4, C4, C4]),
    ("layer_norm", lambda t, x, w: t.layer_norm(x, (5, 5), w, None, 1e-3, True), [X4, R.random((5, 5))]),
    ("group_norm", lambda t, x, w, b: t.group_norm(x, 2, w, b, 1e-5, True), [X4, C4, C4]),
    ("instance_norm", lambda t, x, w: t.instance_norm(x, w, None, None, None, True, 0.1, 1e-5, False), [X4, C4]),
    ("rms_norm", lambda t, x, w: t.rms_norm(x, [7], w), [X3, R.random(7)]),
    ("embedding", lambda t, w, i: t.embedding(w, i, 1), [R.standard_normal((5, 3)), np.array([[0, 1, 4], [1, 1, 2]])]),
    ("bilinear", lambda t, a, b, w: t.bilinear(a, b, w), [A, B, R.standard_normal((2, 5, 5))]),
    ("prelu", lambda t, x, w: t.prelu(x, w), [X4, C4]),
    ("pixel_shuffle", lambda t, x: t.pixel_shuffle(x, 2), [X4]),
    ("pixel_unshuffle", lambda t, x: t.pixel_unshuffle(x[..., :4, :4], 2), [X4]),
    ("channel_shuffle", lambda t, x: t.channel_shuffle(x, 2), [X4]),
    ("pairwise_distance", lambda t, a, b: t.pairwise_distance(a, b, 1.5, 1e-6, True), [A, B]),
    ("cosine_similarity", lambda t, a, b: t.cosine_similarity(a, b, 0), [A, B]),
    ("kl_div", lambda t, x, y: t.kl_div(x, y), [LOGP, POS]),  # reduction 0 by default, as torch 2.13
    ("kl_div_mean", lambda t, x, y: t.kl_div(x, y, 1), [LOGP, POS]),
    ("kl_div_sum_log_target", lambda t, x, y: t.kl_div(x, y, 2, log_target=True), [LOGP, np.log(POS)]),
    ("ctc_loss", lambda t, lp: t.ctc_loss(lp, t.tensor([[1, 2], [2, 2]], device=lp.device), [6, 5], [2, 2], 0, 1),
     [np.log(R.dirichlet(np.ones(3), size=(6, 2)))]),
    ("margin_ranking_loss", lambda t, a, b, y: t.margin_ranking_loss(a[:, 0], b[:, 0], y, 0.3, 0),
     [A, B, SIGN]),
    ("hinge_embedding_loss", lambda t, x, y: t.hinge_embedding_loss(x[:, 0], y, 0.5, 2), [A, SIGN]),
    ("triplet_margin_loss", lambda t, a, p, n: t.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-6, True, 1), [A, B, N]),
    ("poisson_nll_loss", lambda t, x, y: t.poisson_nll_loss(x, y, False, True, 1e-8, 1), [POS, POS * 3]),
    ("cosine_embedding_loss", lambda t, a, b, y: t.cosine_embedding_loss(a, b, y, 0.1, 1), [A, B, SIGN]),
    ("binary_cross_entropy_with_logits", lambda t, x, y, w, pw: t.binary_cross_entropy_with_logits(x, y, w, pw, 2),
     [A[:, :4], POS / 2, POS, C4 + 2]),
    ("hardshrink", lambda t, x: t.hardshrink(x, 0.7), [A]),
    ("constant_pad_nd", lambda t, x: t.constant_pad_nd(x, [1, 2, -1, 0], 0.5), [X4]),
    ("grid_sampler", lambda t, x, g: t.grid_sampler(x, g, 0, 1, False), [X4, R.uniform(-1.1, 1.1, (2, 3, 3, 2))]),
    ("grid_sampler_nearest_reflection", lambda t, x, g: t.grid_sampler(x, g, 1, 2, True),
     [X4, R.uniform(-1.1, 1.1, (2, 3, 3, 2))]),
    ("affine_grid_generator", lambda t, th: t.affine_grid_generator(th, [2, 4, 3, 5], False),
     [R.standard_normal((2, 2, 3))]),
    ("grid_sampler_2d", lambda t, x, g: t.grid_sampler_2d(x, g, 2, 0, True), [X4, R.uniform(-1, 1, (2, 3, 3, 2))]),
    ("convolution", lambda t, x, w, b: t.convolution(x, w, b, [1, 2], [1, 0], [1, 1], False, [0, 0], 1),
     [X4, R.standard_normal((3, 4, 3, 2)), R.random(3)]),
    ("convolution_transposed", lambda t, x, w: t.convolution(x, w, None, [2], [1], [1], True, [1], 2),
     [X3, R.standard_normal((4, 3, 3))]),
    ("frobenius_norm", lambda t, x: t.frobenius_norm(x, [1, 2], True), [X4]),
    ("nuclear_norm", lambda t, x: t.nuclear_norm(x[0, 0], True), [X4]),
    ("nuclear_norm_dim", lambda t, x: t.nuclear_norm(x, [0, 2]), [X3]),
    ("unsafe_split", lambda t, x: t.unsafe_split(x, 3, 2)[1], [X3]),
    ("unsafe_chunk", lambda t, x: t.unsafe_chunk(x, 2, 1)[1], [X3]),
    ("unsafe_split_with_sizes", lambda t, x: t.unsafe_split_with_sizes(x, [5, 2], -1)[0], [X3]),
    ("embedding_bag_mean", lambda t, w, i, o: t.embedding_bag(w, i, o, False, 1)[0], [W10, BAG_INDICES, BAG_OFFSETS]),
    ("embedding_bag_max_padding_last_offset",
     lambda t, w, i, o: t.embedding_bag(w, i, o, False, 2, False, None, True, 4)[0],
     [W10, BAG_INDICES, np.append(BAG_OFFSETS, 7)]),
    ("conv_tbc", lambda t, x, w, b: t.conv_tbc(x, w, b, 1), [X3, R.standard_normal((3, 7, 2)), R.random(2)]),
    ("conv_tbc_no_steps", lambda t, x, w, b: t.conv_tbc(x, w, b), [X3, R.standard_normal((3, 7, 2)), R.random(2)]),
    ("conv_tbc_cropped", lambda t, x, w, b: t.nn.functional.conv_tbc(x, w, b, -2),
     [R.standard_normal((7, 2, 4)), R.standard_normal((2, 4, 3)), R.random(3)]),
]

# the inputs to differentiate where not every floating input is (targets, weights PyTorch refuses to differentiate)
GRADS = {"grid_sampler_nearest_reflection": [True, False], "kl_div": [True, False],
         "kl_div_sum_log_target": [True, False], "kl_div_mean": [True, False], "hinge_embedding_loss": [True, False],
         "margin_ranking_loss": [True, True, False], "cosine_embedding_loss": [True, True, False],
         "poisson_nll_loss": [True, False], "binary_cross_entropy_with_logits": [True, False, False, False],
         "embedding_bag_mean": [True, False, False], "embedding_bag_max_padding_last_offset": [True, False, False]}


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_top_level_form_matches_torch(backend, name, fn, arrays):
    grads = GRADS.get(name)
    torch_oracle(backend, lambda *t: fn(anynn, *t), lambda *t: fn(torch, *t), arrays, "float64", grads=grads,
                 what=name)


def test_every_top_level_name_is_torchs_and_not_functionals_where_they_differ():
    for name, fn in anynn.functional.torch_toplevel.TOP_LEVEL.items():
        # (unwrapped: anynn.* functions may carry PyTorch's out= or NumPy's axis= spellings)
        assert hasattr(torch, name) and inspect.unwrap(getattr(anynn, name)) is inspect.unwrap(fn), name
    x = make(anynn.get_backend("numpy"), X4)
    values, indices = anynn.adaptive_max_pool1d(x[0], 2)
    ref_values, ref_indices = torch.adaptive_max_pool1d(torch.tensor(X4[0]), 2)
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    with pytest.raises(TypeError):
        torch.max_pool2d(torch.tensor(X4), 2, 2, 0, 1, False, True)  # no return_indices at the top level
    with pytest.raises(TypeError):
        anynn.max_pool2d(x, 2, 2, 0, 1, False, True)


@pytest.mark.parametrize("op, args", [("kl_div", (LOGP, POS, "mean")), ("hinge_embedding_loss", (A, SIGN, 1.0, 3))])
def test_reduction_is_pytorchs_int(op, args):
    tensors = [anynn.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(TypeError, match=f"torch.{op}: reduction must be an int"):
        getattr(anynn, op)(*tensors)
    with pytest.raises((TypeError, RuntimeError)):
        getattr(torch, op)(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])


def test_nuclear_norm_refuses_a_dim_out_of_range_as_torch():
    # (it took the dim modulo ndim: nuclear_norm(x, (4, 3)) of a matrix gave the norm over (0, 1))
    for lib in (torch, anynn):
        with pytest.raises(IndexError):
            lib.nuclear_norm(lib.ones(3, 3), (4, 3))


def test_grid_sampler_refuses_a_mode_name():
    x, g = anynn.tensor(X4), anynn.tensor(R.uniform(-1, 1, (2, 3, 3, 2)))
    with pytest.raises(TypeError, match="interpolation_mode must be an int, one of 0 .'bilinear'."):
        anynn.grid_sampler(x, g, "bilinear", 0, False)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx, include_last_offset", [(None, False), (4, True)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_bag_top_level_gives_torchs_four_tensors(backend, mode, padding_idx, include_last_offset, dtype):
    """torch.embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, ...) returns (output, offset2bag,
    bag_size, max_indices) as PyTorch's CPU kernel fills them (its float32 sum fast path leaves offset2bag empty)."""
    offsets = np.append(BAG_OFFSETS, 7) if include_last_offset else BAG_OFFSETS
    args = (False, mode, False, None, include_last_offset, padding_idx)
    ours = anynn.embedding_bag(make(backend, W10, dtype=dtype), make(backend, BAG_INDICES), make(backend, offsets),
                               *args)
    theirs = torch.embedding_bag(torch.tensor(W10, dtype=getattr(torch, dtype)), torch.tensor(BAG_INDICES),
                                 torch.tensor(offsets), *args)
    assert len(ours) == len(theirs) == 4
    for mine, reference in zip(ours, theirs):
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="'offsets' .position 3. must be Tensor, not NoneType"):
        anynn.embedding_bag(make(backend, W10), make(backend, BAG_INDICES.reshape(1, 7)), None)
    with pytest.raises(TypeError, match="must be Tensor, not NoneType"):
        torch.embedding_bag(torch.tensor(W10), torch.tensor(BAG_INDICES.reshape(1, 7)), None)
