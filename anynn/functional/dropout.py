"""Dropout: zero elements (or whole channels) at random and scale the rest by ``1 / (1 - p)``.

The randomness is the backend's own generator (`anynn.backend.Backend.rng`), so masks are drawn on
the device; pass a seeded generator for reproducible masks. The mask is saved by the forward pass and
reused by the backward pass.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import Backend, DeviceRNG, dtype_name
from ..backend.typing import Namespace
from ..init import default_generator, step_generator
from .inplace_option import in_place
from .value_checks import InvalidValueError, KernelNotImplementedError, ShapeMismatchError, is_real_floating


class DropoutFunction(Function):
    """``x * mask`` with ``mask`` 0 with probability ``p``, else ``1 / (1 - p)``.

    ``mask_shape`` is ``x.shape`` for elementwise dropout, or (N, C, 1) / (N, C, 1, 1) for whole channels; the
    mask broadcasts against ``x``.
    """
    constants = ("mask",)  # drawn, not computed from x: kept as it is by a create_graph backward

    p: float
    generator: DeviceRNG
    mask_shape: tuple[int, ...]

    def forward(self, xp: Namespace, x: Any) -> Any:
        if self.p >= 1.0:
            self.mask = xp.zeros(self.mask_shape, dtype=x.dtype, device=_device(x))
        else:
            self.mask = xp.astype(keep_mask(self.generator, self.mask_shape, x.dtype, self.p, x), x.dtype) * (
                1.0 / (1.0 - self.p))
        return x * self.mask

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * self.mask


def _device(x: Any) -> Any:
    from ..backend.arrays import device_of as device

    return device(x)


class ProbabilityTypeError(TypeError, ValueError):
    """A dropout probability that is no number (a string, None): PyTorch's comparison raises TypeError; a
    ValueError too, as anynn's float() of a string was."""


def check_dropout_p(name: str, p: float) -> float:
    """``p`` as a float in [0, 1]: a number, or a 0-d Tensor as PyTorch takes it; a string or None is refused."""
    if isinstance(p, (str, bytes)) or not hasattr(p, "__float__"):
        raise ProbabilityTypeError(f"{name}: dropout probability must be a number, got {type(p).__name__} {p!r}")
    p = float(p)
    if not 0.0 <= p <= 1.0:
        # (PyTorch: ValueError from its Python check, RuntimeError for NaN, which passes it, from its kernel)
        raise InvalidValueError(f"{name}: dropout probability has to be between 0 and 1, got {p}")
    return p


def dropout_generator(backend: Backend, generator: DeviceRNG | int | None) -> DeviceRNG:
    """The device generator a dropout mask is drawn from: ``generator`` itself, a new one seeded with an int, or
    (``None``) a new one seeded from anynn's host generator, so `anynn.manual_seed` makes the masks reproducible
    (as ``torch.manual_seed`` does PyTorch's)."""
    if isinstance(generator, DeviceRNG):
        return generator
    if generator is None:
        generator = int(default_generator().integers(2**63 - 1))
    return backend.rng(generator)


def draw_generator(backend: Backend, generator: DeviceRNG | int | None) -> DeviceRNG:
    """The generator one call draws from: `dropout_generator`'s, or the compiled step's (`anynn.init.drawing_from`)
    where the call is given none."""
    step = step_generator(backend) if generator is None else None
    return dropout_generator(backend, generator) if step is None else step


def keep_mask(generator: DeviceRNG, shape: tuple[int, ...], dtype: Any, p: float, like: Any = None) -> Any:
    """A bool array of ``shape``, True with probability ``1 - p``: ``u >= p`` for ``u`` uniform on [0, 1).

    ``like``: the array the mask goes with (of as many axes, ``shape`` its sizes or 1), whose shape the draws take
    where ``shape`` has a symbolic axis (``None``: an ONNX export with ``dynamic_axes``)."""
    if like is not None and None in shape and like.ndim == len(shape):
        template = like[tuple(slice(0, 1) if n == 1 and m != 1 else slice(None) for n, m in zip(shape, like.shape))]
        return generator.uniform_like(template, dtype) >= p
    return generator.uniform(shape, dtype) >= p


def _generator(input: Tensor, generator: DeviceRNG | int | None, name: str = "dropout") -> DeviceRNG:
    """The generator a mask for ``input`` is drawn from, once ``input`` is known to be a real floating Tensor (as
    PyTorch: integers cannot hold the scaled values, and its Bernoulli draw has no complex kernel)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__module__}."
                        f"{type(input).__name__}; wrap it with anynn.tensor(...)")
    if not is_real_floating(input):
        raise KernelNotImplementedError(f"{name}(): expected a real floating point input, got dtype "
                                        f"{dtype_name(input.array.dtype)}; convert it first (x.float())")
    return draw_generator(input.backend, generator)


def _drop(name: str, input: Tensor, inplace: bool, **params: Any) -> Tensor:
    """`DropoutFunction` of input; with ``inplace`` written into the input and the input returned (`in_place`)."""
    if inplace:
        return in_place(input, name + "_", lambda s: DropoutFunction.apply(s, **params))
    return DropoutFunction.apply(input, **params)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: DeviceRNG | int | None = None) -> Tensor:
    """Zero each element of input (any shape) with probability ``p``; scale the rest by ``1 / (1 - p)``.

    Parameters
    ----------
    input : Tensor (*)
    p : float
        Probability of zeroing an element, in [0, 1]. ``p=1`` gives zeros.
    training : bool
        When False (or ``p == 0``) the input is returned unchanged.
    inplace : bool
        Overwrite the input and return it, as PyTorch (`in_place`).
    generator : DeviceRNG, int or None
        The backend generator to draw the mask from (an ``int`` seeds a new one; ``None``: one seeded from
        anynn's host generator, so ``anynn.manual_seed`` makes the mask reproducible).
    """
    p = check_dropout_p("dropout", p)
    if not training or p == 0.0:
        return input
    return _drop("dropout", input, inplace, p=p, generator=_generator(input, generator), mask_shape=tuple(input.shape))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: DeviceRNG | int | None = None) -> Tensor:
    """Zero whole channels of input (N, C, H, W) with probability ``p``; scale the rest.

    As PyTorch 2.13 (with its warnings): the mask is drawn per (axis 0, axis 1) pair and broadcast over
    the rest, so a 3-D input is read as (N, C, L) (channel-wise 1-D dropout, not (C, H, W)) and a 2-D
    input (N, C) drops single elements. Fewer than 2 axes is an error when a mask is drawn (training, p > 0).
    Other arguments as in `dropout`.
    """
    p = check_dropout_p("dropout2d", p)
    if input.ndim == 2:
        warnings.warn("dropout2d: Received a 2-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead.", UserWarning, stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
                      "instead.", UserWarning, stacklevel=2)
    elif input.ndim != 4:
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release.", UserWarning, stacklevel=2)
    if not training or p == 0.0:
        return input
    if input.ndim < 2:  # (only a mask needs the channel axis: PyTorch passes a 1-D input through otherwise)
        raise ShapeMismatchError(f"dropout2d: feature dropout requires at least 2 dimensions in the input, got "
                                 f"{input.ndim}-D input of shape {input.shape}")
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _drop("dropout2d", input, inplace, p=p, generator=_generator(input, generator, "dropout2d"),
                 mask_shape=mask_shape)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: DeviceRNG | int | None = None) -> Tensor:
    """Zero whole channels of input (N, C, D, H, W) or (C, D, H, W) with probability ``p``; scale the rest.

    As PyTorch 2.13: any input that is not 5-D is read as unbatched (the mask is drawn per entry of
    axis 0), with a warning unless it is 4-D. Other arguments as in `dropout`.
    """
    p = check_dropout_p("dropout3d", p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release.", UserWarning, stacklevel=2)
    if not training or p == 0.0:
        return input
    if input.ndim == 0:  # PyTorch adds a batch axis, and a 1-D input has no channel axis to drop
        raise ShapeMismatchError("dropout3d: feature dropout requires at least 2 dimensions in the input (after the "
                                 "batch axis added to an unbatched input), got 0-D input")
    if input.ndim == 5:
        mask_shape = tuple(input.shape[:2]) + (1, 1, 1)
    else:  # unbatched: PyTorch adds a batch axis of 1, then drops per (1, axis 0) pair
        mask_shape = tuple(input.shape[:1]) + (1,) * (input.ndim - 1)
    return _drop("dropout3d", input, inplace, p=p, generator=_generator(input, generator, "dropout3d"),
                 mask_shape=mask_shape)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: DeviceRNG | int | None = None) -> Tensor:
    """Zero whole channels of input (N, C, L) or (C, L) with probability ``p``; scale the rest.

    Other arguments as in `dropout`.
    """
    p = check_dropout_p("dropout1d", p)
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected 2-D (C, L) or 3-D (N, C, L) input, got {input.ndim}-D "
                         f"input of shape {input.shape}")
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:-1]) + (1,)
    return _drop("dropout1d", input, inplace, p=p, generator=_generator(input, generator, "dropout1d"),
                 mask_shape=mask_shape)
