"""``torch.multiprocessing``'s twin: the standard `multiprocessing` module, with anynn Tensors that cross processes
through shared memory (Hogwild training: ``model.share_memory()``, then ``Process(target=train, args=(model,))``).

Everything of the standard module is here under its name (``Process``, ``Queue``, ``get_context``,
``set_start_method``...). Importing this module teaches the standard library's multiprocessing pickler to send
`anynn.Tensor` (and `anynn.nn.Parameter`): a tensor sent to another process (a spawn-started ``Process``'s
arguments, a ``Queue`` or ``Pipe`` message) is moved to shared memory first, and the receiver gets a tensor over the
same memory (`anynn.autograd.shared_memory`). A fork-started child inherits the parent's shared memory itself. Only
the numpy and torch backends share memory; others raise naming the backend. Plain `pickle` still refuses Tensors:
checkpoints are safetensors (design principle 6).

Sharing strategy: ``"file_descriptor"`` only (anonymous segments passed by descriptor, which leave no file in
``/dev/shm`` even when a process is killed); PyTorch's ``"file_system"`` is refused (see the differences page).
"""

from __future__ import annotations

import multiprocessing as _standard

from ..autograd.shared_memory import register_reductions as init_reductions
from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, spawn,
                    start_processes)

for _name in _standard.__all__:
    globals()[_name] = getattr(_standard, _name)


class SharingStrategyError(ValueError, AssertionError):
    """A sharing strategy anynn does not have (PyTorch asserts on unknown names: an `AssertionError` too)."""


_STRATEGIES = frozenset({"file_descriptor"})
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set[str]:
    """The sharing strategies this system supports: ``{"file_descriptor"}``."""
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    """The strategy tensors are shared with: ``"file_descriptor"``."""
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Choose the sharing strategy; only ``"file_descriptor"`` exists in anynn (others raise)."""
    if new_strategy not in _STRATEGIES:
        why = (" (PyTorch's named /dev/shm files, which outlive a killed process; anynn shares anonymous segments "
               "by descriptor only)" if new_strategy == "file_system" else "")
        raise SharingStrategyError(f"set_sharing_strategy: unknown sharing strategy {new_strategy!r}{why}; "
                                   f"available: {sorted(_STRATEGIES)}")


init_reductions()

__all__ = [*_standard.__all__, "ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "SharingStrategyError", "get_all_sharing_strategies", "get_sharing_strategy",
           "init_reductions", "set_sharing_strategy", "spawn", "start_processes"]
