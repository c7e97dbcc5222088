"""`GradScaler`: PyTorch's dynamic loss scaling for float16 training (``torch.amp.GradScaler``).

The loss is multiplied by a large scale before ``backward`` so that small float16 gradients do not flush to
zero; ``step`` divides the gradients by it again and skips the optimizer step when any gradient is inf or
NaN; ``update`` halves the scale after a skipped step and doubles it after ``growth_interval`` clean ones.

The inf/NaN check reads one value from the device per optimizer step: every gradient contributes a 0-d
"has a non-finite value" flag on its own device, the flags are combined there, and only the combined flag
is read.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from enum import Enum
from typing import Any

import numpy as np

from ..autograd.mode import no_grad
from ..autograd.tensor import Tensor
from ..backend import default_backend, dtype_name
from ..backend.torch_names import cuda_available


class OptState(Enum):
    """Where an optimizer stands in the current iteration (PyTorch's names)."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict[str, Any]:
    return {"stage": OptState.READY, "found_inf_per_device": {}, "found_inf": None}


def _float32(value: float) -> float:
    """``value`` rounded to float32, as PyTorch's float32 scale tensor holds it."""
    return float(np.float32(value))


class GradScaler:
    """Dynamic loss scaling, PyTorch's API and defaults.

    Parameters
    ----------
    device : {"cuda", "cpu"}
        The device type (PyTorch's argument). ``"cuda"`` without a usable CUDA device warns and disables the
        scaler, as PyTorch does: on NumPy or CPU torch data write ``GradScaler("cpu")``.
    init_scale, growth_factor, backoff_factor, growth_interval, enabled
        As in PyTorch: start at 2**16, double after 2000 clean steps, halve after a step with inf/NaN.

    Examples
    --------
    >>> import anynn
    >>> scaler = anynn.amp.GradScaler("cpu", init_scale=1024.0)
    >>> scaler.get_scale()
    1024.0
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda":
            if not cuda_available(default_backend()):  # anynn.cuda.is_available()
                warnings.warn("anynn.amp.GradScaler is enabled, but CUDA is not available.  Disabling. "
                              "(On CPU data use GradScaler('cpu'), as in PyTorch.)", UserWarning, stacklevel=2)
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._scale = _float32(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer_states: dict[int, dict[str, Any]] = {}
        self._scaled_once = False  # PyTorch makes its scale tensor in the first scale(): before it, no step

    # -- the training step ----------------------------------------------------------------------
    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a Tensor, or an iterable of them) multiplied by the scale; unchanged when disabled."""
        if not self._enabled:
            return outputs
        self._scaled_once = True
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, Iterable) and not isinstance(outputs, (str, bytes)):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _check_scaled(self, funcname: str) -> None:
        if not self._scaled_once:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  This may indicate your script did not "
                                 "use scaler.scale(loss or outputs) earlier in the iteration.")

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale in place and record whether any is inf/NaN.

        Call it before gradient clipping; `step` then does not unscale again.
        """
        if not self._enabled:
            return
        self._check_scaled("unscale_")
        state = self._state(optimizer)
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = _float32(1.0 / self._scale)  # the reciprocal in float64, rounded to float32, as PyTorch
        flags: dict[Any, list[Any]] = {}
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    grad = param.grad
                    if grad is None:
                        continue
                    xp = grad.backend.xp
                    if dtype_name(grad.array.dtype) == "float16":
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    # a new array, not in place: backward may hand one array to two parameters as their grad
                    grad.array = data = grad.array * inv_scale
                    flags.setdefault(grad.backend, []).append(xp.any(xp.logical_not(xp.isfinite(data))))
        state["found_inf_per_device"] = {
            backend: backend.xp.any(backend.xp.stack(found)) for backend, found in flags.items()
        }
        state["stage"] = OptState.UNSCALED

    def _found_inf(self, state: dict[str, Any]) -> bool:
        """Whether this optimizer's gradients held inf/NaN: one read from each device, once per iteration."""
        if state["found_inf"] is None:
            state["found_inf"] = any(bool(flag) for flag in state["found_inf_per_device"].values())
        return state["found_inf"]

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale (unless `unscale_` was called) and run ``optimizer.step()``, skipped if a gradient is inf/NaN.

        Returns what ``optimizer.step`` returns (``None`` when skipped).
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scaled("step")
        state = self._state(optimizer)
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        retval = None
        if not self._found_inf(state):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Update the scale at the end of the iteration (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        self._check_scaled("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                reason = "new_scale should be a float or a 1-element Tensor with requires_grad=False."
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(reason)
                new_scale = new_scale.item()
            self._scale = _float32(new_scale)
        else:
            states = [s for s in self._per_optimizer_states.values() if s["found_inf_per_device"]]
            if not states:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(self._found_inf(s) for s in states):
                self._scale = _float32(self._scale * self._backoff_factor)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = _float32(self._scale * self._growth_factor)
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer_states = {}

    # -- settings and state ---------------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self) -> int:
        return self._growth_tracker if self._enabled else 0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval``, ``_growth_tracker`` ({} if disabled).

        Plain numbers: `anynn.save_checkpoint(..., scaler=scaler)` stores them in the checkpoint.
        """
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` returned (a no-op when this scaler is disabled, as PyTorch)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = _float32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
