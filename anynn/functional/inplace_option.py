"""The ``inplace=True`` option of the activations and dropouts (``F.relu(x, inplace=True)``, ``nn.ReLU(inplace=True)``).

PyTorch overwrites the input and returns it. anynn does the same through the machinery of ``add_`` and
``clamp_`` (`anynn.functional.inplace`): the result is computed by the ordinary Function, then written into
the input's array where the library allows it (a writeable array of a tensor no recorded Function made),
else the input's ``.array`` is rebound to it (JAX and other immutable arrays, or a non-leaf while
recording, whose old value the graph keeps). Either way the input tensor is returned, its version goes up,
a Function recorded earlier with it as an input refuses to run backward, and a leaf that requires grad
raises PyTorch's error while recording.
"""

from __future__ import annotations

from typing import Callable

from ..autograd.tensor import Tensor
from .inplace import _update
from .value_checks import check_real_floating


def in_place(input: Tensor, name: str, compute: Callable[[Tensor], Tensor], *, real_floating: str | None = None,
             torch_supports: bool = False) -> Tensor:
    """Replace ``input``'s values by ``compute(input)`` in place (PyTorch's ``name``, e.g. ``"relu_"``); returns
    ``input``. input (*); ``compute`` must keep the shape. ``real_floating``: the out-of-place name whose refusal of
    integer and complex input (`check_real_floating`) the in-place form shares (``F.elu_`` of a complex tensor
    computed a formula that orders values)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: inplace=True changes an anynn Tensor, got a {type(input).__module__}."
                        f"{type(input).__name__}; wrap it with anynn.tensor(...) or pass inplace=False")
    if real_floating is not None:
        check_real_floating(real_floating, input, torch_supports=torch_supports)
    return _update(input, name, compute)
