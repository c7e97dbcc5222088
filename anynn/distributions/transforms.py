"""``torch.distributions.transforms``: invertible maps with the log of their Jacobian's determinant, for
`TransformedDistribution` (``ExpTransform``, ``SigmoidTransform``, ``TanhTransform``, ``AffineTransform``,
``ComposeTransform``, ``AbsTransform``, ``PowerTransform``, ``SoftplusTransform``, and ``t.inv`` for any of them;
the simplex, matrix and structural transforms live in `transforms_structured`, which adds them here when the
package is imported). Each is
written with Tensor ops, so values and log-determinants are differentiable (in the parameters of `AffineTransform`
and `PowerTransform` too).

A transform maps its ``domain`` onto its ``codomain`` (constraints; their ``event_dim`` says how many rightmost
axes form one event) and maps shapes with ``forward_shape``/``inverse_shape`` (a transform such as
``StickBreakingTransform`` changes the event's size)."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.activation import softplus
from ..type_info import finfo
from .categorical import broadcast_shapes
from . import constraints

# (the transforms of `transforms_structured` join this list and this module when that module is imported, which
# the package does: PyTorch's path torch.distributions.transforms holds them all)
__all__ = ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform", "PowerTransform",
           "SigmoidTransform", "SoftplusTransform", "TanhTransform", "Transform", "identity_transform"]


def _same(a: Any, b: Any) -> bool:
    """Whether two transform parameters (numbers or Tensors) hold equal values."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        try:
            return bool((a == b).all())
        except (RuntimeError, ValueError, TypeError):  # shapes that do not broadcast
            return False
    return bool(a == b)


def sum_rightmost(value: Any, dims: int) -> Any:
    """``value`` summed over its ``dims`` rightmost axes (none when ``dims <= 0``)."""
    if dims <= 0 or not isinstance(value, Tensor):
        return value
    axes = tuple(range(max(value.ndim - dims, 0), value.ndim))  # all of them when dims exceeds ndim, as PyTorch's
    return value.sum(axes) if axes else value  # no reshape to (*batch, -1): nothing infers -1 for an empty batch


class Transform:
    """An invertible map ``y = t(x)``: ``t(x)``, ``t.inv(y)``, ``t.log_abs_det_jacobian(x, y)`` (elementwise, or
    summed over the last ``event_dim`` axes)."""

    bijective = False
    sign: int | Tensor = 1
    domain: Any = constraints.real
    codomain: Any = constraints.real

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 or 1, got {cache_size}")
        self._cache_size = cache_size
        self._inv: Transform | None = None

    @property
    def event_dim(self) -> int:
        """The event rank of domain and codomain where they agree (PyTorch raises otherwise, as here)."""
        if self.domain.event_dim == self.codomain.event_dim:
            return int(self.domain.event_dim)
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    def with_cache(self, cache_size: int = 1) -> Transform:
        """PyTorch's caching switch: anynn recomputes instead of caching, so this is the transform itself."""
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 or 1, got {cache_size}")
        return self

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        """The shape of ``t(x)`` for ``x`` of ``shape``."""
        return tuple(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        """The shape of ``t.inv(y)`` for ``y`` of ``shape``."""
        return tuple(shape)

    def __eq__(self, other: object) -> bool:
        """Transforms without parameters equal any of their class (PyTorch's); others only themselves."""
        own = {k for k in self.__dict__ if k not in ("_inv", "_cache_size")}
        return self is other or (type(self) is type(other) and not own)

    __hash__ = object.__hash__

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

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return self._inv.codomain  # type: ignore[union-attr]

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return self._inv.domain  # type: ignore[union-attr]

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self._inv.bijective  # type: ignore[union-attr]

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return self._inv.inverse_shape(shape)  # type: ignore[union-attr]

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self._inv.forward_shape(shape)  # type: ignore[union-attr]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

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

    codomain = constraints.positive
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class SigmoidTransform(Transform):
    """``y = sigmoid(x)``, kept inside ``[tiny, 1 - eps]`` of the dtype (as PyTorch) so its inverse is finite."""

    codomain = constraints.unit_interval
    bijective = True

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

    codomain = constraints.interval(-1.0, 1.0)
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.atanh()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AffineTransform(Transform):
    """``y = loc + scale * x`` (``loc``, ``scale``: Tensors or numbers); ``event_dim`` axes are one event."""

    bijective = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self._event_dim

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.independent(constraints.real, self._event_dim) if self._event_dim else constraints.real

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return self.domain

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        extra = [tuple(v.shape) for v in (self.loc, self.scale) if isinstance(v, Tensor)]
        return broadcast_shapes(tuple(shape), *extra)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self.forward_shape(shape)

    @property
    def sign(self) -> int | Tensor:  # type: ignore[override]
        if isinstance(self.scale, Number):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def __eq__(self, other: object) -> bool:
        """Equal loc and scale values (PyTorch's; a host read for Tensors)."""
        return isinstance(other, AffineTransform) and _same(self.loc, other.loc) and _same(self.scale, other.scale)

    __hash__ = Transform.__hash__

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
        return sum_rightmost(result, self._event_dim)


class ComposeTransform(Transform):
    """``parts`` applied in order: ``y = parts[-1](... parts[0](x))`` (no parts: the identity)."""

    def __init__(self, parts: Sequence[Transform], cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.parts = list(parts)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        """The first part's domain, over as many event axes as any part reads (PyTorch's rule)."""
        if not self.parts:
            return constraints.real
        domain = self.parts[0].domain
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim = max(event_dim - part.codomain.event_dim + part.domain.event_dim, part.domain.event_dim)
        return constraints.independent(domain, event_dim - domain.event_dim) if event_dim > domain.event_dim \
            else domain

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        codomain = self.parts[-1].codomain
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim = max(event_dim - part.domain.event_dim + part.codomain.event_dim, part.codomain.event_dim)
        return constraints.independent(codomain, event_dim - codomain.event_dim) if event_dim > codomain.event_dim \
            else codomain

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(p.bijective for p in self.parts)

    @property
    def sign(self) -> int | Tensor:  # type: ignore[override]
        sign: int | Tensor = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    def __repr__(self) -> str:
        return "ComposeTransform(\n    " + ",\n    ".join(repr(p) for p in self.parts) + "\n)"

    def _call(self, x: Tensor) -> Tensor:
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y: Tensor) -> Tensor:
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        if not self.parts:
            return x * 0
        total: Any = 0.0
        event_dim = self.domain.event_dim
        for i, part in enumerate(self.parts):
            y_part = y if i == len(self.parts) - 1 else part(x)
            total = total + sum_rightmost(part.log_abs_det_jacobian(x, y_part), event_dim - part.domain.event_dim)
            event_dim += part.codomain.event_dim - part.domain.event_dim
            x = y_part
        return total


class AbsTransform(Transform):
    """``y = |x|`` (not bijective: the inverse gives the positive root)."""

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class PowerTransform(Transform):
    """``y = x ** exponent`` on x > 0 (``exponent``: a Tensor or a number)."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent: Tensor | float, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.exponent = exponent

    @property
    def sign(self) -> int | Tensor:  # type: ignore[override]
        if isinstance(self.exponent, Number):
            return 1 if float(self.exponent) > 0 else -1 if float(self.exponent) < 0 else 0
        return self.exponent.sign()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and _same(self.exponent, other.exponent)

    __hash__ = Transform.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return x ** self.exponent

    def _inverse(self, y: Tensor) -> Tensor:
        return y ** (1 / self.exponent)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return broadcast_shapes(tuple(shape), tuple(getattr(self.exponent, "shape", ())))

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self.forward_shape(shape)


class SoftplusTransform(Transform):
    """``y = log(1 + exp(x))``."""

    codomain = constraints.positive
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        return softplus(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return (-(-y).expm1()).log() + y

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -softplus(-x)


identity_transform = ComposeTransform([])
