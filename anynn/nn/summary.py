"""`summary`: a Keras-style table of a model's layers, output shapes and parameter counts.

    >>> from anynn import nn
    >>> print(summary(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)), input_size=(1, 4)))
    Sequential summary
    ========================================
    Layer (type)  Output Shape       Param #
    ========================================
    0 (Linear)    [1, 8]                  40
    1 (ReLU)      [1, 8]                   0
    2 (Linear)    [1, 2]                  18
    ========================================
    Output shape: [1, 2]
    Total params: 58
    Trainable params: 58
    Non-trainable params: 0
    Params size: 0.00 MiB
    ========================================
"""

from __future__ import annotations

from typing import Any

from ..autograd.mode import no_grad
from ..autograd.tensor import Tensor
from ..factories import zeros
from ..dtypes import dtype
from .module import Module


def _shape_of(value: Any) -> str:
    if isinstance(value, Tensor):
        return str(list(value.shape))
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_shape_of(v) for v in value) + "]"
    return type(value).__name__


def summary(model: Module, input_size: Any = None, input_data: Any = None, input_dtype: Any = None) -> str:
    """A table of every submodule (depth first): its name and class, output shape, and own parameter count.

    Parameters
    ----------
    model : Module
    input_size : tuple of int, optional
        The shape of one example input (batch included); the model runs on zeros of that shape
        (float32 unless ``input_dtype``), on the model's backend.
    input_data : Tensor or tuple of Tensors, optional
        Example input(s), instead of ``input_size``.

    Returns
    -------
    str
        The table, then totals: parameters, trainable parameters, and their size in bytes. Without an input,
        the output shapes are left out.
    """
    rows: list[tuple[str, str, int]] = []
    shapes: dict[int, str] = {}
    handles = []
    named = [(name, m) for name, m in model.named_modules() if name]

    def record(mod: Module, args: Any, out: Any) -> None:
        shapes.setdefault(id(mod), _shape_of(out))

    for _, m in named:
        handles.append(m.register_forward_hook(record))
    try:
        if input_data is None and input_size is not None:
            input_data = zeros(tuple(input_size), dtype=input_dtype, backend=model.backend)
        if input_data is not None:
            args = input_data if isinstance(input_data, tuple) else (input_data,)
            with no_grad():
                out = model(*args)
            shapes.setdefault(id(model), _shape_of(out))
    finally:
        for h in handles:
            h.remove()
    for name, m in named:
        own = sum(p.numel() for p in m.parameters(recurse=False))
        rows.append((f"{name} ({type(m).__name__})", shapes.get(id(m), "-"), own))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    size = sum(p.numel() * dtype(p.array.dtype).itemsize for p in model.parameters())
    head = ("Layer (type)", "Output Shape", "Param #")
    width = [max(len(head[0]), *(len(r[0]) for r in rows)) if rows else len(head[0]),
             max(len(head[1]), *(len(r[1]) for r in rows)) if rows else len(head[1]), 12]
    line = "=" * (sum(width) + 4)

    def fmt(a: str, b: str, c: str) -> str:
        return f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}"

    out = [f"{type(model).__name__} summary", line, fmt(*head), line]
    out += [fmt(a, b, f"{c:,}") for a, b, c in rows]
    out += [line, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}", f"Params size: {size / 2**20:.2f} MiB", line]
    if id(model) in shapes:
        out.insert(-5, f"Output shape: {shapes[id(model)]}")
    return "\n".join(out)


__all__ = ["summary"]
