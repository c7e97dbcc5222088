"""Higher-order helpers of ``torch.autograd.functional``: ``vjp``, ``jvp``, ``vhp``, ``hvp``, ``jacobian``, ``hessian``.

Each takes ``func`` (Tensors in, a Tensor or a tuple of Tensors out) and ``inputs`` (a Tensor or a tuple of
them), and records ``func``'s graph inside ``no_grad`` too (PyTorch's enable grad around them). Results mirror
the structure of ``inputs``/outputs as in PyTorch: a single Tensor where a single Tensor was given. Inputs are
used as fresh leaves (detached), unless ``create_graph=True`` where they stay connected to their graph so the
results can be differentiated again. ``jvp`` and ``hvp`` use the double-vjp
trick (two reverse passes, the first recorded), so they work wherever `anynn.autograd.grad` does with
``create_graph=True``.

``strict=True`` refuses, as PyTorch's, a result that cannot depend on the inputs: an output that does not require
grad, an input the output (or, for the second-order helpers, the gradient) does not reach, and with
``create_graph=True`` a result that is not a function of the inputs (a linear ``func``'s Jacobian, say).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, TypeAlias

from .grad_api import grad
from .mode import enable_grad
from .tensor import Tensor


class StrategyError(ValueError, AssertionError):
    """An unknown Jacobian strategy: PyTorch asserts on it (AssertionError); a ValueError too."""

Tensors: TypeAlias = "Tensor | Sequence[Tensor]"
"""One Tensor or a sequence of them (``inputs``, ``v``)."""
TensorOrTuple: TypeAlias = "Tensor | tuple[Tensor, ...]"
"""A result shaped like what was given: one Tensor for one Tensor, else a tuple."""


def _tuple(value: Any, arg: str, what: str) -> tuple[bool, tuple[Tensor, ...]]:
    """``(given as one Tensor, the Tensors)``; anything but a Tensor or a tuple of Tensors (a list too) is refused
    with PyTorch's TypeError (``arg``: which argument, ``what``: which helper)."""
    if isinstance(value, Tensor):
        return True, (value,)
    for i, t in enumerate(value if isinstance(value, tuple) else (value,)):
        if not isinstance(t, Tensor):
            where = f"the value at index {i}" if isinstance(value, tuple) else f"the given {arg}"
            raise TypeError(f"The {arg} given to {what} must be either a Tensor or a tuple of Tensors but {where} "
                            f"has type {type(t)}.")
    return False, value


_OUTPUTS = "outputs of the user-provided function"


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Differentiable copies of the inputs: fresh leaves, or (create_graph) connected to the caller's graph."""
    from ..functional.elementwise import Clone

    out = []
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] is a {type(t).__name__}, not a Tensor")
        out.append(Clone.apply(t) if create_graph and t.requires_grad else t.detach().requires_grad_())
    return tuple(out)


def _grad(outputs: Sequence[Tensor | None], inputs: Sequence[Tensor], grad_outputs: Sequence[Tensor] | None = None,
          **options: Any) -> tuple[Tensor | None, ...]:
    """`grad` over the outputs that require grad (PyTorch's ``_autograd_grad``): None for every input when none
    does, so a ``func`` whose result is a constant gives zeros (or, with ``strict``, the strict error)."""
    kept = [i for i, o in enumerate(outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    chosen = None if grad_outputs is None else [grad_outputs[i] for i in kept]
    return tuple(grad([outputs[i] for i in kept], list(inputs), chosen, allow_unused=True,  # type: ignore[misc]
                      **options))


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor._make(t.backend.xp.zeros_like(t.array), t.backend, None, 0)


def _fill(grads: Sequence[Tensor | None], like: Sequence[Tensor], strict: bool, what: str,
          create_graph: bool = False) -> tuple[Tensor, ...]:
    """``grads`` with zeros for the inputs not reached; with ``strict`` those raise, and so (``create_graph``) does
    a result that does not require grad (it cannot depend on the inputs)."""
    out = []
    for i, (g, t) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(f"{what}: the result is independent of input {i}; not allowed with strict=True")
            g = _zeros_like(t)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(f"{what}: the result does not depend on input {i} (it does not require grad); not "
                               "allowed with strict=True and create_graph=True")
        out.append(g)
    return tuple(out)


def _check_differentiable(values: Sequence[Tensor | None], strict: bool, what: str, stage: str) -> None:
    """With ``strict``: each of ``values`` (func's outputs, or the gradient of func at ``stage``) must exist and
    require grad, as PyTorch's ``_check_requires_grad``."""
    if not strict:
        return
    for i, v in enumerate(values):
        if v is None:
            raise RuntimeError(f"{what}: the output of func is independent of input {i}; not allowed with "
                               "strict=True")
        if not v.requires_grad:
            if stage == "outputs":
                raise RuntimeError(f"{what}: output {i} of func does not require grad; with strict=True the outputs "
                                   "must be computed differentiably from the inputs")
            raise RuntimeError(f"{what}: the {stage} of func with respect to input {i} does not depend on the "
                               f"inputs (a linear func, say); not allowed with strict=True")


def _detach(values: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    return values if create_graph else tuple(v.detach() for v in values)


def _check_v(v: Tensors, like: tuple[Tensor, ...], single: bool, what: str) -> tuple[Tensor, ...]:
    """``v`` as a tuple, checked against ``like`` (given as one Tensor where ``single``) in PyTorch's words."""
    _, vs = _tuple(v, "v", what)
    if len(vs) != len(like):
        if single:
            raise RuntimeError(f"{what}: the given v should contain a single Tensor (got {len(vs)}).")
        raise RuntimeError(f"{what}: v is a tuple of invalid length: should be {len(like)} but got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, like)):
        if tuple(a.shape) != tuple(b.shape):
            entry = "" if single else f"Entry {i} in "
            raise RuntimeError(f"{what}: {entry}v has invalid size: should be {tuple(b.shape)} but got "
                               f"{tuple(a.shape)}.")
    return vs


_INPUT_IS = "the input to the user-provided function is"


def _default_v(values: tuple[Tensor, ...], what: str, of: str) -> tuple[Tensor, ...]:
    """Ones for an omitted ``v``: PyTorch allows it only where ``values`` (``of``) is one single-element Tensor."""
    if len(values) != 1 or values[0].size != 1:
        raise RuntimeError(f"{what}: the vector v can only be None if {of} a single Tensor with a single element; "
                           f"got shapes {[tuple(o.shape) for o in values]}")
    return tuple(Tensor._make(o.backend.xp.ones_like(o.array), o.backend, None, 0) for o in values)


@enable_grad()  # as PyTorch's: they record func's graph also inside no_grad
def vjp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[TensorOrTuple, TensorOrTuple]:
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product (one reverse pass)."""
    single_in, xs = _tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    single_out, outs = _tuple(func(*xs), _OUTPUTS, "vjp")
    _check_differentiable(outs, strict, "vjp", "outputs")
    vs = (_default_v(outs, "vjp", "the user-provided function returns") if v is None
          else _check_v(v, outs, single_out, "vjp"))
    grads = _grad(outs, xs, vs, create_graph=create_graph)
    result = _detach(_fill(grads, xs, strict, "vjp", create_graph), create_graph)
    outs = _detach(outs, create_graph)
    return (outs[0] if single_out else outs), (result[0] if single_in else result)


@enable_grad()
def jvp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[TensorOrTuple, TensorOrTuple]:
    """``(func(inputs), J v)``: the Jacobian-vector product by the double-vjp trick.

    ``u -> Jᵀ u`` is linear in ``u``; recording it (``create_graph``) and differentiating it in ``u`` along ``v``
    gives ``J v``.
    """
    single_in, xs = _tuple(inputs, "inputs", "jvp")
    xs = _prepare(xs, create_graph)
    single_out, outs = _tuple(func(*xs), _OUTPUTS, "jvp")
    _check_differentiable(outs, strict, "jvp", "outputs")
    vs = _default_v(xs, "jvp", _INPUT_IS) if v is None else _check_v(v, xs, single_in, "jvp")
    dummies = tuple(Tensor._make(o.backend.xp.zeros_like(o.array), o.backend, None, 0).requires_grad_() for o in outs)
    grads = _grad(outs, xs, dummies, create_graph=True)
    _check_differentiable(grads, strict, "jvp", "gradient")
    pairs = [(g, w) for g, w in zip(grads, vs) if g is not None and g.requires_grad]
    if pairs:
        found = grad([p[0] for p in pairs], dummies, [p[1] for p in pairs], create_graph=create_graph,
                     allow_unused=True)
    else:
        found = (None,) * len(outs)
    result = _detach(_fill(found, outs, strict, "jvp", create_graph), create_graph)
    outs = _detach(outs, create_graph)
    return (outs[0] if single_out else outs), (result[0] if single_out else result)


def _scalar_gradient(func: Callable[..., Any], inputs: Tensors, v: Tensors | None, create_graph: bool, strict: bool,
                     name: str) -> tuple[bool, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """What `vhp` and `hvp` start from: ``(single_in, xs, outs, vs, grads)`` with ``grads`` the recorded gradient of
    the scalar ``func`` at ``xs`` and ``vs`` the checked vectors (``name`` for the messages)."""
    single_in, xs = _tuple(inputs, "inputs", name)
    xs = _prepare(xs, create_graph)
    outs = _one_scalar(func(*xs), name)
    _check_differentiable(outs, strict, name, "outputs")
    vs = _default_v(xs, name, _INPUT_IS) if v is None else _check_v(v, xs, single_in, name)
    grads = _grad(outs, xs, create_graph=True)
    _check_differentiable(grads, strict, name, "jacobian")
    return single_in, xs, outs, vs, grads


def _one_scalar(output: Any, name: str) -> tuple[Tensor, ...]:
    """``(output,)`` of a ``func`` that must return one single-element Tensor (not a tuple), as PyTorch checks it."""
    single, outs = _tuple(output, _OUTPUTS, name)
    if not single:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outs[0].size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single element "
                           f"(got shape {tuple(outs[0].shape)})")
    return outs


@enable_grad()
def vhp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[TensorOrTuple, TensorOrTuple]:
    """``(func(inputs), vᵀ H)`` for a scalar ``func``: two reverse passes, the first recorded."""
    return _vhp(func, inputs, v, create_graph, strict, "vhp")


def _vhp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None, create_graph: bool, strict: bool,
         name: str) -> tuple[TensorOrTuple, TensorOrTuple]:
    """`vhp` (and `hvp` without ``strict``), ``name`` in the messages."""
    single_in, xs, outs, vs, grads = _scalar_gradient(func, inputs, v, create_graph, strict, name)
    pairs = [(g, w, x) for g, w, x in zip(grads, vs, xs) if g is not None and g.requires_grad]
    found: tuple[Any, ...] = (None,) * len(xs)
    if pairs:  # v as the gradient's grad_outputs, as PyTorch's (for a complex input: the real sum(Re(conj(v) g)))
        found = grad([p[0] for p in pairs], xs, [p[1] for p in pairs], create_graph=create_graph, allow_unused=True)
    result = _detach(_fill(found, xs, strict, name, create_graph), create_graph)
    out = _detach(outs, create_graph)[0]
    return out, (result[0] if single_in else result)


@enable_grad()
def hvp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[TensorOrTuple, TensorOrTuple]:
    """``(func(inputs), H v)`` for a scalar ``func`` (the Hessian is symmetric: the same as `vhp`). With ``strict``
    it is computed as PyTorch's, by the double-vjp trick on the recorded gradient (one reverse pass more), so that
    the same results are refused: an entry of ``H v`` no input reaches, say."""
    if not strict:
        return _vhp(func, inputs, v, create_graph, strict, "hvp")
    single_in, xs, outs, vs, grads = _scalar_gradient(func, inputs, v, create_graph, strict, "hvp")
    dummies = tuple(_zeros_like(x).requires_grad_() for x in xs)
    back = _grad(grads, xs, dummies, create_graph=True)  # u -> H u, linear in u: differentiate it in u along v
    found = _grad(back, dummies, vs, create_graph=create_graph)
    result = _detach(_fill(found, xs, strict, "hvp", create_graph), create_graph)
    out = _detach(outs, create_graph)[0]
    return out, (result[0] if single_in else result)


@enable_grad()
def jacobian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian ``d func / d inputs``: shape ``output.shape + input.shape`` per (output, input) pair.

    One reverse pass per output element (keep outputs small). Nested tuples as in PyTorch:
    ``J[i][j]`` is output ``i`` by input ``j``; a single Tensor where a single Tensor was given.
    ``strategy="forward-mode"`` takes PyTorch's arguments (``vectorize=True``, neither ``strict`` nor
    ``create_graph``) and gives the same numbers, computed by the same reverse passes.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise StrategyError(f"jacobian: strategy must be 'forward-mode' or 'reverse-mode', got {strategy!r}")
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError("jacobian: create_graph=True and strategy='forward-mode' are not supported "
                                      "together (as in PyTorch); use strategy='reverse-mode'")
        if strict:
            raise RuntimeError("jacobian: strict=True and strategy='forward-mode' are not supported together (as in "
                               "PyTorch); use strategy='reverse-mode'")
        if not vectorize:
            raise NotImplementedError("jacobian: strategy='forward-mode' needs vectorize=True (as in PyTorch)")
    single_in, xs = _tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    single_out, outs = _tuple(func(*xs), _OUTPUTS, "jacobian")
    _check_differentiable(outs, strict, "jacobian", "outputs")
    if vectorize and strict:  # (after the outputs' checks, as PyTorch's)
        raise RuntimeError("jacobian: strict=True and vectorize=True are not supported together (as in PyTorch)")
    for i, o in enumerate(outs):  # PyTorch's one-hot passes refuse them too
        if o.is_complex():
            raise RuntimeError(f"jacobian: output {i} is {o.dtype}: grad can be implicitly created only for real "
                               f"scalar outputs (as in PyTorch); take the Jacobian of view_as_real of it")
    rows = []
    for o in outs:
        be = o.backend
        xp = be.xp
        n = int(o.size)
        per_input: list[list[Any]] = [[] for _ in xs]
        for k in range(n):
            if o.requires_grad:
                onehot = xp.reshape(xp.astype(xp.arange(n, device=be.device) == k, o.array.dtype), tuple(o.shape))
                found = grad(o, xs, Tensor._make(onehot, be, None, 0), retain_graph=True,
                             create_graph=create_graph, allow_unused=True)
            else:
                found = (None,) * len(xs)
            for j, g in enumerate(_fill(found, xs, strict, "jacobian", create_graph)):
                per_input[j].append(g)
        row = []
        for j, x in enumerate(xs):
            from ..functional.shape import Stack

            stacked = Stack.apply(*per_input[j], axis=0) if per_input[j] else _zeros_like(x)
            block = stacked.reshape(tuple(o.shape) + tuple(x.shape))
            row.append(block if create_graph else block.detach())
        rows.append(tuple(row))
    if single_out:
        return rows[0][0] if single_in else rows[0]
    return tuple(r[0] for r in rows) if single_in else tuple(rows)


@enable_grad()
def hessian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func``: ``input.shape + input.shape`` (``H[i][j]`` for tuples of inputs).

    The Jacobian of the recorded gradient: one reverse pass per input element (for small inputs).
    ``outer_jacobian_strategy="forward-mode"`` takes PyTorch's arguments and gives the same numbers.
    """
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise StrategyError(f"hessian: outer_jacobian_strategy must be 'forward-mode' or 'reverse-mode', got "
                         f"{outer_jacobian_strategy!r}")
    single_in, xs = _tuple(inputs, "inputs", "hessian")
    for i, x in enumerate(xs):
        if x.is_complex():
            raise RuntimeError(f"hessian: input {i} is {x.dtype}, so its gradient is complex: grad can be implicitly "
                               f"created only for real scalar outputs (as in PyTorch); pass its real and imaginary "
                               f"parts as two real inputs")

    def gradient(*args: Tensor) -> tuple[Tensor, ...]:
        outs = _one_scalar(func(*args), "hessian")
        _check_differentiable(outs, strict, "hessian", "outputs")
        found = _fill(_grad(outs, args, create_graph=True), args, False, "hessian")
        _check_differentiable(found, strict, "hessian", "jacobian")
        return found

    result = jacobian(gradient, xs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return result[0][0] if single_in else result


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
