"""PyTorch's ``device=`` constructor argument, given once to every layer that takes ``backend=``.

``nn.Linear(4, 3, device="cuda")`` means what ``nn.Linear(4, 3).to("cuda")`` means: the device name is read
against the layer's backend (the default one unless ``backend=`` is given; see `anynn.device`), and the layer
is built straight on the backend that results, so nothing is copied. `Module.__init_subclass__` calls
`add_device_argument` for every layer class, so a new layer gets the argument by taking ``backend=``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ..backend import get_backend
from ..device import resolve

P = inspect.Parameter


def add_device_argument(cls: type) -> None:
    """Give ``cls.__init__`` a keyword-only ``device=None`` when it takes ``backend`` (and no ``device`` yet).

    A class opts out with ``_device_argument = False`` (containers such as `Sequential`, which PyTorch builds
    without one).
    """
    init = cls.__dict__.get("__init__")
    if init is None or not getattr(cls, "_device_argument", True) or getattr(init, "_adds_device", False):
        return
    signature = inspect.signature(init)
    if "backend" not in signature.parameters or "device" in signature.parameters:
        return
    cls.__init__ = _with_device(init, signature)  # type: ignore[misc]


def _with_device(init: Callable[..., None], signature: inspect.Signature) -> Callable[..., None]:
    @functools.wraps(init)
    def init_with_device(self: Any, *args: Any, device: Any = None, **kwargs: Any) -> None:
        if device is not None:
            bound = signature.bind(self, *args, **kwargs)
            bound.arguments["backend"] = resolve(device, get_backend(bound.arguments.get("backend")))
            args, kwargs = bound.args[1:], bound.kwargs
        init(self, *args, **kwargs)

    params = list(signature.parameters.values())
    at = next((i for i, p in enumerate(params) if p.kind == P.VAR_KEYWORD), len(params))
    params.insert(at, P("device", P.KEYWORD_ONLY, default=None, annotation="Any"))
    init_with_device.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    init_with_device._adds_device = True  # type: ignore[attr-defined]
    return init_with_device
