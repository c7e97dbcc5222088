"""``optimizer.state``: each parameter's state dict, reachable by the parameter itself as in PyTorch.

anynn keeps the table keyed by ``id(param)`` (a Tensor's ``==`` is elementwise, so Tensors make poor dict keys
for code that compares keys), and the optimizers, ``state_dict`` and compiled steps read it that way. Optimizers
written for PyTorch (AdaHessian, Sophia, K-FAC sketches) index it with the parameter, ``self.state[p]``, and rely
on PyTorch's ``defaultdict(dict)``: a parameter seen for the first time gets an empty dict. `ParamState` accepts
both keys; iterating it yields the ids.

A state reached by its parameter is the user's: PyTorch programs put Tensors in it (``state[p]["step"] =
torch.tensor(3.)``, a resumed moment). `ParamState` notes those ids (``touched``), so that the optimizer's step
reads such Tensors as its own arrays and numbers first (`Optimizer.step`).
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor

_MISSING = object()


def _key(key: Any) -> Any:
    return id(key) if isinstance(key, Tensor) else key


class ParamState(dict):  # type: ignore[type-arg]
    """``id(param) -> {name: value}``; ``state[param]`` reads (making an empty dict the first time, as PyTorch's
    ``defaultdict(dict)``), writes, tests and removes the entry of ``id(param)``. ``touched`` holds the ids whose
    dict was reached by a parameter key (the user's way in, never the optimizers')."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set[int] = set()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, Tensor):
            self.touched.add(id(key))
            return dict.setdefault(self, id(key), {})
        return dict.__getitem__(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, Tensor):
            self.touched.add(id(key))
        dict.__setitem__(self, _key(key), value)

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, _key(key))

    def __contains__(self, key: Any) -> bool:
        return dict.__contains__(self, _key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, Tensor):
            self.touched.add(id(key))
        return dict.get(self, _key(key), default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, Tensor):
            self.touched.add(id(key))
        return dict.setdefault(self, _key(key), default)

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        if default is _MISSING:
            return dict.pop(self, _key(key))
        return dict.pop(self, _key(key), default)
