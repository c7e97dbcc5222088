"""Tensor methods that are the twins of PyTorch's top-level names added with them (``x.frexp()``,
``x.unique_consecutive()``, ``x.put(...)``, ``x.get_device()``...): the function, with the tensor as ``input``."""

from __future__ import annotations

from typing import Any

from ..layout import get_device, is_inference
from . import removed_linalg, torch_scatter_views, torch_small_ops
from .polygamma import polygamma


def _polygamma(self: Any, n: int) -> Any:
    """``x.polygamma(n)``: ``torch.polygamma(n, x)``."""
    return polygamma(n, self)


METHODS: dict[str, Any] = {
    **{name: getattr(torch_small_ops, name) for name in (
        "absolute", "frexp", "is_neg", "is_nonzero", "is_same_size", "is_signed", "isneginf", "isposinf", "isreal",
        "mvlgamma", "nonzero_static", "split_with_sizes", "unique_consecutive", "unsafe_chunk", "unsafe_split",
        "unsafe_split_with_sizes", "vdot")},
    **{name: getattr(torch_scatter_views, name) for name in (
        "as_strided", "as_strided_scatter", "diagonal_scatter", "index_reduce", "put", "select_scatter",
        "slice_scatter")},
    "get_device": get_device, "is_inference": is_inference, "polygamma": _polygamma,
    **removed_linalg.METHODS,  # x.solve / x.symeig / x.eig / x.lstsq: removed in PyTorch 1.9, refused naming linalg's
}

__all__ = ["METHODS"]
