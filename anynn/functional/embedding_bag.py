"""`embedding_bag`: sums, means or maxima of bags of embedding rows, without materialising the lookups.

Bags are laid out as a (bags, longest bag) grid of positions into the flat input; positions past a bag's end
and entries equal to ``padding_idx`` get weight 0 (sum, mean) or are masked out (max). One graph node: the
backward adds each bag's gradient into the rows it read with the ``scatter_add`` fast path.
"""

from __future__ import annotations

import math
from typing import Any

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import op
from ..backend.typing import Namespace
from .embedding import check_indices, embedding_renorm_

MODES = ("sum", "mean", "max")


class EmbeddingBagFunction(Function):
    """weight (V, D), per-sample weights (N,)-shaped or absent → (B, D).

    Constants: ``flat`` (N,) the indices, ``pos`` (B, L) positions into them, ``coef`` (B, L) the weight of
    each position (0 where it is not in the bag; 1/count for mean), ``valid`` (B, L) membership.
    """

    ties_constant_gradient = False  # PyTorch's weight gradient reads no weight (max: the argmax indices)
    mode: str
    scale_grad_by_freq: bool

    def forward(self, xp: Namespace, weight: Any, flat: Any, pos: Any, coef: Any, valid: Any, psw: Any = None) -> Any:
        bags, length = pos.shape
        self.shape = weight.shape
        self.psw_shape = None if psw is None else psw.shape
        self.flat, self.pos, self.coef, self.valid = flat, pos, coef, valid
        if length == 0:
            self.rows = None
            return xp.zeros((bags, weight.shape[1]), dtype=weight.dtype, device=device(weight))
        grid = (bags, length)
        if bags is None and length is None:  # both symbolic (an ONNX export): the sizes as the graph reads them
            recording: Any = self.backend  # (the ndonnx backend: SymInts of the axes)
            grid = tuple(recording.symbolic_shape(pos))
        self.idx = xp.reshape(xp.take(flat, xp.reshape(pos, (-1,))), grid)
        rows = xp.reshape(xp.take(weight, xp.reshape(self.idx, (-1,)), axis=0), (*grid, weight.shape[1]))
        self.rows = rows
        if self.mode == "max":
            masked = xp.where(valid[..., None], rows, xp.asarray(-xp.inf, dtype=rows.dtype, device=device(rows)))
            self.arg = xp.argmax(masked, axis=1)  # (B, D)
            self.full = xp.any(valid, axis=1)[:, None]  # empty bags give 0 and no gradient
            return xp.where(self.full, xp.max(masked, axis=1), xp.zeros_like(rows[:, 0, :]))
        w = coef
        if psw is not None:
            self.psw_grid = xp.reshape(xp.take(xp.reshape(psw, (-1,)), xp.reshape(pos, (-1,))), grid)
            w = coef * self.psw_grid
        return xp.sum(rows * w[..., None], axis=1)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, ...]:
        nones: tuple[None, ...] = (None,) * 4
        if self.rows is None:  # every bag empty: nothing was read
            zeros = xp.zeros(self.shape, dtype=g.dtype, device=device(g))
            return (zeros, *nones) + (() if self.psw_shape is None else (xp.zeros(self.psw_shape, dtype=g.dtype,
                                                                                   device=device(g)),))
        scatter_add = op(self.backend, "scatter_add")
        num_rows, dim = self.shape
        grad_weight = grad_psw = None
        if self.mode == "max":
            if self.needs_input_grad[0]:
                chosen = xp.take_along_axis(self.idx, self.arg, axis=1)  # (B, D) rows read
                columns = xp.arange(dim, dtype=chosen.dtype, device=device(chosen))[None, :]
                values = xp.where(self.full, g, xp.zeros_like(g))
                grad = scatter_add(xp.reshape(chosen * dim + columns, (-1,)), xp.reshape(values, (-1, 1)),
                                   num_rows * dim)
                grad_weight = xp.reshape(grad, (num_rows, dim))
            return (grad_weight, *nones)
        w = self.coef if self.psw_shape is None else self.coef * self.psw_grid
        if self.needs_input_grad[0]:
            per_position = xp.reshape(g[:, None, :] * w[..., None], (math.prod(w.shape), dim))  # dim may be 0
            flat_idx = xp.reshape(self.idx, (-1,))
            grad_weight = scatter_add(flat_idx, per_position, num_rows)
            if self.scale_grad_by_freq:
                ones = xp.reshape(xp.astype(self.valid, g.dtype), (-1, 1))
                counts = scatter_add(flat_idx, ones, num_rows)
                grad_weight = grad_weight / xp.maximum(counts, xp.ones_like(counts))
        if self.psw_shape is not None and self.needs_input_grad[5]:
            grid = xp.sum(self.rows * g[:, None, :], axis=-1) * self.coef  # (B, L)
            n = 1
            for size in self.psw_shape:
                n *= size
            grad_psw = xp.reshape(scatter_add(xp.reshape(self.pos, (-1,)), xp.reshape(grid, (-1, 1)), n),
                                  self.psw_shape)
        return (grad_weight, *nones) + (() if self.psw_shape is None else (grad_psw,))


def _layout(name: str, input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple[Any, Any, Any]:
    """``(flat indices (N,), positions (B, L), in-bag mask (B, L))`` for 2-D input or 1-D input with offsets."""
    xp, where = input.backend.xp, input.backend.device
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: if input is 2D, then offsets has to be None, as input is treated as a "
                             f"mini-batch of fixed length sequences; got offsets of shape {offsets.shape}")
        bags, length = input.shape
        if bags is None or length is None:  # symbolic sizes (an ONNX export): position i L + j counted from ones
            ones = xp.ones_like(input.array, dtype=xp.int64)
            rows = xp.cumulative_sum(ones[:, :1], axis=0) - 1  # (B, 1)
            pos = xp.cumulative_sum(ones, axis=1) - 1 + rows * xp.sum(ones, axis=1, keepdims=True)
            return xp.reshape(input.array, (-1,)), pos, xp.astype(ones, xp.bool)
        pos = xp.reshape(xp.arange(bags * length, dtype=xp.int64, device=where), (bags, length))
        return xp.reshape(input.array, (-1,)), pos, xp.ones((bags, length), dtype=xp.bool, device=where)
    if input.ndim != 1:
        raise ValueError(f"{name}: input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError(f"{name}: offsets has to be a 1D Tensor but got None")
    if not isinstance(offsets, Tensor) or offsets.ndim != 1:
        raise ValueError(f"{name}: offsets has to be a 1D Tensor, got {getattr(offsets, 'shape', offsets)!r}")
    if offsets.backend != input.backend:
        raise ValueError(f"{name}: offsets are on backend {offsets.backend.key!r}, input on {input.backend.key!r}")
    n = input.shape[0]
    starts = xp.astype(offsets.array, xp.int64)
    host = [int(v) for v in offsets.backend.to_host(offsets.array).tolist()]  # the longest bag sets the width
    if host and host[0] != 0:
        raise ValueError(f"{name}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                         f"from position 0. However, got {host[0]}")
    if include_last_offset:  # as PyTorch's kernel: the last bag runs to the input's end, whatever offsets[-1] says
        if offsets.shape[0] < 1:
            raise ValueError(f"{name}: include_last_offset needs at least one offset, got none")
        if host[-1] > n:
            raise ValueError(f"{name}: offsets[-1] can not be greater than input's length {n} but got "
                             f"offsets[-1] of {host[-1]}")
        starts, host = starts[:-1], host[:-1]
    ends = xp.concat([starts[1:], xp.asarray([n], dtype=xp.int64, device=where)])
    bounds = host + [n]
    if any(b > a for a, b in zip(bounds[1:], bounds)) or (bounds and bounds[-1] > n):
        raise ValueError(f"{name}: offsets must be non-decreasing and at most the input length {n}, got "
                         f"{offsets.backend.to_host(offsets.array).tolist()}")
    length = max([b - a for a, b in zip(bounds, bounds[1:])], default=0)
    grid = starts[:, None] + xp.arange(length, dtype=xp.int64, device=where)[None, :]
    valid = grid < ends[:, None]
    return xp.reshape(input.array, (-1,)), xp.where(valid, grid, xp.zeros_like(grid)), valid


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Reduce bags of rows of ``weight`` (V, D) → (B, D), as PyTorch's ``F.embedding_bag``.

    ``input`` is (B, L) (B bags of L indices) with ``offsets=None``, or (N,) with ``offsets`` (B,) giving
    where each bag starts (``include_last_offset``: (B + 1,), the last one the end). ``mode`` is ``"sum"``,
    ``"mean"`` or ``"max"``; ``per_sample_weights`` (input's shape) scale each row (``"sum"`` only). Entries
    equal to ``padding_idx`` are left out of their bag (and of a mean's count); an empty bag gives zeros.
    """
    name = "embedding_bag"
    if weight.ndim != 2:
        raise ValueError(f"{name}: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight.shape)}")
    if mode not in MODES:
        raise ValueError(f"{name}: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"{name}: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}')")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"{name}: per_sample_weights must have the input's shape {input.shape}, got "
                             f"{per_sample_weights.shape}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{name}: max mode does not support scaling the gradient by the frequency")
    check_indices(name, input, weight)
    xp = weight.backend.xp
    flat, pos, valid = _layout(name, input, offsets, include_last_offset)
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise ValueError(f"{name}: padding_idx must be within num_embeddings = {weight.shape[0]}, got "
                             f"{padding_idx}")
        padding_idx %= weight.shape[0]
        if pos.shape[1]:
            valid = valid & (xp.reshape(xp.take(flat, xp.reshape(pos, (-1,))), pos.shape) != padding_idx)
    if max_norm is not None:
        embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    coef = xp.astype(valid, weight.array.dtype)
    if mode == "mean":
        count = xp.sum(coef, axis=1, keepdims=True)
        coef = coef / xp.maximum(count, xp.ones_like(count))
    extra = () if per_sample_weights is None else (per_sample_weights,)
    return EmbeddingBagFunction.apply(weight, flat, pos, coef, valid, *extra, mode=mode,
                              scale_grad_by_freq=bool(scale_grad_by_freq))
