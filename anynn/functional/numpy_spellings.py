"""NumPy's ``axis=`` / ``keepdims=`` / ``x=`` / ``x2=`` for ``dim=`` / ``keepdim=`` / ``input=`` / ``other=``, as
PyTorch's argument parser takes them.

PyTorch parses the arguments of its C++ functions and methods with one parser, which reads NumPy's spellings as
its own: ``torch.prod(x, -1, keepdims=True)``, ``x.squeeze(axis=0)``, ``torch.cumsum(x, axis=1)``, and ``x=``,
``a=`` or ``x1=`` for ``input=``, ``x2=`` for ``other=`` (``torch.add(x=a, x2=b)``, ``a.mul(x2=b)``). Functions
PyTorch writes in Python have no parser and refuse them (``x.norm(dim=-1, keepdims=True)`` is a TypeError). One
wrapper serves the `Tensor` methods (`anynn.functional.tensor_methods`) and the ``anynn.*`` functions (`install`).
It also gives the parser's TypeError where something that is not a Tensor (a Python list, a number, None, a NumPy
scalar) stands for the ``input`` Tensor and the function trips on it (``torch.sum([1, 2])``: "sum(): argument
'input' (position 1) must be Tensor, not list"; the math raised AttributeError: 'list' has no attribute 'sum').
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from ..autograd.tensor import Tensor
from .value_checks import NotATensorError

# (PyTorch's numpy_compatibility_arg_names, python_arg_parser.cpp)
_NUMPY_NAMES = (("axis", "dim"), ("keepdims", "keepdim"), ("x", "input"), ("a", "input"), ("x1", "input"),
                ("x2", "other"))
_MISSING = object()
# PyTorch's Python-written methods and torch.* functions: no parser, no NumPy spellings
WRITTEN_IN_PYTHON = frozenset({
    "norm", "split", "unflatten", "unique", "unique_consecutive", "stft", "istft", "einsum", "tensordot",
    "meshgrid", "cdist", "lu", "chain_matmul", "block_diag", "atleast_1d", "atleast_2d", "atleast_3d",
    "broadcast_tensors", "broadcast_shapes", "cartesian_prod", "unravel_index"})


def rename_keywords(name: str, kwargs: dict[str, Any], renames: dict[str, str],
                    alias_is_pytorchs: bool = False) -> None:
    """Move each keyword ``kwargs[alias]`` to its own name ``renames[alias]``, in place; both given: PyTorch's
    TypeError (one argument under two names), naming PyTorch's parameter (the alias where ``alias_is_pytorchs``)."""
    for alias, own in renames.items():
        if alias in kwargs:
            if own in kwargs:
                raise TypeError(f"{name}() got multiple values for argument '{alias if alias_is_pytorchs else own}'")
            kwargs[own] = kwargs.pop(alias)


def with_numpy_spellings(name: str, function: Any, theirs: tuple[str, ...] = ()) -> Any:
    """``function`` also taking NumPy's names for its ``dim`` / ``keepdim`` / ``input`` / ``other`` (both spellings
    at once: PyTorch's TypeError), and raising the parser's TypeError where a list, number or None stands for the
    Tensor its first argument is (`NotATensorError`, an AttributeError too: PyTorch's Python-written functions,
    ``torch.pca_lowrank([..])``, trip on the missing attribute). ``theirs``: PyTorch's names of the leading
    parameters where they differ from ours (`parser_names.PARSER_NAMES`: ``torch.linalg.norm``'s ``A`` is its
    ``input``, so ``x=`` is read as ``A=``). A function with neither is returned as it is."""
    if not callable(function) or isinstance(function, type):
        return function
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function
    pytorchs_names = dict(zip(parameters, theirs))
    ours_by_pytorchs = {pytorchs_names.get(ours, ours): ours for ours in parameters}
    renames = {} if name in WRITTEN_IN_PYTHON else {
        alias: ours_by_pytorchs[own] for alias, own in _NUMPY_NAMES
        if own in ours_by_pytorchs and alias not in parameters}
    first = next(iter(parameters.values()), None)
    tensor_first = first is not None and first.kind is not first.KEYWORD_ONLY and first.kind is not first.VAR_KEYWORD \
        and (first.name in ("input", "condition") or first.annotation in ("Tensor", Tensor))
    if not renames and not tensor_first:
        return function
    shown_name = "input" if first is None or first.name in ("A", "self") else first.name

    @functools.wraps(function)
    def numpy_named(*args: Any, **kwargs: Any) -> Any:
        if kwargs and renames:
            rename_keywords(name, kwargs, renames)
        try:
            return function(*args, **kwargs)
        except AttributeError as error:
            given = args[0] if args else kwargs.get(first.name if first is not None else "input", _MISSING)
            if tensor_first and given is not _MISSING and not isinstance(given, Tensor):
                kind = type(given)
                shown = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
                raise NotATensorError(f"{name}(): argument '{shown_name}' (position 1) must be Tensor, not "
                                      f"{shown}") from error
            raise

    return numpy_named


def install(namespace: dict[str, Any], names: list[str], prefix: str = "",
            theirs: dict[str, tuple[str, ...]] | None = None) -> None:
    """Give the functions of ``namespace`` listed in ``names`` (``anynn.__all__``; ``torch.linalg``, ``torch.fft`` and
    ``torch.special``, C++ functions all, with ``prefix`` "linalg." ...) NumPy's spellings; ``theirs``: PyTorch's
    names of leading parameters, by function (see `with_numpy_spellings`)."""
    for name in names:
        if name in namespace:
            namespace[name] = with_numpy_spellings(prefix + name, namespace[name], (theirs or {}).get(name, ()))
