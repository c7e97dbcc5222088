"""NumPy's ``axis=`` / ``keepdims=`` / ``x=`` / ``x2=`` for ``dim=`` / ``keepdim=`` / ``input=`` / ``other=``, as
PyTorch's argument parser takes them.

PyTorch parses the arguments of its C++ functions and methods with one parser, which reads NumPy's spellings as
its own: ``torch.prod(x, -1, keepdims=True)``, ``x.squeeze(axis=0)``, ``torch.cumsum(x, axis=1)``, and ``x=``,
``a=`` or ``x1=`` for ``input=``, ``x2=`` for ``other=`` (``torch.add(x=a, x2=b)``, ``a.mul(x2=b)``). Functions
PyTorch writes in Python have no parser and refuse them (``x.norm(dim=-1, keepdims=True)`` is a TypeError). One
wrapper serves the `Tensor` methods (`anynn.functional.tensor_methods`) and the ``anynn.*`` functions (`install`).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

# (PyTorch's numpy_compatibility_arg_names, python_arg_parser.cpp)
_NUMPY_NAMES = (("axis", "dim"), ("keepdims", "keepdim"), ("x", "input"), ("a", "input"), ("x1", "input"),
                ("x2", "other"))
# PyTorch's Python-written methods and torch.* functions: no parser, no NumPy spellings
WRITTEN_IN_PYTHON = frozenset({
    "norm", "split", "unflatten", "unique", "unique_consecutive", "stft", "istft", "einsum", "tensordot",
    "meshgrid", "cdist", "lu", "chain_matmul", "block_diag", "atleast_1d", "atleast_2d", "atleast_3d",
    "broadcast_tensors", "broadcast_shapes", "cartesian_prod", "unravel_index"})


def with_numpy_spellings(name: str, function: Any) -> Any:
    """``function`` also taking NumPy's names for its ``dim`` / ``keepdim`` / ``input`` / ``other`` (both spellings
    at once: PyTorch's TypeError). A function that names them already, or that PyTorch writes in Python, is returned
    as it is."""
    if name in WRITTEN_IN_PYTHON or not callable(function) or isinstance(function, type):
        return function
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function
    renames = {alias: own for alias, own in _NUMPY_NAMES if own in parameters and alias not in parameters}
    if not renames:
        return function

    @functools.wraps(function)
    def numpy_named(*args: Any, **kwargs: Any) -> Any:
        for alias, own in renames.items() if kwargs else ():
            if alias in kwargs:
                if own in kwargs:
                    raise TypeError(f"{name}() got multiple values for argument '{own}'")
                kwargs[own] = kwargs.pop(alias)
        return function(*args, **kwargs)

    return numpy_named


def install(namespace: dict[str, Any], names: list[str]) -> None:
    """Give the functions of ``namespace`` listed in ``names`` (``anynn.__all__``) NumPy's spellings."""
    for name in names:
        if name in namespace:
            namespace[name] = with_numpy_spellings(name, namespace[name])
