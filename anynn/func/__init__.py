"""``anynn.func``: PyTorch's ``torch.func`` (functorch) over anynn's autograd.

- `functional_call` runs a module with given parameter/buffer tensors (MAML inner loops, ensembles);
  `stack_module_state` stacks the state of several same-shaped modules for `vmap`.
- `grad`, `grad_and_value`, `vjp`, `jvp`, `linearize`, `jacrev`, `jacfwd`, `hessian`: derivative transforms
  that compose (``grad(grad(f))``, ``jacrev(jacrev(f))``, ``vmap(grad(f))``); see `anynn.func.transforms` for how.
- `vmap`: maps a function over a dimension by running it per slice and stacking (not vectorised; see
  `anynn.func.vmap`).

Forward mode is not implemented: ``jacfwd`` is ``jacrev``'s computation and ``jvp`` the double-vjp trick.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..nn.module import Module
from ..nn.utils.stateless import functional_call
from .functionalize import debug_unwrap, functionalize
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from .vmap import vmap


def _stacked_leaf(tensors: list[Tensor], name: str) -> Tensor:
    from ..functional.shape import stack

    wants = {t.requires_grad for t in tensors}
    if len(wants) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack([t.detach() for t in tensors], axis=0)
    return result.requires_grad_() if wants == {True} else result


def stack_module_state(models: Any) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """``(params, buffers)``: each parameter and buffer of the same-shaped ``models`` stacked along a new first
    dimension (``(len(models), *shape)``), for ``vmap(lambda p, b, x: functional_call(base, (p, b), (x,)))``.

    The stacked parameters are new leaves (``requires_grad`` as the originals'); the models are not linked to them.
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if any(type(m) is not type(models[0]) for m in models) or not isinstance(models[0], Module):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    buffers = {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """Turn off the running statistics of every batch norm in ``root`` (itself included), in place, as PyTorch's.

    Each module that tracks them (``BatchNorm1d/2d/3d``, ``SyncBatchNorm``, the lazy ones) loses its
    ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers (set to None) and normalises with the
    statistics of the batch it is given, in training and in eval mode: what `vmap` over an ensemble needs, where a
    buffer written in place cannot be shared by the models. Returns ``root``.
    """
    from ..nn.norm import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


__all__ = ["debug_unwrap", "functional_call", "functionalize", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev",
           "jvp", "linearize", "replace_all_batch_norm_modules_", "stack_module_state", "vjp", "vmap"]
