"""Recurrent layers and cells: gradient checks on every backend, PyTorch as the oracle, error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.recurrent import gru_cell, lstm_cell, recurrent_sequence, rnn_cell
from anynn.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from tests.helpers import check_gradients, make

MODES = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
TOLERANCE = {"float64": dict(rtol=1e-5, atol=1e-7), "float32": dict(rtol=1e-4, atol=1e-5)}


def _weights(rng: np.random.Generator, mode: str, n_in: int, hidden: int) -> list[np.ndarray]:
    g = GATES[mode] * hidden
    # scale ~1 keeps every gate away from saturation, so each one moves the output
    return [rng.standard_normal((g, n_in)) * 0.8, rng.standard_normal((g, hidden)) * 0.8,
            rng.standard_normal(g) * 0.5, rng.standard_normal(g) * 0.5]


# -- the fused Functions: numerical gradients ------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_cell_step_gradients(backend, rng, mode):
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    weights = _weights(rng, mode, 3, 2)
    if mode == "lstm":
        check_gradients(backend, lambda *a: lstm_cell(*a), x, h, c, *weights)
    elif mode == "gru":
        check_gradients(backend, lambda *a: gru_cell(*a), x, h, *weights)
    else:
        check_gradients(backend, lambda *a: rnn_cell(*a, nonlinearity=mode[4:]), x, h, *weights)


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_sequence_gradients(backend, rng, mode, reverse):
    x, h0, c0 = rng.standard_normal((3, 2, 2)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    weights = _weights(rng, mode, 2, 2)
    if mode == "lstm":
        check_gradients(backend, lambda x, h, c, *w: recurrent_sequence(mode, x, h, c, *w, reverse=reverse),
                        x, h0, c0, *weights)
    else:
        check_gradients(backend, lambda x, h, *w: recurrent_sequence(mode, x, h, None, *w, reverse=reverse),
                        x, h0, *weights)


def _layer(mode: str, n_in: int, hidden: int, **kwargs):
    if mode == "lstm":
        return LSTM(n_in, hidden, **kwargs)
    if mode == "gru":
        return GRU(n_in, hidden, **kwargs)
    return RNN(n_in, hidden, nonlinearity=mode[4:], **kwargs)


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_stacked_bidirectional_layer_gradients(backend, rng, mode):
    """Two layers, both directions, batch first, given initial states: gradients of input and states."""
    layer = _layer(mode, 2, 2, num_layers=2, bidirectional=True, batch_first=True, seed=0)
    layer.to(backend, dtype="float64")
    x, h0, c0 = rng.standard_normal((2, 3, 2)), rng.standard_normal((4, 2, 2)), rng.standard_normal((4, 2, 2))
    if mode == "lstm":
        check_gradients(backend, lambda x, h, c: (lambda o: (o[0], o[1][0], o[1][1]))(layer(x, (h, c))), x, h0, c0)
    else:
        check_gradients(backend, lambda x, h: layer(x, h), x, h0)


def test_layer_weight_gradients(rng):
    """Every weight of a stacked bidirectional LSTM through the whole layer (NumPy; torch checks the rest)."""
    layer = LSTM(2, 2, num_layers=2, bidirectional=True, seed=0).to("numpy", dtype="float64")
    names = [n for n, _ in layer.named_parameters()]
    values = [p.numpy() for p in layer.parameters()]
    x = rng.standard_normal((3, 1, 2))

    def run(x, *weights):
        for name, w in zip(names, weights):
            layer._parameters[name] = w
            object.__setattr__(layer, name, w)
        out, (h_n, c_n) = layer(x)
        return out, h_n, c_n

    check_gradients("numpy", run, x, *values)


# -- PyTorch as the oracle ----------------------------------------------------------------------------

def _torch_layer(mode: str, n_in: int, hidden: int, **kwargs) -> torch.nn.Module:
    if mode == "lstm":
        return torch.nn.LSTM(n_in, hidden, **kwargs)
    if mode == "gru":
        return torch.nn.GRU(n_in, hidden, **kwargs)
    return torch.nn.RNN(n_in, hidden, nonlinearity=mode[4:], **kwargs)


def _compare(backend, ours, theirs, x: np.ndarray, states: list[np.ndarray], unpack, dtype: str) -> None:
    """Copy weights, run both, compare every output and the gradients of input, states and weights."""
    tol = TOLERANCE[dtype]
    theirs = theirs.to(getattr(torch, dtype))
    ours.to(backend, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = x.astype(dtype)
    states = [s.astype(dtype) for s in states]
    ours_in = [make(backend, a, requires_grad=True) for a in [x] + states]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in [x] + states]
    outs, refs = unpack(ours, ours_in), unpack(theirs, theirs_in)
    rng = np.random.default_rng(0)
    loss, ref_loss = 0.0, 0.0
    for i, (o, r) in enumerate(zip(outs, refs)):
        np.testing.assert_allclose(o.numpy(), r.detach().numpy(), err_msg=f"output {i}", **tol)
        w = rng.standard_normal(tuple(r.shape)).astype(dtype)
        loss = loss + (o * make(backend, w)).sum()
        ref_loss = ref_loss + (r * torch.tensor(w)).sum()
    loss.backward()
    ref_loss.backward()
    for i, (a, t) in enumerate(zip(ours_in, theirs_in)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), err_msg=f"gradient of input {i}", **tol)
    reference = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(reference)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), reference[name].grad.numpy(), err_msg=f"gradient of {name}",
                                   **tol)


def _call_layer(mode: str):
    def unpack(module, inputs):
        x, *states = inputs
        hx = None if not states else (tuple(states) if mode == "lstm" else states[0])
        out, h = module(x) if hx is None else module(x, hx)
        return [out] + (list(h) if mode == "lstm" else [h])
    return unpack


CONFIGS = {
    "plain": dict(kwargs={}, shape=(4, 2, 3), states=False),
    "stacked": dict(kwargs=dict(num_layers=2, bidirectional=True, batch_first=True), shape=(2, 4, 3), states=True),
    "no-bias": dict(kwargs=dict(bias=False, num_layers=2), shape=(4, 2, 3), states=True),
    "unbatched": dict(kwargs=dict(bidirectional=True), shape=(4, 3), states=True),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch(backend, rng, mode, config, dtype):
    spec = CONFIGS[config]
    kwargs, hidden = spec["kwargs"], 5
    ours, theirs = _layer(mode, 3, hidden, **kwargs), _torch_layer(mode, 3, hidden, **kwargs)
    x = rng.standard_normal(spec["shape"])
    states = []
    if spec["states"]:
        lead = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        batch = () if len(spec["shape"]) == 2 else (spec["shape"][0 if kwargs.get("batch_first") else 1],)
        states = [rng.standard_normal((lead,) + batch + (hidden,)) for _ in range(2 if mode == "lstm" else 1)]
    _compare(backend, ours, theirs, x, states, _call_layer(mode), dtype)


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_cell_matches_torch(backend, rng, mode, batched):
    dtype = "float64" if batched else "float32"
    if mode == "lstm":
        ours, theirs = LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)
    elif mode == "gru":
        ours, theirs = GRUCell(3, 4), torch.nn.GRUCell(3, 4)
    else:
        ours, theirs = RNNCell(3, 4, nonlinearity=mode[4:]), torch.nn.RNNCell(3, 4, nonlinearity=mode[4:])
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (3,))
    states = [rng.standard_normal(lead + (4,)) for _ in range(2 if mode == "lstm" else 1)]

    def unpack(module, inputs):
        x, *s = inputs
        out = module(x, tuple(s)) if mode == "lstm" else module(x, s[0])
        return list(out) if mode == "lstm" else [out]

    _compare(backend, ours, theirs, x, states, unpack, dtype)


def test_cell_without_state_matches_zero_state(rng):
    cell = LSTMCell(3, 4, seed=1)
    x = make("numpy", rng.standard_normal((2, 3)).astype(np.float32))
    zeros = anynn.zeros((2, 4))
    for a, b in zip(cell(x), cell(x, (zeros, zeros))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# -- init, dropout, errors -----------------------------------------------------------------------

def test_init_is_pytorch_range_and_same_on_every_backend(backend):
    layer = GRU(3, 16, num_layers=2, bidirectional=True, seed=7).to(backend)
    reference = GRU(3, 16, num_layers=2, bidirectional=True, seed=7)
    for (name, p), q in zip(layer.named_parameters(), reference.parameters()):
        values = p.numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= 0.25, name
        np.testing.assert_array_equal(values, q.numpy(), err_msg=name)
    assert tuple(layer.weight_ih_l1_reverse.shape) == (48, 32)


def test_dropout_between_layers_only_in_training(backend, rng):
    layer = LSTM(3, 4, num_layers=2, dropout=0.5, seed=0).to(backend)
    x = make(backend, rng.standard_normal((5, 2, 3)).astype(np.float32), requires_grad=True)
    train_out = layer(x)[0]
    train_out.sum().backward()
    assert x.grad is not None and layer.weight_ih_l0.grad is not None
    layer.eval()
    eval_out = layer(x)[0]
    assert not np.allclose(train_out.numpy(), eval_out.numpy())
    np.testing.assert_array_equal(eval_out.numpy(), layer(x)[0].numpy())
    single = LSTM(3, 4, dropout=0.5, seed=0).to(backend)  # one layer: nothing to drop between
    np.testing.assert_array_equal(single(x)[0].numpy(), single.eval()(x)[0].numpy())


def test_errors_name_layer_and_shapes():
    lstm = LSTM(3, 4, num_layers=2)
    x = anynn.tensor(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"LSTM: expected input with 3 features .*got shape \(5, 2, 7\)"):
        lstm(anynn.tensor(np.zeros((5, 2, 7), np.float32)))
    with pytest.raises(ValueError, match=r"LSTM: expected 2-D or 3-D input, got 4-D"):
        lstm(anynn.tensor(np.zeros((1, 5, 2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"LSTM: expected h0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        lstm(x, (anynn.zeros((1, 2, 4)), anynn.zeros((2, 2, 4))))
    with pytest.raises(ValueError, match=r"LSTM: expected c0 of shape \(2, 2, 4\), got \(2, 2, 5\)"):
        lstm(x, (anynn.zeros((2, 2, 4)), anynn.zeros((2, 2, 5))))
    with pytest.raises(ValueError, match=r"GRU: expected h0 of shape \(2, 2, 4\), got \(2, 4\)"):
        GRU(3, 4, bidirectional=True)(x, anynn.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"GRUCell: expected h of shape \(2, 4\), got \(3, 4\)"):
        GRUCell(3, 4)(x[0], anynn.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"RNNCell: expected input with 3 features"):
        RNNCell(3, 4)(anynn.zeros((2, 5)))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("use", ["out", "h_n", "c_n", "last_h", "h_then_out", "out_then_c_then_h"])
def test_gradients_whatever_outputs_are_used(rng, use):
    """Stacked layers: the gradient is right whichever outputs the loss reads, in whichever order."""
    ours, theirs = LSTM(3, 4, num_layers=3, bidirectional=True), torch.nn.LSTM(3, 4, num_layers=3, bidirectional=True)
    pick = {"out": lambda o, h, c: [o], "h_n": lambda o, h, c: [h], "c_n": lambda o, h, c: [c],
            "last_h": lambda o, h, c: [h[-1]], "h_then_out": lambda o, h, c: [h, o],
            "out_then_c_then_h": lambda o, h, c: [o, c, h]}[use]

    def unpack(module, inputs):
        out, (h, c) = module(inputs[0])
        return pick(out, h, c)

    _compare("numpy", ours, theirs, rng.standard_normal((4, 2, 3)), [], unpack, "float64")
