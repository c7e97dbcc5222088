"""More of PyTorch's tensor factories: ``tensor(device=)``, ``as_tensor``, ``empty``/``empty_like``,
``logspace``, the random ``normal``, ``bernoulli``, ``randint_like``, and the process-wide settings
``get_default_dtype``/``set_default_dtype``, ``set_printoptions``.

Random values are drawn on the host from NumPy (a seed, an `anynn.Generator`, or the default generator that
`anynn.manual_seed` seeds) and moved to the backend, so one seed gives the same values on every backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import creation, init
from .autograd.tensor import Tensor
from .backend import dtype_name
from .dtypes import dtype as _dtype


def tensor(data: Any, backend: Any = None, dtype: Any = None, requires_grad: bool = False, *, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (``torch.tensor``), on ``backend`` / ``device`` (``"cpu"``,
    ``"cuda"``, ``x.device``; see `anynn.device`). Python floats become float32, integers int64."""
    be = creation._where(backend, device) if device is not None else backend
    return Tensor(data, backend=be, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None, *, backend: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (``torch.as_tensor``): a `Tensor` already of that dtype
    and backend comes back as it is, a NumPy array shares its memory where the backend can (see `from_numpy`);
    anything else is copied."""
    if isinstance(data, Tensor):
        be = data.backend if backend is None and device is None else creation._where(
            data.backend if backend is None else backend, device)
        out = data if be == data.backend else data.to(be)
        return out if dtype is None or out.dtype == _dtype(dtype_name(dtype)) else out.astype(dtype)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc" and (dtype is None or dtype_name(dtype)
                                                                         == data.dtype.name):
        return creation.from_numpy(data, backend=creation._where(backend, device))
    return tensor(data, backend=backend, dtype=dtype, device=device)


def empty(*size: Any, dtype: Any = None, backend: Any = None, device: Any = None, requires_grad: bool = False,
          **_: Any) -> Tensor:
    """A tensor of shape ``size`` whose values are not to be relied on (anynn fills zeros; ``torch.empty``)."""
    return creation.zeros(*size, dtype=dtype, backend=backend, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: Any = None, backend: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, **_: Any) -> Tensor:
    """`empty` with the shape (and, unless given, the dtype and backend) of ``input``."""
    return creation.zeros_like(input, dtype=dtype, backend=backend, device=device, requires_grad=requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None, backend: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)`` (``torch.logspace``), computed in float64 then cast."""
    exponents = creation.linspace(start, end, steps, dtype="float64", backend=backend, device=device)
    out = (float(base) ** exponents).astype(dtype or "float32")
    out.requires_grad = requires_grad
    return out


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           backend: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples with ``mean`` and ``std`` (numbers, with ``size``; or tensors, elementwise and broadcast),
    as ``torch.normal``. The result is a new leaf: no gradient flows to ``mean`` or ``std``."""
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is None:
        if size is None:
            raise TypeError("normal: with number mean and std, give size")
        z = creation.randn(size, generator=generator, dtype=dtype, backend=backend, device=device)
        out = z * float(std) + float(mean)
    else:
        shape = np.broadcast_shapes(*(tuple(v.shape) for v in (mean, std) if isinstance(v, Tensor)))
        z = creation.randn(shape, generator=generator, dtype=dtype or dtype_name(like.dtype), backend=like.backend)
        out = (z * std.detach() if isinstance(std, Tensor) else z * float(std)) + (
            mean.detach() if isinstance(mean, Tensor) else float(mean))
    out = out.detach()
    out.requires_grad = requires_grad
    return out


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (or ``p``) else 0, elementwise, in ``input``'s dtype (``torch.bernoulli``)."""
    u = creation.rand(tuple(input.shape), generator=generator, dtype="float64", backend=input.backend)
    probability = input.detach().astype("float64") if p is None else float(p)
    return (u < probability).astype(input.dtype)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None,  # noqa: A002
                 dtype: Any = None, backend: Any = None, device: Any = None) -> Tensor:
    """Integers uniform on ``[low, high)`` with ``input``'s shape (``randint_like(x, high)`` starts at 0)."""
    if high is None:
        low, high = 0, low
    be = input.backend if backend is None else backend
    return creation.randint(low, high, tuple(input.shape), generator=generator,
                            dtype=dtype or dtype_name(input.dtype), backend=be, device=device)


def get_default_dtype() -> _dtype:
    """The dtype of floating tensors made without one: float32, as PyTorch's default."""
    return _dtype("float32")


def set_default_dtype(d: Any) -> None:
    """Accepted for float32 (the default); anynn has no global floating dtype to change: pass ``dtype=`` to
    factories and layers, or call ``module.to(anynn.float64)`` / ``module.double()``."""
    if dtype_name(d) != "float32":
        raise NotImplementedError(
            f"set_default_dtype({dtype_name(d)}): anynn keeps float32 as the default dtype (no global state in the "
            f"math); pass dtype= to factories and layers, or use module.to(anynn.{dtype_name(d)})")


def set_printoptions(precision: int | None = None, threshold: int | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print (``torch.set_printoptions``): anynn prints through NumPy on the host, so these become
    NumPy's print options. ``profile`` is ``"default"``, ``"short"`` or ``"full"``; ``sci_mode=False``
    suppresses scientific notation (``True`` leaves NumPy's choice)."""
    profiles = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
                "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
                "full": dict(precision=4, threshold=np.inf, edgeitems=3, linewidth=80)}
    if profile is not None and profile not in profiles:
        raise ValueError(f"set_printoptions: profile must be one of {sorted(profiles)}, got {profile!r}")
    options: dict[str, Any] = dict(profiles[profile]) if profile is not None else {}
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    options.update({k: v for k, v in given.items() if v is not None})
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    np.set_printoptions(**options)


def default_generator() -> np.random.Generator:
    """The generator `anynn.manual_seed` seeds (``torch.default_generator``'s counterpart, as a function)."""
    return init.default_generator()


__all__ = ["as_tensor", "bernoulli", "empty", "empty_like", "get_default_dtype", "logspace", "normal",
           "randint_like", "set_default_dtype", "set_printoptions", "tensor"]
