"""PyTorch's spellings of the numerical checks: ``anynn.autograd.gradcheck`` / ``gradgradcheck``.

Custom-Function tutorials and second-order programs call ``torch.autograd.gradcheck(fn, inputs)`` and
``torch.autograd.gradgradcheck(fn, inputs)``; these run anynn's own `grad_check` / `gradgrad_check` (central
differences in float64 of the outputs projected on fixed random weights) with PyTorch's arguments, return value
(``True``, or ``False`` with ``raise_exception=False``) and error class (`GradcheckError`, a ``RuntimeError``).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .grad_check import GradientCheckError, grad_check
from .gradgrad_check import gradgrad_check
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """A numerical check failed (PyTorch's ``torch.autograd.gradcheck.GradcheckError``)."""


def _as_tuple(inputs: Any) -> tuple[Any, ...]:
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _run(check: Callable[[], bool], raise_exception: bool) -> bool:
    try:
        return check()
    except GradientCheckError as error:
        if raise_exception:
            raise GradcheckError(str(error)) from None
        return False


def gradcheck(func: Callable[..., Any], inputs: Tensor | Sequence[Any], *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked: bool | None = None) -> bool:
    """``func(*inputs)``'s gradients against central differences, for every input that requires a gradient.

    ``inputs``: a Tensor or a sequence (Tensors that require a gradient should be float64 or complex128: another
    floating dtype is warned about, as PyTorch warns, and checked in its own precision; other entries are passed as
    they are). ``func`` returns a Tensor or a tuple of Tensors. The options after
    ``raise_exception`` are accepted for PyTorch's signature; the check is always the backward one.

    Returns True when the gradients agree within ``atol + rtol * |numerical|``; False where they do not and
    ``raise_exception`` is False. Raises `GradcheckError` otherwise.
    """
    args = _as_tuple(inputs)
    assert check_forward_ad or check_backward_ad, (  # (PyTorch's assertion, as PyTorch raises it)
        "Expected at least one of check_forward_ad or check_backward_ad to be True")
    if not check_backward_ad:
        return True
    return _run(lambda: grad_check(func, *args, eps=eps, atol=atol, rtol=rtol, warn_low_precision=True),
                raise_exception)


def gradgradcheck(func: Callable[..., Any], inputs: Tensor | Sequence[Any],
                  grad_outputs: Tensor | Sequence[Any] | None = None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """The derivatives of ``func``'s gradient (recorded with ``create_graph=True``) against central differences.

    ``grad_outputs``: the output gradients to differentiate through (a Tensor or one per output); random ones
    where None, as PyTorch draws. Returns and raises as `gradcheck`.
    """
    args = _as_tuple(inputs)
    assert check_fwd_over_rev or check_rev_over_rev, (  # (PyTorch's assertions)
        "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    assert check_rev_over_rev or not check_undefined_grad, (
        "Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if not check_rev_over_rev:
        return True
    checked = func
    if grad_outputs is not None:
        weights = _as_tuple(grad_outputs)

        def checked(*xs: Any) -> Any:  # the scalar <grad_outputs, func(xs)>: its gradient is the vjp PyTorch checks
            out = func(*xs)
            total = None
            for o, w in zip(out if isinstance(out, tuple) else (out,), weights):
                if w is not None:
                    term = (o * w).sum()
                    total = term if total is None else total + term
            return total

    return _run(lambda: gradgrad_check(checked, *args, eps=eps, atol=atol, rtol=rtol,
                                               warn_low_precision=True), raise_exception)


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
