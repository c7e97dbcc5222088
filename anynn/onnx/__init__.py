"""ONNX export: the model's own forward run on a recording array library (ndonnx).

``anynn.onnx.export(model, args, "model.onnx", dynamic_axes={"input": {0: "batch"}})`` as in PyTorch.
Needs the ``onnx`` extra: ``pip install 'anynn[onnx]'``.
"""

from .export import ExportError, OnnxExporterError, TrainingMode, export, is_in_onnx_export
from .options import OperatorExportTypes, register_custom_op_symbolic, unregister_custom_op_symbolic
from .program import ONNXProgram

__all__ = ["ExportError", "ONNXProgram", "OnnxExporterError", "OperatorExportTypes", "TrainingMode", "export",
           "is_in_onnx_export", "register_custom_op_symbolic", "unregister_custom_op_symbolic"]
