"""Containers: `Sequential`, `ModuleList`, `ModuleDict`."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .module import Module


class Sequential(Module):
    """Layers applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    ``backend``, ``dtype`` and ``seed`` apply to the whole stack: with ``seed`` every parameter is
    re-drawn from one host generator in layer order (the same numbers on every backend), then all
    state moves to ``backend``/``dtype``.
    """

    def __init__(self, *layers: Module, backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        named = layers[0].items() if len(layers) == 1 and isinstance(layers[0], dict) else (
            (str(i), layer) for i, layer in enumerate(layers))
        for name, layer in named:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: item {name} is a {type(layer).__name__}, not a Module")
            setattr(self, name, layer)
        if seed is not None:
            self.to(dtype=dtype)
            self.reset_parameters(seed)
        if backend is not None or dtype is not None:
            self.to(backend, dtype)

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, layer: Module) -> "Sequential":
        setattr(self, str(len(self._modules)), layer)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (indexable, iterable)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> "ModuleList":
        setattr(self, str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered."""

    def __init__(self, modules: dict[str, Module] | None = None) -> None:
        super().__init__()
        for k, m in (modules or {}).items():
            setattr(self, k, m)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        setattr(self, key, module)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()
