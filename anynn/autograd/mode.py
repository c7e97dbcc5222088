"""Switches for the tape, per thread as in PyTorch: gradient recording on/off and the anomaly hook.

Each thread has its own modes: a ``no_grad()`` held in one thread does not stop another from
recording, and a new thread starts with recording on and anomaly detection off. The hot paths
(`Function.apply`, backward, optimizer steps) fetch the calling thread's `Modes` once with
``local.modes`` (one thread-local lookup) and read or write its two slots; everything else uses the
functions and context managers below.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable, Generator, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Modes:
    """The modes of one thread: ``grad_enabled`` (record the graph) and ``anomaly_hook`` (or ``None``)."""

    __slots__ = ("grad_enabled", "anomaly_hook")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly_hook: Callable[[Any, str, Any], None] | None = None


class _ThreadModes(threading.local):
    def __init__(self) -> None:  # runs once in every thread that looks
        self.modes = Modes()


local = _ThreadModes()
# [how many threads have an anomaly hook set]: while 0, Function.apply skips the thread-local lookup of the hook.
# A list, so hot paths import it once and read it without a module attribute lookup; changed under the lock.
anomaly_threads = [0]
anomaly_lock = threading.Lock()
# [how many threads are inside inference_mode(True)]: while 0, Function.apply and make_tensor skip the thread-local
# lookup of the inference flag (see `anynn.autograd.inference`). Changed under `anomaly_lock`.
inference_threads = [0]
# [whether the order of a backward's Functions can be seen]: set for good once user code can run inside a backward
# (a tensor, node, module or post-accumulate hook registered, a custom Function defined, saved-tensor hooks
# entered); backward then runs its Functions in PyTorch's order (`anynn.autograd.graph._execution_order`)
order_observable = [False]


def modes() -> Modes:
    """The calling thread's `Modes`."""
    return local.modes


def __getattr__(name: str) -> Any:
    """``mode.grad_enabled`` / ``mode.anomaly_hook`` read the calling thread's value (write through `modes()`)."""
    if name in ("grad_enabled", "anomaly_hook"):
        return getattr(local.modes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_grad_enabled() -> bool:
    """Whether operations in this thread record the graph."""
    return local.modes.grad_enabled


class _GradMode:
    """A context manager that is also a decorator (``@no_grad()``, ``@no_grad``), like PyTorch's."""

    enabled = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])  # ``@no_grad`` without parentheses
        return super().__new__(cls)

    def __enter__(self) -> None:
        self.previous = local.modes.grad_enabled
        local.modes.grad_enabled = self.enabled

    def __exit__(self, *exc: Any) -> None:
        local.modes.grad_enabled = self.previous

    def _fresh(self) -> "_GradMode":
        """A new context with the same mode: each decorated call gets its own (calls may nest or run in threads)."""
        return type(self)()

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):
            return _in_mode_between_yields(self._fresh, func)  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _in_mode_between_yields(fresh: Callable[[], Any], func: Callable[..., Generator[Any, Any, Any]]) -> Any:
    """A decorated generator function, as PyTorch's: its body runs in the mode each time it resumes (send,
    throw, close), and the caller's own mode holds while it is suspended at a ``yield``."""

    @functools.wraps(func)
    def generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        inner = func(*args, **kwargs)
        resume: Callable[[], Any] = functools.partial(inner.send, None)
        while True:
            try:
                with fresh():
                    value = resume()
            except StopIteration as finished:
                return finished.value
            try:
                sent = yield value
            except GeneratorExit:
                with fresh():
                    inner.close()
                raise
            except BaseException as error:  # thrown in by the caller: passed on inside the mode
                resume = functools.partial(inner.throw, error)
            else:
                resume = functools.partial(inner.send, sent)

    return generator


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Run without recording the graph, in this thread: for inference and parameter updates.

    Usable as ``with no_grad():``, as a decorator ``@no_grad()`` or ``@no_grad``.
    """

    enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Record the graph again (in this thread) inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """Switch recording on or off in this thread: called (``set_grad_enabled(False)``), as a context manager
    (``with set_grad_enabled(training):``) or as a decorator, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):  # as PyTorch: bool("False") is True, a Tensor's truth a host read
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        self.enabled = mode
        self.previous = local.modes.grad_enabled
        local.modes.grad_enabled = self.enabled  # called as a function, the switch holds from here on

    def __enter__(self) -> None:
        pass  # already switched by __init__

    def _fresh(self) -> "_GradMode":
        return set_grad_enabled(self.enabled)

    def __call__(self, func: F) -> F:
        local.modes.grad_enabled = self.previous  # used as a decorator: switch only while the function runs
        return super().__call__(func)


class _InferenceFlag(threading.local):
    def __init__(self) -> None:  # runs once in every thread that looks
        self.enabled = False


inference_flag = _InferenceFlag()


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()`` (``inference_mode(False)`` inside one answers False)."""
    return inference_flag.enabled


class inference_mode(_GradMode):  # noqa: N801
    """PyTorch's ``inference_mode(mode=True)``: ``no_grad()`` whose tensors are inference tensors (``mode=False``:
    no change). What they may not do outside inference mode: see `anynn.autograd.inference`.
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.previous = local.modes.grad_enabled
        self.previous_flag, inference_flag.enabled = inference_flag.enabled, self.mode
        if self.mode:
            local.modes.grad_enabled = False
            with anomaly_lock:
                inference_threads[0] += 1

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        inference_flag.enabled = self.previous_flag
        if self.mode:
            with anomaly_lock:
                inference_threads[0] -= 1

    def _fresh(self) -> "_GradMode":
        return inference_mode(self.mode)
