"""Seeded-random PyTorch-oracle fuzzing of padding, padded convolutions, max pooling with indices and
unpooling, and the recurrent layers.

Each test draws its configurations from a seeded generator and compares anynn with PyTorch: forward
values (and pooling indices exactly), then the gradients of the inputs, initial states and parameters
after projecting every output on fixed random weights. Where PyTorch refuses a configuration anynn must
refuse it too. The NumPy backend runs every configuration, the other backends a smaller share.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.padding import pad
from anynn.nn import padding as pad_layers
from anynn.nn.recurrent import GRU, LSTM, RNN

from tests.helpers import make

TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}
TOL = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=2e-4, atol=2e-5)}


def _count(backend: Any, n: int) -> int:
    """How many configurations a backend runs: all on NumPy, a sixth (at least 2) elsewhere."""
    return n if backend.name == "numpy" else max(2, n // 6)


def _project(out: Any, weights: np.ndarray, backend: Any) -> Any:
    return (out * make(backend, weights)).sum()


def _both(ours: Callable[[], Any], theirs: Callable[[], Any], what: Any,
          torch_empty_ok: bool = False) -> tuple[Any, Any] | None:
    """Run both sides; None when both refuse, a failure naming ``what`` when only one does.

    With ``torch_empty_ok``, an empty PyTorch result that anynn refuses also gives None (max unpooling
    to an empty size, where PyTorch drops the indices unchecked and anynn raises).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = theirs()
    except Exception:  # PyTorch refuses: anynn must refuse too
        try:
            ours()
        except Exception:
            return None
        pytest.fail(f"{what}: PyTorch refuses it, anynn does not")
    if torch_empty_ok and ref.numel() == 0:
        return None
    return ours(), ref


def _build_and_call(cls: Any, kernel: Any, kwargs: dict[str, Any], *args: Any, **call_kwargs: Any) -> Any:
    return cls(kernel, **kwargs)(*args, **call_kwargs)


def _compare_grads(pairs: list[tuple[Any, Any]], dtype: str, what: Any) -> None:
    for i, (a, t) in enumerate(pairs):
        if t.grad is None:
            continue
        assert a.grad is not None, f"{what}: no gradient for input {i}"
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), err_msg=f"{what}: gradient {i}", **TOL[dtype])


# -- pad and the padding layers -------------------------------------------------------------------

MODES = ("constant", "reflect", "replicate", "circular")


def _pad_config(rng: np.random.Generator, mode: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    dims = int(rng.integers(1, 4))
    if mode == "constant":
        lead = tuple(int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 3))))
    else:
        lead = tuple(int(rng.integers(1, 3)) for _ in range(int(rng.integers(1, 3))))
    shape = lead + tuple(int(rng.integers(1, 5)) for _ in range(dims))
    # mostly within what each mode allows (reflect: |pad| < size), sometimes anywhere in -3..4
    sizes = [shape[-1 - k] for k in range(dims) for _ in range(2)]
    high = {"reflect": 0, "circular": 1}.get(mode, 2)
    pads = tuple(int(rng.integers(-3, 5)) if rng.random() < 0.2 else int(rng.integers(1 - size, size + high))
                 for size in sizes)
    if mode == "circular":  # PyTorch reads memory it never wrote when a pad exceeds what the crops leave
        for k in range(dims):
            size, before, after = shape[-1 - k], pads[2 * k], pads[2 * k + 1]
            if max(before, after) > size + min(before, 0) + min(after, 0):
                return _pad_config(rng, mode)
    return shape, pads


@pytest.mark.parametrize("mode", MODES)
def test_pad_fuzz(backend, mode):
    rng = np.random.default_rng(MODES.index(mode))
    for _ in range(_count(backend, 60)):
        shape, pads = _pad_config(rng, mode)
        value = float(rng.choice([0.0, -1.5, 2.0])) if mode == "constant" else 0.0
        x = rng.standard_normal(shape)
        xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        what = (mode, shape, pads, value)
        kwargs = dict(value=value) if mode == "constant" else {}
        got = _both(partial(pad, xa, pads, mode=mode, value=value),
                    partial(torch.nn.functional.pad, xt, pads, mode=mode, **kwargs), what)
        if got is None:
            continue
        out, ref = got
        assert tuple(out.shape) == tuple(ref.shape), what
        np.testing.assert_array_equal(out.numpy(), ref.detach().numpy(), err_msg=str(what))
        if ref.numel() == 0:
            continue
        w = rng.standard_normal(tuple(ref.shape))
        _project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        _compare_grads([(xa, xt)], "float64", what)


@pytest.mark.parametrize("mode, pads, shape", [
    ("reflect", (-1, -2), (2, 3)),  # every padded axis empty: PyTorch refuses
    ("replicate", (-2, 0, 0, -2), (1, 2, 2, 2)),
    ("replicate", (-1, -1, -1, -1, -1, -1), (1, 1, 2, 2, 2)),
])
def test_pad_refuses_all_empty_like_torch(backend, mode, pads, shape):
    with pytest.raises(RuntimeError):
        torch.nn.functional.pad(torch.zeros(shape), pads, mode=mode)
    with pytest.raises(ValueError, match="empty"):
        pad(make(backend, np.zeros(shape, np.float32)), pads, mode=mode)


@pytest.mark.parametrize("mode, pads, shape", [
    ("replicate", (-2, 0, 1, 1), (1, 2, 2, 2)),  # one empty axis is fine, as in PyTorch
    ("reflect", (1, 1, -2, 0, 0, 0), (1, 2, 2, 3)),
])
def test_pad_one_empty_axis_like_torch(backend, mode, pads, shape):
    expected = torch.nn.functional.pad(torch.zeros(shape), pads, mode=mode).shape
    assert pad(make(backend, np.zeros(shape, np.float32)), pads, mode=mode).shape == tuple(expected)


LAYERS = [(f"{kind}Pad{d}d", d) for kind in ("Constant", "Zero", "Reflection", "Replication", "Circular")
          for d in (1, 2, 3)]


@pytest.mark.parametrize("name, dims", LAYERS)
def test_padding_layers_fuzz(backend, name, dims):
    rng = np.random.default_rng(len(name) * 10 + dims)
    for _ in range(_count(backend, 6)):
        spatial = tuple(int(rng.integers(3, 6)) for _ in range(dims))
        shape = ((2,) if rng.random() < 0.6 else ()) + (2,) + spatial
        low = -1 if name.startswith(("Constant", "Zero", "Replication")) else 0
        padding = int(rng.integers(low, 3)) if rng.random() < 0.3 else tuple(
            int(rng.integers(low, 3)) for _ in range(2 * dims))
        args = (padding, 0.5) if name.startswith("Constant") else (padding,)
        x = rng.standard_normal(shape)
        xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = getattr(pad_layers, name)(*args)(xa), getattr(torch.nn, name)(*args)(xt)
        what = (name, shape, padding)
        np.testing.assert_array_equal(out.numpy(), ref.detach().numpy(), err_msg=str(what))
        w = rng.standard_normal(tuple(ref.shape))
        _project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        _compare_grads([(xa, xt)], "float64", what)


# -- recurrent layers -----------------------------------------------------------------------------

RNN_MODES = ("rnn_tanh", "rnn_relu", "lstm", "gru")


def _rnn_pair(mode: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    if mode == "lstm":
        return LSTM(*args, **kwargs), torch.nn.LSTM(*args, **kwargs)
    if mode == "gru":
        return GRU(*args, **kwargs), torch.nn.GRU(*args, **kwargs)
    kwargs = dict(kwargs, nonlinearity=mode[4:])
    return RNN(*args, **kwargs), torch.nn.RNN(*args, **kwargs)


def _run_rnn(module: Any, mode: str, x: Any, states: list[Any]) -> list[Any]:
    if not states:
        out, h = module(x)
    else:
        out, h = module(x, tuple(states) if mode == "lstm" else states[0])
    return [out, *(h if isinstance(h, tuple) else (h,))]


@pytest.mark.parametrize("mode", RNN_MODES)
def test_recurrent_layers_fuzz(backend, mode):
    rng = np.random.default_rng(20 + RNN_MODES.index(mode))
    for i in range(_count(backend, 12)):
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
                                       **TOL[dtype])
            w = rng.standard_normal(tuple(ref.shape)).astype(dtype)
            loss_ours = loss_ours + _project(out, w, backend)
            loss_theirs = loss_theirs + (ref * torch.tensor(w)).sum()
        loss_ours.backward()
        loss_theirs.backward()
        params = dict(theirs.named_parameters())
        assert {n for n, _ in ours.named_parameters()} == set(params), what
        _compare_grads(list(zip(ours_in, theirs_in)) + [(p, params[n]) for n, p in ours.named_parameters()],
                       dtype, what)


@pytest.mark.parametrize("mode", RNN_MODES)
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
