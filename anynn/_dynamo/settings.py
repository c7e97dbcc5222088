"""Modules of PyTorch's compiler settings (``torch._dynamo.config``, ``torch._inductor.config``,
``torch._functorch.config``) that programs assign before ``torch.compile``.

anynn's step compiler (`anynn.compile`) is not TorchDynamo/Inductor and reads none of them: each setting PyTorch has
is kept with PyTorch's default and read back, and a name PyTorch does not have is refused with PyTorch's
AttributeError, so a misspelt setting still fails where it would on PyTorch.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def _refuse(owner: str, name: str) -> AttributeError:
    return AttributeError(f"{owner}.{name} does not exist")


class Settings(types.ModuleType):
    """A settings module: its names can be assigned, no new name can be added."""

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("__") and name not in self.__dict__:
            raise _refuse(self.__name__, name)
        super().__setattr__(name, value)


class Section:
    """A group of settings inside a settings module (``torch._inductor.config.triton``)."""

    _owner: str

    def __init__(self, owner: str, **settings: Any) -> None:
        object.__setattr__(self, "_owner", owner)
        self.__dict__.update(settings)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.__dict__:
            raise _refuse(self._owner, name)
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{self._owner}({items})"


def make_settings(module_name: str, defaults: dict[str, Any] | None = None) -> None:
    """Turn the module ``module_name`` (a file of plain assignments, PyTorch's defaults) into a `Settings` module,
    with every name of ``defaults`` (`anynn._dynamo.pytorch_settings`: ``"name"`` or ``"section.name"``) it does
    not assign itself added with PyTorch's default."""
    module = sys.modules[module_name]
    sections: dict[str, dict[str, Any]] = {}
    for name, value in (defaults or {}).items():
        section, _, setting = name.rpartition(".")
        if section:
            sections.setdefault(section, {})[setting] = value
        elif name not in module.__dict__:
            module.__dict__[name] = value
    for section, settings in sections.items():
        found = module.__dict__.get(section)
        if isinstance(found, Section):
            for setting, value in settings.items():
                found.__dict__.setdefault(setting, value)
        else:
            module.__dict__[section] = Section(f"{module_name}.{section}", **settings)
    module.__class__ = Settings
