"""``torch.utils.backcompat``: the two switches PyTorch 0.2 added for programs written before broadcasting
(``broadcast_warning``, ``keepdim_warning``). Old training scripts (ikostrikov's pytorch-trpo and its forks) set
them at the top; PyTorch keeps and reads them back and warns about nothing, and so does anynn."""

from __future__ import annotations


class Warning:  # noqa: A001 - PyTorch's class name, read by isinstance checks of ported code
    """One on/off switch: ``enabled`` reads it back; setting anything but a bool is PyTorch's RuntimeError."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._enabled = False

    def set_enabled(self, value: bool) -> None:
        """Keep ``value``, a bool (PyTorch refuses 0/1 too)."""
        if not isinstance(value, bool):
            raise RuntimeError(f"set_backcompat_{self.name}_warn expects a bool, but got {type(value).__name__}")
        self._enabled = value

    def get_enabled(self) -> bool:
        """The value last set (False at first)."""
        return self._enabled

    enabled = property(get_enabled, set_enabled)


broadcast_warning = Warning("broadcast")
keepdim_warning = Warning("keepdim")

__all__ = ["Warning", "broadcast_warning", "keepdim_warning"]
