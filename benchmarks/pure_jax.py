"""Hand-written pure-JAX training steps: one ``jax.jit`` function per workload, manual SGD/Adam, donated state.

What a user would write instead of a framework for a small compiled model: the baseline of the
"anynn compiled (jax)" column. Float32 throughout; ``backend`` "cupy" means JAX on the GPU if it has one.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from workloads import ADAM_LR, cycle


def _init(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    bound = 1 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def _params(name: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if name.startswith("mlp"):
        sizes = [784, 512, 256, 10]
        return {f"{k}{i}": _init(rng, (sizes[i], sizes[i + 1]) if k == "w" else (sizes[i + 1],), sizes[i])
                for i in range(3) for k in ("w", "b")}
    if name == "xor":
        return {"w0": _init(rng, (2, 8), 2), "b0": _init(rng, (8,), 2), "w1": _init(rng, (8, 1), 8),
                "b1": _init(rng, (1,), 8)}
    if name == "cnn":
        return {"c0": _init(rng, (32, 1, 3, 3), 9), "cb0": _init(rng, (32,), 9),
                "c1": _init(rng, (64, 32, 3, 3), 288), "cb1": _init(rng, (64,), 288),
                "w0": _init(rng, (1600, 128), 1600), "b0": _init(rng, (128,), 1600),
                "w1": _init(rng, (128, 10), 128), "b1": _init(rng, (10,), 128)}
    if name == "lstm":
        return {"wi": _init(rng, (28, 512), 128), "wh": _init(rng, (128, 512), 128), "b": _init(rng, (512,), 128),
                "w": _init(rng, (128, 10), 128), "bo": _init(rng, (10,), 128)}
    raise KeyError(name)


def _forward(name: str, p: dict[str, Any], x: Any) -> Any:
    import jax
    import jax.numpy as jnp

    if name.startswith("mlp"):
        h = jax.nn.relu(x @ p["w0"] + p["b0"])
        h = jax.nn.relu(h @ p["w1"] + p["b1"])
        return h @ p["w2"] + p["b2"]
    if name == "xor":
        return jnp.tanh(x @ p["w0"] + p["b0"]) @ p["w1"] + p["b1"]
    if name == "cnn":
        def conv(h, w, b):
            out = jax.lax.conv_general_dilated(h, w, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))
            return jax.nn.relu(out + b[None, :, None, None])

        def pool(h):
            return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

        h = pool(conv(x, p["c0"], p["cb0"]))
        h = pool(conv(h, p["c1"], p["cb1"])).reshape(x.shape[0], -1)
        return jax.nn.relu(h @ p["w0"] + p["b0"]) @ p["w1"] + p["b1"]
    if name == "lstm":
        hidden = p["wh"].shape[0]

        def cell(carry, xt):
            h, c = carry
            gates = xt @ p["wi"] + h @ p["wh"] + p["b"]
            i, f, g, o = jnp.split(gates, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((x.shape[0], hidden), x.dtype)
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(x, 0, 1))
        return h @ p["w"] + p["bo"]
    raise KeyError(name)


def build(workload: Any, backend: str, data: tuple[np.ndarray, np.ndarray]) -> Callable[[], Any]:
    import jax
    import jax.numpy as jnp

    device = jax.devices("gpu")[0] if backend == "cupy" else jax.devices("cpu")[0]
    name = workload.name
    x_host, y_host = data
    put = lambda a: jax.device_put(a, device)  # noqa: E731
    next_batch = cycle([put(a) for a in x_host], [put(a) for a in y_host])
    params = {k: put(v) for k, v in _params(name, np.random.default_rng(0)).items()}

    def loss_of(p: dict[str, Any], x: Any, y: Any) -> Any:
        out = _forward(name, p, x)
        if name == "xor":
            return jnp.mean((out - y) ** 2)
        logp = jax.nn.log_softmax(out, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    if name == "xor":
        @jax.jit
        def sgd(p: dict[str, Any], x: Any, y: Any) -> Any:
            loss, g = jax.value_and_grad(loss_of)(p, x, y)
            return jax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, g), loss

        step_fn = jax.jit(sgd, donate_argnums=(0,))
        state = {"p": params}

        def step() -> Any:
            x, y = next_batch()
            state["p"], loss = step_fn(state["p"], x, y)
            return loss.block_until_ready()

        return step

    b1, b2, eps = 0.9, 0.999, 1e-8

    def adam(p: dict[str, Any], m: dict[str, Any], v: dict[str, Any], t: Any, x: Any, y: Any) -> Any:
        loss, g = jax.value_and_grad(loss_of)(p, x, y)
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        step_size = (ADAM_LR / (1 - b1**t)).astype(jnp.float32)
        c2 = jnp.sqrt(1 - b2**t).astype(jnp.float32)
        p = jax.tree_util.tree_map(lambda a, mm, vv: a - step_size * mm / (jnp.sqrt(vv) / c2 + eps), p, m, v)
        return p, m, v, t, loss

    step_fn = jax.jit(adam, donate_argnums=(0, 1, 2))
    zeros = lambda: {k: jnp.zeros_like(a) for k, a in params.items()}  # noqa: E731
    state = {"p": params, "m": zeros(), "v": zeros(), "t": put(np.float32(0))}

    def step() -> Any:
        x, y = next_batch()
        state["p"], state["m"], state["v"], state["t"], loss = step_fn(state["p"], state["m"], state["v"],
                                                                      state["t"], x, y)
        return loss.block_until_ready()

    return step
