"""``torch.nn.utils.prune`` under PyTorch's names: masks that zero parts of a parameter.

Pruning ``module.<name>`` moves the Parameter to ``<name>_orig`` (the same object, so an optimizer built
before keeps training it), stores the 0/1 mask as the buffer ``<name>_mask``, and registers the method as a
forward pre-hook that sets the plain attribute ``module.<name> = <name>_mask * <name>_orig`` before every
call; the state-dict keys are PyTorch's, so pruned checkpoints load across. Pruning the same parameter again
wraps the methods in a `PruningContainer` that applies the new one to what is still unpruned. `remove` makes
the pruning permanent: ``<name>`` is a Parameter again, holding the masked values.

A method is a `BasePruningMethod` subclass with ``PRUNING_TYPE`` (``"unstructured"``, ``"structured"``
with a ``dim``, or ``"global"``) and ``compute_mask(t, default_mask)``; the built-in ones are `Identity`,
`RandomUnstructured`, `L1Unstructured`, `RandomStructured`, `LnStructured` and `CustomFromMask`.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, TypeVar

from ...factories import ones_like, rand, rand_like, zeros_like
from ...autograd.tensor import Tensor
from ..module import Module
from .convert_parameters import parameters_to_vector

T_module = TypeVar("T_module", bound=Module)

__all__ = ["BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured", "LnStructured", "PruningContainer",
           "RandomStructured", "RandomUnstructured", "custom_from_mask", "global_unstructured", "identity",
           "is_pruned", "l1_unstructured", "ln_structured", "random_structured", "random_unstructured", "remove"]


class BasePruningMethod(ABC):
    """A pruning method: ``compute_mask`` says what to zero; the base class attaches it to a module.

    Subclasses set ``PRUNING_TYPE`` and write ``compute_mask(t, default_mask)``, which returns a mask of
    ``t``'s shape that keeps zero wherever ``default_mask`` (the mask of earlier pruning) is zero.
    """

    PRUNING_TYPE: str
    _tensor_name: str

    def __call__(self, module: Module, inputs: Any) -> None:
        # the forward pre-hook: the pruned tensor is recomputed (and recorded on the tape) before each call
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for ``t`` (same shape), zero wherever ``default_mask`` is zero."""

    def apply_mask(self, module: Module) -> Tensor:
        """``<name>_mask * <name>_orig`` of ``module``, in the parameter's dtype."""
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Tensor | None = None,
              **kwargs: Any) -> "BasePruningMethod":
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)`` (added to the earlier pruning of that tensor).

        ``importance_scores`` (``<name>``'s shape; default the tensor itself) is what the mask is computed from.
        """
        old = _find(module, name)
        if old is not None:
            del module._hooks.forward_pre[old[0]]
        method: BasePruningMethod = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            container = PruningContainer(old[1])
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name)
        if not isinstance(orig, Tensor):  # PyTorch fails in ones_like(None) with a TypeError
            raise TypeError(f"prune: {type(module).__name__}.{name} is {type(orig).__name__}, not a Tensor to prune "
                            f"(a layer built with bias=False has bias None)")
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(orig.shape):
            raise ValueError(f"prune: importance_scores should have the same shape as parameter {name} of "
                             f"{type(module).__name__}, {tuple(orig.shape)}, got {tuple(importance_scores.shape)}")
        scores = orig if importance_scores is None else importance_scores
        first = not isinstance(method, PruningContainer)
        if first:
            if module._parameters.get(name) is not orig:
                raise ValueError(f"prune: {type(module).__name__}.{name} is not a parameter")
            delattr(module, name)
            module.register_parameter(name + "_orig", orig)
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # put the parameter back as it was
                param = getattr(module, name + "_orig")
                delattr(module, name + "_orig")
                module.register_parameter(name, param)
            raise
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None, importance_scores: Tensor | None = None) -> Tensor:
        """``t`` times its mask (computed from ``importance_scores``, default ``t``), without touching a module."""
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(t.shape):
            raise ValueError(f"prune: importance_scores should have the same shape as the tensor, {tuple(t.shape)}, "
                             f"got {tuple(importance_scores.shape)}")
        scores = t if importance_scores is None else importance_scores
        default_mask = ones_like(t) if default_mask is None else default_mask
        return t * self.compute_mask(scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``<name>`` becomes a Parameter holding ``mask * orig``."""
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        delattr(module, self._tensor_name + "_orig")
        delattr(module, self._tensor_name + "_mask")
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The successive pruning methods of one tensor; a new method acts on what the earlier ones left."""

    def __init__(self, *args: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod | None) -> None:
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' to "
                             f"PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Any:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the newest method's mask written over the part it may still prune: the kept
        entries (unstructured), the kept channels along its ``dim`` (structured), or all of it (global)."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            keep = default_mask == 1
            new_mask[keep] = method.compute_mask(t[keep], default_mask=default_mask[keep]).to(dtype=new_mask.dtype)
            return new_mask
        if method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("Pruning methods of PRUNING_TYPE 'structured' need to have the attribute `dim` "
                                     "defined.")
            dim = method.dim + t.ndim if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor of size {tuple(t.shape)}")
            others = [d for d in range(t.ndim) if d != dim]
            kept = default_mask.sum(dim=others) != 0 if others else default_mask != 0
            slc: list[Any] = [slice(None)] * t.ndim
            slc[dim] = kept
            part = method.compute_mask(t[tuple(slc)], default_mask=default_mask[tuple(slc)])
            new_mask[tuple(slc)] = part.to(dtype=new_mask.dtype)
            return new_mask
        if method.PRUNING_TYPE == "global":
            return method.compute_mask(t, default_mask=default_mask).to(dtype=new_mask.dtype)
        raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (the parameter still gets ``_orig`` and ``_mask``)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> "Identity":  # type: ignore[override]
        return super().apply(module, name)  # type: ignore[return-value]


class _Unstructured(BasePruningMethod):
    """Zeroes the ``amount`` entries (a count, or a fraction of the tensor) of smallest `_scores`."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def _scores(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        n_prune = _n_to_prune(self.amount, t.numel())
        _validate_amount(n_prune, t.numel())
        return _zero_smallest(default_mask, self._scores(t), n_prune)


class RandomUnstructured(_Unstructured):
    """Zeroes ``amount`` entries (a count, or a fraction of the tensor) chosen at random."""

    def _scores(self, t: Tensor) -> Tensor:
        return rand_like(t)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float) -> "RandomUnstructured":  # type: ignore[override]
        return super().apply(module, name, amount=amount)  # type: ignore[return-value]


class L1Unstructured(_Unstructured):
    """Zeroes the ``amount`` entries (a count, or a fraction) of smallest absolute value."""

    def _scores(self, t: Tensor) -> Tensor:
        return t.detach().abs()

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> "L1Unstructured":
        return super().apply(module, name, amount=amount,  # type: ignore[return-value]
                             importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    """Zeroes the ``amount`` slices along ``dim`` (channels for ``dim=0``) of smallest `_slice_scores`."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def _slice_scores(self, t: Tensor, dim: int) -> Tensor:
        """One score per slice of ``t`` along ``dim`` (non-negative): (t.shape[dim],)."""
        raise NotImplementedError

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _validate_structured(t, self.dim)
        size = t.shape[self.dim]
        n_prune = _n_to_prune(self.amount, size)
        _validate_amount(n_prune, size)
        if n_prune == 0:
            return default_mask
        dim = self.dim % t.ndim
        keep = self._slice_scores(t, dim).topk(size - n_prune).indices
        return _keep_slices(t, dim, keep) * default_mask.to(dtype=t.dtype)


class RandomStructured(_Structured):
    """Zeroes ``amount`` whole slices along ``dim`` (channels for ``dim=0``), chosen at random."""

    def _slice_scores(self, t: Tensor, dim: int) -> Tensor:
        return rand(t.shape[dim], dtype=t.dtype, backend=t.backend, device=t.device)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float, dim: int = -1) -> "RandomStructured":  # type: ignore[override]
        return super().apply(module, name, amount=amount, dim=dim)  # type: ignore[return-value]


class LnStructured(_Structured):
    """Zeroes the ``amount`` slices along ``dim`` of smallest ``n``-norm (``n``: a number, ``inf``, ``-inf``,
    ``"fro"`` or ``"nuc"``, as `torch.norm`'s ``p``)."""

    def __init__(self, amount: int | float, n: Any, dim: int = -1) -> None:
        super().__init__(amount, dim)
        self.n = n

    def _slice_scores(self, t: Tensor, dim: int) -> Tensor:
        return t.detach().norm(p=self.n, dim=[d for d in range(t.ndim) if d != dim])

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float, n: Any, dim: int,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> "LnStructured":
        return super().apply(module, name, amount=amount, n=n, dim=dim,  # type: ignore[return-value]
                             importance_scores=importance_scores)


class MaskShapeError(ValueError, AssertionError):
    """A custom mask whose shape is not the parameter's: PyTorch asserts it (AssertionError), and a ValueError."""


class CustomFromMask(BasePruningMethod):
    """Applies a given 0/1 ``mask`` (multiplied into the earlier mask)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise MaskShapeError(f"custom_from_mask: the mask has shape {tuple(self.mask.shape)}, the parameter "
                                 f"{tuple(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor) -> "CustomFromMask":  # type: ignore[override]
        return super().apply(module, name, mask=mask)  # type: ignore[return-value]


def identity(module: T_module, name: str) -> T_module:
    """Attach an all-ones mask to ``module.<name>`` (``<name>_orig`` and ``<name>_mask`` appear). Returns module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: T_module, name: str, amount: int | float) -> T_module:
    """Zero ``amount`` random entries of ``module.<name>`` (an int: that many; a float in [0, 1]: that fraction)."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: T_module, name: str, amount: int | float,
                    importance_scores: Tensor | None = None) -> T_module:
    """Zero the ``amount`` entries of ``module.<name>`` of smallest ``|importance_scores|`` (default the tensor)."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: T_module, name: str, amount: int | float, dim: int) -> T_module:
    """Zero ``amount`` random slices of ``module.<name>`` along ``dim``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: T_module, name: str, amount: int | float, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> T_module:
    """Zero the ``amount`` slices of ``module.<name>`` along ``dim`` with the smallest ``n``-norm."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method: type[BasePruningMethod],
                        importance_scores: dict[tuple[Module, str], Tensor] | None = None, **kwargs: Any) -> None:
    """Prune the ``(module, name)`` pairs together: ``pruning_method(**kwargs)`` (an unstructured method) ranks
    the entries of all of them at once, so each tensor loses a different share."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = parameters_to_vector([importance_scores.get((m, name), getattr(m, name)) for m, name in parameters])
    default_mask = parameters_to_vector([getattr(m, name + "_mask", None) if hasattr(m, name + "_mask")
                                         else ones_like(getattr(m, name)) for m, name in parameters])
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container = PruningContainer(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for m, name in parameters:
        param = getattr(m, name)
        custom_from_mask(m, name, mask=final_mask[start:start + param.numel()].view_as(param))
        start += param.numel()


def custom_from_mask(module: T_module, name: str, mask: Tensor) -> T_module:
    """Prune ``module.<name>`` with the given 0/1 ``mask`` (its shape)."""
    CustomFromMask.apply(module, name, mask=mask)
    return module


def remove(module: T_module, name: str) -> T_module:
    """Make the pruning of ``module.<name>`` permanent and drop its ``_orig``, ``_mask`` and hook."""
    found = _find(module, name)
    if found is None:
        raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")
    key, method = found
    method.remove(module)
    del module._hooks.forward_pre[key]
    return module


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any submodule has a pruning hook."""
    for _, sub in module.named_modules():
        hooks = sub.__dict__.get("_hooks")
        if hooks is not None and any(isinstance(h, BasePruningMethod) for h in hooks.forward_pre.values()):
            return True
    return False


def _find(module: Module, name: str) -> tuple[int, BasePruningMethod] | None:
    """The (key, method) of the pruning pre-hook of ``module.<name>``, or None."""
    hooks = module.__dict__.get("_hooks")
    if hooks is None:
        return None
    for key, hook in hooks.forward_pre.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            return key, hook
    return None


def _zero_smallest(default_mask: Tensor, scores: Tensor, count: int) -> Tensor:
    """A copy of ``default_mask`` with the ``count`` entries of smallest ``scores`` set to zero."""
    mask = default_mask.detach().clone()
    if count == 0:
        return mask
    flat = mask.reshape(-1)
    flat[scores.reshape(-1).topk(count, largest=False).indices] = 0
    return flat.reshape(mask.shape)


def _keep_slices(t: Tensor, dim: int, keep: Tensor) -> Tensor:
    """Zeros of ``t``'s shape with ones in the slices ``keep`` (indices) along ``dim``."""
    mask = zeros_like(t.detach())
    slc: list[Any] = [slice(None)] * t.ndim
    slc[dim] = keep
    mask[tuple(slc)] = 1
    return mask


def _validate_amount_init(amount: Any) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_amount(amount: int, size: int) -> None:
    if amount > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")


def _n_to_prune(amount: int | float, size: int) -> int:
    _validate_amount_init(amount)
    return int(amount) if isinstance(amount, numbers.Integral) else round(amount * size)


def _validate_structured(t: Tensor, dim: int) -> None:
    if t.ndim <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. Found tensor of shape "
                         f"{tuple(t.shape)} with {t.ndim} dims")
    if dim >= t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {tuple(t.shape)}")
