"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): `checkpoint` and `checkpoint_sequential`.

A checkpointed region keeps only its inputs and outputs: the activations its layers saved for their backward are
dropped after the forward, and the backward reruns the region (under ``enable_grad``, with the random generators
set back to where they were, so dropout draws the same masks) and backpropagates through the rerun.

Built from outside the engine as one `Function` node, `CheckpointFunction`, whose inputs are the region's
*boundary*: the Tensor arguments that require grad, the leaf tensors (parameters) the region reads and the tensors
made before the call that it reads (closed over). The first forward is recorded once to find that boundary (the
region's activations live until it returns, as in the backward's rerun); then its graph is let go, and only the
outputs stay, as the node's outputs.

With ``create_graph=True`` the node's gradient is itself recorded (a rerun on the original inputs and a
differentiable ``autograd.grad``), so a checkpointed region can be differentiated twice.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from typing import Any, Callable, Sequence

from ..autograd.double_backward import register_fused_rule
from ..autograd.primitive import Function
from ..autograd.grad_api import grad as autograd_grad
from ..autograd.mode import enable_grad, is_grad_enabled
from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name
from ..init import default_generator

# the module (its `last_modification` stamp is read at call time); `anynn.autograd.tensor` the attribute is a function
tensor_module = importlib.import_module("anynn.autograd.tensor")

__all__ = ["CheckpointError", "CheckpointFunction", "checkpoint", "checkpoint_sequential"]


class CheckpointError(RuntimeError):
    """PyTorch's error of a checkpointed region whose rerun in backward differs from its first run."""

_REENTRANT_WARNING = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.")


class _RandomState:
    """The random generators a region may draw from: anynn's host generator (`F.dropout` seeds from it) and the
    generators of the layers it reaches (``nn.Dropout`` keeps its own). ``restore`` sets them back to the saved
    state; a layer whose generator did not exist yet is left to make it again from the host generator."""

    def __init__(self, layers: list[Any]) -> None:
        self.host = default_generator().get_state()
        self.layers = [(layer, layer._generator, None if layer._generator is None else layer._generator.state())
                       for layer in layers]

    def restore(self) -> None:
        default_generator().set_state(self.host)
        for layer, generator, state in self.layers:
            layer._generator = generator
            if generator is not None:
                generator.set_state(state)


def _random_layers(function: Any, args: Sequence[Any]) -> list[Any]:
    """The layers with their own generator that ``function`` reaches: itself, its ``__self__``, the Modules in its
    arguments, closure, defaults and the globals its code names, with their submodules."""
    from ..nn.layer_generator import LayerGenerator
    from ..nn.module import Module

    roots: list[Any] = [function, getattr(function, "__self__", None), *args]
    if isinstance(function, _run_layers):
        roots += function.layers
    if isinstance(function, functools.partial):
        roots += [function.func, *function.args, *function.keywords.values()]
        function = function.func
    code = getattr(function, "__code__", None)
    roots += [cell.cell_contents for cell in getattr(function, "__closure__", None) or () if _filled(cell)]
    roots += list(getattr(function, "__defaults__", None) or ())
    if code is not None:
        names = getattr(function, "__globals__", {})
        roots += [names[n] for n in code.co_names if n in names]
    found: dict[int, Any] = {}
    for root in roots:
        if isinstance(root, Module):
            for module in root.modules():
                if isinstance(module, LayerGenerator):
                    found[id(module)] = module
    return list(found.values())


def _filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # an empty cell (a name assigned after the closure was made)
        return False
    return True


def _tensors(value: Any) -> list[Tensor]:
    """The Tensors of an output: itself, or those of a tuple or list (not nested further, as PyTorch)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, Tensor)]
    return []


def _boundary(outputs: list[Tensor], args: list[Tensor], start: int) -> list[Tensor]:
    """The tensors requiring grad that ``outputs``' graph starts from: the ``args`` it reaches, then the leaves and
    the tensors made before the call (recorded before the stamp ``start``, as a tensor the region closes over)."""
    arg_ids = {id(a) for a in args}
    reached: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = [t for t in outputs if t.requires_grad]
    while stack:
        t = stack.pop()
        if id(t) in arg_ids or t._ctx is None or t._ctx.recorded_at < start:
            if t.requires_grad:
                reached[id(t)] = t
            continue
        fn = t._ctx
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.extend(a for a in fn.inputs if isinstance(a, Tensor) and a.requires_grad)
    return [a for a in args if id(a) in reached] + [t for t in reached.values() if id(t) not in arg_ids]


class CheckpointFunction(Function):
    """One node for a checkpointed region: inputs are its boundary tensors, outputs its Tensor outputs.

    Parameters (set by `checkpoint`): ``outputs``, the arrays of the first run; ``arguments``, how many of the
    boundary tensors (the first ones) are arguments of the region, the others being leaves it reads;
    ``rerun(boundary)``, the region run again on the boundary tensors (arguments replaced), returning its Tensor
    outputs; ``random``, the saved generator state (or ``None``); ``metadata``, the first run's outputs' shapes
    and dtypes, which the rerun's must repeat (``None``: ``determinism_check="none"``, not checked).
    """

    supports_double_backward = True
    outputs: tuple[Any, ...]
    arguments: int
    rerun: Callable[[Sequence[Tensor]], list[Tensor]]
    random: _RandomState | None
    metadata: list[dict[str, Any]] | None

    def forward(self, xp: Any, *boundary: Any) -> Any:
        outputs, self.outputs = self.outputs, ()  # the node keeps no reference to its outputs
        return outputs if len(outputs) > 1 else outputs[0]

    def backward(self, xp: Any, *grads: Any) -> tuple[Any, ...]:
        # the arguments cut from the graph before them (their gradients are handed back by this node); the
        # parameters as they are (leaves: the rerun's gradient stops at them)
        inputs = [make_tensor(a.array, a.backend, None, 0).requires_grad_(True) if i < self.arguments else a
                  for i, a in enumerate(self.inputs)]
        found = self._gradients(inputs, grads, create_graph=False)
        return tuple(None if g is None else g.array for g in found)

    def _gradients(self, inputs: list[Tensor], grads: Sequence[Any], create_graph: bool) -> tuple[Any, ...]:
        """The gradients of the rerun region's outputs (weighted by ``grads``) with respect to ``inputs``.

        The boundary tensors that have a creator are cut from it while the region reruns and is differentiated
        (leaves for that time, the same objects): the inner pass stops at them, never walking (or needing) the
        graph before the region, which the outer pass may already have freed; a recorded gradient still links to
        that graph through them once they are joined again."""
        cut = [(t, t._ctx) for t in inputs if t._ctx is not None]
        try:
            for t, _ in cut:
                t._ctx = None
            with _rewound(self.random), enable_grad():
                outputs = self.rerun(inputs)
            if self.metadata is not None and _metadata(outputs) != self.metadata:
                raise CheckpointError(_rerun_differs(self.metadata, _metadata(outputs)))
            pairs = [(o, g if isinstance(g, Tensor) else make_tensor(g, o.backend, None, 0))
                     for o, g in zip(outputs, grads) if g is not None and o.requires_grad]
            wanted = [t for t, need in zip(inputs, self.needs_input_grad) if need]
            if not pairs or not wanted:
                return (None,) * len(inputs)
            got = iter(autograd_grad([o for o, _ in pairs], wanted, [g for _, g in pairs], retain_graph=True,
                                     create_graph=create_graph, allow_unused=True))
            return tuple(next(got) if need else None for need in self.needs_input_grad)
        finally:
            for t, ctx in cut:
                t._ctx = ctx


class _rewound:  # noqa: N801 - a context manager used like a function
    """The generators set back to ``random`` for a rerun, and to where they were after it."""

    def __init__(self, random: _RandomState | None) -> None:
        self.random = random

    def __enter__(self) -> None:
        if self.random is not None:
            self.after = _RandomState([layer for layer, _, _ in self.random.layers])
            self.random.restore()

    def __exit__(self, *exc: Any) -> None:
        if self.random is not None:
            self.after.restore()


def _metadata(outputs: Sequence[Tensor]) -> list[dict[str, Any]]:
    """What PyTorch's default determinism check compares of each output: its shape, dtype and device."""
    return [{"shape": tuple(t.shape), "dtype": dtype_name(t.dtype), "device": t.backend.key} for t in outputs]


def _rerun_differs(saved: list[dict[str, Any]], recomputed: list[dict[str, Any]]) -> str:
    """PyTorch's message, naming each output whose metadata changed."""
    lines = ["torch.utils.checkpoint: Recomputed values for the following tensors have different metadata than "
             "during the forward pass."]
    if len(saved) != len(recomputed):
        lines.append(f"the region gave {len(saved)} tensors in the forward pass and {len(recomputed)} when rerun")
    for i, (before, now) in enumerate(zip(saved, recomputed)):
        if before != now:
            lines.append(f"tensor at position {i}:\nsaved metadata: {before}\nrecomputed metadata: {now}")
    return "\n".join(lines)


def _recorded_gradient(fn: CheckpointFunction, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> Any:
    """create_graph=True: the rerun on the original inputs, differentiated with a recorded ``autograd.grad``."""
    found = fn._gradients(list(inputs), grads, create_graph=True)
    return found if len(found) > 1 else found[0]


register_fused_rule(CheckpointFunction, _recorded_gradient)


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], Any] | None = None, determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` without keeping its activations: its backward reruns it.

    Parameters
    ----------
    function : callable
        The region (a Module, a method, a function or lambda). Its outputs: a Tensor, or a tuple/list whose Tensors
        are checkpointed (other entries pass through).
    use_reentrant : bool, optional
        Accepted for PyTorch's signature; both values run the one mechanism described in the module docstring
        (gradients reach the parameters the region reads whether or not an input requires grad, as PyTorch's
        ``use_reentrant=False``). Left ``None`` it warns, as PyTorch does.
    preserve_rng_state : bool
        Rerun with the random generators (anynn's host generator and those of the layers the region reaches) set
        back to their state before the first run, so dropout masks repeat; ``False`` skips this.
    context_fn, determinism_check, debug, early_stop
        Accepted for PyTorch's signature; ``context_fn`` other than ``None`` is refused (no saved-tensor hooks).

    Returns
    -------
    outputs
        The region's outputs, connected to its inputs and to the parameters it reads.
    """
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
    if context_fn is not None:
        raise NotImplementedError("checkpoint: context_fn is not supported (anynn has no saved-tensor hooks)")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check should be 'default' or 'none', got {determinism_check!r}")
    if not is_grad_enabled():
        return function(*args, **kwargs)
    random = _RandomState(_random_layers(function, args)) if preserve_rng_state else None
    # a fresh in-place stamp (no tensor marked): nodes the region records carry it or a later one, older nodes
    # an earlier one, which tells the region's graph from the graph before it
    tensor_module.mark_all_modified([])
    start = tensor_module.last_modification
    first = function(*args, **kwargs)
    found = _tensors(first)
    arg_tensors = [a for a in args if isinstance(a, Tensor)]
    boundary = _boundary(found, arg_tensors, start)
    if not boundary:
        return first
    replaced = {id(a): i for i, a in enumerate(boundary) if any(a is b for b in arg_tensors)}

    def rerun(inputs: Sequence[Tensor]) -> list[Tensor]:
        new_args = [inputs[replaced[id(a)]] if isinstance(a, Tensor) and id(a) in replaced else a for a in args]
        return _tensors(function(*new_args, **kwargs))

    metadata = _metadata(found) if determinism_check == "default" else None
    out = CheckpointFunction.apply(*boundary, outputs=tuple(t.array for t in found), arguments=len(replaced),
                                   rerun=rerun, random=random, metadata=metadata)
    outs = iter(out if isinstance(out, tuple) else (out,))
    if isinstance(first, Tensor):
        return next(outs)
    values = [next(outs) if isinstance(v, Tensor) else v for v in first]
    return type(first)(values) if isinstance(first, tuple) else values


def checkpoint_sequential(functions: Any, segments: int, input: Tensor, use_reentrant: bool | None = None,
                          **kwargs: Any) -> Any:
    """Run ``functions`` (a ``Sequential`` or a list of callables) in ``segments`` chunks, each checkpointed but
    the last (as PyTorch). ``kwargs``: ``preserve_rng_state``."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    layers: list[Any] = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(layers) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(_run_layers(layers, start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return _run_layers(layers, end + 1, len(layers) - 1)(input)


class _run_layers:  # noqa: N801 - a callable used like a function
    """``layers[start..end]`` applied in order (``layers``: where `checkpoint` finds their generators)."""

    def __init__(self, layers: Sequence[Any], start: int, end: int) -> None:
        self.layers = list(layers[start:end + 1])

    def __call__(self, input: Any) -> Any:
        for layer in self.layers:
            input = layer(input)
        return input
