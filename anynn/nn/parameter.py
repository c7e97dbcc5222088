"""PyTorch's ``torch.nn.parameter`` path: programs write ``from torch.nn.parameter import Parameter`` (pygcn's
layers, many GNN and attention repositories). anynn's `Parameter` is `anynn.nn.Parameter`; the lazy layers'
placeholders are plain Parameters, so PyTorch's ``UninitializedParameter`` has no counterpart here."""

from __future__ import annotations

from .module import Parameter

__all__ = ["Parameter"]
