"""PyTorch backend: torch tensors as plain arrays (no torch autograd), through array_api_compat."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .base import Backend, BackendUnavailable, CudaUnavailable, DeviceRNG, dtype_name


class TorchRNG(DeviceRNG):
    """Randomness from a ``torch.Generator`` on the backend's device."""

    def __init__(self, backend: "TorchBackend", seed: int | None) -> None:
        torch = backend.torch
        self.backend = backend
        self.generator = torch.Generator(device=backend.device)
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        torch = self.backend.torch
        return torch.rand(shape, generator=self.generator, dtype=dtype, device=self.backend.device)

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        torch = self.backend.torch
        return torch.randn(shape, generator=self.generator, dtype=dtype, device=self.backend.device)

    def permutation(self, n: int) -> Any:
        torch = self.backend.torch
        return torch.randperm(n, generator=self.generator, device=self.backend.device)

    def state(self) -> dict[str, Any]:
        return {"torch_generator": self.generator.get_state().numpy().copy()}

    def set_state(self, state: dict[str, Any]) -> None:
        torch = self.backend.torch
        self.generator.set_state(torch.from_numpy(np.asarray(state["torch_generator"])))


def _check_device(torch: Any, dev: Any) -> None:
    """Refuse a device this PyTorch cannot use now (a CPU-only build asked for CUDA), before any tensor is made."""
    if dev.type == "cpu" or dev.type == "meta":
        return
    module = getattr(torch, dev.type, None)
    is_available = getattr(module, "is_available", None)
    try:
        usable = bool(is_available()) if callable(is_available) else False
        count = module.device_count() if usable and module is not None and hasattr(module, "device_count") else 0
    except Exception:  # a broken driver raises here rather than answering
        usable, count = False, 0
    if not usable:
        build = "a CPU-only build" if dev.type == "cuda" and torch.version.cuda is None else "this build"
        error = CudaUnavailable if dev.type == "cuda" else BackendUnavailable
        raise error(f"backend 'torch:{dev}' is unavailable: PyTorch {torch.__version__} ({build}) "
                                 f"cannot use {dev.type!r} devices here; use backend='torch' (CPU) or install a "
                                 f"PyTorch with {dev.type} support")
    if dev.index is not None and count and dev.index >= count:
        raise BackendUnavailable(f"backend 'torch:{dev}' is unavailable: PyTorch sees {count} {dev.type} device(s) "
                                 f"(indices 0..{count - 1})")


class TorchBackend(Backend):
    name = "torch"

    @classmethod
    def owns(cls, array: Any) -> bool:
        return hasattr(array, "device") and hasattr(array, "dtype")

    @classmethod
    def key_of(cls, array: Any) -> str:
        dev = str(array.device)
        return "torch" if dev == "cpu" else f"torch:{dev}"

    def __init__(self, device: str | None = None) -> None:
        try:
            import array_api_compat.torch as torch_xp
            import torch
        except ImportError:
            raise BackendUnavailable(
                "backend 'torch' needs PyTorch: pip install 'anynn[torch]' "
                "(CPU build: pip install torch==2.13.0)"
            ) from None
        self.torch = torch
        try:
            dev = torch.device(device or "cpu")
        except (RuntimeError, ValueError, TypeError) as exc:
            raise BackendUnavailable(f"backend 'torch': {device!r} is not a device PyTorch knows ({exc})") from None
        _check_device(torch, dev)
        super().__init__(torch_xp, dev)
        self._meta = dev.type == "meta"

    @property
    def key(self) -> str:
        return "torch" if self.device.type == "cpu" else f"torch:{self.device}"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self.torch.Tensor)

    def is_traced(self, array: Any) -> bool:
        """True on the meta device: its tensors have shapes and no values, so host-value checks (NaN, indices in
        range) are skipped there, as PyTorch skips them (the shapes recipe's max pooling raised 'Cannot copy out
        of meta tensor')."""
        return self._meta

    def dtype(self, dtype: Any) -> Any:
        if dtype is None:
            return None
        return getattr(self.torch, dtype_name(dtype))

    def from_host(self, array: np.ndarray) -> Any:
        if not array.flags.writeable:
            array = array.copy()
        array = np.asarray(array, order="C")
        if array.dtype.name == "bfloat16":  # ml_dtypes' bfloat16 (present once JAX is imported): same 16 bits
            return self.torch.from_numpy(array.view(np.uint16)).view(self.torch.bfloat16).to(self.device)
        return self.torch.from_numpy(array).to(self.device)

    def to_host(self, array: Any) -> np.ndarray:
        array = array.detach().cpu()
        if array.dtype == self.torch.bfloat16:  # NumPy has no bfloat16: widen exactly to float32
            array = array.float()
        return array.numpy()

    def rng(self, seed: int | None = None) -> DeviceRNG:
        return TorchRNG(self, seed)

    generator_kind = "torch.Generator"

    @classmethod
    def is_generator(cls, obj: Any) -> bool:
        import torch  # already imported: obj is one of torch's objects

        return isinstance(obj, torch.Generator)

    @classmethod
    def generator_state(cls, generator: Any) -> Any:
        return generator.get_state()  # a uint8 tensor

    @classmethod
    def set_generator_state(cls, generator: Any, state: Any) -> None:
        import torch

        generator.set_state(torch.tensor(np.asarray(state), dtype=torch.uint8))

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        torch = self.torch
        if name == "random_in_graph" and self._meta:  # rand/randn/randint... on the meta device: a shape, no draw

            def no_draw(kind: str, size: Any, dtype: Any) -> Any:
                shape = size.shape if hasattr(size, "shape") else size  # (a shape, or an array of that shape)
                return torch.empty(tuple(shape), dtype=dtype, device=self.device)

            return no_draw
        if name == "erf":
            return torch.special.erf
        if name == "erfc":
            return torch.special.erfc
        if name == "scatter_add":

            def scatter_add(index: Any, values: Any, num_rows: int) -> Any:
                out = torch.zeros((num_rows,) + tuple(values.shape[1:]), dtype=values.dtype,
                                  device=values.device)
                return out.index_add_(0, index, values)

            return scatter_add
        if name == "scatter_reduce":

            def scatter_reduce(index: Any, values: Any, num_rows: int, reduce: str) -> Any:
                from .portable.scatter import reduction_identity

                identity = reduction_identity(self.xp, reduce, values.dtype)
                out = torch.full((num_rows,) + tuple(values.shape[1:]), identity, dtype=values.dtype,
                                 device=values.device)
                rows = index.reshape((-1,) + (1,) * (values.ndim - 1)).expand_as(values)
                return out.scatter_reduce_(0, rows, values, reduce)  # (index_reduce_ warns that it is beta)

            return scatter_reduce
        if name == "sliding_window_view":

            def sliding_window_view(x: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
                for size, ax in zip(window_shape, axis):
                    x = x.unfold(ax, size, 1)
                return x

            return sliding_window_view
        if name == "solve_triangular":

            def solve_triangular(a: Any, b: Any, upper: bool, left: bool = True, unitriangular: bool = False) -> Any:
                return torch.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular)

            return solve_triangular
        return None

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)

    # -- moving and adopting arrays -----------------------------------------------------------------
    def from_dlpack(self, array: Any) -> Any:
        return self.torch.from_dlpack(array)

    def same_device(self, array: Any) -> bool:
        return array.device == self.device

    def adopt(self, array: Any) -> Any:
        return array.detach()  # anynn records the graph; torch's own autograd must record nothing

    # -- memory shared with other processes: PyTorch's own (a no-op for CUDA tensors, sent by CUDA IPC) --------
    def share_memory(self, array: Any) -> Any:
        return array.share_memory_()

    def reinterpret(self, array: Any, dtype: Any) -> Any:
        if array.numel() == 0:  # an empty tensor counts as contiguous whatever its strides: give it row-major ones
            array = array.clone(memory_format=self.torch.contiguous_format)
        return array.contiguous().view(dtype)  # shares memory where the array is row-major already

    def is_shared(self, array: Any) -> bool:
        return bool(array.is_shared())

    def shared_reduction(self, array: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        import torch.multiprocessing  # noqa: F401  (registers PyTorch's tensor reductions with the pickler)

        return _same_array, (array,)

    # -- devices: PyTorch's own ("cpu", "cuda:i", "mps"...) ------------------------------------------
    def device_parts(self) -> tuple[str, int | None]:
        return self.device.type, self.device.index

    def device_key(self, kind: str, index: int | None) -> str:
        library = self.key.partition(":")[0]
        if kind == "cpu":
            return library
        return f"{library}:{kind}:{index}" if index is not None else f"{library}:{kind}"

    @classmethod
    def native_device_parts(cls, spec: Any) -> tuple[str, int | None, str | None] | None:
        import torch  # already imported: spec is one of torch's objects

        return (spec.type, spec.index, None) if isinstance(spec, torch.device) else None

    def device_count(self) -> int:
        if self.device.type == "cpu":
            return 1
        try:
            return int(getattr(self.torch, self.device.type).device_count())
        except Exception:  # a broken driver raises rather than answering
            return 0

    def memory_in_use(self) -> int | None:
        if self.device.type != "cuda":
            return None
        return int(self.torch.cuda.memory_allocated(self.device))

    def memory_stats(self) -> dict[str, int]:
        if self.device.type != "cuda":
            return {}
        return dict(self.torch.cuda.memory_stats(self.device))

    def reset_peak_memory_stats(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.reset_peak_memory_stats(self.device)

    def memory_info(self) -> tuple[int, int] | None:
        if self.device.type != "cuda":
            return None
        free, total = self.torch.cuda.mem_get_info(self.device)
        return int(free), int(total)

    def cuda_version(self) -> str | None:
        return self.torch.version.cuda

    def stream_capturing(self) -> bool:
        return self.device.type == "cuda" and bool(self.torch.cuda.is_current_stream_capturing())

    def set_memory_fraction(self, fraction: float) -> None:
        self.torch.cuda.set_per_process_memory_fraction(fraction, self.device)

    def memory_fraction(self) -> float:
        return float(self.torch.cuda.get_per_process_memory_fraction(self.device))

    def cuda_arch_list(self) -> list[str]:
        return list(self.torch.cuda.get_arch_list())  # the build's list (a CUDA build answers without a GPU too)

    def device_name(self) -> str | None:
        return self.torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else None

    def device_capability(self) -> tuple[int, int] | None:
        if self.device.type != "cuda":
            return None
        major, minor = self.torch.cuda.get_device_capability(self.device)
        return int(major), int(minor)


def _same_array(array: Any) -> Any:
    """The receiving half of `TorchBackend.shared_reduction`: PyTorch's pickler rebuilt the tensor already."""
    return array
