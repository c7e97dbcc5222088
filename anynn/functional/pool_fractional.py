"""`fractional_max_pool2d` / `fractional_max_pool3d`: max pooling over pseudo-random windows (Graham, 2014).

Along an axis of size n pooled to ``out`` windows of size k, each (sample, channel) plane draws u in [0, 1) and its
windows start at ``trunc((i + u) a) - trunc(u a)`` for i < out - 1 (a = (n - k) / (out - 1), computed in the input's
dtype, as PyTorch does) and at n - k for the last one. ``_random_samples`` (N, C, rank) holds the u's: for 2-D
column 0 belongs to W and column 1 to H (PyTorch's order), for 3-D columns 0, 1, 2 to T, H, W. Indices are
``h * W + w`` (3-D: ``(t * H + h) * W + w``); the backward adds each output's gradient at its index.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import op
from ..backend.typing import Namespace
from .value_checks import KernelNotImplementedError, array_on_backend

_AXES = ("time", "height", "width")


class FractionalMaxPoolFunction(Function):
    """x (B, *S) and samples (B, rank) (x's dtype) → (values (B, *output_size), int64 indices into S flattened
    row-major). ``kernel_size`` and ``output_size`` have one entry per spatial axis; ``sample_columns`` names the
    samples' column of each axis."""

    ties_constant_gradient = True  # PyTorch's backward reads the input
    kernel_size: tuple[int, ...]
    output_size: tuple[int, ...]
    sample_columns: tuple[int, ...]

    def forward(self, xp: Namespace, x: Any, samples: Any) -> tuple[Any, Any]:
        size, dev = tuple(x.shape[1:]), device(x)
        positions = []  # per axis: (B, out, k) positions read
        for axis, (n, out, k) in enumerate(zip(size, self.output_size, self.kernel_size)):
            u = samples[:, self.sample_columns[axis]]
            starts = xp.zeros_like(u, dtype=xp.int64)[:, None] + (n - k)  # (B, 1): the last window ends at the end
            if out > 1:
                alpha = xp.asarray(n - k, dtype=x.dtype, device=dev) / xp.asarray(out - 1, dtype=x.dtype, device=dev)
                steps = xp.arange(out - 1, dtype=x.dtype, device=dev)
                first = xp.astype((steps[None, :] + u[:, None]) * alpha, xp.int64)
                starts = xp.concat([first - xp.astype(u * alpha, xp.int64)[:, None], starts[:, -1:]], axis=1)
            positions.append(starts[:, :, None] + xp.arange(k, dtype=xp.int64, device=dev)[None, None, :])
        rank = len(size)
        flat = None  # (B, *out, *k) flat positions in S
        for axis, p in enumerate(positions):
            shape = [p.shape[0]] + [1] * (2 * rank)
            shape[1 + axis], shape[1 + rank + axis] = p.shape[1], p.shape[2]
            p = xp.reshape(p, tuple(shape))
            flat = p if flat is None else flat * size[axis] + p
        batch, outs, window = x.shape[0], math.prod(self.output_size), math.prod(self.kernel_size)
        flat = xp.reshape(xp.broadcast_to(flat, (batch, *self.output_size, *self.kernel_size)), (batch, outs, window))
        windows = xp.take_along_axis(xp.reshape(x, (batch, math.prod(size))), xp.reshape(flat, (batch, outs * window)),
                                     axis=1)
        windows = xp.reshape(windows, (batch, outs, window))
        arg = xp.argmax(windows, axis=-1, keepdims=True)  # the first maximum in the window's scan order, as PyTorch
        values = xp.reshape(xp.take_along_axis(windows, arg, axis=-1), (batch, *self.output_size))
        self.indices = xp.reshape(xp.take_along_axis(flat, arg, axis=-1), (batch, *self.output_size))
        self.shape = tuple(x.shape)
        return values, self.indices

    def backward(self, xp: Namespace, g: Any, _: Any = None) -> tuple[Any, None]:
        b, *size = self.shape
        count = math.prod(size)
        base = xp.reshape(xp.arange(b, dtype=xp.int64, device=device(g)) * count, (b,) + (1,) * len(size))
        flat = xp.reshape(self.indices + base, (-1,))
        grad = op(self.backend, "scatter_add")(flat, xp.reshape(g, (-1, 1)), b * count)
        return xp.reshape(grad, self.shape), None


def _per_axis(fn: str, value: Any, rank: int, what: str) -> tuple[Any, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank
    if len(values) != rank:
        raise ValueError(f"{fn}: {what} must be one number or {rank} of them, got {value!r}")
    return values


def _fractional_max(fn: str, input: Tensor, kernel_size: Any, output_size: Any, output_ratio: Any,  # noqa: A002
                    return_indices: bool, random_samples: Any, rank: int) -> Any:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: expected an anynn Tensor as input, got {type(input).__name__}")
    if input.ndim not in (rank + 1, rank + 2):
        raise RuntimeError(f"{fn}: expected a {rank + 1}-D or {rank + 2}-D input (N, C, *{rank} spatial sizes), got "
                           f"shape {tuple(input.shape)}")
    if not input.backend.xp.isdtype(input.array.dtype, "real floating"):
        raise KernelNotImplementedError(f"{fn}: expected a floating-point input, got {input.dtype}")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    spatial = tuple(input.shape[-rank:])
    kernel = tuple(int(k) for k in _per_axis(fn, kernel_size, rank, "kernel_size"))
    if output_size is None:
        ratios = tuple(float(r) for r in _per_axis(fn, output_ratio, rank, "output_ratio"))
        if not all(0 < r < 1 for r in ratios):
            raise ValueError(f"{fn}: output_ratio must be between 0 and 1 (got {output_ratio})")
        sizes = tuple(int(n * r) for n, r in zip(spatial, ratios))
    else:
        sizes = tuple(int(o) for o in _per_axis(fn, output_size, rank, "output_size"))
    names = _AXES[3 - rank:]
    for name, n, out, k in zip(names, spatial, sizes, kernel):
        if k < 1 or out < 0:
            raise RuntimeError(f"{fn}: kernel_size must be positive and output_size non-negative, got kernel "
                               f"{kernel} and output size {sizes}")
        if out + k - 1 > n - (rank == 3):  # PyTorch's 3-D check is strict, its 2-D one is not
            relation = "<" if rank == 3 else "<="
            raise RuntimeError(f"{fn}(): pool {name} {k} too large relative to input {name} {n} (output {name} "
                               f"{out}: needs {out} + {k} - 1 {relation} {n})")
    batched = input.ndim == rank + 2
    batch, channels = (input.shape[0] if batched else 1), input.shape[-rank - 1]
    in_graph = input.backend.fast_path("random_in_graph") is not None  # (ONNX export: a random node, drawn per run)
    if random_samples is None and input.backend.is_traced(input.array) and not in_graph:
        raise NotImplementedError(
            f"{fn}: the pooling regions are drawn at random on every call, and a traced graph (jit) would hold one "
            f"draw as a constant; pass _random_samples of shape (N, C, {rank}) (an argument) to trace it")
    if random_samples is None:
        from ..factories import rand, rand_like

        if batch is None or channels is None:  # a symbolic axis (ONNX export): drawn like (N * C, rank) entries of
            samples = rand_like(input.reshape(-1, math.prod(spatial))[:, :rank])  # the input itself
        else:
            samples = rand(batch, channels, rank, dtype=input.dtype, backend=input.backend)
    else:
        samples = random_samples
        if not isinstance(samples, Tensor):
            raise TypeError(f"{fn}: _random_samples must be an anynn Tensor, got {type(samples).__name__}")
        array_on_backend(samples, input.backend, fn, "_random_samples", "the input")
        short = None not in (samples.shape[0], batch) and samples.shape[0] < batch  # (None: a symbolic batch)
        if samples.ndim != 3 or samples.shape[2] != rank or samples.shape[1] != channels or short:
            raise RuntimeError(f"{fn}: expected _random_samples of shape (at least {batch}, {channels}, {rank}) "
                               f"(batch, channels, {rank}), got {tuple(samples.shape)}")
        if samples.array.dtype != input.array.dtype:
            raise RuntimeError(f"{fn}: Expect _random_samples to have the same dtype as input ({input.dtype}), got "
                               f"{samples.dtype}")
        if None not in (samples.shape[0], batch) and samples.shape[0] > batch:
            samples = samples[:batch]
    planes = input.reshape(-1, *spatial)  # (B = N * C planes; -1: N may be symbolic)
    columns = (1, 0) if rank == 2 else (0, 1, 2)  # PyTorch's: a 2-D plane's W sample comes first
    values, indices = FractionalMaxPoolFunction.apply(planes, samples.detach().reshape(-1, rank),
                                                      kernel_size=kernel, output_size=sizes, sample_columns=columns)
    # (-1 only for a symbolic batch: beside an empty output size it would be ambiguous)
    shape = ((-1 if batch is None else batch,) if batched else ()) + (channels,) + sizes
    values = values.reshape(*shape)
    return (values, indices.detach().reshape(*shape)) if return_indices else values


def fractional_max_pool2d(input: Tensor, kernel_size: int | Sequence[int],  # noqa: A002 - PyTorch's names
                          output_size: int | Sequence[int] | None = None,
                          output_ratio: float | Sequence[float] | None = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """Fractional max pooling: (N, C, H, W) or (C, H, W) → (..., out_h, out_w), ``output_size`` given or
    ``floor(size * output_ratio)``; windows of ``kernel_size`` start where ``_random_samples`` (N, C, 2) (the input's
    dtype, drawn uniformly when None) put them. With ``return_indices`` also the int64 indices ``h * W + w``."""
    return _fractional_max("fractional_max_pool2d", input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples, 2)


def fractional_max_pool3d(input: Tensor, kernel_size: int | Sequence[int],  # noqa: A002 - PyTorch's names
                          output_size: int | Sequence[int] | None = None,
                          output_ratio: float | Sequence[float] | None = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """Fractional max pooling: (N, C, T, H, W) or (C, T, H, W) → (..., out_t, out_h, out_w); ``_random_samples``
    (N, C, 3). With ``return_indices`` also the int64 indices ``(t * H + h) * W + w``."""
    return _fractional_max("fractional_max_pool3d", input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples, 3)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: int | Sequence[int],  # noqa: A002
                                       output_size: int | Sequence[int] | None = None,
                                       output_ratio: float | Sequence[float] | None = None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None) -> Any:
    """`fractional_max_pool2d` returning ``(values, indices)`` whatever ``return_indices`` says, as PyTorch's."""
    return _fractional_max("fractional_max_pool2d", input, kernel_size, output_size, output_ratio, True,
                           _random_samples, 2)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: int | Sequence[int],  # noqa: A002
                                       output_size: int | Sequence[int] | None = None,
                                       output_ratio: float | Sequence[float] | None = None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None) -> Any:
    """`fractional_max_pool3d` returning ``(values, indices)`` whatever ``return_indices`` says, as PyTorch's."""
    return _fractional_max("fractional_max_pool3d", input, kernel_size, output_size, output_ratio, True,
                           _random_samples, 3)
