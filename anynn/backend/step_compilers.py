"""What a backend offers `anynn.compile`: the library calls that turn a training step into one program.

`Backend.step_compiler()` answers with one of two kinds, or ``None`` (the step runs eagerly):

- a `StepTracer`: the step is traced once into a program of the library (JAX: ``jax.jit``). The program
  takes the state as flat lists of arrays and gives the new state back; `anynn.compile` binds the traced
  arrays into the live objects, runs the step, and reads the state out again (`anynn.compile.traced`).
- a `GraphCapture`: the step's device work is recorded once and replayed (CuPy: CUDA graphs). The step
  writes into fixed buffers; `anynn.compile` keeps the state's addresses fixed (`anynn.compile.captured`).

Everything that names the library lives in the implementations (`jax_compile`, `cuda_graph`); the
compile package holds only what is common to every library (state discovery, binding, the rules).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator


class StepTracer:
    """Trace a step function into one compiled program of the library (`Backend.step_compiler`).

    Attributes
    ----------
    backend : Backend
        The backend whose arrays the program takes.
    mode : str
        The ``anynn.compile(mode=...)`` name of this path (``"jax"``).
    label : str
        How error messages name the path (``"jax"``).
    host_read_errors : tuple of exception classes
        What the library raises when a traced array's value is read on the host (``.item()``, ``if``).
    leaked_value_errors : tuple of exception classes
        What the library raises when an array traced inside a nested program (a ``cond`` branch) is used outside it:
        the branch changed state.
    """

    mode: str = "trace"
    label: str = "trace"
    host_read_errors: tuple[type[BaseException], ...] = ()
    leaked_value_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def describe_leak(self, error: BaseException) -> tuple[bool, str]:
        """For one of `leaked_value_errors`: (whether the value was made inside a ``cond`` branch, where it was
        made, ``file:line``, or empty)."""
        return False, ""

    def jit(self, fn: Callable[..., Any], donate: bool) -> Callable[..., Any]:
        """``fn(state, lrs, args)`` (lists of arrays in, lists out) compiled; its first argument's buffers are
        given to the program to reuse (donated) when ``donate`` is true."""
        raise NotImplementedError  # abstract: each library compiles its own way

    @contextmanager
    def compiling(self) -> Iterator[None]:
        """Around a call that traces and compiles: quiets the library's notes about that compile."""
        yield

    def input_use(self, fn: Callable[..., Any], *args: Any) -> list[bool] | None:
        """For each array leaf of ``args`` (flattened in order; ``None`` leaves are no inputs), whether ``fn``
        traced on them reads it (it feeds an operation or an output); ``None`` where the library cannot say.
        Nothing is compiled: one trace only."""
        return None

    def strong(self, value: Any) -> Any:
        """``value`` with a dtype of its own: a Python ``int`` as an int64 0-d array, a ``float`` as float64, a
        weakly typed array as strongly typed; anything else (``None``, bools, typed arrays) unchanged. State
        leaving a program this way goes in with the same types next time (no new trace)."""
        return value

    def weak(self, number: float) -> Any:
        """A Python number as the 0-d array the program takes in its place (keeping the number's weak type)."""
        return self.backend.xp.asarray(number)


class GraphCapture:
    """Record a step's device work once and replay it (`Backend.step_compiler`); arrays keep their addresses.

    Attributes
    ----------
    backend : Backend
    mode : str
        The ``anynn.compile(mode=...)`` name of this path (``"cuda_graph"``).
    label : str
        How error messages name the path (``"cupy, CUDA graph"``).
    """

    mode: str = "capture"
    label: str = "capture"

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def record(self, body: Callable[[], None]) -> Any:
        """Run ``body`` while recording its device work (nothing runs); return an object whose ``launch()``
        replays it. If ``body`` raises, the recording is abandoned and the exception goes on."""
        raise NotImplementedError  # abstract: each library records its own way

    def is_host_read_error(self, exc: BaseException) -> bool:
        """True if ``exc`` is the library refusing, while recording, an operation that needs a value on the host."""
        return False

    def copy(self, array: Any) -> Any:
        """A new array with ``array``'s values (a static buffer)."""
        return self.backend.xp.asarray(array, copy=True)

    def copy_into(self, target: Any, source: Any) -> None:
        """Write ``source`` (an array or a number) into ``target`` in place (its address stays)."""
        raise NotImplementedError  # abstract

    def scalar(self, value: Any, dtype: Any) -> Any:
        """A 0-d device array holding ``value`` (a step counter, a learning rate the recording reads)."""
        return self.backend.xp.full((), value, dtype=self.backend.dtype(dtype))
