"""Nested containers of tensors ("pytrees", as in ``torch.utils._pytree``): tuples, lists, dicts and namedtuples
are nodes, anything else is a leaf. `flatten` lists the leaves in order; `unflatten` rebuilds the container."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Spec = Any
"""How to rebuild a container: ``None`` for a leaf, else ``(kind, keys, child specs)``."""


def flatten(tree: Any) -> tuple[list[Any], Spec]:
    """``(leaves, spec)``: the leaves in depth-first order and what `unflatten` needs to rebuild ``tree``."""
    leaves: list[Any] = []

    def walk(node: Any) -> Spec:
        if isinstance(node, dict):
            keys = list(node)
            return (type(node), keys, [walk(node[k]) for k in keys])
        if isinstance(node, (tuple, list)):
            return (type(node), None, [walk(c) for c in node])
        leaves.append(node)
        return None

    return leaves, walk(tree)


def unflatten(spec: Spec, leaves: list[Any]) -> Any:
    """The container ``spec`` describes, holding ``leaves`` in order (the inverse of `flatten`)."""
    it = iter(leaves)

    def build(s: Spec) -> Any:
        if s is None:
            return next(it)
        kind, keys, children = s
        built = [build(c) for c in children]
        if keys is not None:
            return kind(zip(keys, built))
        if kind is tuple or kind is list:
            return kind(built)
        if _is_namedtuple_type(kind):
            return kind(*built)
        return kind(built)

    return build(spec)


def _is_namedtuple_type(kind: type) -> bool:
    return issubclass(kind, tuple) and hasattr(kind, "_fields")


def map_leaves(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with every leaf replaced by ``fn(leaf)``."""
    leaves, spec = flatten(tree)
    return unflatten(spec, [fn(x) for x in leaves])


def broadcast_prefix(prefix: Any, tree: Any, where: str) -> list[Any]:
    """One entry per leaf of ``tree``: ``prefix`` is a leaf value that applies to a whole subtree (an int, None) or
    a container matching ``tree`` down to where its leaves apply (PyTorch's ``in_dims``/``out_dims`` rule)."""
    out: list[Any] = []

    def walk(p: Any, node: Any, where: str) -> None:
        mismatch = f"{where} is {p!r}, which does not match the structure of its input ({type(node).__name__})"
        if not isinstance(p, (tuple, list, dict)):
            out.extend([p] * len(flatten(node)[0]))
            return
        if isinstance(p, dict):
            if not isinstance(node, dict) or set(p) != set(node):
                raise ValueError(mismatch)
            for k in node:
                walk(p[k], node[k], f"{where}[{k!r}]")
            return
        if not isinstance(node, (tuple, list)) or len(p) != len(node):
            raise ValueError(mismatch)
        for i, (pi, ni) in enumerate(zip(p, node)):
            walk(pi, ni, f"{where}[{i}]")

    walk(prefix, tree, where)
    return out


__all__ = ["broadcast_prefix", "flatten", "map_leaves", "unflatten"]
