"""Moving elements without changing them, under PyTorch's names: ``roll``, ``movedim``/``moveaxis``,
``swapaxes``/``swapdims``, ``unflatten``, ``tile``, ``repeat_interleave``, ``meshgrid``, ``Tensor.unfold``.

``roll`` and ``Tensor.unfold`` are one `Function` each (the adjoints: the opposite roll; the windows added back
where they came from); the others are made of the shape primitives (reshape, permute, expand, index_select),
whose gradients they inherit.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.arrays import at_add, check
from ..backend.typing import Namespace
from . import indexing, shape
from .broadcast import expand, repeat
from .value_checks import check_one_backend, one_dim, python_ints, refuse_bool_dims, refuse_float_ints


def _dims(name: str, dims: Any, ndim: int) -> tuple[int, ...]:
    refuse_bool_dims(name, dims, "dims")
    dims = python_ints(dims)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    bound = ndim or 1
    for d in dims:
        if not -bound <= d < bound:
            raise IndexError(f"{name}: dim {d} is out of range for a tensor with {ndim} dimensions")
    return tuple(d % bound for d in dims)


class Roll(Function):
    """Shift elements by ``shifts`` along ``axes`` (wrapping around); the gradient rolls back."""

    shifts: tuple[int, ...]
    axes: tuple[int, ...]

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.roll(a, shift=self.shifts, axis=self.axes)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.roll(g, shift=tuple(-s for s in self.shifts), axis=self.axes)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
    """Elements shifted by ``shifts`` along ``dims``, wrapping around; without ``dims``, over the flattened
    tensor (shape kept), as ``torch.roll``."""
    shifts = python_ints(shifts)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: {len(shifts)} shifts given without dims; give one shift or dims")
        flat = Roll.apply(input.reshape(-1), shifts=shifts, axes=(0,))
        return flat.reshape(tuple(input.shape))
    axes = _dims("roll", dims, input.ndim)
    if len(axes) != len(shifts):
        raise RuntimeError(f"roll: shifts {shifts} and dims {tuple(axes)} must have the same length")
    return Roll.apply(input, shifts=shifts, axes=axes)



class SlidingWindows(Function):
    """Windows of ``size`` every ``step`` along ``axis``: that axis becomes the window count, a last axis of
    ``size`` is added. The gradient adds each window back where it was read (``size`` strided slices, each of
    which names every element once, so overlapping windows accumulate without a scatter)."""

    axis: int
    size: int
    step: int

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.shape = tuple(a.shape)
        windows = op(self.backend, "sliding_window_view")(a, (self.size,), axis=(self.axis,))
        index = [slice(None)] * a.ndim
        index[self.axis] = slice(None, None, self.step)
        index.append(slice(None))  # the windows' own axis
        return xp.asarray(windows[tuple(index)], copy=True)  # a copy: NumPy's window view is read-only

    def backward(self, xp: Namespace, g: Any) -> Any:
        count = g.shape[self.axis]
        grad = xp.zeros(self.shape, dtype=g.dtype, device=self.backend.device)
        index: list[Any] = [slice(None)] * len(self.shape)
        for offset in range(self.size):
            index[self.axis] = slice(offset, offset + (count - 1) * self.step + 1, self.step)
            grad = at_add(grad, tuple(index), g[..., offset])
        return grad


def tensor_unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002 - PyTorch's name
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    axis; ``dimension`` becomes the number of windows, ``(length - size) // step + 1``.

    ``x: (..., L, ...)`` -> ``(..., (L - size) // step + 1, ..., size)``. (Not ``F.unfold``, which is im2col.)
    """
    refuse_float_ints("unfold", size=size, step=step)
    if input.ndim == 0:  # as PyTorch: the one element is a window of size 1, shape (1,)
        return tensor_unfold(input.reshape(1), dimension, size, step).reshape(-1)
    axis = _dims("unfold", dimension, input.ndim)[0]
    length = input.shape[axis]
    if size > length or size < 0:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {axis} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    return SlidingWindows.apply(input, axis=axis, size=int(size), step=int(step))


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """Axes ``source`` moved to positions ``destination``; the others keep their order (``torch.movedim``). Both
    are ints or both sequences, as PyTorch's (``movedim((1,), 0)`` is its TypeError)."""
    if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):
        raise TypeError(f"movedim(): expected (int source, int destination) or (tuple of ints source, tuple of ints "
                        f"destination), got ({type(source).__name__}, {type(destination).__name__}), as PyTorch")
    source = _dims("movedim", source, input.ndim)
    destination = _dims("movedim", destination, input.ndim)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: source {source} and destination {destination} must have the same length")
    if len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination {destination}")
    order: list[int | None] = [None] * input.ndim
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(a for a in range(input.ndim) if a not in source)
    axes = tuple(next(rest) if a is None else a for a in order)
    return input if axes == tuple(range(input.ndim)) else shape.permute(input, axes)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """``transpose(input, axis0, axis1)`` (NumPy's name, also PyTorch's ``swapaxes``/``swapdims``)."""
    return shape.transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """``swapaxes`` under PyTorch's other name, whose arguments are ``dim0``/``dim1``."""
    return shape.transpose(input, dim0, dim1)


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:  # noqa: A002
    """Axis ``dim`` split into ``sizes`` (one may be ``-1``), as ``torch.unflatten``."""
    (axis,) = _dims("unflatten", one_dim("unflatten", dim), input.ndim)
    refuse_float_ints("unflatten", sizes=sizes)
    sizes = tuple(int(n) for n in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    length = input.shape[axis]
    if sizes.count(-1) > 1:
        raise RuntimeError(f"unflatten: only one size may be -1, got {sizes}")
    if -1 in sizes and length is not None:  # (None: a symbolic axis of an ONNX export; -1 stays, the graph sizes it)
        known = _prod(tuple(n for n in sizes if n != -1))
        sizes = tuple(length // known if n == -1 and known else n for n in sizes)
    if length is not None and _prod(sizes) != length:
        raise RuntimeError(f"unflatten: sizes {sizes} do not multiply to the size {length} of dim {dim} "
                           f"(input shape {tuple(input.shape)})")
    new_shape = tuple(input.shape[:axis]) + sizes + tuple(input.shape[axis + 1:])
    return shape.reshape(input, new_shape)


def _prod(sizes: tuple[int, ...]) -> int:
    out = 1
    for n in sizes:
        out *= n
    return out


def tile(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    """``input`` repeated ``dims[i]`` times along axis ``i``; fewer dims than axes repeat the trailing axes
    (``torch.tile``, unlike ``Tensor.repeat``)."""
    dims = python_ints(dims)
    dims = (dims,) if isinstance(dims, int) else tuple(int(d) for d in dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def _check_counts(be: Any, counts: Any) -> None:
    """Repeat counts must be integers (PyTorch has no kernel for others) and none negative."""
    if not be.xp.isdtype(counts.dtype, "integral"):
        raise NotImplementedError(f"repeat_interleave: repeats must be integers, got dtype {dtype_name(counts.dtype)}")
    check(be, counts < 0, "repeat_interleave: repeats can not be negative", error=RuntimeError)


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """Each element repeated ``repeats`` times (an int, or a tensor of one count per element) along ``dim``
    (the flattened tensor without ``dim``), as ``torch.repeat_interleave``.

    ``repeat_interleave(counts)`` alone gives ``arange(len(counts))`` with each index repeated ``counts[i]`` times.
    """
    if repeats is None:  # repeat_interleave(counts)
        counts = input
        xp, be = counts.backend.xp, counts.backend
        _check_counts(be, counts.array)
        positions = xp.arange(counts.shape[0], dtype=xp.int64, device=be.device)
        return Tensor._make(xp.repeat(positions, xp.astype(counts.array, xp.int64)), be, None, 0)
    if dim is None:
        input, dim = input.reshape(-1), 0
    (axis,) = _dims("repeat_interleave", one_dim("repeat_interleave", dim), input.ndim)
    if isinstance(repeats, Tensor) and repeats.ndim == 0:
        repeats = int(repeats.item())
    repeats = python_ints(repeats)
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
        expanded = expand(shape.unsqueeze(input, axis + 1),
                          tuple(input.shape[:axis + 1]) + (repeats,) + tuple(input.shape[axis + 1:]))
        size = input.shape[axis]  # (None: a symbolic axis of an ONNX export, which the reshape infers)
        return expanded.reshape(tuple(input.shape[:axis]) + (-1 if size is None else size * repeats,)
                                + tuple(input.shape[axis + 1:]))
    xp, be = input.backend.xp, input.backend
    counts = repeats.array if isinstance(repeats, Tensor) else xp.asarray(list(repeats), device=be.device)
    _check_counts(be, counts)
    if counts.shape[0] not in (1, input.shape[axis]):
        raise RuntimeError(f"repeat_interleave: {counts.shape[0]} repeats for dim {dim} of size "
                           f"{input.shape[axis]}")
    positions = xp.arange(input.shape[axis], dtype=xp.int64, device=be.device)
    # (an empty dim has no repeats to read: it takes the per-entry form, as PyTorch's)
    index = xp.repeat(positions, xp.astype(counts, xp.int64)) if counts.shape[0] != 1 else xp.repeat(
        positions, int(counts[0]))
    return indexing.index_select(input, axis, Tensor._make(index, be, None, 0))


def _check_grid_inputs(tensors: tuple[Any, ...]) -> None:
    """PyTorch's refusals for meshgrid: no tensors, one of more than one dimension, dtypes or backends that differ."""
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid(): expected Tensor as element {k} in argument 0, but got {type(t).__name__}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0D or 1D tensors, got tensor {k} of shape {tuple(t.shape)}")
    check_one_backend("meshgrid", *tensors)
    dtypes = [dtype_name(t.dtype) for t in tensors]
    if len(set(dtypes)) > 1:
        raise RuntimeError(f"meshgrid expects all tensors to have the same dtype, got {', '.join(dtypes)}")


MESHGRID_INDEXING_WARNING = "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
_meshgrid_warned = [False]  # PyTorch warns once per process (TORCH_WARN_ONCE)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: ``"ij"`` (matrix, PyTorch's default) or ``"xy"`` (Cartesian: the
    first two output axes swapped). Without ``indexing`` the first call warns, as PyTorch's (NeRF's get_rays)."""
    if indexing is None:
        indexing = "ij"
        if not _meshgrid_warned[0]:
            _meshgrid_warned[0] = True
            warnings.warn(MESHGRID_INDEXING_WARNING, UserWarning, stacklevel=2)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    _check_grid_inputs(tensors)
    flat = [t.reshape(-1) for t in tensors]
    # a symbolic length (an ONNX export: YOLO's grid of arange(h), arange(w)) as the graph reads it
    sizes = [f.backend.symbolic_shape(f.array)[0] if f.shape[0] is None else f.shape[0] for f in flat]
    place = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        place[0], place[1] = 1, 0
    grid = [0] * len(tensors)
    for i, at in enumerate(place):
        grid[at] = sizes[i]
    out = []
    for t, at in zip(tensors, place):
        view = [1] * len(tensors)
        view[at] = grid[at]
        out.append(expand(t.reshape(tuple(view)), tuple(grid)))
    return tuple(out)


moveaxis = movedim

FUNCTIONS: dict[str, Any] = {"roll": roll, "movedim": movedim, "moveaxis": movedim, "swapaxes": swapaxes,
                             "swapdims": swapdims, "unflatten": unflatten, "tile": tile,
                             "repeat_interleave": repeat_interleave, "meshgrid": meshgrid}

__all__ = ["FUNCTIONS", "Roll", *FUNCTIONS]
