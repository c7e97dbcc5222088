"""`weight_norm` / `remove_weight_norm`: PyTorch's older hook-based weight normalisation (Salimans & Kingma).

The parameter ``name`` is replaced by ``name_g`` (the magnitude) and ``name_v`` (the direction), and a forward
pre-hook sets ``module.<name> = name_g * name_v / ||name_v||`` before every call, so the state-dict keys are
PyTorch's (``weight_g``, ``weight_v``) and state dicts load across.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from ...autograd.mode import no_grad
from ...autograd.tensor import Tensor
from ..module import Module, Parameter

T_module = TypeVar("T_module", bound=Module)


class NoSuchParameterError(ValueError, AttributeError, KeyError):
    """`weight_norm` / `spectral_norm` of a name the module has no parameter under: PyTorch's AttributeError
    (weight_norm) and KeyError (spectral_norm), and a ValueError."""

    def __str__(self) -> str:  # KeyError's own str() would quote the message
        return str(self.args[0]) if self.args else ""


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every axis but ``dim``, kept as size-1 axes (``dim=-1``: one 0-d norm).

    ``v: (d0, ..., dn)`` -> ``(1, ..., d_dim, ..., 1)``; differentiable.
    """
    if dim == -1:
        return (v * v).sum().sqrt()
    axes = tuple(i for i in range(v.ndim) if i != dim)
    if not axes:  # a 1-D v normalised along its only axis: each entry is its own vector
        return (v * v).sqrt()
    return (v * v).sum(dim=axes, keepdim=True).sqrt()


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module) -> Tensor:
        """``g * v / ||v||`` (norm over every axis but ``dim``), recorded on the tape."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> "WeightNorm":
        if _find(module, name) is not None:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name)
        if weight is None:
            raise NoSuchParameterError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
        if dim is None or dim == -1:
            dim = -1  # PyTorch's spelling of "one norm over the whole tensor"
        elif not -weight.ndim <= dim < weight.ndim:
            raise IndexError(f"weight_norm: dim {dim} is out of range for {name} of shape {tuple(weight.shape)}")
        else:
            dim %= weight.ndim
        fn = WeightNorm(name, dim)
        with no_grad():
            g = norm_except_dim(weight, dim)
        delattr(module, name)
        module.register_parameter(name + "_g", Parameter(g.array, backend=weight.backend, dtype=weight.dtype))
        module.register_parameter(name + "_v", Parameter(weight.array, backend=weight.backend, dtype=weight.dtype))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        setattr(module, self.name, Parameter(weight.array, backend=weight.backend, dtype=weight.dtype))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: T_module, name: str = "weight", dim: int | None = 0) -> T_module:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||``, as ``torch.nn.utils.weight_norm``.

    ``dim=0`` keeps one magnitude per output channel (``weight_g: (out, 1, ...)``); ``dim=None`` one for the
    whole tensor (``weight_g: ()``). Returns the module. Deprecated, with PyTorch's FutureWarning, for
    `anynn.nn.utils.parametrizations.weight_norm` (state dict keys ``parametrizations.weight.original0/1``).
    """
    warnings.warn("`anynn.nn.utils.weight_norm` is deprecated in favor of "
                  "`anynn.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo `weight_norm`: ``module.<name>`` is a plain Parameter again, holding the current weight."""
    return _remove(module, name, WeightNorm, "weight_norm")


def _remove(module: T_module, name: str, kind: type, what: str) -> T_module:
    """Take ``module``'s reparametrising hook of class ``kind`` for ``name`` off (its ``remove`` leaves a plain
    Parameter); ``what``: the function that added it, for the error when there is none."""
    found = _find(module, name, kind)
    if found is None:
        raise ValueError(f"{what} of '{name}' not found in {module}")
    key, hook = found
    hook.remove(module)
    del module._hooks.forward_pre[key]
    return module


def _find(module: Module, name: str, kind: type = WeightNorm) -> tuple[int, Any] | None:
    """The (key, hook) of ``module``'s forward pre-hook of class ``kind`` for ``name``, or None."""
    hooks = module.__dict__.get("_hooks")
    if hooks is None:
        return None
    for key, hook in hooks.forward_pre.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None
