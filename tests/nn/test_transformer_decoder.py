"""TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch on every backend."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.nn import LayerNorm, Transformer, TransformerDecoder, TransformerDecoderLayer
from tests.helpers import check_gradients, copy_torch_weights, make

TOL = {"float64": dict(rtol=1e-5, atol=1e-8), "float32": dict(rtol=1e-4, atol=1e-5)}
E, H, T, S, N = 8, 2, 3, 4, 2  # model width, heads, target length, source length, batch


def _inputs(rng, batch_first, masks, dtype):
    tgt = rng.standard_normal((N, T, E) if batch_first else (T, N, E)).astype(dtype)
    memory = rng.standard_normal((N, S, E) if batch_first else (S, N, E)).astype(dtype)
    tgt_pad, mem_pad = np.zeros((N, T), bool), np.zeros((N, S), bool)
    tgt_pad[1, -1] = True
    mem_pad[0, -1] = mem_pad[1, 2:] = True
    kwargs: dict[str, np.ndarray] = {}
    if masks in ("bool", "mixed"):
        kwargs.update(tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=mem_pad)
    if masks == "bool":
        kwargs.update(tgt_mask=np.triu(np.ones((T, T), bool), 1), memory_mask=np.eye(T, S, 1, dtype=bool))
    if masks == "mixed":  # additive float masks with boolean padding masks
        kwargs.update(tgt_mask=np.triu(np.full((T, T), -np.inf), 1).astype(dtype),
                      memory_mask=rng.standard_normal((N * H, T, S)).astype(dtype))
    return tgt, memory, kwargs


def _compare(backend, ours, theirs, arrays, kwargs, dtype, call_kwargs=None):
    """Copy weights, run both; compare output and the gradients of every input and parameter."""
    theirs = theirs.to(torch.float64 if dtype == "float64" else torch.float32)
    ours.to(backend, dtype=dtype)
    copy_torch_weights(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    xs = [make(backend, a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    extra = call_kwargs or {}
    out = ours(*xs, **{k: make(backend, m) for k, m in kwargs.items()}, **extra)
    ref = theirs(*ts, **{k: torch.tensor(m) for k, m in kwargs.items()}, **extra)
    tol = TOL[dtype]
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg="output", **tol)
    projection = np.random.default_rng(0).standard_normal(tuple(ref.shape)).astype(dtype)
    (out * make(backend, projection)).sum().backward()
    (ref * torch.tensor(projection)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), err_msg=f"gradient of input {i}", **tol)
    their_params = dict(theirs.named_parameters())
    assert sorted(n for n, _ in ours.named_parameters()) == sorted(their_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[name].grad.numpy(), err_msg=name, **tol)


LAYER_CASES = [  # (norm_first, batch_first, activation, masks)
    (False, False, "relu", "none"),
    (False, True, "gelu", "bool"),
    (True, False, "relu", "mixed"),
    (True, True, "gelu", "bool"),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", LAYER_CASES, ids=[f"{'pre' if c[0] else 'post'}-{c[1]}-{c[3]}" for c in LAYER_CASES])
def test_decoder_layer_matches_torch(backend, rng, case, dtype):
    norm_first, batch_first, activation, masks = case
    options = dict(dim_feedforward=16, dropout=0.0, activation=activation, batch_first=batch_first,
                   norm_first=norm_first)
    tgt, memory, kwargs = _inputs(rng, batch_first, masks, dtype)
    _compare(backend, TransformerDecoderLayer(E, H, **options), torch.nn.TransformerDecoderLayer(E, H, **options),
             [tgt, memory], kwargs, dtype)


def test_decoder_layer_callable_activation_and_unbatched(backend, rng):
    options = dict(dim_feedforward=16, dropout=0.0)
    ours = TransformerDecoderLayer(E, H, activation=anynn.functional.tanh, **options)
    theirs = torch.nn.TransformerDecoderLayer(E, H, activation=torch.tanh, **options)
    tgt, memory = rng.standard_normal((T, E)), rng.standard_normal((S, E))
    _compare(backend, ours, theirs, [tgt, memory], {"tgt_mask": np.triu(np.ones((T, T), bool), 1)}, "float64")


def test_decoder_layer_gradients(backend, rng):
    layer = TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, backend=backend, dtype="float64", seed=1)
    mask = make(backend, np.triu(np.ones((2, 2), bool), 1))
    check_gradients(backend, lambda t, m: layer(t, m, tgt_mask=mask), rng.standard_normal((2, 1, 4)),
                    rng.standard_normal((3, 1, 4)))


def test_decoder_stack_matches_torch(backend, rng):
    options = dict(dim_feedforward=16, dropout=0.0, batch_first=True)
    tgt, memory, kwargs = _inputs(rng, True, "mixed", "float64")
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, H, **options), 2,
                                         norm=torch.nn.LayerNorm(E))
    ours = TransformerDecoder(TransformerDecoderLayer(E, H, **options), 2, norm=LayerNorm(E))
    _compare(backend, ours, theirs, [tgt, memory], kwargs, "float64")
    copies = [p.numpy() for p in TransformerDecoder(TransformerDecoderLayer(E, H, **options), 2).parameters()]
    half = len(copies) // 2
    for first, second in zip(copies[:half], copies[half:]):  # as PyTorch: the layers start equal
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(backend, rng, batch_first):
    options = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                   batch_first=batch_first, norm_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "enable_nested_tensor is True, but ... norm_first"
        theirs = torch.nn.Transformer(**options)
    src = rng.standard_normal((N, S, E) if batch_first else (S, N, E))
    tgt = rng.standard_normal((N, T, E) if batch_first else (T, N, E))
    src_pad = np.zeros((N, S), bool)
    src_pad[1, -1] = True
    kwargs = dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64).numpy(),
                  src_key_padding_mask=src_pad, memory_key_padding_mask=src_pad)
    _compare(backend, Transformer(**options), theirs, [src, tgt], kwargs, "float64")


def test_transformer_is_causal_hint(backend, rng):
    options = dict(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
    theirs = torch.nn.Transformer(**options)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64).numpy()
    src, tgt = rng.standard_normal((S, N, E)), rng.standard_normal((T, N, E))
    _compare(backend, Transformer(**options), theirs, [src, tgt], {"tgt_mask": mask}, "float64",
             call_kwargs=dict(tgt_is_causal=True))


def test_generate_square_subsequent_mask(backend):
    ours = Transformer.generate_square_subsequent_mask(5, backend=backend)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(5)
    assert ours.backend == backend and ours.numpy().dtype == np.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert Transformer.generate_square_subsequent_mask(3, dtype="float64", backend=backend).numpy().dtype == np.float64
    assert isinstance(Transformer.__dict__["generate_square_subsequent_mask"], staticmethod)


def test_transformer_init_and_subclass(backend):
    class Seq2Seq(Transformer):  # programs subclass nn.Transformer
        def __init__(self) -> None:
            super().__init__(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=12,
                             backend=backend, seed=3)

    model = Seq2Seq()
    theirs = torch.nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                                  dim_feedforward=12)
    ours_state = model.state_dict()
    assert list(ours_state) == list(theirs.state_dict())
    for name, p in ours_state.items():
        assert tuple(p.shape) == tuple(theirs.state_dict()[name].shape), name
        if p.ndim > 1:  # Xavier-uniform, as PyTorch's _reset_parameters
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(p.numpy()).max() <= bound
    again = Seq2Seq().state_dict()
    for name, p in ours_state.items():  # seeded: reproducible
        np.testing.assert_array_equal(p.numpy(), again[name].numpy())
    before = model.decoder.layers[0].linear1.weight.numpy().copy()
    model.reset_parameters(7)
    assert not np.array_equal(before, model.decoder.layers[0].linear1.weight.numpy())


def test_decoder_dropout_and_errors(backend, rng):
    layer = TransformerDecoderLayer(E, H, dim_feedforward=16, dropout=0.2, backend=backend, dtype="float64", seed=4)
    tgt, memory = make(backend, rng.standard_normal((T, N, E))), make(backend, rng.standard_normal((S, N, E)))
    assert not np.allclose(layer(tgt, memory).numpy(), layer(tgt, memory).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(tgt, memory).numpy(), layer(tgt, memory).numpy())
    with pytest.raises(ValueError, match="TransformerDecoderLayer: activation should be"):
        TransformerDecoderLayer(E, H, activation="tanh")
    with pytest.raises(ValueError, match="TransformerDecoder: num_layers"):
        TransformerDecoder(layer, 0)
    model = Transformer(E, H, 1, 1, 16, backend=backend, dtype="float64")
    with pytest.raises(RuntimeError, match="Transformer: the batch number of src and tgt must be equal"):
        model(make(backend, rng.standard_normal((S, N, E))), make(backend, rng.standard_normal((T, N + 1, E))))
    with pytest.raises(RuntimeError, match="Transformer: the feature number"):
        model(make(backend, rng.standard_normal((S, N, E))), make(backend, rng.standard_normal((T, N, E + 1))))
