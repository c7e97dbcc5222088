"""`spectral_norm` / `remove_spectral_norm`: PyTorch's older hook-based spectral normalisation (Miyato et al.).

``module.<name>`` becomes ``<name>_orig / sigma``, sigma the largest singular value of ``<name>_orig`` seen as
a matrix ``(size(dim), -1)``, estimated by power iteration on the buffers ``<name>_u`` and ``<name>_v`` (one
step per training-mode call, none in eval mode). The keys are PyTorch's, so state dicts load across.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from ...autograd.tensor import Tensor
from ... import init
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..conv3d import ConvTranspose3d
from ..module import Module
from .weight_norm import NoSuchParameterError, _find, _remove

T_module = TypeVar("T_module", bound=Module)


def _normalize(xp: Any, x: Any, eps: float) -> Any:
    """``x / max(||x||, eps)`` for a 1-D array (``torch.nn.functional.normalize``'s formula)."""
    norm = xp.sqrt(xp.sum(x * x))
    return x / xp.maximum(norm, xp.full_like(norm, eps))


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``<name>_orig / sigma``."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` with axis ``dim`` first, flattened to ``(size(dim), -1)``."""
        return weight_matrix(weight, self.dim)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """``<name>_orig / sigma``; with ``do_power_iteration`` the buffers u, v are first refined (no grad)."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            xp = weight.backend.xp
            mat = weight_mat.array
            u_array, v_array = u.array, v.array
            for _ in range(self.n_power_iterations):
                v_array = _normalize(xp, xp.matmul(u_array, mat), self.eps)
                u_array = _normalize(xp, xp.matmul(mat, v_array), self.eps)
            u.array, v.array = u_array, v_array
        sigma = (u * (weight_mat @ v)).sum()  # u, v are constants: the gradient flows through weight_mat only
        return weight / sigma

    def remove(self, module: Module) -> None:
        from ..module import Parameter

        weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.array, backend=weight.backend, dtype=weight.dtype))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float) -> "SpectralNorm":
        if _find(module, name, SpectralNorm) is not None:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name)
        if weight is None:
            raise NoSuchParameterError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
        if not -weight.ndim <= dim < weight.ndim:
            raise IndexError(f"spectral_norm: dim {dim} is out of range for {name} of shape {tuple(weight.shape)}")
        fn = SpectralNorm(name, n_power_iterations, dim % weight.ndim, eps)
        h, w = fn.reshape_weight_to_matrix(weight).shape
        # u and v start as random unit vectors drawn on the host (principle 5: the same on every backend)
        u = _random_unit(h, eps, weight)
        v = _random_unit(w, eps, weight)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def weight_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` with axis ``dim`` first, flattened to (size(dim), product of the others); the sizes are named,
    not -1, which nothing infers when size(dim) is 0 (Linear(3, 0))."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], math.prod(weight.shape[1:]))


def _random_unit(size: int, eps: float, like: Tensor) -> Tensor:
    """A standard-normal ``(size,)`` draw from the host generator, normalised, on ``like``'s backend and dtype."""
    be = like.backend
    vector = Tensor._make(be.xp.zeros((size,), dtype=like.array.dtype, device=be.device), be, None, 0)
    init.normal_(vector)
    vector.array = _normalize(be.xp, vector.array, eps)
    return vector


def spectral_norm(module: T_module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> T_module:
    """Divide ``module.<name>`` by its spectral norm before every call, as ``torch.nn.utils.spectral_norm``.

    ``dim`` is the output axis of the weight matrix: 1 for ConvTranspose layers, 0 otherwise (the default
    ``None`` picks it). Adds the parameter ``<name>_orig`` and the buffers ``<name>_u: (size(dim),)`` and
    ``<name>_v: (numel / size(dim),)``. Returns the module.
    """
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo `spectral_norm`: ``module.<name>`` is a plain Parameter holding the current normalised weight."""
    return _remove(module, name, SpectralNorm, "spectral_norm")
