"""PyTorch's ``torch.special`` names that anynn has: the functions live in `anynn.functional.special`,
`anynn.functional.unary`, `anynn.functional.bessel` and `anynn.functional.incomplete_gamma`; ``gammaln`` is
``lgamma``, ``psi`` is ``digamma`` and ``gammainc``/``gammaincc`` are ``igamma``/``igammac``, as in PyTorch.
The normal distribution's functions live in `anynn.functional.special_normal`, ``zeta`` and the functions PyTorch
gives no derivative (the orthogonal polynomials, ``airy_ai``, the Bessel functions ``bessel_j0/j1/y0/y1``,
``spherical_bessel_j0`` and ``modified_bessel_i0/i1/k0/k1``) in `anynn.functional.special_values`; the rest are
the top-level functions under their ``torch.special`` names (``expit`` is ``sigmoid``, ``multigammaln`` is
``mvlgamma``)."""

from __future__ import annotations

from .functional.bessel import i0, i0e, i1, i1e
from .functional.polygamma import polygamma
from .functional.special import digamma, entr, erfinv, gammaln, psi, sinc, xlog1py, xlogy
from .functional.special_normal import erfcx, log_ndtr, ndtr, ndtri
from .functional.special_values import (airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, chebyshev_polynomial_t,
                                        chebyshev_polynomial_u, chebyshev_polynomial_v,
                                        chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he,
                                        laguerre_polynomial_l, legendre_polynomial_p, modified_bessel_i0,
                                        modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
                                        scaled_modified_bessel_k0, scaled_modified_bessel_k1,
                                        shifted_chebyshev_polynomial_t,
                                        shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
                                        shifted_chebyshev_polynomial_w, spherical_bessel_j0, zeta)
from .functional.incomplete_gamma import gammainc, gammaincc
from .functional.unary import erf, erfc, exp2, expm1, log1p
from .functional.activation import sigmoid as expit
from .functional.composite_math import logit
from .functional.rounding import round  # noqa: A004 - PyTorch's name
from .functional.torch_small_ops import mvlgamma as multigammaln
from .functional.torch_surface import logsumexp
from .functional.tensor_extras import log_softmax, softmax

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
           "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e",
           "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit",
           "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "multigammaln", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "ndtr", "ndtri", "polygamma",
           "psi", "round", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax",
           "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]

from .out_argument import install_special as _install_out_arguments  # noqa: E402

_install_out_arguments(globals(), __all__)  # PyTorch's out= on torch.special.erf, xlogy, zeta...
from .functional.parser_names import install as _install_parser_names  # noqa: E402

_install_parser_names(globals(), "special")  # torch.special.airy_ai(x=z), torch.special.hermite_polynomial_h(x=z, n=2)
from .functional.numpy_spellings import install as _install_numpy_spellings  # noqa: E402
from .functional.parser_names import PARSER_NAMES as _PARSER_NAMES  # noqa: E402

_install_numpy_spellings(globals(), __all__, "special.", _PARSER_NAMES["special"])  # special.erf(x=t)
