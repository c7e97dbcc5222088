"""Standard-only versions of the fast paths: slower, but they run on any array API library."""

from __future__ import annotations

import math
from typing import Any


def erf(xp: Any, x: Any) -> Any:
    """Error function, accurate to ~1e-15 relative in float64, using only standard functions.

    |x| < 0.5 uses the Maclaurin series; larger |x| uses W. J. Cody's rational approximation of
    ``erfc`` (Math. Comp. 1969), the same split as most C libraries.
    """
    a = xp.abs(x)
    small = _erf_series(xp, xp.minimum(a, 0.5))
    large = 1.0 - _erfc_cody(xp, xp.maximum(a, 0.5))
    result = xp.where(a < 0.5, small, large)
    return xp.where(x < 0, -result, result)


def _erf_series(xp: Any, a: Any) -> Any:
    # sum_n (-1)^n a^(2n+1) / (n! (2n+1)) * 2/sqrt(pi); 14 terms reach 1e-17 for a <= 0.5
    a2 = a * a
    term = a
    total = a
    for n in range(1, 14):
        term = term * (-a2) / n
        total = total + term / (2 * n + 1)
    return total * (2.0 / math.sqrt(math.pi))


_P1 = (5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2,
       8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
       2.15311535474403846e-8)
_Q1 = (1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
       3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3)
_P2 = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
       1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q2 = (2.56852019228982242, 1.87295284992346725, 5.27905102951428412e-1, 6.05183413124413191e-2,
       2.33520497626869185e-3)


def _erfc_cody(xp: Any, a: Any) -> Any:
    """erfc(a) for a >= 0.5 (Cody's intervals 0.5..4 and > 4)."""
    # erfc underflows to 0 in float64 past a ~ 27.3: clamping keeps a = inf from giving inf/inf = nan
    a = xp.minimum(a, 30.0)
    # interval 0.5 <= a <= 4
    num = _P1[8] * a
    den = a
    for i in range(7):
        num = (num + _P1[i]) * a
        den = (den + _Q1[i]) * a
    mid = (num + _P1[7]) / (den + _Q1[7])
    # a > 4: asymptotic rational form in 1/a^2
    z = 1.0 / (a * a)
    num = _P2[5] * z
    den = z
    for i in range(4):
        num = (num + _P2[i]) * z
        den = (den + _Q2[i]) * z
    tail = z * (num + _P2[4]) / (den + _Q2[4])
    tail = (1.0 / math.sqrt(math.pi) - tail) / a
    factor = xp.where(a <= 4.0, mid, tail)
    # exp(-a^2) computed as exp(-r^2) * exp(-(a-r)(a+r)) with r = a rounded to 1/16, as Cody does
    r = xp.floor(a * 16.0) / 16.0
    return xp.exp(-r * r) * xp.exp(-(a - r) * (a + r)) * factor


def scatter_add(xp: Any, index: Any, values: Any, num_rows: int) -> Any:
    """Sum rows of ``values`` (n, ...) into a (num_rows, ...) array at ``index`` (n,), duplicates add.

    A one-hot matmul: ``onehot(index).T @ values``, which accumulates duplicates exactly.
    """
    rows = xp.arange(num_rows, dtype=index.dtype, device=_device(values))
    onehot = xp.astype(index[:, None] == rows[None, :], values.dtype)  # (n, num_rows)
    flat = xp.reshape(values, (values.shape[0], -1))
    out = onehot.mT @ flat
    return xp.reshape(out, (num_rows,) + tuple(values.shape[1:]))


def sliding_window_view(xp: Any, x: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    """Windows of ``x`` along ``axis`` appended as trailing dimensions, built from strided slices."""
    for size, ax in zip(window_shape, axis):
        ax = ax % x.ndim
        length = x.shape[ax] - size + 1
        slices = []
        for offset in range(size):
            index = [slice(None)] * x.ndim
            index[ax] = slice(offset, offset + length)
            slices.append(x[tuple(index)])
        x = xp.stack(slices, axis=-1)
    return x


def _device(x: Any) -> Any:
    from array_api_compat import device

    return device(x)


def matmul(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b``: the layers' matrix products, so that a backend may take a cheaper route to the same result."""
    return a @ b


# -- fused elementwise steps: one kernel each where a backend can compile them (CuPy) ------------
def relu_grad(xp: Any, g: Any, out: Any) -> Any:
    """Gradient of ReLU from its saved output: ``g`` where ``out > 0``, else 0."""
    return g * xp.astype(out > 0, g.dtype)


def sigmoid(xp: Any, x: Any) -> Any:
    """``exp(min(x, 0)) / (1 + exp(-|x|))``: finite for any input and free of ``where``.

    For x >= 0 it is ``1 / (1 + e^-x)``, for x < 0 ``e^x / (1 + e^x)``; neither exponent is positive,
    so nothing overflows (``where`` on a random mask is ~10x slower than ``exp`` on NumPy).
    """
    return xp.exp(xp.minimum(x, 0.0)) / (1.0 + xp.exp(-xp.abs(x)))


def sigmoid_grad(xp: Any, g: Any, s: Any) -> Any:
    """Gradient of the sigmoid from its output ``s``: ``g * s * (1 - s)``."""
    return g * s * (1.0 - s)


def tanh_grad(xp: Any, g: Any, t: Any) -> Any:
    """Gradient of tanh from its output ``t``: ``g * (1 - t^2)``."""
    return g * (1.0 - t * t)


def adam_moments(xp: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float) -> None:
    """Adam's moment updates in place: ``m += (1-b1)(g - m)`` (PyTorch's lerp), ``v = b2 v + (1-b2) g^2``."""
    scratch = grad - m
    scratch *= 1.0 - beta1
    m += scratch
    v *= beta2
    scratch = grad * grad
    scratch *= 1.0 - beta2
    v += scratch


def adam_step(xp: Any, param: Any, grad: Any, m: Any, v: Any, beta1: float, beta2: float, step_size: float,
              correction2: float, eps: float) -> None:
    """One Adam update of writeable arrays, in place (all the same shape):

    ``m += (1-b1)(g - m)``; ``v = b2 v + (1-b2) g^2``; ``param -= step_size * m / (sqrt(v)/correction2 + eps)``,
    the last computed as ``(step_size * correction2) * m / (sqrt(v) + eps * correction2)``: one pass fewer.
    """
    adam_moments(xp, grad, m, v, beta1, beta2)
    denom = xp.sqrt(v)
    denom += eps * correction2
    update = m / denom
    update *= step_size * correction2
    param -= update


def lstm_step(xp: Any, pre: Any, c: Any, inplace: bool, record: bool = True) -> tuple[Any, Any, Any, Any, Any]:
    """The pointwise part of one LSTM step, feature-major, as `RecurrentSequence` runs it.

    ``pre`` (4H, N) are the gate pre-activations with the i, f, o rows already halved, so that
    ``sigmoid(z) = 0.5 tanh(z / 2) + 0.5`` needs one ``tanh`` for all four gates; ``c`` (H, N) is the
    previous cell state or ``None`` for zeros. ``inplace`` allows updating ``pre`` and fresh arrays;
    without ``record`` (no backward to come) ``partners`` and ``through_h`` are ``None``.

    Returns ``(h_cell, c_new, f, partners, through_h)``: the new hidden and cell states (H, N), the forget
    gate, ``partners`` (4H, N) = ``[g, c, i, tanh(c_new)] * s (1 - s)`` (the factors of the gate gradients,
    with ``s`` each block's sigmoid, ``(g + 1) / 2`` on the g block), and ``through_h = o - h tanh(c_new)``.
    """
    n = pre.shape[0] // 4
    act = xp.tanh(pre)
    g = act[2 * n:3 * n, ...]
    if inplace:
        g = xp.asarray(g, copy=True)  # tanh of the g block is the gate itself
        act *= 0.5
        act += 0.5
    else:
        act = act * 0.5 + 0.5
    i, f, o = act[:n, ...], act[n:2 * n, ...], act[3 * n:, ...]
    if c is None:
        c_new = i * g
    elif inplace:
        c_new = f * c
        c_new += i * g
    else:
        c_new = f * c + i * g
    tanh_c = xp.tanh(c_new)
    h_cell = o * tanh_c
    if not record:
        return h_cell, c_new, f, None, None
    partners = xp.concat([g, xp.zeros_like(g) if c is None else c, i, tanh_c], axis=0)
    slope = 1.0 - act
    if inplace:
        slope *= act
        partners *= slope
    else:
        partners = partners * (slope * act)
    return h_cell, c_new, f, partners, o - h_cell * tanh_c


def lstm_step_backward(xp: Any, dh: Any, carry: Any, f: Any, partners: Any, through_h: Any,
                       inplace: bool) -> tuple[Any, Any]:
    """Backward of `lstm_step` for one time step, feature-major.

    ``dh`` (H, N) is dL/dh_cell, ``carry`` (H, N) dL/dc from the later steps (or ``None``). Returns
    ``(d_pre, carry_before)``: ``d_pre`` (4H, N) = ``[dc; dc; dc; dh] * partners`` (the g block still
    to be multiplied by 4, which the caller folds into the weights) and ``dc * f``, the carry for the
    step before, where ``dc = dh * through_h + carry``.
    """
    dc = dh * through_h
    if carry is not None:
        if inplace:
            dc += carry
        else:
            dc = dc + carry
    d_pre = xp.concat([dc, dc, dc, dh], axis=0)
    if inplace:
        d_pre *= partners
    else:
        d_pre = d_pre * partners
    return d_pre, dc * f


def at_set(xp: Any, x: Any, index: Any, value: Any) -> Any:
    """A new array: ``x`` with ``x[index] = value``, for arrays that cannot be written (standard only).

    ``index`` is basic (ints, slices of any step, ``...``); ``value`` broadcasts to ``x[index]``. Each axis
    the index narrows gets a ``take`` that spreads ``value`` over ``x``'s positions, and a ``where`` keeps
    ``x`` outside the written block.
    """
    spread, inside = _spread(xp, x, index, value)
    if spread is None:
        return x
    return spread if inside is None else xp.where(inside, spread, x)


def at_add(xp: Any, x: Any, index: Any, value: Any) -> Any:
    """A new array: ``x`` with ``x[index] += value`` (basic index, standard only; see `at_set`)."""
    spread, inside = _spread(xp, x, index, value)
    if spread is None:
        return x
    return x + spread if inside is None else xp.where(inside, x + spread, x)


def _spread(xp: Any, x: Any, index: Any, value: Any) -> tuple[Any, Any]:
    """``value`` laid out over ``x``'s shape at ``index``, and the boolean mask of the written block
    (``None`` when the index covers all of ``x``); ``(None, None)`` when the block is empty."""
    shape = tuple(x.shape)
    axes = _basic_axes(index if isinstance(index, tuple) else (index,), len(shape), "at_set/at_add")
    dev = _device(x)
    picked = tuple(len(range(*item.indices(size))) if isinstance(item, slice) else None
                   for item, size in zip(axes, shape))
    block = tuple(n for n in picked if n is not None)
    if 0 in block:
        return None, None
    if not hasattr(value, "shape"):
        value = xp.asarray(value, dtype=x.dtype, device=dev)
    elif value.dtype != x.dtype:
        value = xp.astype(value, x.dtype)
    value = xp.broadcast_to(value, block)
    # integer indices removed an axis: put it back (size 1) so every axis of x has one of value
    value = xp.reshape(value, tuple(1 if n is None else n for n in picked))
    inside = None
    for axis, (item, size) in enumerate(zip(axes, shape)):
        positions = list(range(*item.indices(size))) if isinstance(item, slice) else [item % size]
        if positions == list(range(size)):
            continue
        source = [0] * size
        hit = [False] * size
        for j, p in enumerate(positions):
            source[p], hit[p] = j, True
        value = xp.take(value, xp.asarray(source, dtype=xp.int64, device=dev), axis=axis)
        along = xp.reshape(xp.asarray(hit, dtype=xp.bool, device=dev),
                           tuple(size if a == axis else 1 for a in range(len(shape))))
        inside = along if inside is None else inside & along
    return xp.broadcast_to(value, shape), inside


def _basic_axes(index: tuple[Any, ...], ndim: int, name: str) -> tuple[Any, ...]:
    """A basic index as one int or slice per axis (``...`` and missing trailing axes spelt out)."""
    for item in index:
        if not (item is Ellipsis or isinstance(item, (int, slice))) or isinstance(item, bool):
            raise TypeError(f"{name}: the standard-only write takes ints, slices and '...', got {item!r}; "
                            f"other indices need the backend's fast path")
    if sum(item is Ellipsis for item in index) > 1:
        raise IndexError(f"{name}: an index can only have a single ellipsis ('...')")
    named = sum(item is not Ellipsis for item in index)
    if named > ndim:
        raise IndexError(f"{name}: too many indices for an array of rank {ndim}")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (ndim - named) + index[at + 1:]
    return tuple(index) + (slice(None),) * (ndim - len(index))
