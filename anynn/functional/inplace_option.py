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


def in_place(input: Tensor, name: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """Replace ``input``'s values by ``compute(input)`` in place (PyTorch's ``name``, e.g. ``"relu_"``); returns
    ``input``. input (*); ``compute`` must keep the shape."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: inplace=True changes an anynn Tensor, got a {type(input).__module__}."
                        f"{type(input).__name__}; wrap it with anynn.tensor(...) or pass inplace=False")
    return _update(input, name, compute)
