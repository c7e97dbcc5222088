"""`anynn.compile`: a training (or evaluation) step traced once and replayed.

    step = anynn.compile(train_step)   # train_step closes over model, loss and optimizer
    loss = step(x, y)                  # same signature; updates model, optimizer and generators

The path is the one the backend of the state the step touches offers (found by `state.discover`; the
backend's `step_compiler`, `anynn.backend.step_compilers`):

- a step tracer (``mode="jax"``: ``jax.jit``): one program (`traced`), state in and out as donated arrays;
- a graph capture (``mode="cuda_graph"``: CUDA graphs on CuPy): one graph captured on static buffers and
  replayed (`captured`);
- none (``numpy``, ``torch``, ``array_api_strict``): the step runs eagerly (`eager`), so code stays portable.

This package names no array library: every library call is the backend's.

What may not happen inside a compiled step, and the `CompiledStepError` each rule raises, is in the
"Compiled steps" guide.
"""

from __future__ import annotations

from typing import Any, Callable

from ..backend import BackendUnavailable, get_backend
from ..backend.step_compilers import GraphCapture, StepTracer
from ..nn.module import Module
from . import stance
from .errors import CompiledStepError
from .module import OptimizedModule
from .state import StepState, discover

__all__ = ["CompiledStep", "CompiledStepError", "OptimizedModule", "StepState", "compile", "discover"]

_PATHS = ("auto", "jax", "cuda_graph", "eager")
_OFFERED_BY = {"jax": ("jax", ".to('jax')"), "cuda_graph": ("cupy", ".to('cuda') on a GPU with CuPy")}
# torch.compile's mode names (Inductor's tuning levels): anynn picks the backend's path for each
_TORCH_MODES = (None, "default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def _where_offered(mode: str) -> str:
    """The way to the backend that offers ``mode``, for the refusal on any other: the move where that backend works
    here, else why it does not (not installed: the extra to install; installed without a usable device: the
    library's own reason)."""
    if mode not in _OFFERED_BY:
        return ""
    name, move = _OFFERED_BY[mode]
    try:
        get_backend(name)
    except BackendUnavailable as exc:
        return f"; it is offered by the {name} backend, which is unavailable here: {exc}"
    return f", or move the model and tensors to the {name} backend ({move})"


class CompiledStep:
    """The callable `compile` returns: picks its path at the first call, from the backend of the step's state.

    ``trace_count``, ``compile_seconds`` and ``cache_size`` are the chosen path's; ``path`` names it
    (``"jax"``, ``"cuda_graph"`` or ``"eager"``); ``reset()`` forgets the state and compiled programs.
    """

    def __init__(self, fn: Callable[..., Any], mode: str = "auto", donate: bool = True) -> None:
        if not callable(fn):
            raise TypeError(f"anynn.compile: expected a function (a training step), got {type(fn).__name__}")
        if mode not in _PATHS:
            raise ValueError(f"anynn.compile: mode must be one of {_PATHS}, got {mode!r}")
        self.fn = fn
        self.mode = mode
        self.donate = donate
        self._impl: Any = None
        self._ran_eagerly = False  # set_stance("eager_then_compile"): the first call ran as written
        self.__wrapped__ = fn
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    @property
    def path(self) -> str | None:
        return None if self._impl is None else self._impl_path

    def _choose(self, args: tuple[Any, ...]) -> None:
        compiler = None if self.mode == "eager" else self._compiler(args)
        if isinstance(compiler, StepTracer):
            from .traced import TracedStep

            self._impl = TracedStep(self.fn, compiler, donate=self.donate)
        elif isinstance(compiler, GraphCapture):
            from .captured import CapturedStep

            self._impl = CapturedStep(self.fn, compiler)
        else:
            from .eager import EagerStep

            self._impl = EagerStep(self.fn)
        self._impl_path = "eager" if compiler is None else compiler.mode

    def _compiler(self, args: tuple[Any, ...]) -> StepTracer | GraphCapture | None:
        """The step compiler of the state's backend (``auto``: when every backend of the state offers the same
        path), or the one of ``mode``; ``None``: run eagerly."""
        from ..autograd.tensor import Tensor

        from .state import step_roots

        backends = discover(self.fn).backends
        if not backends:  # no model: the tensors the step names or is given
            loose = [r for r in step_roots(self.fn) if isinstance(r, Tensor)] + list(args)
            backends = list({a.backend.key: a.backend for a in loose if isinstance(a, Tensor)}.values())
        compilers = [be.step_compiler() for be in backends]
        if self.mode == "auto":
            paths = {"eager" if c is None else c.mode for c in compilers}
            return compilers[0] if len(paths) == 1 else None
        for compiler in compilers:
            if compiler is not None and compiler.mode == self.mode:
                return compiler
        where = ", ".join(be.key for be in backends) or "no tensors"
        raise CompiledStepError(f"anynn.compile: mode={self.mode!r} is not offered by the backend of the step's "
                                f"state ({where}); use mode='auto' or mode='eager'{_where_offered(self.mode)}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        chosen = stance.current()
        if chosen == "force_eager" or (chosen.endswith("eager_then_compile") and not self._ran_eagerly):
            self._ran_eagerly = True
            return self.fn(*args, **kwargs)
        if self._impl is None:
            self._choose(args)
        with stance.entered_step():
            return self._impl(*args, **kwargs)

    @property
    def trace_count(self) -> int:
        return 0 if self._impl is None else self._impl.trace_count

    @property
    def compile_seconds(self) -> list[float]:
        return [] if self._impl is None else self._impl.compile_seconds

    @property
    def cache_size(self) -> int:
        return 0 if self._impl is None else self._impl.cache_size

    def reset(self) -> None:
        """Forget the discovered state and compiled programs (after replacing a model, its layers or optimizer)."""
        if self._impl is not None:
            self._impl.reset()
        self._impl = None


def compile(fn: Callable[..., Any] | None = None, *, mode: str | None = "auto", donate: bool = True,  # noqa: A001
            fullgraph: bool = False, dynamic: bool | None = None, backend: Any = None,
            options: dict[str, Any] | None = None, disable: bool = False) -> Any:
    """Compile a training or evaluation step; ``@anynn.compile`` and ``@anynn.compile(mode=...)`` work too.

    A `Module` gives an `OptimizedModule`, as ``torch.compile(model)`` does: a Module holding ``model`` as
    ``_orig_mod`` (``state_dict`` keys prefixed ``_orig_mod.``) that runs it as written; compile the step
    that calls it to have it traced.

    Parameters
    ----------
    fn : the step. It closes over its model, loss and optimizer (closure, globals, ``self``); the state it
        touches is found without listing it.
    mode : ``"auto"`` (the path the backend of the state offers: jax → ``"jax"``, cupy → ``"cuda_graph"``,
        else ``"eager"``), or one of those to force it (a path the state's backend does not offer raises
        `CompiledStepError`).
    donate : on JAX, let XLA reuse the state's buffers (arrays read out of the model before a call are
        invalid after it; copy them to keep them).
    fullgraph, dynamic, backend, options : PyTorch's Inductor settings, accepted so programs run unchanged;
        a compiled step is always one whole program, retraced when shapes change. PyTorch's ``mode`` names
        (``None``, ``"default"``, ``"reduce-overhead"``, ``"max-autotune"``...) mean ``"auto"``.
    disable : ``True`` returns ``fn`` itself, as PyTorch does.

    Returns
    -------
    CompiledStep
        A callable with ``fn``'s signature (an `OptimizedModule` for a Module).
    """
    if mode in _TORCH_MODES:
        if mode is not None and options is not None:
            raise RuntimeError("anynn.compile: either mode or options can be given, not both")
        mode = "auto"
    if fn is None:
        return lambda f: compile(f, mode=mode, donate=donate, disable=disable)
    if mode not in _PATHS:  # PyTorch's words and class, when a function is given (a Module's mode was not read)
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(filter(None, _TORCH_MODES))} "
                           f"(anynn's own: {', '.join(_PATHS)})")
    if disable:
        return fn
    if isinstance(fn, Module):
        return OptimizedModule(fn)
    return CompiledStep(fn, mode=mode, donate=donate)
