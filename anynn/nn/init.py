"""``anynn.nn.init``: PyTorch's ``torch.nn.init`` functions, filling anynn tensors and parameters in place.

Values are drawn on the host from NumPy's ``Generator`` (``generator=``: a seed or a
``numpy.random.Generator``; by default the one `anynn.manual_seed` seeds), so one seed gives the same
weights on every backend. They follow PyTorch's distributions, not its random stream: the same seed gives
other numbers than PyTorch. Each function replaces ``tensor.array`` and returns ``tensor``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import init as _init
from ..backend import dtype_name
from ..functional.value_checks import UnsupportedDTypeError, check_draw_range, check_draw_std
from ..init import _fill, _rng

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table: 1, 5/3 for tanh, sqrt(2) for relu...)."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    return _init.calculate_fan_in_and_fan_out(tuple(tensor.shape))


def _fan(tensor: Any, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


_calculate_correct_fan = _fan  # PyTorch's private name, which custom initialisers import


def _check_drawable(name: str, tensor: Any) -> None:
    """Refuse a random draw into an integer or boolean tensor, as PyTorch's kernels refuse it (anynn drew floats
    and truncated them into the tensor)."""
    kind = dtype_name(tensor.dtype) if hasattr(tensor, "dtype") else ""
    if kind and not kind.startswith(("float", "bfloat", "complex")):
        raise UnsupportedDTypeError(f"nn.init.{name}: drawing random values into a {kind} tensor is not implemented "
                                    f"(PyTorch: 'not implemented for {kind}'); initialise a floating-point tensor")


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
    """Fill with values from U(a, b)."""
    _check_drawable("uniform_", tensor)
    check_draw_range("uniform_", a, b)
    return _init.uniform_(tensor, a, b, generator)


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
    """Fill with values from N(mean, std^2)."""
    _check_drawable("normal_", tensor)
    check_draw_std("normal_", std)
    return _init.normal_(tensor, mean, std, generator)


def trunc_normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Any = None) -> Any:
    """Fill with N(mean, std^2) restricted to [a, b] (out-of-range draws are drawn again)."""
    _check_drawable("trunc_normal_", tensor)
    check_draw_range("trunc_normal_", a, b, infinite=True)
    u = _init.drawn_in_graph(tensor, "uniform")
    if u is not None:  # (a recorded graph: PyTorch's inverse CDF of a uniform draw, no redraws)
        return _fill(tensor, _truncated_normal_in_graph(tensor, u, mean, std, a, b))
    rng = _rng(generator)
    values = rng.normal(mean, std, size=tuple(tensor.shape))
    for _ in range(1000):
        bad = (values < a) | (values > b)
        if not bad.any():
            break
        values[bad] = rng.normal(mean, std, size=int(bad.sum()))
    return _fill(tensor, np.clip(values, a, b))


def _truncated_normal_in_graph(tensor: Any, u: Any, mean: float, std: float, a: float, b: float) -> Any:
    """N(mean, std^2) restricted to [a, b] from ``u`` (uniform on [0, 1), an array of ``tensor``'s backend in a
    recorded graph), as PyTorch draws it: the inverse error function of a uniform draw between the bounds' normal
    CDFs, here Giles' single-precision approximation (some 40 graph nodes; anynn.erfinv's ~1600 cost seconds)."""
    from ..autograd import Tensor, no_grad

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = 2 * cdf((a - mean) / std) - 1, 2 * cdf((b - mean) / std) - 1
    with no_grad():
        x = Tensor._make(u * (high - low) + low, tensor.backend, None, 0)
        w = -((1 - x) * (1 + x)).clamp(min=1e-30).log()
        central, tail = w - 2.5, w.sqrt() - 3.0
        p, q = central * 0 + _GILES_CENTRAL[0], tail * 0 + _GILES_TAIL[0]
        for c, t in zip(_GILES_CENTRAL[1:], _GILES_TAIL[1:]):
            p, q = p * central + c, q * tail + t
        inverse = x * p.where(w < 5.0, q)
        return (inverse * (std * math.sqrt(2.0)) + mean).clamp(a, b).array


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): erfinv(x) = x * P(w), w = -log(1 - x^2),
# P a polynomial in w - 2.5 for w < 5 and in sqrt(w) - 3 beyond (highest power first)
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682)


def constant_(tensor: Any, val: float) -> Any:
    """Fill with ``val``."""
    return _init.constant_(tensor, val)


def ones_(tensor: Any) -> Any:
    return _init.ones_(tensor)


def zeros_(tensor: Any) -> Any:
    return _init.zeros_(tensor)


def eye_(tensor: Any) -> Any:
    """Fill a 2-D tensor with the identity (ones on the diagonal)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Any, groups: int = 1) -> Any:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta (identity convolution per group)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = shape[0] // groups
    values = np.zeros(shape)
    centre = tuple(n // 2 for n in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot)."""
    _check_drawable("xavier_uniform_", tensor)
    if 0 not in tuple(tensor.shape):
        _calculate_fan_in_and_fan_out(tensor)
    return _init.xavier_uniform_(tensor, gain, generator)


def xavier_normal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot)."""
    _check_drawable("xavier_normal_", tensor)
    if 0 not in tuple(tensor.shape):
        fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
        check_draw_std("xavier_normal_", gain * math.sqrt(2.0 / (fan_in + fan_out)))  # a negative gain
    return _init.xavier_normal_(tensor, gain, generator)


def kaiming_uniform_(tensor: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Any:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He)."""
    _check_drawable("kaiming_uniform_", tensor)
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _init.uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Any:
    """N(0, std^2) with std = gain / sqrt(fan) (He)."""
    _check_drawable("kaiming_normal_", tensor)
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _init.normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Any, gain: float = 1, generator: Any = None) -> Any:
    """A (semi-)orthogonal matrix times ``gain`` (trailing dimensions flattened)."""
    _check_drawable("orthogonal_", tensor)
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    return _init.orthogonal_(tensor, gain, generator)


def sparse_(tensor: Any, sparsity: float, std: float = 0.01, generator: Any = None) -> Any:
    """A 2-D N(0, std^2) matrix with a fraction ``sparsity`` of each column set to zero."""
    _check_drawable("sparse_", tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    _init.refuse_host_draw_in_graph(tensor, "sparse_")
    rng = _rng(generator)
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, size=(rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)


def _deprecated(initialiser: Callable[..., Any]) -> Callable[..., Any]:
    """PyTorch's spelling without the trailing underscore: the same fill, after PyTorch's FutureWarning."""
    new_name = initialiser.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.", FutureWarning,
                      stacklevel=2)
        return initialiser(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    deprecated_init.__doc__ = f"``{old_name}(...)``: deprecated in PyTorch, which warns; use :func:`{new_name}`."
    return deprecated_init


# PyTorch's deprecated spellings without the trailing underscore (old DCGAN / RL code calls them)
uniform, normal, constant, eye, dirac = map(_deprecated, (uniform_, normal_, constant_, eye_, dirac_))
xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal = map(_deprecated, (
    xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_))
orthogonal, sparse = map(_deprecated, (orthogonal_, sparse_))

__all__ = ["calculate_gain", "constant_", "dirac_", "eye_", "kaiming_normal_", "kaiming_uniform_", "normal_",
           "ones_", "orthogonal_", "sparse_", "trunc_normal_", "uniform_", "xavier_normal_", "xavier_uniform_",
           "zeros_"]
