"""Transformers: TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and
Transformer against PyTorch on every backend (fixed cases and seeded random configurations), gradients, errors."""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.tensor import Tensor
from anynn.nn import LayerNorm, Transformer, TransformerDecoder, TransformerDecoderLayer
from anynn.nn.transformer import TransformerEncoder, TransformerEncoderLayer
from tests.helpers import check_gradients, copy_torch_weights, make
from tests.nn.oracle import check_close, compare, perturb_torch, random_mask, seed_dtype

TOL = {"float64": dict(rtol=1e-5, atol=1e-8), "float32": dict(rtol=1e-4, atol=1e-5)}
E, H, T, S, N = 8, 2, 3, 4, 2  # model width, heads, target length, source length, batch
L = 3  # the encoder's sequence length


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


# -- TransformerEncoderLayer / TransformerEncoder -----------------------------------------------------


ENCODER_LAYER_CASES = [
    # (norm_first, batch_first, activation, masks)
    (False, False, "relu", "both"),
    (True, True, "gelu", "both"),
    (False, True, "gelu", "none"),
    (True, False, "relu", "padding"),
]


def _compare_encoder(backend, ours, theirs, x, mask_kwargs, dtype):
    theirs = theirs.to(torch.float64 if dtype == "float64" else torch.float32)
    ours.to(backend, dtype=dtype)
    copy_torch_weights(ours, theirs)
    xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(xa, **{k: make(backend, m) for k, m in mask_kwargs.items()})
    ref = theirs(xt, **{k: torch.tensor(m) for k, m in mask_kwargs.items()})
    tol = TOL[dtype]
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg="output", **tol)
    projection = np.random.default_rng(0).standard_normal(x.shape).astype(dtype)
    (out * make(backend, projection)).sum().backward()
    (ref * torch.tensor(projection)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), err_msg="input gradient", **tol)
    their_params = dict(theirs.named_parameters())
    assert sorted(n for n, _ in ours.named_parameters()) == sorted(their_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[name].grad.numpy(), err_msg=name, **tol)


def _layer_inputs(rng, batch_first, masks, dtype):
    x = rng.standard_normal((N, L, E) if batch_first else (L, N, E)).astype(dtype)
    padding = np.zeros((N, L), bool)
    padding[1, -1] = True
    kwargs = {"src_key_padding_mask": padding} if masks in ("both", "padding") else {}
    if masks == "both":
        kwargs["src_mask"] = np.triu(np.ones((L, L), bool), 1)
    return x, kwargs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ENCODER_LAYER_CASES,
                         ids=[f"{'pre' if c[0] else 'post'}-{c[2]}" for c in ENCODER_LAYER_CASES])
def test_encoder_layer_matches_torch(backend, rng, case, dtype):
    norm_first, batch_first, activation, masks = case
    options = dict(dim_feedforward=16, dropout=0.0, activation=activation, batch_first=batch_first,
                   norm_first=norm_first)
    x, kwargs = _layer_inputs(rng, batch_first, masks, dtype)
    ours = TransformerEncoderLayer(E, H, **options).train()
    _compare_encoder(backend, ours, torch.nn.TransformerEncoderLayer(E, H, **options), x, kwargs, dtype)


def test_encoder_stack_matches_torch(backend, rng):
    options = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=True)
    x, kwargs = _layer_inputs(rng, True, "both", "float64")
    kwargs["mask"] = kwargs.pop("src_mask")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "enable_nested_tensor is True, but ... norm_first"
        theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, **options), 2,
                                             norm=torch.nn.LayerNorm(E))
    ours = TransformerEncoder(TransformerEncoderLayer(E, H, **options), 2, norm=LayerNorm(E)).eval()
    _compare_encoder(backend, ours, theirs, x, kwargs, "float64")
    copies = [p.numpy() for p in TransformerEncoder(TransformerEncoderLayer(E, H, **options), 2).parameters()]
    half = len(copies) // 2
    for first, second in zip(copies[:half], copies[half:]):  # as PyTorch: the layers start equal
        np.testing.assert_array_equal(first, second)


def test_encoder_layer_dropout_and_errors(backend, rng):
    layer = TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.2, backend=backend, dtype="float64",
                                    seed=4)
    x = make(backend, rng.standard_normal((L, N, E)))
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    assert tuple(layer(make(backend, rng.standard_normal((L, E)))).shape) == (L, E)
    with pytest.raises(ValueError, match="activation should be 'relu' or 'gelu'"):
        TransformerEncoderLayer(E, H, activation="tanh")
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected input with 8 features.*\(3, 2, 6\)"):
        layer(make(backend, rng.standard_normal((L, N, 6))))
    assert isinstance(layer(x), Tensor)


# -- TransformerEncoder: seeded random configurations against PyTorch ---------------------------------


def _tanh_act(x: Any) -> Any:
    return x.tanh()


@pytest.mark.parametrize("seed", range(24))
def test_transformer_encoder_matches_torch(backend, seed):
    rng = np.random.default_rng(seed)

    def pick(*options: Any) -> Any:
        return options[int(rng.integers(len(options)))]

    heads = int(rng.integers(1, 3))
    d_model = heads * int(rng.integers(1, 4))
    ff = int(rng.integers(1, 7))
    activation = ["relu", "gelu", "callable"][seed % 3]
    norm_first, batch_first, bias = pick(False, True), pick(False, True), pick(True, True, False)
    eps = pick(1e-5, 1e-3)
    layers = pick(0, 1, 2)  # 0: the layer alone
    final_norm = pick(True, False)
    unbatched = pick(False, False, False, True)
    n, length = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    mask_kind = pick("none", "bool", "float", "causal")
    pad = pick("none", "bool", "float") if not unbatched else "none"
    dtype = seed_dtype(backend, seed)
    ours_act = {"relu": "relu", "gelu": "gelu", "callable": _tanh_act}[activation]
    theirs_act = {"relu": "relu", "gelu": "gelu", "callable": torch.tanh}[activation]
    common = dict(dim_feedforward=ff, dropout=0.1, norm_first=norm_first, batch_first=batch_first, bias=bias,
                  layer_norm_eps=eps)
    torch.manual_seed(seed)
    t_layer = torch.nn.TransformerEncoderLayer(d_model, heads, activation=theirs_act, **common)
    o_layer = TransformerEncoderLayer(d_model, heads, activation=ours_act, **common)
    if layers:
        theirs = torch.nn.TransformerEncoder(t_layer, layers, norm=torch.nn.LayerNorm(d_model) if final_norm else None,
                                             enable_nested_tensor=False)
        ours = TransformerEncoder(o_layer, layers, norm=anynn.nn.LayerNorm(d_model) if final_norm else None)
    else:
        theirs, ours = t_layer, o_layer
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if "bias" in name or "norm" in name:
                p.add_(torch.randn(p.shape) * 0.3)
    shape = (length, d_model) if unbatched else ((n, length, d_model) if batch_first else (length, n, d_model))
    x = rng.standard_normal(shape)
    mask = None
    if mask_kind in ("bool", "float"):
        mask = random_mask(rng, (length, length), mask_kind)
    elif mask_kind == "causal":
        mask = np.triu(np.full((length, length), -np.inf), 1)
    padding = None if pad == "none" else random_mask(rng, (n, length), pad)

    def runner(module: Any) -> Callable[..., Any]:
        def run(x: Any, m: Any, p: Any) -> Any:
            kw = dict(src_key_padding_mask=p)
            if mask_kind == "causal":
                kw["is_causal"] = True
            if layers:
                return module(x, mask=m, **kw)
            return module(x, src_mask=m, **kw)
        return run

    compare(backend, ours, theirs, runner(ours), runner(theirs), [x], dtype, extras=[mask, padding], seed=seed)


NESTED_CASES = {  # PyTorch's fast-path conditions, each broken once
    "fast path": {}, "gelu": dict(activation="gelu"), "float padding": dict(pad_type="float"),
    "no mask check": dict(mask_check=False),  # (mask_check=False promises left-aligned padding)
    "odd heads": dict(heads=1), "time major": dict(batch_first=False), "norm first": dict(norm_first=True),
    "other activation": dict(activation="tanh"), "not left aligned": dict(left_aligned=False),
    "with mask": dict(with_mask=True), "nested off": dict(nested=False), "grad enabled": dict(grad=True),
}


@pytest.mark.parametrize("case", list(NESTED_CASES))
def test_transformer_encoder_inference_padding_matches_torch(backend, case):
    """Under ``no_grad`` in eval mode PyTorch's default nested-tensor path zeroes padded positions
    (when its conditions hold); anynn gives what PyTorch gives, there and with gradients on."""
    config = dict(heads=2, batch_first=True, norm_first=False, activation="relu", left_aligned=True,
                  with_mask=False, pad_type="bool", nested=True, mask_check=True, grad=False)
    config.update(NESTED_CASES[case])
    heads, batch_first, norm_first, activation = (config[k] for k in ("heads", "batch_first", "norm_first",
                                                                       "activation"))
    left_aligned, with_mask, pad_type = config["left_aligned"], config["with_mask"], config["pad_type"]
    nested, mask_check, grad = config["nested"], config["mask_check"], config["grad"]
    seed = list(NESTED_CASES).index(case)
    rng = np.random.default_rng(seed)
    n, length, d_model = 3, 4, 4
    torch.manual_seed(seed)
    common = dict(dim_feedforward=6, batch_first=batch_first, norm_first=norm_first)
    t_layer = torch.nn.TransformerEncoderLayer(d_model, heads, activation=torch.tanh if activation == "tanh"
                                               else activation, **common)
    o_layer = TransformerEncoderLayer(d_model, heads, activation=_tanh_act if activation == "tanh" else activation,
                                      **common)
    warned = []
    for encoder, layer, norm in [(torch.nn.TransformerEncoder, t_layer, torch.nn.LayerNorm(d_model)),
                                 (TransformerEncoder, o_layer, anynn.nn.LayerNorm(d_model))]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warned.append((encoder(layer, 2, norm=norm, enable_nested_tensor=nested, mask_check=mask_check),
                           [str(w.message) for w in caught if "nested" in str(w.message)]))
    (theirs, their_warnings), (ours, our_warnings) = warned
    assert our_warnings == their_warnings  # "enable_nested_tensor is True, but ... because ..." (none before)
    theirs.double()
    perturb_torch(theirs)
    ours.to(backend, dtype="float64")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    lengths = [length, 2, 1]
    padded = np.arange(length)[None, :] >= np.array(lengths)[:, None]
    if not left_aligned:
        padded = padded[:, ::-1].copy()
    pad = padded if pad_type == "bool" else np.where(padded, -np.inf, 0.0)
    x = rng.standard_normal((n, length, d_model) if batch_first else (length, n, d_model))
    mask = np.triu(np.full((length, length), -np.inf), 1) if with_mask else None
    with torch.set_grad_enabled(grad):
        ref = theirs(torch.tensor(x), mask=None if mask is None else torch.tensor(mask),
                     src_key_padding_mask=torch.tensor(pad)).detach().numpy()
    with anynn.autograd.mode.enable_grad() if grad else anynn.no_grad():
        out = ours(make(backend, x), mask=None if mask is None else make(backend, mask),
                   src_key_padding_mask=make(backend, pad)).numpy()
    check_close(out, ref, "float64", "encoder output")


# -- zero-length sequences -----------------------------------------------------------------------------
def test_transformer_on_a_zero_length_sequence_as_torch(backend):
    torch.manual_seed(0)
    ref = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)
    ours = anynn.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, backend=backend)
    copy_torch_weights(ours, ref)
    tgt = np.random.default_rng(1).standard_normal((3, 2, 8)).astype(np.float32)
    src = np.zeros((0, 2, 8), np.float32)
    out = ours(make(backend, src), make(backend, tgt))
    out_t = ref(torch.tensor(src), torch.tensor(tgt))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
