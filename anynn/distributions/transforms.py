"""``torch.distributions.transforms``: invertible maps with the log of their Jacobian's determinant, for
`TransformedDistribution` (``ExpTransform``, ``SigmoidTransform``, ``TanhTransform``, ``AffineTransform``,
``ComposeTransform``, and ``t.inv`` for any of them). Each is written with Tensor ops, so values and
log-determinants are differentiable (in the parameters of `AffineTransform` too)."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.activation import softplus
from ..type_info import finfo
from .categorical import broadcast_shapes

__all__ = ["AffineTransform", "ComposeTransform", "ExpTransform", "SigmoidTransform", "TanhTransform", "Transform"]


def sum_rightmost(value: Any, dims: int) -> Any:
    """``value`` summed over its ``dims`` rightmost axes (none when ``dims <= 0``)."""
    if dims <= 0 or not isinstance(value, Tensor):
        return value
    return value.reshape(*value.shape[:value.ndim - dims], -1).sum(-1)


class Transform:
    """An invertible map ``y = t(x)``: ``t(x)``, ``t.inv(y)``, ``t.log_abs_det_jacobian(x, y)`` (elementwise, or
    summed over the last ``event_dim`` axes)."""

    bijective = True
    sign: int | Tensor = 1
    event_dim = 0

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 or 1, got {cache_size}")
        self._inv: Transform | None = None

    @property
    def inv(self) -> Transform:
        """The inverse transform (``inv.inv`` is this one)."""
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    def __call__(self, x: Tensor) -> Tensor:
        return self._call(x)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}._call")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}._inverse")

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.log_abs_det_jacobian")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """``t.inv``: the map ``y -> x`` of a transform ``t``, with the negated log-determinant."""

    def __init__(self, transform: Transform) -> None:
        super().__init__()
        self._inv = transform
        self.event_dim = transform.event_dim

    @property
    def sign(self) -> int | Tensor:  # type: ignore[override]
        return self._inv.sign  # type: ignore[union-attr]

    def _call(self, x: Tensor) -> Tensor:
        return self._inv._inverse(x)  # type: ignore[union-attr]

    def _inverse(self, y: Tensor) -> Tensor:
        return self._inv._call(y)  # type: ignore[union-attr]

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -self._inv.log_abs_det_jacobian(y, x)  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"{self._inv!r}.inv"


class ExpTransform(Transform):
    """``y = exp(x)``."""

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class SigmoidTransform(Transform):
    """``y = sigmoid(x)``, kept inside ``[tiny, 1 - eps]`` of the dtype (as PyTorch) so its inverse is finite."""

    def _call(self, x: Tensor) -> Tensor:
        info = finfo(x.dtype)
        return x.sigmoid().clamp(min=info.tiny, max=1.0 - info.eps)

    def _inverse(self, y: Tensor) -> Tensor:
        info = finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1.0 - info.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -softplus(-x) - softplus(x)


class TanhTransform(Transform):
    """``y = tanh(x)`` (the squashing of SAC's policies); the log-determinant in PyTorch's stable form."""

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.atanh()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AffineTransform(Transform):
    """``y = loc + scale * x`` (``loc``, ``scale``: Tensors or numbers); ``event_dim`` axes are one event."""

    def __init__(self, loc: Tensor | float, scale: Tensor | float, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc, self.scale, self.event_dim = loc, scale, event_dim

    @property
    def sign(self) -> int | Tensor:  # type: ignore[override]
        if isinstance(self.scale, Number):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        if isinstance(self.scale, Number):
            from ..factories import full_like

            result = full_like(x, math.log(abs(float(self.scale))))
        else:  # expanded to x's shape, as PyTorch's: no gradient flows to x
            result = self.scale.abs().log()
            result = result.expand(*broadcast_shapes(tuple(x.shape), tuple(result.shape)))
        return sum_rightmost(result, self.event_dim)


class ComposeTransform(Transform):
    """``parts`` applied in order: ``y = parts[-1](... parts[0](x))``."""

    def __init__(self, parts: Sequence[Transform], cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.parts = list(parts)
        self.event_dim = max((p.event_dim for p in self.parts), default=0)

    def _call(self, x: Tensor) -> Tensor:
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y: Tensor) -> Tensor:
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        total: Any = 0.0
        for part in self.parts:
            y_part = part(x)
            total = total + sum_rightmost(part.log_abs_det_jacobian(x, y_part), self.event_dim - part.event_dim)
            x = y_part
        return total
