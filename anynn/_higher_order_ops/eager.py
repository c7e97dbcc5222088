"""PyTorch's control-flow operators (``torch._higher_order_ops``: ``cond``, ``while_loop``, ``scan``,
``associative_scan``, ``map``, ``foreach_map``), run as the Python they stand for.

PyTorch makes them operators so that its compiler and exporter can capture data-dependent control flow in one
graph. anynn's compiled steps trace the Python as written and its ONNX export records it, so here each operator is
its eager meaning: the branch taken, the loop run, the slices stacked. Gradients flow through whatever the
functions compute, as PyTorch's do. Inputs and outputs may be pytrees (nested tuples, lists and dicts of Tensors).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..autograd.tensor import Tensor, make_tensor
from ..functional.shape import stack
from ..utils._pytree import tree_flatten, tree_unflatten

__all__ = ["associative_scan", "cond", "foreach_map", "map", "scan", "while_loop"]


def cond(pred: bool | int | float | Tensor, true_fn: Callable[..., Any], false_fn: Callable[..., Any],
         operands: tuple[Any, ...] | list[Any] = ()) -> Any:
    """``true_fn(*operands)`` where ``pred`` (a bool, a number or a one-element Tensor) is true, else
    ``false_fn(*operands)``."""
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"cond: expected operands to be a tuple or a list, got {type(operands).__name__}")
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"cond: expected pred to be a bool or a Tensor with a single item, got shape "
                           f"{tuple(pred.shape)}")
    if isinstance(pred, Tensor) and pred.backend.is_traced(pred.array):
        recorded = pred.backend.fast_path("cond")  # a graph's own branch (ONNX export: an If node; jax: lax.cond)
        differentiated = pred.backend.fast_path("cond_vjp")  # (a traced program's: its gradient too)
        if recorded is not None and differentiated is not None:
            from .traced_cond import traced_cond

            return traced_cond(recorded, differentiated, pred, true_fn, false_fn, tuple(operands))
        if recorded is not None:
            return _recorded_cond(recorded, pred, true_fn, false_fn, tuple(operands))
    return (true_fn if bool(pred) else false_fn)(*operands)


def _recorded_cond(recorded: Callable[..., Any], pred: Tensor, true_fn: Callable[..., Any],
                   false_fn: Callable[..., Any], operands: tuple[Any, ...]) -> Any:
    """`cond` on a ``pred`` with no value yet (a graph being recorded): both branches recorded, the graph's own
    branch (``recorded``, the backend's ``cond``) picking one when it runs. The branches give pytrees of Tensors of
    one structure."""
    specs: list[Any] = []

    def branch(fn: Callable[..., Any]) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            leaves, spec = tree_flatten(fn(*operands))
            if not all(isinstance(leaf, Tensor) for leaf in leaves):
                raise TypeError(f"cond: a branch must return Tensors (a pytree of them), got "
                                f"{[type(leaf).__name__ for leaf in leaves]}")
            specs.append(spec)
            if len(specs) == 2 and specs[0] != specs[1]:
                raise TypeError(f"cond: the branches return different structures ({specs[0]} and {specs[1]}); a "
                                f"graph's branch needs the same outputs from both")
            return [leaf.array for leaf in leaves]
        return run

    arrays = recorded(pred.array, branch(true_fn), branch(false_fn))
    return tree_unflatten([make_tensor(a, pred.backend, None, 0) for a in arrays], specs[0])


def while_loop(cond_fn: Callable[..., Any], body_fn: Callable[..., Any],
               carried_inputs: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
    """``carried = body_fn(*carried)`` while ``cond_fn(*carried)`` is true; the last ``carried`` (a tuple)."""
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"while_loop: expected carried_inputs to be a tuple or a list, got "
                           f"{type(carried_inputs).__name__}")
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        out = body_fn(*carried)
        carried = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(carried) != len(carried_inputs):
            raise RuntimeError(f"while_loop: body_fn returned {len(carried)} values for {len(carried_inputs)} "
                               "carried inputs")
    return carried


def _slices(xs: Any, dim: int, caller: str) -> tuple[list[Any], int]:
    """The pytree ``xs`` cut along ``dim``: one pytree per index, and their number."""
    leaves, spec = tree_flatten(xs)
    if not leaves or not all(isinstance(leaf, Tensor) for leaf in leaves):
        raise RuntimeError(f"{caller}: expected xs to hold Tensors only, got {xs!r}")
    sizes = {leaf.shape[dim] for leaf in leaves}
    if len(sizes) != 1:
        raise RuntimeError(f"{caller}: expected every Tensor of xs to have one size along dim {dim}, got "
                           f"{sorted(sizes)}")
    (length,) = sizes
    return [tree_unflatten([leaf.select(dim, i) for leaf in leaves], spec) for i in range(length)], length


def _stacked(outputs: Sequence[Any], dim: int) -> Any:
    """Pytrees of one structure stacked leaf by leaf along ``dim``."""
    flat = [tree_flatten(out) for out in outputs]
    spec = flat[0][1]
    return tree_unflatten([stack([leaves[k] for leaves, _ in flat], axis=dim) for k in range(len(flat[0][0]))],
                          spec)


def scan(combine_fn: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any, *, dim: int = 0,
         reverse: bool = False) -> tuple[Any, Any]:
    """``carry, y = combine_fn(carry, x)`` for each slice ``x`` of ``xs`` along ``dim`` (from the last with
    ``reverse``), starting from ``init``: the final carry and the ``y``s stacked along ``dim`` in ``xs``'s order."""
    pieces, length = _slices(xs, dim, "scan")
    if length == 0:
        raise RuntimeError("scan: expected xs to have at least one slice along dim")
    order = range(length - 1, -1, -1) if reverse else range(length)
    carry, ys = init, [None] * length
    for i in order:
        carry, ys[i] = combine_fn(carry, pieces[i])
    return carry, _stacked(ys, dim)


def associative_scan(combine_fn: Callable[[Any, Any], Any], xs: Any, dim: int, reverse: bool = False,
                     combine_mode: str = "pointwise") -> Any:
    """The inclusive prefix of ``xs`` along ``dim`` under the associative ``combine_fn`` (from the end with
    ``reverse``): slice ``i`` is ``combine_fn(prefix[i - 1], x[i])``. Both modes compute it one slice after another
    (PyTorch's pointwise mode is a CUDA kernel; the values are the same for an associative function)."""
    if combine_mode not in ("pointwise", "generic"):
        raise ValueError(f"associative_scan: combine_mode must be 'pointwise' or 'generic', got {combine_mode!r}")
    pieces, length = _slices(xs, dim, "associative_scan")
    order = list(range(length - 1, -1, -1) if reverse else range(length))
    out: list[Any] = [None] * length
    for step, i in enumerate(order):
        out[i] = pieces[i] if step == 0 else combine_fn(out[order[step - 1]], pieces[i])
    return _stacked(out, dim)


def map(f: Callable[..., Any], xs: Any, *args: Any) -> Any:  # noqa: A001 - PyTorch's name
    """``f(x, *args)`` for each slice ``x`` of ``xs`` along its first dimension, the results stacked there."""
    pieces, _ = _slices(xs, 0, "map")
    return _stacked([f(x, *args) for x in pieces], 0)


def foreach_map(op: Callable[..., Any], *operands: Any, **kwargs: Any) -> list[Any]:
    """``op`` on the i-th elements of the list operands (other operands as they are), for each i: a list."""
    lengths = {len(o) for o in operands if isinstance(o, (list, tuple))}
    if len(lengths) != 1:
        raise ValueError(f"foreach_map: expected list operands of one length, got lengths {sorted(lengths)}")
    (n,) = lengths
    return [op(*(o[i] if isinstance(o, (list, tuple)) else o for o in operands), **kwargs) for i in range(n)]
