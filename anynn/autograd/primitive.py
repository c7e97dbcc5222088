"""`Function`: one differentiable primitive, its forward and backward side by side."""

from __future__ import annotations

import functools
import itertools
import weakref
from typing import Any, Callable

from ..backend import Backend, BackendMismatch
from ..backend.arrays import is_writeable, register_immutable_type  # noqa: F401  (is_writeable: Functions import it from here)
from ..backend.transfer import scalar_to_array
from ..backend.typing import Namespace
from . import autocast_mode as _autocast
from . import saved_hooks as _saved_hooks
from . import tensor as _tensors
from . import views as _views
from .function_name import FunctionName
from . import inference as _inference
from .mode import anomaly_threads as _anomaly_threads
from .mode import inference_threads as _inference_threads
from .inference import made as _inference_made
from .mode import local as _thread
from .mode import no_grad
from .tensor import Tensor, make_tensor, note_new_producer  # noqa: F401  (Functions import it from here)


class NotATensorError(TypeError, AttributeError):
    """Something that is neither a Tensor nor an array where an operation reads one: PyTorch's argument parser
    raises TypeError ("must be Tensor, not list"), its Python-written functions AttributeError (``F.tanh(None)``:
    'NoneType' object has no attribute 'tanh')."""


def require_tensor(name: str, value: Any, what: str = "input", position: int = 1) -> None:
    """``value`` (the argument ``what``) must be a Tensor or a native array: anything else (None, a number, a list)
    is PyTorch's TypeError "{name}(): argument 'input' (position 1) must be Tensor, not NoneType" (a
    `NotATensorError`, so also the AttributeError of PyTorch's Python-written functions), not the AttributeError of
    the first ``.ndim`` read."""
    if not isinstance(value, Tensor) and not hasattr(value, "ndim"):
        raise NotATensorError(f"{name}(): argument '{what}' (position {position}) must be Tensor, not "
                              f"{type(value).__name__}")


class BroadcastError(ValueError, RuntimeError):
    """Operands of a Function whose shapes do not broadcast, where the array library said so in its own words and
    class (NumPy's and JAX's ValueError): PyTorch's RuntimeError ("The size of tensor a (3) must match the size of
    tensor b (4)"), a ValueError too, naming the Function and the shapes."""


_new = object.__new__
_next_sequence_nr = itertools.count().__next__  # (atomic under the GIL: one count for every thread)
register_immutable_type(Tensor)  # a Tensor in a recorded (create_graph) backward: never written in place


class Function:
    """A primitive of the autograd graph.

    Subclasses write ``forward(self, xp, *arrays)`` returning a native array (or a tuple of them)
    and ``backward(self, xp, *grad_outputs)`` returning one gradient (or ``None``) per input
    array. Both work in the array namespace ``xp``; whatever ``backward`` needs is saved on
    ``self`` in ``forward``. ``self.needs_input_grad[i]`` says whether input ``i`` wants a gradient,
    so ``backward`` can skip work. Keyword arguments of ``apply`` become attributes of ``self``.

    Call it through ``MyFunction.apply(*tensors, **params)``.
    """

    __slots__ = ("__dict__", "inputs", "needs_input_grad", "backend", "num_outputs", "recorded_at", "sequence_nr")
    # the arguments of apply (Tensors and constants); a backward without retain_graph releases the node (see
    # `anynn.autograd.graph._free`): None once its saved arrays went, `Edge`s where it saved only metadata
    inputs: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    backend: Backend
    num_outputs: int
    recorded_at: int  # the in-place stamp (`anynn.autograd.tensor.last_modification`) when recorded
    # when recorded, counted over the process (PyTorch's ``Node.sequence_nr``): a backward whose order can be seen
    # (hooks, custom Functions) runs, of the Functions whose consumers all ran, the one recorded last first
    sequence_nr: int
    # set where an output was written in place through a detached alias: the stamp and the id of the array written
    # (`anynn.autograd.tensor._count_in_owner`; `graph._check_unmodified` refuses where this Function saved it)
    output_written_at: int
    output_written_id: int
    # the autocast family (PyTorch's op lists, see `anynn.autograd.autocast_mode`): "lower", "float32", ... or None
    autocast: str | None = None
    # create_graph=True reruns ``backward`` (and, where saved values need it, ``forward``) on graph Tensors in a
    # differentiable namespace (`anynn.autograd.double_backward`); False: no second-order rule, a clear error
    supports_double_backward: bool = True
    # saved attributes that are drawn, not computed from the inputs (a dropout mask): constants in that rerun
    constants: tuple[str, ...] = ()
    # whether a recorded gradient that comes back constant is tied to the inputs (`double_backward.TiedGradient`),
    # so that it requires grad and differentiates to zeros, as PyTorch's does where its formula reads a saved input
    # or output through a differentiable op with a zero derivative there (ReLU's ``threshold_backward(g, out)``,
    # hardtanh's, max pooling's). True: always; False: never, PyTorch's formula reads only masks or constants
    # (``maximum``, ``clamp``, ``floor``, a product by a constant); None: where the Function saved a floating array
    ties_constant_gradient: bool | None = None
    # True: every array ``backward`` returns is new and held by nothing else (no input, saved value or incoming
    # gradient passed through), so the engine may add other gradients into it in place (PyTorch's stolen buffers)
    fresh_gradients: bool = False
    # the index of an input whose gradient ``backward`` returns as zeros that stand for a connection, not a value
    # (`MaskedGradient`'s tie to ReLU's input): the engine stores them where nothing else is pending and skips them
    # (no pass) where another gradient is summed with them
    zero_gradient_input: int | None = None
    # True: ``backward`` reads nothing saved (a cast, a clone), so a backward without retain_graph leaves the node
    # whole and a tensor it made once (``x = leaf.float()``) is differentiated through again on later steps, as
    # PyTorch's nodes without saved values are
    keeps_edges: bool = False
    # True: a Python number saved for ``backward`` is a saved value, as PyTorch's wrapped scalars (``x * 2.0`` saves
    # the 2.0): a backward without retain_graph releases the node, and a second one through it raises
    saved_numbers_are_values: bool = False
    # True: the outputs are views of the first input (basic indexing, reshape, permute, split: PyTorch's view
    # operations). Made while nothing is recorded, an output still notes its source (``__dict__["_view_of"]``: this
    # Function, its ``inputs`` the source alone), so a later in-place change of the view reaches the source, as the
    # shared storage of PyTorch's views does (`anynn.functional.inplace.write_back_to_base`)
    makes_view: bool = False
    # True where such a "view" is a copy on every library (a diagonal is gathered): a change written into it is
    # passed on to the source too
    view_is_copy: bool = False

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> Any:
        # the hot path of every operation: locals only, one pass over the inputs, no helper calls
        if _autocast.active_threads and cls.autocast is not None and _autocast.state.active:  # module flag first
            args = _autocast.cast_inputs(cls, args)
        fn = _new(cls)
        if params:
            fn.__dict__.update(params)
        backend: Backend | None = None
        results: Tensor | tuple[Tensor, ...]
        arrays = []
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                be = a.backend
                if be is not backend:
                    if backend is None:
                        backend = be
                    elif be != backend:
                        raise BackendMismatch(
                            f"{cls.__name__}: inputs live on two backends, {backend.key!r} and "
                            f"{be.key!r}; move one with .to({backend.key!r})"
                        )
                arrays.append(a.array)
                needs.append(a._requires_grad)
            else:
                arrays.append(a)
                needs.append(False)
        if backend is None:
            given = ", ".join(f"{type(a).__module__}.{type(a).__name__}" for a in args) or "no argument"
            raise NotATensorError(f"{cls.__name__}: expected a Tensor input, got {given}; make one with "
                                  "anynn.tensor(...) or anynn.from_numpy(...) first")
        fn.backend = backend
        if True in needs and _thread.modes.grad_enabled:
            record = True
            fn.needs_input_grad = tuple(needs)
            fn.inputs = args
            fn.recorded_at = _tensors.last_modification  # inputs changed in place after this stamp refuse backward
            fn.sequence_nr = _next_sequence_nr()
            ctx = fn
        else:
            record = False
            fn.needs_input_grad = (False,) * len(needs)
            ctx = None
        lowered = backend.function_fast_paths  # empty on eager backends; ONNX export lowers whole Functions
        quiet = backend.quiet_float_errors  # NumPy: inf/nan as PyTorch gives them, without RuntimeWarnings
        token = quiet.enter() if quiet is not None else None
        try:
            if lowered:
                out = lowered[cls.__name__](fn, backend.xp, *arrays) if cls.__name__ in lowered else NotImplemented
                if out is NotImplemented:
                    out = fn.forward(backend.xp, *arrays)
            else:
                out = fn.forward(backend.xp, *arrays)
        except ValueError as error:
            if isinstance(error, RuntimeError) or "broadcast" not in str(error):
                raise
            shapes = " and ".join(str(tuple(a.shape)) for a in arrays if hasattr(a, "shape"))
            raise BroadcastError(f"{cls.__name__}: the shapes {shapes} do not broadcast together (a size must match "
                                 "the other's or be 1, aligned from the last axis)") from error
        finally:
            if quiet is not None:
                quiet.exit(token)
        if record and _saved_hooks.active_threads:  # some thread has saved-tensor hooks: this one?
            _saved_hooks.pack_saved(fn)
        if isinstance(out, tuple):
            fn.num_outputs = len(out)
            results = tuple(make_tensor(o, backend, ctx, i) for i, o in enumerate(out))
        else:
            fn.num_outputs = 1
            results = _new(Tensor)  # make_tensor(out, backend, ctx, 0), written out
            results.array = scalar_to_array(out)
            results.backend = backend
            results._grad = None
            results._ctx = ctx
            results._index = 0
            results._retains_grad = False
            results._requires_grad = record
            results._version = 0
        if cls.makes_view:
            views: tuple[Tensor, ...] = results if isinstance(results, tuple) else (results,)
            if ctx is None:
                fn.inputs = args[:1]
                for view in views:
                    view.__dict__["_view_of"] = fn
            _views.note_views(args[0], views)
        if _inference_threads[0] or _inference_made[0]:  # inference tensors: made here, or read and refused
            _inference.after_apply(fn, args, results, record, saved_arrays)
        if _anomaly_threads[0]:  # some thread detects anomalies: is it this one?
            hook = _thread.modes.anomaly_hook
            if hook is not None:
                hook(fn, "forward", out)
        return results

    def prepare_recompute(self) -> None:
        """Called on the copy whose forward is rerun for a recorded (create_graph) backward: switch off side
        effects of ``forward`` there (e.g. batch norm's running-statistics update)."""

    def forward(self, xp: Namespace, *arrays: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define forward")  # abstract

    def backward(self, xp: Namespace, *grad_outputs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define backward")  # abstract

    @property
    def name(self) -> FunctionName:
        """The class name; ``grad_fn.name()`` (PyTorch's spelling, a method there) gives it too."""
        return FunctionName(type(self).__name__)

    def register_prehook(self, hook: Callable[..., Any]) -> Any:
        """PyTorch's ``grad_fn.register_prehook``: ``hook(grad_outputs) -> tuple | None`` runs before this node's
        backward and may replace its output gradients. Returns a removable handle."""
        from .hooks import register_node_hook

        return register_node_hook(self, hook, pre=True)

    def register_hook(self, hook: Callable[..., Any]) -> Any:
        """PyTorch's ``grad_fn.register_hook``: ``hook(grad_inputs, grad_outputs) -> tuple | None`` runs after this
        node's backward (``grad_inputs``: one per input, as ``next_functions``) and may replace the gradients it
        computed. Returns a removable handle."""
        from .hooks import register_node_hook

        return register_node_hook(self, hook, pre=False)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """PyTorch's ``grad_fn.next_functions``: per input, ``(the Function that made it, its output index)``; an
        `AccumulateGrad` node (``.variable``: the leaf) for a leaf that requires grad; ``(None, 0)`` for the rest.
        Kept after a backward without ``retain_graph`` where the node saved only metadata (it can run again);
        empty where it saved arrays and released them."""
        inputs = getattr(self, "inputs", None) or ()
        found: list[tuple[Any, int]] = []
        for t in inputs:
            if type(t) is Edge:
                found.append((t._ctx, t._index))
            elif not isinstance(t, Tensor) or not t._requires_grad:
                found.append((None, 0))
            elif t._ctx is None:
                found.append((AccumulateGrad(t), 0))
            else:
                found.append((t._ctx, t._index))
        return tuple(found)


PLAIN = frozenset({int, float, bool, complex, str, type, type(None), slice})  # what a Function saves that is no array


def plain(value: Any) -> bool:
    """Whether a saved attribute is metadata (a number, a flag, a shape, axes, a tuple of shapes) rather than an
    array or an object that may hold one. (Loops, not generators: it runs on every node a backward frees.)"""
    kind = type(value)
    if kind in PLAIN:
        return True
    if kind is not tuple:
        return False
    for item in value:
        if type(item) not in PLAIN and (type(item) is not tuple or not plain(item)):
            return False
    return True


def saves_no_array(fn: Any) -> bool:
    """Whether every attribute ``fn`` saved is metadata (`plain`): a backward through it reads no value."""
    for value in fn.__dict__.values():
        if not plain(value):
            return False
    return True


def saved_arrays(fn: Any) -> set[int] | None:
    """The ids of the arrays ``fn`` saved (in tuples and lists too), or None where it saved something else that may
    hold one (a Tensor, a ctx). A custom Function's node says itself (``ctx_saved_arrays``)."""
    if getattr(fn, "reads_no_input_values", False):  # its backward reads indices and sizes only (an index write)
        return set()
    ctx_saved = getattr(fn, "ctx_saved_arrays", None)
    if ctx_saved is not None:  # a custom Function's node: PyTorch checks only what its ctx.save_for_backward got
        return {id(a) for a in ctx_saved}
    found: set[int] = set()
    is_native = fn.backend.is_native
    pending = list(fn.__dict__.values())
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind in PLAIN:
            continue
        if kind is tuple or kind is list:
            pending.extend(value)
        elif is_native(value):
            found.add(id(value))
        else:
            return None
    return found


class Edge:
    """What a Function keeps of an input that another Function made, where it must not hold the input's array: the
    way back to that producer (``_ctx``, output ``_index``), the input's dtype, shape and backend, and a weak
    reference to the input Tensor. A backward without ``retain_graph`` leaves them in a Function that saved only
    metadata (a sum, a reshape), which later passes rerun as PyTorch reruns its nodes without saved tensors; and
    a Function recorded before an in-place change of its input keeps one to the producer it read then.

    It stands in for the Tensor where the engine reads one (``array`` is the edge itself: its dtype and shape).
    """

    __slots__ = ("_ctx", "_index", "dtype", "shape", "backend", "tensor_ref")
    _retains_grad = False
    _requires_grad = requires_grad = True

    def __init__(self, t: Tensor) -> None:
        array = t.array
        self._ctx, self._index, self.backend = t._ctx, t._index, t.backend
        self.dtype, self.shape = array.dtype, array.shape
        self.tensor_ref = weakref.ref(t)

    @property
    def array(self) -> "Edge":
        return self

    @classmethod
    def before_change(cls, t: Tensor, recorded_at: int) -> Any:
        """What a Function recorded at stamp ``recorded_at`` read as its input ``t``, which changed in place since:
        an Edge to the producer ``t`` had then, where a recorded in-place operation has given it another (see
        `note_new_producer`), else ``t`` itself (its producer is the same)."""
        for stamp, ctx, index, dtype, shape, _ in getattr(t, "_producers_before", ()):
            if stamp > recorded_at:
                edge = cls(t)
                edge._ctx, edge._index, edge.dtype, edge.shape = ctx, index, dtype, shape
                return edge
        return t

    def resolved(self) -> Any:
        """The input Tensor while something else keeps it alive and it still holds the value this edge leads from
        (to match a tensor named in ``inputs=``), else this edge. A tensor changed in place since (an edge
        `before_change`) is another value with another producer: the edge's gradient is not its gradient."""
        t = self.tensor_ref()
        return self if t is None or t._ctx is not self._ctx or t._index != self._index else t


def first_change_after(t: Tensor, recorded_at: int) -> Any:
    """The `note_new_producer` entry of ``t``'s first recorded in-place change after stamp ``recorded_at``, or None
    where there is none or ``t``'s array was written in place since (then no saved value can be trusted)."""
    if t.__dict__.get("_written_at", 0) > recorded_at:
        return None
    for entry in t.__dict__.get("_producers_before", ()):
        if entry[0] > recorded_at:
            return entry
    return None


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions``: ``variable`` is the leaf whose ``.grad`` it fills."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


class _OnceDifferentiableResult(Function):
    """A gradient computed by a ``@once_differentiable`` backward, tied to a stand-in leaf: its value as given,
    and differentiating it raises PyTorch's error (PyTorch's DelayedError node)."""

    supports_double_backward = False

    def forward(self, xp: Namespace, value: Any, *anchors: Any) -> Any:
        return value

    def backward(self, xp: Namespace, g: Any) -> Any:
        raise RuntimeError(_TWICE)


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """PyTorch's decorator for the ``backward(ctx, *grads)`` of a ctx-style Function: it runs without recording, on
    the gradients' values, so the gradients it returns are not differentiated again; with ``create_graph=True``
    they stay in the graph, and a backward through them raises PyTorch's error instead of treating them as
    constants."""

    @functools.wraps(backward)
    def run_once(ctx: Any, *grads: Any) -> Any:
        anchors = [g for g in grads if isinstance(g, Tensor) and g._requires_grad]
        with no_grad():
            result = backward(ctx, *[g.detach() if isinstance(g, Tensor) else g for g in grads])
        if not anchors or not _thread.modes.grad_enabled:
            return result
        single = not isinstance(result, tuple)
        # each result hangs from the error node by a detached copy of itself that requires grad (PyTorch's
        # fake_requires_grad), not from the incoming gradients: autograd.grad towards inputs reached some other way
        # never runs the node, and a backward() into every leaf reaches it and raises
        tied = tuple(_OnceDifferentiableResult.apply(r, r.detach().requires_grad_(True)) if isinstance(r, Tensor)
                     else r for r in ((result,) if single else result))
        return tied[0] if single else tied

    return run_once
