"""`SyncBatchNorm` (PyTorch's): batch normalisation over inputs (N, C, *) whose statistics, in PyTorch, are
reduced over the ranks of a data-parallel group, and `SyncBatchNorm.convert_sync_batchnorm`, which training scripts
call on a model before wrapping it for data-parallel training.

anynn normalises with this process's batch: in one process (no `anynn.distributed` group, or a group of one rank)
and in eval mode (running statistics) that is what PyTorch computes. Training with a group of several ranks is
refused: per-rank statistics would silently differ from PyTorch's synchronized ones (see the differences page).
"""

from __future__ import annotations

import sys
from typing import Any

from ..autograd.tensor import Tensor
from .module import Module
from .norm import _BatchNorm


def _group_size(process_group: Any) -> int:
    """The number of ranks of ``process_group`` (None: anynn's default group; 1 when none was started). Reads the
    distributed package only where a program imported it (nn does not import the packages above it)."""
    if process_group is not None and hasattr(process_group, "world_size"):
        return int(process_group.world_size)
    comm = sys.modules.get("anynn.distributed.comm")
    if comm is None or not comm.is_initialized():
        return 1
    return int(comm.world_size())


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation per channel (axis 1) of an input (N, C, *) of any rank >= 2; arguments as
    `BatchNorm1d`, plus ``process_group`` (the group PyTorch synchronizes over; None: the default group).

    Raises
    ------
    NotImplementedError
        In training mode while a data-parallel group of more than one rank is active: anynn does not reduce batch
        statistics across ranks. Use `BatchNorm2d` (per-rank statistics, a choice to make knowingly) or train in
        one process.
    """

    ranks = tuple(range(2, 10))
    layout = "(N, C, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group: Any = None, backend: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, backend, dtype, bias=bias)
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:
        """input: (N, C, *) → same shape."""
        if isinstance(input, Tensor) and input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D input)")
        if isinstance(input, Tensor) and input.shape[1] == 0:
            raise ValueError("SyncBatchNorm: number of input channels should be non-zero")
        if self.training and (size := _group_size(self.process_group)) > 1:
            raise NotImplementedError(f"SyncBatchNorm: training with a data-parallel group of {size} ranks needs "
                                      "batch statistics reduced across the ranks, which anynn does not do; use "
                                      "BatchNorm (per-rank statistics) or train in one process")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Every ``BatchNorm{1,2,3}d`` in ``module`` replaced by a `SyncBatchNorm` sharing its parameters and
        buffers (the same objects) and its train/eval mode; ``module`` itself when it is a batch norm gives the new
        layer (PyTorch's)."""
        result = module
        if isinstance(module, _BatchNorm):
            result = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                         process_group, backend=None if module.running_mean is None else module.running_mean.backend,
                         bias=module.bias is not None)
            if module.affine:
                result.weight = module.weight
                result.bias = module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                result.register_buffer(name, getattr(module, name))
            result.training = module.training
            if hasattr(module, "qconfig"):
                result.qconfig = module.qconfig
        for name, child in module.named_children():
            result.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return result


__all__ = ["SyncBatchNorm"]
