"""A training step as one traced program (JAX: ``jax.jit``): the state goes in and comes out as arrays.

Each call reads the step's state (`binding.read`: parameters, buffers, gradients, optimizer state, step
counters, learning rates, generator counters) and passes it with the arguments' arrays to a jitted
function. That function, while being traced, binds the tracers into the live objects (``param.array =
tracer``), runs the user's step unchanged — anynn's forward, its own backward and the optimizer — reads
the new state back out and puts the original arrays back. After the call the outputs are written into
the objects. The state arrays are donated, so the library (XLA) updates them in place.

Numbers that change from call to call are inputs, not constants: learning rates (a scheduler's new
value), the momentum, betas and weight decay a schedule cycles, a GradScaler's scale, step counters and
generator counters (a new dropout key) never trace again. A program is cached per *structure*: the
state's layout (which gradients exist, which optimizer state, which options are inputs), the arguments'
shapes and dtypes, and the Python options the step reads (``training`` flags, the other optimizer
options, grad mode, autocast, generator seeds). A last smaller batch traces once more and is cached.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..autograd.tensor import Tensor, mark_modified
from ..backend import Backend
from ..backend.step_compilers import StepTracer
from ..init import default_generator, drawing_from, watching_given_generators
from . import binding, pytree, stance
from .errors import CompiledStepError, host_read_error, leaked_value_error, side_effect_error
from .layout import Layout
from .side_effects import Rediscover, check_side_effects, scheduler_marks, static_key
from .state import StepState, argument_roots, discover, given_key, roots_watch, structure_key


class _Entry:
    """One compiled program: the jitted function and what its trace learned about the inputs and results.

    ``keep`` (None: all) are the positions of the flat state that go in; the others are gradients the step
    never reads (it sets them to None first, as ``zero_grad()`` does): they stay out of the call, and the
    trace sees placeholders of their shape (``dropped``) in their place.
    """

    def __init__(self) -> None:
        self.jitted: Any = None
        self.result_spec: Any = None
        self.out_sig: Any = None
        self.modified: list[Tensor] = []
        self.captured_out: list[Tensor] = []  # captured tensors the step changed: the last new-state leaves
        self.attributes_out: list[tuple[Any, str]] = []  # (module, name) of tensors the step stored: after those
        self.keep: list[int] | None = None
        self.dropped: list[tuple[int, tuple[int, ...], Any]] = []


class TracedStep:
    """``fn`` compiled by the backend's `StepTracer` (see the module docstring). Attributes for inspection:

    ``trace_count`` (how many times ``fn`` was traced for a program), ``compile_seconds`` (the wall time of
    each call that traced and compiled), ``cache_size`` (programs cached), ``probe_count`` (traces that only
    looked for gradients the step never reads).
    """

    def __init__(self, fn: Callable[..., Any], tracer: StepTracer, donate: bool = True) -> None:
        self.tracer = tracer
        self.fn = fn
        self.donate = donate
        self.trace_count = 0
        self.probe_count = 0
        self.compile_seconds: list[float] = []
        self._state: StepState | None = None
        self._layout: Layout | None = None
        self._roots = roots_watch(fn)
        self._changed_inside: set[int] = set()  # ids of captured tensors a trace saw the step change in place
        self._stored: set[tuple[int, str]] = set()  # (module id, name): tensor attributes a trace saw the step store
        self._entries: dict[Any, _Entry] = {}
        self._host_errors = tracer.host_read_errors
        self._draws: Any = None  # the step's own generator: calls given none draw from it (`drawing_from`)
        self._draws_made: Any = None  # (its first state, the host generator's after seeding it) in the trace

    @property
    def cache_size(self) -> int:
        return len(self._entries)

    def reset(self) -> None:
        """Forget the discovered state and every compiled program (after changing a model's structure)."""
        self._state = self._layout = None
        self._entries.clear()

    def _step_generator(self) -> Any:
        """The generator of the draws the step makes without one (``F.dropout(x, p)``): made at the first such
        draw, seeded from anynn's host generator as the eager call seeds its own (`anynn.manual_seed` before makes
        the masks reproducible); the trace that made it is done again with its counter as state."""
        host = default_generator().bit_generator
        if self._draws is None:
            before = host.state
            self._draws = self.tracer.backend.rng(int(default_generator().integers(2**63 - 1)))
            self._draws_made = (self._draws.state(), before, host.state)
        elif self._draws_made is None and (self._state is None or
                                           all(g is not self._draws for g in self._state.generators)):
            self._draws_made = (self._draws.state(), None, None)  # made in a trace that failed: not yet state
        return self._draws

    def _current_layout(self, given: list[Any]) -> Layout:
        """The state's layout, discovered again where the step's roots (``given``: the modules and optimizers among
        the call's arguments) or their structure changed."""
        layout = self._layout
        roots = self._roots() + given_key(given) if given else self._roots()
        if layout is None or roots != layout.st.roots_key or structure_key(layout.st) != layout.st.structure:
            st = self._state = discover(self.fn, given)
            if self._draws is not None:
                st.generators.append(self._draws)
            layout = self._layout = Layout(st, self.tracer.strong, self.tracer.weak)
            # tensors the step reaches that take no gradient are constants of the program (a mask may decide a
            # shape), except those the step changes in place: they go in with the arguments and come back out
            layout.attributes = [(m, name) for m in st.modules for name in list(vars(m))
                                 if (id(m), name) in self._stored]
            slots = {id(vars(m)[name]) for m, name in layout.attributes}
            own = [t for t in st.captured if t.backend.key == self.tracer.backend.key and id(t) not in slots]
            layout.captured = [t for t in own if id(t) in self._changed_inside]
            layout.constants = [t for t in own if id(t) not in self._changed_inside]
            self._entries.clear()
        if any(t.array is not held for t, held in zip(layout.constants, layout.constant_arrays)) or len(
                layout.constant_arrays) != len(layout.constants):  # one changed between calls: new constants
            layout.constant_arrays = [t.array for t in layout.constants]
            self._entries.clear()
        return layout

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for _ in range(8):  # each retry adds generators the step created to the state
            try:
                return self._call(args, kwargs)
            except Rediscover:
                self._layout = None
        raise CompiledStepError("anynn.compile: the step keeps creating new random generators on every trace")

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The hot path: read the flat state, look the program up, call it, write the new state back."""
        layout = self._current_layout(argument_roots(args, kwargs))
        leaves, lrs, sig = layout.read()
        arg_leaves: list[Any] = []
        arg_spec = pytree.split((args, kwargs) if kwargs else args, arg_leaves)
        arg_leaves += [t.array for t in layout.captured]  # (after the arguments' leaves: see `_trace`)
        stored = _stored_tensors(layout.attributes)
        arg_leaves += [t.array for t in stored if t is not None]
        key = (sig, arg_spec, static_key(layout.st, inputs=True), bool(kwargs),
               tuple(None if t is None else (tuple(t.array.shape), t.array.dtype) for t in stored))
        entry = self._entries.get(key)
        if entry is not None:
            if entry.keep is not None:
                leaves = [leaves[i] for i in entry.keep]
            traced_before, start = self.trace_count, time.perf_counter()
            try:
                result_leaves, new_leaves = entry.jitted(leaves, lrs, arg_leaves)
            except self._host_errors as exc:  # a new dtype of the state traced again and read a value
                raise host_read_error(exc, exc.__traceback__, self.tracer.label) from exc
            layout.write(new_leaves, entry.out_sig, entry.modified)
            _write_captured(entry, new_leaves)
            _write_attributes(entry, new_leaves, self.tracer.backend)
            if self.trace_count != traced_before:  # jit traced again by itself (a state array's new dtype)
                self.compile_seconds.append(time.perf_counter() - start)
            return pytree.join(entry.result_spec, iter(result_leaves))
        if self._entries and stance.current() in ("fail_on_recompile", "eager_on_recompile"):
            if stance.current() == "eager_on_recompile":
                return self.fn(*args, **kwargs)
            raise RuntimeError(f"Detected recompile when torch.compile stance is 'fail_on_recompile': "
                               f"{getattr(self.fn, '__qualname__', self.fn)} would be traced again for a call its "
                               f"{len(self._entries)} cached program(s) do not cover (new shapes, dtypes or settings)")
        return self._compile_and_call(layout, key, leaves, lrs, sig, arg_spec, arg_leaves, bool(kwargs))

    def _compile_and_call(self, layout: Layout, key: Any, leaves: list[Any], lrs: list[Any], sig: Any,
                          arg_spec: Any, arg_leaves: list[Any], has_kwargs: bool) -> Any:
        start = time.perf_counter()
        try:
            entry = self._new_entry(layout, sig, arg_spec, has_kwargs, leaves, lrs, arg_leaves)
            if entry.keep is not None:
                leaves = [leaves[i] for i in entry.keep]
            with self.tracer.compiling():
                result_leaves, new_leaves = entry.jitted(leaves, lrs, arg_leaves)
        except Rediscover:
            raise
        except self._host_errors as exc:
            raise host_read_error(exc, exc.__traceback__, self.tracer.label) from exc
        except self.tracer.leaked_value_errors as exc:
            raise leaked_value_error(exc, self.tracer.label, *self.tracer.describe_leak(exc)) from exc
        self._entries[key] = entry
        layout.write(new_leaves, entry.out_sig, entry.modified)
        _write_captured(entry, new_leaves)
        _write_attributes(entry, new_leaves, self.tracer.backend)
        stored = {(id(m), name) for m, name in entry.attributes_out}
        if not stored <= self._stored:  # a tensor stored on a module (a cached mask) is read as an input from now on
            self._stored |= stored
            self._layout = None
        self.compile_seconds.append(time.perf_counter() - start)
        return pytree.join(entry.result_spec, iter(result_leaves))

    def _new_entry(self, layout: Layout, sig: Any, arg_spec: Any, has_kwargs: bool, leaves: list[Any],
                   lrs: list[Any], arg_leaves: list[Any]) -> _Entry:
        entry = _Entry()
        unread = self._unread_grads(layout, sig, arg_spec, has_kwargs, leaves, lrs, arg_leaves)
        if unread:
            entry.keep = [i for i in range(len(leaves)) if i not in unread]
            entry.dropped = [(i, tuple(leaves[i].shape), leaves[i].dtype) for i in sorted(unread)]
        xp = self.tracer.backend.xp

        def traced(kept: list[Any], lrs: list[Any], arg_leaves: list[Any]) -> tuple[list[Any], list[Any]]:
            self.trace_count += 1
            full = list(kept)
            for i, shape, dtype in entry.dropped:  # never read: any value of the right shape will do
                full.insert(i, xp.zeros(shape, dtype=dtype))
            return self._trace(layout, entry, layout.unflatten(full, lrs, sig), arg_spec, arg_leaves, has_kwargs)

        entry.jitted = self.tracer.jit(traced, self.donate)
        return entry

    def _unread_grads(self, layout: Layout, sig: Any, arg_spec: Any, has_kwargs: bool, leaves: list[Any],
                      lrs: list[Any], arg_leaves: list[Any]) -> set[int]:
        """Positions of gradients that come in but that the step never reads (it sets them to None first).

        Found from the program: one trace (no compile) in which a gradient input feeds no operation and no
        output (`StepTracer.input_use`). Carrying such gradients in would only cost time.
        """
        positions = layout.grad_positions(sig)
        if not positions:
            return set()
        probe = _Entry()

        def traced(leaves: list[Any], lrs: list[Any], arg_leaves: list[Any]) -> tuple[list[Any], list[Any]]:
            self.probe_count += 1
            return self._trace(layout, probe, layout.unflatten(leaves, lrs, sig), arg_spec, arg_leaves, has_kwargs)

        if any(leaf is None for leaf in leaves):  # None leaves are no inputs: positions would not line up
            return set()
        used = self.tracer.input_use(traced, leaves, lrs, arg_leaves)
        if used is None or len(used) != len(leaves) + len(lrs) + len(arg_leaves):
            return set()  # an input layout this check does not know: carry every gradient
        return {i for i in positions if not used[i]}

    def _trace(self, layout: Layout, entry: _Entry, values: dict[str, Any], arg_spec: Any,
               arg_leaves: list[Any], has_kwargs: bool) -> tuple[list[Any], list[Any]]:
        """Run ``fn`` once on tracers bound into the objects; return (result arrays, new state, flat)."""
        st = layout.st
        snapshot = binding.Snapshot(st)
        attributes_before = [(m, dict(vars(m))) for m in st.modules]
        captured = [(t, t.array, t._version, getattr(t, "_modified_at", None))
                    for t in layout.captured + layout.constants + _stored_tensors(layout.attributes) if t is not None]
        created: list[tuple[Any, Any, dict[str, Any]]] = []
        host_before = default_generator().bit_generator.state
        schedulers_before = [scheduler_marks(s) for s in st.schedulers]
        scheduler_dicts = [(s, dict(vars(s))) for s in st.schedulers]
        self._draws_made = None
        try:
            binding.bind(st, values)
            leaves_in = iter(arg_leaves)
            joined = pytree.join(arg_spec, leaves_in)
            args, kwargs = joined if has_kwargs else (joined, {})
            captured_in = [next(leaves_in) for _ in layout.captured]  # then the captured tensors' arrays
            for t, data in zip(layout.captured, captured_in):
                t.array = data
            stored = [t for t in _stored_tensors(layout.attributes) if t is not None]
            stored_in = list(leaves_in)  # the rest: those of the tensors stored on modules by earlier calls
            for t, data in zip(stored, stored_in):
                t.array = data
            backends = st.backends + [t.backend for t in _tensors_in((args, kwargs))] + [self.tracer.backend]
            with _recording_generators(list({be.key: be for be in backends}.values()), created), \
                    watching_given_generators() as given, \
                    drawing_from({self.tracer.backend.key: self._step_generator}):
                result = self.fn(*args, **kwargs)
            made, self._draws_made = self._draws_made, None
            if made is not None:  # the step's generator was made (its seed drawn, as an eager call draws one)
                self._draws.set_state(made[0])
                if made[1] is not None and made[1] == host_before:  # (no other host draw before that one)
                    host_before = made[2]
            check_side_effects(st, schedulers_before, host_before, created, given)
            if made is not None:
                raise Rediscover()  # trace again with its counter as an input
            changed = [t for t, (_, data, _, _) in zip(layout.constants, captured[len(layout.captured):])
                       if t.array is not data]
            if changed:  # a constant the step changes in place (a counter): trace again with it as an input
                self._changed_inside.update(id(t) for t in changed)
                raise Rediscover()
            out = binding.read(st)
            out["lr"] = [[None if lr is lr_in else _traced_lr(lr) for lr, lr_in in zip(lrs, lrs_in)]
                         for lrs, lrs_in in zip(out["lr"], values["lr"])]
            # counters and scalar state leave as strongly typed int64/float64 arrays, whatever they entered
            # as (a Python number is weakly typed): the next call then has the same input types, no new trace
            strong = self.tracer.strong
            out["opt"] = [[{k: strong(v) for k, v in state.items()} for state in states] for states in out["opt"]]
            out["rng"] = [strong(c) for c in out["rng"]]
            result_leaves: list[Any] = []
            entry.result_spec = pytree.split(result, result_leaves, keyed=False)
            new_leaves, entry.out_sig = layout.flatten_out(out)
            entry.captured_out = [t for t, data in zip(layout.captured, captured_in) if t.array is not data]
            entry.attributes_out = _attributes_stored(attributes_before, self.tracer.backend,
                                                      {id(t) for t in layout.captured + stored})
            new_leaves += [vars(m)[name].array for m, name in entry.attributes_out]
            new_leaves += [t.array for t in entry.captured_out]
            modified = {id(t) for t in snapshot.modified_tensors()}
            entry.modified = [t for t in st.tensors if id(t) in modified]
        finally:
            snapshot.restore()
            _restore_attributes(attributes_before)
            for t, data, version, modified_at in captured:
                t.array, t._version = data, version
                if modified_at is not None:
                    t._modified_at = modified_at
            for scheduler, saved in scheduler_dicts:  # a refused scheduler step leaves no trace
                vars(scheduler).clear()
                vars(scheduler).update(saved)
        _check_no_leaks(st, self.tracer.backend)
        return result_leaves, new_leaves


def _write_captured(entry: _Entry, new_leaves: list[Any]) -> None:
    """Store the new arrays of the captured tensors the step changed in place (the last of ``new_leaves``)."""
    changed = entry.captured_out
    if changed:
        for t, data in zip(changed, new_leaves[len(new_leaves) - len(changed):]):
            t.array = data
            mark_modified(t)


def _stored_tensors(attributes: list[tuple[Any, str]]) -> list[Tensor | None]:
    """The tensors now held by the module attributes that a step stores tensors in (None where one holds none)."""
    out: list[Tensor | None] = []
    for m, name in attributes:
        value = vars(m).get(name)
        out.append(value if isinstance(value, Tensor) else None)
    return out


def _attributes_stored(before: list[tuple[Any, dict[str, Any]]], backend: Backend, carried: set[int]) -> list[Any]:
    """(module, name) of each module attribute holding a tensor of a traced array the step computed (a mask cached
    as ``self.src_mask = mask``, a recurrent state kept as ``self.hidden = h.detach()``): a program output, stored
    after each call as PyTorch's compiled step stores it; a tensor the step left as it came in is none (``carried``:
    the ids of the tensors that go in and out by other ways)."""
    out = []
    for m, held in before:
        for name, value in vars(m).items():
            if (isinstance(value, Tensor) and backend.is_traced(value.array) and not _registered(m, name)
                    and not (id(value) in carried and held.get(name) is value)):
                out.append((m, name))
    return out


def _registered(m: Any, name: str) -> bool:
    """Whether ``name`` is a parameter or buffer of ``m`` (held in its ``__dict__`` too, for fast attribute reads)."""
    return name in m.__dict__.get("_parameters", ()) or name in m.__dict__.get("_buffers", ())


def _restore_attributes(before: list[tuple[Any, dict[str, Any]]]) -> None:
    """Put back the tensors the modules' attributes held before a trace (the trace's are tracers)."""
    for m, held in before:
        now = vars(m)
        for name in [n for n, v in now.items() if isinstance(v, Tensor) and held.get(n) is not v
                     and not _registered(m, n)]:
            if name in held:
                now[name] = held[name]
            else:
                del now[name]


def _write_attributes(entry: _Entry, new_leaves: list[Any], backend: Backend) -> None:
    """Store the tensors the step stored on modules (`_attributes_stored`): new-state leaves before the captured."""
    stored = entry.attributes_out
    if stored:
        end = len(new_leaves) - len(entry.captured_out)
        for (m, name), data in zip(stored, new_leaves[end - len(stored):end]):
            vars(m)[name] = Tensor._make(data, backend, None, 0)


def _traced_lr(lr: Any) -> Any:
    if isinstance(lr, (int, float)):
        raise side_effect_error("a learning rate was set to a Python number",
                                "Set learning rates outside the step (a scheduler's step() after the call), or "
                                "compute them from tensors.")
    return lr


@contextmanager
def _recording_generators(backends: list[Backend], created: list[Any]) -> Iterator[None]:
    """While tracing, note each generator ``backend.rng()`` makes, with its seed and initial state."""
    patched = []
    for be in backends:
        if "rng" in vars(be):
            continue
        make = be.rng

        def recording(seed: Any = None, make: Any = make) -> Any:
            g = make(seed)
            created.append((g, seed, dict(g.state())))
            return g

        be.rng = recording  # type: ignore[method-assign]  # (an instance attribute over the method, deleted after)
        patched.append(be)
    try:
        yield
    finally:
        for be in patched:
            del be.rng


def _tensors_in(obj: Any) -> list[Tensor]:
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in _tensors_in(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in _tensors_in(item)]
    return []


def _check_no_leaks(st: StepState, backend: Backend) -> None:
    """Refuse a step that left traced arrays in module attributes the compiled program does not carry."""
    for m in st.modules:
        for name, value in vars(m).items():
            data = value.array if isinstance(value, Tensor) else value
            if backend.is_traced(data):
                raise CompiledStepError(
                    f"anynn.compile: the step stored a traced array in {type(m).__name__}.{name}, which is not a "
                    "parameter, buffer, gradient, optimizer state or generator; a compiled step carries only "
                    f"those. Register it as a buffer (register_buffer({name!r}, ...)) or do not keep it.")
