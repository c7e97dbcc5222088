"""PyTorch's ``torch.nn.modules.utils`` helpers that layer code imports (``from torch.nn.modules.utils import
_pair``): turn an int or a sequence into a tuple of ``n`` sizes; and `consume_prefix_in_state_dict_if_present`,
which checkpoint loaders call on the state of a wrapped model (``module.``, ``_orig_mod.``); and the transformer
file's ``_get_clones`` / ``_get_activation_fn``, which DETR-style decoders import."""

from __future__ import annotations

import collections.abc
import copy
from typing import Any, Callable, MutableMapping


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple[Any, ...]]:
    """A function that gives an iterable back as a tuple and repeats anything else ``n`` times."""

    def parse(x: Any) -> tuple[Any, ...]:
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return (x,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t: Any, n: int) -> tuple[Any, ...]:
    """``t`` reversed, each item repeated ``n`` times: (1, 2) -> (2, 2, 1, 1) for n=2 (a conv's padding, as
    ``F.pad`` takes it: last axis first)."""
    return tuple(x for x in reversed(tuple(t)) for _ in range(n))


def _list_with_default(out_size: Any, defaults: Any) -> list[Any]:
    """``out_size`` (an int, or a sequence whose None entries take the matching trailing ``defaults``) as a
    list, as adaptive pooling reads its output size."""
    if isinstance(out_size, int):
        return [out_size]
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: MutableMapping[str, Any], prefix: str) -> None:
    """Drop ``prefix`` from the start of every key of ``state_dict`` that has it, in place, as PyTorch's.

    A model saved inside `DistributedDataParallel` / ``DataParallel`` (``"module."``) or `anynn.compile`'s
    ``OptimizedModule`` (``"_orig_mod."``) loads into the bare model after this call. Keys without the prefix stay;
    the renamed ones move to the end, in their order. A ``_metadata`` attribute on the dict (PyTorch's versions per
    module) is renamed the same way, its ``""`` entry kept.
    """
    for key in [k for k in state_dict if k.startswith(prefix)]:
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    for key in [k for k in metadata if k and (k == prefix.replace(".", "") or k.startswith(prefix))]:
        metadata[key[len(prefix):]] = metadata.pop(key)


def _get_clones(module: Any, N: int) -> Any:  # noqa: N803 - PyTorch's name
    """A ModuleList of ``N`` deep copies of ``module`` (independent parameters), as PyTorch's."""
    from ..container import ModuleList

    return ModuleList([copy.deepcopy(module) for _ in range(N)])


def _get_activation_fn(activation: str) -> Callable[[Any], Any]:
    """``"relu"`` or ``"gelu"`` as the functional; another name is refused with PyTorch's RuntimeError."""
    from ...functional import gelu, relu

    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")
