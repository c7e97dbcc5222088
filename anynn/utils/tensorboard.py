"""``torch.utils.tensorboard``: `SummaryWriter` for anynn Tensors, over tensorboardX's writer.

PyTorch's writer builds TensorBoard's event files from tensors turned into NumPy arrays; tensorboardX writes the same
event files from NumPy arrays without PyTorch. This module hands it anynn Tensors (of any backend) as NumPy arrays and
0-d Tensors as Python numbers, so ``writer.add_scalar("loss", loss, step)`` and the rest read as in PyTorch. The
graph of a model (`SummaryWriter.add_graph`) comes from `anynn.onnx.export`, where PyTorch traces with TorchScript.

Needs the ``tensorboard`` extra: ``pip install 'anynn[tensorboard]'`` (tensorboardX); view the logs with TensorBoard.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from typing import Any, Callable

from ..autograd.tensor import Tensor

try:
    from tensorboardX import SummaryWriter as _EventWriter
except ImportError as error:  # pragma: no cover - the test extra installs it
    raise ImportError("anynn.utils.tensorboard needs tensorboardX, which writes TensorBoard's event files: "
                      "pip install 'anynn[tensorboard]' (or pip install tensorboardX)") from error

__all__ = ["SummaryWriter"]


def _host(value: Any) -> Any:
    """``value`` with every anynn Tensor in it as NumPy (a 0-d one as a Python number); lists, tuples and dict values
    are converted too (``add_scalars``' dict, ``add_hparams``' metrics)."""
    if isinstance(value, Tensor):
        array = value.detach().cpu().numpy()
        return array.item() if array.ndim == 0 else array
    if isinstance(value, dict):
        return {k: _host(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Tensor, list, tuple, dict)) for v in value):
        return type(value)(_host(v) for v in value)
    return value


def _on_host(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` with its arguments converted by `_host`."""

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return method(self, *(_host(a) for a in args), **{k: _host(v) for k, v in kwargs.items()})

    return call


class SummaryWriter(_EventWriter):
    """``torch.utils.tensorboard.SummaryWriter``: event files under ``log_dir`` (default ``runs/<date>_<host>``).

    Every ``add_*`` method takes anynn Tensors where PyTorch's takes tensors: ``add_scalar(tag, 0-d Tensor or
    number, global_step)``, ``add_scalars(main_tag, {name: value})``, ``add_histogram(tag, values)``,
    ``add_image(tag, (C, H, W) Tensor)``, ``add_images(tag, (N, C, H, W))``, ``add_embedding((N, D) mat)``,
    ``add_pr_curve(tag, labels (N,), predictions (N,))``, ``add_text``, ``add_hparams``, ``add_figure``...
    """

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        super().__init__(logdir=log_dir, comment=comment, purge_step=purge_step, max_queue=max_queue,
                         flush_secs=flush_secs, filename_suffix=filename_suffix)

    def get_logdir(self) -> str:
        """The directory the event files are written to."""
        return self.logdir

    @property
    def log_dir(self) -> str:
        """PyTorch's attribute for `get_logdir` (programs put their logs and checkpoints beside the events)."""
        return self.logdir

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The graph of ``model`` on ``input_to_model`` (a Tensor or a tuple of them), exported with
        `anynn.onnx.export` (needs the ``onnx`` extra) and shown in TensorBoard's Graphs tab."""
        if input_to_model is None:
            raise ValueError("SummaryWriter.add_graph: give input_to_model, the example input the graph is "
                             "recorded on")
        from .. import onnx

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "graph.onnx")
            onnx.export(model, input_to_model, path, verbose=verbose)
            with contextlib.redirect_stdout(io.StringIO()):  # tensorboardX prints every node's name; PyTorch does not
                self.add_onnx_graph(path)


for _name in dir(_EventWriter):
    if _name.startswith("add_") and _name not in ("add_graph", "add_onnx_graph", "add_openvino_graph"):
        setattr(SummaryWriter, _name, _on_host(getattr(_EventWriter, _name)))
del _name
