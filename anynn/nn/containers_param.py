"""`ParameterList` and `ParameterDict`: Parameters held in a list or a dict, registered under their
positions ("0", "1", ...) or keys, as in PyTorch (so state dicts carry the same names)."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

from ..autograd.tensor import Tensor
from .container import key_value_pairs
from .module import Module, Parameter


class MissingKeyError(KeyError, AttributeError):
    """A key a `ParameterDict` does not hold: PyTorch's reads it as an attribute (AttributeError), a KeyError here."""


def _as_parameter(value: Any) -> Any:
    """A Tensor becomes a Parameter (same data, backend and dtype), as PyTorch's containers do."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value.array, backend=value.backend, dtype=value.dtype)  # requires grad, as PyTorch
    return value


def _set(container: Module, name: str, value: Any) -> None:
    value = _as_parameter(value)
    if name in container.__dict__ and name not in container._parameters:
        object.__delattr__(container, name)  # a plain object stood here
    if isinstance(value, Parameter) or value is None:
        container._modules.pop(name, None)
        container.register_parameter(name, value)
    elif isinstance(value, Module):  # a child module (vit-pytorch's ParameterList of ParameterLists), as PyTorch's
        Module.__setattr__(container, name, value)  # refused in a Parameter's place, as there
    else:  # PyTorch keeps other objects as plain attributes
        container._parameters.pop(name, None)
        container._modules.pop(name, None)
        object.__setattr__(container, name, value)


class ParameterList(Module):
    """A list of Parameters: ``plist[i]``, ``len``, iteration, ``append``, ``extend``; entry i is named ``str(i)``."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def _index(self, idx: int) -> int:
        if not -self._size <= idx < self._size:
            raise IndexError(f"ParameterList: index {idx} is out of range for {self._size} entries")
        return idx % self._size

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        return getattr(self, str(self._index(idx)))

    def __setitem__(self, idx: int, value: Any) -> None:
        _set(self, str(self._index(idx)), value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._size))

    def __iadd__(self, values: Iterable[Any]) -> "ParameterList":
        return self.extend(values)

    def append(self, value: Any) -> "ParameterList":
        object.__setattr__(self, "_size", self._size + 1)
        _set(self, str(self._size - 1), value)
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_describe(v, v.dtype if isinstance(v, Tensor) else None)}"
                         for i, v in enumerate(self))


class ParameterDict(Module):
    """An ordered dict of Parameters: ``pdict[key]``, ``keys``/``values``/``items``, ``update``, ``pop``..."""

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise MissingKeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        _set(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._keys))

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> list[str]:
        return list(self._keys)

    def values(self) -> list[Any]:
        return [self[k] for k in self._keys]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._keys else default

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self._keys:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def copy(self) -> "ParameterDict":
        return ParameterDict(self.items())

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        for key, value in key_value_pairs("ParameterDict", parameters):
            self[key] = value

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last inserted (key, value) pair."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> "ParameterDict":
        """A new ParameterDict with ``keys``, each holding ``default``."""
        return ParameterDict((k, default) for k in keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __or__(self, other: "ParameterDict") -> "ParameterDict":
        if not isinstance(other, ParameterDict):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: "ParameterDict") -> "ParameterDict":
        if not isinstance(other, ParameterDict):
            return NotImplemented
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: Any) -> "ParameterDict":
        self.update(other)
        return self

    def extra_repr(self) -> str:  # PyTorch names the tensor type here ("torch.FloatTensor"), the dtype in a list
        return "\n".join(f"  ({k}): {_describe(v, v.type() if isinstance(v, Tensor) else None)}"
                         for k, v in self.items())


def _describe(value: Any, kind: Any) -> str:
    """PyTorch's line for an entry: ``Parameter containing: [float32 of size 2x3]``, ``Object of type: Linear``."""
    if isinstance(value, Tensor):
        return (f"{'Parameter' if isinstance(value, Parameter) else 'Tensor'} containing: [{kind} of size "
                f"{'x'.join(str(n) for n in value.shape)}]")
    return f"Object of type: {type(value).__name__}"
