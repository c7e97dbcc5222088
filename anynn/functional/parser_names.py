"""PyTorch's keyword names for the leading arguments of functions whose documented names differ from them.

PyTorch's C++ functions take keywords by their schema's names (``self`` read as ``input``), which are not always
the names their documentation shows: ``torch.linalg.cholesky(input=A)``, ``torch.cholesky_solve(input=B,
input2=L)``, ``torch.ormqr(A, input2=tau, input3=C)``, ``torch.special.airy_ai(x=z)``, ``F.one_hot(input=t)``;
``torch.split`` (written in Python) names its tensor ``tensor``. anynn's functions keep their own names and take
PyTorch's as well (``install``, one table for the ``anynn``, ``anynn.linalg``, ``anynn.special`` and
``anynn.functional`` (``anynn.nn.functional``) namespaces).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from .numpy_spellings import rename_keywords

# namespace -> function -> PyTorch's names of its leading parameters, in order (its schemas, torch 2.13)
_SPECIAL_X = ("airy_ai", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
              *(f"{kind}_polynomial_{n}" for kind, ns in (("chebyshev", "tuvw"), ("shifted_chebyshev", "tuvw"),
                                                           ("hermite", ("h", "he")), ("laguerre", "l"),
                                                           ("legendre", "p")) for n in ns))
PARSER_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "anynn": {"adjoint": ("input",), "cholesky_solve": ("input", "input2"), "geqrf": ("input",),
              "lu_solve": ("input",), "matrix_exp": ("input",), "orgqr": ("input", "input2"),
              "ormqr": ("input", "input2", "input3"), "triangular_solve": ("input",), "split": ("tensor",)},
    "linalg": {**{name: ("input",) for name in (
        "cholesky", "cholesky_ex", "cond", "eig", "eigh", "eigvals", "eigvalsh", "householder_product", "ldl_factor",
        "ldl_factor_ex", "matrix_exp", "matrix_norm", "matrix_rank", "norm", "pinv", "solve_triangular", "tensorinv",
        "vector_norm")}, "lstsq": ("input", "b"), "tensorsolve": ("input", "other")},
    "special": {name: ("x",) for name in _SPECIAL_X},
    "functional": {"one_hot": ("input",)},
}


def with_parser_names(name: str, function: Any, theirs: tuple[str, ...]) -> Any:
    """``function`` also taking PyTorch's keyword ``theirs[i]`` for its i-th parameter (both names at once: PyTorch's
    TypeError). Returned as it is where its names are PyTorch's already."""
    ours = list(inspect.signature(function).parameters)
    renames = {t: o for t, o in zip(theirs, ours) if t != o and t not in ours}
    if not renames:
        return function

    @functools.wraps(function)
    def parsed(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            rename_keywords(name, kwargs, renames, alias_is_pytorchs=True)
        return function(*args, **kwargs)

    return parsed


def install(namespace: dict[str, Any], which: str) -> None:
    """Give the functions of ``namespace`` (``which``: "anynn", "linalg", "special", "functional") PyTorch's
    keyword names."""
    prefix = {"anynn": "", "functional": ""}.get(which, f"{which}.")
    for name, theirs in PARSER_NAMES[which].items():
        if name in namespace:
            namespace[name] = with_parser_names(prefix + name, namespace[name], theirs)
