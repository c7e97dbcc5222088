"""`OptimizedModule`: what ``anynn.compile(module)`` returns, as ``torch.compile(module)`` does.

PyTorch wraps a compiled module in a Module that holds the original as the child ``_orig_mod``: its
``state_dict`` keys carry the ``_orig_mod.`` prefix (programs such as nanoGPT and llama2.c strip it when they
resume), ``train()``/``eval()`` reach the original, and any other attribute is the original's. anynn compiles
whole steps (a forward alone cannot be traced apart from the backward that follows it), so the wrapper runs
the original module as written; wrap the training step in `anynn.compile` to compile it.
"""

from __future__ import annotations

from typing import Any

from ..nn.module import Module


class OptimizedModule(Module):
    """A Module around ``mod`` (kept as the child ``_orig_mod``) whose call is ``mod``'s call.

    Parameters
    ----------
    mod : the module ``anynn.compile`` was given; its parameters, buffers and submodules are shared, not
        copied, and appear under ``_orig_mod.`` in ``state_dict`` and ``named_parameters``.
    """

    def __init__(self, mod: Module) -> None:
        super().__init__()
        self._orig_mod = mod
        object.__setattr__(self, "training", mod.training)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # the wrapper's own state first (Module's lookup), then the original module's attributes, as PyTorch's
        modules = self.__dict__.get("_modules")
        if modules is None or "_orig_mod" not in modules:
            return super().__getattr__(name)
        if name == "_orig_mod":
            return modules["_orig_mod"]
        return getattr(modules["_orig_mod"], name)

    def __len__(self) -> int:
        return len(self._orig_mod)
