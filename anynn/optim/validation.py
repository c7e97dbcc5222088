"""Hyperparameter checks shared by every optimizer, with PyTorch's messages.

An optimizer lists the options it checks (``checked_options``, in PyTorch's order); `Optimizer`
runs them on the constructor's defaults, as PyTorch does (parameter groups are not re-checked).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

# option -> (is valid, PyTorch's message, the rule in words)
RULES: dict[str, tuple[Callable[[Any], bool], Callable[[Any], str], str]] = {
    "lr": (lambda v: 0.0 <= v, lambda v: f"Invalid learning rate: {v}", "lr >= 0"),
    "eps": (lambda v: 0.0 <= v, lambda v: f"Invalid epsilon value: {v}", "eps >= 0"),
    "momentum": (lambda v: 0.0 <= v, lambda v: f"Invalid momentum value: {v}", "momentum >= 0"),
    "weight_decay": (lambda v: 0.0 <= v, lambda v: f"Invalid weight_decay value: {v}", "weight_decay >= 0"),
    "alpha": (lambda v: 0.0 <= v, lambda v: f"Invalid alpha value: {v}", "alpha >= 0"),
    "rho": (lambda v: 0.0 <= v <= 1.0, lambda v: f"Invalid rho value: {v}", "0 <= rho <= 1"),
    "lr_decay": (lambda v: 0.0 <= v, lambda v: f"Invalid lr_decay value: {v}", "lr_decay >= 0"),
    "initial_accumulator_value": (lambda v: 0.0 <= v, lambda v: f"Invalid initial_accumulator_value value: {v}",
                                  "initial_accumulator_value >= 0"),
    "momentum_decay": (lambda v: 0.0 <= v, lambda v: f"Invalid momentum_decay value: {v}", "momentum_decay >= 0"),
    "betas": (lambda v: 0.0 <= v[0] < 1.0 and 0.0 <= v[1] < 1.0,
              lambda v: f"Invalid beta parameter at index {0 if not 0.0 <= v[0] < 1.0 else 1}: "
                        f"{v[0] if not 0.0 <= v[0] < 1.0 else v[1]}", "0 <= betas[i] < 1"),
    "etas": (lambda v: 0.0 < v[0] < 1.0 < v[1], lambda v: f"Invalid eta values: {v[0]}, {v[1]}",
             "0 < etas[0] < 1 < etas[1]"),
}


def check_hyperparameters(owner: str, names: tuple[str, ...], options: dict[str, Any]) -> None:
    """Raise ``ValueError`` (PyTorch's message, then the option, its value and the rule) for the first bad option.

    >>> check_hyperparameters("SGD", ("lr",), {"lr": -1})
    Traceback (most recent call last):
    ValueError: SGD: Invalid learning rate: -1 (invalid lr=-1; expected lr >= 0)
    """
    for name in names:
        valid, message, rule = RULES[name]
        value = options[name]
        if name in ("betas", "etas") and len(value) < 2:  # PyTorch's IndexError ("tuple index out of range")
            raise IndexError(f"{owner}: {name} must be a pair, got {value!r} ({len(value)} value"
                             f"{'s' if len(value) != 1 else ''})")
        if name == "lr":
            check_lr_elements(owner, value)
        if not valid(value):
            raise ValueError(f"{owner}: {message(value)} (invalid {name}={value!r}; expected {rule})")


def check_lr_elements(owner: str, lr: Any) -> None:
    """PyTorch's rule for a Tensor ``lr``: one element (``ValueError`` otherwise)."""
    if _numel(lr) not in (None, 1):
        raise ValueError(f"{owner}: Tensor lr must be 1-element (got {_numel(lr)} elements)")


def check_own_rules(owner: str, lr: Any, rules: Iterable[tuple[Any, str]]) -> None:
    """The checks of an optimizer whose PyTorch messages are its own (Adafactor, Muon), not `RULES`': a Tensor
    ``lr`` of one element, then ``ValueError`` with the message of the first ``(valid, message)`` rule not valid."""
    check_lr_elements(owner, lr)
    for valid, message in rules:
        if not valid:
            raise ValueError(f"{owner}: {message}")


def check_tensor_options(owner: str, lr: Any, betas: Any, foreach: bool | None, capturable: bool) -> None:
    """PyTorch's Adam/AdamW rules for a Tensor ``lr`` or ``betas``: both betas floats or both Tensors, each
    Tensor of one element, and none with ``foreach=True`` unless ``capturable``."""
    named = [("lr", lr)] + [(f"betas[{i}]", b) for i, b in enumerate(betas)]
    for name, value in named:
        if _numel(value) is not None and foreach and not capturable:
            raise ValueError(f"{owner}: {name} as a Tensor is not supported for capturable=False and foreach=True")
    if not (all(isinstance(b, float) for b in betas) or all(_numel(b) is not None for b in betas)):
        raise ValueError(f"{owner}: betas must be either both floats or both Tensors (got "
                         f"{', '.join(type(b).__name__ for b in betas)})")
    for i, b in enumerate(betas):
        if _numel(b) not in (None, 1):
            raise ValueError(f"{owner}: Tensor betas[{i}] must be 1-element (got {_numel(b)} elements)")


def _numel(value: Any) -> int | None:
    """The element count of a tensor-valued option (``None`` for a number)."""
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    count = 1
    for size in shape:
        count *= int(size)
    return count
