"""``torch.nested``: refused by name. anynn has no nested (ragged) tensors.

PyTorch's nested tensors hold sequences of different lengths in one tensor that layers run on directly. anynn's
tensors are dense arrays of one shape, so each function here raises ``NotImplementedError`` naming the way a ported
program gets the same result: pad the sequences to one length and carry a mask, or loop over them.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["as_nested_tensor", "masked_select", "narrow", "nested_tensor", "nested_tensor_from_jagged",
           "to_padded_tensor"]

_WAY_OUT = ("pad the sequences to one length (torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True)) and pass a "
            "mask (attn_mask / key_padding_mask, or multiply by it), or loop over the sequences")


def _refuse(name: str) -> NoReturn:
    raise NotImplementedError(f"torch.nested.{name}: anynn has no nested (ragged) tensors; {_WAY_OUT}")


def nested_tensor(tensor_list: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """``torch.nested.nested_tensor``: refused (see the module docstring)."""
    _refuse("nested_tensor")


def as_nested_tensor(ts: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """``torch.nested.as_nested_tensor``: refused."""
    _refuse("as_nested_tensor")


def nested_tensor_from_jagged(values: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """``torch.nested.nested_tensor_from_jagged``: refused."""
    _refuse("nested_tensor_from_jagged")


def narrow(tensor: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """``torch.nested.narrow``: refused."""
    _refuse("narrow")


def masked_select(tensor: Any, mask: Any) -> NoReturn:
    """``torch.nested.masked_select``: refused (``torch.masked_select`` gives the flat 1-D selection)."""
    _refuse("masked_select")


def to_padded_tensor(input: Any, padding: float, output_size: Any = None) -> NoReturn:  # noqa: A002
    """``torch.nested.to_padded_tensor``: refused (there is no nested tensor to pad)."""
    _refuse("to_padded_tensor")
