"""Linear + bias + activation in one cuBLASLt call for CuPy, through ``nvmath-python`` (optional extra).

``y = act(x @ weightᵀ + bias)`` is computed as ``(act(weight @ xᵀ + bias))ᵀ``: cuBLASLt's bias epilogue adds
a vector along the rows of the product (its M dimension), which is ``out_features`` in that orientation.
``act`` is ``"relu"`` (epilogue ``RELU_BIAS``; the backward reads the output, ``y > 0`` is the mask) or
``"gelu_tanh"`` (``GELU_AUX_BIAS`` when training: the auxiliary output is the pre-activation, which the
backward needs; ``GELU_BIAS`` otherwise). cuBLASLt's GELU is the tanh form, so only ``nn.GELU("tanh")``
fuses. One planned ``nvmath.linalg.advanced.Matmul`` per shape, layout, dtype and epilogue, kept per thread
(a stateful Matmul holds its operands); a call it cannot take returns ``NotImplemented``.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Callable

from .base import dtype_name
from .per_device import PerDevice

DTYPES = frozenset({"float32", "float16", "bfloat16"})
ACTIVATIONS = ("relu", "gelu_tanh")


def load_nvmath() -> tuple[Any, str]:
    """``(nvmath.linalg.advanced, "nvmath-python x.y")`` or ``(None, why not)``."""
    try:
        advanced = importlib.import_module("nvmath.linalg.advanced")
        version = getattr(importlib.import_module("nvmath"), "__version__", "?")
    except ImportError as exc:
        return None, (f"nvmath-python is not installed ({exc}); pip install 'anynn[cuda12-epilogues]' or "
                      "'anynn[cuda13-epilogues]'")
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, never fatal
        return None, f"nvmath-python failed to import ({type(exc).__name__}: {exc})"
    return advanced, f"cuBLASLt epilogues through nvmath-python {version}"


class LinearEpilogue:
    """``linear_activation(x, weight, bias, activation, training) -> (y, aux)`` on one device, or NotImplemented.

    x (N, in), weight (out, in), bias (out,), one dtype of `DTYPES`; ``aux`` is the pre-activation
    (N, out) for ``"gelu_tanh"`` when training, else None.
    """

    def __init__(self, advanced: Any, device_id: int) -> None:
        self.advanced = advanced
        self.device_id = device_id
        self._local = threading.local()
        self.refused: dict[tuple, str] = {}
        self.plans = 0  # planned Matmul objects, all threads

    def _epilog(self, activation: str, training: bool) -> Any:
        epilogs = self.advanced.MatmulEpilog
        if activation == "relu":
            return epilogs.RELU_BIAS
        return epilogs.GELU_AUX_BIAS if training else epilogs.GELU_BIAS

    def __call__(self, x: Any, weight: Any, bias: Any, activation: str, training: bool) -> Any:
        if (x.ndim != 2 or weight.ndim != 2 or bias is None or bias.ndim != 1 or activation not in ACTIVATIONS
                or dtype_name(x.dtype) not in DTYPES or not x.dtype == weight.dtype == bias.dtype):
            return NotImplemented
        gelu_aux = activation == "gelu_tanh" and training
        b = x.T  # (in, N)
        key = (tuple(x.shape), tuple(x.strides), tuple(weight.shape), tuple(weight.strides), x.dtype.name,
               activation, gelu_aux)
        if key in self.refused:
            return NotImplemented
        matmuls = self._local.__dict__.setdefault("matmuls", {})
        inputs = {"bias": bias}
        try:
            mm = matmuls.get(key)
            if mm is None:
                mm = self.advanced.Matmul(weight, b)
                mm.plan(epilog=self._epilog(activation, training), epilog_inputs=inputs)
                matmuls[key] = mm
                self.plans += 1
            else:
                mm.reset_operands(a=weight, b=b, epilog_inputs=inputs)
            result = mm.execute()
        except Exception as exc:  # noqa: BLE001 - a layout or dtype cuBLASLt refuses: the portable path
            matmuls.pop(key, None)
            self.refused[key] = f"{type(exc).__name__}: {exc}"
            return NotImplemented
        if gelu_aux:
            out, aux = result
            return out.T, aux["gelu_aux"][: weight.shape[0]].T  # (out rounded up to 8, N) → (N, out)
        return result.T, None


_LOADED: PerDevice[LinearEpilogue] = PerDevice()


def linear_activation_for(device_id: int) -> tuple[Callable[..., Any] | None, str]:
    """The fused linear + activation of one CUDA device, or ``(None, why not)``."""

    def make() -> tuple[LinearEpilogue | None, str]:
        advanced, reason = load_nvmath()
        return (None if advanced is None else LinearEpilogue(advanced, device_id), reason)

    return _LOADED.get(device_id, make)
