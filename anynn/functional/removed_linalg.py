"""PyTorch's linear-algebra functions removed in 1.9 (``torch.solve``, ``symeig``, ``eig``, ``lstsq``,
``matrix_rank`` and their Tensor methods): PyTorch 2.13 keeps the names and raises RuntimeError naming the
``torch.linalg`` replacement, so an older program stops there with the way forward; anynn raises the same way
(it raised AttributeError)."""

from __future__ import annotations

from typing import Any, Callable, NoReturn

__all__ = ["eig", "lstsq", "matrix_rank", "solve", "symeig"]

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "
_REPLACEMENTS = {
    "solve": "torch.solve(B, A).solution is torch.linalg.solve(A, B) (the arguments the other way round); "
             "torch.linalg.lu_factor gives the LU factorization",
    "symeig": "torch.symeig(A) is torch.linalg.eigvalsh(A, UPLO='U'), and with eigenvectors=True "
              "torch.linalg.eigh(A, UPLO='U') (both read the lower triangle unless UPLO='U' is given)",
    "eig": "torch.eig(A) is torch.linalg.eigvals(A), and with eigenvectors=True torch.linalg.eig(A); both return "
           "complex tensors rather than real pairs",
    "lstsq": "torch.lstsq(B, A).solution[:A.size(1)] is torch.linalg.lstsq(A, B).solution (the arguments the other "
             "way round; the residuals are its .residuals)",
    "matrix_rank": "use torch.linalg.matrix_rank(A) (its symmetric= is hermitian= there)",
}


def _removed(name: str, method: bool = False) -> Callable[..., NoReturn]:
    """``torch.<name>`` (or, ``method``, ``Tensor.<name>``): raises RuntimeError naming the replacement."""
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(f"{_REMOVED}torch.{name}: {_REPLACEMENTS[name]}")

    def refuse_method(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        refuse()

    function = refuse_method if method else refuse
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Removed in PyTorch 1.9: raises RuntimeError naming the replacement ({_REPLACEMENTS[name]})."
    return function


solve, symeig, eig = _removed("solve"), _removed("symeig"), _removed("eig")
lstsq, matrix_rank = _removed("lstsq"), _removed("matrix_rank")

# the Tensor methods PyTorch keeps the same way (x.matrix_rank never existed)
METHODS: dict[str, Any] = {name: _removed(name, method=True) for name in ("solve", "symeig", "eig", "lstsq")}
