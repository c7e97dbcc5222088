"""JAX backend: ``jax.numpy`` arrays (immutable; CPU, or GPU with a CUDA build of jaxlib).

JAX arrays cannot be written in place, so the math writes through `anynn.backend.arrays` (a new array
where the old one is immutable), and checks that need a host value skip traced arrays. Randomness is
key-based: every draw is ``jax.random`` on ``fold_in(key(seed), counter)``, so the generator's whole
state is two integers and checkpoints as JSON.

64-bit types: anynn switches JAX's ``jax_enable_x64`` on when this backend is first built, because
float64 gradient checks and int64 labels need it (JAX otherwise silently makes them 32-bit). Arrays
anynn creates always carry an explicit dtype, so float32 models stay float32.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .devices import register_deviceless_type
from .base import Backend, BackendUnavailable, CudaUnavailable, DeviceRNG, dtype_name


class JaxRNG(DeviceRNG):
    """A key-based generator: draw ``n`` uses ``jax.random`` with ``fold_in(PRNGKey(seed), n)``."""

    algorithm = "jax-threefry-fold-in"

    def __init__(self, backend: "JaxBackend", seed: int | None) -> None:
        self.backend = backend
        self.seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
        self.counter = 0

    def _next_key(self) -> Any:
        random = self.backend.jax.random
        key = random.fold_in(random.PRNGKey(self.seed % (1 << 63)), self.counter)
        self.counter += 1
        return key

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        random = self.backend.jax.random
        return self.backend.place(random.uniform(self._next_key(), tuple(shape), dtype=dtype))

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        random = self.backend.jax.random
        return self.backend.place(random.normal(self._next_key(), tuple(shape), dtype=dtype))

    def permutation(self, n: int) -> Any:
        random = self.backend.jax.random
        return self.backend.place(random.permutation(self._next_key(), int(n)))

    def state(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "seed": self.seed, "counter": self.counter}

    def set_state(self, state: dict[str, Any]) -> None:
        if state.get("algorithm") != self.algorithm:
            raise ValueError(f"a JAX generator cannot take the state of {state.get('algorithm')!r}")
        self.seed = int(state["seed"])
        self.counter = int(state["counter"])


class JaxBackend(Backend):
    name = "jax"

    @classmethod
    def owns(cls, array: Any) -> bool:
        import jax

        return isinstance(array, jax.Array)

    @classmethod
    def key_of(cls, array: Any) -> str:
        import jax

        # a traced array has no device of its own (it runs where the trace runs); asking it raises an error
        # whose message walks the whole trace so far, which made tracing a large step quadratic
        if isinstance(array, jax.core.Tracer):
            return "jax"
        try:
            (dev,) = array.devices()
        except Exception:
            return "jax"
        return "jax" if dev.platform == "cpu" and dev.id == 0 else f"jax:{dev.platform}:{dev.id}"

    def __init__(self, device: str | None = None) -> None:
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            raise BackendUnavailable("backend 'jax' needs JAX: pip install 'anynn[jax]' (or pip install jax)") from None
        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self._device_label = device or None
        asked, _, index = (device or "cpu").partition(":")
        platform = {"cuda": "gpu"}.get(asked, asked)
        try:
            devices = jax.devices(platform)
        except RuntimeError:  # (named as asked: x.to("cuda") on a machine without one names 'cuda')
            error, hint = (CudaUnavailable, " (a CUDA build of jaxlib: pip install 'anynn[jax-cuda12]')") \
                if asked == "cuda" else (BackendUnavailable, "")
            raise error(f"backend 'jax' has no {asked!r} device here: "
                        f"it has {', '.join(str(d) for d in jax.devices())}{hint}") from None
        position = int(index or 0)
        if position >= len(devices):
            raise BackendUnavailable(f"backend 'jax' has {len(devices)} {platform} device(s), not index {position}")
        super().__init__(jnp, devices[position])
        register_deviceless_type(jax.core.Tracer)

    @property
    def key(self) -> str:
        return "jax" if self._device_label in (None, "cpu", "cpu:0") else f"jax:{self._device_label}"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self.jax.Array)

    def dtype(self, dtype: Any) -> Any:
        if dtype is None:
            return None
        return self.xp.dtype(dtype_name(dtype))

    def place(self, array: Any) -> Any:
        """``array`` on this backend's device (a no-op where it is already there, and for traced arrays)."""
        if isinstance(array, self.jax.core.Tracer):
            return array
        return self.jax.device_put(array, self.device)

    def from_host(self, array: np.ndarray) -> Any:
        return self.jax.device_put(np.asarray(array), self.device)

    def to_host(self, array: Any) -> np.ndarray:
        # a copy: NumPy's view of a JAX buffer is read-only, and host arrays are written in place (a NumPy
        # model resumed from a JAX checkpoint updates its optimizer state in place)
        return np.array(array, copy=True)

    def rng(self, seed: int | None = None) -> DeviceRNG:
        return JaxRNG(self, seed)

    def is_traced(self, array: Any) -> bool:
        return isinstance(array, self.jax.core.Tracer)

    def reinterpret(self, array: Any, dtype: Any) -> Any:
        # lax.bitcast_convert_type adds (or takes) a trailing axis of the size ratio, and knows neither bool nor
        # complex: bool goes through uint8, complex through its (real, imag) pairs
        jnp, lax = self.xp, self.jax.lax
        target = jnp.dtype(dtype)
        if array.dtype == target:
            return array
        if array.ndim == 0:  # an equal item size (the caller checks): read it as one element of a vector
            return self.reinterpret(array.reshape(1), dtype).reshape(())
        if array.dtype == jnp.bool_:
            array = array.astype(jnp.uint8)
        if jnp.issubdtype(array.dtype, jnp.complexfloating):
            pairs = jnp.stack([jnp.real(array), jnp.imag(array)], axis=-1)
            array = pairs.reshape(pairs.shape[:-2] + (pairs.shape[-2] * 2,))
        if target == jnp.bool_:
            return self.reinterpret(array, jnp.uint8) != 0
        if jnp.issubdtype(target, jnp.complexfloating):
            part = jnp.float32 if target == jnp.complex64 else jnp.float64
            parts = self.reinterpret(array, part)
            parts = parts.reshape(parts.shape[:-1] + (parts.shape[-1] // 2, 2))
            return lax.complex(parts[..., 0], parts[..., 1])
        ratio = target.itemsize / array.dtype.itemsize
        if ratio == 1:
            return lax.bitcast_convert_type(array, target)
        if ratio < 1:
            out = lax.bitcast_convert_type(array, target)
            return out.reshape(out.shape[:-2] + (out.shape[-2] * out.shape[-1],))
        grouped = array.reshape(array.shape[:-1] + (array.shape[-1] // int(ratio), int(ratio)))
        return lax.bitcast_convert_type(grouped, target)

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        jnp = self.xp
        if name in ("erf", "erfc"):
            import jax.scipy.special

            return getattr(jax.scipy.special, name)
        if name == "scatter_add":

            def scatter_add(index: Any, values: Any, num_rows: int) -> Any:
                if values.dtype == jnp.bool_:  # booleans accumulate as a logical or (JAX's add takes none)
                    return scatter_add(index, values.astype(jnp.int32), num_rows) != 0
                out = jnp.zeros((num_rows,) + tuple(values.shape[1:]), dtype=values.dtype)
                return out.at[index].add(values)

            return scatter_add
        if name == "scatter_reduce":

            def scatter_reduce(index: Any, values: Any, num_rows: int, reduce: str) -> Any:
                from .portable.scatter import reduction_identity

                identity = reduction_identity(jnp, reduce, values.dtype)
                out = jnp.full((num_rows,) + tuple(values.shape[1:]), identity, dtype=values.dtype)
                rows = out.at[index]
                return rows.multiply(values) if reduce == "prod" else rows.max(values) if reduce == "amax" else \
                    rows.min(values)

            return scatter_reduce
        if name == "scan":
            return self._scan
        if name in ("cond", "cond_vjp"):  # torch.cond on a traced value: lax.cond (see jax_cond)
            from . import jax_cond

            return getattr(jax_cond, name)
        if name == "solve_triangular":
            return self._solve_triangular
        if name == "at_set":
            return lambda x, index, value: x.at[index].set(value)
        if name == "at_add":
            return lambda x, index, value: x.at[index].add(value)
        return None

    def _solve_triangular(self, a: Any, b: Any, upper: bool, left: bool = True, unitriangular: bool = False) -> Any:
        """``jax.scipy.linalg.solve_triangular`` over broadcast batch dimensions; ``X A = B`` as ``Aᵀ Xᵀ = Bᵀ``."""
        from jax.scipy.linalg import solve_triangular

        jnp = self.xp
        batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = jnp.broadcast_to(a, batch + a.shape[-2:])
        b = jnp.broadcast_to(b, batch + b.shape[-2:])
        if left:
            return solve_triangular(a, b, lower=not upper, unit_diagonal=unitriangular)
        return jnp.matrix_transpose(solve_triangular(a, jnp.matrix_transpose(b), trans=1, lower=not upper,
                                                     unit_diagonal=unitriangular))

    def _scan(self, step: Callable[..., Any], carry: Any, xs: tuple[Any, ...], length: int,
              reverse: bool = False) -> Any:
        """``jax.lax.scan`` while tracing (one loop in the program); eagerly the portable Python loop, which
        runs without compiling the body once per call."""
        tracer = self.jax.core.Tracer
        if any(isinstance(a, tracer) for a in self.jax.tree_util.tree_leaves((carry, xs))):
            return self.jax.lax.scan(step, carry, xs, length=length, reverse=reverse)
        from .portable.loops import scan

        return scan(self.xp, step, carry, xs, length, reverse)

    def synchronize(self) -> None:
        (self.xp.zeros(()) + 0).block_until_ready()

    # -- compiled steps and JAX's own derivatives ------------------------------------------------------
    def step_compiler(self) -> Any:
        from .jax_compile import JaxTracer

        return JaxTracer(self)

    def derivative(self, fn: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
        """``jax.grad(fn, argnums)``: composes with ``jax.grad``, ``jax.jacfwd``, ``jax.hessian``, ``jax.vmap``."""
        return self.jax.grad(fn, argnums)

    # -- devices: "cpu" and "cuda:i" are JAX's own cpu and gpu platforms ------------------------------
    def device_parts(self) -> tuple[str, int | None]:
        platform = str(getattr(self.device, "platform", "cpu"))
        index = getattr(self.device, "id", None)
        return ("cuda" if platform == "gpu" else platform), (index if platform == "gpu" else None)

    def device_key(self, kind: str, index: int | None) -> str:
        if kind == "cpu":
            return "jax:cpu"
        if kind != "cuda":
            return super().device_key(kind, index)
        return f"jax:{kind}:{index}" if index is not None else f"jax:{kind}"
