"""Reverse-mode traversal: topological order of the Functions, then gradients flow backwards."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

from ..backend import Backend, BackendMismatch, backend_of, dtype_name
from ..backend.arrays import sum_to_shape  # noqa: F401  (re-exported: Functions import it from here)
from ..backend.typing import Array, Namespace
from . import double_backward, mode
from . import hooks as hook_tables
from . import tensor as tensor_module  # its `last_modification` stamp is read at call time
from .mode import order_observable as _order_observable
from .primitive import PLAIN as _PLAIN
from .saved_hooks import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks  # noqa: F401  (torch.autograd.graph's)
from .node import Node, increment_version  # noqa: F401  (torch.autograd.graph's)
from .primitive import Edge, first_change_after, is_writeable
from .primitive import plain as _plain
from .primitive import saved_arrays as _saved_arrays
from .primitive import saves_no_array as _saves_no_array

if TYPE_CHECKING:
    from .tensor import Tensor


_FREED = ("backward() through a part of the graph that a previous backward() already freed; pass "
          "retain_graph=True to the earlier backward() to go through it twice")


def _topological_order(roots: list[Any], freed: list[Any] | None = None, recorded: bool = False) -> list[Any]:
    """Functions reachable from ``roots``, each before every Function that produced its inputs.

    Iterative depth-first search; a Function is marked when it is expanded (not when pushed), so a
    Function reached by a short path and a long one still comes after all of its consumers. A
    ``None`` pushed above a Function says that, once popped, the Function below it is finished.
    Functions hash by identity, so they are their own keys. A Function an earlier backward freed raises
    PyTorch's error, or, given a ``freed`` list (a pass that stops at its ``inputs``), ends the walk there and is
    listed: the pass may never need it. ``recorded``: a create_graph pass (see `_reroute`).
    """
    order: list[Any] = []
    expanded: set[Any] = set()
    stack: list[Any] = list(roots)  # Functions, and None marks
    push = stack.append
    pop = stack.pop
    last_modification = tensor_module.last_modification
    while stack:
        fn = pop()
        if fn is None:  # every producer of the Function below is placed: place it
            order.append(pop())
            continue
        if fn in expanded:
            continue
        expanded.add(fn)
        push(fn)
        push(None)
        changed = fn.recorded_at != last_modification
        if changed:  # some tensor changed in place since: its producer may be another
            _reroute(fn, recorded)
        for t in fn.inputs:
            parent = _producer(t, fn) if changed else getattr(t, "_ctx", None)
            if parent is not None and parent not in expanded:
                if getattr(parent, "inputs", None) is None:
                    if freed is None:
                        raise RuntimeError(_FREED)
                    freed.append(parent)
                    continue
                push(parent)
    order.reverse()
    return order


def _producer(t: Any, fn: Any) -> Any:
    """The Function that made ``fn``'s input ``t`` when ``fn`` was recorded. Where ``t`` got another producer since
    (an in-place change; a view taken again after its source changed, `refresh_views`) and `_reroute` kept it (``fn``
    saved its old value, so `_check_unmodified` refuses ``fn``), the producer it had then: the new one can lead back
    to ``fn`` (``h[1] = h[1] * h[0]``: the views' new producer reads the write of ``fn``'s output), and a pass that
    wants some inputs' gradients would prune ``fn`` off that cycle and return a wrong gradient instead of refusing,
    as PyTorch, whose edges are fixed when a node is recorded, refuses."""
    parent = getattr(t, "_ctx", None)
    if parent is not None and getattr(t, "_modified_at", 0) > fn.recorded_at:
        entry = first_change_after(t, fn.recorded_at)
        if entry is not None:
            return entry[1]
    return parent


def _execution_order(order: list[Any]) -> list[Any]:
    """``order`` (the pass's Functions, consumers first) in the order PyTorch's engine runs them: of the Functions
    whose consumers have all run, the one recorded last (the highest ``sequence_nr``) first.

    Only where user code can see the order (`mode.order_observable`: hooks print, custom Functions run Python);
    otherwise any topological order gives the same gradients and the depth-first one is cheaper.
    """
    position = {fn: i for i, fn in enumerate(order)}
    waiting: dict[Any, int] = {}  # Function -> its consumers (edges) in this pass that have not run yet
    for fn in order:
        for t in fn.inputs:
            parent = _producer(t, fn)
            if parent is not None and parent in position:
                waiting[parent] = waiting.get(parent, 0) + 1
    ready = [(-getattr(fn, "sequence_nr", -1), i, fn) for i, fn in enumerate(order) if fn not in waiting]
    heapq.heapify(ready)
    result = []
    while ready:
        fn = heapq.heappop(ready)[2]
        result.append(fn)
        for t in fn.inputs:
            parent = _producer(t, fn)
            left = waiting.get(parent)
            if left is not None:
                waiting[parent] = left - 1
                if left == 1:
                    heapq.heappush(ready, (-getattr(parent, "sequence_nr", -1), position[parent], parent))
    return result


def _hooked_leaf_edges(order: list[Any], leaf_hooks: dict[int, Any]) -> dict[int, int]:
    """How many gradients each leaf with hooks will receive in this pass (its edges from ``order``): once all came,
    its hooks run and its ``.grad`` is written at once, as PyTorch's ``AccumulateGrad`` node runs as soon as its
    consumers have, not at the end of the pass."""
    edges: dict[int, int] = {}
    for fn in order:
        for t, needed in zip(fn.inputs, fn.needs_input_grad):
            if needed and getattr(t, "_ctx", 0) is None and id(t) in leaf_hooks:
                edges[id(t)] = edges.get(id(t), 0) + 1
    return edges


def _store_hooked_leaf(t: Tensor, g: Any, create_graph: bool, given: set[int]) -> None:
    """The summed gradient ``g`` of the leaf ``t`` through its hooks into ``t.grad``, then its post-accumulate
    hooks."""
    table = hook_tables.leaf_hooks.get(id(t))
    g = g if table is None else _run_hooks(table, g, t.backend, create_graph)
    if create_graph:
        _accumulate_recorded(t, g, given)
    else:
        t._accumulate(g)
    hook_tables.run_post_accumulate_hooks(t)


def _gather_hooked_leaf(hooked_leaves: dict[int, list[Any]], t: Tensor, g: Any, edges_left: dict[int, int] | None,
                        create_graph: bool, given: set[int]) -> None:
    """Add ``g`` to the pending sum of the leaf ``t`` (it has hooks); with ``edges_left`` (the order can be seen),
    store the sum as soon as the last of its gradients came. Leaves still pending at the end are stored then."""
    entry = hooked_leaves.get(id(t))
    if entry is None:
        entry = hooked_leaves[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g
    if edges_left is not None:
        left = edges_left.get(id(t), 1) - 1
        edges_left[id(t)] = left
        if left <= 0:
            del hooked_leaves[id(t)]
            _store_hooked_leaf(t, entry[1], create_graph, given)


def _reroute(fn: Any, recorded: bool = False) -> None:
    """For a Function recorded before some in-place change, as PyTorch's edges are fixed at recording and its check
    looks at saved tensors only: each input changed since is replaced by an `Edge` to the producer it had when
    ``fn`` was recorded (a recorded in-place operation gives the tensor a new one)

    - if ``fn`` saved no array (a clone, a sum, a slice by numbers, a reshape: sizes and flags);
    - if ``fn`` saved arrays, but not the one the input held (``exp`` saved its output): where every change since
      gave the tensor a new array (recorded in-place operations: the old one is unchanged) and ``fn`` saved only
      arrays and metadata. In a ``recorded`` (create_graph) pass only where the saved arrays are those of its other
      inputs (``x * mask`` saved the mask), so that its recorded backward reruns no forward on the changed input.

    Other changed inputs stay, and `_check_unmodified` refuses them. The traversal does this before it reads
    ``fn``'s producers."""
    if fn.inputs is None:
        return
    recorded_at = fn.recorded_at
    Tensor = tensor_module.Tensor
    if _saves_no_array(fn):
        fn.inputs = tuple([Edge.before_change(t, recorded_at) if isinstance(t, Tensor) and
                           getattr(t, "_modified_at", 0) > recorded_at else t for t in fn.inputs])
        return
    inputs, saved = list(fn.inputs), None
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or getattr(t, "_modified_at", 0) <= recorded_at:
            continue
        entry = first_change_after(t, recorded_at)
        if entry is None:
            continue
        if saved is None:
            saved = _saved_arrays(fn)
            if saved is None:  # it holds objects the check cannot see into (a custom Function's ctx)
                return
        if entry[5] not in saved:  # (the id of the array the input held: alive in ``fn`` if fn saved it)
            inputs[i] = Edge.before_change(t, recorded_at)
    if recorded and getattr(fn, "ctx_saved_arrays", None) is None and \
            not double_backward.backward_reads_only_inputs(fn, tuple(inputs)):  # (a ctx's backward reruns nothing)
        return
    fn.inputs = tuple(inputs)


def _retain(t: Any, g: Any, given: set[int], xp: Namespace) -> None:
    """``t.grad`` += ``g`` for a non-leaf ``t`` that retains its gradient: ``g`` is its total gradient, after
    its hooks (an array; the first one shared with nothing else, see `_unshared`)."""
    t._accumulate(_unshared(g, given, xp) if t._grad is None else g)


def _check_unmodified(fn: Any) -> None:
    """Raise PyTorch's error if an input of ``fn`` was changed in place after ``fn`` was recorded.

    As PyTorch checks only the tensors a node saved, a Function that saved no array is never refused, nor one
    whose changed inputs `_reroute` found it did not save: its backward reads no changed value (`_reroute` sent
    their gradients to the producers it read)."""
    if _saves_no_array(fn):
        return
    if fn.__dict__.get("output_written_at", 0) > fn.recorded_at and fn.output_written_id in (_saved_arrays(fn) or ()):
        raise RuntimeError(  # its output, which it saved, written through a detached alias since
            "one of the variables needed for gradient computation has been modified by an inplace operation: an "
            f"output of {fn.name} that it saved for its backward was changed in place (through a detach() of it) "
            f"after {fn.name} was recorded. Hint: change a .clone() instead")
    for i, t in enumerate(fn.inputs):
        if isinstance(t, tensor_module.Tensor) and getattr(t, "_modified_at", 0) > fn.recorded_at:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"input {i} of {fn.name} (shape {tuple(t.shape)}) is at version {t._version}, changed after "
                f"{fn.name} was recorded. Hint: call backward() before optimizer.step() or any other in-place "
                "change of the tensors it used, or change a .clone() instead")


# id(dtype) -> dtype of the dtypes an implicit (``grad=None``) seed was made for and found real: one lookup per pass
_REAL_SEEDS: dict[int, Any] = {}


def _check_real_seed(tensor: Tensor) -> None:
    """PyTorch's refusal of an implicit gradient for a complex output: ``backward()`` of a complex scalar has no
    meaning (which real loss?); pass ``grad`` or take ``.real`` / ``.abs()`` first."""
    dtype = tensor.array.dtype
    if tensor.backend.xp.isdtype(dtype, "complex floating"):
        raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {tensor.dtype}")
    if len(_REAL_SEEDS) >= 64:
        _REAL_SEEDS.clear()
    _REAL_SEEDS[id(dtype)] = dtype


def _gradient_array(tensor: Tensor, grad: Tensor | Array) -> Array:
    """The native array of ``grad`` for ``tensor.backward(grad)``; a gradient of another backend raises."""
    be = tensor.backend
    if isinstance(grad, tensor_module.Tensor):
        if grad.backend != be:
            raise BackendMismatch(f"backward(): the gradient is on backend {grad.backend.key!r}, the tensor on "
                                  f"{be.key!r}; move the gradient with .to({be.key!r})")
        return grad.array
    try:
        source = backend_of(grad)
    except TypeError:
        raise TypeError(f"backward(): the gradient must be a Tensor of backend {be.key!r} (or one of its arrays), "
                        f"got {type(grad).__module__}.{type(grad).__name__}") from None
    if source != be:
        raise BackendMismatch(f"backward(): the gradient is an array of backend {source.key!r}, the tensor lives "
                              f"on {be.key!r}; move the gradient with .to({be.key!r})")
    return grad


def _unshared(g: Array, given: set[int], xp: Namespace) -> Array:
    """``g`` as a leaf's first gradient: copied where the caller's seed or another tensor's ``.grad`` holds the same
    writeable array (or a view of its base), as PyTorch clones a gradient it cannot steal.

    A pass-through backward (an addition's) hands one array to several inputs; kept as it is, an in-place change
    of ``a.grad`` would change ``b.grad`` and the caller's gradient too. ``given``: the ids of the arrays (and
    bases) handed out so far in this pass, this one added.
    """
    base = getattr(g, "base", None)  # NumPy and CuPy views
    if (id(g) in given or (base is not None and id(base) in given)) and is_writeable(g):
        g = xp.asarray(g, copy=True)
        base = None
    given.add(id(g))
    if base is not None:
        given.add(id(base))
    return g


def _seed(tensor: Tensor, grad: Tensor | Array | None, create_graph: bool) -> Tensor | Array:
    """The starting gradient of ``tensor``: ones for a scalar, else ``grad`` checked (a Tensor if recording)."""
    xp = tensor.backend.xp
    data = tensor.array
    if grad is None:
        if data.ndim != 0 and tensor.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar; this tensor has shape {tuple(tensor.shape)}"
            )
        if _REAL_SEEDS.get(id(data.dtype)) is not data.dtype:
            _check_real_seed(tensor)
        grad = xp.ones_like(data)
    else:
        tensor_grad = grad if isinstance(grad, tensor_module.Tensor) else None
        grad = _gradient_array(tensor, grad)
        if tuple(grad.shape) != tuple(data.shape):
            raise RuntimeError(f"backward(): the gradient has shape {tuple(grad.shape)}, the tensor "
                               f"{tuple(data.shape)}; they must match")
        if grad.dtype != data.dtype:
            grad = xp.astype(grad, data.dtype)
            tensor_grad = tensor_grad.astype(data.dtype) if tensor_grad is not None else None
        if create_graph and tensor_grad is not None:
            return tensor_grad  # a gradient that is itself in a graph stays connected (PyTorch's grad_outputs)
    return tensor_module.make_tensor(grad, tensor.backend, None, 0) if create_graph else grad


def backward(tensor: Tensor, grad: Tensor | Array | None = None, retain_graph: bool = False,
             create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> tuple[Any, ...] | None:
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient.

    ``create_graph``: the backward pass is recorded (gradients are graph Tensors, see `double_backward`).
    ``inputs``: a sequence of Tensors; then only their gradients are computed and returned (in that order,
    ``None`` for an unreached one) and no ``.grad`` changes: `anynn.autograd.grad`. Both take `run_backward`;
    the plain first-order pass below is the training hot path, kept free of their bookkeeping.
    """
    if create_graph or inputs is not None:
        return run_backward([tensor], [grad], retain_graph, create_graph, inputs)
    xp = tensor.backend.xp
    data = tensor.array
    if grad is None:
        if data.ndim != 0 and tensor.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar; this tensor has shape {tuple(tensor.shape)}"
            )
        if _REAL_SEEDS.get(id(data.dtype)) is not data.dtype:
            _check_real_seed(tensor)
        grad = xp.ones_like(data)
    else:
        grad = _gradient_array(tensor, grad)
        if tuple(grad.shape) != tuple(data.shape):
            raise RuntimeError(f"backward(): the gradient has shape {tuple(grad.shape)}, the tensor "
                               f"{tuple(data.shape)}; they must match")
        if grad.dtype != data.dtype:
            grad = xp.astype(grad, data.dtype)
    root = tensor._ctx
    leaf_hooks, output_hooks = hook_tables.leaf_hooks, hook_tables.output_hooks
    given = {id(grad)}  # arrays handed to a .grad in this pass (see `_unshared`), the seed first
    if root is None:
        if tensor.requires_grad:
            table = leaf_hooks.get(id(tensor)) if leaf_hooks else None
            tensor._accumulate(_unshared(grad, given, xp) if table is None else
                               hook_tables.run_hooks(table, grad, tensor.backend))
            hook_tables.run_post_accumulate_hooks(tensor)
        return None
    if getattr(root, "inputs", None) is None:
        raise RuntimeError(_FREED)
    make_tensor = tensor_module.make_tensor
    grad_lock = tensor_module.GRAD_LOCK
    # pending gradients of Function outputs: output 0 of ``fn`` under ``fn``, output i > 0 under (fn, i)
    index = tensor._index
    grads: dict[Any, Any] = {root if index == 0 else (root, index): grad}
    # non-leaf tensors that retain their gradient, by the key of their pending gradient: they get the total, after
    # their hooks, when their producer's turn comes (PyTorch runs the retain_grad hook after the tensor's own)
    retained: dict[Any, Any] = {root if index == 0 else (root, index): tensor} if tensor._retains_grad else {}
    modes = mode.local.modes  # this thread's
    hook = modes.anomaly_hook
    previous_mode = modes.grad_enabled
    modes.grad_enabled = False  # backward records nothing (a plain flag: this runs once per step)
    quiet = tensor.backend.quiet_float_errors  # NumPy: inf/nan gradients as PyTorch's, without RuntimeWarnings
    token = quiet.enter() if quiet is not None else None
    pop = grads.pop
    last_modification = tensor_module.last_modification
    hooked_leaves: dict[int, list[Any]] = {}  # leaves with hooks: their gradient is summed, hooked, then stored
    owned: set[Any] = set()  # keys of `grads` whose array this pass made or took from a fresh_gradients Function
    zeros: set[Any] = set()  # keys of `grads` whose array is a Function's `zero_gradient_input` zeros, so far alone
    try:
        order = _topological_order([root])
        edges_left = None  # leaves with hooks -> gradients still to come (see `_hooked_leaf_edges`)
        if _order_observable[0]:
            order = _execution_order(order)
            if leaf_hooks:
                edges_left = _hooked_leaf_edges(order, leaf_hooks)
        for fn in order:
            if fn.recorded_at != last_modification:  # some tensor changed in place since fn was recorded
                _check_unmodified(fn)
            n_out = fn.num_outputs
            if n_out == 1:
                g_out = pop(fn, None)
                if g_out is None:
                    continue
                if output_hooks:
                    table = output_hooks.get((id(fn), 0))
                    if table:
                        g_out = hook_tables.run_hooks(table, g_out, fn.backend)
                if retained and fn in retained:
                    _retain(retained.pop(fn), g_out, given, xp)
                in_grads = fn.backward(xp, g_out)
            else:
                outs = [pop(fn if i == 0 else (fn, i), None) for i in range(n_out)]
                if all(g is None for g in outs):
                    continue
                if output_hooks:
                    outs = [g if g is None or not output_hooks.get((id(fn), i)) else
                            hook_tables.run_hooks(output_hooks[(id(fn), i)], g, fn.backend)
                            for i, g in enumerate(outs)]
                if retained:
                    for i, g in enumerate(outs):
                        t = retained.pop(fn if i == 0 else (fn, i), None)
                        if t is not None and g is not None:
                            _retain(t, g, given, xp)
                in_grads = fn.backward(xp, *outs)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if hook is not None:
                hook(fn, "backward", in_grads)
            fresh = fn.fresh_gradients  # its gradients are new arrays nothing else holds: later sums may go into them
            zero_at = fn.zero_gradient_input  # (see `Function.zero_gradient_input`)
            known_zero: Any = in_grads[zero_at] if zero_at is not None else None
            for t, g, needed in zip(fn.inputs, in_grads, fn.needs_input_grad):
                if g is None or not needed:
                    continue
                if g.dtype is not t.array.dtype and g.dtype != t.array.dtype:
                    g = _in_dtype_of(t, g, fn)
                parent = t._ctx
                if parent is None:  # a leaf
                    if leaf_hooks and id(t) in leaf_hooks:
                        _gather_hooked_leaf(hooked_leaves, t, g, edges_left, False, given)
                        continue
                    data = t.array
                    if t._grad is None and g.shape == data.shape and (g.dtype is data.dtype or g.dtype == data.dtype):
                        if not fresh:  # (a fresh array is held by nothing else: no copy to check for)
                            g = _unshared(g, given, xp)
                        with grad_lock:  # _accumulate's first-gradient case, inline
                            if t._grad is None:
                                t._grad = stored = make_tensor(g, t.backend, None, 0)
                                if fresh:
                                    stored._owned_grad = g  # a later backward adds into it in place
                                continue
                    t._accumulate(g)
                    continue
                index = t._index
                key = parent if index == 0 else (parent, index)
                prev = grads.get(key)
                if prev is None:
                    grads[key] = g
                    if g is known_zero:
                        zeros.add(key)
                    elif fresh and not t._retains_grad:
                        owned.add(key)
                elif g is known_zero and prev.shape == g.shape:
                    pass  # zeros that only connect: the pending gradient stands
                elif key in owned and prev.shape == g.shape and is_writeable(prev):
                    prev += g  # an array this pass owns: summed in place, no new one
                elif key in zeros and prev.shape == g.shape:
                    grads[key] = g  # the first gradient was zeros that only connect: this one replaces them
                    zeros.discard(key)
                    if fresh and not t._retains_grad:
                        owned.add(key)
                else:
                    grads[key] = prev + g
                    if not t._retains_grad:
                        owned.add(key)
                if t._retains_grad:
                    retained[key] = t
            if not retain_graph and not fn.keeps_edges:  # release the node as PyTorch does: its saved values go
                _free(fn)  # now, not with the graph, so the pass reuses their memory (a double backward held ~3x)
        for t, g in list(hooked_leaves.values()):  # (leaves a gradient was missing for: see `_gather_hooked_leaf`)
            _store_hooked_leaf(t, g, False, given)
    finally:
        modes.grad_enabled = previous_mode
        if quiet is not None:
            quiet.exit(token)
    return None


@overload
def run_backward(tensors: Sequence[Tensor], grads: Sequence[Tensor | Array | None], retain_graph: bool = False,
                 create_graph: bool = False, inputs: None = None) -> None: ...
@overload
def run_backward(tensors: Sequence[Tensor], grads: Sequence[Tensor | Array | None], retain_graph: bool = False,
                 create_graph: bool = False, *, inputs: Sequence[Tensor]) -> tuple[Any, ...]: ...
@overload
def run_backward(tensors: Sequence[Tensor], grads: Sequence[Tensor | Array | None], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Tensor]) -> tuple[Any, ...]: ...


def run_backward(tensors: Sequence[Tensor], grads: Sequence[Tensor | Array | None], retain_graph: bool = False,
                 create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> tuple[Any, ...] | None:
    """The reverse pass from several ``tensors`` (with their seed ``grads``); see `backward`."""
    seeds = []
    for tensor, grad in zip(tensors, grads):
        seeds.append((tensor, _seed(tensor, grad, create_graph)))
    tensor = tensors[0]
    xp = tensor.backend.xp
    leaf_hooks = hook_tables.leaf_hooks
    wanted: dict[int, Any] | None = None
    captured: dict[int, Any] = {}
    if inputs is not None:
        wanted = {id(t): t for t in inputs}

    def deliver(t: Any, g: Any) -> None:  # a gradient reaching a leaf (or a wanted tensor) from outside the loop
        if wanted is not None:
            if id(t) in wanted:
                prev = captured.get(id(t))
                captured[id(t)] = g if prev is None else prev + g
        elif create_graph:
            _accumulate_recorded(t, g, given)
            hook_tables.run_post_accumulate_hooks(t)
        else:
            t._accumulate(_unshared(g, given, xp) if t._grad is None else g)
            hook_tables.run_post_accumulate_hooks(t)

    given = {id(g) for _, g in seeds}  # arrays handed to a .grad in this pass (see `_unshared`), the seeds first
    pending: dict[Any, Any] = {}
    watched: dict[Any, list[Any]] = {}  # see `_traverse`
    roots = []
    for tensor, grad in seeds:
        root = tensor._ctx
        if root is None:
            if tensor.requires_grad:
                table = leaf_hooks.get(id(tensor)) if leaf_hooks else None
                deliver(tensor, grad if table is None else _run_hooks(table, grad, tensor.backend, create_graph))
            continue
        if getattr(root, "inputs", None) is None:
            raise RuntimeError(_FREED)
        index = tensor._index
        key = root if index == 0 else (root, index)
        prev = pending.get(key)
        pending[key] = grad if prev is None else prev + grad
        if tensor._retains_grad or (wanted is not None and id(tensor) in wanted):
            _watch(watched, key, tensor)
        roots.append(root)
    if roots:
        _traverse(roots, pending, xp, retain_graph, create_graph, wanted, captured, given, watched)
    if wanted is not None:
        return tuple(captured.get(id(t)) for t in inputs)  # type: ignore[union-attr]  # wanted: inputs given
    return None


def _run_hooks(table: dict[int, Callable[..., Any]], grad: Any, backend: Backend, create_graph: bool) -> Any:
    if not create_graph:
        return hook_tables.run_hooks(table, grad, backend)
    for hook in list(table.values()):
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _in_dtype_of(t: Tensor, g: Any, fn: Any = None) -> Any:
    """``g`` (an array, or a recorded Tensor) in the dtype of the input ``t`` it is the gradient of.

    An op of mixed dtypes (a float32 residual plus a bfloat16 branch under autocast) hands each input the
    gradient of its output's dtype; PyTorch's engine casts it to the input's own dtype before the input's
    hooks and backward see it, and so does this one (a float64 gradient into a float32 linear's backward
    is an error on the torch backend: float @ double). A complex gradient for a real input is refused, as
    PyTorch's engine refuses it (a cast would drop the imaginary part): ``fn`` is the Function that returned it.
    """
    xp = t.backend.xp
    array = g.array if isinstance(g, tensor_module.Tensor) else g
    if array.dtype == t.array.dtype:
        return g
    if xp.isdtype(array.dtype, "complex floating") and not xp.isdtype(t.array.dtype, "complex floating"):
        raise RuntimeError(f"{getattr(fn, 'name', 'a backward')} returned a gradient of dtype "
                           f"{dtype_name(array.dtype)} for an input of dtype {dtype_name(t.array.dtype)}: a real input "
                           "needs a real gradient (return its .real), as PyTorch requires")
    return g.astype(t.array.dtype) if array is not g else xp.astype(g, t.array.dtype)


def _accumulate_recorded(t: Tensor, g: Tensor, given: set[int] | None = None) -> None:
    """``t.grad`` += ``g`` for a recorded gradient (a graph Tensor), out of place as PyTorch does.

    ``given``: the ids of the Tensors (and arrays) handed out so far in this pass, the seeds first; a first
    gradient among them is cloned (a recorded clone), as PyTorch's AccumulateGrad clones under create_graph, so
    two ``.grad``s (an addition's inputs) or a ``.grad`` and the caller's seed are never one Tensor."""
    if tuple(g.shape) != tuple(t.shape):
        g = sum_to_shape(double_backward.namespace(t.backend), g, tuple(t.shape))
    if g.array.dtype != t.array.dtype:
        g = g.astype(t.array.dtype)
    if t.grad is not None:
        t.grad = t.grad + g
        return
    if given is not None:
        if id(g) in given or id(g.array) in given:
            g = g.clone()
        given.add(id(g))
        given.add(id(g.array))
    t.grad = g


def _needed(order: list[Any], wanted: dict[int, Tensor]) -> dict[Any, tuple[bool, ...]]:
    """The Functions through which a gradient reaches a wanted tensor, each with the inputs whose gradient it
    computes: those on a path to a wanted tensor (PyTorch's pruning: a layer asked for its input's gradient
    only computes no weight gradient). The rest of the graph is skipped."""
    needed: dict[Any, tuple[bool, ...]] = {}
    for fn in reversed(order):  # producers first
        mask = tuple(bool(need) and (id(t.resolved() if type(t) is Edge else t) in wanted or
                                     _producer(t, fn) in needed)
                     for t, need in zip(fn.inputs, fn.needs_input_grad))
        if True in mask:
            needed[fn] = mask
    return needed


def _free(fn: Any) -> None:
    """Release a Function after its backward without ``retain_graph``, as PyTorch frees a node's saved tensors.

    A Function that saved an array drops it and its inputs (the traversal then finds ``inputs`` None and raises
    PyTorch's error if a later pass reaches it). One that saved only metadata (a sum's shape, a reshape's size,
    an addition) keeps it and runs again, as PyTorch's nodes without saved tensors do; each of its inputs that
    another Function made becomes an `Edge`, so later passes find the producer without holding the input's array.
    """
    attributes = fn.__dict__
    # `_saves_no_array`, written out: this runs for every node a backward frees; from the last attribute, as forward
    # saves its arrays after the parameters apply set (a convolution's stride, padding, ...: found at once)
    for value in reversed(attributes.values()):
        kind = type(value)
        if kind in _PLAIN:
            continue
        if kind is tuple:
            for item in value:
                if type(item) not in _PLAIN and (type(item) is not tuple or not _plain(item)):
                    break
            else:
                continue
        fn.inputs = None
        attributes.clear()
        return
    if fn.saved_numbers_are_values:
        fn.inputs = None
        attributes.clear()
        return
    inputs = []
    for t, needed in zip(fn.inputs, fn.needs_input_grad):
        inputs.append(Edge(t) if needed and t._ctx is not None and not t._retains_grad and type(t) is not Edge
                      else t)  # (needed: a Tensor)
    fn.inputs = tuple(inputs)


def _watch(watched: dict[Any, list[Any]], key: Any, t: Any) -> None:
    """Note that the non-leaf ``t``, whose gradient is pending under ``key``, retains it or was asked for."""
    found = watched.setdefault(key, [])
    if not any(other is t for other in found):
        found.append(t)


def _traverse(roots: list[Any], grads: dict[Any, Any], xp: Namespace, retain_graph: bool, create_graph: bool,
              wanted: dict[int, Tensor] | None, captured: dict[int, Any], given: set[int],
              watched: dict[Any, list[Any]]) -> None:
    """The reverse pass of `run_backward` from ``roots`` with the pending ``grads``; ``given``: see `_unshared`.

    ``watched``: pending-gradient key -> the non-leaf tensors under it that retain their gradient or are among the
    wanted ``inputs``. As PyTorch's engine: a retained gradient is the total after the tensor's hooks; a wanted
    tensor's is the total before its hooks where its producer runs on (the hooks then change what flows on) and
    after them where it does not (the pass ends there). Wanted leaves get their sum after their hooks."""
    leaf_hooks, output_hooks = hook_tables.leaf_hooks, hook_tables.output_hooks
    make_tensor = tensor_module.make_tensor
    grad_lock = tensor_module.GRAD_LOCK
    modes = mode.local.modes  # this thread's
    hook = modes.anomaly_hook
    previous_mode = modes.grad_enabled
    modes.grad_enabled = create_graph  # backward records nothing, unless asked to (a plain flag: once per step)
    pop = grads.pop
    last_modification = tensor_module.last_modification
    hooked_leaves: dict[int, list[Any]] = {}  # leaves with hooks: their gradient is summed, hooked, then stored
    freed: list[Any] | None = [] if wanted is not None else None

    def deliver(key: Any, g: Any, raw: Any) -> None:  # the total gradient of the watched tensors under ``key``
        for t in watched.pop(key):  # (``raw``: before their hooks; PyTorch captures it so where the producer runs)
            if wanted is not None and id(t) in wanted:
                captured[id(t)] = raw
            if t._retains_grad:
                if create_graph:
                    _accumulate_recorded(t, g, given)
                else:
                    t._accumulate(_unshared(g, given, xp) if t._grad is None else g)

    order = _topological_order(roots, freed, create_graph)
    edges_left = None  # as in `backward`
    if _order_observable[0]:
        order = _execution_order(order)
        if leaf_hooks and wanted is None:
            edges_left = _hooked_leaf_edges(order, leaf_hooks)
    needed = _needed(order, wanted) if wanted is not None else None
    recorded = double_backward.recorded_backward
    quiet = roots[0].backend.quiet_float_errors if roots else None  # as in `backward`
    token = quiet.enter() if quiet is not None else None
    try:
        for fn in order:
            needs = fn.needs_input_grad
            if needed is not None:
                mask = needed.get(fn)
                if mask is None:  # not on the way to `inputs`: left as it is (PyTorch frees only what it runs)
                    continue
                fn.needs_input_grad = mask  # its backward computes only the gradients on the way to `inputs`
            if fn.recorded_at != last_modification:  # some tensor changed in place since fn was recorded
                _check_unmodified(fn)
            n_out = fn.num_outputs
            try:
                if n_out == 1:
                    g_out = raw = pop(fn, None)
                    if g_out is None:
                        continue
                    if output_hooks:
                        table = output_hooks.get((id(fn), 0))
                        if table:
                            g_out = _run_hooks(table, g_out, fn.backend, create_graph)
                    if watched and fn in watched:
                        deliver(fn, g_out, raw)
                    in_grads = fn.backward(xp, g_out) if not create_graph else recorded(fn, (g_out,))
                else:
                    outs = [pop(fn if i == 0 else (fn, i), None) for i in range(n_out)]
                    if all(g is None for g in outs):
                        continue
                    raws = outs
                    if output_hooks:
                        outs = [g if g is None or not output_hooks.get((id(fn), i)) else
                                _run_hooks(output_hooks[(id(fn), i)], g, fn.backend, create_graph)
                                for i, g in enumerate(outs)]
                    if watched:
                        for i, g in enumerate(outs):
                            if g is not None and (fn if i == 0 else (fn, i)) in watched:
                                deliver(fn if i == 0 else (fn, i), g, raws[i])
                    in_grads = fn.backward(xp, *outs) if not create_graph else recorded(fn, tuple(outs))
            finally:
                if needed is not None:
                    needs, fn.needs_input_grad = fn.needs_input_grad, needs  # the recorded flags back (retain_graph)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if hook is not None:
                hook(fn, "backward", in_grads if not create_graph else tuple(
                    g.array if isinstance(g, tensor_module.Tensor) else g for g in in_grads))
            for t, g, needed_grad in zip(fn.inputs, in_grads, needs):
                if g is None or not needed_grad:
                    continue
                if type(t) is Edge and wanted is not None:
                    t = t.resolved()  # the tensor itself while alive: it may be one of the wanted `inputs`
                g = _in_dtype_of(t, g, fn)
                parent = t._ctx
                if wanted is not None:
                    if parent is None:
                        if id(t) in wanted:
                            prev = captured.get(id(t))
                            captured[id(t)] = g if prev is None else prev + g
                        continue
                elif parent is None:  # a leaf
                    if leaf_hooks and id(t) in leaf_hooks:
                        _gather_hooked_leaf(hooked_leaves, t, g, edges_left, create_graph, given)
                        continue
                    if create_graph:
                        _accumulate_recorded(t, g, given)
                        continue
                    data = t.array
                    if t._grad is None and g.shape == data.shape and (g.dtype is data.dtype or g.dtype == data.dtype):
                        g = _unshared(g, given, xp)
                        with grad_lock:  # _accumulate's first-gradient case, inline
                            if t._grad is None:
                                t._grad = make_tensor(g, t.backend, None, 0)
                                continue
                    t._accumulate(g)
                    continue
                index = t._index
                key = parent if index == 0 else (parent, index)
                prev = grads.get(key)
                grads[key] = g if prev is None else prev + g
                if t._retains_grad or (wanted is not None and id(t) in wanted):
                    _watch(watched, key, t)
            if not retain_graph and not fn.keeps_edges:
                _free(fn)
        for key in list(watched):  # producers that did not run (not on the way to an input): hooks, then deliver
            g = grads.get(key)
            if g is None:
                continue
            table = output_hooks.get((id(key), 0) if type(key) is not tuple else (id(key[0]), key[1]))
            g = g if not table else _run_hooks(table, g, roots[0].backend, create_graph)
            deliver(key, g, g)
        if wanted is not None and leaf_hooks:  # the wanted leaves' sums, after their hooks
            for ident, g in list(captured.items()):
                t = wanted[ident]
                table = leaf_hooks.get(ident) if t._ctx is None else None
                if table:
                    captured[ident] = _run_hooks(table, g, t.backend, create_graph)
        if freed and wanted is not None and any(id(t) not in captured for t in wanted.values()):
            raise RuntimeError(_FREED)  # an input left unreached may lie behind a freed Function
        for t, g in list(hooked_leaves.values()):
            _store_hooked_leaf(t, g, create_graph, given)
    finally:
        modes.grad_enabled = previous_mode
        if quiet is not None:
            quiet.exit(token)
