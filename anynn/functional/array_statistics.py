"""PyTorch's NumPy-style numerics, composed of differentiable primitives: ``trapezoid`` (slices, sums), ``cov`` and
``corrcoef`` (means, matmul, clamp), ``vander`` (expand, cumprod, flip), and the non-differentiable ``histc``.

Each keeps PyTorch's signature and semantics (``cov`` of a complex input takes the conjugate transpose);
the gradients are those of the primitives they are made of.
"""

from __future__ import annotations

import math
from builtins import range as builtins_range
from typing import Any, NamedTuple

from ..backend.arrays import device_of as device

from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name
from ..backend.arrays import any_true, check
from . import broadcast, shape
from .elementwise import scaled
from .value_checks import (DTypeMismatchError, InvalidValueError, ShapeMismatchError, checked_dim, refuse_float_ints,
                           refuse_kernel)


def _along(t: Tensor, dim: int, part: slice | int) -> Tensor:
    return t[(slice(None),) * dim + (part,)]


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: sample spacing ``dx`` (default 1), or the sample points ``x`` (1-d of
    ``y.shape[dim]`` points, or a tensor that broadcasts with ``y``). y: (..., n, ...) → y without ``dim``; zeros off
    the graph where n is 0, as PyTorch's."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid() takes either the sample points x or the spacing dx, not both")
    if isinstance(y, Tensor) and dtype_name(y.dtype) == "bool":
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported (as in PyTorch)")
    dim = checked_dim("trapezoid", y, dim)
    if y.shape[dim] == 0:
        return y.sum(dim).detach()
    if x is None or not isinstance(x, Tensor):
        spacing = (1.0 if dx is None else dx) if x is None else x
        ends = _along(y, dim, 0) + _along(y, dim, -1)
        return scaled(y.sum(dim) - scaled(ends, 0.5), spacing)  # (numbers: a second backward runs, as PyTorch's)
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"trapezoid: There must be one `x` value for each sample point, got {x.shape[0]} "
                               f"x values and {y.shape[dim]} samples along dim {dim}")
        x = shape.reshape(x, (x.shape[0],) + (1,) * (y.ndim - dim - 1))
        x_dim = x.ndim - (y.ndim - dim)
    else:
        x_dim = x.ndim - (y.ndim - dim)
    steps = _along(x, x_dim, slice(1, None)) - _along(x, x_dim, slice(None, -1))
    heights = _along(y, dim, slice(1, None)) + _along(y, dim, slice(None, -1))
    return (steps * heights).sum(dim) / 2


def _check_weights(name: str, weights: Tensor) -> None:
    """PyTorch's checks of `cov`'s ``fweights`` (integer repeat counts) and ``aweights`` (floating weights): the
    dtype, and no negative entry (one host read; NumPy and anynn computed with them before)."""
    integral = weights.backend.xp.isdtype(weights.array.dtype, "integral")
    if integral != (name == "fweights") or weights.is_complex():
        wanted = "integral" if name == "fweights" else "floating point"
        raise DTypeMismatchError(f"cov(): expected {name} to have {wanted} dtype but got {name} with "
                                 f"{dtype_name(weights.dtype)} dtype")
    check(weights.backend, weights.array < 0, f"cov(): {name} cannot be negative", error=InvalidValueError)


def _at_most_2d(name: str, input: Tensor) -> None:  # noqa: A002
    if input.ndim > 2:  # (PyTorch's RuntimeError; a ValueError too)
        raise ShapeMismatchError(f"{name}(): expected input to have two or fewer dimensions but got an input with "
                                 f"{input.ndim} dimensions")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,  # noqa: A002 - PyTorch's names
        aweights: Tensor | None = None) -> Tensor:
    """Covariance of the rows (variables) of ``input`` (V, N) over its columns (observations); a 1-d input is one
    variable. ``fweights`` (N) integer repeat counts, ``aweights`` (N) observation weights, ``correction`` 1 for
    Bessel's correction. Returns (V, V), or a 0-d tensor for one variable."""
    _at_most_2d("cov", input)
    x = shape.reshape(input, (1, -1)) if input.ndim < 2 else input
    observations = x.shape[1]
    weights = None
    total: Any
    norm: Any
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.ndim > 1 or w.shape[0] != observations:
            raise RuntimeError(f"cov(): expected {name} to have one dimension of size {observations} but got shape "
                               f"{tuple(w.shape)}")
        _check_weights(name, w)
        weights = w if weights is None else weights * w
    if weights is None and observations is None:  # a symbolic axis (ONNX export): the count as the graph runs
        xp = x.backend.xp
        first = xp.real(x.array[0, ...]) if x.is_complex() else x.array[0, ...]
        total = make_tensor(xp.sum(xp.ones_like(first)), x.backend, None, 0)
        mean = x.sum(1) / total
        norm = (total - correction).clamp_min(0)
    elif weights is None:
        total = observations
        mean = x.sum(1) / total
        norm = max(observations - correction, 0)
    else:
        total = weights.sum()
        check(total.backend, total.array == 0, "cov(): weights sum to zero, can't be normalized",
              error=InvalidValueError)
        mean = (x * weights).sum(1) / total
        if aweights is not None and correction != 0:
            norm = (total - correction * (weights * aweights).sum() / total).clamp_min(0)
        else:
            norm = (total - correction).clamp_min(0)
    centered = x - shape.reshape(mean, (-1, 1))
    weighted = centered if weights is None else centered * weights
    other = shape.transpose(weighted, 0, 1)
    if x.is_complex():  # the conjugate transpose: a complex variable's variance is real and positive
        other = other.conj()
    result = (centered @ other) / norm
    return shape.squeeze(result)


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Pearson correlation coefficients of the rows of ``input`` (V, N): (V, V) in [-1, 1] (0-d for one row)."""
    _at_most_2d("corrcoef", input)
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / shape.reshape(std, (-1, 1))
    c = c / shape.reshape(std, (1, -1))
    if c.is_complex():  # the real and imaginary parts clipped apart, as PyTorch's
        from .complex_numbers import complex as complex_of

        return complex_of(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    return c.clamp(-1, 1)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - PyTorch's name
    """Vandermonde matrix of the 1-d ``x`` (n): (n, N) of powers ``x**(N-1), ..., x, 1`` (``increasing``: the
    reverse); ``N`` defaults to n. Integer and boolean input gives int64, as in PyTorch."""
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got shape {tuple(x.shape)}")
    n = x.shape[0]
    N = n if N is None else N  # noqa: N806
    if N < 0:
        raise RuntimeError(f"N must be non-negative, got {N}")
    xp = x.backend.xp
    if not xp.isdtype(x.dtype, ("real floating", "complex floating")):
        x = x.astype("int64")
    if N == 0:
        return shape.reshape(x[:0], (0, 0)) if n == 0 else broadcast.expand(shape.reshape(x, (n, 1)), n, 0)
    ones = make_tensor(xp.ones((n, 1), dtype=x.dtype, device=device(x.array)), x.backend, None, 0)
    columns = shape.concat([ones, broadcast.expand(shape.reshape(x, (n, 1)), n, N - 1)], axis=1)
    result = columns.cumprod(1)
    return result if increasing else result.flip(1)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0, *,  # noqa: A002 - PyTorch's names
          out: Any = None) -> Tensor:
    """Histogram of ``input``'s values in ``bins`` equal-width bins over ``[min, max]`` (both 0: the data's own
    range, widened by 1 each side if all values are equal; NaN or inf there is an error, as PyTorch's). Values
    outside (and NaN) are ignored, ``max`` itself counts in
    the last bin. Returns (bins,) counts in ``input``'s floating dtype; not differentiable (as in PyTorch)."""
    refuse_float_ints("histc", bins=bins)
    xp = input.backend.xp
    if not xp.isdtype(input.dtype, "real floating"):
        raise NotImplementedError(f"histc: expected a floating-point input, got {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError(f"torch.histc(): max must be larger than min, got min={min} and max={max}")
    values = xp.reshape(input.detach().array, (-1,))
    dtype = values.dtype
    if min == max and values.shape[0] != 0:  # (None: a symbolic size, ONNX export)
        low, high = xp.min(values), xp.max(values)
        if any_true(input.backend, ~(xp.isfinite(low) & xp.isfinite(high))):  # NaN or inf in the data (skipped traced)
            raise InvalidValueError(f"histc: range of [{float(low):g}, {float(high):g}] is not finite; give min= and "
                                    "max= to count the finite values only")
    else:
        low, high = (xp.asarray(v, dtype=dtype, device=device(values)) for v in (min, max))
    equal = low == high
    low, high = xp.where(equal, low - 1, low), xp.where(equal, high + 1, high)
    inside = (values >= low) & (values <= high)
    # outside values (and NaN) get position 0 before the integer cast, then are masked out
    position = xp.where(inside, xp.floor((values - low) * bins / (high - low)), xp.zeros_like(values))
    index = xp.where(values == high, bins - 1, xp.astype(position, xp.int64))
    edges = xp.arange(bins, dtype=xp.int64, device=device(values))
    hits = (xp.reshape(index, (-1, 1)) == edges) & xp.reshape(inside, (-1, 1))
    counts = xp.sum(xp.astype(hits, dtype), axis=0)
    result = make_tensor(counts, input.backend, None, 0)
    return result if out is None else out.copy_(result)


class HistogramResult(NamedTuple):
    """``torch.return_types.histogram``."""

    hist: Tensor
    bin_edges: Tensor


def _bin_edges(xp: Any, values: Any, bins: Any, range: Any, dim: int, name: str) -> Any:  # noqa: A002
    """The increasing edges of one dimension's bins: a 1-D Tensor of edges as given, or ``bins`` equal-width bins
    over ``range`` (default: the values' own, widened by 0.5 each side if all are equal; [0, 1] for no values)."""
    dtype, where = values.dtype, device(values)
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.shape[0] < 2:
            raise RuntimeError(f"{name}: bins must be a 1-D tensor of at least 2 edges, got shape "
                               f"{tuple(bins.shape)}")
        return xp.astype(bins.detach().array, dtype)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
        raise RuntimeError(f"torch.{name}(): bins must be > 0, but got {bins} for dimension {dim}")
    if range is not None:
        if float(range[0]) > float(range[1]):
            raise RuntimeError(f"torch.{name}: min should not exceed max, but got min {range[0]} max "
                               f"{range[1]} for dimension {dim}")
        low, high = (xp.asarray(float(v), dtype=dtype, device=where) for v in range)
    elif values.shape[0] == 0:
        low, high = (xp.asarray(v, dtype=dtype, device=where) for v in (0.0, 1.0))
    else:
        low, high = xp.min(values), xp.max(values)
    equal = low == high
    low, high = xp.where(equal, low - 0.5, low), xp.where(equal, high + 0.5, high)
    # linspace's form: the first half counted up from low, the rest down from high (PyTorch's vectorised kernel
    # rounds some inner edges one ulp apart, so a value within an ulp of an edge may fall in the next bin)
    step = (high - low) / float(bins)
    counts = xp.arange(bins + 1, dtype=dtype, device=where)
    return xp.where(counts < float((bins + 1) // 2), low + step * counts, high - step * (float(bins) - counts))


def _bin_index(xp: Any, values: Any, edges: Any) -> tuple[Any, Any]:
    """``(index, inside)``: each value's bin (``edge[i] <= v < edge[i + 1]``, the last bin closed) and whether it
    falls within the edges at all."""
    inside = (values >= edges[0]) & (values <= edges[-1])
    interior = xp.reshape(edges[1:-1], (1, -1))
    return xp.sum(xp.astype(xp.reshape(values, (-1, 1)) >= interior, xp.int64), axis=1), inside


def histogram(input: Tensor, bins: Any = 100, *, range: Any = None, weight: Tensor | None = None,  # noqa: A002
              density: bool = False) -> HistogramResult:
    """Histogram of ``input``'s values (``torch.histogram``): ``bins`` equal-width bins over ``range`` (default: the
    data's own, widened by 0.5 each side if all values are equal; ``[0, 1]`` for no values), or the bins between the
    increasing edges of a 1-D Tensor ``bins``. A bin holds ``edge[i] <= v < edge[i + 1]``, the last one its right
    edge too; values outside are ignored. ``weight`` (``input``'s shape) gives each value's weight; ``density``
    divides by the total and the bin widths. Returns ``(hist, bin_edges)``, shapes ``(B,)`` and ``(B + 1,)``, in
    ``input``'s floating dtype; not differentiable (as in PyTorch). ``out=``: `anynn.out_argument`."""
    xp = input.backend.xp
    if not xp.isdtype(input.dtype, "real floating"):
        raise NotImplementedError(f"histogram: expected a floating-point input, got {dtype_name(input.dtype)}")
    refuse_kernel("histogram", "histogramdd", ("float16",), input)
    values = xp.reshape(input.detach().array, (-1,))
    edges = _bin_edges(xp, values, bins, range, 0, "histogram")
    count = edges.shape[0] - 1
    index, inside = _bin_index(xp, values, edges)
    hits = (xp.reshape(index, (-1, 1)) == xp.arange(count, dtype=xp.int64, device=device(values))) & xp.reshape(
        inside, (-1, 1))
    weights = xp.reshape(xp.ones_like(values) if weight is None else xp.astype(weight.detach().array, values.dtype),
                         (-1, 1))
    hist = xp.sum(xp.where(hits, weights, xp.zeros_like(weights)), axis=0)
    if density:
        hist = hist / (xp.sum(hist) * (edges[1:] - edges[:-1]))
    return HistogramResult(make_tensor(hist, input.backend, None, 0), make_tensor(edges, input.backend, None, 0))


class HistogramddResult(NamedTuple):
    hist: Tensor
    bin_edges: tuple[Tensor, ...]


def histogramdd(input: Tensor, bins: Any = 10, *, range: Any = None, weight: Tensor | None = None,  # noqa: A002
                density: bool = False) -> HistogramddResult:
    """The D-dimensional histogram of the points of input (*, D) (``torch.histogramdd``): ``bins`` an int (each
    dimension), D ints, or D 1-D Tensors of edges; ``range`` D (min, max) pairs, flat; ``weight`` (*) each point's.
    Each dimension's bins as `histogram`'s; a point outside any dimension's edges is left out. Returns ``(hist,
    bin_edges)``: hist of shape (B_1, ..., B_D) and D edge tensors, in input's floating dtype; not differentiable."""
    xp = input.backend.xp
    if not xp.isdtype(input.dtype, "real floating"):
        raise NotImplementedError(f"histogramdd: expected a floating-point input, got {dtype_name(input.dtype)}")
    refuse_kernel("histogramdd", "histogramdd", ("float16",), input)
    if input.ndim < 1:
        raise RuntimeError("torch.histogramdd: input should have at least 1 dimension")
    dims = input.shape[-1]
    points = xp.reshape(input.detach().array, (-1, dims))
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * dims
    if len(per_dim) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for each of the {dims} "
                           f"input dimensions, but got {len(per_dim)}")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should have {2 * dims} "
                           f"elements, but got {len(range)}")
    edges, flat, inside, sizes = [], None, None, []
    for d in builtins_range(dims):
        pair = None if range is None else (range[2 * d], range[2 * d + 1])
        column = points[:, d]
        found = _bin_edges(xp, column, per_dim[d], pair, d, "histogramdd")
        index, within = _bin_index(xp, column, found)
        edges.append(found)
        sizes.append(found.shape[0] - 1)
        flat = index if flat is None else flat * sizes[-1] + index
        inside = within if inside is None else inside & within
    cells = math.prod(sizes)
    hits = (xp.reshape(flat, (-1, 1)) == xp.arange(cells, dtype=xp.int64, device=device(points))) & xp.reshape(
        inside, (-1, 1))
    ones = xp.ones((points.shape[0],), dtype=points.dtype, device=device(points))
    weights = xp.reshape(ones if weight is None else xp.astype(weight.detach().array, points.dtype), (-1, 1))
    hist = xp.reshape(xp.sum(xp.where(hits, weights, xp.zeros_like(weights)), axis=0), tuple(sizes))
    if density:
        volume = None
        for d, found in enumerate(edges):
            widths = xp.reshape(found[1:] - found[:-1], tuple(-1 if i == d else 1 for i in builtins_range(dims)))
            volume = widths if volume is None else volume * widths
        hist = hist / (xp.sum(hist) * volume)
    return HistogramddResult(make_tensor(hist, input.backend, None, 0),
                             tuple(make_tensor(e, input.backend, None, 0) for e in edges))


METHODS: dict[str, Any] = {"cov": cov, "corrcoef": corrcoef, "histc": histc, "histogram": histogram}
