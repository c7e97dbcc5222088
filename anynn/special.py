"""PyTorch's ``torch.special`` names that anynn has: the functions live in `anynn.functional.special`,
`anynn.functional.unary`, `anynn.functional.bessel` and `anynn.functional.incomplete_gamma`; ``gammaln`` is
``lgamma``, ``psi`` is ``digamma`` and ``gammainc``/``gammaincc`` are ``igamma``/``igammac``, as in PyTorch."""

from __future__ import annotations

from .functional.bessel import i0, i0e, i1, i1e
from .functional.polygamma import polygamma
from .functional.special import digamma, erfinv, gammaln, psi, sinc, xlogy
from .functional.incomplete_gamma import gammainc, gammaincc
from .functional.unary import erf, erfc

__all__ = ["digamma", "erf", "erfc", "erfinv", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e",
           "polygamma", "psi", "sinc", "xlogy"]
