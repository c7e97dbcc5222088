"""``torch.func``'s derivative transforms over anynn's reverse-mode autograd: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``.

Each transform returns a function of the same arguments as ``func``. The differentiated arguments (``argnums``)
may be Tensors or nested tuples/lists/dicts of them (a parameter dict); results follow their structure.

How levels compose (``grad(grad(f))``, ``jacrev(jacrev(f))``, ``vmap(grad(f))``): each call differentiates with
respect to *its own copies* of the arguments: a fresh leaf for an argument outside any recording, or a recorded
copy (a graph node) of an argument that an enclosing transform or ``backward`` tracks. The backward pass is
recorded (``create_graph``) only where the result is itself differentiated further: when grad mode is on and
the output's graph reaches a tensor that requires grad and is not one of this call's fresh leaves (an enclosing
transform's input, a closed-over parameter). Otherwise results come back detached, as PyTorch's do.

Forward mode is not implemented: ``jacfwd`` computes the same Jacobian as ``jacrev`` (one reverse pass per
output element, so it is cheaper for few outputs, not few inputs), and ``jvp`` uses the double-vjp trick (two
reverse passes, the first recorded), which needs every op on the path to have a double backward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd.grad_api import grad as autograd_grad
from ..autograd.mode import enable_grad, is_grad_enabled
from ..autograd.tensor import Tensor
from ..autograd.transform_levels import transform_level
from .pytree import flatten, map_leaves, unflatten
from .randomness import RandomnessGuard


def _track(x: Tensor) -> Tensor:
    """This level's copy of an argument: recorded from ``x`` when ``x`` is tracked, else a fresh leaf."""
    from ..functional.elementwise import Clone

    if x.requires_grad:
        return Clone.apply(x)
    return x.detach().requires_grad_()


def reaches_outer(tensors: list[Any], ours: set[int]) -> bool:
    """Whether the graph of ``tensors`` reaches a leaf that requires grad and is not in ``ours`` (ids)."""
    stack = [t for t in tensors if isinstance(t, Tensor)]
    seen: set[int] = set()
    while stack:
        t = stack.pop()
        if not t._requires_grad:
            continue
        fn = t._ctx
        if fn is None:
            if id(t) not in ours:
                return True
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        inputs = getattr(fn, "inputs", None)
        if inputs:
            stack.extend(a for a in inputs if isinstance(a, Tensor))
    return False


def _argnums(argnums: Any, count: int, what: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if not isinstance(nums, tuple) or not nums or not all(isinstance(n, int) for n in nums):
        raise TypeError(f"{what}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for n in nums:
        if not -count <= n < count:
            raise RuntimeError(f"{what}: got argnums={argnums!r}, but the function was called with {count} "
                               "positional argument(s)")
        out.append(n % count)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{what}: argnums {argnums!r} names one argument twice")
    return tuple(out)


class _Level:
    """One transform call: its copies of the differentiated arguments and what is needed to regroup results."""

    def __init__(self, args: tuple[Any, ...], argnums: Any, what: str) -> None:
        self.what = what
        self.single = isinstance(argnums, int)
        self.nums = _argnums(argnums, len(args), what)
        self.args = list(args)
        self.specs: list[Any] = []
        self.inputs: list[Tensor] = []
        self.sizes: list[int] = []
        for n in self.nums:
            leaves, spec = flatten(args[n])
            for leaf in leaves:
                if not isinstance(leaf, Tensor):
                    raise TypeError(f"{what}: argument {n} must hold only Tensors to differentiate, found a "
                                    f"{type(leaf).__name__}")
            tracked = [_track(x) for x in leaves]
            self.args[n] = unflatten(spec, tracked)
            self.specs.append(spec)
            self.inputs.extend(tracked)
            self.sizes.append(len(tracked))
        self.ours = {id(t) for t in self.inputs if t._ctx is None}

    def regroup(self, flat: list[Any]) -> Any:
        """Per-input results (in `inputs` order) in the structure of the differentiated arguments."""
        groups, start = [], 0
        for spec, size in zip(self.specs, self.sizes):
            groups.append(unflatten(spec, flat[start:start + size]))
            start += size
        return groups[0] if self.single else tuple(groups)

    def unwrap(self, tree: Any, outer: bool) -> Any:
        """``tree`` with each Tensor detached unless it is connected to something outside this level."""
        return map_leaves(lambda t: t if not isinstance(t, Tensor) or (outer and reaches_outer([t], self.ours))
                          else t.detach(), tree)


def _split_aux(out: Any, has_aux: bool, what: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise RuntimeError(f"{what}(f, ...)(*args): output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    for leaf in flatten(out[1])[0]:  # PyTorch's transforms take Tensors (in tuples, lists, dicts) as aux, nothing else
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{what}(f, ...)(*args): expected tensors in the aux output of f, got unsupported type "
                               f"{type(leaf)}, as PyTorch")
    return out


def _tensor_leaves(out: Any, what: str) -> tuple[list[Tensor], Any]:
    """The leaves and structure of ``f``'s output ``out``; a leaf that is no Tensor is PyTorch's error for ``what``."""
    leaves, spec = flatten(out)
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{what}: Expected f to return Tensors (or containers of them), got a "
                               f"{type(o).__name__}")
    return leaves, spec


def _differentiable(x: Tensor) -> bool:
    return x.is_floating_point() or x.is_complex()


def _refuse_integer_outputs(outputs: list[Tensor]) -> None:
    """PyTorch's refusal of an integer or boolean output in ``vjp`` (and ``jacrev``, made of it)."""
    for o in outputs:
        if not _differentiable(o):
            raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                               f"with dtype {o.dtype}")


def _zeros(x: Tensor) -> Tensor:
    return Tensor._make(x.backend.xp.zeros_like(x.array), x.backend, None, 0)


def _gradients(outputs: list[Tensor], inputs: list[Tensor], cotangents: list[Any] | None, create_graph: bool,
               retain_graph: bool) -> list[Tensor]:
    """``sum_i cotangent_i^T d output_i / d inputs``, zeros for inputs no output depends on."""
    given = cotangents if cotangents is not None else [None] * len(outputs)
    pairs = [(o, c) for o, c in zip(outputs, given) if o.requires_grad]
    if pairs:
        found = autograd_grad([p[0] for p in pairs], inputs, [p[1] for p in pairs], retain_graph=retain_graph,
                              create_graph=create_graph, allow_unused=True)
    else:
        found = (None,) * len(inputs)
    return [_zeros(x) if g is None else (g if create_graph else g.detach()) for g, x in zip(found, inputs)]


def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """A function returning ``(gradient, value)`` of a scalar ``func`` (``((gradient, (value, aux))`` with
    ``has_aux``). ``func`` must return a 0-d Tensor; the gradient has the structure of ``args[argnums]``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = is_grad_enabled()
        with enable_grad():
            level = _Level(args, argnums, "grad_and_value")
            with transform_level():
                out, aux = _split_aux(func(*level.args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out).__name__}")
            if out.ndim != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.ndim} dims (shape {tuple(out.shape)}). Maybe you wanted to "
                                   "use the vjp or jacrev APIs instead?")
            connected = outer and reaches_outer([out], level.ours)
            grads = _gradients([out], level.inputs, None, connected, retain_graph=connected or has_aux)
        value = level.unwrap(out, outer)
        result = level.regroup(grads)
        if has_aux:
            return result, (value, level.unwrap(aux, outer))
        return result, value

    return wrapper


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function returning the gradient of a scalar ``func`` with respect to ``args[argnums]`` (``(gradient,
    aux)`` with ``has_aux``): PyTorch's ``torch.func.grad``."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(func(*primals), vjp_fn)`` (and ``aux`` last with ``has_aux``): ``vjp_fn(cotangents)`` returns a tuple with
    one entry per primal (``cotangents`` has the structure of the output); it can be called more than once."""
    outer = is_grad_enabled()
    with enable_grad():
        level = _Level(primals, tuple(range(len(primals))), "vjp") if primals else None
        if level is None:
            raise RuntimeError("vjp(f, *primals): expected at least one primal")
        with transform_level():
            out, aux = _split_aux(func(*level.args), has_aux, "vjp")
        out_leaves, out_spec = _tensor_leaves(out, "vjp(f, *primals)")
        _refuse_integer_outputs(out_leaves)
        connected = outer and reaches_outer(out_leaves, level.ours)

    def vjp_fn(cotangents: Any, *, retain_graph: bool = True, create_graph: bool | None = None) -> tuple[Any, ...]:
        leaves, spec = flatten(cotangents)
        if spec != out_spec:
            raise RuntimeError("vjp_fn(cotangents): Expected pytree structure of cotangents to be the same as pytree "
                               "structure of outputs to the function")
        for i, (c, o) in enumerate(zip(leaves, out_leaves)):
            if not isinstance(c, Tensor) or tuple(c.shape) != tuple(o.shape):
                given = tuple(c.shape) if isinstance(c, Tensor) else type(c).__name__
                raise RuntimeError(f"vjp_fn(cotangents): cotangent {i} must be a Tensor of shape {tuple(o.shape)}, "
                                   f"got {given}")
        record = create_graph if create_graph is not None else is_grad_enabled() and (
            connected or any(c.requires_grad for c in leaves))
        with enable_grad():
            grads = _gradients(out_leaves, level.inputs, leaves, record, retain_graph)
        return tuple(level.regroup(grads))

    result = (level.unwrap(out, outer), vjp_fn)
    return result + (level.unwrap(aux, outer),) if has_aux else result


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple[Any, ...]:
    """``(func(*primals), J @ tangents)`` (and ``aux``): the Jacobian-vector product by the double-vjp trick.

    ``primals`` and ``tangents`` are tuples of the same structure (``strict`` is accepted for PyTorch's signature and
    not checked). ``u -> J^T u`` is linear in ``u``; recording it and differentiating it in ``u`` along the
    tangents gives ``J v``.
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")
    if flatten(primals)[1] != flatten(tangents)[1]:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure")
    outer = is_grad_enabled()
    with enable_grad():
        level = _Level(primals, tuple(range(len(primals))), "jvp")
        tangent_leaves = flatten(tangents)[0]
        for x, v in zip(level.inputs, tangent_leaves):
            if not isinstance(v, Tensor) or tuple(v.shape) != tuple(x.shape):
                raise RuntimeError(f"jvp: each tangent must be a Tensor of its primal's shape {tuple(x.shape)}")
        with transform_level(tangent_inputs=level.inputs):
            out, aux = _split_aux(func(*level.args), has_aux, "jvp")
        out_leaves, out_spec = flatten(out)
        # an integer output's tangent is zeros of its dtype, as PyTorch's (no dummy cotangent: it has no gradient)
        dummies = [_zeros(o).requires_grad_() if _differentiable(o) else _zeros(o) for o in out_leaves]
        connected = outer and (reaches_outer(out_leaves, level.ours) or any(v.requires_grad for v in tangent_leaves))
        firsts = _gradients(out_leaves, level.inputs, dummies, True, retain_graph=True)
        pairs = [(g, v) for g, v in zip(firsts, tangent_leaves) if g.requires_grad]
        live = [d for d in dummies if d.requires_grad]
        if pairs and live:
            found = iter(autograd_grad([p[0] for p in pairs], live, [p[1] for p in pairs], create_graph=connected,
                                       allow_unused=True))
            found_all = [next(found) if d.requires_grad else None for d in dummies]
        else:
            found_all = [None] * len(dummies)
        products = [_zeros(o) if g is None else (g if connected else g.detach())
                    for g, o in zip(found_all, out_leaves)]
    result = (level.unwrap(out, outer), unflatten(out_spec, products))
    return result + (level.unwrap(aux, outer),) if has_aux else result


def linearize(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(func(*primals), jvp_fn)`` (``torch.func.linearize``): ``jvp_fn(*tangents)`` is the Jacobian-vector
    product ``J @ tangents`` at ``primals``, with the structure of the output; ``tangents`` have the structure,
    shapes, dtypes and backends of ``primals``. Each call runs `jvp` at the primals (``func`` evaluated again;
    PyTorch replays a traced graph instead)."""
    outer = is_grad_enabled()
    with enable_grad():
        level = _Level(primals, tuple(range(len(primals))), "linearize")
        with transform_level(functorch=False, tangent_inputs=level.inputs):
            output = level.unwrap(func(*level.args), outer)
    flat_primals, primals_spec = flatten(primals)
    expected = [(tuple(p.shape), p.dtype, p.backend.key) for p in flat_primals]

    def jvp_fn(*tangents: Any) -> Any:
        flat_tangents, tangents_spec = flatten(tangents)
        if tangents_spec != primals_spec:
            raise RuntimeError(f"linearize: Expected the tangents {tangents_spec} to have the same argspec as the "
                               f"primals {primals_spec}")
        for idx, (t, (shape, dtype, key)) in enumerate(zip(flat_tangents, expected)):
            for what, given, wanted in (("shape", tuple(t.shape), shape), ("dtype", t.dtype, dtype),
                                        ("backend", t.backend.key, key)):
                if given != wanted:
                    raise RuntimeError(f"linearize: tangent:{idx} with {what} {given} in flattened pytree doesn't "
                                       f"match the {what} {wanted} of the corresponding primal.")
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable[..., Any]:
    """A function returning the Jacobian of ``func`` with respect to ``args[argnums]``.

    For each output Tensor ``o`` and differentiated input ``x`` a block of shape ``o.shape + x.shape``, nested as
    PyTorch nests them: the output's structure outside, the inputs' structure (a tuple for tuple ``argnums``)
    inside. One reverse pass per output element; ``chunk_size`` is accepted for PyTorch's signature.
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"jacrev: chunk_size should be a positive int or None, got {chunk_size!r}")
    return _jacobian_transform(func, argnums, has_aux, "jacrev")


def _refuse_complex(name: str, tensors: list[Tensor], what: str) -> None:
    """PyTorch's refusal of a complex input or output of ``jacrev``/``jacfwd`` (its words: ``input idx`` also for
    outputs)."""
    for idx, t in enumerate(tensors):
        if t.is_complex():
            raise RuntimeError(f"{name}: Expected all {what} to be real but received complex tensor at flattened "
                               f"input idx: {idx}")


def _jacobian_transform(func: Callable[..., Any], argnums: int | tuple[int, ...], has_aux: bool,
                        name: str) -> Callable[..., Any]:
    """`jacrev` (and `jacfwd`, ``name`` in the messages) without its argument checks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = is_grad_enabled()
        with enable_grad():
            level = _Level(args, argnums, name)
            _refuse_complex(name, level.inputs, "inputs")
            forward = name == "jacfwd"  # PyTorch's jacfwd is vmap over jvp
            with transform_level(vmap=forward, tangent_inputs=level.inputs if forward else ()):
                out, aux = _split_aux(func(*level.args, **kwargs), has_aux, name)
            out_leaves, out_spec = _tensor_leaves(out, f"{name}(f)")
            _refuse_complex(name, out_leaves, "outputs")
            if not forward:
                _refuse_integer_outputs(out_leaves)
            connected = outer and reaches_outer(out_leaves, level.ours)
            blocks = [level.regroup(_jacobian_of(o, level.inputs, connected)) for o in out_leaves]
        result = unflatten(out_spec, blocks)
        return (result, level.unwrap(aux, outer)) if has_aux else result

    return wrapper


def _jacobian_of(o: Tensor, inputs: list[Tensor], create_graph: bool) -> list[Tensor]:
    """``d o / d x`` for each input: blocks of shape ``o.shape + x.shape`` (one reverse pass per element of o)."""
    from ..functional.shape import stack

    be, xp = o.backend, o.backend.xp
    n = int(o.size)
    rows: list[list[Tensor]] = [[] for _ in inputs]
    if o.requires_grad and n:
        eye = xp.eye(n, dtype=o.array.dtype, device=be.device)
        for k in range(n):
            onehot = Tensor._make(xp.reshape(eye[k, :], tuple(o.shape)), be, None, 0)
            for j, g in enumerate(_gradients([o], inputs, [onehot], create_graph, retain_graph=True)):
                rows[j].append(g)
    blocks = []
    for x, row in zip(inputs, rows):
        shape = tuple(o.shape) + tuple(x.shape)
        if row:
            blocks.append(stack(row, axis=0).reshape(shape))
        else:  # (an integer output's block is zeros of its dtype, as PyTorch's jacfwd gives)
            xb = x.backend
            dtype = x.array.dtype if _differentiable(o) else o.array.dtype
            blocks.append(Tensor._make(xb.xp.zeros(shape, dtype=dtype, device=xb.device), xb, None, 0))
    return blocks


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable[..., Any]:
    """The Jacobian as `jacrev` gives it (anynn has no forward mode: the same values, computed in reverse mode).

    ``randomness`` as `anynn.func.vmap`'s: ``"error"`` refuses a random draw from anynn's default generator inside
    ``func``; ``"same"`` and ``"different"`` allow it (``func`` runs once).
    """
    RandomnessGuard(randomness, "jacfwd")  # refuse a bad value now, not at the first call
    reverse = _jacobian_transform(func, argnums, has_aux, "jacfwd")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with RandomnessGuard(randomness, "jacfwd").watch():
            return reverse(*args, **kwargs)

    return wrapper


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian of a scalar ``func``: ``jacfwd(jacrev(func, argnums), argnums)``, blocks of shape
    ``x.shape + x.shape`` (nested per pair of inputs for tuple ``argnums``)."""
    return jacfwd(jacrev(func, argnums), argnums)


__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp"]
