"""``anynn.autograd.grad``: gradients of outputs with respect to chosen inputs, returned rather than stored."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from typing import Any, Sequence

from . import graph
from .hooks import run_post_accumulate_hooks
from .tensor import Tensor


_KEPT = threading.local()


class NotATensorInputError(TypeError, RuntimeError):
    """``grad(y, [1.0])``: PyTorch's RuntimeError 'all inputs have to be Tensors or GradientEdges'; a TypeError too
    (anynn's class before)."""


@contextlib.contextmanager
def graphs_kept() -> Iterator[None]:
    """`grad` calls in the block keep the graph they go through, whatever their ``retain_graph``: `vmap` runs its
    function once per slice where PyTorch runs it once on the batch, so the one backward of PyTorch's
    ``vmap(lambda v: grad(y, x, v))`` is one per slice here, and only the last slice's may free the graph."""
    depth = getattr(_KEPT, "depth", 0)
    _KEPT.depth = depth + 1
    try:
        yield
    finally:
        _KEPT.depth = depth


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, Tensor) or value is None:
        return (value,)
    return tuple(value)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Tensor | Sequence[Tensor | None] | None = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs`` (PyTorch's ``torch.autograd.grad``).

    Parameters
    ----------
    outputs : Tensor or sequence of Tensors
        What is differentiated; a non-scalar output needs its ``grad_outputs`` entry.
    inputs : Tensor or sequence of Tensors
        With respect to what (leaves or intermediate tensors). Their ``.grad`` is left unchanged.
    grad_outputs : Tensor, sequence of Tensors (or ``None`` entries), optional
        The vector of the vector-Jacobian product per output; ``None`` means ones (scalar outputs only).
    retain_graph : bool, optional
        Keep the graph for another backward pass; defaults to ``create_graph``.
    create_graph : bool
        Record the backward pass, so the returned gradients can be differentiated again (any order).
    only_inputs : bool
        Deprecated in PyTorch and ignored (only ``inputs`` get gradients); ``False`` warns, as PyTorch.
    allow_unused : bool, optional
        An input that the outputs do not depend on gives ``None`` (otherwise an error). Defaults to
        ``materialize_grads``.
    is_grads_batched : bool
        The first axis of every ``grad_outputs`` entry is a batch: one vector-Jacobian product per slice, stacked
        along a new first axis of each gradient (PyTorch vectorizes them; anynn runs one backward per slice).
    materialize_grads : bool
        Unused inputs give zeros instead of ``None``.

    Returns
    -------
    tuple of Tensors (or ``None``), one per input.
    """
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.", stacklevel=2)
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("grad(): materialize_grads=True needs allow_unused to be True or None")
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(grad_outputs) < len(outputs):
        raise RuntimeError(f"grad(): got {len(outputs)} tensors and {len(grad_outputs)} gradients (one grad_output "
                           "per output)")
    grad_outputs = grad_outputs[:len(outputs)]  # PyTorch pairs them with zip: entries past the outputs are unread
    if not inputs:
        raise RuntimeError("grad(): `inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:
        return _batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise NotATensorInputError(f"grad(): input {i} is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad(): input {i} (shape {t.shape}) does not require grad")
    pairs = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"grad(): output {i} is a {type(out).__name__}, not a Tensor")
        if not out.requires_grad:
            raise RuntimeError(f"grad(): output {i} (shape {out.shape}) does not require grad and has no grad_fn")
        pairs.append((out, g))
    if retain_graph is None:
        retain_graph = create_graph
    retain_graph = retain_graph or getattr(_KEPT, "depth", 0) > 0  # a slice of a vmap that others follow
    found = (graph.run_backward([p[0] for p in pairs], [p[1] for p in pairs], retain_graph, create_graph, inputs)
             if pairs else (None,) * len(inputs))  # no outputs: no input is used
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad(): input {i} (shape {t.shape}) was not used to compute the outputs; "
                                   "pass allow_unused=True to get None for it")
            if materialize_grads:  # zeros that require grad under create_graph, as PyTorch's
                g = Tensor._make(t.backend.xp.zeros_like(t.array), t.backend, None, 0).requires_grad_(create_graph)
        elif not isinstance(g, Tensor):
            g = Tensor._make(g, t.backend, None, 0)
        if g is not None and tuple(g.shape) != tuple(t.shape):
            g = _summed(g, t, create_graph)
        result.append(g)
    return tuple(result)


def _batched(outputs: tuple[Any, ...], inputs: tuple[Any, ...], grad_outputs: tuple[Any, ...],
             retain_graph: bool | None, create_graph: bool, allow_unused: bool,
             materialize_grads: bool) -> tuple[Tensor | None, ...]:
    """`grad` with ``is_grads_batched=True``: one pass per slice of the grad_outputs' first axis, the gradients
    stacked along a new first axis (an input no output reaches: ``None``, or with ``materialize_grads`` zeros of
    its own shape, unbatched, as PyTorch's)."""
    sizes = set()
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(g, Tensor) or tuple(g.shape[1:]) != tuple(out.shape) or g.ndim == 0:
            given = "None" if g is None else tuple(getattr(g, "shape", ()))
            raise RuntimeError(
                f"grad(): if `is_grads_batched=True`, we interpret the first dimension of each grad_output as the "
                f"batch dimension. The sizes of the remaining dimensions are expected to match the shape of "
                f"corresponding output, but a mismatch was detected: grad_output[{i}] has a shape of {given} and "
                f"output[{i}] has a shape of {tuple(out.shape)}.")
        sizes.add(g.shape[0])
    if len(sizes) != 1:
        raise RuntimeError(f"grad(): is_grads_batched=True needs the same batch size in every grad_output, got "
                           f"{sorted(sizes)}")
    (batch,) = sizes
    keep = create_graph if retain_graph is None else retain_graph
    slices = [grad(outputs, inputs, [g[b] for g in grad_outputs], retain_graph=keep or b < batch - 1,
                   create_graph=create_graph, allow_unused=True) for b in range(batch)]
    result: list[Tensor | None] = []
    for i, t in enumerate(inputs):
        found = [s[i] for s in slices]
        if batch and all(g is None for g in found):
            if not allow_unused:
                raise RuntimeError(f"grad(): input {i} (shape {t.shape}) was not used to compute the outputs; "
                                   "pass allow_unused=True to get None for it")
            result.append(Tensor._make(t.backend.xp.zeros_like(t.array), t.backend, None, 0).requires_grad_(
                create_graph) if materialize_grads else None)
            continue
        xp = t.backend.xp
        if not batch:
            result.append(Tensor._make(xp.zeros((0, *t.shape), dtype=t.array.dtype, device=t.backend.device),
                                       t.backend, None, 0))
            continue
        filled = [Tensor._make(xp.zeros_like(t.array), t.backend, None, 0) if g is None else g for g in found]
        if create_graph:
            from .double_backward import namespace

            result.append(namespace(t.backend).stack(filled, axis=0))
        else:
            result.append(Tensor._make(xp.stack([g.array for g in filled], axis=0), t.backend, None, 0))
    return tuple(result)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """The gradients of several ``tensors`` added into the leaves' ``.grad`` in one pass (``torch.autograd.backward``).

    ``grad_tensors``: one per tensor (``None``: ones, for a scalar); as ``sum(t * g)`` backpropagated, a shared part
    of the graph is gone through once. ``retain_graph`` defaults to ``create_graph``; ``inputs``: only these
    tensors' ``.grad`` change (as `Tensor.backward`'s ``inputs``).
    """
    tensors = _as_tuple(tensors)
    grads = (None,) * len(tensors) if grad_tensors is None else _as_tuple(grad_tensors)
    if len(grads) < len(tensors):
        raise RuntimeError(f"backward(): {len(tensors)} tensors but {len(grads)} grad_tensors")
    grads = grads[:len(tensors)]  # as grad()'s grad_outputs: PyTorch reads no entry past the tensors
    if not tensors:
        raise RuntimeError("backward(): no tensors given")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward(): element {i} of tensors is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        graph.run_backward(list(tensors), list(grads), retain_graph, create_graph)
        return
    accumulate_into(tensors, grads, retain_graph, create_graph, inputs)


def _summed(g: Tensor, t: Tensor, create_graph: bool) -> Tensor:
    """A broadcast gradient summed down to its input's shape."""
    if create_graph:
        from .double_backward import namespace

        return graph.sum_to_shape(namespace(t.backend), g, tuple(t.shape))
    return Tensor._make(graph.sum_to_shape(t.backend.xp, g.array, tuple(t.shape)), t.backend, None, 0)


def _described_input(t: Any) -> str:
    return f"a Tensor of shape {tuple(t.shape)}" if isinstance(t, Tensor) else f"a {type(t).__name__}"


def accumulate_into(tensors: Sequence[Tensor], gradients: Sequence[Any], retain_graph: bool, create_graph: bool,
                    inputs: Tensor | Sequence[Tensor]) -> None:
    """``backward(..., inputs=...)`` of ``tensors`` with their seed ``gradients``: gradients added into the ``.grad``
    of ``inputs`` only (a first gradient copied where the seeds or another input's hold the same array)."""
    inputs = _as_tuple(inputs)
    if not inputs:  # (PyTorch's message) else nothing would accumulate, silently
        raise RuntimeError("backward(): `inputs` argument to `backward()` cannot be empty.")
    for i, t in enumerate(inputs):  # (PyTorch refuses them before any gradient is written)
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"backward(): input {i} of `inputs` does not require grad, so no gradient can be "
                               f"accumulated into it (got {_described_input(t)})")
    found = graph.run_backward(list(tensors), list(gradients), retain_graph, create_graph, inputs)
    given = {id(getattr(g, "array", g)) for g in gradients}
    for t, g in zip(inputs, found):
        if g is None:
            continue
        if create_graph:
            graph._accumulate_recorded(t, g if isinstance(g, Tensor) else Tensor._make(g, t.backend, None, 0), given)
        else:
            g = g.array if isinstance(g, Tensor) else g
            t._accumulate(graph._unshared(g, given, t.backend.xp) if t._grad is None else g)
        if t._ctx is None:
            run_post_accumulate_hooks(t)
