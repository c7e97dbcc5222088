"""Random draws in a recorded graph: ONNX ``RandomUniform``/``RandomNormal`` nodes, drawn anew each time it runs.

A model that draws in its forward (``randn_like`` noise, dropout called with ``training=True``, ``rrelu`` in
training mode) does so on every call. Drawn on the host while recording, the draw would be one constant of the
graph, the same numbers on every run; recorded as ONNX's random operators, the graph draws as the model does (from
onnxruntime's generator: other numbers than anynn's for one seed, the same distribution). A shape with a symbolic
axis draws ``...Like`` an array of that shape (the input itself, or zeros of a shape holding `SymInt`s).

`GraphRNG` is the ndonnx backend's `DeviceRNG` (``backend.rng(seed)``: dropout masks, rrelu's slopes); `draw` is its
fast path ``"random_in_graph"``, which the factories (``rand``, ``randn``, ``rand_like``, ``randint``, ``randperm``...)
ask for before drawing on the host.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import DeviceRNG
from .ndonnx_sizes import has_symbolic


def _numpy_dtype(dtype: Any) -> np.dtype:
    return np.dtype(dtype.unwrap_numpy()) if hasattr(dtype, "unwrap_numpy") else np.dtype(dtype)


def draw(kind: str, size: Any, dtype: Any) -> Any:
    """An ndonnx array of draws (``kind``: ``"uniform"`` on [0, 1) or ``"normal"``, standard) of ``dtype`` (a real
    floating dtype), recorded as a random node: ``size`` is a shape (ints and `SymInt`s) or an ndonnx array whose
    shape the draws take (symbolic axes included)."""
    import ndonnx
    import spox.opset.ai.onnx.v21 as op

    from .ndonnx_graph import var, wrap
    from .ndonnx_sizes import full, with_sizes

    target = _numpy_dtype(dtype)
    if target.kind != "f":
        raise TypeError(f"random draws in a recorded graph are real floating (got {target}): draw floats and convert")
    if isinstance(size, ndonnx.Array):
        like, shape = size, tuple(size.shape)
    else:
        shape = tuple(size)
        if None in shape:
            raise NotImplementedError(f"a random draw of shape {shape} in a recorded graph: a None there is a symbolic "
                                      f"axis whose size only the graph knows; draw like the array it comes from")
        if not has_symbolic(shape):
            sizes = [int(n) for n in shape if n is not None]  # (every one is: None was refused above)
            node = (op.random_uniform if kind == "uniform" else op.random_normal)(dtype=target, shape=sizes)
            return wrap(node)
        like = full(ndonnx, shape, 0, dtype=ndonnx.from_numpy_dtype(target))
    node = (op.random_uniform_like if kind == "uniform" else op.random_normal_like)(var(like), dtype=target)
    return with_sizes(wrap(node), [n if isinstance(n, int) else None for n in shape])


class GraphRNG(DeviceRNG):
    """The recording backend's generator: each draw a random node of the graph (see the module's docstring).

    There is no state to save or seed: onnxruntime draws when the graph runs. ``uniform_like``/``normal_like`` draw
    in the shape of an array (symbolic axes included), as the layers ask where their input's shape has one.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return draw("uniform", shape, dtype)

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return draw("normal", shape, dtype)

    def uniform_like(self, like: Any, dtype: Any) -> Any:
        return draw("uniform", like, dtype)

    def normal_like(self, like: Any, dtype: Any) -> Any:
        return draw("normal", like, dtype)

    def permutation(self, n: Any) -> Any:
        """A random order of ``0 .. n-1`` (n an int or a `SymInt`): the argsort of uniform draws."""
        xp = self.backend.xp
        return xp.astype(xp.argsort(self.uniform((n,), xp.float32)), xp.int64)

    def state(self) -> dict[str, Any]:
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        pass
