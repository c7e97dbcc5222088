"""``torch.utils._pytree`` for anynn: nested containers ("pytrees") flattened to their leaves and rebuilt.

Nodes are tuples, lists, dicts (in insertion order), namedtuples (the ``values, indices`` results too),
``OrderedDict``, ``defaultdict``, ``deque`` and `anynn.Size`, plus the types given to `register_pytree_node`;
everything else (Tensors, numbers, strings, None) is a leaf, as in PyTorch 2.13. Programs that reach for
PyTorch's private module (lucidrains' x-transformers, Hugging Face code) import ``tree_flatten``,
``tree_unflatten`` and ``tree_map`` from ``torch.utils._pytree``; after the import swap they come from here::

    from anynn.utils._pytree import tree_flatten, tree_unflatten, tree_map

Example::

    leaves, spec = tree_flatten({"a": (x, y), "b": [z]})     # leaves [x, y, z]
    tree_unflatten([x * 2, y * 2, z * 2], spec)              # {"a": (2x, 2y), "b": [2z]}
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..autograd.size import Size

Context = Any
FlattenFunc = Callable[[Any], "tuple[list[Any], Context]"]
UnflattenFunc = Callable[[Iterable[Any], Context], Any]
IsLeaf = Callable[[Any], bool] | None


class NodeDef(NamedTuple):
    """How one container type comes apart (``flatten_fn``) and goes back together (``unflatten_fn``)."""

    type: type
    flatten_fn: FlattenFunc
    unflatten_fn: UnflattenFunc


SUPPORTED_NODES: dict[type, NodeDef] = {}


def register_pytree_node(cls: type, flatten_fn: FlattenFunc, unflatten_fn: UnflattenFunc, *,
                         serialized_type_name: str | None = None, to_dumpable_context: Any = None,
                         from_dumpable_context: Any = None, flatten_with_keys_fn: Any = None) -> None:
    """Make ``cls`` a node: ``flatten_fn(obj) -> (children, context)``, ``unflatten_fn(children, context) -> obj``.

    The serialization and key-path arguments are PyTorch's and are accepted for its signature only."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"register_pytree_node: {cls} is already registered as a pytree node")
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn)


def _namedtuple_unflatten(values: Iterable[Any], context: type) -> Any:
    return context(*values)


for _kind, _flat, _unflat in [
    (tuple, lambda t: (list(t), None), lambda v, c: tuple(v)),
    (list, lambda t: (list(t), None), lambda v, c: list(v)),
    (dict, lambda d: (list(d.values()), list(d)), lambda v, c: dict(zip(c, v))),
    (OrderedDict, lambda d: (list(d.values()), list(d)), lambda v, c: OrderedDict(zip(c, v))),
    (defaultdict, lambda d: (list(d.values()), (d.default_factory, list(d))),
     lambda v, c: defaultdict(c[0], zip(c[1], v))),
    (deque, lambda d: (list(d), d.maxlen), lambda v, c: deque(v, maxlen=c)),
    (Size, lambda t: (list(t), None), lambda v, c: Size(v)),
]:
    register_pytree_node(_kind, _flat, _unflat)


def _is_namedtuple(node: Any) -> bool:
    return isinstance(node, tuple) and hasattr(type(node), "_fields")


def _node_type(node: Any) -> type | None:
    """The registered type ``node`` flattens as (namedtuples by their own class), or None for a leaf."""
    if _is_namedtuple(node):
        return type(node)
    kind = type(node)
    return kind if kind in SUPPORTED_NODES else None


def _flatten_node(node: Any) -> tuple[list[Any], Context]:
    if _is_namedtuple(node):
        return list(node), type(node)
    return SUPPORTED_NODES[type(node)].flatten_fn(node)


def _unflatten_node(kind: type, children: list[Any], context: Context) -> Any:
    if kind not in SUPPORTED_NODES and issubclass(kind, tuple):
        return _namedtuple_unflatten(children, context)
    return SUPPORTED_NODES[kind].unflatten_fn(children, context)


@dataclass
class TreeSpec:
    """A pytree's shape without its leaves: the node ``type`` (None for a leaf), its ``context`` (dict keys...)
    and one spec per child."""

    type: Any
    context: Context
    children_specs: list[TreeSpec]
    num_leaves: int = field(init=False)
    num_nodes: int = field(init=False)

    def __post_init__(self) -> None:
        self.num_leaves = 1 if self.type is None else sum(c.num_leaves for c in self.children_specs)
        self.num_nodes = 1 + sum(c.num_nodes for c in self.children_specs)

    @property
    def num_children(self) -> int:
        return len(self.children_specs)

    def is_leaf(self) -> bool:
        return self.type is None

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """The pytree of this spec holding ``leaves`` in order."""
        return tree_unflatten(leaves, self)

    def __repr__(self) -> str:
        if self.is_leaf():
            return "*"
        inner = ", ".join(repr(c) for c in self.children_specs)
        return f"TreeSpec({getattr(self.type, '__name__', self.type)}, {self.context!r}, [{inner}])"


def LeafSpec() -> TreeSpec:  # noqa: N802 - PyTorch's name (a class there)
    """The spec of a single leaf."""
    return TreeSpec(None, None, [])


def tree_flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], TreeSpec]:
    """``(leaves, spec)``: the leaves depth first, and the `TreeSpec` `tree_unflatten` rebuilds ``tree`` from.
    ``is_leaf(node)`` True stops the descent at ``node``."""
    leaves: list[Any] = []

    def walk(node: Any) -> TreeSpec:
        kind = None if is_leaf is not None and is_leaf(node) else _node_type(node)
        if kind is None:
            leaves.append(node)
            return LeafSpec()
        children, context = _flatten_node(node)
        return TreeSpec(kind, context, [walk(c) for c in children])

    return leaves, walk(tree)


def tree_unflatten(leaves: Iterable[Any], treespec: TreeSpec) -> Any:
    """The pytree ``treespec`` describes, holding ``leaves`` in order (the inverse of `tree_flatten`)."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): expected a TreeSpec as treespec, got "
                        f"{type(treespec).__name__}; note the order: leaves first")
    leaves = list(leaves)
    if len(leaves) != treespec.num_leaves:
        raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers to a "
                         f"pytree that holds {treespec.num_leaves} items ({treespec}).")
    it = iter(leaves)

    def build(spec: TreeSpec) -> Any:
        if spec.is_leaf():
            return next(it)
        return _unflatten_node(spec.type, [build(c) for c in spec.children_specs], spec.context)

    return build(treespec)


def tree_leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    """The leaves of ``tree``, depth first."""
    return tree_flatten(tree, is_leaf)[0]


def tree_iter(tree: Any, is_leaf: IsLeaf = None) -> Iterable[Any]:
    """An iterator over the leaves of ``tree``."""
    return iter(tree_leaves(tree, is_leaf))


def tree_structure(tree: Any, is_leaf: IsLeaf = None) -> TreeSpec:
    """The `TreeSpec` of ``tree``."""
    return tree_flatten(tree, is_leaf)[1]


def _leaves_up_to(spec: TreeSpec, tree: Any) -> list[Any]:
    """``tree``'s subtrees at the places of ``spec``'s leaves (``tree`` has ``spec``'s nodes, maybe more below)."""
    if spec.is_leaf():
        return [tree]
    if _node_type(tree) != spec.type:
        raise ValueError(f"tree_map: a tree has a {type(tree).__name__} where the first tree has a "
                         f"{getattr(spec.type, '__name__', spec.type)}")
    children, context = _flatten_node(tree)
    if len(children) != spec.num_children or (isinstance(context, list) and context != spec.context):
        raise ValueError(f"tree_map: a tree's {type(tree).__name__} has {len(children)} children (context "
                         f"{context!r}) where the first tree's has {spec.num_children} ({spec.context!r})")
    return [leaf for c, s in zip(children, spec.children_specs) for leaf in _leaves_up_to(s, c)]


def tree_map(func: Callable[..., Any], tree: Any, *rests: Any, is_leaf: IsLeaf = None) -> Any:
    """``tree`` with each leaf replaced by ``func(leaf, *the same leaf of each of rests)``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [_leaves_up_to(spec, r) for r in rests]
    return tree_unflatten([func(*xs) for xs in zip(leaves, *others)], spec)


def _only(types: type | tuple[type, ...], func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: func(x) if isinstance(x, types) else x


def tree_map_only(type_or_types: type | tuple[type, ...], func: Callable[[Any], Any], tree: Any,
                  is_leaf: IsLeaf = None) -> Any:
    """`tree_map` of ``func`` over the leaves that are instances of ``type_or_types``; the others stay."""
    return tree_map(_only(type_or_types, func), tree, is_leaf=is_leaf)


def tree_all(pred: Callable[[Any], bool], tree: Any, is_leaf: IsLeaf = None) -> bool:
    """Whether ``pred`` holds for every leaf."""
    return all(map(pred, tree_leaves(tree, is_leaf)))


def tree_any(pred: Callable[[Any], bool], tree: Any, is_leaf: IsLeaf = None) -> bool:
    """Whether ``pred`` holds for some leaf."""
    return any(map(pred, tree_leaves(tree, is_leaf)))


def tree_all_only(type_or_types: type | tuple[type, ...], pred: Callable[[Any], bool], tree: Any,
                  is_leaf: IsLeaf = None) -> bool:
    """Whether ``pred`` holds for every leaf of the given types."""
    return all(pred(x) for x in tree_leaves(tree, is_leaf) if isinstance(x, type_or_types))


def tree_any_only(type_or_types: type | tuple[type, ...], pred: Callable[[Any], bool], tree: Any,
                  is_leaf: IsLeaf = None) -> bool:
    """Whether ``pred`` holds for some leaf of the given types."""
    return any(pred(x) for x in tree_leaves(tree, is_leaf) if isinstance(x, type_or_types))


__all__ = ["LeafSpec", "SUPPORTED_NODES", "TreeSpec", "register_pytree_node", "tree_all", "tree_all_only", "tree_any",
           "tree_any_only", "tree_flatten", "tree_iter", "tree_leaves", "tree_map", "tree_map_only", "tree_structure",
           "tree_unflatten"]
