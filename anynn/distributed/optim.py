"""``torch.distributed.optim``: `ZeroRedundancyOptimizer` under PyTorch's path (llm.c's and other GPT trainers'
``from torch.distributed.optim import ZeroRedundancyOptimizer``, imported even when they run in one process).

PyTorch's ZeRO stage 1 gives each rank the optimizer state of a share of the parameters, steps that share and
broadcasts the updated parameters. anynn keeps the whole state on every rank and steps every parameter: with the
gradients already averaged (`DistributedDataParallel`), each rank computes the same update PyTorch's ranks
assemble, so training follows PyTorch's; the memory is not divided (see the differences page).
"""

from __future__ import annotations

from typing import Any

from ..optim.optimizer import Optimizer
from ..optim.optimizer_hooks import patch_step


class ZeroRedundancyOptimizer(Optimizer):
    """``ZeroRedundancyOptimizer(params, optimizer_class, **defaults)``: ``optimizer_class(params, **defaults)``
    under PyTorch's interface (`add_param_group`, `consolidate_state_dict`, `state_dict`, LR schedulers).

    Its ``param_groups``, ``state`` and ``defaults`` are the wrapped optimizer's (``.optim``), so a scheduler or a
    change of ``lr`` reaches the update. ``overlap_with_ddp=True`` (a DDP communication hook) is refused.
    """

    def __init__(self, params: Any, optimizer_class: type, process_group: Any = None,
                 parameters_as_bucket_view: bool = False, overlap_with_ddp: bool = False, **defaults: Any) -> None:
        if overlap_with_ddp:
            raise NotImplementedError("ZeroRedundancyOptimizer(overlap_with_ddp=True) runs the step inside a DDP "
                                      "communication hook, which anynn's DistributedDataParallel has not; leave it "
                                      "False")
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
            raise TypeError(f"ZeroRedundancyOptimizer: optimizer_class must be an anynn optimizer class such as "
                            f"anynn.optim.AdamW, got {optimizer_class!r}")
        self.optim = optimizer_class(params, **defaults)
        self.process_group = process_group
        self.parameters_as_bucket_view = parameters_as_bucket_view
        self._opt_called = False
        self._share_wrapped_state()
        patch_step(type(self))

    def _share_wrapped_state(self) -> None:
        self.defaults, self.param_groups = self.optim.defaults, self.optim.param_groups
        self.state, self._state_home = self.optim.state, self.optim._state_home

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group to the wrapped optimizer (llm.c's second, weight-decay-free group)."""
        self.optim.add_param_group(param_group)

    def step(self, closure: Any = None, **kwargs: Any) -> Any:
        """One step of the wrapped optimizer over every parameter; returns ``closure()`` if given."""
        self._opt_called = True
        return self.optim.step(closure, **kwargs) if kwargs else self.optim.step(closure)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """The wrapped optimizer's `zero_grad`."""
        self.optim.zero_grad(set_to_none)

    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gather the state on rank ``to`` before `state_dict`: each rank already holds all of it."""
        if not isinstance(to, int) or isinstance(to, bool) or to < 0:
            raise ValueError(f"ZeroRedundancyOptimizer.consolidate_state_dict: to must be a rank, got {to!r}")

    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's state dict, PyTorch's layout (on every rank)."""
        return self.optim.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load into the wrapped optimizer (a state from `state_dict`, or the wrapped class's own)."""
        self.optim.load_state_dict(state_dict)
        self._share_wrapped_state()

    def __repr__(self) -> str:
        return f"ZeroRedundancyOptimizer({self.optim!r})"


__all__ = ["ZeroRedundancyOptimizer"]
