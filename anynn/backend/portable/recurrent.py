"""The LSTM step and its backward, feature-major: the portable form of the fused CUDA kernels."""

from __future__ import annotations

from ..typing import Array, Namespace


def lstm_step(xp: Namespace, pre: Array, c: Array, inplace: bool,
              record: bool = True) -> tuple[Array, Array, Array, Array, Array]:
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
    blocks = (g, xp.zeros_like(g) if c is None else c, i, tanh_c)
    slope = 1.0 - act
    if inplace:
        # partners built in the slope array one block at a time: no concatenated (4H, N) copy of the blocks
        slope *= act
        for k, block in enumerate(blocks):
            rows = slope[k * n:(k + 1) * n, ...]
            rows *= block
        partners = slope
    else:
        partners = xp.concat(blocks, axis=0) * (slope * act)
    return h_cell, c_new, f, partners, o - h_cell * tanh_c


def lstm_step_backward(xp: Namespace, dh: Array, carry: Array, f: Array, partners: Array, through_h: Array,
                       inplace: bool) -> tuple[Array, Array]:
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
    if not inplace:
        return xp.concat([dc, dc, dc, dh], axis=0) * partners, dc * f
    # every block times dc in one broadcast product (no concatenated copy of [dc; dc; dc; dh]), then the o block
    # rewritten with dh
    n, batch = dc.shape[0], dc.shape[1]
    d_pre = xp.reshape(xp.reshape(partners, (4, n, batch)) * dc, (4 * n, batch))
    d_pre[3 * n:, ...] = partners[3 * n:, ...] * dh
    return d_pre, dc * f
