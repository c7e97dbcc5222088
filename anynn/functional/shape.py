"""Shape primitives: reshape, (un)squeeze, permute, slicing, concatenation and splitting, stacking, indexing rows."""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from typing import Any, Sequence

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import Backend, BackendMismatch, dtype_name, host_array, op
from ..backend.arrays import at_set, check, reshape_copied
from ..backend.arrays import device_of as device
from ..backend.broadcasting import broadcast_shapes
from ..backend.symbolic import has_symbolic_bounds, is_symbolic, sliced
from ..backend.typing import Namespace
from .value_checks import (IndexingError, InvalidValueError, ShapeMismatchError, checked_dim, refuse_bool_dims,
                           refuse_float_ints)
from .value_checks import array_on_backend, python_ints
from .view_layout import indexed_strides, reshape_is_copy, view_strides_after_reshape


class Reshape(Function):
    makes_view = True
    shape: tuple[int, ...]

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.source = tuple(a.shape)
        out = xp.reshape(a, self.shape)
        if reshape_copied(a, out):  # no view possible (a transposed source): a copy, as PyTorch's reshape gives
            self.makes_view = False
        return out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.reshape(g, self.source)

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> Any:
        """`Function.apply`; on a library that shows no layout (JAX), a copy where PyTorch's reshape copies (a
        transposed source), which `forward` cannot see there (`view_layout.reshape_is_copy`)."""
        out = super().apply(*args, **params)
        if reshape_is_copy(args[0], tuple(out.shape)):
            out.__dict__.get("_view_of", out._ctx).makes_view = False
        return out

    def view_again(self, source: Any, index: int) -> Any:
        """This view taken again from ``source`` (changed in place since): None where its shape changed."""
        return Reshape.apply(source, shape=self.shape) if tuple(source.shape) == self.source else None

    def view_strides(self, source: tuple[int, ...], source_shape: tuple[int, ...],
                     shape: tuple[int, ...]) -> tuple[int, ...] | None:
        """PyTorch's strides of this view, from its source's (`view_layout.view_strides`)."""
        return view_strides_after_reshape(source_shape, source, shape)


class Permute(Function):
    makes_view = True
    axes: tuple[int, ...]

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.permute_dims(a, self.axes)

    def backward(self, xp: Namespace, g: Any) -> Any:
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return xp.permute_dims(g, tuple(inverse))

    def view_again(self, source: Any, index: int) -> Any:
        """This view taken again from ``source`` (changed in place since): None where its rank changed."""
        return Permute.apply(source, axes=self.axes) if source.ndim == len(self.axes) else None

    def view_strides(self, source: tuple[int, ...], source_shape: tuple[int, ...],
                     shape: tuple[int, ...]) -> tuple[int, ...] | None:
        """PyTorch's strides of this view, from its source's (`view_layout.view_strides`)."""
        return tuple(source[axis] for axis in self.axes)


class GetItem(Function):
    """Basic indexing (ints, slices of any step, ``...``, ``None``); the gradient is scattered back with setitem.

    Negative steps (which PyTorch tensors refuse) are read as the matching positive slice, then flipped.
    """

    makes_view = True

    index: Any

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.shape = tuple(a.shape)
        index = _expand_ellipsis(self.index if isinstance(self.index, tuple) else (self.index,), a.ndim)
        self.index, self.flips, symbolic = _positive_steps(index, self.shape)
        if symbolic:
            out = sliced(xp, a, self.index)
        elif len(self.index) == a.ndim and all(type(i) is int for i in self.index):
            out = a[(*self.index, ...)]  # one element: NumPy gives a copy (a scalar) for x[i, j], a 0-d view here
        else:
            out = a[self.index]
        return xp.flip(out, axis=self.flips) if self.flips else out

    def backward(self, xp: Namespace, g: Any) -> Any:
        if self.flips:
            g = xp.flip(g, axis=self.flips)
        out = xp.zeros(self.shape, dtype=g.dtype, device=device(g))
        # the standard's setitem takes no None: drop the new axes from the index and from g
        index = self.index
        if any(i is None for i in index):
            index = tuple(i for i in index if i is not None)
            g = xp.reshape(g, tuple(out[index].shape))
        return at_set(out, index, g)

    def view_again(self, source: Any, index: int) -> Any:
        """This view taken again from ``source`` (changed in place since): None where its shape changed, or for a
        reversed slice (a copy: PyTorch has no such view)."""
        if self.flips or tuple(source.shape) != self.shape:
            return None
        return GetItem.apply(source, index=self.index)

    def view_strides(self, source: tuple[int, ...], source_shape: tuple[int, ...],
                     shape: tuple[int, ...]) -> tuple[int, ...] | None:
        """PyTorch's strides of this view, from its source's (`view_layout.view_strides`)."""
        return indexed_strides(source, self.index)


def _expand_ellipsis(index: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """``index`` with ``...`` (or the missing trailing axes) spelt out as full slices; ints made Python ints."""
    out: list[Any] = []
    named = ellipses = at = before_second = 0
    for i in index:  # (one loop: GetItem runs it on every indexing)
        if i is Ellipsis:
            ellipses += 1
            if ellipses == 1:
                at = len(out)
            elif ellipses == 2:
                before_second = len(out)
            continue
        if i is not None:
            named += 1
            if type(i) is not slice:
                try:
                    i = operator.index(i)
                except TypeError:
                    # x[:, T - 1] with T the size of a symbolic axis (an ONNX export): a position the graph reads as
                    # it runs (a SymInt has no __index__)
                    if not is_symbolic(i):
                        raise
        out.append(i)
    if ellipses > 1 and len(out) > before_second:  # PyTorch takes x[..., ...] and x[..., None, ...] (a later
        # ... moves past the last axis), but an index after it reads, or inserts, an axis past the last
        raise IndexError(f"an index after a second ellipsis ('...') refers to an axis past the last of the "
                         f"{ndim} dimensions")
    if named > ndim and ndim == 0:  # loss.data[0] of pre-0.4 programs: PyTorch's words, naming the fix
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")
    if named > ndim:
        raise IndexError(f"too many indices: {named} for an array of {ndim} dimensions")
    fill = [slice(None)] * (ndim - named)
    if ellipses:
        out[at:at] = fill
    else:
        out += fill
    return tuple(out)


def _positive_steps(index: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[tuple[Any, ...], tuple[int, ...], bool]:
    """Replace slices with negative steps by positive ones; return the output axes to flip afterwards, and whether
    a slice has a bound that is the size of a symbolic axis (a `SymInt` of an ONNX export: ``mask[:, :T]``)."""
    out, flips = [], []
    symbolic = False
    in_axis = out_axis = 0
    for i in index:
        if i is None:
            out.append(i)
            out_axis += 1
            continue
        if isinstance(i, slice) and shape[in_axis] is None:  # a symbolic (recorded) axis: the slice as given
            if i == slice(None, None, -1):  # the whole axis reversed (x.flip(0)): a flip of it
                out.append(slice(None))
                flips.append(out_axis)
                in_axis += 1
                out_axis += 1
                continue
            if i.step is not None and i.step < 0:
                raise IndexError(f"a negative-step slice over the symbolic axis {in_axis} cannot be recorded "
                                 f"(only the whole axis reversed, x.flip({in_axis}) or [::-1], can)")
            symbolic = symbolic or has_symbolic_bounds(i)
            out_axis += 1
        elif isinstance(i, slice):
            # in-range bounds only: the standard leaves out-of-bounds starts/stops unspecified (strict refuses them)
            try:
                start, stop, step = i.indices(shape[in_axis])
            except TypeError:
                if not has_symbolic_bounds(i):
                    raise
                symbolic = True  # a bound known when the graph runs: the slice as given (ONNX Slice clamps)
                out.append(i)
                in_axis += 1
                out_axis += 1
                continue
            count = len(range(start, stop, step))
            if count == 0:
                i = slice(0, 0, 1)
            elif step > 0:
                i = slice(start, start + (count - 1) * step + 1, step)
            else:
                i = slice(start + (count - 1) * step, start + 1, -step)
                flips.append(out_axis)
            out_axis += 1
        elif isinstance(i, int) and shape[in_axis] is not None and not -shape[in_axis] <= i < shape[in_axis]:
            raise IndexError(f"index {i} is out of bounds for axis {in_axis} with size {shape[in_axis]}")
        elif not isinstance(i, int) and is_symbolic(i):
            symbolic = True  # (onnxruntime checks the position against the axis as the graph runs)
        out.append(i)
        in_axis += 1
    return tuple(out), tuple(flips), symbolic


class Take(Function):
    """Rows ``a[indices]`` along axis 0 for an integer index array; repeated rows add in backward."""

    def forward(self, xp: Namespace, a: Any, indices: Any) -> Any:
        self.rows = a.shape[0]
        self.indices = indices
        if indices.ndim == 1:  # (no reshape: sizes of symbolic axes, an ONNX export's, stay as they are)
            return xp.take(a, indices, axis=0)
        flat = xp.reshape(indices, (-1,))
        out = xp.take(a, flat, axis=0)
        return xp.reshape(out, tuple(indices.shape) + tuple(a.shape[1:]))

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        flat_index = xp.reshape(self.indices, (-1,))
        if flat_index.shape[0] == 0:  # nothing was picked (the portable scatter-add cannot reshape empties)
            zeros = xp.zeros((self.rows,) + tuple(g.shape[self.indices.ndim:]), dtype=g.dtype, device=device(g))
            # plus 0 * sum(g) (an exact 0): a recorded gradient stays a function of g, as PyTorch's of an empty pick
            return zeros + xp.sum(g) * 0.0, None
        flat_g = xp.reshape(g, (flat_index.shape[0],) + tuple(g.shape[self.indices.ndim:]))
        return op(self.backend, "scatter_add")(flat_index, flat_g, self.rows), None


class Concat(Function):
    axis: int

    def forward(self, xp: Namespace, *arrays: Any) -> Any:
        self.sizes = tuple(a.shape[self.axis] for a in arrays)  # no array saved: a second backward may run
        return xp.concat(arrays, axis=self.axis)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, ...]:
        grads = []
        start = 0
        axis = self.axis % g.ndim
        for size in self.sizes:
            index = [slice(None)] * g.ndim
            index[axis] = slice(start, start + size)
            grads.append(g[tuple(index)])
            start += size
        return tuple(grads)


class Stack(Function):
    axis: int

    def forward(self, xp: Namespace, *arrays: Any) -> Any:
        return xp.stack(arrays, axis=self.axis)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * (self.axis % g.ndim)
        return tuple(g[lead + (i, Ellipsis)] for i in range(g.shape[self.axis]))


class Split(Function):
    """Consecutive pieces of ``sizes`` along ``axis``; missing output gradients count as zeros."""

    makes_view = True

    sizes: tuple[int, ...]
    axis: int

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, ...]:
        self.shape = tuple(a.shape)
        self.axis = self.axis % a.ndim
        pieces, start = [], 0
        for size in self.sizes:
            index = [slice(None)] * a.ndim
            index[self.axis] = slice(start, start + size)
            pieces.append(a[tuple(index)])
            start += size
        return tuple(pieces)

    def backward(self, xp: Namespace, *grads: Any) -> Any:
        known = next(g for g in grads if g is not None)
        parts = []
        for g, size in zip(grads, self.sizes):
            if g is None:
                shape = self.shape[:self.axis] + (size,) + self.shape[self.axis + 1:]
                g = xp.zeros(shape, dtype=known.dtype, device=device(known))
            parts.append(g)
        return xp.concat(parts, axis=self.axis)

    def view_again(self, source: Any, index: int) -> Any:
        """Piece ``index`` taken again from ``source`` (changed in place since): None where its shape changed."""
        if tuple(source.shape) != self.shape:
            return None
        return Split.apply(source, sizes=self.sizes, axis=self.axis)[index]

    def view_strides(self, source: tuple[int, ...], source_shape: tuple[int, ...],
                     shape: tuple[int, ...]) -> tuple[int, ...] | None:
        """PyTorch's strides of a piece: its source's (`view_layout.view_strides`)."""
        return source



def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    """x's elements in ``shape`` (one entry may be -1, inferred); the same number of elements."""
    shape = python_ints(tuple(shape))  # (a NumPy int or 0-d tensor size skipped the checks: NumPy's ValueError)
    if any(type(n) is bool for n in shape):  # PyTorch reads a bool after the first size as an int (view(12, True))
        refuse_float_ints("reshape", shape=shape)
        shape = tuple(int(n) if type(n) is bool else n for n in shape)
    for i, n in enumerate(shape):
        if isinstance(n, int) and n < -1:  # NumPy reads any negative size as "inferred"; PyTorch only -1
            raise RuntimeError(f"reshape: invalid shape dimension {n} at index {i} of shape {tuple(shape)}")
    _check_reshape(tuple(getattr(x, "shape", ())), tuple(shape))
    return Reshape.apply(x, shape=tuple(shape))


def _check_reshape(source: tuple[Any, ...], shape: tuple[Any, ...]) -> None:
    """Refuse, with both shapes and PyTorch's reasons, a ``shape`` that cannot hold ``source``'s elements: NumPy
    said 'cannot reshape array of size 6 into shape (5,)', named no op, and showed a -1 as 'newaxis'. Symbolic
    sizes (ONNX export) are left to the graph."""
    if not all(type(n) is int for n in source + shape):
        return
    numel, known = math.prod(source), math.prod(n for n in shape if n != -1)
    inferred = shape.count(-1)
    if inferred > 1:
        raise ShapeMismatchError(f"reshape/view: only one dimension can be inferred, got shape {shape}")
    if inferred and known == 0 and numel == 0:
        raise ShapeMismatchError(f"reshape/view: cannot reshape a tensor of 0 elements into shape {shape}: the -1 "
                                 f"could be any size")
    if (numel % known if inferred and known else numel != known):
        raise ShapeMismatchError(f"reshape/view: shape {shape} is invalid for a tensor of {numel} elements "
                                 f"(shape {source})")


def permute(x: Any, axes: tuple[int, ...]) -> Any:
    """x with its axes reordered: output axis ``i`` is input axis ``axes[i]``."""
    axes = python_ints(tuple(axes))
    n = x.ndim
    if len(axes) != n or len({a + n if a < 0 else a for a in axes} & set(range(n))) != n:
        _refuse_permutation(x, axes)
    return Permute.apply(x, axes=axes)


def _refuse_permutation(x: Any, axes: tuple[int, ...]) -> None:
    """PyTorch's refusal of ``axes`` that are no permutation of ``x``'s dims (NumPy said 'axes don't match array',
    'repeated axis in transpose' or raised AxisError): a dim out of range (IndexError), another count or a repeat."""
    for a in axes:
        checked_dim("permute", x, a)
    if len(axes) != x.ndim:
        raise ShapeMismatchError(f"permute(): the number of dims does not match: the tensor of shape {x.shape} has "
                                 f"{x.ndim}, the order {axes} gives {len(axes)}")
    raise ShapeMismatchError("permute(): duplicate dims are not allowed.")


def transpose(x: Any, axis0: int = -2, axis1: int = -1) -> Any:
    """Swap two axes (the last two by default, like ``mT``); a 0-d x takes dims 0 and -1, as PyTorch's."""
    axis0, axis1 = checked_dim("transpose", x, axis0), checked_dim("transpose", x, axis1)
    axes = list(range(x.ndim))
    if axes:
        axes[axis0], axes[axis1] = axes[axis1], axes[axis0]
    return Permute.apply(x, axes=tuple(axes))


def flatten(x: Any, start_dim: int = 1, end_dim: int = -1) -> Any:
    """x with axes ``start_dim`` to ``end_dim`` merged into one ((N, C, H, W) -> (N, C*H*W) by default); a 0-d x becomes
    (1,)."""
    refuse_bool_dims("flatten", start_dim, "start_dim")
    refuse_bool_dims("flatten", end_dim, "end_dim")
    shape = x.shape
    bound = max(len(shape), 1)  # (a 0-d x takes dims 0 and -1, as PyTorch's)
    for d in (start_dim, end_dim):
        if not -bound <= d < bound:
            raise IndexError(f"flatten: Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], "
                             f"but got {d}) for a tensor of shape {tuple(shape)}, as in PyTorch")
    if not shape:
        return Reshape.apply(x, shape=(1,))
    start = start_dim % len(shape)
    end = end_dim % len(shape)
    if start > end:
        raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim} (shape {shape})")
    merged = 1
    for n in shape[start:end + 1]:
        merged = -1 if n is None or merged == -1 else merged * n  # a symbolic (recorded) axis: implied size
    return Reshape.apply(x, shape=tuple(shape[:start]) + (merged,) + tuple(shape[end + 1:]))


def unsqueeze(input: Any, dim: int) -> Any:
    """Insert an axis of size 1 at ``dim`` (``-1`` appends)."""
    refuse_bool_dims("unsqueeze", dim)
    ndim = input.ndim + 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a result with {ndim} dimensions")
    shape = list(input.shape)
    shape.insert(dim % ndim, 1)
    return Reshape.apply(input, shape=tuple(shape))


def squeeze(input: Any, dim: Any = None) -> Any:
    """Drop axes of size 1: all of them, or those of ``dim`` (an int or tuple) that have size 1."""
    refuse_bool_dims("squeeze", dim)
    dim = python_ints(dim)
    if dim is None:
        dims = {i for i, n in enumerate(input.shape) if n == 1}
    else:
        bound = max(input.ndim, 1)  # a 0-d tensor takes dims 0 and -1, as PyTorch's
        for d in (dim,) if isinstance(dim, int) else dim:
            if not -bound <= d < bound:
                raise IndexError(f"squeeze: dim {d} is out of range for a tensor of shape {tuple(input.shape)} "
                                 f"(expected in [{-bound}, {bound - 1}])")
        dims = {d % bound for d in ((dim,) if isinstance(dim, int) else dim) if input.ndim}
        if not isinstance(dim, int) and input.ndim and len(dims) < len(dim):  # (PyTorch's check; anynn squeezed)
            given = [d % bound for d in dim]
            repeated = next(d for d in given if given.count(d) > 1)
            raise InvalidValueError(f"squeeze: dim {repeated} appears multiple times in the list of dims {tuple(dim)}")
        if any(input.shape[d] is None for d in dims):  # dropped or kept as it runs: a graph has one rank
            raise ValueError(f"squeeze: dim {sorted(dims)} of a tensor of shape {tuple(input.shape)} has a symbolic "
                             f"size (an ONNX export with dynamic_axes), which may or may not be 1 when the graph runs")
        dims = {d for d in dims if input.shape[d] == 1}
    if not dims:
        return input
    return Reshape.apply(input, shape=tuple(n for i, n in enumerate(input.shape) if i not in dims))



def concat(tensors: list[Any], axis: int = 0) -> Any:
    """The tensors joined along ``axis`` (all other sizes equal); a 1-D tensor of size 0 is skipped, as in PyTorch."""
    # PyTorch's legacy rule: a 1-D tensor of size 0 (``torch.tensor([])``, an accumulator's start) is skipped
    kept = [t for t in tensors if tuple(getattr(t, "shape", ())) != (0,)]
    if kept and len(kept) < len(tensors):  # skipped, but its dtype still counts in the result's (PyTorch's)
        return concat(_in_joint_dtype(kept, tensors), axis)
    _check_joinable("cat", tensors, axis, new_axis=False)
    return Concat.apply(*_one_kind(tensors), axis=axis)


def _in_joint_dtype(kept: list[Any], tensors: list[Any]) -> list[Any]:
    """``kept`` (some of ``tensors``) cast to the dtype all of ``tensors`` join in, where it is another."""
    typed = [t for t in _one_kind(tensors) if isinstance(t, Tensor)]
    if len(typed) < 2 or any(t.backend != typed[0].backend for t in typed):
        return kept
    target = typed[0].backend.xp.result_type(*[t.array.dtype for t in typed])
    return [t.astype(target) if isinstance(t, Tensor) and t.array.dtype != target else t for t in kept]


def stack(tensors: list[Any], axis: int = 0) -> Any:
    """The tensors (all of one shape (*)) stacked along a new ``axis``: (*) -> (len(tensors), *) for ``axis=0``."""
    refuse_bool_dims("stack", axis)
    _check_joinable("stack", tensors, axis, new_axis=True)
    return Stack.apply(*_one_kind(tensors), axis=axis)


def _check_joinable(name: str, tensors: list[Any], axis: int, new_axis: bool) -> None:
    """Refuse, naming ``name``, the entries and their shapes, tensors that cannot be joined along ``axis``: a shape
    other than the first's (``stack``), another rank or another size off ``axis`` (``cat``), or an axis out of
    range; each library's own message named neither the op nor the entry. Symbolic sizes are left to the graph."""
    if not tensors:  # (PyTorch: cat's ValueError 'expected a non-empty list of Tensors', stack's RuntimeError)
        raise InvalidValueError(f"{name}(): expected a non-empty list of Tensors")
    shapes = [(i, tuple(t.shape)) for i, t in enumerate(tensors) if isinstance(t, Tensor)]
    if not shapes or any(not isinstance(size, int) for _, shape in shapes for size in shape):
        return
    first_index, first = shapes[0]
    rank = len(first) + 1 if new_axis else len(first)
    if not rank:  # (PyTorch's RuntimeError; the axis check below would pass, and the library raise IndexError)
        raise ShapeMismatchError(f"{name}: zero-dimensional tensor (at position {first_index}) cannot be "
                                 "concatenated")
    if not -rank <= axis < rank:
        raise IndexError(f"{name}: dim {axis} is out of range for tensors of shape {first} (expected in "
                         f"[{-rank}, {rank - 1}])")
    for index, shape in shapes[1:]:
        if new_axis and shape != first:
            raise ShapeMismatchError(f"{name}: expected each tensor to be of equal size, got {first} at entry "
                                     f"{first_index} and {shape} at entry {index}")
        if not new_axis and (len(shape) != len(first) or any(
                a != b for k, (a, b) in enumerate(zip(first, shape)) if k != axis % max(rank, 1))):
            raise ShapeMismatchError(f"{name}: sizes of tensors must match except in dim {axis}, got {first} at "
                                     f"entry {first_index} and {shape} at entry {index}")


def _one_kind(tensors: list[Any]) -> list[Any]:
    """PyTorch's promotion across kinds for joined tensors, the same on every backend: integers and booleans among
    floating tensors take the floating result dtype (int64 with float32 is float32, not NumPy's float64), booleans
    among integers the integer one, real tensors among complex ones the complex result dtype. Casts are recorded, so
    gradients reach the floating inputs as before (a real input's is real)."""
    typed = [t for t in tensors if isinstance(t, Tensor)]
    if len(typed) < 2:
        return tensors
    if any(t.backend != typed[0].backend for t in typed):
        return tensors  # two backends: Concat/Stack refuse them by name, before any dtype is compared
    xp = typed[0].backend.xp
    if any(xp.isdtype(t.array.dtype, "complex floating") for t in typed):  # every input cast to the complex result,
        # so the gradient of a real one is the real part of its slice (the join's own promotion sent it complex)
        target = xp.result_type(*[t.array.dtype for t in typed
                                  if xp.isdtype(t.array.dtype, ("real floating", "complex floating"))])
        return [t.astype(target) if isinstance(t, Tensor) and t.array.dtype != target else t for t in tensors]
    for kinds in (("real floating", "complex floating"), "integral"):
        wide = [t.array.dtype for t in typed if xp.isdtype(t.array.dtype, kinds)]
        if wide and len(wide) < len(typed):
            target = xp.result_type(*wide)
            return [t.astype(target) if isinstance(t, Tensor) and not xp.isdtype(t.array.dtype, kinds) else t
                    for t in tensors]
    return tensors


_PIECES = ("{name}: the pieces along dim {dim} are counted from its size, a symbolic axis (an ONNX export with it in "
           "dynamic_axes) that the graph has only when it runs, and a graph has a fixed number of outputs; split "
           "another axis, or export with a static size there")


def _refuse_zero_dim(name: str, x: Any) -> None:
    """PyTorch's RuntimeError for pieces of a 0-d tensor ("split expects at least a 1-dimensional tensor"), where
    reading the size along ``dim`` raised IndexError."""
    if not getattr(x, "ndim", 1):
        raise ShapeMismatchError(f"{name} expects at least a 1-dimensional tensor, got a 0-d tensor")


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """Pieces of ``split_size_or_sections`` along ``dim`` (an int: equal pieces, the last smaller)."""
    refuse_bool_dims("split", dim)
    refuse_float_ints("split", split_size_or_sections=split_size_or_sections)
    _refuse_zero_dim("split", x)
    n = x.shape[dim]
    sections = isinstance(split_size_or_sections, (list, tuple))
    if not sections and (n is None or is_symbolic(split_size_or_sections)):  # (a symbolic piece size too)
        raise NotImplementedError(_PIECES.format(name="split", dim=dim))
    if sections and any(is_symbolic(s) for s in split_size_or_sections):
        return _split_symbolic(x, tuple(split_size_or_sections), dim)
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise InvalidValueError(f"split: the piece size must be positive, got {step}")
        sizes = tuple(min(step, n - start) for start in range(0, n, step)) or (0,)
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
        if min(sizes, default=0) < 0:
            raise RuntimeError(f"split: sizes must not be negative, got {list(sizes)}")
        if sum(sizes) != n:
            raise ShapeMismatchError(f"split: sections {sizes} do not add up to the size {n} of dim {dim}")
    return Split.apply(x, sizes=sizes, axis=dim)


def _split_symbolic(x: Any, sizes: tuple[Any, ...], dim: int) -> tuple[Any, ...]:
    """Pieces of ``sizes`` along ``dim`` where some are sizes of symbolic axes (an ONNX export: coordinate attention's
    ``split(y, [h, w], dim=2)`` of a height and a width read as ``x.size()``): slices whose bounds the graph reads as
    it runs (one Slice each)."""
    axis = dim % x.ndim
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[(slice(None),) * axis + (slice(start, start + size),)])
        start = start + size
    return tuple(pieces)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    """At most ``chunks`` pieces along ``dim``, each ``ceil(size / chunks)`` long (the last may be shorter)."""
    refuse_bool_dims("chunk", dim)
    _refuse_zero_dim("chunk", input)
    if chunks <= 0:
        raise InvalidValueError(f"chunk: chunks must be positive, got {chunks}")
    if input.shape[dim] is None:
        raise NotImplementedError(_PIECES.format(name="chunk", dim=dim))
    if input.shape[dim] == 0:  # as PyTorch: ``chunks`` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, max(1, -(-input.shape[dim] // chunks)), dim)



def take_rows(x: Any, indices: Any) -> Any:
    """``x[indices]`` along axis 0 with an integer Tensor/array of any shape; repeated rows add gradients.

    x: (R, ...), indices: (...) of integers in [0, R) → (*indices.shape, ...).
    """
    if isinstance(indices, Tensor):
        if indices.backend != x.backend:
            raise BackendMismatch(f"take_rows: indices live on backend {indices.backend.key!r}, the tensor on "
                                  f"{x.backend.key!r}; move them with .to({x.backend.key!r})")
        idx = indices.array
    elif x.backend.is_native(indices):
        idx = indices
    else:
        raise BackendMismatch(f"take_rows: indices must be a Tensor or a native array of backend {x.backend.key!r}, "
                              f"got {type(indices).__module__}.{type(indices).__name__}")
    if not x.backend.xp.isdtype(idx.dtype, "integral"):
        raise TypeError(f"take_rows: indices must be integers, got {idx.dtype}; boolean masks are not supported "
                        "(use anynn.functional.where)")
    return Take.apply(x, idx)


def _is_array_index(i: Any) -> bool:
    if isinstance(i, numbers.Integral):  # Python and NumPy integers are basic indices
        return False
    # a range is a list of ints to PyTorch (x[range(n), y] = v, as in mnist_forward_forward)
    return isinstance(i, (list, range, Tensor)) or (hasattr(i, "dtype") and hasattr(i, "shape"))


_BASIC_INDEX_TYPES = frozenset({int, slice, type(None), type(Ellipsis)})  # (bool is not int: x[True] is a mask)
_VALID_INDICES = "only integers, slices (`:`), ellipsis (`...`), None and long, int or bool tensors are valid indices"


def legacy_tuple(index: Any) -> Any:
    """PyTorch's (and old NumPy's) reading of a list index holding a tensor, a sequence, a slice, ``...`` or
    ``None`` (and fewer than 32 entries) as a tuple of indices, with PyTorch's deprecation warning:
    ``x[[[0], [1]]]`` is ``x[[0], [1]]``, ``x[[rows, cols]]`` is ``x[rows, cols]``; other indices unchanged."""
    if not isinstance(index, list) or len(index) >= 32:
        return index
    if not any(i is None or i is Ellipsis or isinstance(i, (slice, list, tuple, range)) or _is_array_index(i)
               for i in index):
        return index
    warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use x[tuple(seq)] "
                  "instead of x[seq] (PyTorch will read it as a tensor index, x[torch.tensor(seq)])", UserWarning,
                  stacklevel=4)
    return tuple(index)


def check_index(index: Any) -> None:
    """PyTorch's refusals of an index of the wrong type (``x[1.0]``, ``x["a"]``, ``x[{...}]``), naming the index:
    IndexError, a TypeError for a string (PyTorch reads it as a sequence of data)."""
    for i in index if isinstance(index, tuple) else (index,):
        if i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral)) or is_symbolic(i):
            continue
        if isinstance(i, str):
            raise TypeError(f"index {index!r}: a string is not a valid index; {_VALID_INDICES}")
        if isinstance(i, numbers.Number) or not _is_array_index(i):  # floats, NumPy float scalars, other objects
            raise IndexError(f"index {index!r}: {_VALID_INDICES} (got {_type_name(i)})")


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _native_index(i: Any, x: Any) -> Any:
    """An index array (a list, a host NumPy array, a Tensor or a native array) as a native array of x's backend."""
    be = x.backend
    if isinstance(i, Tensor):
        i = array_on_backend(i, be, "indexing", "the index", "the tensor")
    elif not be.is_native(i):
        host = host_array(i, None)
        if host.size == 0:
            host = host.astype("int64")
        i = be.from_host(host)
    xp = be.xp
    if not (xp.isdtype(i.dtype, "integral") or xp.isdtype(i.dtype, "bool")):
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got an index of dtype "
                         f"{dtype_name(i.dtype)}")
    if i.dtype == xp.uint8:  # PyTorch still reads a uint8 index as a mask (with this warning), not as positions
        warnings.warn("indexing with dtype uint8 is now deprecated, please use a dtype bool instead.", UserWarning,
                      stacklevel=4)
        return i != 0
    return i


def _first_axes(xp: Namespace, parts: list[Any], ndim: int) -> list[int]:
    """The axis of x where each index entry starts (a mask covers as many axes as it has, ``None`` none,
    ``...`` those the others leave)."""
    used = [0 if i is None or i is Ellipsis else i.ndim if _is_array_index(i) and xp.isdtype(i.dtype, "bool")
            else 1 for i in parts]
    starts, axis = [], 0
    for i, n in zip(parts, used):
        starts.append(axis)
        axis += ndim - sum(used) if i is Ellipsis else n
    return starts


def _is_scalar_mask(xp: Namespace, i: Any) -> bool:
    """Whether the array index ``i`` (a list, Tensor or native array) is a 0-d boolean."""
    if isinstance(i, list):
        return False
    array = i.array if hasattr(i, "backend") and hasattr(i, "array") else i
    return getattr(array, "ndim", None) == 0 and str(getattr(array, "dtype", "")).endswith("bool")


def _with_scalar_masks(x: Any, parts: list[Any]) -> Any:
    """``x[parts]`` where some parts are a Python bool or a 0-d boolean array, as PyTorch (and NumPy) read them: they
    add one new axis (where the first stands), of size 1 where all are True and 0 otherwise (``x[True]`` is
    ``x[None]``, ``x[False]`` selects nothing). Beside basic indices only (ints, slices, ``...``, ``None``)."""
    keep: list[tuple[int, bool]] = []  # (position in parts, the masks' value): several broadcast into one axis
    plain: list[Any] = []
    for i in parts:
        if isinstance(i, bool) or (_is_array_index(i) and _is_scalar_mask(x.backend.xp, i)):
            value = i if isinstance(i, bool) else bool(i.item() if hasattr(i, "item") else i)
            if keep:
                keep[0] = (keep[0][0], keep[0][1] and value)
                continue
            keep.append((len(plain), value))
            plain.append(None)
        else:
            plain.append(i)
    if any(_is_array_index(i) for i in plain):
        return _scalar_masks_beside_arrays(x, parts)
    out = GetItem.apply(x, index=tuple(plain))
    if all(value for _, value in keep):
        return out
    consumed = sum(1 for i in plain if i is not None and i is not Ellipsis)
    empty = []  # output positions of the new axes that select nothing
    position = 0
    for k, i in enumerate(plain):
        if i is Ellipsis:
            position += x.ndim - consumed
        elif i is None:
            if any(at == k and not value for at, value in keep):
                empty.append(position)
            position += 1
        elif isinstance(i, slice):
            position += 1
    index = tuple(slice(0, 0) if axis in empty else slice(None) for axis in range(max(empty) + 1))
    return GetItem.apply(out, index=index)


def _spans(xp: Namespace, parts: list[Any]) -> list[int]:
    """How many axes of x each index entry takes (array entries native): a mask its own number, ``None``, ``...`` and
    a boolean (a Python bool or a 0-d mask) none, every other entry one."""
    def span(i: Any) -> int:
        if i is None or i is Ellipsis or isinstance(i, bool):
            return 0
        if _is_array_index(i) and xp.isdtype(i.dtype, "bool"):
            return i.ndim
        return 1
    return [span(i) for i in parts]


def _is_integer_scalar(xp: Namespace, i: Any) -> bool:
    """Whether the array index ``i`` (not a list) is a 0-d integer array or Tensor."""
    if isinstance(i, (list, range)):
        return False
    array = i.array if hasattr(i, "backend") and hasattr(i, "array") else i
    return getattr(array, "ndim", None) == 0 and not str(getattr(array, "dtype", "")).endswith("bool")


def _integer_scalars_first(x: Any, parts: list[Any], scalars: list[int]) -> Any:
    """``x[parts]`` where 0-d integer Tensors stand beside other index arrays: PyTorch selects with them as with
    ints, before the arrays (``x[t0, None, [1, 2]]`` keeps the arrays' axis where it stands; as one more index array
    it would lead). Each is taken on its own axis, last first, then the rest of the index applies."""
    xp = x.backend.xp
    parts = [_native_index(i, x) if _is_array_index(i) else i for i in parts]
    spans = _spans(xp, parts)
    starts, axis = [], 0
    for i, n in zip(parts, spans):
        starts.append(axis)
        axis += x.ndim - sum(spans) if i is Ellipsis else n
    out = x
    for k in reversed(scalars):
        out = index(out, (slice(None),) * starts[k] + (parts[k],))
    return index(out, tuple(i for k, i in enumerate(parts) if k not in scalars))


def _scalar_masks_beside_arrays(x: Any, parts: list[Any]) -> Any:
    """``x[parts]`` where Python bools or 0-d boolean arrays stand beside index arrays: as in NumPy (and PyTorch)
    each is an index array of shape (1,) (True) or (0,) (False) on a new axis of size 1 where it stands, broadcast
    with the others (``x[True, [0, 1]]`` has shape (2, ...), ``x[False, [0, 1]]`` is refused, ``x[0, False, [1]]``
    selects nothing). Two passes: new axes where the booleans stand, then those axes indexed with [0] or []."""
    xp = x.backend.xp
    parts = [_native_index(i, x) if _is_array_index(i) else i for i in parts]
    flags = [isinstance(i, bool) or (_is_array_index(i) and _is_scalar_mask(xp, i)) for i in parts]
    spans = _spans(xp, parts)
    first: list[Any] = []  # x with a new axis of size 1 where each boolean stands
    second: list[Any] = []  # the index of that, each boolean an index array on its axis
    for i, flag, n in zip(parts, flags, spans):
        if flag:
            value = i if isinstance(i, bool) else bool(i.item() if hasattr(i, "item") else i)
            first.append(None)
            second.append(xp.zeros((1 if value else 0,), dtype=xp.int64, device=x.backend.device))
        elif i is Ellipsis:
            first.extend([slice(None)] * (x.ndim - sum(spans)))
            second.append(Ellipsis)
        elif i is None:
            second.append(None)
        else:
            first.extend([slice(None)] * n)
            second.append(i)
    return index(GetItem.apply(x, index=tuple(first)), tuple(second))


def index(x: Any, index: Any) -> Any:
    """``x[index]`` with PyTorch's rules: basic indexing (ints, slices with any step, ``...``, ``None``) and
    integer / boolean arrays (lists, Tensors, native arrays), broadcast together as in NumPy.

    Repeated integer indices add their gradients. Ints are applied before the arrays (as PyTorch does): the
    axes of the broadcast index arrays replace the indexed axes where those are adjacent, else lead.
    """
    parts = index if type(index) is tuple else (index,)
    for i in parts:
        if type(i) not in _BASIC_INDEX_TYPES:
            break
    else:  # ints, slices, None and ``...`` only (x[:, -1], qkv[..., :e]): basic indexing, nothing to check here
        return GetItem.apply(x, index=parts)
    xp = x.backend.xp
    index = legacy_tuple(index)
    check_index(index)
    parts = list(index) if isinstance(index, tuple) else [index]
    scalars = [k for k, i in enumerate(parts) if _is_array_index(i) and _is_integer_scalar(xp, i)]
    if scalars and len(scalars) < sum(_is_array_index(i) or isinstance(i, bool) for i in parts):
        return _integer_scalars_first(x, parts, scalars)
    if any(isinstance(i, bool) or (_is_array_index(i) and _is_scalar_mask(xp, i)) for i in parts):
        return _with_scalar_masks(x, parts)
    if not any(_is_array_index(i) for i in parts):
        return GetItem.apply(x, index=tuple(parts))
    expanded: list[Any] = []
    masks: list[int] = []  # the index arrays a boolean mask gave: in bounds and non-negative by construction
    parts = [_native_index(i, x) if _is_array_index(i) else i for i in parts]
    for i, axis in zip(parts, _first_axes(xp, parts, x.ndim)):
        if not _is_array_index(i):
            expanded.append(operator.index(i) if isinstance(i, numbers.Integral) else i)
            continue
        if xp.isdtype(i.dtype, "bool"):  # a mask is the tuple of its nonzero positions, as in NumPy
            covered = tuple(x.shape[axis:axis + i.ndim])
            if tuple(i.shape) != covered:
                raise IndexError(f"index: the shape of the mask {tuple(i.shape)} does not match the shape "
                                 f"{covered} of the indexed tensor (shape {tuple(x.shape)}) at dim {axis}")
            found = xp.nonzero(i) if i.ndim else _scalar_mask(xp, i)
            expanded.extend(found)
            masks.extend(id(a) for a in found)
        else:
            expanded.append(i)
    arrays = [i for i in expanded if not (i is None or i is Ellipsis or isinstance(i, (int, slice)))]
    basic = [i if i is None or i is Ellipsis or isinstance(i, (int, slice)) else slice(None) for i in expanded]
    full = _expand_ellipsis(tuple(basic), x.ndim)
    # where each index array's axis lands in x[basic]
    positions, where = [], 0
    for i in expanded:
        if i is Ellipsis:
            where += x.ndim - sum(j is not None and j is not Ellipsis for j in expanded)
        elif i is None or isinstance(i, slice):
            where += 1
        elif not isinstance(i, int):
            positions.append(where)
            where += 1
    base = GetItem.apply(x, index=full)
    sizes = [base.shape[p] for p in positions]
    lengths = sizes  # (with a symbolic axis: its size as the graph reads it, to wrap negative entries)
    if None in sizes:
        symbolic = base.backend.symbolic_shape(base.array)
        lengths = [symbolic[p] if n is None else n for n, p in zip(sizes, positions)]
    rest = [ax for ax in range(base.ndim) if ax not in positions]
    if positions != list(range(len(positions))):
        base = Permute.apply(base, axes=tuple(positions + rest))
    rest_shape = tuple(base.shape[len(positions):])
    if len(positions) != 1:
        total: Any = 1
        for n in sizes:  # a symbolic size (ONNX export): the merged axis is symbolic (reshape's implied -1)
            total = None if total is None or n is None else total * n
        merged = (total,) + rest_shape
        if merged.count(None) > 1:  # (symbolic axes kept beside it too: the sizes as the graph reads them)
            total = 1
            for n in lengths:
                total = total * n
            merged = (total,) + tuple(base.backend.symbolic_shape(base.array))[len(positions):]
        base = Reshape.apply(base, shape=merged)
    flat = _linear_index(x.backend, arrays, lengths, masks)
    out = Take.apply(base, flat)
    lead = len(flat.shape)
    start = positions[0]
    adjacent = positions == list(range(start, start + len(positions)))
    if adjacent and start > 0:
        order = tuple(range(lead, lead + start)) + tuple(range(lead)) + tuple(range(lead + start, out.ndim))
        out = Permute.apply(out, axes=order)
    return out


def _scalar_mask(xp: Namespace, mask: Any) -> tuple[Any, ...]:
    raise IndexError("a 0-d boolean index beside an index array is not supported; index with the array first")


def _linear_index(backend: Backend, arrays: list[Any], sizes: list[int | None], masks: Sequence[int] = ()) -> Any:
    """Broadcast the index arrays, wrap negative entries, check bounds, and combine them row-major.

    A symbolic size (a `SymInt`, an ONNX export with ``dynamic_axes``: CLIP's ``x[torch.arange(x.shape[0]),
    text.argmax(-1)]``) wraps negative entries and combines by the size the axis has when the graph runs, and the
    bounds are not checked (the recorded ``Gather`` checks them); on the first axis, indices a boolean mask gave
    (``masks``: their ids) and a single index array (``x[:, [-1]]``, nanoGPT's last position) go to the ``Gather``
    as they are, which wraps them."""
    xp = backend.xp
    given = [id(a) in masks or len(arrays) == 1 for a in arrays]
    if len(arrays) > 1:
        shapes = [tuple(a.shape) for a in arrays]
        known = all(isinstance(n, int) for each in shapes for n in each)  # (symbolic sizes: the graph checks them)
        if known and broadcast_shapes(*shapes) is None:  # (NumPy: a ValueError)
            raise IndexingError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                                + ", ".join(str(list(s)) for s in shapes))
        arrays = list(xp.broadcast_arrays(*arrays))
    flat = None
    for k, (i, n) in enumerate(zip(arrays, sizes)):
        if n is None or is_symbolic(n):
            i = xp.astype(i, xp.int64)
            if not k and given[k]:
                flat = i
                continue
            if n is None:  # (a backend without the sizes of its symbolic axes)
                raise ValueError("index: an index array on an axis of symbolic size needs that size to wrap "
                                 "negative entries; index that axis with a slice or a boolean mask, or export with "
                                 "static shapes")
            i = xp.where(i < 0, i + n.array, i)
            flat = i if flat is None else flat * n.array + i
            continue
        i = xp.astype(i, xp.int64)
        check(backend, (i < -n) | (i >= n), f"an index array holds a value out of bounds for an axis of size {n}",
              error=IndexError)
        i = xp.where(i < 0, i + n, i)
        flat = i if flat is None else flat * n + i
    return flat
