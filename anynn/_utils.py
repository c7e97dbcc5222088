"""``torch._utils``' flat-buffer helpers, which mixed-precision code copies (improved/guided-diffusion's fp16_util,
apex, Megatron): ``_flatten_dense_tensors`` puts tensors end to end in one 1-D tensor and
``_unflatten_dense_tensors`` views such a buffer with the tensors' shapes again. Both are differentiable compositions
of ``cat``/``reshape``/``narrow``, as PyTorch's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .autograd.tensor import Tensor
from .functional.tensor_extras import cat

__all__: list[str] = []  # private in PyTorch too


def _flatten_dense_tensors(tensors: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor holding every tensor of ``tensors`` flattened, in order (a copy; with one tensor, its
    flattening). Raises ValueError for an empty list, as PyTorch's ``cat``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    if len(tensors) == 1:
        return tensors[0].reshape(-1)
    return cat([t.reshape(-1) for t in tensors])


def _unflatten_dense_tensors(flat: Tensor, tensors: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """Views of the 1-D ``flat`` with the shapes of ``tensors``, one after another: ``flat[:a.numel()]`` shaped like
    ``a``, then the next ``b.numel()`` values shaped like ``b``..."""
    outputs, offset = [], 0
    for t in tensors:
        n = t.numel()
        outputs.append(flat.narrow(0, offset, n).view(t.shape))
        offset += n
    return tuple(outputs)
