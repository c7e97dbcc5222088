"""A training step recorded once as a device graph (CuPy: a CUDA graph) and replayed: one launch, not hundreds.

The recipe (PyTorch's ``torch.cuda.graphs`` in spirit):

1. **Warm-up.** A call with a new structure (argument shapes, which gradients and optimizer state exist,
   the Python options the step reads) runs eagerly; when the next call has the same structure the step is
   captured. Eager calls create the optimizer state and gradients, so the capture sees the steady state.
2. **Capture** (the backend's `GraphCapture.record`; on CuPy ``cupy.cuda.Stream.begin_capture`` on a side
   stream, allocations from a private memory pool that lives as long as the graph). Before it, step
   counters and other numbers in the optimizer state become 0-d device arrays and each group's learning
   rate a device buffer, so the graph reads them from memory (a scheduler's new rate is one write into
   that buffer before the next launch). The arguments are copied into
   static buffers. At the end of the capture every state array the step rebound (``p.array = new``) is
   copied back into the array it had before, so the addresses the graph reads are the ones it writes.
   Capturing records the work without running it; the call then launches the graph once.
3. **Replay.** Copy the arguments into the static buffers, refresh changed learning rates, launch, and
   return copies of the results.

Refused, with `CompiledStepError`: reading a value on the host inside the step (CuPy raises during
capture; the message names the operation), and random draws (Dropout): CuPy's generator computes each
draw's key on the host, so a replay would repeat the captured mask. Checks that need host values
(label ranges, NaN checks) are skipped while capturing, as in a traced JAX step.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..autograd.tensor import make_tensor
from ..backend.step_compilers import GraphCapture
from ..init import default_generator, watching_given_generators
from . import binding, pytree
from .errors import CompiledStepError, host_read_error, side_effect_error
from .side_effects import check_side_effects, scheduler_marks, static_key
from .state import StepState, argument_roots, discover, given_key, module_generators, roots_key, structure_key


class _Graph:
    """One captured step: the graph, its static inputs, learning-rate buffers and result arrays."""

    def __init__(self) -> None:
        self.graph: Any = None  # the backend's recording (`GraphCapture.record`): launch() replays it
        self.static_args: list[Any] = []
        self.lr_buffers: list[list[Any]] = []
        self.last_lr: list[list[Any]] = []
        self.result_spec: Any = None
        self.result_arrays: list[Any] = []


class CapturedStep:
    """``fn`` captured as a device graph per structure by the backend's `GraphCapture` (see the module docstring).

    ``trace_count`` counts captures, ``compile_seconds`` their wall time, ``cache_size`` the graphs kept.
    """

    def __init__(self, fn: Callable[..., Any], capture: GraphCapture) -> None:
        self.capture = capture
        self.fn = fn
        self.trace_count = 0
        self.compile_seconds: list[float] = []
        self._state: StepState | None = None
        self._graphs: dict[Any, _Graph] = {}
        self._last_key: Any = None

    @property
    def cache_size(self) -> int:
        return len(self._graphs)

    def reset(self) -> None:
        self._state = None
        self._graphs.clear()
        self._last_key = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        st = self._state
        given = argument_roots(args, kwargs)  # modules and optimizers the call hands in: state as well
        if st is None or roots_key(self.fn) + given_key(given) != st.roots_key or \
                structure_key(st) != st.structure:
            st = self._state = discover(self.fn, given)
            self._graphs.clear()
        arg_leaves: list[Any] = []
        arg_spec = pytree.split((args, kwargs), arg_leaves)
        key = (arg_spec, _structure(st), static_key(st))
        graph = self._graphs.get(key)
        if graph is None:
            if key != self._last_key:  # a new structure: run eagerly once, capture when it repeats
                self._last_key = key
                return self.fn(*args, **kwargs)
            start = time.perf_counter()
            graph = self._graphs[key] = self._capture(st, arg_spec, arg_leaves)
            self.compile_seconds.append(time.perf_counter() - start)
        self._last_key = key
        return self._replay(graph, st, arg_leaves)

    def _replay(self, graph: _Graph, st: StepState, arg_leaves: list[Any]) -> Any:
        for static, arg in zip(graph.static_args, arg_leaves):
            if static is not arg:
                self.capture.copy_into(static, arg)
        for opt, buffers, last in zip(st.optimizers, graph.lr_buffers, graph.last_lr):
            for i, (group, buffer) in enumerate(zip(opt.param_groups, buffers)):
                lr = group["lr"]
                if lr != last[i]:
                    self.capture.copy_into(buffer, lr)
                    last[i] = lr
        graph.graph.launch()
        return pytree.join(graph.result_spec, iter([self.capture.copy(a) for a in graph.result_arrays]))

    def _capture(self, st: StepState, arg_spec: Any, arg_leaves: list[Any]) -> _Graph:
        capture = self.capture
        self.trace_count += 1
        graph = _Graph()
        graph.static_args = [capture.copy(a) for a in arg_leaves]
        _device_numbers(capture, st)
        graph.last_lr = [[group["lr"] for group in opt.param_groups] for opt in st.optimizers]
        graph.lr_buffers = [[capture.scalar(group["lr"], _group_dtype(group)) for group in opt.param_groups]
                            for opt in st.optimizers]
        before = binding.read(st)
        snapshot = binding.Snapshot(st)
        counters = _draw_counters(st)
        host_before = default_generator().bit_generator.state
        schedulers_before = [scheduler_marks(s) for s in st.schedulers]
        after: dict[str, Any] = {}

        def body() -> None:
            for opt, buffers in zip(st.optimizers, graph.lr_buffers):
                for group, buffer in zip(opt.param_groups, buffers):
                    group["lr"] = buffer
            args, kwargs = pytree.join(arg_spec, iter(graph.static_args))
            result = self.fn(*args, **kwargs)
            after.update(binding.read(st))
            _copy_back(capture, before, after)
            graph.result_arrays = []
            graph.result_spec = pytree.split(result, graph.result_arrays, keyed=False)

        try:
            with _capturing(st), watching_given_generators() as given:
                try:
                    graph.graph = capture.record(body)
                except Exception as exc:
                    if capture.is_host_read_error(exc):
                        raise host_read_error(exc, exc.__traceback__, capture.label) from exc
                    raise
            check_side_effects(st, schedulers_before, host_before, [], given)
            if _draw_counters(st) != counters:
                raise side_effect_error(
                    "a random draw (Dropout, an RNN's dropout) was captured",
                    "CuPy's generator computes each draw's key on the host, so every replay would repeat the "
                    "captured mask. Run this step with anynn.compile(step, mode='eager') or without dropout, "
                    "or use the jax backend, whose compiled steps carry the generator's counter.")
        finally:
            snapshot.restore()  # every object back on the arrays it held before the capture (the same addresses)
        _bind_after_capture(st, before, after)
        return graph


def _structure(st: StepState) -> tuple[Any, ...]:
    """Which gradients and optimizer state entries exist: a graph is captured for one such layout."""
    grads = tuple(p.grad is not None for p in st.params)
    states = tuple(tuple(opt.state.get(id(p), ())) for opt in st.optimizers for p in st.opt_params(opt))
    return grads, states


def _device_numbers(capture: GraphCapture, st: StepState) -> None:
    """Step counters and other numbers of the optimizer state as 0-d device arrays the graph reads and writes."""
    for opt in st.optimizers:
        for p in st.opt_params(opt):
            state = opt.state.get(id(p))
            for name, value in (state or {}).items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                state[name] = capture.scalar(value, "int64" if isinstance(value, int) else "float64")


def _group_dtype(group: dict[str, Any]) -> Any:
    """The learning-rate buffer's dtype: the parameters' (a float64 0-d array would promote float32 updates)."""
    dtypes = {p.array.dtype for p in group["params"]}
    return dtypes.pop() if len(dtypes) == 1 else "float64"


def _copy_back(capture: GraphCapture, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Inside the capture: copy each rebound state array into the array it replaced (fixed addresses)."""
    for old, new in zip(before["tensors"], after["tensors"]):
        if new is not old:
            capture.copy_into(old, new)
    for old, new in zip(before["grads"], after["grads"]):
        if old is not None and new is not None and new is not old:
            capture.copy_into(old, new)
    for old_states, new_states in zip(before["opt"], after["opt"]):
        for old, new in zip(old_states, new_states):
            for name, value in new.items():
                previous = old.get(name)
                if previous is not None and value is not previous and hasattr(previous, "shape"):
                    capture.copy_into(previous, value)


def _bind_after_capture(st: StepState, before: dict[str, Any], after: dict[str, Any]) -> None:
    """After the capture: each slot holds the array the graph writes (the old one where it existed).

    The old arrays are the ones the graph reads and copies the step's results back into (`_copy_back`); a
    slot left on an array the step made instead (a gradient ``zero_grad(set_to_none=False)`` rebound, amsgrad's
    maximum, a step counter) would show stale values, and the old array, no longer held, would be freed while
    every replay still writes it. `binding.Snapshot` puts back the gradient Tensors and state dicts, not the
    arrays rebound inside them, so those are bound here.
    """
    for p, old, new in zip(st.params, before["grads"], after["grads"]):
        if new is None:
            p.grad = None
        elif old is None:
            p.grad = make_tensor(new, p.backend, None, 0)
        elif p.grad is None:
            p.grad = make_tensor(old, p.backend, None, 0)
        else:
            p.grad.array = old
    for opt, old_states, new_states in zip(st.optimizers, before["opt"], after["opt"]):
        for p, old, new in zip(st.opt_params(opt), old_states, new_states):
            state = opt.state.setdefault(id(p), {}) if new else None
            for name, value in new.items():
                previous = old.get(name)
                # the array held before (the graph copies into it), or one created in the capture: the graph's own
                state[name] = previous if hasattr(previous, "shape") else value


def _draw_counters(st: StepState) -> list[Any]:
    generators = list(st.generators) + [g for g in module_generators(st.modules) if g not in st.generators]
    return [getattr(getattr(g, "stream", None), "counter", None) for g in generators]


@contextmanager
def _capturing(st: StepState) -> Iterator[None]:
    """While capturing, the backend reports arrays as traced: host-value checks are skipped, not forced."""
    patched = []
    for be in st.backends:
        if "is_traced" not in vars(be):
            be.is_traced = lambda array: True
            patched.append(be)
    try:
        yield
    finally:
        for be in patched:
            del be.is_traced


__all__ = ["CapturedStep", "CompiledStepError"]
