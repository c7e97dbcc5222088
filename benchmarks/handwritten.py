"""Hand-written NumPy (or CuPy) training loops: the baseline a framework must not lose to.

Written the way a careful NumPy user would: float32 throughout, fused expressions, in-place Adam.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from workloads import ADAM_LR, cycle


def _xp(backend: str) -> Any:
    if backend == "cupy":
        import cupy

        return cupy
    return np


class Adam:
    def __init__(self, xp: Any, params: list[Any], lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.b1, self.b2, self.eps, self.t = params, lr, b1, b2, eps, 0
        self.m = [xp.zeros_like(p) for p in params]
        self.v = [xp.zeros_like(p) for p in params]
        self.xp = xp

    def step(self, grads: list[Any]) -> None:
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = math.sqrt(1 - self.b2**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * (g * g)
            p -= (self.lr / c1) * m / (self.xp.sqrt(v) / c2 + self.eps)


def _linear_init(rng: np.random.Generator, fan_in: int, fan_out: int, xp: Any) -> tuple[Any, Any]:
    bound = 1 / math.sqrt(fan_in)
    w = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
    b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return xp.asarray(w), xp.asarray(b)


def _softmax_xent_grad(xp: Any, logits: Any, labels: Any) -> tuple[Any, Any]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = xp.exp(shifted)
    probs = e / e.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = -xp.log(probs[xp.arange(n), labels]).mean()
    probs[xp.arange(n), labels] -= 1
    probs /= n
    return loss, probs


def build_mlp(xp: Any, x: Any, y: Any, infer: bool) -> Callable[[], Any]:
    rng = np.random.default_rng(0)
    sizes = [784, 512, 256, 10]
    params = []
    for fi, fo in zip(sizes[:-1], sizes[1:]):
        params.extend(_linear_init(rng, fi, fo, xp))
    w1, b1, w2, b2, w3, b3 = params
    if infer:
        def forward(x: Any, y: Any) -> Any:
            h1 = np.maximum(x @ w1 + b1, 0) if xp is np else xp.maximum(x @ w1 + b1, 0)
            h2 = xp.maximum(h1 @ w2 + b2, 0)
            return h2 @ w3 + b3

        return forward
    opt = Adam(xp, params, lr=ADAM_LR)

    def step(x: Any, y: Any) -> Any:
        h1 = xp.maximum(x @ w1 + b1, 0)
        h2 = xp.maximum(h1 @ w2 + b2, 0)
        loss, d3 = _softmax_xent_grad(xp, h2 @ w3 + b3, y)
        gw3, gb3 = h2.T @ d3, d3.sum(0)
        d2 = d3 @ w3.T
        d2 *= h2 > 0
        gw2, gb2 = h1.T @ d2, d2.sum(0)
        d1 = d2 @ w2.T
        d1 *= h1 > 0
        gw1, gb1 = x.T @ d1, d1.sum(0)
        opt.step([gw1, gb1, gw2, gb2, gw3, gb3])
        return loss

    return step


def build_xor(xp: Any, x: Any, y: Any) -> Callable[[], Any]:
    rng = np.random.default_rng(0)
    w1, b1 = _linear_init(rng, 2, 8, xp)
    w2, b2 = _linear_init(rng, 8, 1, xp)

    def step(x: Any, y: Any) -> Any:
        h = xp.tanh(x @ w1 + b1)
        out = h @ w2 + b2
        diff = out - y
        g = diff * (2.0 / diff.size)
        gw2, gb2 = h.T @ g, g.sum(0)
        dh = (g @ w2.T) * (1 - h * h)
        gw1, gb1 = x.T @ dh, dh.sum(0)
        for p, gp in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            p -= 0.1 * gp
        return diff

    return step


def _im2col(xp: Any, x: Any, k: int) -> Any:
    """x (N, C, H, W) → (N*OH*OW, C*k*k) for a stride-1 valid convolution."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    if xp is np:
        win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # N, C, OH, OW, k, k
    else:
        win = xp.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k), (n, oh, ow)


def _col2im(xp: Any, cols: Any, shape: tuple[int, ...], k: int) -> Any:
    """Adjoint of `_im2col`: cols (N*OH*OW, C*k*k) → (N, C, H, W)."""
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    cols = cols.reshape(n, oh, ow, c, k, k)
    out = xp.zeros(shape, dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i:i + oh, j:j + ow] += cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out


def _pool_forward(xp: Any, x: Any) -> tuple[Any, Any]:
    n, c, h, w = x.shape
    blocks = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    mask = blocks == out[:, :, :, None, :, None]
    return out, mask


def _pool_backward(xp: Any, g: Any, mask: Any, shape: tuple[int, ...]) -> Any:
    n, c, h, w = shape
    grad = xp.zeros(shape, dtype=g.dtype)
    grad[:, :, : h // 2 * 2, : w // 2 * 2] = (mask * g[:, :, :, None, :, None]).reshape(n, c, h // 2 * 2, w // 2 * 2)
    return grad


def build_cnn(xp: Any, x: Any, y: Any) -> Callable[[], Any]:
    rng = np.random.default_rng(0)
    k1, c1b = _linear_init(rng, 9, 32, xp)
    k2, c2b = _linear_init(rng, 32 * 9, 64, xp)
    w3, b3 = _linear_init(rng, 1600, 128, xp)
    w4, b4 = _linear_init(rng, 128, 10, xp)
    params = [k1, c1b, k2, c2b, w3, b3, w4, b4]
    opt = Adam(xp, params, lr=ADAM_LR)

    def step(x: Any, y: Any) -> Any:
        cols1, (n, oh1, ow1) = _im2col(xp, x, 3)
        z1 = (cols1 @ k1 + c1b).reshape(n, oh1, ow1, 32).transpose(0, 3, 1, 2)
        a1 = xp.maximum(z1, 0)
        p1, m1 = _pool_forward(xp, a1)
        cols2, (_, oh2, ow2) = _im2col(xp, p1, 3)
        z2 = (cols2 @ k2 + c2b).reshape(n, oh2, ow2, 64).transpose(0, 3, 1, 2)
        a2 = xp.maximum(z2, 0)
        p2, m2 = _pool_forward(xp, a2)
        flat = p2.reshape(n, -1)
        h = xp.maximum(flat @ w3 + b3, 0)
        loss, d4 = _softmax_xent_grad(xp, h @ w4 + b4, y)
        gw4, gb4 = h.T @ d4, d4.sum(0)
        dh = (d4 @ w4.T) * (h > 0)
        gw3, gb3 = flat.T @ dh, dh.sum(0)
        dp2 = (dh @ w3.T).reshape(p2.shape)
        da2 = _pool_backward(xp, dp2, m2, a2.shape) * (a2 > 0)
        dz2 = da2.transpose(0, 2, 3, 1).reshape(-1, 64)
        gk2, gc2 = cols2.T @ dz2, dz2.sum(0)
        dp1 = _col2im(xp, dz2 @ k2.T, p1.shape, 3)
        da1 = _pool_backward(xp, dp1, m1, a1.shape) * (a1 > 0)
        dz1 = da1.transpose(0, 2, 3, 1).reshape(-1, 32)
        gk1, gc1 = cols1.T @ dz1, dz1.sum(0)
        opt.step([gk1, gc1, gk2, gc2, gw3, gb3, gw4, gb4])
        return loss

    return step


def _sigmoid(xp: Any, z: Any) -> Any:
    return 0.5 * (xp.tanh(0.5 * z) + 1.0)


def build_lstm(xp: Any, x: Any, y: Any) -> Callable[[], Any]:
    rng = np.random.default_rng(0)
    hidden, features = 128, x.shape[2]
    bound = 1 / math.sqrt(hidden)
    w_ih = xp.asarray(rng.uniform(-bound, bound, (features, 4 * hidden)).astype(np.float32))
    w_hh = xp.asarray(rng.uniform(-bound, bound, (hidden, 4 * hidden)).astype(np.float32))
    bias = xp.asarray(rng.uniform(-bound, bound, 4 * hidden).astype(np.float32))
    w_out, b_out = _linear_init(rng, hidden, 10, xp)
    opt = Adam(xp, [w_ih, w_hh, bias, w_out, b_out], lr=ADAM_LR)
    n, steps = x.shape[0], x.shape[1]

    def step(x: Any, y: Any) -> Any:
        xw = (x.reshape(n * steps, features) @ w_ih + bias).reshape(n, steps, 4 * hidden)
        h = xp.zeros((n, hidden), np.float32)
        c = xp.zeros((n, hidden), np.float32)
        cache = []
        for t in range(steps):
            z = xw[:, t] + h @ w_hh
            i, f = _sigmoid(xp, z[:, :hidden]), _sigmoid(xp, z[:, hidden:2 * hidden])
            g, o = xp.tanh(z[:, 2 * hidden:3 * hidden]), _sigmoid(xp, z[:, 3 * hidden:])
            c_prev, h_prev = c, h
            c = f * c + i * g
            tc = xp.tanh(c)
            h = o * tc
            cache.append((i, f, g, o, c_prev, h_prev, tc))
        loss, dlogits = _softmax_xent_grad(xp, h @ w_out + b_out, y)
        gw_out, gb_out = h.T @ dlogits, dlogits.sum(0)
        dh = dlogits @ w_out.T
        dc = xp.zeros_like(dh)
        dz_all = xp.empty((n, steps, 4 * hidden), np.float32)
        gw_hh = xp.zeros_like(w_hh)
        for t in reversed(range(steps)):
            i, f, g, o, c_prev, h_prev, tc = cache[t]
            do = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            di, df, dg = dc * g, dc * c_prev, dc * i
            dz = dz_all[:, t]
            dz[:, :hidden] = di * i * (1 - i)
            dz[:, hidden:2 * hidden] = df * f * (1 - f)
            dz[:, 2 * hidden:3 * hidden] = dg * (1 - g * g)
            dz[:, 3 * hidden:] = do * o * (1 - o)
            gw_hh += h_prev.T @ dz
            dh = dz @ w_hh.T
            dc = dc * f
        flat = dz_all.reshape(n * steps, 4 * hidden)
        gw_ih = x.reshape(n * steps, features).T @ flat
        opt.step([gw_ih, gw_hh, flat.sum(0), gw_out, gb_out])
        return loss

    return step


def build(workload: Any, backend: str, data: tuple[np.ndarray, np.ndarray]) -> Callable[[], Any]:
    """``data`` holds pools (K, batch, ...); each call of the returned step takes the next batch."""

    xp = _xp(backend)
    next_batch = cycle([xp.asarray(a) for a in data[0]], [xp.asarray(a) for a in data[1]])
    x, y = next_batch()
    name = workload.name
    if name.startswith("mlp"):
        fn = build_mlp(xp, x, y, infer=name == "mlp_infer")
    elif name == "xor":
        fn = build_xor(xp, x, y)
    elif name == "cnn":
        fn = build_cnn(xp, x, y)
    elif name == "lstm":
        fn = build_lstm(xp, x, y)
    else:
        raise KeyError(name)
    def stepped() -> Any:
        out = fn(*next_batch())
        if xp is not np:
            xp.cuda.get_current_stream().synchronize()
        return out

    return stepped

