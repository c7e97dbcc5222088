"""anynn.utils._pytree against torch.utils._pytree (torch 2.13 the oracle): lucidrains' x-transformers and Hugging
Face code import tree_flatten/tree_unflatten/tree_map from PyTorch's private path (ModuleNotFoundError before)."""

from __future__ import annotations

import collections

import pytest
import torch
import torch.utils._pytree as torch_pytree

import anynn
from anynn.utils import _pytree as pytree

Pair = collections.namedtuple("Pair", "x y")


def _tree(lib):
    return {"a": (1, [2, None]), "b": Pair(3, {"c": 4}), "d": collections.OrderedDict(z=5),
            "e": collections.deque([6], maxlen=3), "f": collections.defaultdict(list, k=7), "g": "leaf"}


def _uses(module):
    tree = _tree(module)
    leaves, spec = module.tree_flatten(tree)
    doubled = module.tree_unflatten([x * 2 if isinstance(x, int) else x for x in leaves], spec)
    summed = module.tree_map(lambda x, y: x + y if isinstance(x, int) else x, tree, doubled)
    return (leaves, spec.num_leaves, spec.num_nodes, doubled, summed, module.tree_map_only(int, str, ([1, "q"],)),
            module.tree_leaves(None), module.tree_all(lambda v: v is not None, tree),
            module.tree_any(lambda v: v == 7, tree), module.tree_any_only(int, lambda v: v > 6, tree),
            module.tree_flatten([1, [2, 3]], is_leaf=lambda n: isinstance(n, list) and len(n) == 2)[0],
            module.tree_structure((1, 2)) == module.tree_structure((3, 4)),
            module.tree_structure((1, 2)) == module.tree_structure([3, 4]), list(module.tree_iter([[1], (2,)])))


def test_flatten_unflatten_and_map_as_torch():
    assert _uses(pytree) == _uses(torch_pytree)


def test_values_indices_results_and_tensors(backend):
    """A (values, indices) result is a node, Tensors are leaves; the rebuilt result keeps its type."""
    x = anynn.tensor([[1.0, 5.0], [4.0, 2.0]], backend=backend)
    result = x.max(dim=1)
    leaves, spec = pytree.tree_flatten({"out": result, "x": x})
    assert len(leaves) == 3 and leaves[2] is x and spec.num_leaves == 3
    rebuilt = pytree.tree_unflatten(leaves, spec)
    assert type(rebuilt["out"]) is type(result) and rebuilt["out"].indices is result.indices
    assert pytree.tree_map_only(anynn.Tensor, lambda t: t.shape, rebuilt)["x"] == (2, 2)
    assert len(torch_pytree.tree_leaves(torch.zeros(2, 2).max(dim=1))) == 2


def test_register_pytree_node_and_refusals_as_torch():
    class Box:
        def __init__(self, items):
            self.items = items

    pytree.register_pytree_node(Box, lambda b: (list(b.items), None), lambda values, _: Box(list(values)))
    try:
        leaves, spec = pytree.tree_flatten([Box([1, 2]), 3])
        assert leaves == [1, 2, 3] and pytree.tree_unflatten([4, 5, 6], spec)[0].items == [4, 5]
        with pytest.raises(ValueError, match="already registered"):
            pytree.register_pytree_node(Box, lambda b: ([], None), lambda v, c: Box([]))
    finally:
        del pytree.SUPPORTED_NODES[Box]
    for module in (torch_pytree, pytree):
        spec = module.tree_structure([1, 2])
        with pytest.raises(ValueError):
            module.tree_unflatten([1], spec)
        with pytest.raises(ValueError):
            module.tree_map(lambda a, b: a, [1, 2], [1])


def test_reached_as_torch_utils_pytree():
    import anynn.utils._pytree as imported

    assert anynn.utils._pytree is imported and imported.tree_map is pytree.tree_map
