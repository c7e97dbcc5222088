"""PyTorch's benchmark ``Fuzzer`` (``torch.utils.benchmark.Fuzzer``): random benchmark inputs from parameter specs.

`FuzzedParameter` draws a number (log-uniform, uniform or from a dict of choices), `ParameterAlias` reuses another
parameter's draw, `FuzzedTensor` makes a tensor whose sizes name parameters, and ``Fuzzer(...).take(n)`` yields
``(tensors, tensor_properties, params)`` ``n`` times. The parameters are drawn on the host with NumPy's
``RandomState`` in PyTorch's order, so a seed gives PyTorch's sizes, orders and steps; the values come from
`anynn.rand` / `anynn.randint` (seeded from the same state), not PyTorch's generator.

Example::

    fuzzer = Fuzzer(parameters=[FuzzedParameter("n", 16, 1024, distribution="loguniform")],
                    tensors=[FuzzedTensor("x", size=("n", 8), probability_contiguous=0.5)], seed=0)
    for tensors, properties, params in fuzzer.take(3):
        print(params["n"], tensors["x"].shape, properties["x"]["is_contiguous"])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..backend import dtype_name
from ..factories import rand, randint
from ..init import manual_seed
from ..type_info import finfo, iinfo

__all__ = ["FuzzedParameter", "FuzzedTensor", "Fuzzer", "ParameterAlias"]

_DISTRIBUTIONS = ("loguniform", "uniform")


class ParameterAlias:
    """A parameter value that is another parameter's draw (``ParameterAlias("x_len")``); chains may not cycle."""

    def __init__(self, alias_to: str) -> None:
        self.alias_to = alias_to

    def __repr__(self) -> str:
        return f"alias[{self.alias_to}]"


class FuzzedParameter:
    """One parameter: ``distribution`` ``"loguniform"`` or ``"uniform"`` between ``minval`` and ``maxval``
    (inclusive; integers unless a bound is a float), or a dict ``{value: probability}`` (no bounds then).
    A ``strict`` parameter is drawn once per set, not again when the set is rejected."""

    def __init__(self, name: str, minval: float | None = None, maxval: float | None = None,
                 distribution: str | dict[Any, float] | None = None, strict: bool = False) -> None:
        self._name = name
        self._minval: Any = minval  # (None with a dict distribution)
        self._maxval: Any = maxval
        self._distribution = self._checked(distribution)
        self.strict = strict

    @property
    def name(self) -> str:
        return self._name

    def _checked(self, distribution: Any) -> Any:
        if not isinstance(distribution, dict):
            if distribution not in _DISTRIBUTIONS:
                raise AssertionError(f"Unknown distribution: {distribution}")
            return distribution
        if any(p < 0 for p in distribution.values()):
            raise AssertionError("Probabilities cannot be negative")
        if abs(sum(distribution.values()) - 1) > 1e-5:
            raise AssertionError("Distribution is not normalized")
        if self._minval is not None or self._maxval is not None:
            raise AssertionError("When passing a custom distribution, 'minval' and 'maxval' must be None")
        return distribution

    def sample(self, state: np.random.RandomState) -> Any:
        """One draw from ``state`` (the Fuzzer's host generator)."""
        if isinstance(self._distribution, dict):
            index = state.choice(np.arange(len(self._distribution)), p=tuple(self._distribution.values()))
            return list(self._distribution.keys())[index]
        if self._distribution == "uniform":
            if isinstance(self._minval, int) and isinstance(self._maxval, int):
                return int(state.randint(low=self._minval, high=self._maxval + 1))
            return state.uniform(low=self._minval, high=self._maxval)
        drawn = int(2 ** state.uniform(low=np.log2(self._minval), high=np.log2(self._maxval)))
        return min(max(drawn, self._minval), self._maxval)  # (2 ** log2 can round just outside the bounds)


class FuzzedTensor:
    """A tensor ``name`` of ``size`` (ints, or names of parameters), optionally allocated ``steps`` times larger
    and sliced (``t[::step]`` per dim), with its memory order permuted with probability
    ``1 - probability_contiguous``. ``min_elements`` / ``max_elements`` / ``max_allocation_bytes`` reject a
    parameter set; ``dim_parameter`` names the parameter giving the number of dims (sizes cut or padded with 1)."""

    def __init__(self, name: str, size: Sequence[int | str], steps: Sequence[int | str] | None = None,
                 probability_contiguous: float = 0.5, min_elements: int | None = None,
                 max_elements: int | None = None, max_allocation_bytes: int | None = None,
                 dim_parameter: str | None = None, roll_parameter: str | None = None, dtype: Any = None,
                 cuda: bool = False, tensor_constructor: Callable[..., Any] | None = None) -> None:
        self._name = name
        self._size = tuple(size)
        self._steps = tuple(steps or ())
        self._probability_contiguous = probability_contiguous
        self._min_elements = min_elements
        self._max_elements = max_elements
        self._max_allocation_bytes = max_allocation_bytes
        self._dim_parameter = dim_parameter
        self._dtype = dtypes.float32 if dtype is None else dtype
        self._cuda = cuda
        self._tensor_constructor = tensor_constructor

    @property
    def name(self) -> str:
        return self._name

    @staticmethod
    def default_tensor_constructor(size: tuple[int, ...], dtype: Any, **kwargs: Any) -> Any:
        """PyTorch's default values: ``rand`` for floating dtypes, ``randint(1, 127)`` otherwise."""
        if _is_float(dtype):
            return rand(size=size, dtype=dtype)
        return randint(1, 127, size=size, dtype=dtype)

    def _sizes(self, params: dict[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(size, steps, allocated size) for ``params``: names resolved, cut or padded with 1 to the dims."""
        dims = params[self._dim_parameter] if self._dim_parameter is not None else len(self._size)

        def resolve(values: tuple[Any, ...]) -> tuple[int, ...]:
            found = tuple(params.get(v, v) for v in values)[:dims]
            return found + (1,) * (dims - len(found))

        size, steps = resolve(self._size), resolve(self._steps)
        return size, steps, tuple(n * s for n, s in zip(size, steps, strict=True))

    def satisfies_constraints(self, params: dict[str, Any]) -> bool:
        """Whether ``params`` give a tensor within the element and allocation limits."""
        size, _, allocated = self._sizes(params)
        if dtype_name(self._dtype) == "bool":
            item_bytes = 1
        else:
            item_bytes = (finfo if _is_float(self._dtype) else iinfo)(self._dtype).bits // 8
        elements, allocated_bytes = math.prod(size), math.prod(allocated) * item_bytes
        return not any(limit is not None and value is not None and value > limit for value, limit in (
            (elements, self._max_elements), (self._min_elements, elements),
            (allocated_bytes, self._max_allocation_bytes)))

    def _make_tensor(self, params: dict[str, Any], state: np.random.RandomState) -> tuple[Any, dict[str, Any]]:
        """The tensor for ``params`` and its properties (numel, order, steps, is_contiguous, dtype)."""
        size, steps, allocated = self._sizes(params)
        constructor = self._tensor_constructor or self.default_tensor_constructor
        raw = constructor(size=allocated, dtype=self._dtype, **params)
        if self._cuda:
            raw = raw.cuda()
        dims = len(size)
        order = np.arange(dims)
        if state.rand() > self._probability_contiguous:
            while dims > 1 and np.all(order == np.arange(dims)):
                order = state.permutation(dims)
        tensor = raw[tuple(slice(0, n * s, s) for n, s in zip(size, steps, strict=True))]
        properties = {"numel": int(tensor.numel()), "order": order, "steps": steps,
                      "is_contiguous": _laid_out_contiguously(allocated, order, size, steps),
                      "dtype": dtype_name(self._dtype)}
        return tensor, properties


def _is_float(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating or complex dtype (PyTorch's default fills those with ``rand``)."""
    return dtype_name(dtype).startswith(("float", "bfloat", "complex"))


def _laid_out_contiguously(allocated: tuple[int, ...], order: np.ndarray, size: tuple[int, ...],
                           steps: tuple[int, ...]) -> bool:
    """PyTorch's ``is_contiguous()`` of the fuzzed tensor: the allocation stored in ``order`` (dims permuted,
    made contiguous, permuted back), then sliced by ``steps``; dims of size 1 place no constraint."""
    if math.prod(size) == 0:
        return True
    strides = [0] * len(allocated)
    running = 1
    for dim in reversed(order.tolist()):
        strides[dim] = running
        running *= allocated[dim]
    expected = 1
    for dim in reversed(range(len(size))):
        if size[dim] != 1:
            if strides[dim] * steps[dim] != expected:
                return False
            expected *= size[dim]
    return True


class Fuzzer:
    """Draws parameter sets (rejecting those a ``constraints`` callable or a tensor's limits refuse, up to 1000
    tries) and makes the tensors for each; ``seed`` seeds the host ``RandomState`` and, through it, anynn's
    generator."""

    def __init__(self, parameters: Sequence[Any], tensors: Sequence[Any],
                 constraints: Sequence[Callable[..., bool]] | None = None, seed: int | None = None) -> None:
        if seed is None:
            seed = int(np.random.RandomState().randint(0, 2 ** 32 - 1, dtype=np.int64))
        self._seed = seed
        self._parameters = _flat(parameters, FuzzedParameter)
        self._tensors = _flat(tensors, FuzzedTensor)
        self._constraints = tuple(constraints or ())
        overlap = {p.name for p in self._parameters} & {t.name for t in self._tensors}
        if overlap:
            raise ValueError(f"Duplicate names in parameters and tensors: {overlap}")
        self._rejections = 0
        self._total_generated = 0

    def take(self, n: int) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        """``n`` draws of ``(tensors, tensor_properties, params)``, the same sequence for the same seed."""
        state = np.random.RandomState(self._seed)
        manual_seed(int(state.randint(low=0, high=2 ** 63, dtype=np.int64)))
        for _ in range(n):
            params = self._generate(state)
            made = {t.name: t._make_tensor(params, state) for t in self._tensors}
            yield ({name: pair[0] for name, pair in made.items()}, {name: pair[1] for name, pair in made.items()},
                   params)

    @property
    def rejection_rate(self) -> float:
        return self._rejections / self._total_generated if self._total_generated else 0.0

    def _generate(self, state: np.random.RandomState) -> dict[str, Any]:
        strict: dict[str, Any] = {}
        for _ in range(1000):
            candidate: dict[str, Any] = {}
            for p in self._parameters:
                if p.strict and p.name in strict:
                    candidate[p.name] = strict[p.name]
                else:
                    candidate[p.name] = p.sample(state)
                    if p.strict:
                        strict[p.name] = candidate[p.name]
            candidate = _resolve_aliases(candidate)
            self._total_generated += 1
            if all(f(candidate) for f in self._constraints) and all(
                    t.satisfies_constraints(candidate) for t in self._tensors):
                return candidate
            self._rejections += 1
        raise ValueError("Failed to generate a set of valid parameters.")


def _flat(values: Sequence[Any], kind: type) -> tuple[Any, ...]:
    """``values`` with nested iterables of specs unpacked one level, as PyTorch's Fuzzer takes them."""
    return tuple(itertools.chain.from_iterable([v] if isinstance(v, kind) else v for v in values))


def _resolve_aliases(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every `ParameterAlias` replaced by the value it names (a cycle is a ValueError)."""
    params = dict(params)
    left = sum(isinstance(v, ParameterAlias) for v in params.values())
    while left:
        for key, value in list(params.items()):
            if isinstance(value, ParameterAlias):
                params[key] = params[value.alias_to]
        now = sum(isinstance(v, ParameterAlias) for v in params.values())
        if now == left:
            raise ValueError(f"ParameterAlias cycle detected\n{params}")
        left = now
    return params
