"""ONNX export of models that use the size of a symbolic axis as a number (``T = x.size(1)``, then
``arange(T)``, ``mask[:, :, :T, :T]``, ``x.view(B, T, h, C // h)``...): a GPT block exported with a symbolic batch
and length runs in onnxruntime at other lengths (shorter than the traced one too) as in anynn and PyTorch; each
use one by one; `SymInt` arithmetic and comparisons; refusals name the model's line."""

from __future__ import annotations

import io
import math
from typing import Any, Callable

import numpy as np
import pytest

import anynn
import anynn.nn as nn
import anynn.nn.functional as F
from anynn.autograd import Tensor

pytest.importorskip("ndonnx")
pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from anynn.onnx import ExportError, export  # noqa: E402


def gpt_classes(lib: Any) -> Any:
    """A nanoGPT-style language model written against ``lib`` (anynn or torch): a causal mask buffer sliced by the
    sequence length, positions from ``arange``, heads by ``view``, an ``assert`` on the length."""
    M = lib.nn

    class CausalSelfAttention(M.Module):
        def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
            super().__init__()
            self.c_attn, self.c_proj = M.Linear(n_embd, 3 * n_embd), M.Linear(n_embd, n_embd)
            self.n_head, self.n_embd = n_head, n_embd
            self.register_buffer("bias", lib.tril(lib.ones(block_size, block_size)).view(1, 1, block_size, block_size))

        def forward(self, x: Any) -> Any:
            B, T, C = x.size()
            assert T <= self.bias.size(-1)  # T read after the positions' Add: no name, no example size: given
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            y = M.functional.softmax(att, dim=-1) @ v
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class GPT(M.Module):
        def __init__(self, vocab: int = 20, block_size: int = 12, n_embd: int = 16) -> None:
            super().__init__()
            self.block_size = block_size
            self.wte, self.wpe = M.Embedding(vocab, n_embd), M.Embedding(block_size, n_embd)
            self.ln_1, self.ln_f = M.LayerNorm(n_embd), M.LayerNorm(n_embd)
            self.attn = CausalSelfAttention(n_embd, 4, block_size)
            self.lm_head = M.Linear(n_embd, vocab, bias=False)

        def forward(self, idx: Any) -> Any:
            b, t = idx.size()
            assert t <= self.block_size, f"Cannot forward sequence of length {t}, block size is only {self.block_size}"
            pos = lib.arange(0, t, dtype=lib.long)
            x = self.wte(idx) + self.wpe(pos)
            x = x + self.attn(self.ln_1(x))
            return self.lm_head(self.ln_f(x))

    return GPT


def _tokens(n: int, t: int) -> np.ndarray:
    return np.random.default_rng(10 * n + t).integers(0, 20, (n, t))


def test_gpt_with_symbolic_batch_and_length_runs_as_anynn_and_pytorch() -> None:
    torch = pytest.importorskip("torch")
    anynn.manual_seed(0)
    model = gpt_classes(anynn)().eval()
    reference = gpt_classes(torch)().eval()
    reference.load_state_dict({k: torch.from_numpy(np.asarray(v.array).copy()) for k, v in model.state_dict().items()})
    axes = {"idx": {0: "b", 1: "t"}, "logits": {0: "b", 1: "t"}}
    proto = export(model, _tokens(2, 7), io.BytesIO(), input_names=["idx"], output_names=["logits"],
                   dynamic_axes=axes)
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims[:2]] == ["b", "t"] and dims[2].dim_value == 20
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for n, t in [(2, 7), (3, 3), (1, 12), (2, 1)]:  # the traced length, shorter ones, the block size
        tokens = _tokens(n, t)
        (got,) = session.run(None, {"idx": tokens})
        mine = model(anynn.tensor(tokens)).numpy()
        with torch.no_grad():
            theirs = reference(torch.from_numpy(tokens)).numpy()
        assert got.shape == (n, t, 20)
        np.testing.assert_allclose(got, mine, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, theirs, rtol=1e-4, atol=1e-5)
    with pytest.raises(Exception):  # noqa: B017 - onnxruntime's own error: the mask buffer has 12 rows
        session.run(None, {"idx": _tokens(1, 13)})


class Use(nn.Module):
    """One use of the sizes of a (batch, length, features) input, beside a (1, 9, 9) causal mask buffer."""

    def __init__(self, use: Callable[[Any, Any], Any]) -> None:
        super().__init__()
        self.use = use
        self.register_buffer("mask", anynn.tril(anynn.ones(9, 9)).view(1, 9, 9))
        self.pos = nn.Embedding(9, 4)
        self.bag = nn.EmbeddingBag(9, 4, mode="max")
        self.proj = nn.Linear(4, 2)

    def forward(self, x: Any) -> Any:
        return self.use(self, x)


USES: dict[str, Callable[[Any, Any], Any]] = {
    "arange": lambda m, x: x + anynn.arange(0, x.size(1), dtype=anynn.float32)[:, None],
    "positions": lambda m, x: x + m.pos(anynn.arange(x.size(1))),
    "buffer_slice": lambda m, x: x[:, :, :1] * m.mask[:, :x.size(1), :x.size(1)],
    "tril_ones": lambda m, x: x[:, :, :1] * anynn.tril(anynn.ones(x.size(1), x.size(1))).sum(1)[None, :, None],
    "triu_full": lambda m, x: x + anynn.triu(anynn.full((x.size(1), 4), 2.0), 1),
    "zeros": lambda m, x: x + anynn.zeros(x.shape[0], x.shape[1], 1),
    "new_ones": lambda m, x: x - x.new_ones(x.size(0), x.size(1), 4),
    "view_heads": lambda m, x: x.view(x.size(0), x.size(1), 2, x.size(2) // 2).transpose(1, 2).reshape(
        x.size(0), 2, -1),
    "view_merge": lambda m, x: x.reshape(x.shape[0] * x.shape[1], x.shape[2]),
    "view_inferred": lambda m, x: x.reshape(*x.shape[:-1], -1, 2).sum(-1),  # (rotary embeddings' pairs)
    "position_index": lambda m, x: x[:, x.size(1) - 1] + x[:, -x.size(1)],
    "last_positions": lambda m, x: x[:, [-1], :] * 2 + x[[0, -1]].sum(0),  # nanoGPT's logits at inference
    "expand": lambda m, x: anynn.arange(x.size(1)).float().view(1, -1, 1).expand(x.size(0), x.size(1), 3),
    "repeat": lambda m, x: x.mean(1, keepdim=True).repeat(1, x.size(1), 1) - x,
    "causal_attention": lambda m, x: F.scaled_dot_product_attention(x[:, None], x[:, None], x[:, None],
                                                                   is_causal=True)[:, 0],
    "arithmetic": lambda m, x: x[:, x.size(1) // 2 - 1 + 1:x.size(1) * 2] * (x.size(2) + 1),
    "numel": lambda m, x: x / x.numel() + x.view(x.nelement() // 4, 4).sum(0) * x.size(1),  # a tensor op with a SymInt
    # a size as the value: int64 as full's value of an int, in a shape of known sizes too
    "full_of_a_size": lambda m, x: anynn.full((x.size(0), 2), x.size(1)) + anynn.full((1,), x.size(0)),
    # torch.tensor of sizes (UnreadableDataError before: NumPy read a SymInt as an object)
    "tensor_of_sizes": lambda m, x: x / anynn.tensor(x.size(1), dtype=anynn.float32).sqrt() + anynn.tensor(
        [x.size(0), x.size(1), 0.5, 1]),
    # timm's pad_same (TensorFlow's 'SAME' padding) of the length: max(..., 0) of a pad that is never negative
    "same_padding": lambda m, x: F.pad(x.transpose(1, 2), _same_padding(x.size(1), 3, 2)),
    # grouped-query attention's heads repeated (the reshape after the repeat kept the length's axis: was refused)
    "repeat_heads": lambda m, x: x.view(x.size(0), x.size(1), 2, 2).transpose(1, 2).repeat_interleave(2, 1).sum(1),
    # a grid of two symbolic sizes (YOLO's meshgrid of arange(h), arange(w): was refused, broadcast_to of None)
    "meshgrid": lambda m, x: x + anynn.stack(anynn.meshgrid(anynn.arange(x.size(1)), anynn.arange(x.size(0)),
                                                          indexing="xy"), -1).float().sum(-1)[..., None],
    # fixed-length bags of a (batch, length) input (int() of None before: its positions were counted from the sizes)
    # CLIP's pooled token x[arange(B), text.argmax(-1)] and HF's logits[arange(B), sequence_lengths]: index arrays
    # on symbolic axes wrap negative entries by the sizes (refused: 'needs that size to wrap negative entries')
    "gathered_positions": lambda m, x: x[anynn.arange(x.size(0)), x[..., 0].argmax(-1) - x.size(1)] + x[
        anynn.arange(x.size(0)), :, (x[:, 0, 0] > 0).long()].sum(1, keepdim=True),
    # LLaMA's causal attention, heads merged by reshape(B, T, -1): the recorded graph forgot the 4 features (a mask
    # made of SymInt sizes), which a Linear after it refused ('expected input with 4 features ... (None, None, None)')
    "merged_heads": lambda m, x: m.proj((lambda a: ((a @ a.mT) + anynn.full((x.size(1), x.size(1)), -1e9).triu(1))
                                         .softmax(-1) @ a)(x.view(x.size(0), x.size(1), 2, 2).transpose(1, 2))
                                        .transpose(1, 2).reshape(x.size(0), x.size(1), -1)),
    "bags": lambda m, x: x + m.bag((x[..., 0].abs() * 3).long().clamp(max=8))[:, None, :],
}


def _same_padding(size: Any, kernel: int, stride: int) -> list[Any]:
    """timm's get_same_padding (dilation 1) split as pad_same splits it (was refused: 'T / 2' had no value)."""
    pad = max((math.ceil(size / stride) - 1) * stride + (kernel - 1) + 1 - size, 0)
    return [pad // 2, pad - pad // 2]


@pytest.mark.parametrize("use", list(USES))
def test_each_use_of_a_symbolic_size_runs_at_other_sizes(use: str) -> None:
    anynn.manual_seed(0)
    model = Use(USES[use]).eval()
    proto = export(model, np.ones((2, 5, 4), np.float32), io.BytesIO(), dynamic_axes={"input": {0: "b", 1: "t"}})
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for n, t in [(2, 5), (3, 2), (1, 8)]:
        x = np.random.default_rng(t).standard_normal((n, t, 4)).astype(np.float32)
        (got,) = session.run(None, {"input": x})
        expected = model(anynn.tensor(x)).numpy()
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


class Sizes(nn.Module):
    """Reads the sizes, checks what can be decided, and keeps them (as numbers) in a list for the test."""

    def __init__(self, check: Callable[[Any, Any], Any]) -> None:
        super().__init__()
        self.check = check

    def forward(self, x: Any) -> Any:
        self.check(*x.size())
        return x * 2


def test_sizes_are_symbolic_ints_with_decided_comparisons() -> None:
    seen: list[Any] = []

    def check(b: Any, t: Any, c: Any) -> None:
        if isinstance(t, int):  # (export first runs the model eagerly on the example: ints there)
            return
        assert c == 3 and isinstance(c, int)  # a static axis stays an int
        assert b == b and t >= 1 and t > 0 and not t < 1 and t != -2 and not t == 0  # decided: plain bools
        assert t != b - b  # not decided: an assert, checked against the example, then taken as given
        assert 2 * t + 1 == 2 * t + 1 and t * 1 is t and 0 + t is t and t // 1 is t
        assert str(t // 2 + 1) == "SymInt(((t // 2) + 1))" and (t - 1).low == 0 and (t % 4).low == 0
        assert (-t).low is None and ((t + 2) * b).low == 3
        assert t <= 8
        seen.extend([b, t, t * 2 + 1])

    export(Sizes(check), np.ones((2, 5, 3), np.float32), io.BytesIO(), dynamic_axes={"input": {0: "b", 1: "t"}})
    assert [s.hint for s in seen] == [2, 5, 11]
    assert all(type(s).__name__ == "SymInt" for s in seen)
    export(Sizes(lambda b, t, c: seen.append((b, t))), np.ones((2, 5, 3), np.float32), io.BytesIO())
    assert seen[-1] == (2, 5) and all(type(n) is int for n in seen[-1])  # static shapes: plain ints
    flat = Sizes(lambda b, t, c: None)
    flat.forward = lambda x: seen.append(x.view(-1, 15).size(0) == x.size(0)) or x.view(-1, 15)
    export(flat, np.ones((2, 5, 3), np.float32), io.BytesIO(), dynamic_axes={"input": {0: "b"}})
    assert seen[-1] is True  # view(-1, C): the implied size is b (ONNX's 0 keeps the axis and its name)


def test_python_numbers_and_branches_on_a_symbolic_size_are_refused_naming_the_line() -> None:
    def branch(b: Any, t: Any, c: Any) -> None:
        if t > 4:  # one path per length: the graph has one
            pass

    axes = {"input": {0: "b", 1: "t"}}
    x = np.ones((2, 5, 3), np.float32)
    with pytest.raises(ExportError, match=r"model \(Sizes\).*condition on a symbolic size \(t > 4, at .*"
                                          r"test_symbolic_sizes.py:\d+ `if t > 4:"):
        export(Sizes(branch), x, io.BytesIO(), dynamic_axes=axes)

    def loop(b: Any, t: Any, c: Any) -> None:
        for _ in range(t):
            pass

    with pytest.raises(ExportError, match=r"the size t of a symbolic axis .* cannot be a Python int .*"
                                          r"`for _ in range\(t\):`"):
        export(Sizes(loop), x, io.BytesIO(), dynamic_axes=axes)
    with pytest.raises(ExportError, match=r"the size \(t \* 3\) .* cannot be a Python int .*np.zeros\(int"):
        export(Sizes(lambda b, t, c: np.zeros(int(t * c))), x, io.BytesIO(), dynamic_axes=axes)

    class Length(nn.Module):
        def forward(self, x: Any) -> Any:
            return x.reshape(len(x), -1)  # Python's len() must be an int: x.size(0) records

    with pytest.raises(ExportError, match=r"len\(\) of a tensor whose first axis is symbolic .*"
                                          r"x.reshape\(len\(x\), -1\).*write x.size\(0\)"):
        export(Length(), x, io.BytesIO(), dynamic_axes=axes)
    export(Length(), x, io.BytesIO(), dynamic_axes={"input": {1: "t"}})  # the first axis known: len() as before

    class Write(nn.Module):
        def forward(self, x: Any) -> Any:
            y = x.clone()
            y[:, :x.size(1) // 2] = 0.0  # (a where over arange(T) < T // 2 records)
            return y

    with pytest.raises(ExportError, match=r"assignment into x\[:, :SymInt\(\(t // 2\)\)\], bounded by the size of a "
                                          r"symbolic axis .* is not recorded"):
        export(Write(), x, io.BytesIO(), dynamic_axes=axes)

    class Halves(nn.Module):
        def forward(self, x: Any) -> Any:
            return x.split(x.size(1) // 2, 1)[0]  # how many pieces: known only when the graph runs

    with pytest.raises(ExportError, match=r"split: the pieces along dim 1 are counted from its size"):
        export(Halves(), x, io.BytesIO(), dynamic_axes=axes)

    def failing(b: Any, t: Any, c: Any) -> None:
        assert t < 5, "the example breaks it"

    with pytest.raises(ExportError, match="AssertionError: the example breaks it"):
        export(Sizes(failing), x, io.BytesIO(), dynamic_axes=axes)


def test_eager_tensors_keep_their_shape_property() -> None:
    eager = Tensor.__dict__["shape"], Tensor.__dict__["size"]
    export(Use(USES["view_heads"]), np.ones((2, 5, 4), np.float32), io.BytesIO(), dynamic_axes={"input": [0, 1]})
    with pytest.raises(ExportError):
        export(Sizes(lambda b, t, c: int(t)), np.ones((2, 5, 3), np.float32), io.BytesIO(),
               dynamic_axes={"input": [1]})
    assert (Tensor.__dict__["shape"], Tensor.__dict__["size"]) == eager
    assert Tensor.numel is Tensor.nelement and Tensor.__dict__["__len__"].__module__ == "anynn.autograd.tensor"
    x = anynn.ones(2, 3)
    assert x.shape == (2, 3) and x.size(1) == 3 and type(x.size(1)) is int

