"""PyTorch's tensor layouts (``torch.strided``, ``torch.sparse_coo``...) and the small queries programs ask of any
object: `typename`, `is_storage`, `get_device`, `is_inference`.

Every anynn tensor is dense (``x.layout`` would be `strided`; sparse tensors are stored dense, see `anynn.sparse`), so
a layout is accepted where a factory takes ``layout=`` when it is `strided`, and refused by name otherwise.
"""

from __future__ import annotations

from typing import Any


class layout:  # noqa: N801 - PyTorch's name (torch.layout)
    """One of PyTorch's layouts, by name (``anynn.strided``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"anynn.{self.name}"


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")  # torch.nested's layout: refused by check_layout as the sparse ones


def check_layout(value: Any, where: str) -> None:
    """Accept ``layout=None`` or `strided` in ``where``; refuse a sparse layout (anynn makes dense tensors only)."""
    if value is None or value is strided:
        return
    if isinstance(value, layout):
        raise NotImplementedError(f"{where}: layout={value!r} is not supported; anynn tensors are dense "
                                  f"(anynn.strided). anynn.sparse_coo_tensor builds the dense equivalent of a COO "
                                  "tensor")
    raise TypeError(f"{where}: layout must be an anynn.layout such as anynn.strided, got {value!r}")


def typename(obj: Any, /) -> str:
    """The type of ``obj`` as a string (``torch.typename``): ``x.type()`` for a Tensor (``"torch.FloatTensor"``),
    the qualified name of the type otherwise, without ``builtins.``."""
    from .autograd.tensor import Tensor

    if isinstance(obj, Tensor):
        return str(obj.type())
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module, qualname = type(obj).__module__ or "", type(obj).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_storage(obj: Any, /) -> bool:
    """Whether ``obj`` is a storage object (``torch.is_storage``): anynn has none, tensors hold arrays, so False."""
    return False


def get_device(input: Any, /) -> int:  # noqa: A002 - PyTorch's name
    """The CUDA device index of ``input`` (``torch.get_device``), ``-1`` for a tensor elsewhere (the host, or an
    array_api_strict device)."""
    from .autograd.tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"get_device(): expected a Tensor, got {type(input).__name__}")
    where = input.device
    return (where.index or 0) if where.type == "cuda" else -1


def is_inference(input: Any, /) -> bool:
    """Whether ``input`` is an inference tensor (``torch.is_inference``): made inside ``inference_mode()``, or a view
    of such a tensor (see `anynn.autograd.inference`)."""
    from .autograd.inference import is_inference as flagged
    from .autograd.tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference(): argument 'input' must be Tensor, not {type(input).__name__}")
    return flagged(input)


__all__ = ["get_device", "is_inference", "is_storage", "jagged", "layout", "sparse_bsc", "sparse_bsr", "sparse_coo",
           "sparse_csc", "sparse_csr", "strided", "typename"]
