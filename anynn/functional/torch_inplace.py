"""PyTorch's top-level in-place twins of Tensor methods (``torch.exp_(x)`` is ``x.exp_()``, ``torch.clamp_(x, 0, 1)``
is ``x.clamp_(0, 1)``...), made by one rule from the list of PyTorch's names: each calls the Tensor method of the same
name and returns what it returns (the tensor, written in place), so a name exists here exactly when the method does.
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.tensor import Tensor

# PyTorch 2.13's top-level in-place functions that are twins of a Tensor method (relu_, sigmoid_, tanh_ and
# index_put_ have their own definitions in anynn)
PYTORCH_NAMES = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "conj_physical_",
    "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_",
    "frac_", "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_",
    "negative_", "rad2deg_", "reciprocal_", "round_", "rsqrt_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_",
    "trunc_", "xlogy_", "zero_",
)


def twin(name: str) -> Callable[..., Any]:
    """``torch.<name>(input, *args, **kwargs)`` as ``input.<name>(*args, **kwargs)``."""
    def inplace(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"``torch.{name}(input, ...)``: ``input.{name}(...)``, written in place; returns ``input``."
    return inplace


TWINS = {name: twin(name) for name in PYTORCH_NAMES if hasattr(Tensor, name)}

__all__ = ["PYTORCH_NAMES", "TWINS", "twin"]
