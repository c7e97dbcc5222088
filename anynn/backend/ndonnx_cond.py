"""``cond`` on the ndonnx backend: a branch on a recorded value is one ONNX ``If``.

``torch.cond(pred, true_fn, false_fn, operands)`` (`anynn._higher_order_ops.cond`) runs the branch ``pred`` picks.
While a graph records, a ``pred`` computed from the inputs has no value: both branches are recorded, each as a
subgraph of an ``If`` node (values of the outer graph, the operands and the weights, read from its scope), and the
graph takes one when it runs. The branches must give outputs of the same number and dtypes; sizes they agree on
stay known.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .ndonnx_sizes import with_sizes

Branch = Callable[[], Sequence[Any]]


def cond(pred: Any, then_branch: Branch, else_branch: Branch) -> list[Any]:
    """The outputs of an ``If`` on ``pred`` (a one-element ndonnx array, true where not 0), whose branches are the
    arrays ``then_branch()`` and ``else_branch()`` record."""
    import ndonnx
    import spox.opset.ai.onnx.v21 as op

    from .ndonnx_graph import np_dtype, static_shape, var

    truth = pred if pred.dtype == ndonnx.bool else pred != 0
    shapes: list[list[tuple[Any, ...]]] = []
    dtypes: list[list[np.dtype]] = []

    def recorded(branch: Branch) -> Callable[[], list[Any]]:
        def body() -> list[Any]:
            outs = list(branch())
            shapes.append([static_shape(a) for a in outs])
            dtypes.append([np_dtype(a) for a in outs])
            if len(dtypes) == 2 and dtypes[0] != dtypes[1]:  # (the second branch: before the If's own inference)
                raise TypeError(f"cond: the branches give outputs of dtypes {[str(d) for d in dtypes[0]]} and "
                                f"{[str(d) for d in dtypes[1]]}; a graph's If needs the same in both")
            return [var(a) for a in outs]
        return body

    results = op.if_(var(ndonnx.reshape(truth, ())), then_branch=recorded(then_branch),
                     else_branch=recorded(else_branch))
    outs = []
    for result, then_shape, else_shape in zip(results, *shapes):
        shape = [a if a == b else None for a, b in zip(then_shape, else_shape)]
        out = ndonnx.asarray(result)
        outs.append(with_sizes(out, shape) if len(then_shape) == len(else_shape) == out.ndim else out)
    return outs
