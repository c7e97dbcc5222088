"""`Function` as users subclass it: anynn's array style, or PyTorch's ``ctx`` style on Tensors.

anynn's own primitives write ``forward(self, xp, *arrays)`` / ``backward(self, xp, *grads)`` on native arrays
(`anynn.autograd.primitive.Function`). A PyTorch program instead writes static methods on Tensors::

    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * (x > 0)

A subclass whose ``forward`` is a ``staticmethod`` (or a ``classmethod``, as PyTorch allows) gets that behaviour:
``apply`` runs ``forward(ctx, *args)`` under ``no_grad``, records one `CtxFunctionNode` for its Tensor outputs
(others, a None or a count, pass through and get None gradients), and the node's backward calls
``backward(ctx, *grads)`` on Tensors (under ``no_grad``; with ``create_graph=True`` recorded, so its Tensor
operations are differentiated again). PyTorch 2's separate ``setup_context(ctx, inputs, output)`` works too.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any

from ..backend.typing import Namespace
from . import inference
from . import primitive as _function
from .function_name import FunctionName
from .mode import enable_grad, no_grad, order_observable
from .tensor import Tensor, make_tensor
from .transform_levels import refuse_in_transforms, refuse_operator_in_transforms


class FunctionCtx:
    """The ``ctx`` of a PyTorch-style Function: what ``forward`` (or ``setup_context``) leaves for ``backward``.

    Any attribute may be set on it; the methods are PyTorch's.
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.to_save: tuple[Any, ...] = ()
        self.materialize_grads = True
        self.non_differentiable: tuple[Any, ...] = ()
        self.dirty_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` (Tensors or ``None``) for ``backward``, which reads them as ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save Tensors or None, but argument {i} is "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` (Tensors or ``None``) for ``jvp``, which reads them as ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise AssertionError("save_for_forward expects all arguments to be tensors; you should save "
                                     "non-tensors as attributes on ctx.")  # PyTorch's class and words
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors given to ``save_for_backward`` (to ``save_for_forward``, in ``jvp``), in order."""
        return self.to_save

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Outputs of ``forward`` that get no gradient (they do not require grad; backward sees zeros for them)."""
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Inputs that ``forward`` changed in place and returns: ``apply`` hands back those same Tensor objects,
        now the outputs of this call (their earlier value its inputs), as PyTorch does."""
        self.dirty_tensors = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """``True`` (the default): an output that got no gradient is handed to ``backward`` as zeros;
        ``False``: as ``None``."""
        self.materialize_grads = bool(value)


class _Outputs:
    """The forward's output arrays, held outside ``__dict__`` scanning of the recorded backward."""

    __slots__ = ("arrays",)

    def __init__(self, arrays: list[Any]) -> None:
        self.arrays = arrays


class CtxFunctionNode(_function.Function):
    """The graph node of one call of a PyTorch-style Function: outputs as its forward computed them,
    gradients from the user's ``backward(ctx, *grads)``."""

    user: Any  # the user's Function subclass (static forward/backward)
    ctx: FunctionCtx
    outputs: _Outputs
    ctx_saved_arrays: tuple[Any, ...]  # the arrays of ctx.save_for_backward's tensors when the call returned
    # the user's backward is recorded as it runs: a gradient it computes from no tensor that requires grad (a
    # detached saved tensor, a @once_differentiable backward of a constant gradient) is a constant, as PyTorch's
    ties_constant_gradient = False
    # which of forward's outputs are Tensors (the node's outputs), where it also returned other values (entmax's
    # loss Functions return (loss, None)); None where every output is a Tensor
    slots: tuple[bool, ...] | None = None

    @property
    def name(self) -> FunctionName:
        """PyTorch's node name for a custom Function: the user's class name and ``Backward``."""
        return FunctionName(f"{self.user.__name__}Backward")

    def forward(self, xp: Namespace, *arrays: Any) -> Any:
        out = self.outputs.arrays
        return out[0] if len(out) == 1 else tuple(out)

    def backward(self, xp: Namespace, *grads: Any) -> Any:
        recorded = any(isinstance(g, Tensor) for g in grads)
        outputs = self.outputs.arrays
        if self.ctx.materialize_grads:
            # an output that got no gradient: zeros of its shape (PyTorch's default); arrays or Tensors alike
            grads = tuple(g if g is not None else xp.zeros_like(o if not recorded else make_tensor(o, self.backend,
                                                                                                    None, 0))
                          for g, o in zip(grads, outputs))
        if self.slots is not None:  # an output that is no Tensor gets None, as PyTorch's backward is handed
            given = iter(grads)
            grads = tuple(next(given) if is_tensor else None for is_tensor in self.slots)
        if recorded:
            with enable_grad():
                found = self.user.backward(self.ctx, *grads)
        else:
            wrapped = tuple(None if g is None else make_tensor(g, self.backend, None, 0) for g in grads)
            with no_grad():
                found = self.user.backward(self.ctx, *wrapped)
        return self._input_gradients(found, recorded)

    def _input_gradients(self, found: Any, recorded: bool) -> tuple[Any, ...]:
        name = self.user.__name__
        found = found if isinstance(found, tuple) else (found,)
        n = len(self.inputs)
        if len(found) < n or any(g is not None for g in found[n:]):
            raise RuntimeError(f"{name}.backward: function backward returned an incorrect number of gradients "
                               f"(expected {n}, got {len(found)})")
        result: list[Any] = []
        for i, (g, a) in enumerate(zip(found[:n], self.inputs)):
            if g is not None and not isinstance(a, (Tensor, _function.Edge)):  # (an Edge: an input changed later)
                raise RuntimeError(f"{name}.backward returned a gradient different than None at position {i + 1}, "
                                   f"but the corresponding forward input was not a Tensor (got "
                                   f"{type(a).__name__})")
            if g is None:
                result.append(None)
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"{name}.backward: expected Variable or None (got {type(g).__name__}) as the "
                                   f"gradient of input {i}")  # PyTorch's class and words
            if not self.needs_input_grad[i]:  # an input that requires no grad: its gradient is dropped unchecked, as
                result.append(None)  # PyTorch's (a weight's, of another shape under jacrev / vmap over x alone)
                continue
            if tuple(g.shape) != tuple(a.shape):
                if g.numel() != math.prod(a.shape):
                    raise RuntimeError(f"{name}.backward returned an invalid gradient at index {i} - got "
                                       f"{list(g.shape)} but expected shape compatible with {list(a.shape)}")
                g = g.reshape(tuple(a.shape))
            result.append(g if recorded else g.array)
        return tuple(result)


def _ctx_apply(cls: Any, *args: Any, **kwargs: Any) -> Any:
    """``apply`` of a PyTorch-style Function: ``forward(ctx, *args)`` on Tensors, one recorded node."""
    from .mode import is_grad_enabled

    defined = _defining(cls)
    operator = getattr(cls, "_operator_name", None)  # torch.library's operators: refused in fewer transforms
    if operator is None:
        refuse_in_transforms(cls, defined, args + tuple(kwargs.values()))
    else:
        refuse_operator_in_transforms(operator, args + tuple(kwargs.values()))
    separate = "setup_context" in defined
    if separate:
        args = _with_defaults(cls, args, kwargs)
    elif kwargs:
        args = _keywords_in_place(cls, args, kwargs)
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    with no_grad():
        output = cls.forward(*args) if separate else cls.forward(ctx, *args)
    if separate:
        cls.setup_context(ctx, args, output)
    single = not isinstance(output, tuple)
    outs = (output,) if single else output
    if "jvp" in defined and "backward" not in defined:  # forward mode only: the outputs carry jvp's tangents
        from .forward_ad import function_jvp

        return function_jvp(cls, ctx, args, output)
    tensor_outputs = tuple(isinstance(o, Tensor) for o in outs)
    if not (is_grad_enabled() and any(needs)) or True not in tensor_outputs:  # others pass through, as PyTorch's
        return output
    slots = None if False not in tensor_outputs else tensor_outputs
    if slots is not None:  # the node records the Tensors only; the others are returned as forward gave them
        everything, outs = outs, tuple(o for o in outs if isinstance(o, Tensor))
    dirty = {id(t) for t in ctx.dirty_tensors}
    for a in args:
        if isinstance(a, Tensor) and id(a) in dirty and a._ctx is None and a._requires_grad:
            raise RuntimeError(f"{cls.__name__}: a leaf Variable that requires grad has been used in an in-place "
                               f"operation (marked dirty in forward); change it inside `with anynn.no_grad():`")
    # a dirty input is recorded by its value before the call: the Tensor object itself becomes the output
    before = {id(a): _snapshot(a) for a in args if isinstance(a, Tensor) and id(a) in dirty}
    unsaved = _unsaved_constants(args, ctx, dirty)
    made = CtxFunctionNode.apply(*(before.get(id(a), unsaved.get(id(a), a)) for a in args), user=cls, ctx=ctx,
                                 outputs=_Outputs([o.array for o in outs]), slots=slots)
    made = made if isinstance(made, tuple) else (made,)
    if before:
        made = tuple(_become(o, m, before[id(o)]) if id(o) in before else m for o, m in zip(outs, made))
    if ctx.to_save:  # a saved output is the recorded one in backward, so a double backward goes through this node
        recorded_as = {id(o): m for o, m in zip(outs, made)}
        ctx.to_save = tuple(None if t is None else recorded_as.get(id(t), t) for t in ctx.to_save)
    node = next((m._ctx for m in made if isinstance(m._ctx, CtxFunctionNode)), None)
    if node is not None:  # the arrays saved now: an input changed in place later that is not one of them is no
        # value the backward reads (PyTorch checks saved tensors only), so its gradient goes to its old producer
        node.ctx_saved_arrays = tuple(t.array for t in ctx.to_save if t is not None)
        if inference.made[0]:  # PyTorch's refusal of an inference tensor given to save_for_backward
            inference.refuse_saved_tensors(cls.__name__, [t for t in ctx.to_save if t is not None])
    frozen = {id(t) for t in ctx.non_differentiable}
    for o, m in zip(outs, made):
        if id(o) in frozen or not (o.is_floating_point() or o.is_complex()):
            m._ctx = None
            m._requires_grad = False
    if slots is not None:
        tensors = iter(made)
        return tuple(next(tensors) if is_tensor else o for is_tensor, o in zip(slots, everything))
    return made[0] if single else made


@functools.lru_cache(maxsize=256)
def _signature(forward: Any) -> inspect.Signature:
    return inspect.signature(forward)


def _with_defaults(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The arguments of ``apply`` for a Function with ``setup_context``, bound to ``forward``'s parameters with
    their defaults filled in, as PyTorch binds them (``setup_context`` sees them all in ``inputs``)."""
    signature = _signature(cls.forward)
    if not kwargs and all(p.default is p.empty for p in signature.parameters.values()):
        return args
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{cls.__name__}.apply: {error}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"{cls.__name__}.forward() got an unexpected keyword argument {next(iter(bound.kwargs))!r}")
    return bound.args


def _keywords_in_place(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """``apply(x, c=4.0)`` of a ``forward(ctx, a, b=2.0, c=3.0)``: each keyword at its parameter's position, as
    PyTorch places them (no defaults filled in: every parameter before the last one given must be given)."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in list(_signature(cls.forward).parameters.values())[1:] if p.kind in kinds]
    for name in kwargs:
        if name not in names:
            raise TypeError(f"{cls.__name__}.forward() got an unexpected keyword argument {name!r}")
        if names.index(name) < len(args):
            raise TypeError(f"{cls.__name__}.forward() got multiple values for argument {name!r}")
    placed = list(args)
    for position in range(len(args), 1 + max(names.index(name) for name in kwargs)):
        if names[position] not in kwargs:
            raise TypeError(f"{cls.__name__}.forward() missing required argument: {names[position]!r} "
                            f"(position {position})")
        placed.append(kwargs[names[position]])
    return tuple(placed)


def _unsaved_constants(args: tuple[Any, ...], ctx: FunctionCtx, dirty: set[int]) -> dict[int, Tensor]:
    """The Tensor inputs that require no gradient and were not given to ``save_for_backward``, each as another
    Tensor object holding the same array: the node records those, so an in-place change of the caller's tensor
    after the call (a buffer the Function keeps on ``ctx`` and its backward writes into) is not refused, as PyTorch
    checks the versions of saved tensors only."""
    saved = {id(t) for t in ctx.to_save if t is not None}
    return {id(a): make_tensor(a.array, a.backend, None, 0) for a in args
            if isinstance(a, Tensor) and not a.requires_grad and id(a) not in saved and id(a) not in dirty}


def _snapshot(t: Tensor) -> Tensor:
    """``t``'s current value and producer as another Tensor object (the input of the call that changes ``t``)."""
    old = make_tensor(t.array, t.backend, t._ctx, t._index)
    old._requires_grad = t._requires_grad
    return old


def _become(t: Tensor, made: Tensor, before: Tensor) -> Tensor:
    """Make the dirty input ``t`` the recorded output ``made`` (same object returned, as PyTorch's)."""
    t.array, t._ctx, t._index, t._requires_grad = made.array, made._ctx, made._index, made._requires_grad
    _function.note_new_producer(t, before)
    return t


def _defining(cls: type) -> set[str]:
    """Names defined by ``cls`` or its bases below `Function`."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is Function or klass is _function.Function:
            break
        names |= set(vars(klass))
    return names


class Function(_function.Function):
    """Base class of custom autograd Functions, in anynn's array style or PyTorch's ``ctx`` style.

    Array style (anynn's primitives): ``forward(self, xp, *arrays)`` and ``backward(self, xp, *grads)`` on native
    arrays; see `anynn.autograd.primitive.Function`. ``ctx`` style (PyTorch's): ``forward`` and ``backward`` are
    static methods on Tensors, ``forward(ctx, *args)`` returns a Tensor or a tuple of them and ``backward(ctx,
    *grad_outputs)`` returns one gradient (Tensor or ``None``) per argument of ``forward``; ``ctx`` is a
    `FunctionCtx` (``save_for_backward``, ``saved_tensors``, ``needs_input_grad``, ``mark_non_differentiable``,
    ``set_materialize_grads``, ``save_for_forward`` for ``jvp``); ``vjp`` is PyTorch's other name for ``backward``.
    Call either with ``MyFunction.apply(*args)``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("anynn."):  # (anynn's own bases: InplaceFunction)
            order_observable[0] = True  # its backward is user code: backward runs in PyTorch's order from now on
        forward = None
        for klass in cls.__mro__:
            if "forward" in vars(klass):
                forward = vars(klass)["forward"]
                break
        if isinstance(forward, (staticmethod, classmethod)):  # entmax writes classmethods forward(cls, ctx, X)
            cls.apply = classmethod(_ctx_apply)  # type: ignore[assignment]
            cls.__call__ = _legacy_call  # type: ignore[method-assign,assignment]
            if "vjp" in _defining(cls):  # PyTorch's other name for backward; both is refused when backward runs
                cls.backward = _vjp_backward(cls.vjp if not _user_defines(cls, "backward")  # type: ignore
                                             else _both_backward_and_vjp)


def _user_defines(cls: type, name: str) -> bool:
    """Whether a class of ``cls``'s MRO below `Function` defines ``name`` itself (not as `_vjp_backward`)."""
    for klass in cls.__mro__:
        if klass is Function or klass is _function.Function:
            return False
        if name in vars(klass) and not hasattr(vars(klass)[name], "vjp"):
            return True
    return False


def _vjp_backward(vjp: Any) -> staticmethod:  # type: ignore[type-arg]
    """The ``backward`` of a Function that defines ``vjp`` (``vjp`` kept on it, so a subclass tells it apart)."""
    method = staticmethod(lambda ctx, *grads: vjp(ctx, *grads))
    method.vjp = vjp  # type: ignore[attr-defined]
    return method


def _both_backward_and_vjp(ctx: Any, *grads: Any) -> Any:
    """The backward of a Function that defines both ``backward`` and ``vjp``: PyTorch's refusal, when it runs."""
    raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should only "
                       "implement one of them.")


def _legacy_call(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``MyFunction()(x)``, PyTorch's old calling convention, refused with its error."""
    raise RuntimeError(f"{type(self).__name__}: Legacy autograd function with non-static forward method is deprecated. "
                       f"Please use new-style autograd function with static forward method: "
                       f"{type(self).__name__}.apply(...)")
