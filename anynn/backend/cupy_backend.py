"""CuPy backend: NVIDIA GPUs through CUDA (CuPy >= 14).

``import cupy`` succeeds on machines without a GPU, so usability is checked by asking the CUDA
runtime for a device, and every failure becomes a `BackendUnavailable` that says what to do instead.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import cudnn as _cudnn
from .base import Backend, BackendUnavailable, DeviceRNG, dtype_name
from .counter_rng import CounterStream, uniform_bits
from .typing import Namespace

MIN_CUPY = (14, 0)


def probe_cupy() -> tuple[bool, str]:
    """Return ``(usable, reason)`` for the CuPy backend without raising."""
    try:
        import cupy
    except ImportError:
        return False, ("CuPy is not installed: pip install 'anynn[cuda12]' for CUDA 12 "
                       "or 'anynn[cuda13]' for CUDA 13")
    except Exception as exc:  # a broken CUDA install can fail at import
        return False, f"CuPy failed to import: {exc}"
    version = tuple(int(p) for p in cupy.__version__.split(".")[:2] if p.isdigit())
    if version < MIN_CUPY:
        return False, f"CuPy {cupy.__version__} is too old: anynn needs CuPy >= 14"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy is installed but CUDA is not usable ({type(exc).__name__}: {exc})"
    if count < 1:
        return False, "CuPy is installed but no CUDA device was found"
    return True, f"CuPy {cupy.__version__} with {count} CUDA device(s)"


def _word(var: str, index: str) -> str:
    """CUDA code setting ``var`` to word ``index`` of a draw: the arithmetic of counter_rng.reference_bits."""
    return (f"unsigned long long {var} = key + 0x9E3779B97F4A7C15ULL * (unsigned long long)({index} + 1);"
            f"{var} = ({var} ^ ({var} >> 30)) * 0xBF58476D1CE4E5B9ULL;"
            f"{var} = ({var} ^ ({var} >> 27)) * 0x94D049BB133111EBULL;"
            f"{var} ^= {var} >> 31;")


class CupyRNG(DeviceRNG):
    """Counter-based randomness drawn by CUDA kernels; its state is two integers (`counter_rng`).

    Each draw is one kernel launch that hashes ``(key, element index)``: no device-side generator
    state exists, so `state` can be saved in a checkpoint and restored on any machine.
    """

    def __init__(self, backend: "CupyBackend", seed: int | None) -> None:
        self.backend = backend
        self.stream = CounterStream(seed)

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        name = dtype_name(dtype)
        bits = uniform_bits(name)
        cupy = self.backend.cupy
        with cupy.cuda.Device(self.backend.device_id):
            out = cupy.empty(shape, dtype=name)
            _kernels(cupy)["uniform"](np.uint64(self.stream.next_key()), np.uint64(64 - bits), 2.0**-bits, out)
            return out

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        name = dtype_name(dtype)
        uniform_bits(name)
        cupy = self.backend.cupy
        with cupy.cuda.Device(self.backend.device_id):
            out = cupy.empty(shape, dtype=name)
            _kernels(cupy)["normal"](np.uint64(self.stream.next_key()), out)
            return out

    def permutation(self, n: int) -> Any:
        cupy = self.backend.cupy
        with cupy.cuda.Device(self.backend.device_id):
            words = cupy.empty((n,), dtype=cupy.uint64)
            _kernels(cupy)["words"](np.uint64(self.stream.next_key()), words)
            return cupy.argsort(words).astype(cupy.int64)

    def state(self) -> dict[str, Any]:
        return self.stream.state()

    def set_state(self, state: dict[str, Any]) -> None:
        self.stream.set_state(state)


_KERNELS: dict[str, Any] = {}


def _kernels(cupy: Any) -> dict[str, Any]:
    """The generator's ElementwiseKernels, built (and compiled by CuPy on first use) once."""
    if not _KERNELS:  # built whole, then published in one step: another thread sees none or all of them
        built = {}
        built["words"] = cupy.ElementwiseKernel(
            "uint64 key", "uint64 out", _word("z", "i") + "out = z;", "anynn_counter_words")
        built["uniform"] = cupy.ElementwiseKernel(
            "uint64 key, uint64 shift, float64 scale", "T out",
            _word("z", "i") + "out = (T)((double)(z >> shift) * scale);", "anynn_counter_uniform")
        # Box-Muller: word 2i gives the radius from u1 in (0, 1], word 2i+1 the angle from u2 in [0, 1)
        built["normal"] = cupy.ElementwiseKernel(
            "uint64 key", "T out",
            _word("r", "2 * i") + "double u1 = ((double)(r >> 11) + 1.0) * 1.1102230246251565e-16;"
            + _word("a", "2 * i + 1") + "double u2 = (double)(a >> 11) * 1.1102230246251565e-16;"
            + "out = (T)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));",
            "anynn_counter_normal")
        _KERNELS.update(built)
    return _KERNELS


# Fused elementwise steps: one CUDA kernel where the portable version launches three to ten.
# (inputs, outputs, body). Every float dtype (float16, bfloat16, float32, float64) is computed in ``A``: float32
# for the narrow ones (loads widen, the result is rounded once on the store, as PyTorch's kernels do), float64
# for float64.
_ACCUMULATE = ("template <typename T> struct anynn_acc { typedef float type; };"
               "template <> struct anynn_acc<double> { typedef double type; };")
_A = "typedef anynn_acc<T>::type A;"
_FUSED = {
    "relu_grad": ("T g, T out", "T dx", "dx = (A)out <= (A)0 ? (T)(A)0 : g"),
    "sigmoid": ("T x", "T y",
                "A xa = (A)x; A e = exp(-fabs(xa)); y = (T)(xa >= (A)0 ? (A)1 / ((A)1 + e) : e / ((A)1 + e))"),
    "sigmoid_grad": ("T g, T s", "T dx", "A sa = (A)s; dx = (T)((A)g * sa * ((A)1 - sa))"),
    "tanh_grad": ("T g, T t", "T dx", "A ta = (A)t; dx = (T)((A)g * ((A)1 - ta * ta))"),
    "adam_step": ("T grad, float64 beta1, float64 beta2, float64 step_size, float64 correction2, float64 eps",
                  "T param, T m, T v",
                  "A ga = (A)grad; A ma = (A)m; ma += (A)(1.0 - beta1) * (ga - ma);"
                  "A va = (A)beta2 * (A)v + (A)(1.0 - beta2) * (ga * ga); m = (T)ma; v = (T)va;"
                  "param = (T)((A)param - (A)step_size * (ma / (sqrt(va) / (A)correction2 + (A)eps)))"),
}
# dtypes a kernel failed to compile for (e.g. bfloat16 on a CuPy without it): those keep the portable version
_REFUSED: set[tuple[str, str]] = set()


def _kernel(cupy: Any, name: str, inputs: str, outputs: str, body: str) -> Any:
    return cupy.ElementwiseKernel(inputs, outputs, _A + body, f"anynn_{name}", preamble=_ACCUMULATE)


def _takes(name: str, *arrays: Any) -> bool:
    """True when one fused kernel can run ``name`` on these arrays: one floating dtype, not refused before."""
    dtype = arrays[0].dtype
    floating = dtype.kind == "f" or dtype.name == "bfloat16"
    return floating and all(a is None or a.dtype == dtype for a in arrays) and (name, dtype.name) not in _REFUSED


def _launch(name: str, kernel: Any, fallback: Callable[[], Any], dtype: Any, *args: Any) -> Any:
    """``kernel(*args)``; where CuPy cannot compile it for ``dtype`` (a CompileException, a dtype it lacks), the
    dtype is remembered as refused and ``fallback()`` (the portable version) answers, now and from then on."""
    try:
        return kernel(*args)
    except Exception:  # noqa: BLE001 - CuPy's CompileException, or a dtype its kernels lack
        if dtype.kind == "f" and dtype.itemsize >= 4:
            raise  # float32/float64 always compile: a real error
        _REFUSED.add((name, dtype.name))
        return fallback()


def _fused(cupy: Any, name: str, xp: Namespace) -> Callable[..., Any]:
    """The fused kernel ``name`` as a function with the portable version's arguments (after ``xp``)."""
    from . import portable

    inputs, outputs, body = _FUSED[name]
    kernel = _kernel(cupy, name, inputs, outputs, body)
    fallback = getattr(portable, name)
    if name == "adam_step":
        def adam_step(param: Any, grad: Any, m: Any, v: Any, *scalars: float) -> None:
            if _takes(name, param, grad, m, v):
                _launch(name, kernel, lambda: fallback(xp, param, grad, m, v, *scalars), param.dtype,
                        grad, *scalars, param, m, v)
            else:
                fallback(xp, param, grad, m, v, *scalars)

        return adam_step

    def fused(*arrays: Any) -> Any:
        if _takes(name, *arrays):
            return _launch(name, kernel, lambda: fallback(xp, *arrays), arrays[0].dtype, *arrays)
        return fallback(xp, *arrays)

    return fused


# One LSTM time step, feature-major ((4H, N) gates, (H, N) states), as anynn.backend.portable.lstm_step
# and lstm_step_backward compute it; ``block`` = H * N separates the four gate blocks. Math in ``A`` (see above).
_LSTM_STEP = (
    "raw T pre, raw T c, bool has_c, int64 block", "T h, T c_new, T f, raw T partners, T through_h",
    "A si = (A)0.5 * tanh((A)pre[i]) + (A)0.5; A sf = (A)0.5 * tanh((A)pre[i + block]) + (A)0.5;"
    "A g = tanh((A)pre[i + 2 * block]); A so = (A)0.5 * tanh((A)pre[i + 3 * block]) + (A)0.5;"
    "A cp = has_c ? (A)c[i] : (A)0; A cn = sf * cp + si * g; A tc = tanh(cn); A hh = so * tc;"
    "h = (T)hh; c_new = (T)cn; f = (T)sf; through_h = (T)(so - hh * tc); A sg = (A)0.5 * g + (A)0.5;"
    "partners[i] = (T)(g * si * ((A)1 - si)); partners[i + block] = (T)(cp * sf * ((A)1 - sf));"
    "partners[i + 2 * block] = (T)(si * sg * ((A)1 - sg)); partners[i + 3 * block] = (T)(tc * so * ((A)1 - so))",
)
_LSTM_BACKWARD = (
    "T dh, T through_h, T f, raw T partners, raw T carry, bool has_carry, int64 block", "raw T d_pre, T carry_out",
    "A dha = (A)dh; A dc = dha * (A)through_h + (has_carry ? (A)carry[i] : (A)0);"
    "d_pre[i] = (T)(dc * (A)partners[i]); d_pre[i + block] = (T)(dc * (A)partners[i + block]);"
    "d_pre[i + 2 * block] = (T)(dc * (A)partners[i + 2 * block]);"
    "d_pre[i + 3 * block] = (T)(dha * (A)partners[i + 3 * block]);"
    "carry_out = (T)(dc * (A)f)",
)


def _lstm(cupy: Any, name: str, xp: Namespace) -> Callable[..., Any]:
    """The LSTM step (or its backward) as one kernel, with the portable version's arguments."""
    from . import portable

    fallback = getattr(portable, name)
    inputs, outputs, body = _LSTM_STEP if name == "lstm_step" else _LSTM_BACKWARD
    kernel = _kernel(cupy, name, inputs, outputs, body)
    contiguous = cupy.ascontiguousarray

    if name == "lstm_step":
        def lstm_step(pre: Any, c: Any, inplace: bool, record: bool = True) -> tuple[Any, ...]:
            if not _takes(name, pre, c):
                return fallback(xp, pre, c, inplace, record)
            pre = contiguous(pre)
            state = (pre.shape[0] // 4, pre.shape[1])
            h, c_new, f, through_h = (cupy.empty(state, pre.dtype) for _ in range(4))
            partners = cupy.empty(pre.shape, pre.dtype)
            done = _launch(name, kernel, lambda: None, pre.dtype, pre, pre if c is None else contiguous(c),
                           c is not None, state[0] * state[1], h, c_new, f, partners, through_h)
            if done is None:  # refused for this dtype
                return fallback(xp, pre, c, inplace, record)
            return (h, c_new, f, partners, through_h) if record else (h, c_new, f, None, None)

        return lstm_step

    def lstm_step_backward(dh: Any, carry: Any, f: Any, partners: Any, through_h: Any, inplace: bool) -> tuple:
        if not _takes(name, dh, carry, f, partners, through_h):
            return fallback(xp, dh, carry, f, partners, through_h, inplace)
        dh, f, through_h, partners = contiguous(dh), contiguous(f), contiguous(through_h), contiguous(partners)
        d_pre = cupy.empty(partners.shape, dh.dtype)
        carry_out = cupy.empty(dh.shape, dh.dtype)
        done = _launch(name, kernel, lambda: None, dh.dtype, dh, through_h, f, partners,
                       dh if carry is None else contiguous(carry), carry is not None, dh.shape[0] * dh.shape[1],
                       d_pre, carry_out)
        if done is None:
            return fallback(xp, dh, carry, f, partners, through_h, inplace)
        return d_pre, carry_out

    return lstm_step_backward


class CupyBackend(Backend):
    name = "cupy"

    @classmethod
    def key_of(cls, array: Any) -> str:
        return "cupy" if array.device.id == 0 else f"cupy:{array.device.id}"

    def __init__(self, device: int | str | None = None) -> None:
        usable, reason = probe_cupy()
        if not usable:
            raise BackendUnavailable(
                f"backend 'cupy' is unavailable: {reason}. Use backend='numpy' (CPU) instead, "
                "or backend='auto' to pick CuPy only when a CUDA device works."
            )
        import array_api_compat.cupy as cupy_xp
        import cupy

        self.cupy = cupy
        self.device_id = int(device) if device is not None else 0
        super().__init__(cupy_xp, cupy.cuda.Device(self.device_id))

    @property
    def key(self) -> str:
        return "cupy" if self.device_id == 0 else f"cupy:{self.device_id}"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self.cupy.ndarray)

    def from_host(self, array: np.ndarray) -> Any:
        with self.device:
            return self.cupy.asarray(array)

    def to_host(self, array: Any) -> np.ndarray:
        return self.cupy.asnumpy(array)

    def rng(self, seed: int | None = None) -> DeviceRNG:
        return CupyRNG(self, seed)

    def reinterpret(self, array: Any, dtype: Any) -> Any:
        return (array if array.flags.c_contiguous else array.copy()).view(dtype)

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        cupy = self.cupy
        if name in ("erf", "erfc"):
            import cupyx.scipy.special

            function = getattr(cupyx.scipy.special, name)
            return lambda x: function(x).astype(x.dtype, copy=False)  # float16 would come back as float64
        if name == "scatter_add":
            import cupyx

            def scatter_add(index: Any, values: Any, num_rows: int) -> Any:
                if values.dtype == cupy.bool_:  # booleans accumulate as a logical or, counted in int32
                    return scatter_add(index, values.astype(cupy.int32), num_rows) != 0
                out = cupy.zeros((num_rows,) + values.shape[1:], dtype=values.dtype)
                cupyx.scatter_add(out, index, values)
                return out

            return scatter_add
        if name == "sliding_window_view":
            return lambda x, window_shape, axis: cupy.lib.stride_tricks.sliding_window_view(
                x, window_shape, axis=axis)
        if name in _FUSED:
            return _fused(cupy, name, self.xp)
        if name in ("lstm_step", "lstm_step_backward"):
            return _lstm(cupy, name, self.xp)
        if name in _cudnn.KERNELS:  # cuDNN through nvidia-cudnn-frontend, where installed
            kernels, _ = _cudnn.kernels_for(cupy, self.device_id)
            return None if kernels is None else getattr(kernels, name)
        if name == "linear_activation":  # cuBLASLt's bias + activation epilogue through nvmath-python
            from .epilogue import linear_activation_for

            return linear_activation_for(self.device_id)[0]
        return None

    def synchronize(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()

    def step_compiler(self) -> Any:
        from .cuda_graph import CudaGraphCapture

        return CudaGraphCapture(self)

    # -- moving arrays, devices -------------------------------------------------------------------
    def from_dlpack(self, array: Any) -> Any:
        return self.cupy.from_dlpack(array)

    def same_device(self, array: Any) -> bool:
        return array.device.id == self.device_id

    def device_parts(self) -> tuple[str, int | None]:
        return "cuda", self.device_id

    def device_key(self, kind: str, index: int | None) -> str:
        return "numpy" if kind == "cpu" else super().device_key(kind, index)

    @classmethod
    def native_device_parts(cls, spec: Any) -> tuple[str, int | None, str | None] | None:
        return "cuda", int(spec.id), f"cupy:{int(spec.id)}"

    def device_count(self) -> int:
        try:
            return int(self.cupy.cuda.runtime.getDeviceCount())
        except Exception:  # a broken driver raises rather than answering
            return 0

    # -- runtime services ---------------------------------------------------------------------------
    def memory_in_use(self) -> int | None:
        return int(self.cupy.get_default_memory_pool().used_bytes())

    def memory_stats(self) -> dict[str, int]:
        # CuPy's pool keeps no peaks: the bytes in use and the bytes it holds from the driver (it grows to its
        # peak need and shrinks only at free_all_blocks, anynn.cuda.empty_cache)
        pool = self.cupy.get_default_memory_pool()
        return {"allocated_bytes.all.current": int(pool.used_bytes()),
                "reserved_bytes.all.current": int(pool.total_bytes())}

    def stream_capturing(self) -> bool:
        with self.cupy.cuda.Device(self.device_id):
            return bool(self.cupy.cuda.get_current_stream().is_capturing())

    def set_memory_fraction(self, fraction: float) -> None:
        pool = self.cupy.get_default_memory_pool()
        with self.cupy.cuda.Device(self.device_id):  # (the pool keeps one limit per device)
            if fraction:
                pool.set_limit(fraction=fraction)
            else:  # CuPy reads a limit of 0 as none: the smallest one refuses every allocation, as PyTorch's 0.0
                pool.set_limit(size=1)

    def memory_fraction(self) -> float:
        with self.cupy.cuda.Device(self.device_id):
            limit = int(self.cupy.get_default_memory_pool().get_limit())
        total = self.memory_info()[1]  # type: ignore[index]
        return 1.0 if limit == 0 else (0.0 if limit == 1 else limit / total)

    def cuda_version(self) -> str | None:
        number = int(self.cupy.cuda.runtime.runtimeGetVersion())
        return f"{number // 1000}.{number % 1000 // 10}"

    def memory_info(self) -> tuple[int, int] | None:
        with self.cupy.cuda.Device(self.device_id):
            free, total = self.cupy.cuda.runtime.memGetInfo()
        return int(free), int(total)

    def device_name(self) -> str | None:
        name = self.cupy.cuda.runtime.getDeviceProperties(self.device_id)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def device_capability(self) -> tuple[int, int] | None:
        properties = self.cupy.cuda.runtime.getDeviceProperties(self.device_id)
        return int(properties["major"]), int(properties["minor"])

    def prefetcher(self) -> Any:
        from .cupy_prefetch import CupyPrefetcher

        return CupyPrefetcher(self)

    def rank_device_key(self, local_rank: int) -> tuple[str, int]:
        count = self.device_count()
        device_id = local_rank % count
        self.cupy.cuda.Device(device_id).use()
        return f"cupy:{device_id}", count

    def collective_transport(self, comm: Any, watchdog: Any, kind: str, local_size: int) -> Any:
        from .cupy_nccl import CudaAwareMpiTransport, NcclTransport

        count = self.device_count()
        if kind == "nccl" and local_size > count:
            raise ValueError(f"anynn.distributed: {local_size} ranks on this node but {count} GPU(s): NCCL "
                             "needs one GPU per rank; start fewer ranks or use init(gpu_transport='host')")
        return (NcclTransport if kind == "nccl" else CudaAwareMpiTransport)(comm, watchdog)
