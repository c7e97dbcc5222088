"""Loss layers: modules over `anynn.functional`'s losses, with PyTorch's arguments (the deprecated
``size_average``/``reduce`` too, with PyTorch's warning)."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..autograd.tensor import Tensor
from ..functional.loss_reduction import check_reduction, legacy_reduction
from .module import Module
from .validate import check_broadcast, check_floating, check_same_backend, dtype_kind


def _as_input_dtype(target: Any, input: Tensor, kinds: tuple[str, ...]) -> Any:  # noqa: A002
    """An integer/bool target Tensor (of a dtype kind in ``kinds``) in the input's dtype (on the input's backend
    only: else the loss says so)."""
    if isinstance(target, Tensor) and not target.is_floating_point() and target.backend == input.backend and \
            dtype_kind(target.array.dtype) in kinds:
        return target.astype(input.dtype)
    return target


def _passes_checks(loss: "_Loss", args: tuple[Any, ...]) -> bool:
    """Whether ``args`` pass `_Loss.__call__`'s checks unchanged: Tensors on one backend, floating point where an
    input must be and where a target would be promoted (so none is), equal shapes where they must broadcast."""
    backend = None
    for a in args:
        if not isinstance(a, Tensor):
            return False
        if backend is None:
            backend = a.backend
        elif a.backend is not backend:
            return False
    n = len(args)
    for i in loss.float_inputs:
        if i < n:
            kind = dtype_kind(args[i].array.dtype)
            if kind != "f" and kind not in loss.promoted_inputs:
                return False
    for i in loss.float_targets:
        if i < n and dtype_kind(args[i].array.dtype) != "f":
            return False
    shape = None
    for i in loss.same_shape:
        if i < n:
            if shape is None:
                shape = args[i].array.shape
            elif args[i].array.shape != shape:
                return False
    return backend is not None


class _Loss(Module):
    # which positional arguments are predictions (floating point required), targets taken in the
    # prediction's dtype when they are integer or bool (as PyTorch promotes them), and which must have
    # shapes that go together; checked before the math so errors name the loss, not an operator
    float_inputs: tuple[int, ...] = (0,)
    # dtype kinds (``"i"`` integer, ``"b"`` bool) a float input may also have: the function promotes them to
    # float32, as PyTorch's does for the losses written from differences (MarginRankingLoss of int64...)
    promoted_inputs: tuple[str, ...] = ()
    float_targets: tuple[int, ...] = ()
    # the dtype kinds of a target taken in the prediction's dtype (a bool target of a loss PyTorch writes from
    # input - target is refused by the function, as PyTorch's subtraction refuses it)
    promoted_targets: tuple[str, ...] = ("i", "b")
    same_shape: tuple[int, ...] = ()
    # those three for a call with two arguments: (floating first, floating second, equal shapes)
    _pair_checks: tuple[bool, bool, bool] = (True, False, False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        floats = set(cls.float_inputs) | set(cls.float_targets)
        cls._pair_checks = (0 in floats, 1 in floats, {0, 1} <= set(cls.same_shape))

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def _weight_state(self, name: str, value: Any) -> None:
        """A Tensor (or None) ``weight``/``pos_weight`` is a buffer (in ``state_dict``, moved by ``.to()``), as in
        PyTorch, so a PyTorch loss's state loads; another value (an array) stays a plain attribute. A number, list or
        tuple is refused, as PyTorch's buffer refuses it ("cannot assign 'float' object to buffer 'weight'")."""
        if isinstance(value, (bool, int, float, complex, list, tuple)):
            raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' object to buffer "
                            f"'{name}' (Tensor or None required), as in PyTorch; wrap it with anynn.tensor(...)")
        if value is None or isinstance(value, Tensor):
            self.register_buffer(name, value)
        else:
            setattr(self, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # the common case, tested inline (the checks below run again to raise): arguments that pass them unchanged.
        # Module.__call__ by name, not super(): a super object per call costs as much as these checks
        if len(args) == 2:  # (input, target)
            a, b = args
            if isinstance(a, Tensor) and isinstance(b, Tensor) and a.backend is b.backend:
                float_a, float_b, same = self._pair_checks
                x, y = a.array, b.array
                if ((not float_a or dtype_kind(x.dtype) == "f")
                        and (not float_b or (float_a and y.dtype is x.dtype) or dtype_kind(y.dtype) == "f")
                        and (not same or x.shape == y.shape)):
                    return Module.__call__(self, a, b, **kwargs) if kwargs else Module.__call__(self, a, b)
        elif _passes_checks(self, args):
            return Module.__call__(self, *args, **kwargs)
        check_same_backend(self, args)
        for i in self.float_inputs:
            if i < len(args) and not (isinstance(args[i], Tensor)
                                      and dtype_kind(args[i].array.dtype) in self.promoted_inputs):
                check_floating(self, args[i], what=f"input (argument {i + 1})")
        if self.float_targets and args and isinstance(args[0], Tensor):
            args = tuple(_as_input_dtype(a, args[0], self.promoted_targets) if i in self.float_targets else a
                         for i, a in enumerate(args))
        if self.same_shape:
            check_broadcast(self, tuple(f"argument {i + 1}" for i in self.same_shape),
                            tuple(args[i] for i in self.same_shape if i < len(args)))
        return Module.__call__(self, *args, **kwargs)


class MSELoss(_Loss):
    float_targets, same_shape = (1,), (0, 1)
    promoted_inputs = ("i", "b")  # (PyTorch's mse_loss of an int64 or bool input beside a float target is float32)

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    float_targets, same_shape = (1,), (0, 1)
    promoted_inputs = promoted_targets = ("i",)  # (a bool operand is refused, as PyTorch's subtraction refuses it)

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    float_targets, same_shape = (1,), (0, 1)

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    float_targets, same_shape = (1,), (0, 1)
    promoted_inputs = ("i", "b")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities; see `BCEWithLogitsLoss` for the stable version."""

    def __init__(self, weight: Any = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self._weight_state("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy computed from logits: finite for any logit (e.g. 49.8 with label 0 → 49.8)."""

    float_targets, same_shape = (1,), (0, 1)
    promoted_targets = ()  # (an integer or bool target: PyTorch's "result type Float can't be cast to ... Long")

    def __init__(self, weight: Any = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self._weight_state("weight", weight)
        self._weight_state("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C[, d...]) against class indices or class probabilities."""

    def __init__(self, weight: Any = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self._weight_state("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C[, d...]) against class indices."""

    def __init__(self, weight: Any = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self._weight_state("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)
