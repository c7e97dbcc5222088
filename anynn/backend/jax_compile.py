"""JAX's step compiler for `anynn.compile`: ``jax.jit`` with donated state, ``make_jaxpr`` to find unread inputs.

`JaxBackend.step_compiler()` returns a `JaxTracer`; `JaxBackend.derivative` is ``jax.grad``.
"""

from __future__ import annotations

import os
import re
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .step_compilers import StepTracer


class JaxTracer(StepTracer):
    """One ``jax.jit`` program per step structure; the state (first argument) donated to XLA."""

    mode = "jax"
    label = "jax"

    def __init__(self, backend: Any) -> None:
        super().__init__(backend)
        jax = self.jax = backend.jax
        self.host_read_errors = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                                 jax.errors.TracerIntegerConversionError)
        self.leaked_value_errors = (jax.errors.UnexpectedTracerError,)

    def describe_leak(self, error: BaseException) -> tuple[bool, str]:
        """(whether the leaked tracer was made inside a ``lax.cond`` branch, where it was made: the first frame of
        JAX's listing outside anynn, else the line JAX names) for an ``UnexpectedTracerError``."""
        text = str(error)
        in_branch = "traced for cond" in text
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
        frames = [line.strip() for line in text.splitlines() if re.match(r"\s*\S+\.py:\d+", line)]
        outside = [f for f in frames if not os.path.abspath(f.split(":", 1)[0]).startswith(package)]
        made = re.search(r"was created on line (\S+)", text)
        return in_branch, outside[0] if outside else made.group(1) if made else ""

    def jit(self, fn: Callable[..., Any], donate: bool) -> Callable[..., Any]:
        return self.jax.jit(fn, donate_argnums=(0,) if donate else ())

    @contextmanager
    def compiling(self) -> Iterator[None]:
        with warnings.catch_warnings():  # XLA may not reuse every donated buffer; fine
            warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
            yield

    def input_use(self, fn: Callable[..., Any], *args: Any) -> list[bool] | None:
        """From the program's jaxpr (a trace, no XLA compile): an input is read when an equation or an output
        uses it."""
        jaxpr = self.jax.make_jaxpr(fn)(*args).jaxpr
        used = {id(v) for eqn in jaxpr.eqns for v in eqn.invars}
        used.update(id(v) for v in jaxpr.outvars)
        if len(jaxpr.invars) != len(self.jax.tree_util.tree_leaves(args)):
            return None  # a layout this check does not know
        return [id(v) in used for v in jaxpr.invars]

    def strong(self, value: Any) -> Any:
        jnp = self.backend.xp
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return jnp.asarray(value, dtype=jnp.int64)
        if isinstance(value, float):
            return jnp.asarray(value, dtype=jnp.float64)
        if getattr(value, "weak_type", False) or getattr(getattr(value, "aval", None), "weak_type", False):
            return self.jax.lax.convert_element_type(value, value.dtype)
        return value
