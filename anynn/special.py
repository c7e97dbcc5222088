"""PyTorch's ``torch.special`` names that anynn has: the functions live in `anynn.functional.special` and
`anynn.functional.unary`; ``gammaln`` is ``lgamma`` and ``psi`` is ``digamma``, as in PyTorch."""

from __future__ import annotations

from .functional.special import digamma, erfinv, gammaln, psi, sinc, xlogy
from .functional.unary import erf, erfc

__all__ = ["digamma", "erf", "erfc", "erfinv", "gammaln", "psi", "sinc", "xlogy"]
