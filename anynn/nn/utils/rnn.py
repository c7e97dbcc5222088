"""``anynn.nn.utils.rnn``: `pad_sequence` (variable-length sequences padded into one batch tensor).

Packed sequences (``pack_padded_sequence``) are not provided: anynn's recurrent layers take padded batches.
"""

from __future__ import annotations

from typing import Sequence

from ...autograd.tensor import Tensor
from ...functional.padding import pad
from ...functional.shape import stack


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (``(B, L_max, *)`` with ``batch_first``).

    Shorter sequences are filled with ``padding_value`` after their end (before it with
    ``padding_side="left"``). Differentiable in every input.
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    longest = max(int(s.shape[0]) for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - int(s.shape[0])
        if missing:
            widths = [0, 0] * (s.ndim - 1) + ([missing, 0] if padding_side == "left" else [0, missing])
            s = pad(s, widths, value=padding_value)
        padded.append(s)
    return stack(padded, axis=0 if batch_first else 1)


__all__ = ["pad_sequence"]
