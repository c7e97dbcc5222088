"""PyTorch's memory formats (``torch.channels_last``...): layout hints that anynn accepts and checks.

anynn presents every tensor as a dense row-major array (`anynn.functional.tensor_layout`), so a memory format
changes no value and no shape: ``x.to(memory_format=anynn.channels_last)``, ``x.contiguous(memory_format=...)``,
``x.clone(memory_format=...)`` and ``model.to(memory_format=...)`` accept one and return what they would without
it. Anything else given as ``memory_format`` is a `TypeError` naming the call.
"""

from __future__ import annotations

from typing import Any


class memory_format:  # noqa: N801 - PyTorch's name (torch.memory_format)
    """One of PyTorch's memory formats, by name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"anynn.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def check_memory_format(where: str, value: Any) -> None:
    """Raise `TypeError` unless ``value`` is ``None`` or a `memory_format`."""
    if value is not None and not isinstance(value, memory_format):
        raise TypeError(f"{where}: memory_format must be an anynn.memory_format such as anynn.channels_last, "
                        f"got {type(value).__name__} {value!r}")
