"""`Normal`: the Gaussian with mean ``loc`` and standard deviation ``scale`` (PyTorch's)."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from ..autograd.tensor import Tensor
from .categorical import broadcast_shapes
from .distribution import as_shape
from .exp_family import ExponentialFamily
from . import constraints


class Normal(ExponentialFamily):
    """N(loc, scale^2), batched over the broadcast shape of ``loc`` and ``scale``.

    Parameters
    ----------
    loc, scale : Tensors or numbers (``scale > 0``); a number takes the other parameter's backend and dtype.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off).

    Notes
    -----
    ``rsample`` is ``loc + eps * scale`` with ``eps ~ N(0, 1)`` (differentiable in both); ``log_prob``,
    ``entropy``, ``cdf`` and ``icdf`` follow PyTorch's formulas.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None) -> None:
        try:
            self.loc, self.scale = _broadcast_all(loc, scale)
        except RuntimeError as error:  # PyTorch's class, with the shapes and the parameters named
            shapes = [tuple(v.shape) if isinstance(v, Tensor) else "a number" for v in (loc, scale)]
            raise RuntimeError(f"Normal: loc of shape {shapes[0]} and scale of shape {shapes[1]} do not broadcast "
                               f"to one shape ({error})") from None
        super().__init__(tuple(self.loc.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``loc + eps * scale`` of shape ``sample_shape + batch_shape``."""
        from .draws import standard_draws

        eps = standard_draws("normal", self.loc, self._extended_shape(as_shape(sample_shape)))
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor | float) -> Tensor:
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value: Tensor | float) -> Tensor:
        return 0.5 * (1 + ((value - self.loc) * (self.scale.reciprocal() / math.sqrt(2))).erf())

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)


def _broadcast_all(*values: Tensor | float) -> tuple[Tensor, ...]:
    """The values as Tensors of one broadcast shape; numbers take the first Tensor's backend and dtype."""
    from ..factories import full

    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        from ..factories import tensor

        return tuple(tensor(float(v)) for v in values)  # type: ignore[arg-type]
    like = tensors[0]
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    if None in shape:  # an ONNX export's symbolic axis (None inside anynn): broadcast by adding zeros of the shape
        zeros = sum((t.detach() * 0 for t in tensors[1:]), like.detach() * 0)
        return tuple(zeros + float(v) if isinstance(v, Number) else v + zeros for v in values)  # type: ignore[misc]
    out = []
    for v in values:
        if isinstance(v, Number):
            v = full(shape, float(v), dtype=like.dtype, device=like.device)  # type: ignore[arg-type]
        assert isinstance(v, Tensor)
        out.append(v if tuple(v.shape) == shape else v.expand(*shape))
    return tuple(out)
