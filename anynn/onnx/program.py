"""`ONNXProgram`: what ``torch.onnx.export(model, args)`` returns when no file is given (PyTorch's ``dynamo=True``
exporter): the exported model, to save, optimize or run.

Its ``model`` and ``model_proto`` are the ONNX ``ModelProto`` `anynn.onnx.export` built (already optimized, so
``optimize()`` has nothing left to do); calling it runs the model in onnxruntime on the inputs and returns anynn
Tensors, as PyTorch's returns torch Tensors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor, tensor
from ..io.atomic import atomic_write
from .options import weights_as_inputs


class ONNXProgram:
    """An exported model: ``save(path)``, ``optimize()``, ``program(*inputs)`` (onnxruntime), ``model_proto``."""

    def __init__(self, model_proto: Any) -> None:
        self.model_proto = model_proto
        self._session: Any = None

    @property
    def model(self) -> Any:
        """The ONNX model (PyTorch's is an onnx_ir Model; here the ``onnx.ModelProto``)."""
        return self.model_proto

    def save(self, destination: str | os.PathLike[str], *, include_initializers: bool = True,
             keep_initializers_as_inputs: bool = False, external_data: bool | None = None) -> None:
        """Write the model to ``destination`` (atomically), weights inside the file as initializers; as PyTorch's,
        ``include_initializers=False`` leaves them out (graph inputs a caller feeds) and
        ``keep_initializers_as_inputs=True`` lists them as graph inputs too."""
        proto = self.model_proto
        if not include_initializers or keep_initializers_as_inputs:
            proto = type(proto)()
            proto.CopyFrom(self.model_proto)
            weights_as_inputs(proto, keep=include_initializers)
        atomic_write(destination, proto.SerializeToString())

    def optimize(self) -> None:
        """Nothing left to do: `anynn.onnx.export` folds constants and removes dead nodes as it writes."""

    def initialize_inference_session(self, initializer: Any = None) -> None:
        """Make the onnxruntime session `__call__` runs (``initializer(model_bytes)`` if given)."""
        model = self.model_proto.SerializeToString()
        if initializer is not None:
            self._session = initializer(model)
            return
        try:
            import onnxruntime
        except ImportError as error:
            raise ImportError(f"ONNXProgram runs the model in onnxruntime, which is not installed: pip install "
                              f"'anynn[onnx]' (or pip install onnxruntime) ({error})") from error
        self._session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])

    def release(self) -> None:
        """Drop the onnxruntime session."""
        self._session = None

    def __call__(self, *args: Any, **kwargs: Any) -> Sequence[Tensor]:
        """Run the model in onnxruntime on ``args`` (Tensors, arrays or numbers, in the graph's input order); the
        outputs as anynn Tensors on the default backend."""
        if kwargs:
            raise ValueError(f"ONNXProgram: keyword inputs ({sorted(kwargs)}) are not supported; pass them "
                             f"positionally")
        if self._session is None:
            self.initialize_inference_session()
        names = [i.name for i in self._session.get_inputs()]
        if len(args) != len(names):
            raise ValueError(f"ONNXProgram: the model takes {len(names)} inputs ({names}), got {len(args)}")
        feed = {name: np.asarray(a.numpy() if isinstance(a, Tensor) else a) for name, a in zip(names, args)}
        return [tensor(out) for out in self._session.run(None, feed)]

    def __repr__(self) -> str:
        graph = self.model_proto.graph
        return (f"ONNXProgram(inputs={[i.name for i in graph.input]}, outputs={[o.name for o in graph.output]}, "
                f"nodes={len(graph.node)})")
