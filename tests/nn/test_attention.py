"""Attention: scaled_dot_product_attention, MultiheadAttention, TransformerEncoder(Layer) on every backend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from anynn.autograd.tensor import Tensor
from anynn.functional.attention import scaled_dot_product_attention, scaled_dot_product_attention_with_weights
from anynn.nn.attention import MultiheadAttention
from anynn.nn.norm import LayerNorm
from anynn.nn.transformer import TransformerEncoder, TransformerEncoderLayer
from tests.helpers import check_gradients, compare_with_torch, copy_torch_weights, make

F_TORCH = torch.nn.functional
TOL = {"float64": dict(rtol=1e-5, atol=1e-8), "float32": dict(rtol=1e-4, atol=1e-5)}

# (batch..., L, E) / (batch..., S, E) / (batch..., S, Ev), small enough for numerical gradients
Q_SHAPE, K_SHAPE, V_SHAPE = (2, 3, 2), (2, 4, 2), (2, 4, 3)


def _bool_mask() -> np.ndarray:
    """(L, S) = (3, 4): every query keeps at least one key."""
    return np.array([[True, False, True, True], [False, True, False, False], [True, True, True, False]])


def _qkv(rng: np.random.Generator, dtype: str = "float64") -> list[np.ndarray]:
    return [rng.standard_normal(s).astype(dtype) for s in (Q_SHAPE, K_SHAPE, V_SHAPE)]


SDPA_CASES = {
    "plain": {},
    "bool_mask": {"attn_mask": "bool"},
    "float_mask": {"attn_mask": "float"},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.37},
}


def _case_arrays(case: dict, rng: np.random.Generator, dtype: str) -> tuple[list[np.ndarray], dict]:
    arrays = _qkv(rng, dtype)
    kwargs = {k: v for k, v in case.items() if k != "attn_mask"}
    if case.get("attn_mask") == "bool":
        arrays.append(_bool_mask())
    elif case.get("attn_mask") == "float":
        arrays.append(rng.standard_normal((3, 4)).astype(dtype))
    return arrays, kwargs


# -- scaled_dot_product_attention ---------------------------------------------------------------
@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_gradients(backend, rng, case):
    arrays, kwargs = _case_arrays(SDPA_CASES[case], rng, "float64")

    def fn(q, k, v, mask=None):
        return scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)

    check_gradients(backend, fn, *arrays)  # a float mask is checked too: it is differentiable


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_matches_torch(backend, rng, case, dtype):
    arrays, kwargs = _case_arrays(SDPA_CASES[case], rng, dtype)
    compare_with_torch(backend, lambda *a: scaled_dot_product_attention(*a[:3], *a[3:], **kwargs),
                       lambda *a: F_TORCH.scaled_dot_product_attention(*a[:3], *a[3:], **kwargs),
                       *arrays, **TOL[dtype])


def test_sdpa_broadcasts_batch_and_heads(backend, rng):
    q = rng.standard_normal((2, 2, 3, 4))
    k, v = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((2, 1, 5, 3))
    mask = rng.standard_normal((2, 1, 3, 5))
    compare_with_torch(backend, scaled_dot_product_attention, F_TORCH.scaled_dot_product_attention, q, k, v, mask)


def test_sdpa_fully_masked_row_is_zero_not_nan(backend, rng):
    q, k, v = _qkv(rng)
    mask = _bool_mask()
    mask[1] = False  # query 1 may see no key
    qa, ka, va = (make(backend, a, requires_grad=True) for a in (q, k, v))
    out = scaled_dot_product_attention(qa, ka, va, attn_mask=make(backend, mask))
    result = out.numpy()
    assert np.all(np.isfinite(result)) and np.all(result[:, 1] == 0.0)
    ref = F_TORCH.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(result, ref.numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    assert all(np.all(np.isfinite(t.grad.numpy())) for t in (qa, ka, va))
    assert np.all(qa.grad.numpy()[:, 1] == 0.0)
    float_mask = np.where(mask, 0.0, -np.inf)
    out = scaled_dot_product_attention(qa, ka, va, attn_mask=make(backend, float_mask))
    np.testing.assert_allclose(out.numpy(), result, rtol=1e-12, atol=1e-12)


def test_sdpa_weights_and_dropout(backend, rng):
    q, k, v = _qkv(rng)
    plain, weights = scaled_dot_product_attention_with_weights(*(make(backend, a) for a in (q, k, v)))
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(plain.numpy(), weights.numpy() @ v, rtol=1e-12)
    out, dropped = scaled_dot_product_attention_with_weights(*(make(backend, a) for a in (q, k, v)),
                                                             dropout_p=0.5, generator=3)
    kept = dropped.numpy() != 0.0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(dropped.numpy()[kept], 2.0 * weights.numpy()[kept], rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), dropped.numpy() @ v, rtol=1e-12, atol=1e-12)
    again = scaled_dot_product_attention(*(make(backend, a) for a in (q, k, v)), dropout_p=0.5, generator=3)
    np.testing.assert_array_equal(again.numpy(), out.numpy())

    # the same seed gives the same mask on every call, so the numerical check sees one function
    def fn(q, k, v):
        return scaled_dot_product_attention_with_weights(q, k, v, dropout_p=0.3, generator=5)

    check_gradients(backend, fn, q, k, v)


def test_sdpa_errors(backend, rng):
    q, k, v = (make(backend, a) for a in _qkv(rng))
    with pytest.raises(ValueError, match=r"key must have the query's embedding size 2.*\(2, 4, 5\)"):
        scaled_dot_product_attention(q, make(backend, rng.standard_normal((2, 4, 5))), v)
    with pytest.raises(ValueError, match=r"value must have the key's length 4.*\(2, 3, 3\)"):
        scaled_dot_product_attention(q, k, make(backend, rng.standard_normal((2, 3, 3))))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 3\).*\(2, 3, 4\)"):
        scaled_dot_product_attention(q, k, v, attn_mask=make(backend, np.ones((4, 3), bool)))
    with pytest.raises(ValueError, match="not both"):
        scaled_dot_product_attention(q, k, v, attn_mask=make(backend, _bool_mask()), is_causal=True)
    with pytest.raises(ValueError, match="at least 2-D"):
        scaled_dot_product_attention(make(backend, np.ones(3)), k, v)


# -- MultiheadAttention -------------------------------------------------------------------------
E, H, N, L, S = 8, 2, 2, 3, 4


def _masks(kind: str, rng: np.random.Generator, src_len: int, dtype: str) -> dict[str, np.ndarray]:
    padding = np.zeros((N, src_len), bool)
    padding[0, -1] = padding[1, 2:] = True  # True = ignore this key (query 0 always keeps key 0)
    causal = np.triu(np.ones((L, src_len), bool), 1)  # True = may not attend
    return {
        "none": {},
        "padding": {"key_padding_mask": padding},
        "float_padding": {"key_padding_mask": np.where(padding, -1e9, 0.0).astype(dtype)},
        "attn_mask": {"attn_mask": causal},
        "both": {"attn_mask": causal, "key_padding_mask": padding},
        "float_3d": {"attn_mask": rng.standard_normal((N * H, L, src_len)).astype(dtype)},
    }[kind]


MHA_CASES = [
    # (masks, batch_first, self_attention, kdim, need_weights, average_attn_weights)
    ("none", False, False, None, True, True),
    ("padding", True, False, None, True, False),
    ("float_padding", False, True, None, False, True),
    ("attn_mask", True, True, None, True, True),
    ("both", False, False, 6, True, True),
    ("float_3d", True, False, 6, False, True),
]


def _run_mha(backend, rng, case, dtype):
    masks, batch_first, self_attention, kdim, need_weights, average = case
    src_len = L if self_attention else S
    theirs = torch.nn.MultiheadAttention(E, H, batch_first=batch_first, kdim=kdim, vdim=kdim)
    theirs = theirs.to(torch.float64 if dtype == "float64" else torch.float32)
    ours = MultiheadAttention(E, H, batch_first=batch_first, kdim=kdim, vdim=kdim, backend=backend, dtype=dtype)
    copy_torch_weights(ours, theirs)

    def layout(length, features):
        return (N, length, features) if batch_first else (length, N, features)

    q = rng.standard_normal(layout(L, E)).astype(dtype)
    inputs = [q] * 3 if self_attention else [q] + [rng.standard_normal(layout(S, kdim or E)).astype(dtype)
                                                     for _ in range(2)]
    a_in = [make(backend, x, requires_grad=True) for x in inputs[:1 if self_attention else 3]]
    t_in = [torch.tensor(x, requires_grad=True) for x in inputs[:1 if self_attention else 3]]
    a_args, t_args = (a_in * 3, t_in * 3) if self_attention else (a_in, t_in)
    mask_arrays = _masks(masks, rng, src_len, dtype)
    kwargs = dict(need_weights=need_weights, average_attn_weights=average)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about mixing bool and float masks
        out, weights = ours(*a_args, **{k: make(backend, m) for k, m in mask_arrays.items()}, **kwargs)
        ref, ref_weights = theirs(*t_args, **{k: torch.tensor(m) for k, m in mask_arrays.items()}, **kwargs)
    tol = TOL[dtype]
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg="output", **tol)
    projection = rng.standard_normal(tuple(ref.shape)).astype(dtype)
    loss, ref_loss = (out * make(backend, projection)).sum(), (ref * torch.tensor(projection)).sum()
    if need_weights:
        np.testing.assert_allclose(weights.numpy(), ref_weights.detach().numpy(), err_msg="weights", **tol)
        loss, ref_loss = loss + (weights * weights).sum(), ref_loss + (ref_weights * ref_weights).sum()
    else:
        assert weights is None and ref_weights is None
    loss.backward()
    ref_loss.backward()
    for i, (a, t) in enumerate(zip(a_in, t_in)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), err_msg=f"gradient of input {i}", **tol)
    their_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(their_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[name].grad.numpy(), err_msg=name, **tol)


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("case", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_mha_matches_torch(backend, rng, case):
    _run_mha(backend, rng, case, "float64")


@pytest.mark.parametrize("case", MHA_CASES[:3], ids=[c[0] for c in MHA_CASES[:3]])
def test_mha_matches_torch_float32(backend, rng, case):
    _run_mha(backend, rng, case, "float32")


def test_mha_gradients(backend, rng):
    mha = MultiheadAttention(4, 2, kdim=3, vdim=2, backend=backend, dtype="float64", seed=0)
    q, k, v = rng.standard_normal((2, 1, 4)), rng.standard_normal((3, 1, 3)), rng.standard_normal((3, 1, 2))
    padding = rng.standard_normal((1, 3))

    def fn(q, k, v, padding):
        out, weights = mha(q, k, v, key_padding_mask=padding)
        return out, weights

    check_gradients(backend, fn, q, k, v, padding)


def test_mha_unbatched_and_causal(backend, rng):
    mha = MultiheadAttention(E, H, backend=backend, dtype="float64", seed=1)
    x = make(backend, rng.standard_normal((L, E)))
    causal = np.triu(np.ones((L, L), bool), 1)
    out, weights = mha(x, x, x, attn_mask=make(backend, causal))
    assert tuple(out.shape) == (L, E) and tuple(weights.shape) == (L, L)
    assert np.all(weights.numpy()[causal] == 0.0)
    hinted, _ = mha(x, x, x, is_causal=True)
    np.testing.assert_allclose(hinted.numpy(), out.numpy(), rtol=1e-12)
    batched, _ = mha(x.reshape(L, 1, E), x.reshape(L, 1, E), x.reshape(L, 1, E), attn_mask=make(backend, causal))
    np.testing.assert_allclose(batched.numpy()[:, 0], out.numpy(), rtol=1e-12)
    _, per_head = mha(x, x, x, average_attn_weights=False)
    assert tuple(per_head.shape) == (H, L, L)


def test_mha_init_like_torch(backend):
    mha = MultiheadAttention(E, H, backend=backend, seed=3)
    assert tuple(mha.in_proj_weight.shape) == (3 * E, E) and tuple(mha.out_proj.weight.shape) == (E, E)
    assert np.all(mha.in_proj_bias.numpy() == 0.0) and np.all(mha.out_proj.bias.numpy() == 0.0)
    bound = np.sqrt(6.0 / (E + 3 * E))  # Xavier-uniform on (3E, E)
    assert np.abs(mha.in_proj_weight.numpy()).max() <= bound
    assert np.abs(mha.in_proj_weight.numpy()).max() > 0.8 * bound
    again = MultiheadAttention(E, H, backend="numpy", seed=3)
    for (name, p), q in zip(mha.named_parameters(), again.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    separate = MultiheadAttention(E, H, kdim=5, vdim=6, bias=False, backend=backend)
    shapes = {n: tuple(p.shape) for n, p in separate.named_parameters()}
    assert shapes == {"q_proj_weight": (E, E), "k_proj_weight": (E, 5), "v_proj_weight": (E, 6),
                      "out_proj.weight": (E, E)}


def test_mha_dropout_train_and_eval(backend, rng):
    mha = MultiheadAttention(E, H, dropout=0.5, batch_first=True, backend=backend, dtype="float64", seed=2)
    x = make(backend, rng.standard_normal((N, L, E)))
    first, w1 = mha(x, x, x)
    second, w2 = mha(x, x, x)
    assert not np.allclose(w1.numpy(), w2.numpy())
    mha.eval()
    eval1, weights = mha(x, x, x)
    eval2, _ = mha(x, x, x)
    np.testing.assert_array_equal(eval1.numpy(), eval2.numpy())
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-12)
    replay = MultiheadAttention(E, H, dropout=0.5, batch_first=True, backend=backend, dtype="float64", seed=2)
    np.testing.assert_array_equal(replay(x, x, x)[0].numpy(), first.numpy())


def test_mha_errors(backend, rng):
    with pytest.raises(ValueError, match=r"MultiheadAttention: embed_dim \(10\).*num_heads \(3\)"):
        MultiheadAttention(10, 3)
    mha = MultiheadAttention(E, H, backend=backend, dtype="float64")
    x = make(backend, rng.standard_normal((L, N, E)))
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected input with 8 features.*\(3, 2, 5\)"):
        bad = make(backend, rng.standard_normal((L, N, 5)))
        mha(bad, bad, bad)
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected 2-D or 3-D input, got 4-D"):
        deep = make(backend, rng.standard_normal((1, L, N, E)))
        mha(deep, deep, deep)
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected attn_mask of shape \(L, S\) = \(3, 3\) "
                                         r"or \(N \* num_heads, L, S\) = \(4, 3, 3\), got \(3, 4\)"):
        mha(x, x, x, attn_mask=make(backend, np.zeros((L, 4), bool)))
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected key_padding_mask of shape \(N, S\) = "
                                         r"\(2, 3\), got \(3, 2\)"):
        mha(x, x, x, key_padding_mask=make(backend, np.zeros((L, N), bool)))
    with pytest.raises(ValueError, match="MultiheadAttention: query and key must have the same batch size"):
        other = make(backend, rng.standard_normal((L, 3, E)))
        mha(x, other, other)
    with pytest.raises(TypeError, match="MultiheadAttention: expected input dtype float64"):
        single = make(backend, rng.standard_normal((L, N, E)).astype(np.float32))
        mha(single, single, single)


# -- TransformerEncoderLayer / TransformerEncoder -----------------------------------------------
LAYER_CASES = [
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
@pytest.mark.parametrize("case", LAYER_CASES, ids=[f"{'pre' if c[0] else 'post'}-{c[2]}" for c in LAYER_CASES])
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
