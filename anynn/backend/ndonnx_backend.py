"""ndonnx backend: an array library that records ONNX graphs (used by `anynn.onnx.export`).

ndonnx follows the array API standard; each operation on its arrays adds nodes to an ONNX graph. Arrays
made from host data (the weights) are constants with a value; arrays made by ``ndonnx.argument`` (the
model's inputs) are symbolic: they have no value (`is_traced` is True), and their unknown axes read as
``None`` in ``x.shape``. Checks that need a host value skip them (`anynn.backend.arrays`).

Whole Functions (``LinearFunction``, ``ConvNd``, ``_Recurrent``...) lower to one ONNX operator each where the
backend carries a table of them (``function_fast_paths``: Function class name -> ``lower(fn, xp, *arrays)``,
returning ``NotImplemented`` to decline). ``get_backend("ndonnx")`` has none, so the recorded array-level
decomposition of every ``forward`` runs; `anynn.onnx.export` builds ``NdonnxBackend(opset=...)``, which
carries the table of the opset it writes (`ndonnx_lowering`).

The backend also owns the graph's ends: `argument` makes a symbolic input, `build_model` the ONNX model from the
recorded outputs (`ndonnx_graph`). `anynn.onnx` names no array library: it checks, converts and writes
the model with the ``onnx`` package (the file format).
"""

from __future__ import annotations

import sys
import types
from typing import Any, Callable

import numpy as np

from . import ndonnx_sizes
from .arrays import register_copying_index_type, register_whole_write
from .base import Backend, BackendUnavailable
from .ndonnx_graph import propagate_constants_without_a_session
from .ndonnx_sizes import has_symbolic


def install_hint() -> str:
    """How to install the onnx extra here: ndonnx 0.23, the oldest release that records every operation the export
    uses (0.20's lack log1p, topk...), needs Python 3.11, so on 3.10 pip finds no release to install."""
    hint = "pip install 'anynn[onnx]'"
    if sys.version_info < (3, 11):
        hint += (f" on Python 3.11 or newer (the ndonnx release it needs does not install on Python "
                 f"{sys.version_info.major}.{sys.version_info.minor})")
    return hint


# ndonnx functions whose result has the shape of their first argument but forgets its static sizes when one is symbolic
_FORGET_SIZES = frozenset({"sort", "argsort", "roll", "zeros_like", "ones_like", "full_like"})
# ndonnx reductions whose result forgets every static size when an axis of the input is symbolic (amax over the
# channels of a (None, C, H, W) batch read (None, None, None, None): a Conv2d after it refused its channel count)
_FORGET_REDUCED_SIZES = frozenset({"max", "min", "any", "all"})


def _reduced_shape(shape: tuple[Any, ...], axis: Any, keepdims: bool) -> tuple[Any, ...]:
    """The shape a reduction of an array of ``shape`` over ``axis`` (None: all) gives."""
    axes = range(len(shape)) if axis is None else [a % len(shape) for a in (
        axis if isinstance(axis, (tuple, list)) else (axis,))]
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _refuse_unknown_sizes(name: str, shape: Any) -> None:
    """A factory's ``shape`` read from a symbolic array's ``.shape`` holds ``None`` (ndonnx's own error: 'found array
    with object dtype'): name the call and the spelling that records (``zeros_like``, or the model's ``x.size(0)``)."""
    if isinstance(shape, (tuple, list)) and any(n is None for n in shape):
        raise ValueError(f"{name}({tuple(shape)}): a size of None is a symbolic axis (an ONNX export with "
                         f"dynamic_axes), whose size is known only when the graph runs; make the array with "
                         f"{name}_like of one that has that axis, or from SymInt sizes (x.size(0), x.shape[0])")


class _Namespace(types.ModuleType):
    """ndonnx, whose ``reshape`` also takes a target shape with one ``None`` (a symbolic axis, as ``x.shape`` reads
    while exporting with ``dynamic_axes``): the known sizes fix it, so it is ONNX Reshape's -1. The math reshapes
    to ``(n, ...)`` with ``n = x.shape[0]`` everywhere; a symbolic batch axis then records as it runs."""

    def __init__(self, library: Any) -> None:
        super().__init__(library.__name__, library.__doc__)
        self._library = library

    def reshape(self, x: Any, shape: Any, **kwargs: Any) -> Any:
        if isinstance(shape, (tuple, list)) and has_symbolic(shape):  # x.view(B, T, h, C // h), T a SymInt
            return ndonnx_sizes.reshape(self._library, x, tuple(shape))
        if isinstance(shape, tuple) and None in shape and shape.count(None) == 1 and -1 not in shape:
            if ndonnx_sizes.same_symbolic_axis(x.shape, shape):  # ONNX 0: that axis, its name kept
                return ndonnx_sizes.reshape_keeping(x, [0 if n is None else n for n in shape])
            shape = tuple(-1 if n is None else n for n in shape)
        return self._library.reshape(x, shape, **kwargs)

    # sizes of symbolic axes (`SymInt`s, ``T = x.size(1)``) in a shape or a range: read when the graph runs
    def arange(self, start: Any, /, stop: Any = None, step: Any = 1, **kwargs: Any) -> Any:
        if has_symbolic((start, stop, step)):
            return ndonnx_sizes.arange(self._library, start, stop, step, **kwargs)
        return self._library.arange(start, stop, step, **kwargs)

    def full(self, shape: Any, fill_value: Any, **kwargs: Any) -> Any:
        _refuse_unknown_sizes("full", shape)
        if has_symbolic(shape) or has_symbolic(fill_value):  # (full((1,), x.size(0)): a size as the value)
            return ndonnx_sizes.full(self._library, shape, fill_value, **kwargs)
        return self._library.full(shape, fill_value, **kwargs)

    def zeros(self, shape: Any, **kwargs: Any) -> Any:
        _refuse_unknown_sizes("zeros", shape)
        return self.full(shape, 0, **kwargs) if has_symbolic(shape) else self._library.zeros(shape, **kwargs)

    def ones(self, shape: Any, **kwargs: Any) -> Any:
        _refuse_unknown_sizes("ones", shape)
        return self.full(shape, 1, **kwargs) if has_symbolic(shape) else self._library.ones(shape, **kwargs)

    def empty(self, shape: Any, **kwargs: Any) -> Any:
        _refuse_unknown_sizes("empty", shape)
        return self.full(shape, 0, **kwargs) if has_symbolic(shape) else self._library.empty(shape, **kwargs)

    def tile(self, x: Any, repetitions: Any) -> Any:
        if has_symbolic(repetitions):  # x.repeat(1, T, 1)
            return ndonnx_sizes.tile(x, tuple(repetitions))
        return self._library.tile(x, repetitions)

    def cumulative_prod(self, x: Any, /, *, axis: int | None = None, dtype: Any = None,
                        include_initial: bool = False) -> Any:
        """ndonnx's running product is ``exp(cumsum(log x))``: NaN from the first negative factor on. Where the axis
        has a known size it is products of shifted copies instead (log2(n) steps, Hillis and Steele's scan; ONNX
        has no CumProd); along a symbolic axis, the magnitudes' ``exp(cumsum(log |x|))`` with the sign of the count
        of negative factors (integers computed in float64 and rounded)."""
        lib = self._library
        if axis is None and x.ndim == 1:
            axis = 0
        if axis is None or include_initial:
            return lib.cumulative_prod(x, axis=axis, dtype=dtype, include_initial=include_initial)
        n = x.shape[axis]
        if n is None:
            exact = lib.isdtype(x.dtype, "integral")
            real = lib.astype(x, lib.float64) if exact else x
            magnitude = lib.exp(lib.cumulative_sum(lib.log(lib.abs(real)), axis=axis))
            odd = lib.cumulative_sum(lib.astype(real < 0, lib.int64), axis=axis) % 2 == 1
            out = lib.where(odd, -magnitude, magnitude)
            out = lib.astype(lib.round(out), x.dtype) if exact else out
            return out if dtype is None else lib.astype(out, dtype)
        import spox.opset.ai.onnx.v21 as op

        from .ndonnx_graph import const, np_dtype, var, wrap

        out = x if dtype is None else self._library.astype(x, dtype)
        axis %= x.ndim
        one = const(1, np_dtype(out))
        shift = 1
        while shift < n:  # out[i] = prod(x[i - 2 * shift + 1 : i + 1]) after this step
            pads = [0] * (2 * x.ndim)
            pads[axis] = shift  # shift ones in at the start of the axis, the last `shift` entries dropped
            shifted = wrap(op.pad(var(out), const(pads, np.int64), one))
            out = out * shifted[(slice(None),) * axis + (slice(0, n), ...)]
            shift *= 2
        return out

    def signbit(self, x: Any) -> Any:
        """ndonnx has none (it raises a bare NotImplementedError): below zero, or a zero whose reciprocal is -inf
        (-0.0). (A NaN reads False, whatever its sign bit.)"""
        lib = self._library
        if not lib.isdtype(x.dtype, "real floating"):
            return x < 0
        return (x < 0) | ((x == 0) & (lib.divide(1.0, x) < 0))

    def hypot(self, x1: Any, x2: Any) -> Any:
        """ndonnx has none (a bare NotImplementedError): the larger magnitude times ``sqrt(1 + r**2)``, ``r`` the
        smaller over the larger (the squares themselves overflow above ~1.8e19 in float32); an infinite operand gives
        inf, even beside a NaN, as IEEE's hypot."""
        lib = self._library
        a, b = lib.abs(x1), lib.abs(x2)
        big, small = lib.maximum(a, b), lib.minimum(a, b)
        ratio = small / lib.where(big == 0, lib.ones_like(big), big)
        out = big * lib.sqrt(ratio * ratio + 1)
        return lib.where(lib.isinf(a), a, lib.where(lib.isinf(b), b, out))

    def pad(self, x: Any, pad: tuple[Any, ...], mode: str, value: float) -> Any:
        """``x`` padded as ``F.pad`` (``pad``: (before, after) pairs from the last axis back, ints and `SymInt`s, read
        when the graph runs): ONNX Pad. Only the recording namespace has it (`SymInt`s exist only here)."""
        import spox.opset.ai.onnx.v21 as op

        from .ndonnx_graph import const, np_dtype, var, wrap

        modes = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
        if mode not in modes or len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: mode {mode!r} with pad {pad} for an input of shape {x.shape}")
        begins, ends = [0] * x.ndim, [0] * x.ndim
        for k in range(len(pad) // 2):
            begins[x.ndim - 1 - k], ends[x.ndim - 1 - k] = pad[2 * k], pad[2 * k + 1]
        pads = ndonnx_sizes.shape_array(self._library, begins + ends)
        fill = const(value, np_dtype(x)) if mode == "constant" else None
        out = wrap(op.pad(var(x), var(pads), fill, mode=modes[mode]))
        padded = set(range(x.ndim - len(pad) // 2, x.ndim))
        return ndonnx_sizes.with_sizes(out, [None if i in padded else n for i, n in enumerate(x.shape)])

    @property
    def fft(self) -> Any:
        """Refused, naming the reason: ndonnx has no complex dtype to hold a spectrum."""
        raise NotImplementedError(
            "the Fourier transforms (anynn.fft, stft, istft) cannot be exported to ONNX yet: the recording library "
            "(ndonnx) has no complex dtype to hold a spectrum; ONNX's DFT operator (opset 17 on) computes one as "
            "(real, imaginary) pairs, which anynn does not record (PyTorch's TorchScript exporter refuses torch.fft "
            "too). Compute the transform outside the exported model, or export with a real formulation "
            "(a matmul with cos/sin tables)")

    def floor_divide(self, x1: Any, x2: Any) -> Any:
        """Python's (NumPy's, PyTorch's) ``x1 // x2``: for floats ndonnx writes Floor(Div), which gives 10 for
        3.0 // 0.3 (whose float quotient rounds up to 10.000001) where they give 9, the quotient of
        ``x1 - remainder(x1, x2)``, an integer up to rounding; by zero ``x1 / x2`` (inf, NaN) as theirs."""
        lib = self._library
        if not any(isinstance(a, float) or (hasattr(a, "dtype") and lib.isdtype(a.dtype, "real floating"))
                   for a in (x1, x2)):
            return lib.floor_divide(x1, x2)
        if not hasattr(x2, "dtype"):  # (a Python number)
            return x1 / x2 if x2 == 0 else lib.round((x1 - lib.remainder(x1, x2)) / x2)
        return lib.where(x2 == 0, x1 / x2, lib.round((x1 - lib.remainder(x1, x2)) / x2))

    def with_sizes(self, x: Any, shape: tuple[Any, ...]) -> Any:
        """``x`` (sliced by a `SymInt`: ndonnx forgets its static sizes) with the ints of ``shape`` known again."""
        return ndonnx_sizes.with_sizes(x, shape)

    def __getattr__(self, name: str) -> Any:
        if name == "linalg":  # (an AttributeError, so that getattr(xp, "linalg", None) still finds none)
            raise AttributeError(
                "anynn.linalg's decompositions and solvers (inv, solve, svd, eigh, qr, cholesky...) cannot be "
                "exported to ONNX: the recording library (ndonnx) has no linalg module, and ONNX has no operators "
                "for them (float32 det aside: ONNX Det); compute them outside the exported model (matmul, norms and "
                "einsum export)")
        function = getattr(self._library, name)
        if name in _FORGET_SIZES:  # the result has x's shape: its static sizes restored (see `_shaped`)
            return lambda x, *args, **kwargs: self._shaped(function(x, *args, **kwargs), x.shape)
        if name in _FORGET_REDUCED_SIZES:  # the reduced shape's static sizes restored (axes kept by a Reshape's 0)
            return lambda x, axis=None, keepdims=False: ndonnx_sizes.with_sizes(
                function(x, axis=axis, keepdims=keepdims), _reduced_shape(x.shape, axis, keepdims))
        return function

    def _shaped(self, result: Any, shape: tuple[int | None, ...]) -> Any:
        """``result`` (of ``shape``) with its static sizes known again: ndonnx's sort, argsort, roll and *_like
        forget all of them when one axis is symbolic; a Reshape to the same shape (that axis as -1) restores them."""
        if None not in result.shape or tuple(shape).count(None) > 1:
            return result
        return self._library.reshape(result, tuple(-1 if n is None else n for n in shape))

    def broadcast_to(self, x: Any, shape: Any) -> Any:
        """Also takes -1 in ``shape`` where ``x`` has a symbolic axis: that axis kept as it is when the graph runs
        (``Tensor.expand(-1, ...)``), ONNX Expand's 1. A ``None`` there would be a size the graph has not got."""
        if isinstance(shape, (tuple, list)) and has_symbolic(shape):  # x.expand(B, T, -1), T a SymInt
            return ndonnx_sizes.broadcast_to(self._library, x, tuple(shape))
        if isinstance(shape, tuple) and None in shape:  # another array's shape (expand_as): where x has a symbolic
            lead = len(shape) - x.ndim  # axis at that place too, it is that axis, kept (-1)
            shape = tuple(-1 if n is None and i >= lead and x.shape[i - lead] is None else n
                          for i, n in enumerate(shape))
        if not isinstance(shape, tuple) or -1 not in shape:
            return self._library.broadcast_to(x, shape)
        if None in shape or len(shape) < x.ndim or any(
                n == -1 and (i < len(shape) - x.ndim or x.shape[i - len(shape) + x.ndim] is not None)
                for i, n in enumerate(shape)):
            raise ValueError(f"broadcast_to: -1 keeps a symbolic axis of the array (shape {tuple(x.shape)}); "
                             f"got the target {shape}")
        import spox.opset.ai.onnx.v21 as op

        from .ndonnx_graph import const, var, wrap

        return wrap(op.expand(var(x), const([1 if n == -1 else n for n in shape], np.int64)))


class NdonnxBackend(Backend):
    name = "ndonnx"
    records_graph = True
    size_hints: dict[str, int] = {}  # a symbolic axis' name -> the example's size (set by anynn.onnx.export)

    @classmethod
    def owns(cls, array: Any) -> bool:
        import ndonnx

        return isinstance(array, ndonnx.Array)

    def __init__(self, device: str | None = None,
                 function_fast_paths: dict[str, Callable[..., Any]] | None = None, opset: int | None = None) -> None:
        try:
            import ndonnx
        except ImportError:
            alone = " (or pip install ndonnx onnx)" if sys.version_info >= (3, 11) else ""
            raise BackendUnavailable(f"backend 'ndonnx' needs ndonnx: {install_hint()}{alone}") from None
        if device not in (None, "cpu"):
            raise BackendUnavailable(f"backend 'ndonnx' records graphs and has no device {device!r}")
        self.ndonnx = ndonnx
        propagate_constants_without_a_session()
        super().__init__(_Namespace(ndonnx), None)
        register_whole_write(ndonnx.Array, ndonnx_sizes.write_whole)  # ReLU(inplace=True): one value, no ScatterND
        register_copying_index_type(ndonnx.Array)  # x[1:3].zero_() must be handed back to x
        if opset is not None:  # whole Functions lower to this opset's operators
            from .ndonnx_lowering import lowerings

            function_fast_paths = {**lowerings(opset), **(function_fast_paths or {})}
        if function_fast_paths:
            self.function_fast_paths = dict(function_fast_paths)

    @property
    def key(self) -> str:
        return self.name

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self.ndonnx.Array)

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        if name == "erf":  # one ONNX Erf node instead of a rational approximation (GELU, erf)
            from .ndonnx_lowering_activation import erf

            return erf
        if name == "scan":  # a recurrent layer over a symbolic time axis: one ONNX Loop (see ndonnx_loop)
            from .ndonnx_loop import scan

            return scan
        if name == "cond":  # torch.cond on a recorded value: one ONNX If, both branches recorded (see ndonnx_cond)
            from .ndonnx_cond import cond

            return cond
        if name == "random_in_graph":  # draws made when the graph runs, not one constant (see ndonnx_random)
            from .ndonnx_random import draw

            return draw
        return None

    def rng(self, seed: int | None = None) -> Any:
        """The graph's own generator: each draw (a dropout mask...) a random node, drawn when the graph runs."""
        from .ndonnx_random import GraphRNG

        return GraphRNG(self)

    def from_host(self, array: np.ndarray) -> Any:
        return self.ndonnx.asarray(np.asarray(array))

    def to_host(self, array: Any) -> np.ndarray:
        try:
            return np.asarray(array.unwrap_numpy())
        except ValueError:
            raise ValueError("an ndonnx array recorded from a symbolic input has no value to read "
                             "(it exists only in the exported ONNX graph)") from None

    def is_traced(self, array: Any) -> bool:
        if not isinstance(array, self.ndonnx.Array):
            return False
        try:
            array.unwrap_numpy()
        except ValueError:
            return True
        return False

    def symbolic_shape(self, array: Any) -> tuple[Any, ...]:
        """``array.shape`` with a `SymInt` (``anynn.backend.symbolic``) for each symbolic axis, what
        ``Tensor.shape`` and ``Tensor.size()`` give while `anynn.onnx.export` records; ``size_hints`` (axis name ->
        the example's size, set by the export) lets an ``assert`` on such a size be checked."""
        return ndonnx_sizes.symbolic_shape(array, self.size_hints)

    # -- the graph's ends (anynn.onnx.export) ---------------------------------------------------------
    def argument(self, shape: tuple[int | str, ...], dtype: Any) -> Any:
        """A symbolic graph input (no value) of ``shape``, where a string names a symbolic axis, and NumPy
        ``dtype``."""
        from .ndonnx_graph import argument

        return argument(shape, dtype)

    def build_model(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> Any:
        """The ``onnx.ModelProto`` computing the recorded ``outputs`` from the ``inputs`` made by `argument`."""
        from .ndonnx_graph import build

        return build(inputs, outputs)
