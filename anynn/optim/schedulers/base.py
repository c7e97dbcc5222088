"""`LRScheduler`: the base of the epoch/step learning-rate schedules, with PyTorch's semantics.

Constructing a scheduler records each group's ``initial_lr`` (when ``last_epoch == -1``) and performs
the first step, so the optimizer's ``lr`` is the schedule's value at epoch 0 right away. Each later
``step()`` advances ``last_epoch`` and writes the new rates into ``optimizer.param_groups``. The
schedulers follow PyTorch's (mostly recursive) formulas so that the rates match it to the last bit.
"""

from __future__ import annotations

import copy
import functools
import warnings
from typing import Any, Callable, Sequence

from ...autograd.tensor import Tensor
from ..optimizer import Optimizer


def format_param(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a scalar is repeated, a list/tuple must have one per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have one value per parameter group: got {len(value)} values for "
                             f"{len(optimizer.param_groups)} groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


def group_values(optimizer: Optimizer, key: str) -> list[Any]:
    """``[group[key] for each parameter group]``, a Tensor rate as a copy (the group's is filled in place)."""
    return [group[key].clone() if isinstance(group[key], Tensor) else group[key] for group in optimizer.param_groups]


def set_group_value(group: dict[str, Any], key: str, value: Any) -> None:
    """``group[key] = value``; where the group holds a Tensor (``lr=torch.tensor(0.01)``, the compiled-optimizer
    recipe's), that Tensor is filled with the value in place, as PyTorch's schedulers do, so code holding it (a
    compiled step, another group) sees the new rate."""
    held = group[key]
    if isinstance(held, Tensor):
        held.fill_(value.item() if isinstance(value, Tensor) else value)
    else:
        group[key] = value


def warn_step_order() -> None:
    """PyTorch's warning for a first ``scheduler.step()`` before any ``optimizer.step()``."""
    warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, "
                  "you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  "
                  "Failure to do this will result in PyTorch skipping the first value of the learning rate "
                  "schedule. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-"
                  "learning-rate", UserWarning, stacklevel=3)


EPOCH_DEPRECATION = ("The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
                     "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch "
                     "is different from None, the closed form is used instead of the new chainable form, where "
                     "available. Please open an issue if you are unable to replicate your use case: "
                     "https://github.com/pytorch/pytorch/issues/new/choose.")


def _warns_outside_step(get_lr: Callable[[Any], list[float]]) -> Callable[[Any], list[float]]:
    """``get_lr`` warning as PyTorch's when called from outside the scheduler's own step (``get_last_lr()`` is the
    public reading; ``get_lr`` computes the next value from the current one, so a stray call reads a stale rate)."""
    @functools.wraps(get_lr)
    def get_lr_checked(self: Any) -> list[float]:
        within = self.__dict__.get("_get_lr_called_within_step", False)
        if not within:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        self._get_lr_called_within_step = True  # a subclass's super().get_lr() does not warn twice
        try:
            return get_lr(self)
        finally:
            self._get_lr_called_within_step = within

    get_lr_checked._warns_outside_step = True  # type: ignore[attr-defined]
    return get_lr_checked


def check_optimizer(scheduler: Any, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(scheduler).__name__} needs an anynn Optimizer, not {type(optimizer).__name__}")


class LRScheduler:
    """Base class: subclasses write ``get_lr()`` (the rates at ``self.last_epoch``, usually from the
    current ``group["lr"]``), and optionally ``_get_closed_form_lr()`` used by ``step(epoch)``.

    Attributes
    ----------
    optimizer : the scheduled optimizer.
    base_lrs : each group's ``initial_lr``.
    last_epoch : the index of the last step taken (0 right after construction).
    """

    _is_initial: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        get_lr = cls.__dict__.get("get_lr")
        if get_lr is not None and not getattr(get_lr, "_warns_outside_step", False):
            cls.get_lr = _warns_outside_step(get_lr)  # type: ignore[method-assign,assignment]

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(self, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                lr = group["lr"]
                group.setdefault("initial_lr", lr.clone() if isinstance(lr, Tensor) else lr)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr' although "
                                   f"last_epoch={last_epoch}: resume from a loaded optimizer state, or start "
                                   "with last_epoch=-1")
        self.base_lrs: list[float] = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, using the closed form where there is one)."""
        if self._step_count == 1 and getattr(self.optimizer, "_opt_called", True) is False:
            warn_step_order()
        self._step_count += 1
        if epoch is not None:  # PyTorch's deprecation (MADE's run.py steps so); SequentialLR's reset is silent
            warnings.warn(EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def lr_within_step(self) -> list[float]:
        """``get_lr()`` as a step calls it (no warning)."""
        self._get_lr_called_within_step = True
        try:
            return self.get_lr()
        finally:
            self._get_lr_called_within_step = False

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.lr_within_step()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.lr_within_step()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            set_group_value(group, "lr", lr)
        self._last_lr = group_values(self.optimizer, "lr")

    # -- state ----------------------------------------------------------------------------------
    _not_saved: Sequence[str] = ("optimizer",)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (and functions), as plain Python values."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items() if key not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` returned (read as ``dict(state_dict)``: PyTorch's TypeError for anything else)."""
        state_dict = dict(state_dict)
        self.__dict__.update(copy.deepcopy({k: v for k, v in state_dict.items() if k not in self._not_saved}))
