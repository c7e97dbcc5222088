"""Dropout layers: `Dropout` (elements), `Dropout1d`/`2d`/`3d` (whole channels), `AlphaDropout`/`FeatureAlphaDropout`
(SELU networks); identity in eval mode."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..functional.dropout import check_dropout_p, dropout, dropout1d, dropout2d, dropout3d
from ..functional.dropout_alpha import alpha_dropout, feature_alpha_dropout
from .layer_generator import LayerGenerator
from .module import Module
from .validate import ShapeMismatch, check_floating, check_input


class _DropoutBase(LayerGenerator, Module):
    """Holds ``p`` and a seeded generator of the input's backend, created at the first call."""

    def __init__(self, p: float = 0.5, inplace: bool = False, seed: int | None = None) -> None:
        super().__init__()
        self.p = check_dropout_p(type(self).__name__, p)
        self.inplace = inplace
        self.seed = seed
        self._generator = None
        self._generator_backend = None

    def check_dtype(self, x: Tensor) -> None:
        """Masks scale by ``1 / (1 - p)``: refuse integer/bool input where one is drawn (PyTorch refuses it too)."""
        if self.training and self.p > 0.0:
            check_floating(self, x)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutBase):
    """Zero each element with probability ``p`` in training mode and scale the rest by ``1 / (1 - p)``.

    x (*) → same shape; identity in eval mode.

    Parameters
    ----------
    p : float
        Probability of zeroing an element, in [0, 1].
    inplace : bool
        Overwrite the input and return it, as PyTorch (`anynn.functional.inplace_option.in_place`).
    seed : int or None
        Seed of the backend generator the masks are drawn from: the same seed gives the same
        sequence of masks (``None``: seeded at the first call from anynn's host generator, so
        ``anynn.manual_seed`` makes the masks reproducible).
    """

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        self.check_dtype(input)
        if not self.training or self.p == 0.0:
            return input
        return dropout(input, self.p, True, self.inplace, generator=self.generator(input.backend))


class Dropout1d(_DropoutBase):
    """Zero whole channels of x (N, C, L) or (C, L) with probability ``p``; scale the rest.

    Arguments as `Dropout`; identity in eval mode.
    """

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input, ndim=(2, 3))
        self.check_dtype(input)
        if not self.training or self.p == 0.0:
            return input
        return dropout1d(input, self.p, True, self.inplace, generator=self.generator(input.backend))


class Dropout2d(_DropoutBase):
    """Zero whole channels of x (N, C, H, W) with probability ``p``; scale the rest.

    As PyTorch 2.13 (`anynn.functional.dropout2d`): a 3-D input is read as (N, C, L), a 2-D one is dropped
    element by element (both with PyTorch's warning). Arguments as `Dropout`; identity in eval mode.
    """

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        self.check_dtype(input)
        if input.ndim < 2 and self.training and self.p > 0.0:
            raise ShapeMismatch(f"Dropout2d: feature dropout requires at least 2 dimensions in the input, got "
                                f"{input.ndim}-D input of shape {input.shape}")
        return dropout2d(input, self.p, self.training, self.inplace, generator=self.generator(input.backend))


class Dropout3d(_DropoutBase):
    """Zero whole channels of x (N, C, D, H, W) or (C, D, H, W) with probability ``p``; scale the rest.

    Arguments as `Dropout`; identity in eval mode. Other ranks as PyTorch (`anynn.functional.dropout3d`).
    """

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        self.check_dtype(input)
        return dropout3d(input, self.p, self.training, self.inplace, generator=self.generator(input.backend))


class AlphaDropout(_DropoutBase):
    """Alpha dropout for SELU networks: keeps zero mean and unit variance (see `anynn.functional.alpha_dropout`).

    x (*) → same shape; identity in eval mode. Arguments as `Dropout`.
    """

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        self.check_dtype(input)
        return alpha_dropout(input, self.p, self.training, self.inplace, generator=self.generator(input.backend))


class FeatureAlphaDropout(_DropoutBase):
    """Alpha dropout of whole channels of x (N, C, *); identity in eval mode. Arguments as `Dropout`."""

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        self.check_dtype(input)
        generator = self.generator(input.backend)
        return feature_alpha_dropout(input, self.p, self.training, self.inplace, generator=generator)
