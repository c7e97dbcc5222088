"""PyTorch's in-place random fills that draw from a named distribution: ``random_`` (whole numbers), ``cauchy_``,
``log_normal_`` and ``geometric_``. As every anynn draw, the values come from the host generator (``generator``: an
`anynn.Generator`, a NumPy ``Generator`` or a seed; by default `anynn.manual_seed`'s), so one seed gives the same
values on every backend, and are written into the tensor in place (a leaf that requires grad refuses, as PyTorch).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name
from .inplace import _assign, drawn_in_graph

# integers a floating dtype holds exactly: PyTorch's random_() draws from [0, 2**digits] for them
_FLOAT_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
_INTEGER_RANGE = {"bool": (0, 1), "uint8": (0, 2**8 - 1), "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1),
                  "uint16": (0, 2**16 - 1), "int32": (-2**31, 2**31 - 1), "uint32": (0, 2**32 - 1),
                  "int64": (-2**63, 2**63 - 1), "uint64": (0, 2**64 - 1)}


def _generator(generator: Any) -> Any:  # a NumPy Generator
    from .. import init

    return init._rng(generator)


def _fill(self: Tensor, name: str, host: Any) -> Tensor:
    """Write the host array ``host`` (self's shape) into ``self`` in its dtype; returns ``self``."""
    be = self.backend
    return _assign(self, name, make_tensor(be.asarray(be.from_host(host), self.array.dtype), be, None, 0))


def _floating(self: Tensor, name: str, what: str) -> str:
    kind = dtype_name(self.dtype)
    if kind not in _FLOAT_DIGITS:
        raise RuntimeError(f"{name}: {what} is a continuous distribution; it fills floating-point tensors, got {kind}")
    return kind


def random_(self: Tensor, *bounds: int, generator: Any = None, **torch_names: Any) -> Tensor:
    """Fill with whole numbers drawn uniformly from ``[from, to - 1]``, in place: ``random_(from, to)``,
    ``random_(to)`` (from 0), ``random_(from=f)`` (up to the largest below), ``random_()``: from ``[0, 2**digits]``
    for a floating dtype (digits: the mantissa's, 24 for float32), the dtype's non-negative values for an integer
    one, ``{0, 1}`` for bool. PyTorch's keywords ``from`` and ``to`` are accepted."""
    if len(bounds) > 2:
        raise TypeError(f"random_() takes at most 2 bounds (from, to), got {len(bounds)}")
    from_, to = torch_names.pop("from", None), torch_names.pop("to", None)
    if torch_names:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(torch_names))}'")
    if len(bounds) == 2:
        from_, to = bounds
    elif len(bounds) == 1 and to is None:  # random_(to)
        from_, to = 0 if from_ is None else from_, bounds[0]
    elif len(bounds) == 1:  # random_(from, to=...)
        from_ = bounds[0]
    kind = dtype_name(self.dtype)
    if kind.startswith("complex"):
        raise RuntimeError(f"random_: not implemented for complex tensors, got {kind}")
    low, high = (0, 2 ** _FLOAT_DIGITS[kind]) if kind in _FLOAT_DIGITS else (0, _INTEGER_RANGE[kind][1])
    if from_ is not None:
        low = int(from_)
    if to is not None:
        high = int(to) - 1
    if high < low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high + 1}")
    if kind in _INTEGER_RANGE:
        lo, hi = _INTEGER_RANGE[kind]
        if not lo <= low <= hi or not lo <= high <= hi:
            raise RuntimeError(f"random_: the range [{low}, {high}] does not fit in {kind} ([{lo}, {hi}])")
    u = drawn_in_graph(self, "uniform", self.backend.xp.float64, generator)
    if u is not None:  # whole numbers from float64 draws (exact below 2**53)
        xp = self.backend.xp
        drawn = xp.minimum(xp.floor(u * (float(high) - low + 1) + low), float(high))
        return _assign(self, "random_", make_tensor(xp.astype(drawn, self.array.dtype), self.backend, None, 0))
    draws = _generator(generator).integers(low, high, size=tuple(self.shape), endpoint=True,
                                           dtype="uint64" if high > 2**63 - 1 else "int64")
    return _fill(self, "random_", draws)


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with draws of the Cauchy distribution ``median + sigma * tan(pi * (u - 1/2))``, in place."""
    _floating(self, "cauchy_", "Cauchy")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    be = self.backend
    u = drawn_in_graph(self, "uniform", generator=generator)
    if u is None:
        u = be.asarray(be.from_host(_generator(generator).random(size=tuple(self.shape))), self.array.dtype)
    draws = median + sigma * be.xp.tan(math.pi * (u - 0.5))
    return _assign(self, "cauchy_", make_tensor(draws, be, None, 0))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` draws (``mean``/``std``: of the underlying normal), in place."""
    _floating(self, "log_normal_", "the log-normal")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = drawn_in_graph(self, "normal", generator=generator)
    if z is not None:
        return _assign(self, "log_normal_", make_tensor(self.backend.xp.exp(z * std + mean), self.backend, None, 0))
    return _fill(self, "log_normal_", _generator(generator).lognormal(mean, std, size=tuple(self.shape)))


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to and including the first success (1, 2, ...), in
    place; floating and integer tensors."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    if dtype_name(self.dtype) in ("bool",) or dtype_name(self.dtype).startswith("complex"):
        raise RuntimeError(f"geometric_: not implemented for {dtype_name(self.dtype)} tensors")
    u = drawn_in_graph(self, "uniform", self.backend.xp.float64, generator)
    if u is not None:  # the count of trials: ceil(log(1 - u) / log(1 - p)), at least 1
        xp = self.backend.xp
        trials = xp.maximum(xp.ceil(xp.log1p(-u) / math.log1p(-p)), 1.0)
        return _assign(self, "geometric_", make_tensor(xp.astype(trials, self.array.dtype), self.backend, None, 0))
    return _fill(self, "geometric_", _generator(generator).geometric(p, size=tuple(self.shape)))


METHODS: dict[str, Any] = {"random_": random_, "cauchy_": cauchy_, "log_normal_": log_normal_,
                           "geometric_": geometric_}
