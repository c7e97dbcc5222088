"""The fused sequence node's shortcuts: missing states as zeros, in-place updates, untouched inputs."""

from __future__ import annotations

import numpy as np
import pytest

import anynn.functional.recurrent as recurrent
from anynn.functional.recurrent import recurrent_sequence
from tests.helpers import check_gradients, make

MODES = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _inputs(rng: np.random.Generator, mode: str, proj: int = 0, length: int = 4, batch: int = 3, n_in: int = 2,
            hidden: int = 3) -> dict:
    g = GATES[mode] * hidden
    state = proj or hidden
    arrays = dict(x=rng.standard_normal((length, batch, n_in)), h0=rng.standard_normal((batch, state)),
                  c0=rng.standard_normal((batch, hidden)), w_ih=rng.standard_normal((g, n_in)) * 0.8,
                  w_hh=rng.standard_normal((g, state)) * 0.8, b_ih=rng.standard_normal(g) * 0.5,
                  b_hh=rng.standard_normal(g) * 0.5)
    if proj:
        arrays["w_hr"] = rng.standard_normal((proj, hidden)) * 0.8
    return arrays


def _run(backend, mode: str, arrays: dict, reverse: bool, zero_states: str) -> tuple[list, list]:
    """Outputs and the gradients of every tensor input, with the states given, given as zeros, or None."""
    tensors = {k: make(backend, v, requires_grad=True) for k, v in arrays.items()}
    if zero_states == "none":
        h0, c0 = None, None
    elif zero_states == "zeros":
        h0 = make(backend, np.zeros_like(arrays["h0"]))
        c0 = make(backend, np.zeros_like(arrays["c0"]))
    else:
        h0, c0 = tensors["h0"], tensors["c0"]
    outs = recurrent_sequence(mode, tensors["x"], h0, c0 if mode == "lstm" else None, tensors["w_ih"],
                              tensors["w_hh"], tensors["b_ih"], tensors["b_hh"], reverse=reverse,
                              weight_hr=tensors.get("w_hr"))
    rng = np.random.default_rng(7)
    loss = None
    for o in outs:  # every output and every element counts
        term = (o * make(backend, rng.standard_normal(tuple(o.shape)))).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    used = [k for k in tensors if zero_states == "given" or k not in ("h0", "c0")]
    grads = [tensors[k].grad for k in used if mode == "lstm" or k != "c0"]
    return [o.numpy() for o in outs], [g.numpy() for g in grads]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", MODES + ["lstm_proj"])
def test_missing_states_are_zeros(backend, rng, mode, reverse):
    """``h0``/``c0`` = None gives the outputs and weight gradients of explicit zero states."""
    proj = 2 if mode == "lstm_proj" else 0
    mode = mode.replace("_proj", "")
    arrays = _inputs(rng, mode, proj)
    outs_none, grads_none = _run(backend, mode, arrays, reverse, "none")
    outs_zero, grads_zero = _run(backend, mode, arrays, reverse, "zeros")
    for a, b in zip(outs_none + grads_none, outs_zero + grads_zero):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_sequence_gradients_without_states(backend, rng, mode):
    arrays = _inputs(rng, mode, length=3, batch=2, hidden=2)
    weights = [arrays[k] for k in ("w_ih", "w_hh", "b_ih", "b_hh")]
    check_gradients(backend, lambda x, *w: recurrent_sequence(mode, x, None, None, *w), arrays["x"], *weights)


@pytest.mark.parametrize("proj", [0, 2])
@pytest.mark.parametrize("states", ["given", "none"])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_without_in_place_updates_is_the_same(monkeypatch, rng, reverse, states, proj):
    """The out-of-place branch (for backends whose arrays cannot be written) computes the same numbers."""
    arrays = _inputs(rng, "lstm", proj)
    outs, grads = _run("numpy", "lstm", arrays, reverse, states)
    monkeypatch.setattr(recurrent, "is_writeable", lambda a: False)
    outs_copy, grads_copy = _run("numpy", "lstm", arrays, reverse, states)
    for a, b in zip(outs + grads, outs_copy + grads_copy):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("proj", [0, 2])
def test_lstm_backward_leaves_its_arguments_alone(rng, proj):
    """In-place updates touch only arrays the node made: inputs and incoming gradients stay as they were."""
    arrays = _inputs(rng, "lstm", proj)
    tensors = {k: make("numpy", v, requires_grad=True) for k, v in arrays.items()}
    out, h_n, c_n = recurrent_sequence("lstm", tensors["x"], tensors["h0"], tensors["c0"], tensors["w_ih"],
                                       tensors["w_hh"], tensors["b_ih"], tensors["b_hh"],
                                       weight_hr=tensors.get("w_hr"))
    upstream = [rng.standard_normal(tuple(t.shape)) for t in (out, h_n, c_n)]
    kept = [u.copy() for u in upstream]
    node = out._ctx
    node.backward(node.backend.xp, *upstream)
    for u, k in zip(upstream, kept):
        np.testing.assert_array_equal(u, k)
    for name, t in tensors.items():
        np.testing.assert_array_equal(t.numpy(), arrays[name])
