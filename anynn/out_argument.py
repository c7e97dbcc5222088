"""PyTorch's ``out=`` keyword on the ``anynn.*`` functions that programs call with it (``torch.add(a, b, out=c)``).

One wrapper serves every function: the result is computed as without ``out``, then written into ``out``, which
is returned. PyTorch's rules, per function as PyTorch applies them:

- ``out`` must be a Tensor on the result's backend;
- while grad mode is on, ``out`` and the inputs must not require grad ("functions with out=... arguments don't
  support automatic differentiation");
- a result of another shape resizes ``out`` (with PyTorch's UserWarning when ``out`` had elements; factories
  resize silently);
- dtype: most functions cast the result to ``out``'s dtype but refuse to climb down the ladder bool < integer <
  floating < complex ("result type float32 can't be cast to the desired output type int64"); the products, index
  and rounding functions want ``out``'s dtype to be the result's exactly; ``sum``/``prod``/``cumsum`` compute in
  ``out``'s dtype; factories build in ``out``'s dtype and backend unless ``dtype=``/``backend=``/``device=`` say
  otherwise.

`install` replaces the named functions in ``anynn``'s namespace by their wrapped forms; ``anynn.nn.functional``
keeps the plain ones, as PyTorch's ``torch.nn.functional`` has no ``out=``.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .autograd import mode
from .autograd.inference import refuse_inplace
from .autograd.tensor import Tensor, mark_modified
from .backend import BackendMismatch, dtype_name
from .functional.inplace import _kind  # the ladder bool < integer < floating < complex of in-place results
from .functional.value_checks import is_real_floating, refuse_kernel

# result cast to out's dtype unless that climbs down bool < integer < floating < complex
CAST = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "exp", "exp2", "expm1",
        "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "sigmoid",
        "reciprocal", "square", "maximum", "minimum", "remainder", "fmod", "atan2", "mean", "std", "var",
        "logsumexp", "cat", "concat", "stack", "max", "min", "eq", "ne", "gt", "ge", "lt", "le", "logical_and",
        "logical_or", "logical_not", "logical_xor", "lerp", "addcmul", "addcdiv", "erf", "erfc",
        "outer", "kron", "addr", "hypot", "logaddexp", "fmax", "fmin", "floor_divide", "xlogy", "copysign", "diff",
        "sinc", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arccos", "deg2rad", "rad2deg", "logit", "lgamma",
        "digamma", "erfinv", "i0", "mvlgamma", "angle", "hstack", "vstack", "row_stack", "column_stack", "dstack",
        "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm",
        "logaddexp2", "nextafter", "polygamma", "igamma", "igammac", "nanmean",
        "ldexp",  # (PyTorch writes it in Python: mul(input, pow(2, other), out=out); its dtype exactly before)
        # (the NumPy-style aliases and comparisons: TypeError 'unexpected keyword argument out' before, or NumPy's
        # ValueError for greater/less/not_equal)
        "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "arccosh", "greater", "greater_equal", "less",
        "less_equal", "not_equal",
        "cholesky_inverse", "cholesky_solve", "cholesky")  # (these took out= and left it unwritten)
# out's dtype must be the result's
EXACT = ("matmul", "mm", "bmm", "addmm", "baddbmm", "clamp", "clip", "clamp_min", "clamp_max", "abs", "neg",
         "negative", "where", "floor", "ceil", "round", "trunc", "sign", "amax", "amin", "index_select", "gather",
         "argmax", "argmin", "sort", "topk", "nonzero", "inner", "dot", "vdot", "mv", "addmv", "addbmm", "tensordot",
         "cross", "diag", "tril", "triu", "nan_to_num", "frac", "fix", "sgn", "absolute", "heaviside",
         "cummax", "cummin", "median", "mode", "kthvalue", "quantile", "nanquantile", "logcumsumexp", "msort",
         "masked_select", "take", "take_along_dim", "narrow_copy", "inverse", "histc", "bitwise_not",
         "conj_physical", "renorm", "norm", "hardshrink", "float_power", "isneginf", "isposinf", "signbit",
         "bucketize", "searchsorted", "multinomial", "frexp",
         # (TypeError 'unexpected keyword argument out' before, or out= taken and left unwritten: matrix_power,
         # complex, polar)
         "all", "any", "isin", "softmax", "log_softmax", "frobenius_norm", "nuclear_norm", "alias_copy", "detach_copy",
         "diagonal_copy", "squeeze_copy", "t_copy", "unsqueeze_copy", "slice_copy", "slice_scatter",
         "matrix_power", "complex", "polar", "chain_matmul", "spmm", "slogdet", "svd", "qr",
         "triangular_solve", "histogram", "aminmax", "geqrf")
# torch.linalg's out= (`install_linalg`): the result's dtype exactly, or (LINALG_CAST, written in Python) cast
LINALG_EXACT = ("inv", "det", "solve", "cholesky", "svdvals", "eigvalsh", "matrix_power", "norm", "vector_norm",
                "matrix_norm", "cross", "vecdot", "multi_dot", "solve_triangular", "lu_factor", "lu_factor_ex", "lu",
                "lu_solve", "eigh", "qr", "slogdet", "svd", "inv_ex", "cholesky_ex", "solve_ex", "eig", "eigvals",
                "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve", "matmul", "diagonal")
LINALG_CAST = ("pinv", "tensorinv", "tensorsolve", "cond", "matrix_rank")
# torch.special's out= (`install_special`): every function but these two; round's dtype exactly, the others cast
SPECIAL_WITHOUT_OUT = ("softmax", "log_softmax")
# computed in out's dtype (their dtype= argument)
IN_OUT_DTYPE = ("sum", "prod", "cumsum", "cumprod", "nansum")
# drawn into out's dtype, whatever it is but complex (integer and bool too), resized silently
DRAWS = ("bernoulli",)
FACTORIES = ("zeros", "ones", "full", "empty", "arange", "range", "linspace", "logspace", "eye", "rand", "randn",
             "randint", "randperm", "normal")

_GRAD = "functions with out=... arguments don't support automatic differentiation, but one of the arguments " \
        "requires grad."
_JOINS = ("cat", "concat", "stack")
# PyTorch's std/var kernel over some dims runs in out's dtype: a real input into a complex out is refused there (a
# reduction to one number, or of no elements, takes another path, which casts)
_REAL_SPREADS = ("std", "var")
_SEQUENCES = ("arange", "range", "linspace", "logspace")  # an out of as many elements keeps its shape


def _tensors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Tensor]:
    """The Tensors among the arguments, one level into lists and tuples (``cat``/``stack``)."""
    found: list[Tensor] = []
    for value in (*args, *kwargs.values()):
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, Tensor):
                found.append(item)
    return found


def _outs(name: str, out: Any, count: int) -> tuple[Tensor, ...]:
    outs = tuple(out) if isinstance(out, (list, tuple)) else (out,)
    if len(outs) != count:
        wanted = f"a tuple of {count} Tensors" if count > 1 else "Tensor"
        raise TypeError(f"{name}(): argument 'out' must be {wanted}, got {type(out).__name__} of {len(outs)}")
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(o).__module__}.{type(o).__name__}")
    return outs


def _refuse_grad(name: str, tensors: list[Tensor]) -> None:
    if mode.local.modes.grad_enabled and any(t._requires_grad for t in tensors):
        raise RuntimeError(f"{name}(): {_GRAD}")


def write(name: str, result: Tensor, out: Tensor, *, exact: bool = False, warn: bool = True) -> Tensor:
    """Write ``result`` into ``out`` as PyTorch's ``out=`` does (resize, dtype rule), returning ``out``."""
    if out.backend != result.backend:
        raise BackendMismatch(f"{name}(): out is on backend {out.backend.key!r}, the result on "
                              f"{result.backend.key!r}; give an out tensor of the inputs' backend")
    xp = out.backend.xp
    got, wanted = out.array.dtype, result.array.dtype
    if exact and got != wanted:
        raise RuntimeError(f"{name}(): Expected out tensor to have dtype {dtype_name(wanted)}, but got "
                           f"{dtype_name(got)} instead")
    if _kind(xp, wanted) > _kind(xp, got):
        if name in _JOINS:  # PyTorch's cat and stack raise a TypeError here
            raise TypeError(f"{name}(): input types can't be cast to the desired output type {dtype_name(got)}")
        raise RuntimeError(f"{name}(): result type {dtype_name(wanted)} can't be cast to the desired output type "
                           f"{dtype_name(got)}")
    refuse_inplace(out, f"{name}(out=...)")
    with mode.no_grad():
        if tuple(out.shape) == tuple(result.shape):
            return out.copy_(result)
        if warn and out.numel() > 0:
            warnings.warn(f"{name}(): An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated (as in PyTorch); resize the out "
                          f"tensor to zero elements first to reuse it", UserWarning, stacklevel=3)
        value = result.array if wanted == got else xp.astype(result.array, got)
        out.array = xp.asarray(value, copy=True)
        mark_modified(out)
    return out


def _exact(name: str, rule: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``out``'s dtype must be the result's. PyTorch's overloads of one name differ: ``clamp``/``clip`` with
    a Tensor bound (a structured kernel) and ``lerp`` with a number weight cast into ``out``; with number bounds,
    or a Tensor weight, the dtype must match."""
    if name in ("clamp", "clip"):
        return not any(isinstance(b, Tensor) for b in (*args[1:], kwargs.get("min"), kwargs.get("max")))
    if name == "lerp":
        return isinstance(args[2] if len(args) > 2 else kwargs.get("weight"), Tensor)
    return rule == "exact"


def with_out(fn: Callable[..., Any], name: str, rule: str) -> Callable[..., Any]:
    """``fn`` taking PyTorch's ``out=`` keyword; ``rule``: "cast", "exact", "real" (cast into a real floating out
    only: the inverse real FFTs), "in_out_dtype", "factory" or "draw"."""

    @functools.wraps(fn)
    def wrapped(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        if rule == "draw":
            (target,) = _outs(name, out, 1)
            _refuse_grad(name, _tensors(args, kwargs) + [target])
            refuse_kernel(name, f"{name}_tensor_cpu_self_", ("complex floating",), target)
            return write(name, fn(*args, **kwargs).astype(target.dtype), target, warn=False)
        if rule == "factory":
            (target,) = _outs(name, out, 1)
            _refuse_grad(name, [target])
            if not _tensors(args, kwargs):  # a shape, not tensors of means (normal(mean, std))
                kwargs.setdefault("dtype", target.dtype)
                if "backend" not in kwargs and "device" not in kwargs:
                    kwargs["backend"] = target.backend
            result = fn(*args, **kwargs)
            if name in _SEQUENCES and target.numel() == result.numel():  # PyTorch resizes these only for another count
                result = result.reshape(tuple(target.shape))
            return write(name, result, target, warn=False)
        _refuse_grad(name, _tensors(args, kwargs) + [o for o in (out if isinstance(out, (list, tuple)) else (out,))
                                                     if isinstance(o, Tensor)])
        if rule == "in_out_dtype":
            (target,) = _outs(name, out, 1)
            if name == "nansum" and any(is_real_floating(t) for t in _tensors(args, kwargs)):
                # (PyTorch's kernel runs in out's dtype, and its NaN test has no integer or complex version)
                refuse_kernel(name, "nansum_cpu", ("bool", "integral", "complex floating"), target)
            kwargs.setdefault("dtype", target.dtype)
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            outs = _outs(name, out, len(result))
            written = tuple(write(name, r, o, exact=True) for r, o in zip(result, outs))
            return type(result)(*written) if hasattr(result, "_fields") else written
        (target,) = _outs(name, out, 1)
        if name in _REAL_SPREADS and result.numel() > 1 and target.is_complex() and \
                not any(t.is_complex() or not t.numel() for t in _tensors(args, kwargs)):
            refuse_kernel(name, "std_cpu", ("complex floating",), target)
        if rule == "real" and target.is_complex():
            raise RuntimeError(f"{name} expects a floating point output tensor, but got {dtype_name(target.dtype)}")
        return write(name, result, target, exact=_exact(name, rule, args, kwargs))

    return wrapped


def install_linalg(namespace: dict[str, Any]) -> None:
    """`install` for ``anynn.linalg`` (its functions took ``out=`` and left it unwritten, or refused it)."""
    for rule, names in (("exact", LINALG_EXACT), ("cast", LINALG_CAST)):
        for name in names:
            if name in namespace:
                namespace[name] = with_out(namespace[name], f"linalg.{name}", rule)


def install_special(namespace: dict[str, Any], names: list[str]) -> None:
    """`install` for ``anynn.special`` (``torch.special.erf(x, out=y)``: TypeError 'unexpected keyword argument out'
    before)."""
    for name in names:
        if name in namespace and name not in SPECIAL_WITHOUT_OUT:
            namespace[name] = with_out(namespace[name], f"special.{name}", "exact" if name == "round" else "cast")


def install(namespace: dict[str, Any]) -> None:
    """Replace the functions named in the tables above, where ``namespace`` has them, by their ``out=`` forms."""
    for rule, names in (("cast", CAST), ("exact", EXACT), ("in_out_dtype", IN_OUT_DTYPE), ("factory", FACTORIES),
                        ("draw", DRAWS)):
        for name in names:
            if name in namespace:
                namespace[name] = with_out(namespace[name], name, rule)
