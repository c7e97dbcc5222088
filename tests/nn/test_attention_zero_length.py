"""MultiheadAttention and the Transformer layers on zero-length sequences, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import copy_torch_weights, make


@pytest.mark.parametrize("lengths", [(0, 0), (4, 0), (0, 3)], ids=["no-queries-no-keys", "no-keys", "no-queries"])
def test_multihead_attention_zero_length_as_torch(backend, lengths):
    """Zero keys: the weights are empty and the output is the output projection's bias (PyTorch's result)."""
    target_len, source_len = lengths
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(8, 2)
    with torch.no_grad():
        ref.out_proj.bias.uniform_(-1, 1)
    ours = anynn.nn.MultiheadAttention(8, 2, backend=backend)
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
