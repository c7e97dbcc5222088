"""cuDNN for the CuPy backend, through NVIDIA's Python frontend (``pip install nvidia-cudnn-frontend``).

CuPy 14 has no cuDNN of its own, so convolutions run as im2col + cuBLAS matmuls and attention as two
batched matmuls around a softmax. Where the frontend and the cuDNN library (``nvidia-cudnn-cu12/13``) are
installed, these kernels replace them:

- ``conv_forward`` / ``conv_backward_data`` / ``conv_backward_weight``: ``graph.conv_fprop`` /
  ``conv_dgrad`` / ``conv_wgrad`` on (N, C, H, W) images (1-D convolutions arrive as H = 1), any groups,
  dilation, stride and (asymmetric) padding; float32, float16, bfloat16 (float32 without TF32, as the
  portable path computes it);
- ``attention_forward`` / ``attention_backward``: ``graph.sdpa`` / ``sdpa_backward`` (flash attention) on
  (B, H, S, D) float16/bfloat16 queries, keys and values, with or without the causal mask.

Each is a cuDNN graph built once per operation, shapes, dtype, parameters and device, and kept in a
`PlanCache` (one lock; a shape cuDNN refuses is remembered as refused). A call returns ``NotImplemented``
when cuDNN cannot take it (dtype, rank, a refused plan); the Function then runs its portable code, as the
portable versions in `anynn.backend.portable.vendor` always do. The frontend talks to the arrays only
through `DeviceArrays` (allocate, pointer, stream), so the dispatch and the cache are tested on the CPU with
a fake frontend (tests/backend/test_cudnn_dispatch.py).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Callable

from .strides import row_major_strides
from .base import dtype_name
from .per_device import PerDevice

MIN_CUDNN = 8903  # graph-API convolutions and flash attention (sdpa) need cuDNN >= 8.9.3
CONV_DTYPES = {"float32": "FLOAT", "float16": "HALF", "bfloat16": "BFLOAT16"}
ATTENTION_DTYPES = {"float16": "HALF", "bfloat16": "BFLOAT16"}  # cuDNN's flash attention has no float32
KERNELS = ("conv_forward", "conv_backward_data", "conv_backward_weight", "attention_forward", "attention_backward")
# a convolution graph: the frontend's operation, each operand's (buffer role, tensor name, argument), the output's role
CONV_GRAPHS = {
    "fprop": ("conv_fprop", ("x", "X", "image"), ("w", "W", "weight"), "y"),
    "dgrad": ("conv_dgrad", ("dy", "DY", "loss"), ("w", "W", "filter"), "dx"),
    "wgrad": ("conv_wgrad", ("x", "X", "image"), ("dy", "DY", "loss"), "dw"),
}


def load_frontend() -> tuple[Any, str]:
    """``(the cudnn module, "cuDNN 9.x through nvidia-cudnn-frontend 1.y")``, or ``(None, why not)``."""
    try:
        cudnn = importlib.import_module("cudnn")
    except ImportError as exc:
        return None, (f"nvidia-cudnn-frontend is not installed ({exc}); pip install 'anynn[cuda12]' or "
                      "'anynn[cuda13]' brings it with the cuDNN library")
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, never fatal
        return None, f"the cuDNN frontend failed to import ({type(exc).__name__}: {exc})"
    try:
        version = int(cudnn.backend_version())
    except Exception as exc:  # noqa: BLE001 - libcudnn missing or unloadable
        return None, (f"the cuDNN library is not loadable ({type(exc).__name__}: {exc}); install "
                      "nvidia-cudnn-cu12 or nvidia-cudnn-cu13")
    if version < MIN_CUDNN:
        return None, f"cuDNN {version} is too old: anynn needs cuDNN >= 8.9.3"
    text = getattr(cudnn, "backend_version_string", lambda: str(version))()
    return cudnn, f"cuDNN {text} through nvidia-cudnn-frontend {getattr(cudnn, '__version__', '?')}"


class DeviceArrays:
    """What the frontend needs from an array library: allocate, a device pointer, the current stream."""

    def __init__(self, cupy: Any, device_id: int) -> None:
        self.cupy = cupy
        self.device_id = device_id

    def empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        with self.cupy.cuda.Device(self.device_id):
            return self.cupy.empty(shape, dtype=dtype)

    def contiguous(self, a: Any) -> Any:
        return self.cupy.ascontiguousarray(a)

    def pointer(self, a: Any) -> int:
        return a.data.ptr

    def stream(self) -> int:
        return self.cupy.cuda.get_current_stream().ptr


class Plan:
    """A built cuDNN graph, its tensors by role, and the workspace it needs."""

    def __init__(self, graph: Any, tensors: dict[str, Any], workspace: int) -> None:
        self.graph, self.tensors, self.workspace = graph, tensors, workspace


class PlanCache:
    """Plans by key, each built once (under one lock); a key whose build failed maps to None.

    ``builds`` counts the builds, ``refused`` keeps the reason cuDNN gave for each refused key.
    """

    def __init__(self) -> None:
        self._plans: dict[tuple, Plan | None] = {}
        self._lock = threading.Lock()
        self.builds = 0
        self.refused: dict[tuple, str] = {}

    def get(self, key: tuple, build: Callable[[], Plan]) -> Plan | None:
        plan = self._plans.get(key, self)  # a dict read is atomic: the hot path takes no lock
        if plan is not self:
            return plan  # type: ignore[return-value]
        with self._lock:
            plan = self._plans.get(key, self)
            if plan is not self:
                return plan  # type: ignore[return-value]
            self.builds += 1
            try:
                plan = build()
            except Exception as exc:  # noqa: BLE001 - any refusal (unsupported shape, engine) means: portable path
                plan = None
                self.refused[key] = f"{type(exc).__name__}: {exc}"
            self._plans[key] = plan
            return plan

    def __len__(self) -> int:
        return len(self._plans)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self.refused.clear()


class CudnnKernels:
    """The five cuDNN kernels of one device, with their plan cache and one cuDNN handle per thread."""

    def __init__(self, cudnn: Any, arrays: DeviceArrays) -> None:
        self.cudnn = cudnn
        self.arrays = arrays
        self.plans = PlanCache()
        self._local = threading.local()

    # -- plumbing ------------------------------------------------------------------------------------
    def handle(self) -> Any:
        """This thread's cuDNN handle (handles are not shared between threads), bound to the current stream."""
        handle = getattr(self._local, "handle", None)
        if handle is None:
            handle = self._local.handle = self.cudnn.create_handle()
        self.cudnn.set_stream(handle=handle, stream=self.arrays.stream())
        return handle

    def _graph(self, io_type: str) -> Any:
        dt = self.cudnn.data_type
        return self.cudnn.pygraph(io_data_type=getattr(dt, io_type), intermediate_data_type=dt.FLOAT,
                                  compute_data_type=dt.FLOAT, handle=self.handle())

    def _tensor(self, graph: Any, name: str, shape: tuple[int, ...], io_type: str) -> Any:
        return graph.tensor(name=name, dim=list(shape), stride=list(row_major_strides(shape)),
                            data_type=getattr(self.cudnn.data_type, io_type))

    def _output(self, tensor: Any, shape: tuple[int, ...], io_type: str) -> Any:
        tensor.set_output(True).set_dim(list(shape)).set_stride(list(row_major_strides(shape)))
        tensor.set_data_type(getattr(self.cudnn.data_type, io_type))
        return tensor

    def _finish(self, graph: Any, io_type: str, tensors: dict[str, Any]) -> Plan:
        """validate → operation graph → heuristics' plans → (float32: no TF32) → support check → build."""
        cudnn = self.cudnn
        graph.validate()
        graph.build_operation_graph()
        graph.create_execution_plans([cudnn.heur_mode.A, cudnn.heur_mode.FALLBACK])
        if io_type == "FLOAT":  # float32 engines with tensor cores compute in TF32 (10-bit mantissa): keep float32
            graph.deselect_numeric_notes([cudnn.numerical_note.TENSOR_CORE, cudnn.numerical_note.DOWN_CONVERT_INPUTS])
        graph.check_support()
        graph.build_plans()
        return Plan(graph, tensors, int(graph.get_workspace_size()))

    def _run(self, plan: Plan, buffers: dict[str, Any]) -> None:
        arrays = self.arrays
        workspace = arrays.empty((max(plan.workspace, 1),), "uint8")
        pack = {plan.tensors[role]: arrays.pointer(a) for role, a in buffers.items()}
        plan.graph.execute(pack, arrays.pointer(workspace), handle=self.handle())

    def _device(self) -> int:
        return self.arrays.device_id

    # -- convolution ---------------------------------------------------------------------------------
    @staticmethod
    def _conv_type(*arrays: Any) -> str | None:
        name = dtype_name(arrays[0].dtype)
        if any(a.ndim != 4 or a.dtype != arrays[0].dtype for a in arrays):
            return None
        return CONV_DTYPES.get(name)

    def _conv_key(self, kind: str, shapes: tuple, io_type: str, stride: Any, padding: Any, dilation: Any) -> tuple:
        return (kind, shapes, io_type, tuple(stride), tuple(padding), tuple(dilation), self._device())

    @staticmethod
    def _conv_args(padding: tuple[int, int, int, int], stride: Any, dilation: Any) -> dict[str, list[int]]:
        top, bottom, left, right = padding
        return dict(pre_padding=[top, left], post_padding=[bottom, right], stride=list(stride),
                    dilation=list(dilation))

    def _conv(self, kind: str, a: Any, b: Any, out_shape: tuple[int, ...], stride: Any, padding: Any,
              dilation: Any) -> Any:
        """The cuDNN convolution graph ``kind`` (a key of `CONV_GRAPHS`) on operands ``a``, ``b`` → ``out_shape``."""
        io_type = self._conv_type(a, b)
        if io_type is None:
            return NotImplemented
        op, (role_a, name_a, arg_a), (role_b, name_b, arg_b), role_out = CONV_GRAPHS[kind]
        a, b = self.arrays.contiguous(a), self.arrays.contiguous(b)
        out_shape = tuple(out_shape)
        key = self._conv_key(kind, (tuple(a.shape), tuple(b.shape), out_shape), io_type, stride, padding, dilation)

        def build() -> Plan:
            graph = self._graph(io_type)
            ta, tb = self._tensor(graph, name_a, a.shape, io_type), self._tensor(graph, name_b, b.shape, io_type)
            tout = getattr(graph, op)(**{arg_a: ta, arg_b: tb}, **self._conv_args(padding, stride, dilation))
            self._output(tout, out_shape, io_type)
            return self._finish(graph, io_type, {role_a: ta, role_b: tb, role_out: tout})

        plan = self.plans.get(key, build)
        if plan is None:
            return NotImplemented
        out = self.arrays.empty(out_shape, a.dtype)
        self._run(plan, {role_a: a, role_b: b, role_out: out})
        return out

    def conv_forward(self, x: Any, weight: Any, out_shape: tuple[int, ...], stride: Any, padding: Any,
                     dilation: Any) -> Any:
        """x (N, C, H, W), weight (K, C/groups, kh, kw) → (N, K, Ho, Wo) = ``out_shape``; groups from the shapes."""
        return self._conv("fprop", x, weight, out_shape, stride, padding, dilation)

    def conv_backward_data(self, grad: Any, weight: Any, x_shape: tuple[int, ...], stride: Any, padding: Any,
                           dilation: Any) -> Any:
        """grad (N, K, Ho, Wo), weight (K, C/groups, kh, kw) → the input's gradient (N, C, H, W) = ``x_shape``."""
        return self._conv("dgrad", grad, weight, x_shape, stride, padding, dilation)

    def conv_backward_weight(self, x: Any, grad: Any, w_shape: tuple[int, ...], stride: Any, padding: Any,
                             dilation: Any) -> Any:
        """x (N, C, H, W), grad (N, K, Ho, Wo) → the weight's gradient (K, C/groups, kh, kw) = ``w_shape``."""
        return self._conv("wgrad", x, grad, w_shape, stride, padding, dilation)

    # -- attention -----------------------------------------------------------------------------------
    @staticmethod
    def _attention_type(q: Any, k: Any, v: Any) -> str | None:
        if q.ndim != 4 or k.ndim != 4 or v.ndim != 4 or not q.dtype == k.dtype == v.dtype:
            return None
        if q.shape[:2] != k.shape[:2] or k.shape[:3] != v.shape[:3] or q.shape[3] != k.shape[3]:
            return None  # broadcast batch/heads and grouped heads stay portable
        return ATTENTION_DTYPES.get(dtype_name(q.dtype))

    def attention_forward(self, q: Any, k: Any, v: Any, scale: float, causal: bool, training: bool) -> Any:
        """q (B, H, L, E), k (B, H, S, E), v (B, H, S, Ev) → ``(out (B, H, L, Ev), stats (B, H, L, 1) float32)``.

        ``stats`` (the softmax's log-sum-exp per query) is what `attention_backward` needs; None unless
        ``training``.
        """
        io_type = self._attention_type(q, k, v)
        if io_type is None:
            return NotImplemented
        q, k, v = (self.arrays.contiguous(a) for a in (q, k, v))
        b, h, length, _ = q.shape
        out_shape, stats_shape = (b, h, length, v.shape[3]), (b, h, length, 1)
        key = ("sdpa", (tuple(q.shape), tuple(k.shape), tuple(v.shape)), io_type, float(scale), bool(causal),
               bool(training), self._device())

        def build() -> Plan:
            graph = self._graph(io_type)
            tq, tk, tv = (self._tensor(graph, n, a.shape, io_type) for n, a in (("Q", q), ("K", k), ("V", v)))
            to, tstats = graph.sdpa(name="sdpa", q=tq, k=tk, v=tv, generate_stats=bool(training),
                                    attn_scale=float(scale), use_causal_mask=bool(causal))
            self._output(to, out_shape, io_type)
            tensors = {"q": tq, "k": tk, "v": tv, "o": to}
            if training:
                tensors["stats"] = self._output(tstats, stats_shape, "FLOAT")
            return self._finish(graph, io_type, tensors)

        plan = self.plans.get(key, build)
        if plan is None:
            return NotImplemented
        out = self.arrays.empty(out_shape, q.dtype)
        buffers = {"q": q, "k": k, "v": v, "o": out}
        stats = None
        if training:
            stats = buffers["stats"] = self.arrays.empty(stats_shape, "float32")
        self._run(plan, buffers)
        return out, stats

    def attention_backward(self, q: Any, k: Any, v: Any, out: Any, stats: Any, grad_out: Any, scale: float,
                           causal: bool) -> Any:
        """The gradients ``(dq, dk, dv)`` of `attention_forward`'s ``out`` given ``grad_out`` (B, H, L, Ev)."""
        io_type = self._attention_type(q, k, v)
        if io_type is None or stats is None or grad_out.dtype != q.dtype:
            return NotImplemented
        q, k, v, out, grad_out = (self.arrays.contiguous(a) for a in (q, k, v, out, grad_out))
        key = ("sdpa_backward", (tuple(q.shape), tuple(k.shape), tuple(v.shape)), io_type, float(scale),
               bool(causal), self._device())

        def build() -> Plan:
            graph = self._graph(io_type)
            named = (("Q", q), ("K", k), ("V", v), ("O", out), ("dO", grad_out))
            tq, tk, tv, to, tdo = (self._tensor(graph, n, a.shape, io_type) for n, a in named)
            tstats = self._tensor(graph, "stats", stats.shape, "FLOAT")
            tdq, tdk, tdv = graph.sdpa_backward(name="sdpa_backward", q=tq, k=tk, v=tv, o=to, dO=tdo, stats=tstats,
                                                attn_scale=float(scale), use_causal_mask=bool(causal))
            for tensor, a in ((tdq, q), (tdk, k), (tdv, v)):
                self._output(tensor, a.shape, io_type)
            return self._finish(graph, io_type, {"q": tq, "k": tk, "v": tv, "o": to, "do": tdo, "stats": tstats,
                                                 "dq": tdq, "dk": tdk, "dv": tdv})

        plan = self.plans.get(key, build)
        if plan is None:
            return NotImplemented
        dq, dk, dv = (self.arrays.empty(a.shape, a.dtype) for a in (q, k, v))
        self._run(plan, {"q": q, "k": k, "v": v, "o": out, "do": grad_out, "stats": stats, "dq": dq, "dk": dk,
                         "dv": dv})
        return dq, dk, dv


_LOADED: PerDevice[CudnnKernels] = PerDevice()


def kernels_for(cupy: Any, device_id: int) -> tuple[CudnnKernels | None, str]:
    """The `CudnnKernels` of one CUDA device (made once), or ``(None, why cuDNN is not used)``."""

    def make() -> tuple[CudnnKernels | None, str]:
        cudnn, reason = load_frontend()
        return (None if cudnn is None else CudnnKernels(cudnn, DeviceArrays(cupy, device_id)), reason)

    return _LOADED.get(device_id, make)


def reset() -> None:
    """Forget the loaded frontend and every plan (tests; after installing the frontend in a running process)."""
    _LOADED.clear()
