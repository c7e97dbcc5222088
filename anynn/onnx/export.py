"""`export`: the model's own forward, run on the ndonnx backend, written as an ONNX file.

There is no exporter of per-layer rules here: the weights become ndonnx constants, each input a symbolic
argument of the backend (with named symbolic axes where ``dynamic_axes`` asks), and the model's eval-mode
forward runs on them exactly as on NumPy, recording an ONNX graph that the backend builds into a model.
Whole Functions with an ONNX operator of their own (Gemm, Conv, LSTM, LayerNormalization...) lower to it
through the backend's table of Function fast paths (`anynn.backend.ndonnx_lowering`). This module then
folds, checks, converts and writes the model with the ``onnx`` package: the file format, no array library.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import numbers
import os
import sys
import threading
import traceback
import types
import warnings
from typing import Any, BinaryIO, Iterator, Sequence

import numpy as np

from ..autograd import Tensor, no_grad
from ..autograd.size import Size
from ..autograd.tensor import _Size, _SymbolicSize
from ..backend.registry import default_backend_set_to, get_backend
from ..compile.errors import describe_host_read
from ..io.atomic import atomic_write
from ..random import fork_rng
from .options import refuse_custom_operators, weights_as_inputs

DynamicAxes = dict[str, dict[int, str] | Sequence[int]]


class ExportError(RuntimeError):
    """A model (or one of its layers) cannot be written as ONNX; the message names the layer and the reason. Also
    named ``OnnxExporterError``, PyTorch's name."""


OnnxExporterError = ExportError  # PyTorch's name of the exporter's error


_exporting = threading.local()  # (per thread, as anynn's other modes)


def is_in_onnx_export() -> bool:
    """Whether an `export` is running in this thread (``torch.onnx.is_in_onnx_export``): a forward may take another
    path for the graph (``if torch.onnx.is_in_onnx_export(): ...``). True for the whole export, the example's eager
    run before a symbolic one included, as PyTorch's flag."""
    return getattr(_exporting, "depth", 0) > 0


@contextlib.contextmanager
def _in_export() -> Iterator[None]:
    _exporting.depth = getattr(_exporting, "depth", 0) + 1
    try:
        yield
    finally:
        _exporting.depth -= 1


class TrainingMode(enum.IntEnum):
    """The mode `export` records the model in (``torch.onnx.TrainingMode``): ``EVAL`` (dropout off, batch norm
    with its running statistics), ``PRESERVE`` (each layer's own ``training`` flag), ``TRAINING`` (dropout as
    random nodes, batch norm with the batch's statistics)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def export(model: Any, args: Any = (), f: str | os.PathLike[str] | BinaryIO | None = None,
           input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None, dynamic_axes: DynamicAxes | None = None,
           opset_version: int | None = None, *, kwargs: dict[str, Any] | None = None, export_params: bool = True,
           do_constant_folding: bool = True, keep_initializers_as_inputs: bool = False, verbose: bool | None = None,
           dynamo: bool | None = None, training: Any = TrainingMode.EVAL, dynamic_shapes: Any = None,
           external_data: bool = True, custom_opsets: dict[str, int] | None = None, operator_export_type: Any = None,
           custom_translation_table: dict[Any, Any] | None = None, report: bool = False, optimize: bool = True,
           verify: bool = False, profile: bool = False, dump_exported_program: bool = False,
           artifacts_dir: str | os.PathLike[str] = ".", export_modules_as_functions: Any = False,
           autograd_inlining: bool = True) -> Any:
    """Write ``model`` as an ONNX model to ``f``, as ``torch.onnx.export`` does.

    Parameters
    ----------
    model : Module
        Exported in eval mode (dropout is the identity, batch norm uses its running statistics) unless
        ``training`` says otherwise; the model itself is left as it was (its weights are copied).
    args : Tensor, NumPy array, number, or a tuple of them (None among them too)
        Example inputs: their dtypes and shapes become the graph's inputs (a number a 0-d one: a Python float
        float32). ``None`` reaches the forward as ``None`` and is no graph input (an optional input left out).
        A tuple (or a list of Tensors) inside ``args`` reaches the forward as such and its Tensors are inputs,
        in order, as PyTorch flattens them: ``(tokens, (h, c))`` for an LSTM language model is three inputs.
    f : path or binary file, optional
        Without one nothing is written and an `ONNXProgram` is returned (PyTorch's ``dynamo=True`` exporter's
        result: ``program.save(path)``, ``program.optimize()``, ``program(*inputs)`` in onnxruntime).
    input_names, output_names : names of the graph's inputs and outputs (default ``input``/``input_1``...,
        ``output``/``output_1``...; outputs are the model's results flattened in order).
    dynamic_axes : ``{"input": {0: "batch"}, "output": {0: "batch"}}`` (or ``{"input": [0]}``): these axes
        are symbolic in the graph, so it runs with any size there.
    dynamic_shapes : PyTorch's dynamo exporter's spelling of the same: ``{"x": {0: Dim("batch")}}`` keyed by the
        forward's parameter names (or a tuple in the order of ``args``), an axis's `anynn.export.Dim` (or a string)
        naming it in the graph, ``Dim.AUTO`` / ``Dim.DYNAMIC`` symbolic, ``None`` / ``Dim.STATIC`` static.
    opset_version : ONNX opset, 17 to 21 (default 21); 7 to 16 (``opset_version=11`` in many a ported program) as
        PyTorch's exporter takes an opset below its own lowest: the graph is converted where ``onnx``'s version
        converter can (`anynn.onnx.downgrade` rewrites around it), and written in opset 17 with a UserWarning where
        it cannot (an operator that opset has not got: Mish before 18).
    export_params, keep_initializers_as_inputs : as PyTorch's: ``export_params=False`` makes the weights
        (the floating-point initializers, after folding) graph inputs a caller feeds, not stored in the file, named
        as in the model's ``state_dict`` (``fc.weight``) where the graph holds a weight as it is;
        ``keep_initializers_as_inputs=True`` lists every initializer as a graph input too (its value the default).
    kwargs, do_constant_folding, verbose, dynamo : PyTorch's keywords, taken where they ask what anynn does:
        constants folded (``do_constant_folding=False`` folds too: the graph computes the same), one exporter
        (``dynamo`` either way). Keyword inputs (``kwargs``, or a dict ending ``args``) raise ValueError.
    external_data, report, optimize, verify, profile, dump_exported_program, artifacts_dir,
    export_modules_as_functions, autograd_inlining, operator_export_type : PyTorch's exporter's options about its
        own reports and files, taken and left alone: the weights are stored in the file, the graph is optimized.
        ``operator_export_type=ONNX_ATEN`` (ATen operators, not ONNX's) raises ValueError.
    custom_opsets, custom_translation_table : a custom operator domain or translation (PyTorch's custom symbolic
        functions) raises ValueError: anynn writes the standard ONNX domain only.
    training : `TrainingMode` (or ``torch.onnx.TrainingMode``): ``EVAL`` (the default) records the model in eval
        mode, ``TRAINING`` in training mode, ``PRESERVE`` in the modes its layers are in. The model itself is
        left as it was either way.

    Returns
    -------
    onnx.ModelProto
        The model written (torch returns ``None``, or an ``ONNXProgram``); an `ONNXProgram` when ``f`` is None.

    Raises
    ------
    ExportError
        A layer cannot be exported: the message names it (``model.encoder.layers.0``) and the reason. With
        ``dynamic_axes`` a copy of the model first runs eagerly on the example inputs (the recording checks only
        the sizes it knows): a model that fails on them is refused naming the layer, as PyTorch's export refuses
        it, instead of a graph that fails in onnxruntime.
    """
    refuse_custom_operators(custom_opsets, custom_translation_table, operator_export_type)
    if dynamic_shapes is not None and dynamic_axes:
        raise ValueError("anynn.onnx.export: give dynamic_axes or dynamic_shapes, not both (they say the same)")
    with _in_export():
        return _export(model, args, f, input_names, output_names, dynamic_axes, opset_version, kwargs,
                       export_params, keep_initializers_as_inputs, training, dynamic_shapes)


def _export(model: Any, args: Any, f: str | os.PathLike[str] | BinaryIO | None, input_names: Sequence[str] | None,
            output_names: Sequence[str] | None, dynamic_axes: DynamicAxes | None, opset_version: int | None,
            kwargs: dict[str, Any] | None, export_params: bool, keep_initializers_as_inputs: bool,
            training: Any, dynamic_shapes: Any = None) -> Any:
    """`export`'s work, with `is_in_onnx_export` true."""
    try:
        import onnx

        from ..backend.ndonnx_backend import NdonnxBackend
        from .optimize import optimize
    except ImportError as error:  # the onnx extra is not installed
        from ..backend.ndonnx_backend import install_hint
        raise ImportError(f"anynn.onnx.export needs the onnx extra (ndonnx and onnx): {install_hint()} "
                          f"({error})") from error

    _check_torch_options(kwargs)
    mode = _training_mode(training)
    opset = required_opset(opset_version)
    backend = NdonnxBackend(opset=max(opset, LOWEST_RECORDED_OPSET))
    if not hasattr(model, "named_modules") or not callable(model):
        raise TypeError(f"anynn.onnx.export: model must be an anynn.nn.Module, got {_kind(model)} (wrap a function "
                        f"in a Module whose forward calls it)")
    given = list(args) if isinstance(args, (tuple, list)) else [args]
    if given and isinstance(given[-1], dict):  # PyTorch's spelling of keyword inputs: the last element of args
        raise ValueError(f"anynn.onnx.export: keyword inputs (a dict at the end of args, keys {sorted(given[-1])}) "
                         f"are not supported; pass every input positionally in args")
    holes, leaves = _layout(given)  # None: passed to forward as it is, no graph input
    arrays = [_host_input(a) for a in leaves]
    _materialize_lazy_layers(model, arrays, holes)
    names = _names(input_names, len(arrays), "input")
    if dynamic_shapes is not None:
        from .shapes import axes_from_shapes

        dynamic_axes = axes_from_shapes(model, given, names, dynamic_shapes)
    dynamic = _dynamic(dynamic_axes or {})
    arguments = {name: backend.argument(_input_shape(name, a.shape, dynamic.get(name, {})), a.dtype)
                 for name, a in zip(names, arrays)}
    backend.size_hints = {label: a.shape[axis] for name, a in zip(names, arrays)  # (an assert on a SymInt: checked)
                          for axis, label in dynamic.get(name, {}).items() if -a.ndim <= axis < a.ndim}
    if any(dynamic.get(name) for name in names):
        _runs_on_the_example(model, arrays, holes, mode)
    try:
        results = _record(model, backend, arguments, holes, mode)
    except ExportError as error:
        symbolic = {name: axes for name, axes in dynamic.items() if name in arguments and axes}
        if not symbolic or not _records_with_static_shapes(model, backend, names, arrays, holes, mode):
            raise
        raise ExportError(f"{error}. The model records with static shapes: this layer computes with the size of a "
                          f"symbolic axis ({_describe(symbolic)} in dynamic_axes), which the graph does not know "
                          f"until it runs; export it without those dynamic_axes") from error
    flat = _flatten(results)
    if not flat:
        raise ExportError("anynn.onnx.export: the model returned no Tensor (None, or empty tuples): an ONNX graph "
                          "needs at least one output")
    out_names = _names(output_names, len(flat), "output", names)
    for name in set(dynamic) - set(names) - set(out_names):  # PyTorch warns the same way
        warnings.warn(f"anynn.onnx.export: dynamic_axes names {name!r}, which is no input or output of the graph "
                      f"(inputs {names}, outputs {out_names})", UserWarning, stacklevel=3)
    proto = backend.build_model(arguments, {name: t.array if isinstance(t, Tensor) else t
                                            for name, t in zip(out_names, flat)})
    proto = optimize(proto)
    _name_output_axes(proto, dynamic)
    if opset != 21:
        proto = _converted(proto, opset)
    proto.producer_name = "anynn"
    if keep_initializers_as_inputs or not export_params:
        weights_as_inputs(proto, keep=export_params, state={name: t.backend.to_host(t.array) for name, t in
                                                            model.state_dict().items() if isinstance(t, Tensor)})
    onnx.checker.check_model(proto, full_check=True)
    if f is None:
        from .program import ONNXProgram

        return ONNXProgram(proto)
    if isinstance(f, (str, os.PathLike)):  # written atomically, as anynn's checkpoints: a failed write (a full
        atomic_write(f, proto.SerializeToString())  # disk) leaves a model exported before whole
    else:
        f.write(proto.SerializeToString())
    return proto


LOWEST_RECORDED_OPSET = 17  # (LayerNormalization's): an older opset_version is a conversion of the graph, if it can


def _converted(proto: Any, opset: int) -> Any:
    """The recorded opset-21 graph in ``opset``. Below `LOWEST_RECORDED_OPSET` (``opset_version=11`` in many a
    ported program) as PyTorch's exporter does below its own lowest: ``onnx``'s version converter is tried, and
    where it fails (an operator that opset has not got: Mish...) the graph is kept in opset 17
    with a warning naming why."""
    import onnx

    from .downgrade import convert

    if opset < LOWEST_RECORDED_OPSET:
        try:
            converted = convert(proto, opset)
            onnx.checker.check_model(converted, full_check=True)
            return converted
        except Exception as error:  # noqa: BLE001 - whatever the converter or checker raises: keep opset 17
            warnings.warn(f"anynn.onnx.export: the graph could not be converted to opset_version {opset} ({error}); "
                          f"it is written in opset {LOWEST_RECORDED_OPSET}, the lowest anynn records in, as "
                          f"PyTorch's exporter keeps its own lowest", UserWarning, stacklevel=4)
            opset = LOWEST_RECORDED_OPSET
    try:
        return convert(proto, opset)
    except (RuntimeError, ValueError) as error:  # onnx's converter: an operator the older opset has not got
        advice = "" if "opset_version" in str(error) else "; export with a later opset_version (21 by default)"
        raise ExportError(f"anynn.onnx.export: the recorded graph cannot be written in opset {opset}: "
                          f"{error}{advice}") from error


def _check_torch_options(kwargs: dict[str, Any] | None) -> None:
    """Refuse the ``torch.onnx.export`` options that ask for another graph than the one anynn writes."""
    if kwargs:
        raise ValueError(f"anynn.onnx.export: keyword inputs (kwargs={sorted(kwargs)}) are not supported; pass "
                         f"every input positionally in args")


def _training_mode(training: Any) -> bool | None:
    """``training`` (a `TrainingMode` of anynn's or PyTorch's) as the mode to record in: True (training), False
    (eval) or None (each layer's own)."""
    name = str(getattr(training, "name", ""))
    if name not in TrainingMode.__members__:
        raise TypeError(f"anynn.onnx.export: training should be an anynn.onnx.TrainingMode (EVAL, PRESERVE or "
                        f"TRAINING), got {training!r}")
    return {"EVAL": False, "TRAINING": True, "PRESERVE": None}[name]


def _materialize_lazy_layers(model: Any, arrays: list[np.ndarray], holes: list[Any]) -> None:
    """Draw the parameters of lazy layers (``nn.LazyLinear``) that wait for their first input by running ``model``
    itself on the example inputs (in eval mode, as PyTorch's export does): the recording runs a copy, whose own
    draws would be other weights than the model's."""
    if not any(getattr(m, "has_uninitialized_params", lambda: False)() for m in model.modules()):
        return
    state = next((t for t in (*model.parameters(), *model.buffers())), None)
    if state is None:
        return
    training = model.training
    model.eval()
    try:
        with no_grad():
            model(*_with_holes([Tensor._make(state.backend.from_host(a), state.backend, None, 0) for a in arrays],
                               holes))
    finally:
        model.train(training)


def _runs_on_the_example(model: Any, arrays: list[np.ndarray], holes: list[Any], training: bool | None) -> None:
    """Run a copy of ``model`` eagerly on the example inputs (on its own backend, in the mode it is recorded in, its
    draws leaving the default generator as it was), before an export with symbolic axes. A recording checks shapes
    only where sizes are numbers: a symbolic axis the model gives one size (a (5, 3) weight added to a (batch, 3)
    input exported with batch 2) recorded a graph that failed in onnxruntime on the example itself. Raises
    `ExportError` naming the layer that fails."""
    copied = _deep_copy(model)
    if training is not None:
        copied.train(training)
    state = next((t for t in (*copied.parameters(), *copied.buffers())), None)
    backend = state.backend if state is not None else get_backend(None)
    inputs = [Tensor._make(backend.from_host(a), backend, None, 0) for a in arrays]
    with no_grad(), fork_rng(), _naming_failures(copied, "fails on the example inputs (run eagerly before an "
                                                         "export with dynamic_axes)"):
        copied(*_with_holes(inputs, holes))


class _Slot(int):
    """The place of a graph input in ``args``' layout: its position among the inputs."""


def _layout(given: list[Any]) -> tuple[list[Any], list[Any]]:
    """``args`` as its layout and its leaves, PyTorch's flattening of nested inputs: the leaves (Tensors, arrays,
    numbers) are the graph's inputs in order; the layout is ``args`` with a `_Slot` for each leaf, None kept (an
    optional input left out) and tuples / lists of Tensors kept as such (an LSTM's ``(h, c)`` state). A list of
    numbers is one input, an array."""
    leaves: list[Any] = []

    def place(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple) or (isinstance(value, list) and any(
                isinstance(v, (Tensor, np.ndarray, tuple, list)) or v is None for v in value)):
            return type(value)(place(v) for v in value)
        leaves.append(value)
        return _Slot(len(leaves) - 1)

    return [place(a) for a in given], leaves


def _with_holes(inputs: list[Any], holes: list[Any]) -> list[Any]:
    """The forward's arguments: the layout ``holes`` of ``args`` (see `_layout`) with each `_Slot` replaced by its
    input, None (an optional input left out) kept."""
    def fill(value: Any) -> Any:
        if isinstance(value, _Slot):
            return inputs[value]
        return type(value)(fill(v) for v in value) if isinstance(value, (tuple, list)) else value

    return [fill(a) for a in holes]


def _record(model: Any, backend: Any, arguments: dict[str, Any], holes: list[Any], training: bool | None) -> Any:
    """Run a copy of ``model`` (in training or eval mode; as its layers are where ``training`` is None) on the
    backend's symbolic ``arguments``; tensors the forward makes itself (``anynn.arange(n)``, a causal mask) are made
    on ``backend`` too, so they are graph constants. Each input Tensor holds its own array object (of the same graph
    value): an in-place first layer (``ReLU(inplace=True)``) replaces that object's value, and the graph's input
    must stay the argument."""
    recording = _copy_to(model, backend)
    if training is not None:
        recording.train(training)
    inputs = [Tensor._make(backend.xp.asarray(argument, copy=True), backend, None, 0)
              for argument in arguments.values()]
    with no_grad(), default_backend_set_to(backend), _symbolic_sizes(), _naming_failures(recording):
        return recording(*_with_holes(inputs, holes))


def _recorded_shape(self: Tensor) -> Size:
    """`Tensor.shape` while recording: a `SymInt` for each symbolic axis (``B, T, C = x.shape``) where the model's
    own code asks; anynn's layers and functions read ``None`` there, as they always did."""
    shape = self.array.shape
    if None in shape and _outside_anynn(sys._getframe(1)):
        return Size(_recording(self).symbolic_shape(self.array))
    return Size(shape)


def _recorded_size(self: Tensor) -> Any:
    """`Tensor.size` while recording: ``x.size(1)`` a `SymInt` where axis 1 is symbolic (for the model's code)."""
    shape = self.array.shape
    if None not in shape:
        return _Size(shape)
    if _outside_anynn(sys._getframe(1)):
        shape = _recording(self).symbolic_shape(self.array)
    return _SymbolicSize(shape)


def _recorded_numel(self: Tensor) -> Any:
    """`Tensor.numel` (and ``nelement``) while recording: the product of the sizes, a `SymInt` where an axis is
    symbolic and the model's own code asks (``x.view(x.numel())``, ``loss / x.numel()``)."""
    shape = self.array.shape
    if None in shape and _outside_anynn(sys._getframe(1)):
        count: Any = 1
        for n in _recording(self).symbolic_shape(self.array):
            count = count * n
        return count
    return _saved[2](self)


def _recorded_len(self: Tensor) -> int:
    """``len(x)`` while recording: Python's ``len`` must give an int, which a symbolic first axis has only when the
    graph runs; refused naming the line, with the spelling that records (``x.size(0)``)."""
    shape = self.array.shape
    if shape and shape[0] is None:
        from ..backend.symbolic import _caller

        raise TypeError(f"len() of a tensor whose first axis is symbolic (an ONNX export with it in dynamic_axes) "
                        f"has no int value until the graph runs ({_caller(sys._getframe(1))}): write x.size(0) or "
                        f"x.shape[0], a size the graph reads when it runs")
    return _saved[3](self)


def _recording(t: Tensor) -> Any:
    """The backend recording ``t`` (one with a ``None`` in its shape): `NdonnxBackend`, with ``symbolic_shape``."""
    return t.backend


def _outside_anynn(frame: Any) -> bool:
    return not frame.f_globals.get("__name__", "").startswith("anynn.")


@contextlib.contextmanager
def _symbolic_sizes() -> Iterator[None]:
    """While the forward records, ``x.shape`` and ``x.size()`` give `SymInt`s for symbolic axes. The properties
    are swapped for the recording only, so eager tensors never pay for the check (another thread's tensors read
    the same sizes as before through it, the check aside)."""
    global _recordings
    with _swap_lock:
        if _recordings == 0:
            _saved[:] = [Tensor.__dict__[name] for name in ("shape", "size", "numel", "__len__")]
            Tensor.shape, Tensor.size = property(_recorded_shape), property(_recorded_size)  # type: ignore
            Tensor.numel = Tensor.nelement = _recorded_numel  # type: ignore[method-assign]
            Tensor.__len__ = _recorded_len  # type: ignore[method-assign]
        _recordings += 1
    try:
        yield
    finally:
        with _swap_lock:
            _recordings -= 1
            if _recordings == 0:
                Tensor.shape, Tensor.size, Tensor.numel, Tensor.__len__ = _saved  # type: ignore[method-assign]
                Tensor.nelement = Tensor.numel  # type: ignore[method-assign]


_swap_lock = threading.Lock()
_recordings = 0  # exports recording now (in any thread): the eager properties come back when the last one ends
_saved: list[Any] = []


def _records_with_static_shapes(model: Any, backend: Any, names: list[str], arrays: list[np.ndarray],
                                holes: list[Any], training: bool | None) -> bool:
    """Whether the forward records when every axis of every input has the example's size."""
    try:
        _record(model, backend, {name: backend.argument(a.shape, a.dtype) for name, a in zip(names, arrays)}, holes,
                training)
    except ExportError:
        return False
    return True


def _describe(dynamic: dict[str, dict[int, str]]) -> str:
    return ", ".join(f"{name!r} axis {axis}" for name, axes in dynamic.items() for axis in axes)


def required_opset(opset: int | None) -> int:
    """The opset asked for: 21 unless another is given, 7 (PyTorch's lowest) to 21; below 17 the graph is recorded
    in 17 and converted where it can be (`_converted`)."""
    if opset is None:
        return 21
    if not isinstance(opset, numbers.Integral) or isinstance(opset, bool):
        raise TypeError(f"anynn.onnx.export: opset_version should be an int (7 to 21), got {opset!r}")
    opset = int(opset)
    if not 7 <= opset <= 21:
        raise ValueError(f"anynn.onnx.export: opset_version must be between 7 and 21, got {opset}")
    return opset


def _host_input(value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.backend.to_host(value.array)
    if isinstance(value, (np.ndarray, np.generic, int, float, list)):
        array = np.asarray(value)
        return array.astype(np.float32) if array.dtype == np.float64 and not isinstance(value, np.ndarray) else array
    raise TypeError(f"anynn.onnx.export: args must be anynn Tensors, NumPy arrays, numbers or None, got "
                    f"{_kind(value)}" + (" (convert it with .numpy() or anynn.tensor)" if hasattr(value, "__array__")
                                         or hasattr(value, "__dlpack__") else ""))


def _kind(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _names(given: Sequence[str] | None, count: int, stem: str, taken: Sequence[str] = ()) -> list[str]:
    """The graph's ``stem`` names: those ``given``, then ``stem``, ``stem_1``...; distinct, and none of ``taken``
    (the inputs' names, for the outputs): a graph names each value once."""
    names = list(given or [])
    if len(names) > count:
        raise ValueError(f"anynn.onnx.export: {len(names)} {stem} names for {count} {stem}s")
    names += [stem if i == 0 else f"{stem}_{i}" for i in range(len(names), count)]
    repeated = sorted({n for n in names if names.count(n) > 1} | set(names) & set(taken))
    if repeated:
        raise ValueError(f"anynn.onnx.export: the graph's names must be distinct, but {repeated} name two values "
                         f"({stem} names {names}" + (f", input names {list(taken)})" if taken else ")"))
    return names


def _dynamic(dynamic_axes: DynamicAxes) -> dict[str, dict[int, str]]:
    out = {}
    for name, axes in dynamic_axes.items():
        if not isinstance(axes, (dict, list, tuple)) or not all(
                isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
            raise TypeError(f"anynn.onnx.export: dynamic_axes[{name!r}] should be a dict of axis -> name "
                            f"({{0: 'batch'}}) or a list of axes ([0]), got {axes!r}")
        out[name] = {int(a): label for a, label in axes.items()} if isinstance(axes, dict) else {
            int(a): f"{name}_dynamic_axes_{int(a) + 1}" for a in axes}
    return out


def _input_shape(name: str, shape: tuple[int, ...], axes: dict[int, str]) -> tuple[int | str, ...]:
    for axis in axes:
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"anynn.onnx.export: dynamic axis {axis} of input {name!r} with shape {shape}")
    named = {axis % len(shape): label for axis, label in axes.items()}
    return tuple(named.get(i, n) for i, n in enumerate(shape))


def _copy_to(model: Any, backend: Any) -> Any:
    """A copy of ``model`` whose parameters, buffers and plain Tensor attributes (``self.mean = tensor([...])``,
    directly or in a list, tuple or dict: constants of PyTorch's exported graph too) are ndonnx constants on
    ``backend``."""
    recording = _deep_copy(model)
    attributes = [t for m in recording.modules() for value in vars(m).values() for t in _tensors_in(value)]
    for t in [*recording.parameters(), *recording.buffers(), *attributes]:
        if t.backend is not backend:  # (a tensor held twice is converted once)
            t.array = backend.from_host(t.backend.to_host(t.array))
            t.backend = backend
    return recording


def _deep_copy(model: Any) -> Any:
    """``copy.deepcopy(model)``, whose functions held as module attributes run on the copy: a function is copied as
    itself, so minGPT's ``m = self.mlp; self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))`` would call
    the original's layers (on their backend, not the recording's); its closure cells and defaults are rebuilt over
    the copies of what they hold. PyTorch's export runs the model itself, whose function is its own."""
    memo: dict[int, Any] = {}
    copied = copy.deepcopy(model, memo)
    for module in copied.modules():
        for name, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType) and (value.__closure__ or value.__defaults__):
                module.__dict__[name] = _rebound(value, memo)
    return copied


def _rebound(function: types.FunctionType, memo: dict[int, Any]) -> types.FunctionType:
    """``function`` over the copies (in ``memo``, a deepcopy's) of the objects its closure cells and defaults hold."""
    def copied(value: Any) -> Any:
        return memo.get(id(value), value)

    cells = None
    if function.__closure__:
        cells = []
        for cell in function.__closure__:
            try:
                cells.append(types.CellType(copied(cell.cell_contents)))
            except ValueError:  # (an empty cell: a name the enclosing function had not yet bound)
                cells.append(cell)
    defaults = tuple(copied(v) for v in function.__defaults__) if function.__defaults__ else function.__defaults__
    new = types.FunctionType(function.__code__, function.__globals__, function.__name__, defaults,
                             tuple(cells) if cells is not None else None)
    new.__kwdefaults__ = function.__kwdefaults__
    new.__dict__.update(function.__dict__)
    return new


def _tensors_in(value: Any) -> list[Tensor]:
    """The Tensors ``value`` is or directly holds (in a list, tuple or dict's values)."""
    if isinstance(value, Tensor):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return [t for t in items if isinstance(t, Tensor)]


def _flatten(results: Any) -> list[Any]:
    if isinstance(results, (tuple, list)):
        return [leaf for item in results for leaf in _flatten(item)]
    if isinstance(results, dict):
        return [leaf for item in results.values() for leaf in _flatten(item)]
    if results is None:
        return []
    if not isinstance(results, Tensor):
        raise ExportError(f"anynn.onnx.export: the model returned a {type(results).__name__}; only Tensors "
                          f"(or tuples, lists and dicts of them) can be graph outputs")
    return [results]


@contextlib.contextmanager
def _naming_failures(model: Any, failure: str = "") -> Iterator[None]:
    """Re-raise a failure inside the forward as `ExportError` naming the innermost layer that was running (and
    ``failure``, what went wrong, where it is not the recording)."""
    stack: list[str] = []
    handles = []
    for path, module in model.named_modules():
        label = f"{path or 'model'} ({type(module).__name__})"
        handles.append(module.register_forward_pre_hook(lambda m, a, label=label: stack.append(label)))
        handles.append(module.register_forward_hook(lambda m, a, o: _pop(stack)))
    try:
        yield
    except ExportError:
        raise
    except Exception as error:  # noqa: BLE001 - every failure is reported with the layer it happened in
        where = stack[-1] if stack else "model"
        what = f"layer {where} {failure}" if failure else f"cannot export layer {where}"
        raise ExportError(f"anynn.onnx.export: {what}: {type(error).__name__}: "
                          f"{_reason(error)}{_value_read(error)}{_outside_tensor(error)}") from error
    finally:
        for handle in handles:
            handle.remove()


def _reason(error: BaseException) -> str:
    """The error's message, or, for a bare one (the recording library's ``raise NotImplementedError``), where it was
    raised: the function the recording library has not got."""
    text = str(error)
    if text.strip() and not text.endswith(": "):  # ("Layer: ", a layer's name before an empty message: empty)
        return text
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return (f"{text}raised with no message by {frame.name}() ({os.path.basename(frame.filename)}:{frame.lineno}): "
            f"the recording library has no such operation")


def _value_read(error: BaseException) -> str:
    """For a read of a recorded array's value (``x.sum().item()``, ``if x.sum() > 0:``): the operation and the
    model's line that asked for it, and what records instead; empty for any other failure."""
    if "has no value to read" not in str(error):
        return ""
    operation, where = describe_host_read(error.__traceback__)
    return (f"; {operation or 'a value'} was asked for{where}. A graph has no values while it is recorded: compute "
            f"with tensors (anynn.where instead of an `if`, a tensor instead of .item()), or compute it outside the "
            f"exported model")


def _outside_tensor(error: BaseException) -> str:
    """For a tensor of another backend met while recording: what it likely is (a global or a closure's tensor,
    which the model's copy does not hold) and how to make it part of the model; empty for any other failure."""
    if type(error).__name__ != "BackendMismatch" or "'ndonnx'" not in str(error):
        return ""
    return (". A tensor the forward reads that is none of the model's parameters, buffers or tensor attributes (a "
            "global, a closure's) stays on its backend while the model records on ndonnx: register it as a buffer "
            "(self.register_buffer(name, t, persistent=False)) or make it in forward")


def _pop(stack: list[str]) -> None:
    stack.pop()  # a forward hook's result would replace the layer's output: return None


def _name_output_axes(proto: Any, dynamic: dict[str, dict[int, str]]) -> None:
    """Give the symbolic axes of outputs listed in ``dynamic_axes`` their names. An output axis asked to be
    symbolic that the graph fixes, while some input axis is symbolic, is refused: the model gives that axis one size
    whatever the input's (a buffer taken whole, ``self.pos`` for ``self.pos[:, :T]``), and the graph would give other
    sizes than the model where it does not."""
    symbolic_inputs = any(d.HasField("dim_param") or not d.HasField("dim_value")
                          for i in proto.graph.input for d in i.type.tensor_type.shape.dim)
    for output in proto.graph.output:
        axes = dynamic.get(output.name)
        if not axes or not output.type.tensor_type.HasField("shape"):
            continue
        dims = output.type.tensor_type.shape.dim
        for axis, label in axes.items():
            if not -len(dims) <= axis < len(dims):
                continue
            if symbolic_inputs and dims[axis].HasField("dim_value"):
                raise ExportError(
                    f"anynn.onnx.export: output {output.name!r} axis {axis} is {label!r} in dynamic_axes, but the "
                    f"recorded graph fixes its size to {dims[axis].dim_value}: the model gives that axis one size "
                    f"whatever the input's (a buffer or weight taken whole: slice it with the input's size, "
                    f"`self.pos[:, :x.size(1)]`), or export without those dynamic_axes")
            dims[axis].ClearField("dim_value")
            dims[axis].dim_param = label
