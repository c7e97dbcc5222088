"""Attention: scaled_dot_product_attention (grouped-query too) and MultiheadAttention on every backend: gradient
checks, PyTorch as the oracle (fixed cases and seeded random configurations), errors."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from anynn.backend.base import BackendMismatch
from anynn.functional.attention import scaled_dot_product_attention, scaled_dot_product_attention_with_weights
from anynn.nn.attention import MultiheadAttention
from tests.helpers import check_gradients, compare_with_torch, copy_torch_weights, make
from tests.nn.oracle import compare, random_mask, seed_dtype

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


def test_sdpa_in_float16_keeps_a_boolean_mask_as_torch(backend, rng):
    """float16 attention computes in float32 (613b37f) and applied a boolean mask's allowed keys: the mask was
    dropped on the way, so every key took part (gpt-fast's bfloat16 decoding with its causal mask diverged)."""
    if backend.key.startswith("array_api_strict"):
        pytest.skip("array-api-strict has no float16")
    arrays = [a.astype(np.float16) for a in _qkv(rng, "float32")]
    out = scaled_dot_product_attention(*(make(backend, a) for a in arrays), attn_mask=make(backend, _bool_mask()))
    ref = F_TORCH.scaled_dot_product_attention(*(torch.tensor(a) for a in arrays), attn_mask=torch.tensor(_bool_mask()))
    assert anynn.backend.dtype_name(out.dtype) == "float16"
    np.testing.assert_allclose(np.asarray(out.tolist()), ref.float().numpy(), rtol=2e-3, atol=2e-3)


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
    with pytest.raises(TypeError, match="bool, float32 or the query's dtype float64, got int64"):
        scaled_dot_product_attention(q, k, v, attn_mask=make(backend, np.zeros((3, 4)), dtype="int64"))
    # a float64 mask on another backend is refused for its backend, not for a dtype it has
    elsewhere = "array_api_strict" if backend.name != "array_api_strict" else "numpy"
    with pytest.raises(BackendMismatch):
        scaled_dot_product_attention(q, k, v, attn_mask=make(elsewhere, np.zeros((3, 4))))


def test_sdpa_float32_mask_with_a_float64_query_as_pytorchs(backend, rng):
    """PyTorch takes a bool mask, a float32 one (generate_square_subsequent_mask's dtype beside a float64 model) or
    one of the query's dtype: the float32 mask is read in the query's dtype."""
    arrays = _qkv(rng)
    mask = rng.standard_normal((3, 4)).astype(np.float32)
    got = scaled_dot_product_attention(*(make(backend, a) for a in arrays), attn_mask=make(backend, mask,
                                                                                         dtype="float32"))
    expected = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a) for a in arrays),
                                                                attn_mask=torch.from_numpy(mask))
    assert got.numpy().dtype == np.float64
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


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


def _compare_and_backward(backend, rng, dtype, mine, theirs, need_weights, tol):
    """Attention outputs (and weights, when asked for) against torch's, then both backwards of the same loss: the
    output against a random projection (dtype), plus the squared weights."""
    (out, weights), (ref, ref_weights) = mine, theirs
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
    _compare_and_backward(backend, rng, dtype, (out, weights), (ref, ref_weights), need_weights, tol)
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
    assert "_views" not in mha.in_proj_bias.__dict__  # self-attention slices no bias (nodes it would not use)
    assert tuple(out.shape) == (L, E) and tuple(weights.shape) == (L, L)
    assert np.all(weights.numpy()[causal] == 0.0)
    hinted, _ = mha(x, x, x, attn_mask=make(backend, causal), is_causal=True)
    np.testing.assert_allclose(hinted.numpy(), out.numpy(), rtol=1e-12)
    for layer, y in ((mha, x), (torch.nn.MultiheadAttention(E, H), torch.ones(L, E))):
        with pytest.raises(RuntimeError, match="attn_mask"):  # the hint without its mask, as PyTorch's
            layer(y, y, y, is_causal=True, need_weights=False)
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
    for error in (ValueError, AssertionError):  # (PyTorch asserts the padding mask's shape and dtype)
        with pytest.raises(error, match=r"MultiheadAttention: expected key_padding_mask of shape \(N, S\) = "
                                        r"\(2, 3\), got \(3, 2\)"):
            mha(x, x, x, key_padding_mask=make(backend, np.zeros((L, N), bool)))
        with pytest.raises(error if error is AssertionError else TypeError,
                           match="only bool and floating types of key_padding_mask are supported, got int64"):
            mha(x, x, x, key_padding_mask=make(backend, np.zeros((N, L), np.int64)))
    with pytest.raises(ValueError, match="MultiheadAttention: query and key must have the same batch size"):
        other = make(backend, rng.standard_normal((L, 3, E)))
        mha(x, other, other)
    with pytest.raises(TypeError, match="MultiheadAttention: expected input dtype float64"):
        single = make(backend, rng.standard_normal((L, N, E)).astype(np.float32))
        mha(single, single, single)


@pytest.mark.parametrize("lengths", [(0, 0), (4, 0), (0, 3)], ids=["no-queries-no-keys", "no-keys", "no-queries"])
def test_multihead_attention_zero_length_as_torch(backend, lengths):
    """Zero keys: the weights are empty and the output is the output projection's bias (PyTorch's result)."""
    target_len, source_len = lengths
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(8, 2)
    with torch.no_grad():
        ref.out_proj.bias.uniform_(-1, 1)
    ours = MultiheadAttention(8, 2, backend=backend)
    copy_torch_weights(ours, ref)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((target_len, 3, 8)).astype(np.float32)
    kv = rng.standard_normal((source_len, 3, 8)).astype(np.float32)
    out, weights = ours(make(backend, q, requires_grad=True), make(backend, kv), make(backend, kv))
    out_t, weights_t = ref(torch.tensor(q, requires_grad=True), torch.tensor(kv), torch.tensor(kv))
    assert tuple(out.shape) == tuple(out_t.shape) and tuple(weights.shape) == tuple(weights_t.shape)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out * 2.0).sum().backward()
    (out_t * 2.0).sum().backward()
    theirs = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("mask_shape", [(3, 4), (1, 1, 3, 4), (2, 3, 4)], ids=str)
def test_attention_of_an_empty_batch_with_a_mask_as_torch(backend, mask_shape):
    """A mask broadcasts over an empty batch (a size 1 against 0 gives 0): anynn refused it as not broadcasting."""
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((0, 2, 3, 2)), rng.standard_normal((0, 2, 4, 2)), rng.standard_normal((0, 2, 4, 3))
    mask = rng.standard_normal(mask_shape)
    out = scaled_dot_product_attention(*(make(backend, a) for a in (q, k, v)), attn_mask=make(backend, mask))
    expected = F_TORCH.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    assert tuple(out.shape) == tuple(expected.shape) == (0, 2, 3, 3)
    if len(mask_shape) == 2:  # the layer: an (L, S) mask with a batch of none
        torch.manual_seed(0)
        ref = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64)
        ours = MultiheadAttention(4, 2, batch_first=True, backend=backend, dtype="float64")
        copy_torch_weights(ours, ref)
        x = rng.standard_normal((0, 3, 4))
        got, _ = ours(*(make(backend, x),) * 3, attn_mask=make(backend, mask[:, :3]))
        want, _ = ref(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(mask[:, :3]))
        assert tuple(got.shape) == tuple(want.shape) == (0, 3, 4)


# -- seeded random configurations against PyTorch -----------------------------------------------------


@pytest.mark.parametrize("seed", range(48))
def test_multihead_attention_matches_torch(backend, seed):
    rng = np.random.default_rng(seed)

    def pick(*options: Any) -> Any:
        return options[int(rng.integers(len(options)))]

    heads = int(rng.integers(1, 4))
    embed = heads * int(rng.integers(1, 4))
    same_dims = pick(True, True, False)
    kdim, vdim = (embed, embed) if same_dims else (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    bias, batch_first, unbatched = pick(True, True, False), pick(True, False), pick(False, False, False, True)
    need_weights, average = pick(True, True, False), pick(True, False)
    # which inputs are the same object: PyTorch (and anynn) take different paths for each
    sharing = pick("self", "kv", "qk", "none") if same_dims else pick("kv", "none")
    mask_kind = pick("none", "2d", "3d")
    mask_type, pad_kind = pick("bool", "float"), pick("none", "bool", "float")
    dtype = seed_dtype(backend, seed)
    n, tgt, src = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if sharing in ("self", "qk"):
        src = tgt
    if sharing == "kv":
        vdim = kdim
    torch.manual_seed(seed)
    kw = dict(bias=bias, kdim=kdim, vdim=vdim, batch_first=batch_first, add_bias_kv=pick(False, False, True),
              add_zero_attn=pick(False, False, True))
    ours, theirs = MultiheadAttention(embed, heads, **kw), torch.nn.MultiheadAttention(embed, heads, **kw)
    if bias:  # PyTorch starts the biases at zero: give them values so their gradients matter
        with torch.no_grad():
            for p in (theirs.in_proj_bias, theirs.out_proj.bias):
                p.normal_()

    def layout(length: int, features: int) -> tuple[int, ...]:
        if unbatched:
            return (length, features)
        return (n, length, features) if batch_first else (length, n, features)

    q = rng.standard_normal(layout(tgt, embed))
    k, v = rng.standard_normal(layout(src, kdim)), rng.standard_normal(layout(src, vdim))
    inputs = {"self": [q], "kv": [q, k], "qk": [q, v], "none": [q, k, v]}[sharing]
    attn_mask = None
    if mask_kind == "2d":
        attn_mask = random_mask(rng, (tgt, src), mask_type)
    elif mask_kind == "3d":
        attn_mask = random_mask(rng, ((1 if unbatched else n) * heads, tgt, src), mask_type)
    padding = None if pad_kind == "none" else random_mask(rng, (src,) if unbatched else (n, src), pad_kind)

    def runner(module: Any) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            args = list(args)
            count = len(inputs)
            qkv = {"self": args[:1] * 3, "kv": args[:1] + [args[1]] * 2, "qk": [args[0]] * 2 + [args[1]],
                   "none": args[:3]}[sharing]
            mask, pad = args[count:]
            return module(*qkv, key_padding_mask=pad, need_weights=need_weights, attn_mask=mask,
                          average_attn_weights=average)
        return run

    compare(backend, ours, theirs, runner(ours), runner(theirs), inputs, dtype, extras=[attn_mask, padding],
            seed=seed)


@pytest.mark.parametrize("seed", range(8))
def test_multihead_attention_is_causal_matches_torch(backend, seed):
    """``is_causal`` with the causal mask given, as PyTorch requires (a hint there, honoured here). Without
    need_weights PyTorch drops the mask for the causal triangle, which then hides add_bias_kv's and add_zero_attn's
    extra keys from the early queries (with need_weights they are padded into the mask as allowed)."""
    rng = np.random.default_rng(seed)
    embed, heads, length, n = 4, 2, int(rng.integers(1, 5)), 2
    batch_first, need_weights, dtype = bool(seed & 1), bool(seed & 2), seed_dtype(backend, seed)
    extra_keys = dict(add_bias_kv=bool(seed & 4), add_zero_attn=bool(seed & 4))
    torch.manual_seed(seed)
    ours, theirs = (MultiheadAttention(embed, heads, batch_first=batch_first, **extra_keys),
                    torch.nn.MultiheadAttention(embed, heads, batch_first=batch_first, **extra_keys))
    causal = np.triu(np.ones((length, length), dtype=bool), 1)
    x = rng.standard_normal((n, length, embed) if batch_first else (length, n, embed))

    def runner(module: Any) -> Callable[..., Any]:
        def run(x: Any, mask: Any) -> Any:
            return module(x, x, x, attn_mask=mask, need_weights=need_weights, is_causal=True)
        return run

    compare(backend, ours, theirs, runner(ours), runner(theirs), [x], dtype, extras=[causal])


@pytest.mark.parametrize("seed", range(24))
def test_scaled_dot_product_attention_matches_torch(backend, seed):
    rng = np.random.default_rng(seed)
    batch = tuple(int(b) for b in rng.integers(1, 4, size=seed % 3))
    length, source = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    e, ev = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    scale = None if seed % 2 else float(rng.uniform(0.1, 2.0))
    causal = seed % 5 == 1
    mask_kind = ["none", "bool", "float", "float-grad"][seed % 4] if not causal else "none"
    dtype = seed_dtype(backend, seed)
    q = rng.standard_normal(batch + (length, e))
    k = rng.standard_normal(batch[1:] + (source, e))  # key and value broadcast over the first batch axis
    v = rng.standard_normal(batch[1:] + (source, ev))
    mask_shape = (length, source) if seed % 2 else batch + (length, source)
    mask = None if mask_kind == "none" else random_mask(rng, mask_shape, "bool" if mask_kind == "bool" else "float")
    if mask_kind == "bool":
        mask = ~mask
    if mask_kind == "float-grad":
        mask = rng.standard_normal(mask_shape)  # a learned additive bias: it gets a gradient too
    inputs, extras = [q, k, v], []
    if mask_kind == "float-grad":
        inputs.append(mask)
    elif mask is not None:
        extras.append(mask)
    else:
        extras.append(None)

    def ours(q, k, v, m):
        return scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal, scale=scale)

    def theirs(q, k, v, m):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal, scale=scale)

    compare(backend, None, None, ours, theirs, inputs, dtype, extras=extras)


@pytest.mark.parametrize("seed", range(4))
def test_grouped_query_attention_matches_torch(backend, seed):
    rng = np.random.default_rng(seed)
    kv_heads, groups = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    n, length, source, e = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), 3
    q = rng.standard_normal((n, kv_heads * groups, length, e))
    k, v = rng.standard_normal((n, kv_heads, source, e)), rng.standard_normal((n, kv_heads, source, 2))
    causal = bool(seed & 1)

    def ours(q, k, v):
        return scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)

    def theirs(q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)

    compare(backend, None, None, ours, theirs, [q, k, v], seed_dtype(backend, seed))


@pytest.mark.parametrize("mask_type", ["bool", "float"])
@pytest.mark.parametrize("extra", ["bias_kv", "zero_attn", "both"])
def test_multihead_attention_extra_keys_match_torch(backend, extra, mask_type):
    """``add_bias_kv`` / ``add_zero_attn`` with both masks (which get an allowed column per extra key)."""
    rng = np.random.default_rng(0)
    kw = dict(add_bias_kv=extra != "zero_attn", add_zero_attn=extra != "bias_kv", batch_first=True)
    torch.manual_seed(0)
    ours, theirs = MultiheadAttention(4, 2, **kw), torch.nn.MultiheadAttention(4, 2, **kw)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    q, k = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 2, 4))
    mask, pad = random_mask(rng, (3, 2), mask_type), random_mask(rng, (2, 2), mask_type)

    def runner(module: Any) -> Callable[..., Any]:
        return lambda q, k, m, p: module(q, k, k, attn_mask=m, key_padding_mask=p, average_attn_weights=False)

    compare(backend, ours, theirs, runner(ours), runner(theirs), [q, k], "float64", extras=[mask, pad])


# -- F.multi_head_attention_forward: the layer's computation with every weight handed in -------------------------
def _mhaf_arrays(rng: np.random.Generator, case: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays: inputs and weights, options) of one call; CLIP's AttentionPool2d is ``pool``."""
    kdim = 6 if case == "separate_kdim" else E
    separate = case in ("pool", "separate_kdim")
    arrays = dict(query=rng.standard_normal((1 if case == "pool" else L, N, E)),
                  key=rng.standard_normal((S, N, kdim)), value=rng.standard_normal((S, N, kdim)),
                  in_proj_bias=rng.standard_normal(3 * E), out_proj_weight=rng.standard_normal((E, E)) / 3,
                  out_proj_bias=rng.standard_normal(E))
    if separate:
        arrays.update(q_proj_weight=rng.standard_normal((E, E)) / 3, k_proj_weight=rng.standard_normal((E, kdim)) / 3,
                      v_proj_weight=rng.standard_normal((E, kdim)) / 3)
    else:
        arrays.update(in_proj_weight=rng.standard_normal((3 * E, E)) / 3)
    options: dict[str, Any] = dict(use_separate_proj_weight=separate, add_zero_attn=False, need_weights=False)
    if case == "pool":
        arrays["key"] = arrays["value"] = np.concatenate([arrays["query"], arrays["key"]])
    if case == "bias_kv":
        arrays.update(bias_k=rng.standard_normal((1, 1, E)), bias_v=rng.standard_normal((1, 1, E)))
        padding = np.zeros((N, S), bool)
        padding[1, 1:] = True
        options.update(add_zero_attn=True, need_weights=True, key_padding_mask=padding)
    if case == "separate_kdim":
        options.update(attn_mask=rng.standard_normal((L, S)), need_weights=True, average_attn_weights=False)
    if case == "unbatched":
        arrays = {k: (v[:, 0] if k in ("query", "key", "value") else v) for k, v in arrays.items()}
        del arrays["in_proj_bias"], arrays["out_proj_bias"]
    return arrays, options


def _mhaf(lib: Any, tensors: dict[str, Any], options: dict[str, Any]) -> tuple[Any, Any]:
    """``lib.nn.functional.multi_head_attention_forward`` as CLIP calls it (keywords, weights as given)."""
    t = dict(tensors)
    if t.get("key") is None:
        t["key"] = t["value"] = t["kv"]
    for name in ("in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj_bias"):
        t.setdefault(name, None)
    t.pop("kv", None)
    query, key, value = t.pop("query"), t.pop("key"), t.pop("value")
    return lib.nn.functional.multi_head_attention_forward(
        query=query, key=key, value=value, embed_dim_to_check=E, num_heads=H, dropout_p=0.0, training=True,
        **t, **options)


@pytest.mark.parametrize("case", ["pool", "bias_kv", "separate_kdim", "unbatched"])
def test_multi_head_attention_forward_matches_torch(backend, rng, case):
    arrays, options = _mhaf_arrays(rng, case)
    shared_kv = case == "pool"
    if shared_kv:  # key is value: one tensor, as CLIP passes it
        arrays["kv"] = arrays.pop("key")
        del arrays["value"]
    ours = {k: make(backend, v, requires_grad=True) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    mask_options = {k: v for k, v in options.items() if isinstance(v, np.ndarray)}
    plain = {k: v for k, v in options.items() if k not in mask_options}
    for name in ("key", "value"):
        if shared_kv:
            ours[name], theirs[name] = ours["kv"], theirs["kv"]
    out, weights = _mhaf(anynn, {k: v for k, v in ours.items() if k != "kv"},
                         {**plain, **{k: make(backend, v) for k, v in mask_options.items()}})
    ref, ref_weights = _mhaf(torch, {k: v for k, v in theirs.items() if k != "kv"},
                             {**plain, **{k: torch.tensor(v) for k, v in mask_options.items()}})
    tol = TOL["float64"]
    _compare_and_backward(backend, rng, "float64", (out, weights), (ref, ref_weights), options["need_weights"], tol)
    for name in arrays:
        np.testing.assert_allclose(ours[name].grad.numpy(), theirs[name].grad.numpy(), err_msg=name, **tol)


def test_multi_head_attention_forward_gradients(backend, rng):
    arrays, options = _mhaf_arrays(rng, "bias_kv")
    padding = make(backend, options.pop("key_padding_mask"))
    names = list(arrays)

    def fn(*tensors):
        return _mhaf(anynn, dict(zip(names, tensors)), {**options, "key_padding_mask": padding})

    check_gradients(backend, fn, *arrays.values())


def test_multi_head_attention_forward_errors(backend, rng):
    arrays, options = _mhaf_arrays(rng, "pool")
    tensors = {k: make(backend, v) for k, v in arrays.items()}
    with pytest.raises(ValueError, match=r"multi_head_attention_forward: expected input with 8 features"):
        _mhaf(anynn, {**tensors, "query": make(backend, rng.standard_normal((1, N, 5)))}, options)
    with pytest.raises(ValueError, match="use_separate_proj_weight=True needs q_proj_weight"):
        _mhaf(anynn, {k: v for k, v in tensors.items() if k != "k_proj_weight"}, options)
    with pytest.raises(ValueError, match="in_proj_weight is None"):
        _mhaf(anynn, tensors, {**options, "use_separate_proj_weight": False})
    with pytest.raises(NotImplementedError, match="static_k"):
        _mhaf(anynn, {**tensors, "static_k": tensors["key"]}, options)


def test_sdpa_kernel_and_sdp_backend_as_torch(backend, rng):
    """``torch.nn.attention``'s names (lucidrains' Attend wraps its attention in ``sdpa_kernel``): the block runs
    the same attention, the enum has PyTorch's members and values, and a wrong argument is refused as PyTorch's."""
    from anynn.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention import SDPBackend as TorchSDPBackend
    from torch.nn.attention import sdpa_kernel as torch_sdpa_kernel

    assert {k: int(v) for k, v in SDPBackend.__members__.items()} == \
        {k: int(v) for k, v in TorchSDPBackend.__members__.items()}
    arrays = _qkv(rng)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]), torch_sdpa_kernel([TorchSDPBackend.MATH]):
        compare_with_torch(backend, scaled_dot_product_attention, F_TORCH.scaled_dot_product_attention, *arrays)
    with sdpa_kernel(SDPBackend.MATH):
        pass
    for lib_kernel in (sdpa_kernel, torch_sdpa_kernel):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
            with lib_kernel(3):
                pass


def _flex_scores(lib: Any, q: Any, k: Any, table: Any, q_idx: Any, kv_idx: Any, heads: Any) -> Any:
    """Soft-capped scores plus a learned relative-position table (4 heads over 2 key/value heads)."""
    score = q @ k.repeat_interleave(2, 1).mT / np.sqrt(2) if lib is torch else q
    return lib.tanh(score / 2) * 2 + table[heads, q_idx - kv_idx + 3]


def test_flex_attention_as_torch(backend, rng):
    """torch.nn.attention.flex_attention (ModuleNotFoundError before; gpt-fast-style and attention-gym code imports
    flex_attention and create_block_mask from there): score_mod and mask_mod called on broadcast indices give the
    attention of the scores they describe, a fully masked query a zero row (lse -inf), and gradients reach the query
    and a table score_mod reads. The oracle is those scores written out in PyTorch: its flex_attention takes ~9 s to
    compile its first calls on CPU (create_mask's too) and refuses a backward there (checked by hand: 30 score_mod x
    mask_mod pairs agree to 1e-15)."""
    import anynn.nn.attention.flex_attention as ours

    q, k, v, table = arrays = [rng.standard_normal(shape) for shape in ((2, 4, 3, 2), (2, 2, 4, 2), (2, 2, 4, 3),
                                                                          (4, 7))]
    qt, tt = torch.tensor(q, requires_grad=True), torch.tensor(table, requires_grad=True)
    i, j = torch.arange(3)[:, None], torch.arange(4)[None]
    scores = _flex_scores(torch, qt, torch.tensor(k), tt, i, j, torch.arange(4)[:, None, None])
    scores = scores.masked_fill(~((i >= j) & (i > 0)), -np.inf)
    out = (scores.softmax(-1).nan_to_num() @ torch.tensor(v).repeat_interleave(2, 1))
    out.square().sum().backward()
    expected = [t.detach().numpy() for t in (out, scores.logsumexp(-1), qt.grad, tt.grad)]

    qa, ka, va, ta = (anynn.tensor(a, backend=backend, requires_grad=True) for a in arrays)
    mask = ours.and_masks(lambda b, h, q_idx, kv_idx: q_idx >= kv_idx, lambda b, h, q_idx, kv_idx: q_idx > 0)
    out, aux = ours.flex_attention(
        qa, ka, va, score_mod=lambda s, b, h, q_idx, kv_idx: _flex_scores(anynn, s, None, ta, q_idx, kv_idx, h),
        block_mask=ours.create_block_mask(mask, None, None, 3, 4, device="cpu"), enable_gqa=True,
        return_aux=ours.AuxRequest(lse=True))
    out.square().sum().backward()
    got = [np.asarray(t.tolist()) for t in (out, aux.lse, qa.grad, ta.grad)]
    for name, a, b in zip(("out", "lse", "query grad", "table grad"), got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)
    causal = ours.create_mask(lambda b, h, q_idx, kv_idx: q_idx >= kv_idx, 1, 2, 3, 4, backend=backend)
    assert causal.tolist() == np.broadcast_to(np.tri(3, 4, dtype=bool), (1, 2, 3, 4)).tolist()
    with pytest.raises(ValueError, match="block_mask was created for"):
        ours.flex_attention(*(anynn.tensor(a, backend=backend) for a in arrays[:3]), enable_gqa=True,
                            block_mask=ours.create_block_mask(ours.noop_mask, None, None, 5, 5))


def test_varlen_attention_as_torch(backend, rng):
    """torch.nn.attention.varlen (ModuleNotFoundError before; the variable-length-attention tutorial imports
    varlen_attn): three packed sequences, more keys than queries in two, a causal sliding window aligned at the
    sequences' ends and two query heads per key/value head give each sequence's own attention, its lse and the
    gradients. The oracle is PyTorch's scaled_dot_product_attention per sequence (PyTorch's CPU build has no
    varlen kernel); a query after the last sequence gets a zero row and an lse of +inf, as FlashAttention's."""
    from anynn.nn.attention.varlen import AuxRequest, varlen_attn

    cu_q, cu_k = [0, 4, 5, 8], [0, 6, 8, 11]
    q, k, v = arrays = [rng.standard_normal(shape) for shape in ((9, 4, 2), (11, 2, 2), (11, 2, 2))]
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in arrays)
    outs, lses = [torch.zeros(1, 4, 2, dtype=torch.float64)], [torch.full((4, 1), np.inf, dtype=torch.float64)]
    for q0, q1, k0, k1 in reversed(list(zip(cu_q, cu_q[1:], cu_k, cu_k[1:]))):
        place, diagonal = torch.arange(k1 - k0), torch.arange(q1 - q0)[:, None] + (k1 - k0) - (q1 - q0)
        allowed = (place <= diagonal) & (place >= diagonal - 2)
        heads = [t.repeat_interleave(2, 1).transpose(0, 1) for t in (tk[k0:k1], tv[k0:k1])]
        outs.insert(0, F_TORCH.scaled_dot_product_attention(tq[q0:q1].transpose(0, 1), *heads, allowed,
                                                              scale=0.5).transpose(0, 1))
        lses.insert(0, (tq[q0:q1].transpose(0, 1) @ heads[0].mT / 2).masked_fill(~allowed, -np.inf).logsumexp(-1))
    torch.cat(outs).square().sum().backward()
    expected = [t.detach().numpy() for t in (torch.cat(outs), torch.cat(lses, -1), tq.grad, tk.grad, tv.grad)]

    qa, ka, va = (anynn.tensor(a, backend=backend, requires_grad=True) for a in arrays)
    offsets = [anynn.tensor(c, backend=backend, dtype="int32") for c in (cu_q, cu_k)]
    out, lse = varlen_attn(qa, ka, va, *offsets, 3, 6, scale=0.5, window_size=(2, 0), enable_gqa=True,
                           return_aux=AuxRequest(lse=True))
    out.square().sum().backward()
    got = [np.asarray(t.tolist()) for t in (out, lse, qa.grad, ka.grad, va.grad)]
    for name, a, b in zip(("out", "lse", "query grad", "key grad", "value grad"), got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12, err_msg=name)
    with pytest.raises(ValueError, match="Try setting enable_gqa=True"):
        varlen_attn(qa, ka, va, *offsets, 3, 6)
