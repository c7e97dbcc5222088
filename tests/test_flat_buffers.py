"""``torch._utils._flatten_dense_tensors``/``_unflatten_dense_tensors`` (`anynn._utils`): values, gradients and the
master-weights round trip of improved-diffusion's fp16_util, against PyTorch on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch._utils import _flatten_dense_tensors as torch_flatten, _unflatten_dense_tensors as torch_unflatten

from anynn._utils import _flatten_dense_tensors, _unflatten_dense_tensors
from tests.helpers import check_gradients, make

R = np.random.default_rng(8)
A, B, C = R.standard_normal((2, 3)), R.standard_normal(4), R.standard_normal((1, 2, 2))


def test_flatten_and_unflatten_match_torch(backend):
    ours, theirs = [make(backend, v) for v in (A, B, C)], [torch.tensor(v) for v in (A, B, C)]
    flat, ref = _flatten_dense_tensors(ours), torch_flatten(theirs)
    np.testing.assert_array_equal(flat.numpy(), ref.numpy())
    pieces, ref_pieces = _unflatten_dense_tensors(flat * 2, ours), torch_unflatten(ref * 2, theirs)
    assert isinstance(pieces, tuple) and isinstance(ref_pieces, tuple)
    for p, q in zip(pieces, ref_pieces, strict=True):
        assert tuple(p.shape) == tuple(q.shape)
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    np.testing.assert_array_equal(_flatten_dense_tensors([ours[0]]).numpy(), torch_flatten([theirs[0]]).numpy())
    with pytest.raises(ValueError, match="non-empty list"):
        _flatten_dense_tensors([])


def test_gradients_through_flat_buffers(backend):
    def fn(a, b, c):
        flat = _flatten_dense_tensors([a, b, c])
        x, y, z = _unflatten_dense_tensors(flat.sin(), [a, b, c])
        return (x * a).sum() + (y ** 2).sum() + z.sum() * flat.sum()

    check_gradients(backend, fn, A, B, C)


def test_fp16_util_master_params_round_trip_as_torch(backend):
    """improved-diffusion: master = flatten(params) as one Parameter, its grad the flattened grads, a step on it,
    then each parameter copied back from unflatten(master)."""
    results = []
    for lib, tensors in (("anynn", [make(backend, v, requires_grad=True) for v in (A, B)]),
                         ("torch", [torch.tensor(v, requires_grad=True) for v in (A, B)])):
        flatten, unflatten = ((_flatten_dense_tensors, _unflatten_dense_tensors) if lib == "anynn"
                              else (torch_flatten, torch_unflatten))
        (tensors[0].sum() * 3 + (tensors[1] ** 2).sum()).backward()
        master = flatten([p.detach() for p in tensors])
        grad = flatten([p.grad.detach() for p in tensors])
        master = master - 0.1 * grad
        for p, m in zip(tensors, unflatten(master.detach(), tensors)):
            p.detach().copy_(m)
        results.append([p.detach().numpy().copy() for p in tensors])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
