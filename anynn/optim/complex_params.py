"""Complex parameters in the optimizers: PyTorch's rule, the update of the real view.

PyTorch's optimizers update a complex parameter as ``torch.view_as_real`` of it: its real and imaginary parts are
two real parameters, each with its own adaptive statistics (Adam's second moment is ``re(g)²`` and ``im(g)²``,
not ``|g|²`` or ``g²``). `update_as_real` runs an optimizer's real-valued ``update`` on that view and keeps the
state complex, shaped as the parameter, as PyTorch's is (so a state dict moves between the two libraries).
"""

from __future__ import annotations

from typing import Any, Callable

from ..backend import Backend
from ..functional.formulas.conjugate import make_complex
from ..functional.dtype_kinds import isdtype

__all__ = ["is_complex_dtype", "update_as_real"]


def is_complex_dtype(backend: Backend, dtype: Any) -> bool:
    """Whether ``dtype`` (a native dtype of ``backend``) is complex."""
    return isdtype(backend.xp, dtype, "complex floating")


def update_as_real(update: Callable[..., Any], param: Any, grad: Any, state: dict[str, Any],
                   group: dict[str, Any], backend: Backend) -> Any:
    """``update(param, grad, state, group, backend)`` of a complex ``param`` (*) on its real view (*, 2).

    The state's complex arrays enter as their real views and every (*, 2) real array it holds afterwards (those
    the update made at the first step included) goes back complex; numbers and 0-d counters pass unchanged.
    """
    xp = backend.xp
    dtype = param.dtype
    view_shape = tuple(param.shape) + (2,)

    def real_view(a: Any) -> Any:
        return xp.stack([xp.real(a), xp.imag(a)], axis=-1)

    def is_array(value: Any) -> bool:
        return hasattr(value, "shape") and hasattr(value, "dtype")

    for name, value in state.items():
        if is_array(value) and is_complex_dtype(backend, value.dtype):
            state[name] = real_view(value)
    new = update(real_view(param), real_view(grad), state, group, backend)
    for name, value in state.items():
        if is_array(value) and tuple(value.shape) == view_shape and not is_complex_dtype(backend, value.dtype):
            state[name] = make_complex(xp, value[..., 0], value[..., 1], dtype)
    return make_complex(xp, new[..., 0], new[..., 1], dtype)
