"""The batch a user's ``collate_fn`` returns, yielded in its own structure as PyTorch's DataLoader yields it.

PyTorch hands back whatever ``collate_fn`` returned: lists stay lists, dicts dicts (whatever their keys, which
may change from batch to batch), numbers numbers, strings strings, and a list of Tensors of different shapes is
not stacked. anynn's loader also moves a batch's arrays to its backend and dtype, and may stage them ahead, so a
batch is split into its arrays (the loader's fields: Tensors, NumPy and other libraries' arrays) and a `Layout`
holding everything else, then rebuilt once the arrays are Tensors.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence


class Slot:
    """Where the ``index``-th array of a batch goes back in its `Layout`."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class Layout:
    """A batch with its arrays replaced by `Slot`s: containers and every other value kept as they are."""

    __slots__ = ("template",)

    def __init__(self, template: Any) -> None:
        self.template = template


def split(batch: Any, is_array: Callable[[Any], bool]) -> tuple[Layout, list[Any]]:
    """``batch`` as its `Layout` and the list of its arrays (those ``is_array`` accepts), in the order met."""
    arrays: list[Any] = []

    def walk(item: Any) -> Any:
        if is_array(item):
            arrays.append(item)
            return Slot(len(arrays) - 1)
        return _inside(item, walk)

    return Layout(walk(batch)), arrays


def rebuilt(layout: Layout, tensors: Sequence[Any]) -> Any:
    """The batch of ``layout`` with each `Slot` replaced by its entry of ``tensors``."""

    def fill(item: Any) -> Any:
        return tensors[item.index] if isinstance(item, Slot) else _inside(item, fill)

    return fill(layout.template)


def _inside(item: Any, each: Callable[[Any], Any]) -> Any:
    """``item`` with ``each`` applied to the values of a dict, list, tuple or namedtuple (of the same class where
    it can be rebuilt from its values); any other value as it is."""
    if isinstance(item, dict):
        pairs = [(key, each(value)) for key, value in item.items()]
        try:
            return type(item)(pairs)
        except TypeError:  # a mapping class built otherwise (defaultdict): a dict
            return dict(pairs)
    if isinstance(item, tuple) and hasattr(type(item), "_fields"):  # a namedtuple: its class and field names
        return type(item)(*(each(value) for value in item))
    if isinstance(item, (list, tuple)):
        return type(item)(each(value) for value in item)
    return item
