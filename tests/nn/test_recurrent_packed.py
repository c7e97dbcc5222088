"""Packed sequences (`anynn.nn.utils.rnn`) and RNN/LSTM/GRU over them: PyTorch as the oracle for packing,
unpacking, outputs, final states and every gradient; numerical gradients; PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as torch_rnn

import anynn
from anynn.nn.utils import rnn
from tests.helpers import check_gradients, make
from tests.nn.test_recurrent import _compare, _layer, _torch_layer

# lengths per case: sorted ones (with a tie) for enforce_sorted=True, shuffled ones for enforce_sorted=False
SORTED, SHUFFLED = [5, 3, 3, 1], [3, 5, 1, 4]
CONFIGS = {
    "plain": dict(),
    "batch-first": dict(batch_first=True),
    "bidirectional": dict(bidirectional=True),
    "stacked-bidirectional": dict(num_layers=2, bidirectional=True, batch_first=True),
    "stacked-no-bias": dict(num_layers=2, bias=False),
}


def _packed_call(mode: str, lengths: list[int], batch_first: bool, enforce_sorted: bool, steps: int):
    """Pack the padded input, run the layer on the packed batch, pad the output back (in the original order)."""
    def unpack(module, inputs):
        x, *states = inputs
        lib = torch_rnn if isinstance(x, torch.Tensor) else rnn
        hx = None if not states else (tuple(states) if mode == "lstm" else states[0])
        packed = lib.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        out, h = module(packed) if hx is None else module(packed, hx)
        assert isinstance(out, lib.PackedSequence)
        padded, found = lib.pad_packed_sequence(out, batch_first=batch_first, total_length=steps)
        assert found.tolist() == lengths
        return [padded] + (list(h) if mode == "lstm" else [h])
    return unpack


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_packed_layer_matches_torch(backend, rng, mode, config, enforce_sorted):
    """Outputs, h_n/c_n and the gradients of input, initial states and every weight, as PyTorch's."""
    kwargs, hidden, steps = CONFIGS[config], 4, 5
    lengths = SORTED if enforce_sorted else SHUFFLED
    batch_first = kwargs.get("batch_first", False)
    x = rng.standard_normal((4, steps, 3) if batch_first else (steps, 4, 3))
    lead = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    with_states = config != "plain"
    states = [rng.standard_normal((lead, 4, hidden)) for _ in range(2 if mode == "lstm" else 1)] if with_states else []
    _compare(backend, _layer(mode, 3, hidden, **kwargs), _torch_layer(mode, 3, hidden, **kwargs), x, states,
             _packed_call(mode, lengths, batch_first, enforce_sorted, steps), "float64")


def test_packed_lstm_with_projection_matches_torch(rng):
    kwargs = dict(num_layers=2, bidirectional=True, proj_size=2)
    states = [rng.standard_normal((4, 4, 2)), rng.standard_normal((4, 4, 5))]
    _compare("numpy", anynn.nn.LSTM(3, 5, **kwargs), torch.nn.LSTM(3, 5, **kwargs), rng.standard_normal((5, 4, 3)),
             states, _packed_call("lstm", SHUFFLED, False, False, 5), "float32")


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_packed_layer_gradients(backend, rng, mode):
    """Central differences through pack -> two bidirectional layers -> pad, with initial states."""
    layer = _layer(mode, 2, 2, num_layers=2, bidirectional=True, seed=0).to(backend, dtype="float64")
    x = rng.standard_normal((3, 3, 2))
    states = [rng.standard_normal((4, 3, 2)) for _ in range(2 if mode == "lstm" else 1)]

    def run(x, *states):
        hx = tuple(states) if mode == "lstm" else states[0]
        out, h = layer(rnn.pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False), hx)
        return (rnn.pad_packed_sequence(out)[0],) + (tuple(h) if mode == "lstm" else (h,))

    check_gradients(backend, run, x, *states)


@pytest.mark.parametrize("mode", ["rnn_relu", "lstm", "gru"])
def test_lengths_known_only_as_a_graph_runs_give_the_packed_results(rng, mode):
    """Lengths whose values exist only as a graph runs (an ONNX export's input, a compiled step's traced tensor)
    keep the batch padded (rnn.recorded_pack, what pack_padded_sequence makes of them) and mask each sequence's
    steps past its end: outputs, final states and every gradient are the packed batch's (an LSTM projection too)."""
    extra = {"proj_size": 2} if mode == "lstm" else {}
    layer = _layer(mode, 2, 3, num_layers=2, bidirectional=True, seed=0, **extra).to(dtype="float64")
    x = anynn.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    states = [anynn.tensor(rng.standard_normal((4, 3, n)), requires_grad=True) for n in ((2, 3) if extra else (3,))]
    lengths = [2, 4, 1]
    results = []
    for pack in (rnn.pack_padded_sequence(x, lengths, enforce_sorted=False),
                 rnn.recorded_pack(x, anynn.tensor(lengths))):
        out, h = layer(pack, tuple(states) if mode == "lstm" else states[0])
        padded = rnn.pad_packed_sequence(out, padding_value=-1.0, total_length=5)[0]
        values = [padded, *(h if mode == "lstm" else (h,))]
        weights = np.random.default_rng(1)  # (the same weighting of each output for both)
        total = sum((v * anynn.tensor(weights.standard_normal(tuple(v.shape)))).sum() for v in values)
        results.append([v.detach().numpy() for v in values] + [
            g.numpy() for g in anynn.autograd.grad(total, [x, *states, *layer.parameters()])])
    for packed, masked in zip(*results):
        np.testing.assert_allclose(masked, packed, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[4, 4, 2, 1], [2, 4, 1, 3], [2, 4, 2, 3]])  # ties keep their order
def test_packing_matches_torch(backend, rng, lengths, batch_first):
    """data, batch_sizes, the permutations, the padded round trip (padding value, total_length) and gradients."""
    x = rng.standard_normal((4, 5, 2) if batch_first else (5, 4, 2))  # batch 4, 5 steps
    enforce_sorted = lengths == sorted(lengths, reverse=True)
    ours_x, theirs_x = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = rnn.pack_padded_sequence(ours_x, lengths, batch_first, enforce_sorted)
    theirs = torch_rnn.pack_padded_sequence(theirs_x, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.detach().numpy())
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist() and ours.batch_sizes.is_cpu
    for mine, ref in zip(ours[2:], theirs[2:]):
        assert (mine is None) == (ref is None) and (ref is None or mine.tolist() == ref.tolist())
    padded, found = rnn.pad_packed_sequence(ours, batch_first, -2.0, 6)
    ref_padded, ref_found = torch_rnn.pad_packed_sequence(theirs, batch_first, -2.0, 6)
    np.testing.assert_array_equal(padded.numpy(), ref_padded.detach().numpy())
    assert found.tolist() == ref_found.tolist() == lengths
    weights = rng.standard_normal(tuple(ref_padded.shape))
    (padded * make(backend, weights)).sum().backward()
    (ref_padded * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())


def test_pack_sequence_and_unpacking_match_torch(backend, rng):
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    ours = rnn.pack_sequence([make(backend, a) for a in arrays], enforce_sorted=False)
    theirs = torch_rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    for mine, ref in zip(rnn.unpack_sequence(ours), torch_rnn.unpack_sequence(theirs)):
        np.testing.assert_array_equal(mine.numpy(), ref.numpy())
    padded = rnn.pad_sequence([make(backend, a) for a in arrays], batch_first=True)
    pieces = rnn.unpad_sequence(padded, anynn.tensor([2, 4, 1]), batch_first=True)
    assert [p.shape for p in pieces] == [(2, 2), (4, 2), (1, 2)]
    np.testing.assert_array_equal(pieces[1].numpy(), arrays[1])
    data, batch_sizes, sorted_indices, unsorted_indices = ours  # a namedtuple, as PyTorch's
    assert batch_sizes.tolist() == [3, 2, 1, 1] and sorted_indices.tolist() == [1, 0, 2]


def test_lengths_as_pytorch_casts_them():
    """A float lengths tensor is cast to int64 (truncated), as PyTorch's ``lengths.to(torch.int64)``."""
    x = np.arange(24.0).reshape(4, 3, 2)
    ours = rnn.pack_padded_sequence(anynn.tensor(x), anynn.tensor([3.7, 2.0, 1.0]))
    theirs = torch_rnn.pack_padded_sequence(torch.tensor(x), torch.tensor([3.7, 2.0, 1.0]))
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()


@pytest.mark.parametrize("lengths, error, message", [
    ([3, 4, 2], RuntimeError, "must be sorted in decreasing order"),
    ([3, 2], RuntimeError, "Expected `len(lengths)` to be equal to batch_size"),
    ([4, 3, 0], RuntimeError, "has to be greater than 0"),
    ([5, 3, 2], ValueError, "exceeds"),
])
def test_packing_errors(lengths, error, message):
    x = np.zeros((4, 3, 2))
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        rnn.pack_padded_sequence(anynn.tensor(x), lengths)
    if error is RuntimeError:  # PyTorch raises the same class (it reads past the end for a too large length)
        with pytest.raises(RuntimeError):
            torch_rnn.pack_padded_sequence(torch.tensor(x), lengths)


def test_lengths_tensor_errors():
    x = anynn.tensor(np.zeros((4, 3, 2), dtype=np.float32))
    with pytest.raises(RuntimeError, match="1D CPU int64 tensor, but got 2D"):
        rnn.pack_padded_sequence(x, anynn.tensor([[3, 2, 1]]))
    packed = rnn.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        rnn.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(RuntimeError, match="received an empty list"):
        rnn.pack_sequence([])
    for lib, module in ((rnn, anynn), (torch_rnn, torch)):  # RuntimeError, as PyTorch's (anynn's: ValueError only)
        with pytest.raises(RuntimeError, match="empty list of sequences"):
            lib.pad_sequence([])
        with pytest.raises(RuntimeError, match="size of tensor a|trailing shape"):
            lib.pad_sequence([module.ones(2, 3), module.ones(3, 4)])
    gru = anynn.nn.GRU(2, 3)
    with pytest.raises(ValueError, match=r"GRU: expected h0 of shape \(1, 3, 3\), got \(1, 2, 3\)"):
        gru(packed, anynn.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="batch_sizes sum to 6 but its data has 5 rows"):
        gru(rnn.PackedSequence(packed.data[:5], packed.batch_sizes))


def test_lengths_on_a_gpu_are_refused():
    """PyTorch wants lengths on the CPU; a CUDA lengths tensor is a RuntimeError naming it."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    x = anynn.tensor(np.zeros((4, 3, 2)), backend="torch")
    with pytest.raises(RuntimeError, match="1D CPU int64 tensor"):
        rnn.pack_padded_sequence(x, anynn.tensor([3, 2, 1], backend="torch", device="cuda"))
    with pytest.raises(RuntimeError, match="1D CPU int64 tensor"):
        torch_rnn.pack_padded_sequence(torch.zeros(4, 3, 2), torch.tensor([3, 2, 1], device="cuda"))


def test_packed_sequence_to_moves_data_and_indices(rng):
    packed = rnn.pack_padded_sequence(anynn.tensor(rng.standard_normal((3, 2, 1))), [1, 3], enforce_sorted=False)
    moved = packed.to("torch")
    assert isinstance(moved, rnn.PackedSequence)
    assert moved.data.backend.key == moved.sorted_indices.backend.key == moved.unsorted_indices.backend.key == "torch"
    assert moved.batch_sizes.tolist() == [2, 1, 1]
    np.testing.assert_array_equal(moved.data.numpy(), packed.data.numpy())


@pytest.mark.parametrize("shapes, message", [
    ([(2, 3), (3, 2)], r"sequence 1 has shape \(3, 2\).*trailing shape \(3,\)"),
    ([(2,), (3, 2)], r"sequence 1 has shape \(3, 2\).*trailing shape \(\)"),
    ([(), ()], r"sequence 0 has shape \(\).*at least one dimension"),
])
def test_pad_sequence_of_sequences_that_cannot_stack_names_them(backend, shapes, message):
    sequences = [make(backend, np.ones(s, np.float32)) for s in shapes]
    if len(shapes[0]) == len(shapes[1]):  # PyTorch refuses these too (it broadcasts a lower-rank one)
        with pytest.raises(RuntimeError):
            torch_rnn.pad_sequence([torch.ones(s) for s in shapes])
    with pytest.raises(ValueError, match="pad_sequence: " + message):
        rnn.pad_sequence(sequences)


def test_invert_permutation_and_skip_init_as_torch(backend):
    """torch.nn.utils.rnn.invert_permutation and torch.nn.utils.skip_init (both were missing)."""
    order = np.array([3, 0, 4, 1, 2])
    np.testing.assert_array_equal(rnn.invert_permutation(make(backend, order)).numpy(),
                                  torch_rnn.invert_permutation(torch.tensor(order)).numpy())
    assert rnn.invert_permutation(None) is None and torch_rnn.invert_permutation(None) is None
    layer = anynn.nn.utils.skip_init(anynn.nn.Linear, 3, 4, bias=False)
    assert isinstance(layer, anynn.nn.Linear) and tuple(layer.weight.shape) == (4, 3) and layer.bias is None
    for utils, module, bad in ((anynn.nn.utils, anynn.nn, int), (torch.nn.utils, torch.nn, int)):
        with pytest.raises(RuntimeError, match="Expected a Module"):
            utils.skip_init(bad)
        with pytest.raises(RuntimeError, match="must support a 'device' arg"):
            utils.skip_init(module.ReLU)
        with pytest.raises(TypeError):  # not a class: PyTorch's issubclass raises (anynn: RuntimeError before)
            utils.skip_init(len)
