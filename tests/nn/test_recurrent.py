"""Recurrent layers and cells: gradient checks on every backend, PyTorch as the oracle (fixed cases, seeded
random configurations, seeded fuzzing), the fused sequence node's shortcuts, error messages."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
import anynn.functional.recurrent as recurrent
from anynn.functional.recurrent import gru_cell, lstm_cell, recurrent_sequence, rnn_cell
from anynn.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from tests.helpers import check_gradients, make
from tests.nn.oracle import FUZZ_TOL, TORCH_DTYPE, compare, compare_grads, fuzz_count, project, seed_dtype

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


# -- the fused sequence node's shortcuts: missing states as zeros, in-place updates, untouched inputs -


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


# -- seeded random configurations against torch.nn ----------------------------------------------------


def _rnn_pair(mode: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    if mode == "lstm":
        return LSTM(*args, **kwargs), torch.nn.LSTM(*args, **kwargs)
    if mode == "gru":
        return GRU(*args, **kwargs), torch.nn.GRU(*args, **kwargs)
    kw = dict(kwargs, nonlinearity=mode[4:])
    return RNN(*args, **kw), torch.nn.RNN(*args, **kw)


def _rnn_config(seed: int) -> dict[str, Any]:
    """The mode cycles with the seed; every other choice is drawn independently."""
    rng = np.random.default_rng(seed)

    def flag(p: float = 0.5) -> bool:
        return bool(rng.random() < p)

    hidden = int(rng.integers(1, 5))
    return dict(mode=MODES[seed % 4], input_size=int(rng.integers(1, 5)), hidden_size=hidden,
                num_layers=int(rng.integers(1, 4)), bidirectional=flag(), batch_first=flag(), bias=flag(0.75),
                with_state=flag(), unbatched=flag(0.2), length=int(rng.integers(1, 4)), batch=int(rng.integers(1, 3)),
                dropout=0.3 if flag(0.3) else 0.0,
                proj_size=int(rng.integers(1, hidden)) if seed % 4 == 2 and hidden > 1 and flag(0.6) else 0)


@pytest.mark.parametrize("seed", range(48))
def test_rnn_layers_match_torch(backend, seed):
    c = _rnn_config(seed)
    dtype = seed_dtype(backend, seed)
    torch.manual_seed(seed)
    kwargs = dict(num_layers=c["num_layers"], bias=c["bias"], batch_first=c["batch_first"], dropout=c["dropout"],
                  bidirectional=c["bidirectional"])
    proj = c["proj_size"] if c["proj_size"] < c["hidden_size"] else 0
    if proj:
        kwargs["proj_size"] = proj
    ours, theirs = _rnn_pair(c["mode"], c["input_size"], c["hidden_size"], **kwargs)
    rng = np.random.default_rng(100 + seed)
    n, length, d = c["batch"], c["length"], 2 if c["bidirectional"] else 1
    if c["unbatched"]:
        x_shape, h_shape = (length, c["input_size"]), (d * c["num_layers"], c["hidden_size"])
    else:
        x_shape = (n, length, c["input_size"]) if c["batch_first"] else (length, n, c["input_size"])
        h_shape = (d * c["num_layers"], n, c["hidden_size"])
    x = rng.standard_normal(x_shape)
    states = [rng.standard_normal(h_shape) for _ in range(2 if c["mode"] == "lstm" else 1)] if c["with_state"] else []
    if states and proj:  # h0 has proj_size features, c0 keeps hidden_size
        states[0] = rng.standard_normal(h_shape[:-1] + (proj,))

    def runner(module: Any) -> Callable[..., Any]:
        def run(x: Any, *s: Any) -> Any:
            if not s:
                return module(x)
            return module(x, tuple(s) if c["mode"] == "lstm" else s[0])
        return run

    compare(backend, ours, theirs, runner(ours), runner(theirs), [x] + states, dtype, seed=seed)


@pytest.mark.parametrize("seed", range(24))
def test_rnn_cells_match_torch(backend, seed):
    rng = np.random.default_rng(seed)
    mode = MODES[seed % 4]
    n_in, hidden, bias = int(rng.integers(1, 5)), int(rng.integers(1, 5)), bool((seed >> 2) & 1)
    with_state, unbatched, dtype = bool((seed >> 3) & 1), seed % 5 == 1, seed_dtype(backend, seed)
    torch.manual_seed(seed)
    if mode == "lstm":
        ours, theirs = LSTMCell(n_in, hidden, bias=bias), torch.nn.LSTMCell(n_in, hidden, bias=bias)
    elif mode == "gru":
        ours, theirs = GRUCell(n_in, hidden, bias=bias), torch.nn.GRUCell(n_in, hidden, bias=bias)
    else:
        kw = dict(bias=bias, nonlinearity=mode[4:])
        ours, theirs = RNNCell(n_in, hidden, **kw), torch.nn.RNNCell(n_in, hidden, **kw)
    lead = () if unbatched else (int(rng.integers(1, 4)),)
    x = rng.standard_normal(lead + (n_in,))
    states = [rng.standard_normal(lead + (hidden,)) for _ in range(2 if mode == "lstm" else 1)] if with_state else []

    def runner(module: Any) -> Callable[..., Any]:
        def run(x: Any, *s: Any) -> Any:
            if not s:
                return module(x)
            return module(x, tuple(s) if mode == "lstm" else s[0])
        return run

    compare(backend, ours, theirs, runner(ours), runner(theirs), [x] + states, dtype, seed=seed)


@pytest.mark.parametrize("reverse", [False, True])
def test_projected_lstm_sequence_gradients(backend, reverse):
    """``weight_hr`` (LSTM proj_size): numerical gradients of every input of the fused sequence node."""
    rng = np.random.default_rng(0)
    hidden, proj = 3, 2
    x, h0, c0 = rng.standard_normal((2, 2, 2)), rng.standard_normal((2, proj)), rng.standard_normal((2, hidden))
    w_ih, w_hh = rng.standard_normal((4 * hidden, 2)), rng.standard_normal((4 * hidden, proj))
    b_ih, b_hh, w_hr = rng.standard_normal(4 * hidden), rng.standard_normal(4 * hidden), rng.standard_normal((proj,
                                                                                                             hidden))
    check_gradients(backend, lambda x, h, c, wi, wh, bi, bh, wr: recurrent_sequence(
        "lstm", x, h, c, wi, wh, bi, bh, reverse=reverse, weight_hr=wr), x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)


def test_recurrent_layer_helpers_match_torch():
    ours = LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=1)
    theirs = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=1)
    assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == [[tuple(w.shape) for w in ws]
                                                                        for ws in theirs.all_weights]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.flatten_parameters()  # ported PyTorch code calls it
    for bad in (dict(proj_size=3), dict(proj_size=-1)):
        with pytest.raises(ValueError, match="proj_size"):
            LSTM(2, 3, **bad)
    with pytest.raises(ValueError, match=r"h0 of shape \(1, 1, 1\)"):  # h0 has proj_size features
        LSTM(2, 3, proj_size=1)(make("numpy", np.ones((2, 1, 2), dtype=np.float32)),
                                (make("numpy", np.zeros((1, 1, 3), dtype=np.float32)),
                                 make("numpy", np.zeros((1, 1, 3), dtype=np.float32))))


# -- seeded fuzzing against torch.nn ------------------------------------------------------------------


def _run_rnn(module: Any, mode: str, x: Any, states: list[Any]) -> list[Any]:
    if not states:
        out, h = module(x)
    else:
        out, h = module(x, tuple(states) if mode == "lstm" else states[0])
    return [out, *(h if isinstance(h, tuple) else (h,))]


@pytest.mark.parametrize("mode", MODES)
def test_recurrent_layers_fuzz(backend, mode):
    rng = np.random.default_rng(20 + MODES.index(mode))
    for i in range(fuzz_count(backend, 12)):
        hidden, n_in = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        length, batch, layers = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        kwargs = dict(num_layers=layers, bias=bool(rng.random() < 0.8), batch_first=bool(rng.random() < 0.5),
                      bidirectional=bool(rng.random() < 0.5), dropout=0.0)
        if mode == "lstm" and hidden > 1 and rng.random() < 0.5:
            kwargs["proj_size"] = int(rng.integers(1, hidden))
        unbatched, with_state = bool(rng.random() < 0.25), bool(rng.random() < 0.5)
        dtype = "float32" if i % 4 == 3 else "float64"
        what = (mode, n_in, hidden, kwargs, length, batch, unbatched, with_state, dtype)
        torch.manual_seed(i)
        ours, theirs = _rnn_pair(mode, n_in, hidden, **kwargs)
        theirs.to(TORCH_DTYPE[dtype])
        ours.to(backend, dtype=dtype)
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        d = 2 if kwargs["bidirectional"] else 1
        if unbatched:
            x_shape, lead = (length, n_in), (d * layers,)
        else:
            x_shape = (batch, length, n_in) if kwargs["batch_first"] else (length, batch, n_in)
            lead = (d * layers, batch)
        arrays = [rng.standard_normal(x_shape).astype(dtype)]
        if with_state:
            arrays.append(rng.standard_normal(lead + (kwargs.get("proj_size") or hidden,)).astype(dtype))
            if mode == "lstm":
                arrays.append(rng.standard_normal(lead + (hidden,)).astype(dtype))
        ours_in = [make(backend, a, requires_grad=True) for a in arrays]
        theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refs = _run_rnn(theirs, mode, theirs_in[0], theirs_in[1:])
        outs = _run_rnn(ours, mode, ours_in[0], ours_in[1:])
        loss_ours, loss_theirs = 0.0, 0.0
        for k, (out, ref) in enumerate(zip(outs, refs)):
            assert tuple(out.shape) == tuple(ref.shape), f"{what}: output {k}"
            np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg=f"{what}: output {k}",
                                       **FUZZ_TOL[dtype])
            w = rng.standard_normal(tuple(ref.shape)).astype(dtype)
            loss_ours = loss_ours + project(out, w, backend)
            loss_theirs = loss_theirs + (ref * torch.tensor(w)).sum()
        loss_ours.backward()
        loss_theirs.backward()
        params = dict(theirs.named_parameters())
        assert {n for n, _ in ours.named_parameters()} == set(params), what
        compare_grads(list(zip(ours_in, theirs_in)) + [(p, params[n]) for n, p in ours.named_parameters()],
                       dtype, what)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_refuses_empty_sequence_like_torch(mode, batch_first):
    ours, theirs = _rnn_pair(mode, 3, 4, batch_first=batch_first)
    shape = (2, 0, 3) if batch_first else (0, 2, 3)
    with pytest.raises(RuntimeError):
        theirs(torch.zeros(shape))
    with pytest.raises(ValueError, match="sequence length"):
        ours(anynn.tensor(np.zeros(shape, np.float32)))
    with pytest.raises(ValueError, match="sequence length"):
        ours(anynn.tensor(np.zeros((0, 3), np.float32)))


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("args, error", [((3, 0), ValueError), ((3, -1), ValueError), ((0, 3), ValueError),
                                         ((3, 2.5), TypeError)], ids=str)
def test_impossible_sizes_are_refused_as_torch(name, args, error):
    import torch

    with pytest.raises(error):
        getattr(torch.nn, name)(*args)
    with pytest.raises(error, match=rf"{name}: (input|hidden)_size"):
        getattr(anynn.nn, name)(*args)


def _complex_array(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("mode, kwargs, shape", [
    ("rnn_tanh", dict(num_layers=2, bidirectional=True), (4, 2, 3)),
    ("gru", dict(bias=False), (4, 2, 3)),
    ("lstm", dict(proj_size=2, batch_first=True), (2, 4, 3)),
    ("lstm", dict(bidirectional=True), (4, 3)),
], ids=["rnn-stacked-bidirectional", "gru-no-bias", "lstm-proj-batch-first", "lstm-unbatched-bidirectional"])
def test_complex_layers_match_torch(backend, rng, mode, kwargs, shape):
    """PyTorch runs its recurrent layers in complex128 on the CPU: the same outputs, and the same (conjugate-
    convention) gradients of the input and every weight for a real loss."""
    theirs = _torch_layer(mode, 3, 4, dtype=torch.complex128, **kwargs)
    ours = _layer(mode, 3, 4, **kwargs).to(backend, dtype="complex128")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _complex_array(rng, *shape)
    x_ours, x_theirs = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outs, refs = _call_layer(mode)(ours, [x_ours]), _call_layer(mode)(theirs, [x_theirs])
    loss, ref_loss = 0.0, 0.0
    for i, (o, r) in enumerate(zip(outs, refs)):
        assert o.numpy().dtype == np.complex128
        np.testing.assert_allclose(o.numpy(), r.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"output {i}")
        w = _complex_array(rng, *r.shape)
        loss = loss + (o * make(backend, w)).real.sum()
        ref_loss = ref_loss + (r * torch.tensor(w)).real.sum()
    loss.backward()
    ref_loss.backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    reference = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), reference[name].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of {name}")


@pytest.mark.parametrize("cell", ["RNNCell", "GRUCell", "LSTMCell"])
def test_complex_cells_match_torch_and_relu_is_refused_as_torch(backend, rng, cell):
    theirs = getattr(torch.nn, cell)(3, 4, dtype=torch.complex64)
    ours = getattr(anynn.nn, cell)(3, 4).to(backend, dtype="complex64")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _complex_array(rng, 2, 3).astype(np.complex64)
    x_ours, x_theirs = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(x_ours), theirs(x_theirs)
    out, ref = (out[0], ref[0]) if cell == "LSTMCell" else (out, ref)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.abs().sum().backward()
    ref.abs().sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-4, atol=1e-5)
    if cell == "RNNCell":
        relu = RNNCell(3, 4, nonlinearity="relu").to(backend, dtype="complex64")
        with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
            torch.nn.RNNCell(3, 4, nonlinearity="relu", dtype=torch.complex64)(torch.tensor(x))
        with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
            relu(make(backend, x))


def test_base_classes_are_pytorchs_for_isinstance_checks():
    """Programs test ``isinstance(m, nn.RNNBase)`` / ``nn.RNNCellBase`` (initialisers, weight-drop wrappers)."""
    for lib in (anynn, torch):
        nn = lib.nn
        assert all(isinstance(m, nn.RNNBase) for m in (nn.RNN(2, 3), nn.LSTM(2, 3), nn.GRU(2, 3)))
        assert all(isinstance(m, nn.RNNCellBase) for m in (nn.RNNCell(2, 3), nn.LSTMCell(2, 3), nn.GRUCell(2, 3)))
        assert not isinstance(nn.LSTMCell(2, 3), nn.RNNBase) and not isinstance(nn.LSTM(2, 3), nn.RNNCellBase)
    assert anynn.nn.modules.rnn.RNNBase is anynn.nn.RNNBase



def test_rnn_base_is_pytorchs_constructor_and_mode():
    """``nn.RNNBase(mode, input_size, hidden_size, ...)`` and the ``mode`` strings PyTorch's layers carry."""
    for lib in (anynn, torch):
        nn = lib.nn
        assert (nn.LSTM(2, 3).mode, nn.GRU(2, 3).mode, nn.RNN(2, 3).mode, nn.RNN(2, 3, nonlinearity="relu").mode) == (
            "LSTM", "GRU", "RNN_TANH", "RNN_RELU")
        base = nn.RNNBase("GRU", 2, 3, 2, bidirectional=True)
        assert repr(base) == "RNNBase(2, 3, num_layers=2, bidirectional=True)"
        twin = nn.GRU(2, 3, 2, bidirectional=True)
        assert [tuple(p.shape) for p in base.parameters()] == [tuple(p.shape) for p in twin.parameters()]
        with pytest.raises(ValueError, match="Unrecognized RNN mode: FOO"):
            nn.RNNBase("FOO", 2, 3)
    x = np.random.default_rng(0).standard_normal((4, 1, 2)).astype(np.float32)
    gru = anynn.nn.GRU(2, 3)
    base = anynn.nn.RNNBase("GRU", 2, 3)
    base.load_state_dict(gru.state_dict())
    np.testing.assert_array_equal(base(anynn.tensor(x))[0].numpy(), gru(anynn.tensor(x))[0].numpy())
