"""PyTorch's ``*_copy`` functions (``torch.view_copy``, ``torch.permute_copy``, ``torch.split_copy``...): the view
function of the same stem, its result (or each of its results) cloned into a fresh tensor that shares nothing with
the input, gradients flowing as through the view.

One wrapper makes them all: ``COPIES`` maps each name to its view. ``slice_copy`` has no view of its own in
anynn (PyTorch's ``torch.slice`` is internal): it indexes with a slice. ``detach_copy`` is a detached clone
(PyTorch's result claims to require grad but its backward raises "derivative for aten::detach_copy is not
implemented"). Shapes: as the view's.
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.tensor import Tensor
from . import elementwise
from .complex_numbers import view_as_complex, view_as_real


def _cloned(result: Any) -> Any:
    if isinstance(result, (tuple, list)):
        return tuple(elementwise.clone(part) for part in result)
    return elementwise.clone(result)


def _slice(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,  # noqa: A002
           step: int = 1) -> Tensor:
    index = [slice(None)] * input.ndim
    index[dim] = slice(start, end, step)
    return input[tuple(index)]


def _views() -> dict[str, Callable[..., Any]]:
    return {
        "alias_copy": lambda input: input,  # noqa: A006
        "as_strided_copy": lambda input, size, stride, storage_offset=None: input.as_strided(  # noqa: A006
            size, stride, storage_offset),
        "detach_copy": lambda input: input.detach(),  # noqa: A006
        "diagonal_copy": lambda input, offset=0, dim1=0, dim2=1: input.diagonal(offset, dim1, dim2),  # noqa: A006
        "expand_copy": lambda input, size, *, implicit=False: input.expand(size),  # noqa: A006
        "narrow_copy": lambda input, dim, start, length: input.narrow(dim, start, length),  # noqa: A006
        "permute_copy": lambda input, dims: input.permute(dims),  # noqa: A006
        "select_copy": lambda input, dim, index: input.select(dim, index),  # noqa: A006
        "slice_copy": _slice,
        "split_copy": lambda input, split_size, dim=0: input.split(split_size, dim),  # noqa: A006
        "split_with_sizes_copy": lambda input, split_sizes, dim=0: input.split_with_sizes(  # noqa: A006
            split_sizes, dim),
        "squeeze_copy": lambda input, dim=None: input.squeeze(dim),  # noqa: A006
        "t_copy": lambda input: input.t(),  # noqa: A006
        "transpose_copy": lambda input, dim0, dim1: input.transpose(dim0, dim1),  # noqa: A006
        "unbind_copy": lambda input, dim=0: input.unbind(dim),  # noqa: A006
        "unfold_copy": lambda input, dimension, size, step: input.unfold(dimension, size, step),  # noqa: A006
        "unsqueeze_copy": lambda input, dim: input.unsqueeze(dim),  # noqa: A006
        "view_as_complex_copy": view_as_complex,
        "view_as_real_copy": view_as_real,
        "view_copy": lambda input, *size, **kwargs: input.view(*size, **kwargs),  # noqa: A006 (size= or dtype=)
    }


def _copy_function(name: str, view: Callable[..., Any]) -> Callable[..., Any]:
    def copy(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        return _cloned(view(input, *args, **kwargs))

    copy.__name__ = copy.__qualname__ = name
    copy.__doc__ = (f"``torch.{name}``: ``{name[:-5]}``'s result as a fresh tensor (tensors, for the splits) "
                    "sharing no memory with the input; differentiable as the view.")
    return copy


def copies() -> dict[str, Callable[..., Any]]:
    """Every ``*_copy`` function by name (built once anynn's views are all defined)."""
    return {name: _copy_function(name, view) for name, view in _views().items()}


__all__ = ["copies"]
