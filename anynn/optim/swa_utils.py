"""Weight averaging (PyTorch's ``torch.optim.swa_utils``): `AveragedModel` (SWA or EMA of a model's weights),
the averaging functions, `SWALR` (anneal to a fixed learning rate) and `update_bn` (recompute BatchNorm statistics
for the averaged weights).

The averages are written with PyTorch's formulas in the order PyTorch's CPU path evaluates them, so a run gives
the same weights as PyTorch's on the same sequence of models.
"""

from __future__ import annotations

import array
import copy
import itertools
import math
from typing import Any, Callable, Iterable, Sequence

from ..autograd.mode import no_grad
from ..backend.portable.optim import lerp
from ..autograd.tensor import Tensor
from ..nn.module import Module
from ..nn.norm import _BatchNorm
from ..factories import tensor as make_tensor
from ..functional.tensor_extras import where
from ..functional.value_checks import ShapeMismatchError
from .optimizer import Optimizer
from .schedulers.base import LRScheduler, format_param

__all__ = ["AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]

ParamList = Sequence[Tensor]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _count(num_averaged: Tensor | int) -> int | Tensor:
    """The number of models averaged: an int, or the int64 counter itself where it has no host value (a
    compiled step's trace: the update is then computed from it as the program runs)."""
    if isinstance(num_averaged, Tensor):
        return num_averaged if _traced(num_averaged) else int(num_averaged.item())
    return int(num_averaged)


def _traced(t: Tensor) -> bool:
    return bool(t.backend.is_traced(t.array))


def _inexact(t: Tensor) -> bool:
    """Floating point or complex (PyTorch lerps these; integer tensors get the plain formula, truncated)."""
    return t.is_floating_point() or "complex" in str(t.dtype)


def _lerp_(start: Tensor, end: Tensor, weight: "Tensor | float") -> None:
    """``start`` moved to ``start + weight * (end - start)`` in place, by PyTorch's two-sided lerp formula (exact at
    ``weight = 1``)."""
    if isinstance(weight, Tensor):  # (a traced count's weight: both sides, picked as the program runs)
        diff = end - start
        start.copy_(where(weight < 0.5, start + weight * diff, end - diff * (1 - weight)))
    else:  # (the same rule on Tensors: the array-level formula uses operators only)
        start.copy_(lerp(None, start, end, weight))


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[ParamList, ParamList, Any], None]:
    """``multi_avg_fn`` for an exponential moving average: each averaged tensor becomes
    ``decay * averaged + (1 - decay) * current``, in place (a lerp for floating tensors, as PyTorch)."""
    _check_decay(decay)

    def ema_update(ema_params: ParamList, current_params: ParamList, _: Any) -> None:
        with no_grad():
            for ema, current in zip(ema_params, current_params, strict=True):
                if _inexact(ema):
                    _lerp_(ema, current, 1 - decay)
                else:
                    ema.copy_(ema * decay + current * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[ParamList, ParamList, Any], None]:
    """``multi_avg_fn`` for the equal-weight (SWA) average of ``num_averaged + 1`` models, in place."""

    def swa_update(averaged_params: ParamList, current_params: ParamList, num_averaged: Tensor | int) -> None:
        # PyTorch's weight is 1 / (num_averaged + 1) of the int64 count tensor: a float32 number
        count = _count(num_averaged)
        weight = 1.0 / (count + 1) if isinstance(count, Tensor) else array.array("f", [1.0 / (count + 1)])[0]
        with no_grad():
            for averaged, current in zip(averaged_params, current_params, strict=True):
                if _inexact(averaged):
                    _lerp_(averaged, current, weight)
                else:
                    averaged.add_(current - averaged, alpha=weight)  # type: ignore[arg-type]

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """``avg_fn`` for an exponential moving average: ``decay * averaged + (1 - decay) * current``."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """``avg_fn`` for the equal-weight (SWA) average: ``averaged + (current - averaged) / (num_averaged + 1)``."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Tensor | int) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (_count(num_averaged) + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and, with ``use_buffers``, buffers) are a running average of the
    models handed to `update_parameters`: equal weights (SWA) by default, or ``avg_fn(averaged, current,
    num_averaged) -> Tensor`` per tensor, or ``multi_avg_fn(averaged_list, current_list, num_averaged)`` in place
    (see `get_ema_multi_avg_fn`). The first update copies the model. ``device``: where the copy lives (a device or
    a backend name, as ``Module.to``). The buffer ``n_averaged`` (int64) counts the models averaged.
    """

    n_averaged: Tensor  # a buffer (registered in __init__)

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
                 multi_avg_fn: Callable[[ParamList, ParamList, Any], None] | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        first = next(itertools.chain(self.module.parameters(), self.module.buffers()), None)
        backend = first.backend if first is not None else None
        self.register_buffer("n_averaged", make_tensor(0, dtype="int64", backend=backend))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) into this copy."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        _check_same_shapes(mine, theirs)
        pairs = [(a.detach(), _moved(m.detach(), a)) for a, m in zip(mine, theirs)]
        with no_grad():
            if _traced(self.n_averaged):  # inside a compiled step: the first update's copy chosen as it runs
                self._average_traced(pairs)
            elif int(self.n_averaged.item()) == 0:
                for averaged, current in pairs:
                    averaged.copy_(current)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn([a for a, _ in pairs], [c for _, c in pairs], self.n_averaged)
            else:
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for averaged, current in pairs:
                    averaged.copy_(avg_fn(averaged, current, self.n_averaged))
            if not self.use_buffers:  # the buffers follow the source model
                for mine_buffer, model_buffer in zip(self.module.buffers(), model.buffers(), strict=True):
                    mine_buffer.copy_(_moved(model_buffer.detach(), mine_buffer))
            self.n_averaged.add_(1)

    def _average_traced(self, pairs: list[tuple[Tensor, Tensor]]) -> None:
        """`update_parameters`'s average where the counter is traced: the average computed, and the model's
        tensors taken instead where no model was averaged yet (``n_averaged == 0``)."""
        first = self.n_averaged == 0
        if self.multi_avg_fn is not None:
            self.multi_avg_fn([a for a, _ in pairs], [c for _, c in pairs], self.n_averaged)
            updated = [a.clone() for a, _ in pairs]
        else:
            avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
            updated = [avg_fn(a, c, self.n_averaged) for a, c in pairs]
        for (averaged, current), value in zip(pairs, updated):
            averaged.copy_(where(first, current, value))


def _check_same_shapes(mine: list[Tensor], theirs: list[Tensor]) -> None:
    """Refuse, before anything is averaged, a model whose tensors do not have the averaged copy's shapes (another
    architecture); the library's broadcast error named neither the call nor the tensor."""
    for index, (a, m) in enumerate(zip(mine, theirs)):
        if tuple(a.shape) != tuple(m.shape):
            raise ShapeMismatchError(f"AveragedModel.update_parameters: the model's tensor {index} has shape "
                                     f"{tuple(m.shape)}, the averaged copy's {tuple(a.shape)}; is it another "
                                     f"model than the one AveragedModel was made from?")


def _moved(value: Tensor, like: Tensor) -> Tensor:
    """``value`` on ``like``'s backend and device (PyTorch's ``.to(p_averaged.device)``)."""
    if value.backend == like.backend and value.device == like.device:
        return value
    return value.to(like.backend.key).to(like.device)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """One pass over ``loader`` in train mode to recompute the running statistics of ``model``'s BatchNorm layers
    (reset first, then a cumulative average: momentum ``None`` during the pass). A batch is a Tensor, or a list or
    tuple whose first entry is the input; ``device`` moves it first."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` (a float, or one per group) over ``anneal_epochs`` steps,
    by a cosine (``"cos"``) or linear (``"linear"``) curve, then hold it (PyTorch's recursive formula)."""

    _not_saved = ("optimizer", "anneal_func")

    def __init__(self, optimizer: Optimizer, swa_lr: float | Sequence[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        for value, group in zip(format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.anneal_func = self._cosine_anneal if self._anneal_strategy == "cos" else self._linear_anneal
