"""Inference tensors: what ``inference_mode()`` makes, with PyTorch's rules.

A tensor made inside ``inference_mode()`` (by an operation or a factory) is an *inference tensor*
(``t.is_inference()``), and so is every view of one. Outside inference mode such a tensor

- may be read by any operation (the result is an ordinary tensor), but not *saved* by a Function whose backward
  would read it: ``x * y`` with ``x`` requiring grad refuses, ``x + y`` (which saves nothing) runs;
- may not change in place (``y.add_(1)``, ``y[0] = 1``, ``copy_``, ``out=y``), and may not start requiring grad.

Inside inference mode all of that is allowed. The hot paths read two one-item lists (`active_threads`, `made`) first:
while no thread is in inference mode and no inference tensor was ever made, operations pay one list lookup.
"""

from __future__ import annotations

from typing import Any, Callable

from .mode import inference_flag
from .mode import inference_threads as active_threads

# [whether an inference tensor was ever made]: while False, nothing can be one, and no check runs
made = [False]

_SAVED = ("Inference tensors cannot be saved for backward: {name} would keep an input made in inference_mode() for "
          "its backward. Use a clone of the tensor (an ordinary tensor) in code that autograd records, or make it "
          "under no_grad() instead of inference_mode()")
_INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed ({name} on a tensor made in "
            "inference_mode()); clone it first to get an ordinary tensor")
_REQUIRES_GRAD = ("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed (the tensor "
                  "was made in inference_mode()); clone it first to get an ordinary tensor")


def enabled() -> bool:
    """Whether the calling thread is inside ``inference_mode(True)`` now."""
    return bool(active_threads[0]) and inference_flag.enabled


def is_inference(t: Any) -> bool:
    """Whether ``t`` is a Tensor made in inference mode (or a view of such a tensor)."""
    return getattr(t, "__dict__", {}).get("_inference", False)


def mark(t: Any) -> None:
    """Make ``t`` an inference tensor."""
    t.__dict__["_inference"] = True
    made[0] = True


def after_apply(fn: Any, args: tuple[Any, ...], results: Any, recorded: bool,
                saved_arrays: Callable[[Any], set[int] | None]) -> None:
    """Called by `Function.apply` while some thread is in inference mode or an inference tensor exists: refuse an
    inference input that the recorded ``fn`` saved, else mark ``results`` (a Tensor or a tuple of them) where they
    are inference tensors (made in inference mode, or views of one). ``saved_arrays(fn)``: the ids of the arrays
    ``fn`` saved (None: unknown)."""
    if recorded:
        if made[0]:
            _refuse_saved(fn, args, saved_arrays)
        return
    # a view is what its base is (in inference mode or not); anything else is one where it was made in the mode
    if is_inference(args[0]) if type(fn).makes_view else enabled():
        for t in results if isinstance(results, tuple) else (results,):
            mark(t)


def _refuse_saved(fn: Any, args: tuple[Any, ...], saved_arrays: Callable[[Any], set[int] | None]) -> None:
    """RuntimeError where ``fn`` (just recorded) saved the array of an inference tensor among ``args``."""
    inputs = [a for a in args if is_inference(a)]
    if not inputs or enabled():
        return
    saved = saved_arrays(fn)
    for t in inputs:
        if saved is not None and id(t.array) in saved:  # (None: it saved an object; let it be)
            raise RuntimeError(_SAVED.format(name=type(fn).__name__))


def refuse_saved_tensors(name: str, tensors: list[Any]) -> None:
    """RuntimeError where a custom Function ``name`` gave an inference tensor to ``ctx.save_for_backward``."""
    if any(is_inference(t) for t in tensors) and not enabled():
        raise RuntimeError(_SAVED.format(name=name))


def refuse_inplace(t: Any, name: str) -> None:
    """RuntimeError where ``t`` is an inference tensor changed in place outside inference mode (before any write)."""
    if made[0] and is_inference(t) and not enabled():
        raise RuntimeError(_INPLACE.format(name=name))


def refuse_requires_grad(t: Any) -> None:
    """RuntimeError where the inference tensor ``t`` would start requiring grad outside inference mode."""
    if made[0] and is_inference(t) and not enabled():
        raise RuntimeError(_REQUIRES_GRAD)
