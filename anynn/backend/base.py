"""The `Backend` object: one array library, one device, and its named fast paths.

A backend is chosen once, when a tensor or model is created, and then flows with the data. The math
modules receive ``backend.xp`` (an array API namespace) and never import an array library themselves.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .typing import Namespace


class BackendUnavailable(RuntimeError):
    """The requested backend cannot run here (library missing, no device, too old)."""


class CudaUnavailable(BackendUnavailable, AssertionError):
    """A CUDA device was asked for (``.cuda()``, ``device="cuda"``, ``torch.cuda.current_device()``) and none is
    usable here: a `BackendUnavailable` (a RuntimeError, as a CUDA build of PyTorch without a GPU raises) and an
    AssertionError, as PyTorch's CPU build raises ("Torch not compiled with CUDA enabled")."""


class BackendMismatch(ValueError, RuntimeError):
    """Arrays of two different backends (or devices) met in one operation: a RuntimeError too, PyTorch's class for
    tensors on two devices ("Expected all tensors to be on the same device")."""


class Backend:
    """An array library bound to one device.

    Attributes
    ----------
    name : str
        ``"numpy"``, ``"cupy"``, ``"torch"`` or ``"array_api_strict"``.
    xp : module
        The array API namespace (through ``array_api_compat`` where the library needs it).
    device : object
        The native device arrays are created on.
    """

    name: str = "base"

    def __init__(self, xp: Namespace, device: Any = None) -> None:
        self.xp = xp
        self.device = device
        self.float32 = xp.float32
        self.float64 = xp.float64
        self.int64 = xp.int64

    # -- identity -------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """A short string naming library and device, used in messages and equality."""
        return self.name if self.device is None else f"{self.name}:{self.device}"

    def __repr__(self) -> str:
        return f"Backend({self.key!r})"

    @property
    def array_key(self) -> str:
        """`key` without the variant: backends with one ``array_key`` hold the same arrays on the same device."""
        return self.key

    def __eq__(self, other: object) -> bool:
        # a variant ("numpy-portable") equals its library: same arrays, same device, other kernels
        return isinstance(other, Backend) and other.array_key == self.array_key

    def __hash__(self) -> int:
        return hash(self.array_key)

    # a backend is a library bound to a device, never per-object state: copies of what holds one (an optimizer,
    # a scheduler, a DataLoader) share it, as copies of PyTorch objects share torch and its devices
    def __copy__(self) -> "Backend":
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> "Backend":
        return self

    def __getstate__(self) -> Any:  # what pickle asks first: refuse clearly, not with "cannot pickle 'module'"
        raise TypeError(f"cannot pickle {self!r}: anynn Tensors, modules and optimizers are not pickled (design "
                        "principle 6); save weights and checkpoints with anynn.save / anynn.io.save_checkpoint, send "
                        "tensors to other processes with anynn.multiprocessing, copy objects with copy.deepcopy")

    def is_native(self, array: Any) -> bool:
        """True if ``array`` is an array of this backend's library."""
        raise NotImplementedError  # abstract: each library answers for itself

    # -- registry hooks (class level: called before any backend of the library exists) ----------
    @classmethod
    def build(cls, device: str | None) -> "Backend":
        """The backend of this library on ``device`` (raises `BackendUnavailable` with the reason)."""
        return cls(device)

    @classmethod
    def owns(cls, array: Any) -> bool:
        """True if ``array`` (whose type lives in this library's modules) is one of its arrays."""
        return True

    @classmethod
    def key_of(cls, array: Any) -> str:
        """The ``get_backend`` name (library and device) of an array of this library."""
        return cls.name

    def is_traced(self, array: Any) -> bool:
        """True for an array that is recorded rather than computed (a jit tracer): it has no value to read."""
        return False

    # -- dtypes ---------------------------------------------------------------------------------
    def dtype(self, dtype: Any) -> Any:
        """Map ``"float32"``, ``np.float32``, a native dtype or ``None`` to this backend's dtype."""
        if dtype is None:
            return None
        name = dtype_name(dtype)
        try:
            return getattr(self.xp, name)
        except AttributeError:
            raise TypeError(f"backend {self.key!r} has no dtype {name!r}") from None

    # -- moving data ----------------------------------------------------------------------------
    def from_host(self, array: np.ndarray) -> Any:
        """Copy (or wrap) a NumPy array as a native array on this backend's device."""
        return self.xp.asarray(array, device=self.device)

    def to_host(self, array: Any) -> np.ndarray:
        """Return a NumPy array with the contents of a native array."""
        return np.asarray(array)

    def from_dlpack(self, array: Any) -> Any:
        """``array`` (another library's, speaking DLPack) as a native array without a copy where the two allow it.

        Raises (`TypeError`, `BufferError`...) where this library takes no DLPack; `anynn.backend.transfer` then
        copies through the host. Libraries with an importer override it.
        """
        raise TypeError(f"backend {self.key!r} imports no DLPack capsules")

    # whether other libraries may import this library's arrays through DLPack (array_api_strict: no)
    exports_dlpack: bool = True

    def same_device(self, array: Any) -> bool:
        """True where the native ``array`` already lives on this backend's device."""
        return True

    def adopt(self, array: Any) -> Any:
        """A native array of this library, handed in by a user, as anynn's math can hold it.

        PyTorch's tensors lose their own autograd history (anynn records the graph); others come as they are.
        """
        return array

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        """Make a native array from host data (lists, scalars, NumPy) or a native array."""
        if self.is_native(data):
            arr = data
        else:
            arr = self.from_host(host_array(data))
        if dtype is not None and arr.dtype != dtype:
            arr = self.xp.astype(arr, dtype)
        return arr

    # True where the arrays are nodes of a graph that runs later, many times (ndonnx: an ONNX export), so a value
    # drawn on the host while recording is one constant of it (anynn.init refuses its host-only draws there)
    records_graph: bool = False

    # -- randomness -----------------------------------------------------------------------------
    def rng(self, seed: int | None = None) -> "DeviceRNG":
        """A random generator on this backend's device, seeded from ``seed``."""
        return HostRNG(self, seed)

    # the library's own generator objects (``torch.Generator``), for checkpoints; None: it has none
    generator_kind: str | None = None

    @classmethod
    def is_generator(cls, obj: Any) -> bool:
        """True if ``obj`` is a generator object of this library (class level: no backend needed)."""
        return False

    @classmethod
    def generator_state(cls, generator: Any) -> Any:
        """The state of one of the library's generators: numbers, strings, lists or arrays."""
        raise NotImplementedError(f"{cls.name} has no generator objects of its own")

    @classmethod
    def set_generator_state(cls, generator: Any, state: Any) -> None:
        """Give one of the library's generators back a state from `generator_state` (arrays may come as NumPy)."""
        raise NotImplementedError(f"{cls.name} has no generator objects of its own")

    # -- fast paths (each has a standard-only fallback in anynn.backend.portable) ---------------
    # False on the portable variant (``get_backend("numpy-portable")``): every op runs its standard-only version
    uses_fast_paths: bool = True

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        """Return the library-specific implementation of ``name``, or ``None``."""
        return None

    def portable(self) -> "Backend":
        """This backend with every fast path off (the ``"<library>-portable"`` variant; the tests run both).

        The variant holds the same arrays on the same device, so it compares equal to this backend.
        """
        variant = _portable_class(type(self))
        found: Any = object.__new__(variant)
        found.__dict__.update(self.__dict__)
        found._library = self
        return found

    # whole-Function fast paths: Function class name -> ``lower(fn, xp, *arrays)`` run by ``Function.apply`` in
    # place of ``fn.forward`` (it may return ``NotImplemented`` to decline). Recording backends (ndonnx, for ONNX
    # export) lower a layer to one graph operator this way; eager backends have none.
    function_fast_paths: dict[str, Callable[..., Any]] = {}

    # ``enter()``/``exit(token)`` around every Function's forward and each backward pass, or None: libraries that
    # warn where PyTorch silently returns inf/nan (NumPy's RuntimeWarnings, `anynn.backend.quiet_float_errors`)
    quiet_float_errors: Any = None

    def synchronize(self) -> None:
        """Wait for queued device work (a no-op on CPU backends)."""

    # -- compiled steps (anynn.compile) and the library's own derivatives ----------------------------
    def step_compiler(self) -> Any:
        """How `anynn.compile` runs a step on this library as one program: a `StepTracer` (traced once, as
        ``jax.jit``), a `GraphCapture` (recorded once and replayed, as CUDA graphs), or ``None``: the step
        runs eagerly (`anynn.backend.step_compilers`)."""
        return None

    def derivative(self, fn: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
        """The library's own gradient of ``fn`` (native arrays → a 0-d array) with respect to ``argnums``, a
        function of native arrays that composes to any order (``jax.grad``). Raises `BackendUnavailable` on
        libraries that do not transform functions (anynn's tape, `anynn.autograd.grad`, works everywhere)."""
        raise BackendUnavailable(f"backend {self.key!r} cannot differentiate a function itself (only JAX's "
                                 f"jax.grad does); use anynn.autograd.grad(..., create_graph=True)")

    # -- reinterpreting bits (Tensor.view(dtype)) --------------------------------------------------------------
    def reinterpret(self, array: Any, dtype: Any) -> Any:
        """``array``'s bytes read as ``dtype`` (a native dtype), as PyTorch's ``Tensor.view(dtype)``: the last axis
        scaled by the ratio of the item sizes (the caller checks it divides). Libraries whose arrays hide their
        memory raise a `RuntimeError`."""
        raise RuntimeError(f"view(dtype): the {self.key!r} backend cannot reinterpret an array's bytes as another "
                           f"dtype (its arrays hide their memory); the numpy, torch, cupy and jax backends can "
                           f"(move the data with .to('numpy')), or convert the values with .to(dtype)")

    # -- memory shared with other processes (Tensor.share_memory_, anynn.multiprocessing) ----------
    def share_memory(self, array: Any) -> Any:
        """``array``'s values in memory other processes can map: ``array`` itself where it is there already (or
        the library shares it in place), else a copy there. Libraries that cannot share raise a `RuntimeError`."""
        raise RuntimeError(f"share_memory_: the {self.key!r} backend cannot put arrays in memory shared between "
                           f"processes; the numpy and torch backends can (move the data with .to('numpy'))")

    def is_shared(self, array: Any) -> bool:
        """True where ``array`` lives in memory other processes can map (`share_memory`)."""
        return False

    def shared_reduction(self, array: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """``(rebuild, args)``: how the multiprocessing pickler sends an array that `share_memory` gave, so that
        ``rebuild(*args)`` in the receiving process is an array over the same memory."""
        raise RuntimeError(f"sending a tensor to another process: the {self.key!r} backend cannot share its "
                           f"arrays between processes; the numpy and torch backends can (move it with "
                           f".to('numpy'))")

    # -- devices: PyTorch's names ("cpu", "cuda:1") answered by the library the data is on --------
    def device_parts(self) -> tuple[str, int | None]:
        """``(type, index)`` of this backend's device, PyTorch style: ``("cpu", None)``, ``("cuda", 1)``."""
        return "cpu", None

    def device_key(self, kind: str, index: int | None) -> str:
        """The `get_backend` key that device ``kind[:index]`` (``"cpu"``, ``"cuda"``...) means for data here.

        The default is a CPU-only library: ``"cpu"`` is itself, ``"cuda"`` is CuPy (NumPy's GPU twin); other
        kinds raise `BackendUnavailable`. `anynn.backend.torch_names.backend_for_device` builds the backend.
        """
        if kind == "cpu":
            return self.key
        if kind != "cuda":
            where = f"{kind}:{index}" if index is not None else kind
            raise BackendUnavailable(f"device {where!r} exists only on the torch backend; this data is on "
                                     f"{self.key!r} (move it with .to('torch:{where}'))")
        return f"cupy:{index or 0}"

    @classmethod
    def native_device_parts(cls, spec: Any) -> tuple[str, int | None, str | None] | None:
        """``(type, index, backend key or None)`` of one of this library's device objects, else ``None``."""
        return None

    def device_count(self) -> int:
        """How many devices of this backend's kind the library sees (1 for the CPU)."""
        return 1

    # -- runtime services -------------------------------------------------------------------------
    def memory_in_use(self) -> int | None:
        """Bytes of device memory the library holds for arrays now, or ``None`` where it keeps no such figure."""
        return None

    def memory_stats(self) -> dict[str, int]:
        """The library's device-memory figures under PyTorch's `torch.cuda.memory_stats` keys (e.g.
        ``"allocated_bytes.all.current"``, ``"reserved_bytes.all.peak"``), the ones it keeps; empty on the CPU."""
        return {}

    def reset_peak_memory_stats(self) -> None:
        """Start the peak figures of `memory_stats` again from the current ones (nothing where none are kept)."""

    def memory_info(self) -> tuple[int, int] | None:
        """The device's free and total memory in bytes as its driver counts them (``torch.cuda.mem_get_info``), or
        ``None`` for the CPU."""
        return None

    def stream_capturing(self) -> bool:
        """Whether the library's current stream is recording a CUDA graph (``torch.cuda.is_current_stream_capturing``;
        the capture of an ``anynn.compile(mode="cuda_graph")`` step); False for libraries without graphs."""
        return False

    def set_memory_fraction(self, fraction: float) -> None:
        """Cap the library's device memory at ``fraction`` of the device's total; beyond it an allocation raises the
        library's out-of-memory error (``torch.cuda.set_per_process_memory_fraction``). GPU libraries only."""
        raise RuntimeError(f"backend {self.key!r} has no device memory to cap")

    def memory_fraction(self) -> float:
        """The cap `set_memory_fraction` set (1.0 without one)."""
        raise RuntimeError(f"backend {self.key!r} has no device memory to cap")

    def device_name(self) -> str | None:
        """The name of this backend's device as its driver gives it (a GPU's model), or ``None`` for the CPU."""
        return None

    def device_capability(self) -> tuple[int, int] | None:
        """The CUDA compute capability (major, minor) of this backend's GPU, or ``None`` for the CPU."""
        return None

    def cuda_version(self) -> str | None:
        """The CUDA version ("12.4") this backend's library runs or was built with, ``None`` where it has none."""
        return None

    def cuda_arch_list(self) -> list[str]:
        """The CUDA architectures (``"sm_90"``) this backend's library runs kernels for: by default its GPU's own (a
        library compiling kernels for the device at run time), ``[]`` for the CPU (``torch.cuda.get_arch_list``)."""
        capability = self.device_capability()
        return [] if capability is None else [f"sm_{capability[0]}{capability[1]}"]

    def prefetcher(self) -> Any:
        """An object whose ``iterate(batches)`` moves host batches to the device ahead of use, or ``None``.

        The data loader asks once per loader; CPU backends need none (a batch is ready when gathered).
        """
        return None

    def rank_device_key(self, local_rank: int) -> tuple[str, int]:
        """For data-parallel training: the `get_backend` key of the device rank ``local_rank`` of a node works on,
        and how many devices the node has. CPU libraries answer ``(key, 1)``; GPU libraries make device
        ``local_rank % count`` current and name it."""
        return self.key, 1

    def collective_transport(self, comm: Any, watchdog: Any, kind: str, local_size: int) -> Any:
        """A device-to-device transport for `anynn.distributed` over the MPI communicator ``comm``, or ``None``.

        ``kind`` is the user's choice (``"nccl"``, ``"mpi"``: a CUDA-aware MPI); ``local_size`` ranks share the
        node. ``None`` (every library but CuPy) means the host transport: arrays go through NumPy and MPI.
        """
        return None


_portable_classes: dict[type, type] = {}


def _portable_class(library: type) -> type:
    """``library``'s class with fast paths off and ``-portable`` in its key (one class per library)."""
    found = _portable_classes.get(library)
    if found is None:

        def key(self: Any) -> str:
            name, sep, device = self._library.key.partition(":")
            return f"{name}-portable{sep}{device}"

        found = _portable_classes[library] = type(f"Portable{library.__name__}", (library,), {
            "__doc__": f"{library.__name__} with every fast path off (standard-only code).",
            "uses_fast_paths": False,
            "key": property(key),
            "array_key": property(lambda self: self._library.array_key),
            "fast_path": lambda self, name: None,
            "portable": lambda self: self,
        })
    return found


class DeviceRNG:
    """Randomness drawn on a backend's device: ``uniform``, ``normal``, ``bernoulli``, ``permutation``."""

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError  # abstract

    def uniform_like(self, like: Any, dtype: Any) -> Any:
        """Uniform draws in the shape of the array ``like`` (a recording backend's may have symbolic axes)."""
        return self.uniform(tuple(like.shape), dtype)

    def state(self) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError  # abstract


class HostRNG(DeviceRNG):
    """Draw with NumPy's ``Generator`` on the host and move the result to the backend.

    Used by CPU backends without a generator of their own (``array_api_strict``) and as NumPy's own.
    """

    def __init__(self, backend: Backend, seed: int | None) -> None:
        self.backend = backend
        self.generator = np.random.default_rng(seed)

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        target = np.dtype(dtype_name(dtype))
        if target.itemsize >= 4:
            return self.backend.from_host(self.generator.random(shape, dtype=target))
        # NumPy draws float32/float64 only: float16 is drawn in float32 and rounded, kept below 1
        host = np.minimum(self.generator.random(shape, dtype=np.float32).astype(target),
                          np.nextafter(target.type(1), target.type(0)))
        return self.backend.from_host(host)

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        target = np.dtype(dtype_name(dtype))
        draw = target if target.itemsize >= 4 else np.dtype(np.float32)  # float16: drawn in float32, rounded
        host = self.generator.standard_normal(shape, dtype=draw).astype(target, copy=False)
        return self.backend.from_host(host)

    def permutation(self, n: int) -> Any:
        return self.backend.from_host(self.generator.permutation(n))

    def state(self) -> dict[str, Any]:
        return dict(self.generator.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> None:
        self.generator.bit_generator.state = state


_FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")
_INT_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
DTYPE_NAMES = frozenset(_FLOAT_NAMES + _INT_NAMES)


# PyTorch's short spellings (``x.to("double")``, ``torch.long``) and their standard names
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
            "short": "int16", "cfloat": "complex64", "cdouble": "complex128"}


def dtype_name(dtype: Any) -> str:
    """The standard name (``"float32"``...) of a NumPy, torch, CuPy or array_api_strict dtype.

    Strings may use PyTorch's spellings too: ``"double"``, ``"long"``, ``"half"``, ``"torch.float64"``.
    """
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1] if dtype.startswith(("torch.", "numpy.", "np.", "cupy.")) else dtype
        return _ALIASES.get(name, name)
    known = _NAMES_SEEN.get(id(dtype))
    if known is not None and known[0] is dtype:
        return known[1]
    text = str(dtype)
    for name in _FLOAT_NAMES + _INT_NAMES:
        if text == name or text.endswith("." + name) or text == f"<class 'numpy.{name}'>":
            break
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            raise TypeError(f"unknown dtype {dtype!r}") from None
    if len(_NAMES_SEEN) >= 256:  # dtypes made on the fly: keep the table small
        _NAMES_SEEN.clear()
    _NAMES_SEEN[id(dtype)] = (dtype, name)
    return name


# id(dtype) -> (that dtype, its name): `dtype_name`'s answer for a dtype object it has met, in one lookup (every
# in-place write and factory asks it); the entry holds the dtype, so its id is not reused while the entry lives
_NAMES_SEEN: dict[int, tuple[Any, str]] = {}


def host_array(data: Any, float_dtype: Any = np.float32, *, narrow_only: bool = False) -> np.ndarray:
    """Host data (numbers, lists, NumPy arrays) as a NumPy array.

    Floating-point data becomes ``float_dtype`` (float32 by default, as in PyTorch); pass
    ``float_dtype=None`` to keep NumPy's own dtype. Integers and booleans keep theirs. With ``narrow_only``
    only wider floats are cast (float64 to float32; float16 stays float16, as ``torch.tensor`` keeps it).
    Complex data follows: complex128 becomes complex64 beside float32 (``torch.tensor([1j])`` is complex64).
    """
    arr = np.asarray(data)
    if float_dtype is not None and arr.dtype.kind == "f" and arr.dtype != float_dtype:
        if not (narrow_only and arr.dtype.itemsize < np.dtype(float_dtype).itemsize):
            arr = arr.astype(float_dtype)
    elif arr.dtype.kind == "c" and float_dtype is not None and np.dtype(float_dtype) == np.float32:
        arr = arr.astype(np.complex64)
    return arr


# NumPy dtypes PyTorch converts (its "The only supported types are: ..."), by name
_TORCH_NUMPY_DTYPES = frozenset(("float64", "float32", "float16", "complex64", "complex128", "int64", "int32", "int16",
                                 "int8", "uint64", "uint32", "uint16", "uint8", "bool"))


def check_numpy_dtype(name: str, array: np.ndarray) -> None:
    """PyTorch's refusals of a NumPy array it cannot read: a dtype it has no tensor dtype for (``longdouble``,
    ``clongdouble``, strings, objects: `TypeError`) or bytes in non-native order (``>f4`` on a little-endian
    machine: `ValueError`); anynn kept such a dtype, and a float128 tensor or a '>f4' dtype name went on. A negative
    stride (``a[::-1]``, ``np.flip(a)``) is PyTorch's `ValueError` too (anynn copied it)."""
    dtype = array.dtype
    if dtype.name not in _TORCH_NUMPY_DTYPES:
        raise TypeError(f"{name}: can't convert np.ndarray of type numpy.{dtype.type.__name__} (as PyTorch); the "
                        f"supported types are: {', '.join(sorted(_TORCH_NUMPY_DTYPES))}")
    if not dtype.isnative:
        raise ValueError(f"{name}: the NumPy array's byte order ({dtype.str}) is not the machine's (as PyTorch); "
                         f"convert it first: array.astype(array.dtype.newbyteorder('='))")
    if any(step < 0 for step in array.strides):
        raise ValueError(f"{name}: At least one stride in the given numpy array is negative, and tensors with negative "
                         f"strides are not currently supported (strides {array.strides}, as PyTorch); make a copy "
                         f"first: array.copy()")


class ComplexIntoRealError(TypeError, RuntimeError):
    """A complex number written into a real tensor: PyTorch's ``tensor`` raises `TypeError`, ``full`` and ``where``
    `RuntimeError`."""


def check_numbers_fit(data: Any, host: np.ndarray, target: str, name: str = "tensor") -> None:
    """PyTorch's checks of Python numbers (``data``, read as ``host``) written into a new tensor of dtype ``target``
    (``torch.tensor([256], dtype=torch.uint8)``): a complex number into a real dtype is a `TypeError`, a number outside
    an integer dtype's range (NaN too) a `RuntimeError`; NumPy wrapped them silently (2**31 became -2**31 in int32).
    As PyTorch's, a negative int down to -max wraps into an unsigned dtype (-1 is 255 in uint8), and NumPy arrays
    are cast unchecked."""
    if isinstance(data, np.ndarray) or host.size == 0 or host.dtype.kind not in "iufc":
        return
    if host.dtype.kind == "c" and not target.startswith(("complex", "bool")):
        raise ComplexIntoRealError(f"{name}(): a complex number cannot be written into a tensor of dtype {target}, "
                                   f"as in PyTorch; give its .real or a complex dtype")
    if not target.startswith(("int", "uint")) or host.dtype.kind == "c":
        return
    info = np.iinfo(target)
    low = -int(info.max) if target.startswith("uint") and host.dtype.kind in "iu" else int(info.min)
    smallest, largest = host.min(), host.max()
    if not (smallest >= low and largest <= int(info.max)):  # (NaN fails both)
        value = largest if not largest <= info.max else smallest
        raise RuntimeError(f"{name}(): value {value} cannot be converted to type {target} without overflow, as in "
                           f"PyTorch (its range is [{low}, {int(info.max)}])")


def read_wide_ints(data: Any, host: np.ndarray, target: str | None, name: str = "tensor") -> np.ndarray:
    """``host`` (NumPy's reading of the Python numbers ``data``) where ``data`` holds an int outside int64's range,
    read as ``torch.tensor`` reads it, for a new tensor of dtype ``target`` (None: inferred): float64 (complex128)
    beside a float (complex) or under a floating ``target``; else PyTorch's ValueError. NumPy made such data an
    object array, or uint64 for ints in [2**63, 2**64). Any other ``host`` is returned as it is, and uint64 under an
    integer ``target`` (`check_numbers_fit` checks the range of an integer dtype)."""
    if isinstance(data, np.ndarray) or not (host.dtype == object or host.dtype == np.uint64):
        return host
    floating = target is not None and target.startswith(("float", "bfloat", "complex"))
    if target is not None and not floating and host.dtype != object:
        return host
    leaves = _nested_leaves(data)
    if not all(type(v) in (bool, int, float, complex) for v in leaves):
        return host
    wide = [v for v in leaves if type(v) is int and not -2**63 <= v < 2**63]
    if not wide:
        return host
    kinds = {type(v) for v in leaves}
    if complex in kinds or (target or "").startswith("complex"):
        return np.asarray(data, dtype=np.complex128)
    if float in kinds or floating:
        return np.asarray(data, dtype=np.float64)
    raise ValueError(f"{name}(): the integer {wide[0]} is outside int64's range [-2**63, 2**63) (PyTorch: 'Overflow "
                     f"when unpacking long long'); give it as a float or with a floating dtype")


def refuse_wide_ints(data: Any, name: str = "tensor") -> None:
    """`read_wide_ints`' ValueError for nested Python ints holding one outside int64's range that NumPy read as
    float64 (beside an int64 one: ``[1, 2**63]``), not as the object or uint64 array `read_wide_ints` looks for."""
    read_wide_ints(data, np.asarray(data, dtype=object), None, name)


def _nested_leaves(data: Any) -> list[Any]:
    """The entries of nested lists and tuples (``data`` itself when it is neither)."""
    if not isinstance(data, (list, tuple)):
        return [data]
    return [leaf for item in data for leaf in _nested_leaves(item)]


def is_host_array(value: Any) -> bool:
    """True for NumPy arrays and scalars: host data that any backend can take with ``from_host``."""
    return isinstance(value, (np.ndarray, np.generic))
