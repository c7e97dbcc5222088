"""``anynn.onnx``: PyTorch's ``torch.onnx`` name, so ``import torch.onnx`` still imports after the swap.

ONNX export is not available yet (it is planned as the model's forward run on a recording array library,
ndonnx); `export` says so instead of failing with an AttributeError.
"""

from __future__ import annotations

from typing import Any


def export(model: Any, args: Any = (), f: Any = None, *rest: Any, **options: Any) -> None:
    """Refuse clearly: anynn cannot write ONNX files yet; save the weights with `anynn.save` instead."""
    raise NotImplementedError(
        f"anynn.onnx.export({type(model).__name__}): ONNX export is not available in anynn yet; save the weights "
        "with anynn.save(model, 'model.safetensors') and export from PyTorch after loading them there")


def is_in_onnx_export() -> bool:
    """Always False: anynn never runs a forward for ONNX export."""
    return False


__all__ = ["export", "is_in_onnx_export"]
