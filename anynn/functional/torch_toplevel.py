"""Layer functions under their top-level PyTorch names (``torch.conv2d``, ``torch.batch_norm``, ``torch.kl_div``...).

PyTorch's top-level forms are its ATen operators, and some take other arguments than their ``torch.nn.functional``
twins: the loss reduction is an int (0 ``'none'``, 1 ``'mean'``, 2 ``'sum'``) whose default is 0 (PyTorch 2.13's
Python binding of these operators returns the unreduced losses when the call gives none), ``torch.batch_norm`` puts
the weight before the running statistics and ends with ``cudnn_enabled``, ``torch.embedding`` takes the weight first,
``torch.max_pool2d`` has no ``return_indices``, ``torch.grid_sampler`` takes its modes as ints. Each function here
takes the top-level form and calls the one formula in `anynn.functional`. Where the two forms agree the functional
is exposed as it is (``CALLED_AS_FUNCTIONAL``). ``TOP_LEVEL`` is every name `anynn` takes from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import functional as F  # imported after the package: every name below is already there

_REDUCTIONS = ("none", "mean", "sum")
_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")


def _reduction(reduction: Any, op: str) -> str:
    """PyTorch's loss reduction enum (0 none, 1 mean, 2 sum) as the functional's string."""
    if isinstance(reduction, bool) or not isinstance(reduction, int) or not 0 <= reduction < 3:
        raise TypeError(f"torch.{op}: reduction must be an int, 0 ('none'), 1 ('mean') or 2 ('sum'), got "
                        f"{reduction!r}; torch.nn.functional.{op} takes the string")
    return _REDUCTIONS[reduction]


def _mode(value: Any, names: tuple[str, ...], what: str, op: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(names):
        choices = ", ".join(f"{i} ({n!r})" for i, n in enumerate(names))
        raise TypeError(f"torch.{op}: {what} must be an int, one of {choices}; got {value!r}")
    return names[value]


def max_pool1d(input: Any, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False) -> Any:
    """``torch.max_pool1d``: `anynn.functional.max_pool1d` without indices; x: (N, C, L) or (C, L)."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False) -> Any:
    """``torch.max_pool2d``: `anynn.functional.max_pool2d` without indices; x: (N, C, H, W) or (C, H, W)."""
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input: Any, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False) -> Any:
    """``torch.max_pool3d``: `anynn.functional.max_pool3d` without indices; x: (N, C, D, H, W) or (C, D, H, W)."""
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input: Any, kernel_size: Any, stride: Any = (), padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False) -> tuple[Any, Any]:
    """``torch.max_pool1d_with_indices``: (values, int64 indices into L), each (N, C, L_out)."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool1d(input: Any, output_size: Any) -> tuple[Any, Any]:  # noqa: A002
    """``torch.adaptive_max_pool1d``: (values, indices), as PyTorch's top-level form always returns both."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any, training: bool,  # noqa: A002
               momentum: float, eps: float, cudnn_enabled: bool) -> Any:
    """``torch.batch_norm``: the weight and bias come before the running statistics; ``cudnn_enabled`` is accepted
    and changes nothing. x: (N, C, *)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any,  # noqa: A002
                  use_input_stats: bool, momentum: float, eps: float, cudnn_enabled: bool) -> Any:
    """``torch.instance_norm``: the argument order of `batch_norm` above. x: (N, C, *)."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-05, cudnn_enable: bool = True) -> Any:
    """``torch.layer_norm``: `anynn.functional.layer_norm` with PyTorch's trailing ``cudnn_enable``."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-05,  # noqa: A002
               cudnn_enabled: bool = True) -> Any:
    """``torch.group_norm``: `anynn.functional.group_norm` with PyTorch's trailing ``cudnn_enabled``."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def embedding(weight: Any, indices: Any, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Any:
    """``torch.embedding``: the weight (num_embeddings, dim) first, then the indices; ``padding_idx=-1`` means
    none (the row at a non-negative ``padding_idx`` gets no gradient). Returns (*indices.shape, dim)."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                                scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def kl_div(input: Any, target: Any, reduction: int = 0, *, log_target: bool = False) -> Any:  # noqa: A002
    """``torch.kl_div``: the pointwise losses by default; reduction 1 is the mean over every element (not
    ``'batchmean'``)."""
    return F.kl_div(input, target, reduction=_reduction(reduction, "kl_div"), log_target=log_target)


def poisson_nll_loss(input: Any, target: Any, log_input: bool, full: bool, eps: float,  # noqa: A002
                     reduction: int) -> Any:
    """``torch.poisson_nll_loss``: every argument required, as PyTorch's."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction(reduction, "poisson_nll_loss"))


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, pos_weight: Any = None,  # noqa: A002
                                     reduction: int = 0) -> Any:
    """``torch.binary_cross_entropy_with_logits``: ``pos_weight`` fourth, the reduction an int."""
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits"),
        pos_weight=pos_weight)


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, reduction: int = 0) -> Any:
    """``torch.margin_ranking_loss``: the reduction an int."""
    return F.margin_ranking_loss(input1, input2, target, margin,
                                           reduction=_reduction(reduction, "margin_ranking_loss"))


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(weight: Any, indices: Any, offsets: Any, scale_grad_by_freq: bool = False, mode: int = 0,
                  sparse: bool = False, per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple[Any, Any, Any, Any]:
    """``torch.embedding_bag``: the weight first, ``mode`` an int (0 sum, 1 mean, 2 max), ``offsets`` required;
    returns PyTorch's four tensors ``(output, offset2bag, bag_size, max_indices)``: the bags reduced (B, D) as
    `anynn.functional.embedding_bag`, then, as PyTorch's CPU kernel gives them, each index's bag (N,) (empty for
    a sum without ``padding_idx`` of a weight other than float64), each bag's count of non-padding indices (B,)
    and, for max, the row of ``weight`` that won each bag's maximum (B, D) (0 for an empty bag; for sum: zeros
    of ``offsets``' length, for mean: the counts)."""
    from ..autograd.tensor import Tensor, make_tensor
    from ..backend import dtype_name

    name = _mode(mode, _BAG_MODES, "mode", "embedding_bag")
    if not isinstance(offsets, Tensor):
        raise TypeError(f"embedding_bag(): argument 'offsets' (position 3) must be Tensor, not "
                        f"{type(offsets).__name__}")
    output = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, name, sparse, per_sample_weights,
                             include_last_offset, padding_idx)
    xp, be = indices.backend.xp, indices.backend
    flat = xp.astype(xp.reshape(indices.array, (-1,)), xp.int64)
    starts = xp.astype(offsets.array, xp.int64)
    if include_last_offset:
        starts = starts[:-1]
    n, bags = flat.shape[0], starts.shape[0]
    keep = xp.ones_like(flat, dtype=xp.bool) if padding_idx is None else flat != padding_idx % weight.shape[0]
    counted = xp.concat([xp.zeros(1, dtype=xp.int64, device=be.device), xp.cumulative_sum(xp.astype(keep, xp.int64))])
    ends = xp.concat([starts[1:], xp.full(1, n, dtype=xp.int64, device=be.device)])
    bag_size = xp.take(counted, ends) - xp.take(counted, starts)
    # PyTorch's CPU kernel: a sum leaves the bag sizes at zero, and its fast path for half and single precision
    # without padding_idx leaves offset2bag empty
    fast_sum = name == "sum" and padding_idx is None and dtype_name(weight.dtype) != "float64"
    offset2bag = xp.zeros(0, dtype=xp.int64, device=be.device)
    if name == "sum":
        bag_size = max_indices = xp.zeros(offsets.shape[0], dtype=xp.int64, device=be.device)
    else:
        max_indices = bag_size
    if not fast_sum:
        offset2bag = xp.searchsorted(starts, xp.arange(n, dtype=xp.int64, device=be.device), side="right") - 1
    if name == "max":
        width = max(1, int(be.to_host(xp.max(ends - starts)))) if bags else 1  # host read: the longest bag
        grid = starts[:, None] + xp.arange(width, dtype=xp.int64, device=be.device)[None, :]  # (B, L)
        inside = grid < ends[:, None]
        rows = xp.where(inside, grid, xp.zeros_like(grid))
        picked = xp.reshape(xp.take(flat, xp.reshape(rows, (-1,))), rows.shape) if n else xp.zeros_like(rows)
        usable = inside & (xp.reshape(xp.take(keep, xp.reshape(rows, (-1,))), rows.shape) if n else inside)
        values = xp.take(weight.detach().array, xp.reshape(picked, (-1,)), axis=0)
        values = xp.reshape(values, tuple(rows.shape) + (weight.shape[1],))  # (B, L, D)
        low = xp.full_like(values, -float("inf"))
        best = xp.argmax(xp.where(usable[..., None], values, low), axis=1)  # (B, D), the first of equal maxima
        winners = xp.take_along_axis(xp.broadcast_to(picked[..., None], tuple(values.shape)), best[:, None, :], axis=1)
        max_indices = xp.where(bag_size[:, None] > 0, winners[:, 0, :], xp.zeros_like(winners[:, 0, :]))
    aux = (make_tensor(a, be, None, 0) for a in (offset2bag, bag_size, max_indices))
    return (output, *aux)


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0, reduction: int = 0) -> Any:  # noqa: A002
    """``torch.hinge_embedding_loss``: the reduction an int."""
    return F.hinge_embedding_loss(input, target, margin,
                                            reduction=_reduction(reduction, "hinge_embedding_loss"))


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-06, swap: bool = False, reduction: int = 0) -> Any:
    """``torch.triplet_margin_loss``: the reduction an int, any margin (the functional form wants one above 0)."""
    from .loss_embedding import any_margin_triplet_loss

    return any_margin_triplet_loss(anchor, positive, negative, margin, p, eps, swap,
                                   reduction=_reduction(reduction, "triplet_margin_loss"))


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, reduction: int = 0) -> Any:
    """``torch.cosine_embedding_loss``: the reduction an int."""
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                                reduction=_reduction(reduction, "cosine_embedding_loss"))


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: int = 0, zero_infinity: bool = False) -> Any:
    """``torch.ctc_loss``: log_probs (T, N, C) or (T, C); the reduction an int (1: the mean of each loss divided
    by its target length, as the functional's ``'mean'``)."""
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                             _reduction(reduction, "ctc_loss"), zero_infinity)


def constant_pad_nd(input: Any, pad: Sequence[int], value: float = 0) -> Any:  # noqa: A002
    """``torch.constant_pad_nd``: ``F.pad(input, pad, "constant", value)`` (pairs from the last dimension)."""
    return F.pad(input, pad, "constant", value)


def grid_sampler(input: Any, grid: Any, interpolation_mode: int, padding_mode: int,  # noqa: A002
                 align_corners: bool) -> Any:
    """``torch.grid_sampler``: `anynn.functional.grid_sample` with the modes as PyTorch's ints (interpolation 0
    bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    return F.grid_sample(input, grid, _mode(interpolation_mode, _INTERPOLATION, "interpolation_mode",
                                                "grid_sampler"),
                             _mode(padding_mode, _PADDING_MODES, "padding_mode", "grid_sampler"), align_corners)


def affine_grid_generator(theta: Any, size: Sequence[int], align_corners: bool) -> Any:
    """``torch.affine_grid_generator``: `anynn.functional.affine_grid` with ``align_corners`` required."""
    return F.affine_grid(theta, size, align_corners)


def grid_sampler_2d(input: Any, grid: Any, interpolation_mode: int, padding_mode: int,  # noqa: A002
                    align_corners: bool) -> Any:
    """``torch.grid_sampler_2d``: `grid_sampler` of a 4-D input (N, C, H, W) and grid (N, H_out, W_out, 2)."""
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d(): expected 4D input, got {input.ndim}D")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Any, grid: Any, interpolation_mode: int, padding_mode: int,  # noqa: A002
                    align_corners: bool) -> Any:
    """``torch.grid_sampler_3d``: `grid_sampler` of a 5-D input (N, C, D, H, W) and grid (N, D', H', W', 3)."""
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler_3d(): expected 5D input, got {input.ndim}D")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def convolution(input: Any, weight: Any, bias: Any, stride: Sequence[int], padding: Sequence[int],  # noqa: A002
                dilation: Sequence[int], transposed: bool, output_padding: Sequence[int], groups: int) -> Any:
    """``torch.convolution``: the 1-, 2- or 3-D convolution (``transposed``: its transpose) the weight's rank
    names, weight (C_out, C_in / groups, *kernel) or, transposed, (C_in, C_out / groups, *kernel)."""
    spatial = weight.ndim - 2
    if spatial not in (1, 2, 3):
        raise RuntimeError(f"convolution(): expected a 3-D, 4-D or 5-D weight, got {weight.ndim}-D")
    if transposed:
        op = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[spatial - 1]
        return op(input, weight, bias, tuple(stride), tuple(padding), tuple(output_padding), groups, tuple(dilation))
    op = (F.conv1d, F.conv2d, F.conv3d)[spatial - 1]
    return op(input, weight, bias, tuple(stride), tuple(padding), tuple(dilation), groups)


def frobenius_norm(input: Any, dim: Sequence[int] | int = (), keepdim: bool = False) -> Any:  # noqa: A002
    """``torch.frobenius_norm``: the 2-norm over ``dim`` (one or two dimensions)."""
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return input.norm(2, dims if dims else None, keepdim)


def nuclear_norm(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``torch.nuclear_norm(input, keepdim=False)`` or ``(input, dim, keepdim=False)``: the sum of the singular
    values of the matrices over ``dim`` (default the last two)."""
    if isinstance(dim, bool):  # the (input, keepdim) form
        dim, keepdim = None, dim
    from .matrix_norm import matrix_norm  # (its checks: a dim out of range is PyTorch's IndexError)

    return matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


# the functional already has the top-level form (same arguments, same order)
CALLED_AS_FUNCTIONAL = {
    "conv1d": F.conv1d, "conv2d": F.conv2d, "conv3d": F.conv3d,
    "conv_transpose1d": F.conv_transpose1d, "conv_transpose2d": F.conv_transpose2d,
    "conv_transpose3d": F.conv_transpose3d, "conv_tbc": F.conv_tbc,
    "avg_pool1d": F.avg_pool1d, "adaptive_avg_pool1d": F.adaptive_avg_pool1d,
    "rms_norm": F.rms_norm, "bilinear": F.bilinear, "prelu": F.prelu,
    "hardshrink": F.hardshrink,
    "pixel_shuffle": F.pixel_shuffle, "pixel_unshuffle": F.pixel_unshuffle,
    "channel_shuffle": F.channel_shuffle, "native_channel_shuffle": F.channel_shuffle,
    "pairwise_distance": F.pairwise_distance, "cosine_similarity": F.cosine_similarity,
}

__all__ = ["CALLED_AS_FUNCTIONAL", "TOP_LEVEL", "adaptive_max_pool1d", "affine_grid_generator", "batch_norm",
           "binary_cross_entropy_with_logits", "constant_pad_nd", "convolution", "cosine_embedding_loss", "ctc_loss",
           "embedding", "embedding_bag", "frobenius_norm", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d",
           "group_norm",
           "hinge_embedding_loss", "instance_norm", "kl_div", "layer_norm", "margin_ranking_loss", "max_pool1d",
           "max_pool1d_with_indices", "max_pool2d", "max_pool3d", "nuclear_norm", "poisson_nll_loss",
           "triplet_margin_loss"]
TOP_LEVEL = {**{name: globals()[name] for name in __all__ if name.islower()}, **CALLED_AS_FUNCTIONAL}
