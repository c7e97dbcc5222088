"""Containers: `Sequential`, `ModuleList`, `ModuleDict` (PyTorch's indexing, slicing and editing)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..autograd.tensor import Tensor
from ..functional.linear_activation import fused_linear_available
from .fusion import fused_forward
from .module import Module


def _index(container: Module, idx: Any) -> int:
    """``idx`` as a non-negative position, raising IndexError (as a list) when out of range."""
    idx = operator.index(idx)
    size = len(container._modules)
    if not -size <= idx < size:
        raise IndexError(f"{type(container).__name__}: index {idx} is out of range for {size} modules")
    return idx % size


def _check_module(container: Module, name: Any, module: Any) -> Any:
    """A container item is a Module, or None: a placeholder as PyTorch's add_module takes (lucidrains' models
    write ``ModuleList([attn, ff, PEG(dim) if first else None])`` and skip the None when they run). Returns the
    item to hold: einops' PyTorch ``Rearrange`` / ``Reduce`` (which an import swap leaves in a model) become
    anynn's, as they hold no weights."""
    if module is not None and not isinstance(module, Module):
        converted = _from_einops_torch_layer(module)
        if converted is not None:
            return converted
        raise TypeError(f"{type(container).__name__}: item {name} is a {type(module).__name__}, not a Module"
                        f"{_foreign_layer_hint(module)}")
    return module


# another library's layer class name -> what makes anynn's layer from one of them: einops' weight-free PyTorch
# layers, registered by `anynn.utils.einops` (a higher layer than nn) when it loads
FOREIGN_LAYER_CONVERTERS: dict[tuple[str, str], Callable[[Any], Module]] = {}


def _from_einops_torch_layer(module: Any) -> Module | None:
    """anynn's layer for einops' PyTorch ``Rearrange`` / ``Reduce`` (see `FOREIGN_LAYER_CONVERTERS`), or None."""
    kind = type(module)
    if not kind.__module__.startswith("einops.layers"):
        return None
    convert = FOREIGN_LAYER_CONVERTERS.get(("einops", kind.__name__))
    return None if convert is None else convert(module)


def _foreign_layer_hint(module: Any) -> str:
    """What to write instead of another library's layer: einops' PyTorch EinMix (it holds weights) has an anynn
    counterpart; a torch.nn layer is rebuilt."""
    where = type(module).__module__
    if where.startswith("einops.layers"):
        return (f" (einops' PyTorch layer {where}.{type(module).__name__}: anynn's is `from anynn.utils.einops import "
                f"{type(module).__name__}`)")
    if where.startswith("torch.nn."):
        return " (a PyTorch torch.nn layer: build it from anynn.nn)"
    return ""


def _renumber(container: Module, modules: Iterable[Module]) -> None:
    """Replace the children by ``modules`` named "0", "1", ... (after a deletion or insertion)."""
    for name in list(container._modules):
        delattr(container, name)
    for i, m in enumerate(modules):
        container.add_module(str(i), m)


class Sequential(Module):
    """Layers applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Also ``Sequential(OrderedDict(name=layer, ...))`` for named layers. ``backend``, ``dtype`` and
    ``seed`` apply to the whole stack: with ``seed`` every parameter is re-drawn from one host
    generator in layer order (the same numbers on every backend), then all state moves to
    ``backend``/``dtype``. Indexing, slicing (which keeps the layer names, as PyTorch), ``len``,
    iteration, ``append``, ``insert``, ``extend``, ``pop`` and ``del`` work as on PyTorch's.
    """

    _device_argument = False  # PyTorch's Sequential takes no device=; backend= places the stack

    def __init__(self, *layers: Module, backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        named = layers[0].items() if len(layers) == 1 and isinstance(layers[0], Mapping) else (
            (str(i), layer) for i, layer in enumerate(layers))
        for name, layer in named:
            layer = _check_module(self, name, layer)
            self.add_module(name, layer)
        if backend is not None or dtype is not None:
            self.to(backend, dtype=dtype)
        if seed is not None:  # drawn on the host, so the same values on every backend and in every dtype
            self.reset_parameters(seed)

    def forward(self, input: Any) -> Any:
        # CuPy + nvmath: Linear + ReLU in one call
        if isinstance(input, Tensor) and fused_linear_available(input.backend):
            return fused_forward(self._modules.values(), input)
        for layer in self._modules.values():
            input = layer(input)
        return input

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(self, index)]

    def __setitem__(self, index: int, layer: Module) -> None:
        layer = _check_module(self, index, layer)
        self.add_module(list(self._modules)[_index(self, index)], layer)

    def __delitem__(self, index: int | slice) -> None:
        _delete(self, index)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other: "Sequential") -> "Sequential":
        return Sequential(*self, *_sequential_operand(other))

    def __iadd__(self, other: "Sequential") -> "Sequential":
        return self.extend(list(_sequential_operand(other)))

    def __mul__(self, times: int) -> "Sequential":
        """The layers repeated ``times`` times (the same instances, so their parameters are shared)."""
        return Sequential(*(list(self) * _repeats(self, times)))

    __rmul__ = __mul__

    def __imul__(self, times: int) -> "Sequential":
        return self.extend(list(self) * (_repeats(self, times) - 1))

    def append(self, layer: Module) -> "Sequential":
        layer = _check_module(self, len(self), layer)
        self.add_module(str(len(self._modules)), layer)
        return self

    def extend(self, layers: Iterable[Module]) -> "Sequential":
        for layer in layers:
            self.append(layer)
        return self

    def insert(self, index: int, layer: Module) -> "Sequential":
        layer = _check_module(self, index, layer)
        items = list(self._modules.values())
        if not -len(items) <= operator.index(index) <= len(items):
            raise IndexError(f"Sequential.insert: index {index} is out of range for {len(items)} modules")
        items.insert(operator.index(index), layer)
        _renumber(self, items)
        return self

    def pop(self, index: int = -1) -> Module:
        layer = self[index]
        del self[index]
        return layer


class ModuleList(Module):
    """A list of modules whose parameters are registered (indexing, slicing, ``append``, ``extend``,
    ``insert``, ``pop``, ``del``, ``+=`` as on a list; names stay "0", "1", ... in order)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __repr__(self) -> str:
        """PyTorch's printout, runs of items that print alike in one entry: ``(0-5): 6 x TransformerEncoderLayer(``."""
        runs: list[list[Any]] = []  # [first position, last position, the items' repr]
        for position, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        if not runs:
            return f"{type(self).__name__}()"
        lines = [(f"({first}): " if first == last else f"({first}-{last}): {last - first + 1} x ")
                 + text.replace("\n", "\n  ") for first, last, text in runs]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def append(self, module: Module) -> "ModuleList":
        module = _check_module(self, len(self), module)
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"ModuleList.extend should be called with an iterable of modules, "
                            f"got {type(modules).__name__}")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        module = _check_module(self, index, module)
        items = list(self._modules.values())
        items.insert(operator.index(index), module)
        _renumber(self, items)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return list(self._modules.values())[_index(self, index)]

    def __setitem__(self, index: int, module: Module) -> None:
        module = _check_module(self, index, module)
        self.add_module(str(_index(self, index)), module)

    def __delitem__(self, index: int | slice) -> None:
        _delete(self, index)

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered (``[]``, ``in``, ``del``, ``update``, ``pop``,
    ``clear``, ``keys``, ``items``, ``values``; insertion order kept)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        module = _check_module(self, repr(key), module)
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        for key, module in key_value_pairs("ModuleDict", modules):
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self._modules[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()


def _sequential_operand(other: Any) -> "Sequential":
    if not isinstance(other, Sequential):
        raise ValueError(f"add operator supports only objects of Sequential class, but {type(other).__name__} "
                         "is given")
    return other


def _repeats(container: Sequential, times: Any) -> int:
    """``times`` checked as PyTorch's ``Sequential * times``: an int above 0."""
    if not isinstance(times, int) or isinstance(times, bool):
        raise TypeError(f"unsupported operand type(s) for *: 'Sequential' and '{type(times).__name__}'")
    if times <= 0:
        raise ValueError(f"Non-positive multiplication factor {times} for Sequential")
    return times


def key_value_pairs(kind: str, items: Any) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a mapping, a ModuleDict/ParameterDict or an iterable of pairs, checked as
    PyTorch's ``ModuleDict.update`` / ``ParameterDict.update`` check them."""
    if isinstance(items, Mapping) or (isinstance(items, Module) and callable(getattr(items, "items", None))):
        return list(items.items())
    if not isinstance(items, Iterable):
        raise TypeError(f"{kind}.update should be called with an iterable of key/value pairs, but got "
                        f"{type(items).__name__}")
    pairs = []
    for j, pair in enumerate(items):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{kind} update sequence element #{j} should be Iterable; is {type(pair).__name__}")
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(f"{kind} update sequence element #{j} has length {len(pair)}; 2 is required")
        pairs.append(pair)
    return pairs


def _delete(container: Module, index: int | slice) -> None:
    """Remove the indexed layer(s) of a `Sequential`/`ModuleList` and renumber the rest from 0."""
    items = list(container._modules.values())
    if isinstance(index, slice):
        del items[index]
    else:
        del items[_index(container, index)]
    _renumber(container, items)
