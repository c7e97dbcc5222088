"""Recorded backward (``create_graph=True``): a node's own ``backward`` rerun on graph Tensors.

Each `Function` writes its derivative once, in ``backward(self, xp, *grads)``. With ``create_graph`` off the
traversal calls it on raw arrays (the hot path, unchanged). With it on, `recorded_backward` calls the *same*
method with ``xp`` replaced by a *differentiable namespace* (registered by `anynn.functional`): its arrays are
anynn Tensors and its functions (``exp``, ``where``, ``sum``, ``matmul``, ``reshape``...) are recorded
Functions, so the gradient it returns is itself part of the graph and can be differentiated again, to any
order (the Functions the namespace records have their backward written in ``xp`` too).

What ``forward`` saved on ``self`` must then be Tensors connected to the inputs:

- an input array saved as it is (``self.x = x``) becomes that input Tensor (no work);
- integer/boolean arrays (indices, masks) and the attributes a class lists in ``constants`` (a dropout mask:
  drawn, not computed) become constant Tensors;
- any other floating array (``self.out = exp(a)``, ``self.diff = x - y``) means the forward is rerun with the
  differentiable namespace on the input Tensors (recomputation), which saves graph Tensors instead.

A gradient that comes back constant although its Function saved a floating array from inputs that require grad
(ReLU's ``g * (out > 0)``: a zero derivative) is tied to those inputs (`TiedGradient`), so it requires grad and
differentiates to zeros, as PyTorch's does.

A Function whose backward needs something the namespace cannot record declares
``supports_double_backward = False`` and raises `DoubleBackwardError` naming it.
"""

from __future__ import annotations

from typing import Any, Callable

from ..backend import Backend
from ..backend.typing import Namespace
from . import tensor as tensor_module
from .primitive import Edge, Function, saves_no_array
from .hooks import run_node_hooks
from .saved_hooks import unpack_saved

_new = object.__new__


class DoubleBackwardError(RuntimeError):
    """A Function has no second-order rule (its backward cannot be recorded)."""


# backend -> differentiable namespace; the factory is registered by anynn.functional (a higher layer)
_factory: list[Callable[[Backend], Any]] = []
_namespaces: dict[Backend, Any] = {}


def register_namespace(factory: Callable[[Backend], Any]) -> None:
    """Install ``factory(backend) -> namespace``; called once when `anynn.functional` is imported."""
    _factory[:] = [factory]
    _namespaces.clear()


# Function class -> ``rule(fn, inputs, grads)``: its recorded gradient built in fewer nodes than a rerun of its
# backward (a whole backward as one fused node); registered by `anynn.functional` (see `fused_recorded`)
_fused_rules: dict[type, Callable[[Any, tuple[Any, ...], tuple[Any, ...]], Any]] = {}


def register_fused_rule(cls: type, rule: Callable[[Any, tuple[Any, ...], tuple[Any, ...]], Any]) -> None:
    """Record ``cls``'s gradient with ``rule(fn, inputs, grads)`` (Tensors in, what ``backward`` returns out;
    ``NotImplemented`` for a case it leaves to the generic rerun of ``backward``)."""
    _fused_rules[cls] = rule


def namespace(backend: Backend) -> Any:
    """The differentiable namespace of ``backend`` (one per backend, cached)."""
    found = _namespaces.get(backend)
    if found is None:
        if not _factory:  # pragma: no cover - anynn/__init__ imports anynn.functional
            raise DoubleBackwardError("create_graph=True needs anynn.functional imported (import anynn)")
        found = _namespaces[backend] = _factory[0](backend)
    return found


def as_tensor(value: Any, backend: Backend) -> Any:
    """A Tensor for a native array (a constant), other values (Tensors, numbers, None) as they are."""
    if isinstance(value, tensor_module.Tensor) or value is None or isinstance(value, (bool, int, float, complex, str)):
        return value
    if backend.is_native(value):
        return tensor_module.make_tensor(value, backend, None, 0)
    return value


def _stand_in(edge: Edge) -> Any:
    """The input an `Edge` leads from: the Tensor while alive, else zeros of its dtype and shape. Only a Function
    that saved nothing but metadata is rerun after a release, and its backward reads no input's values."""
    found = edge.resolved()
    if found is not edge:
        return found
    xp = edge.backend.xp
    return tensor_module.make_tensor(xp.zeros(edge.shape, dtype=edge.dtype, device=edge.backend.device),
                                     edge.backend, None, 0)


def recorded_backward(fn: Any, grads: tuple[Any, ...]) -> Any:
    """``fn.backward`` run on Tensors in the differentiable namespace: gradients that are graph Tensors.

    ``grads``: one Tensor (or ``None``) per output of ``fn``. Returns what ``backward`` returns (a Tensor,
    ``None`` or a tuple of them). Node hooks of ``fn`` (``grad_fn.register_hook``) run around it.
    """
    unpack_saved(fn)  # (saved-tensor hooks packed its arrays: `anynn.autograd.saved_hooks`)
    if "_node_hooks" in fn.__dict__:
        return run_node_hooks(fn, grads, lambda outs: _recorded_backward(fn, outs))[1]
    return _recorded_backward(fn, grads)


def _recorded_backward(fn: Any, grads: tuple[Any, ...]) -> Any:
    cls = type(fn)
    inputs = fn.inputs
    changed = False  # an input changed in place since fn was recorded, which fn did not save (`graph._reroute`)
    if any(type(a) is Edge for a in inputs):  # released by an earlier backward, or changed since (see above)
        changed = not saves_no_array(fn)
        inputs = tuple(_stand_in(a) if type(a) is Edge else a for a in inputs)
    if not getattr(cls, "supports_double_backward", True):
        raise DoubleBackwardError(
            f"{fn.name} has no second-order rule: backward(create_graph=True) / autograd.grad(create_graph=True) "
            f"cannot record its backward ({getattr(cls, 'double_backward_reason', 'not supported')})")
    backend = fn.backend
    rule = _fused_rules.get(cls) if not changed else None  # (a fused rule reads its inputs' values)
    if rule is not None:
        fused = rule(fn, tuple(as_tensor(a, backend) for a in inputs), tuple(as_tensor(g, backend) for g in grads))
        if fused is not NotImplemented:
            return _tied(fn, fused)
    dxp = namespace(backend)
    clone = _new(cls)
    clone.__dict__.update(fn.__dict__)
    clone.__dict__.pop("backward", None)  # (node hooks' stand-in, bound to fn: they ran around this call)
    clone.inputs = inputs
    clone.needs_input_grad = fn.needs_input_grad
    clone.num_outputs = fn.num_outputs
    clone.recorded_at = fn.recorded_at
    clone.backend = dxp.backend
    args = [as_tensor(a, backend) for a in inputs]
    if not _substitute_saved(clone, fn, args, backend):
        if changed and getattr(fn, "ctx_saved_arrays", None) is None:  # no value of that input to rerun the forward
            # on (a custom Function's backward reads its ctx's saved tensors only: it reruns nothing)
            raise RuntimeError(f"one of the variables needed for gradient computation has been modified by an "
                               f"inplace operation: an input of {fn.name} changed after {fn.name} was recorded, "
                               "and create_graph=True records its backward from its inputs' values")
        clone.prepare_recompute()
        try:
            clone.forward(dxp, *args)
        except DoubleBackwardError as error:
            raise _naming(fn, error) from error
        except Exception as error:
            raise DoubleBackwardError(f"{fn.name}: recomputing its forward on graph Tensors for create_graph=True "
                                      f"failed ({type(error).__name__}: {error})") from error
    grads = tuple(as_tensor(g, backend) for g in grads)
    try:
        found = clone.backward(dxp, *grads)
    except DoubleBackwardError as error:
        raise _naming(fn, error) from error
    except Exception as error:
        raise DoubleBackwardError(f"{fn.name}: its backward could not be recorded for create_graph=True "
                                  f"({type(error).__name__}: {error})") from error
    return _tied(fn, found)


class TiedGradient(Function):
    """``g`` itself, recorded as a function of ``sources`` too, with derivative zero in them.

    g: any shape; sources: the inputs of the node whose gradient ``g`` is. PyTorch records a gradient whose formula
    reads a tensor the forward saved as a function of it even where the derivative is zero (ReLU's
    ``g * (out > 0)``, L1's ``g * sign(x - y)``): that gradient requires grad, and differentiating it gives zeros,
    where the recorded rerun would hand back a constant (``grad`` of it: "does not require grad").
    """

    def forward(self, xp: Namespace, g: Any, *sources: Any) -> Any:
        self.shapes = tuple(tuple(s.shape) for s in sources)
        return g

    def backward(self, xp: Namespace, gg: Any) -> tuple[Any, ...]:
        need = self.needs_input_grad
        zeros = tuple(xp.zeros(shape, dtype=gg.dtype, device=_device(gg)) if wanted else None
                      for shape, wanted in zip(self.shapes, need[1:]))
        return (gg if need[0] else None,) + zeros


def _tied(fn: Any, found: Any) -> Any:
    """``found`` (what ``fn``'s recorded backward returned) with each gradient that does not require grad tied to
    ``fn``'s inputs that do (`TiedGradient`), where PyTorch's formula reads a saved input or output: as
    ``fn.ties_constant_gradient`` says, or, where it says None, where ``fn`` saved a floating array."""
    single = not isinstance(found, tuple)
    grads = (found,) if single else found
    Tensor = tensor_module.Tensor
    ties = fn.ties_constant_gradient  # True / False: PyTorch's formula is known (see `Function`); None: as it saved
    if ties is not True and all(not isinstance(g, Tensor) or g.requires_grad for g in grads):
        return found
    if ties is False:
        return found
    sources = [a for a in fn.inputs if isinstance(a, Tensor) and a.requires_grad]
    if not sources or (ties is None and not _saved_floating(fn)):
        return found
    # True: PyTorch's formula reads the saved input, so its gradient is a function of it even where it requires
    # grad through ``g`` alone (leaky_relu's ``g * where(x > 0, 1, slope)``: a penalty on ``x``'s gradient gives
    # ``x`` and what made it zeros, not None); the others only where the gradient came back a constant
    tied = tuple(TiedGradient.apply(g, *sources) if isinstance(g, Tensor) and (
        not g.requires_grad or (ties is True and not _reads_any(g, sources))) else g for g in grads)
    return tied[0] if single else tied


def _reads_any(g: Any, sources: list[Any]) -> bool:
    """Whether the node that made ``g`` takes one of ``sources`` as an input (a fused rule's one node: ClassLossGrad
    reads the scores), so no tie is needed; a deeper connection is not looked for (a tie then is redundant only)."""
    inputs = getattr(g._ctx, "inputs", None) or ()
    return any(a is s for a in inputs for s in sources)


def _saved_floating(fn: Any) -> bool:
    """Whether ``fn``'s forward saved a floating array (not one of its drawn ``constants``) for its backward."""
    backend, constants = fn.backend, getattr(type(fn), "constants", ())
    for name, value in fn.__dict__.items():
        if name in constants:
            continue
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if (backend.is_native(v) or _computed_scalar(v, backend)) and backend.xp.isdtype(
                    v.dtype, ("real floating", "complex floating")):
                return True
    return False


def _device(array: Any) -> Any:
    from ..backend.devices import device_of  # (a JAX tracer's device without asking the tracer)

    return device_of(array)


def _naming(fn: Any, error: DoubleBackwardError) -> DoubleBackwardError:
    """``error`` with the name of the Function whose backward raised it in front (the namespace's own message names
    only the array function it has no differentiable form of)."""
    message = str(error)
    return error if message.startswith(fn.name) else DoubleBackwardError(f"{fn.name}: {message}")


def _substitute_saved(clone: Any, fn: Any, args: list[Any], backend: Backend) -> bool:
    """Replace saved arrays by Tensors where no recomputation is needed; False if the forward must rerun."""
    Tensor, make_tensor = tensor_module.Tensor, tensor_module.make_tensor
    by_id: dict[int, Any] = {}
    for a in args:
        if isinstance(a, Tensor):
            seen = by_id.get(id(a.array))
            by_id[id(a.array)] = a if seen is None or seen is a else False  # one array, two Tensors: ambiguous
    constants = getattr(type(fn), "constants", ())
    xp = backend.xp
    replaced: dict[str, Any] = {}
    for name, value in fn.__dict__.items():
        if isinstance(value, (list, tuple)):
            if any(backend.is_native(v) for v in value if not isinstance(v, (int, float, bool, type(None)))):
                if name not in constants:
                    return False
                replaced[name] = type(value)(as_tensor(v, backend) for v in value)
            continue
        if _computed_scalar(value, backend):
            if name in constants or not xp.isdtype(value.dtype, ("real floating", "complex floating")):
                continue
            return False  # a 0-d result NumPy handed back as a scalar (np.float64 is a float): computed, recompute
        if isinstance(value, (bool, int, float, str, type(None), Tensor)) or not backend.is_native(value):
            continue
        source = by_id.get(id(value))
        if source is not None and source is not False:
            replaced[name] = source
        elif name in constants or not xp.isdtype(value.dtype, ("real floating", "complex floating")):
            replaced[name] = make_tensor(value, backend, None, 0)
        else:
            return False
    clone.__dict__.update(replaced)
    return True


def backward_reads_only_inputs(fn: Any, inputs: tuple[Any, ...]) -> bool:
    """Whether the recorded backward of ``fn`` with these ``inputs`` (Tensors, or `Edge`s of inputs it did not save)
    finds every saved floating array among the inputs' arrays, so that it needs no rerun of ``forward``."""
    args = [as_tensor(_stand_in(a) if type(a) is Edge else a, fn.backend) for a in inputs]
    return _substitute_saved(_new(type(fn)), fn, args, fn.backend)


def _computed_scalar(value: Any, backend: Backend) -> bool:
    """An array library's 0-d scalar (NumPy's ``sqrt`` of a 0-d array is an ``np.float64``), not a Python number."""
    return (type(value) not in (bool, int, float, complex) and not isinstance(value, tensor_module.Tensor)
            and hasattr(value, "dtype") and getattr(value, "shape", None) == () and not backend.is_native(value))
