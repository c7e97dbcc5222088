"""The device generator a random layer (dropout, RReLU) draws from: seeded once per backend."""

from __future__ import annotations

from ..backend import Backend, DeviceRNG
from ..functional.dropout import dropout_generator


class LayerGenerator:
    """Mixin: ``generator(backend)`` is the layer's generator on that backend, made at first use and again when
    the backend changes, seeded with ``self.seed`` (``None``: from `anynn.manual_seed`'s host generator)."""

    seed: int | None = None
    _generator: DeviceRNG | None = None
    _generator_backend: Backend | None = None

    def generator(self, backend: Backend) -> DeviceRNG:
        """The layer's generator on ``backend`` (a new one, seeded with ``seed``, if the backend changed)."""
        if self._generator is None or self._generator_backend != backend:
            self._generator = dropout_generator(backend, self.seed)
            self._generator_backend = backend
        return self._generator
