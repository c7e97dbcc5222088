"""InstanceNorm1d/2d/3d against PyTorch on every backend: affine, running statistics, unbatched input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anynn.functional.instance_norm import instance_norm
from anynn.nn import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from tests.helpers import check_gradients, compare_module_with_torch, copy_torch_weights, make

LAYERS = {1: (InstanceNorm1d, torch.nn.InstanceNorm1d), 2: (InstanceNorm2d, torch.nn.InstanceNorm2d),
          3: (InstanceNorm3d, torch.nn.InstanceNorm3d)}
OPTIONS = [dict(), dict(affine=True), dict(affine=True, bias=False), dict(track_running_stats=True),
           dict(affine=True, track_running_stats=True, momentum=0.3)]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_instance_norm_matches_torch(backend, rng, dims, options):
    ours_cls, theirs_cls = LAYERS[dims]
    theirs = theirs_cls(3, **options).double()
    ours = ours_cls(3, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    shape = (2, 3) + (4, 3, 2)[:dims]
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float64)
    compare_module_with_torch(backend, ours, theirs, x, rtol=1e-7, atol=1e-9)
    for name, buffer in theirs.named_buffers():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), buffer.numpy(), rtol=1e-7, err_msg=name)
    ours.eval().zero_grad()  # (moving a module keeps its gradients, as PyTorch's .to())
    theirs.eval().zero_grad()
    x2 = rng.standard_normal(shape)
    compare_module_with_torch(backend, ours, theirs, x2, rtol=1e-7, atol=1e-9)
    unbatched = rng.standard_normal(shape[1:])
    np.testing.assert_allclose(ours(make(backend, unbatched)).numpy(),
                               theirs(torch.tensor(unbatched)).detach().numpy(), rtol=1e-7, atol=1e-9)


def test_instance_norm_float32_and_gradients(backend, rng):
    theirs = torch.nn.InstanceNorm2d(4, affine=True)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    compare_module_with_torch(backend, InstanceNorm2d(4, affine=True), theirs,
                              rng.standard_normal((2, 4, 3, 3)).astype(np.float32), rtol=1e-4, atol=1e-5)
    check_gradients(backend, lambda x, w, b: instance_norm(x, weight=w, bias=b), rng.standard_normal((2, 3, 4)),
                    rng.standard_normal(3), rng.standard_normal(3))


def test_instance_norm_momentum_none_and_errors(backend, rng):
    ours = InstanceNorm1d(3, track_running_stats=True, momentum=None, backend=backend)
    theirs = torch.nn.InstanceNorm1d(3, track_running_stats=True, momentum=None)
    x = rng.standard_normal((2, 3, 5)).astype(np.float32)
    ours(make(backend, x))
    theirs(torch.tensor(x))
    for name, buffer in theirs.named_buffers():  # PyTorch leaves them as they were
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), buffer.numpy())
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected 2-D or 3-D input"):
        ours(make(backend, np.ones((1, 3, 2, 2), np.float32)))
    with pytest.raises(ValueError, match="InstanceNorm2d: expected input's size at dim=1 to match num_features"):
        InstanceNorm2d(3, affine=True, backend=backend)(make(backend, np.ones((1, 4, 2, 2), np.float32)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        InstanceNorm2d(3, backend=backend)(make(backend, np.ones((1, 4, 2, 2), np.float32)))
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial element"):
        InstanceNorm1d(3, backend=backend)(make(backend, np.ones((2, 3, 1), np.float32)))
    copy_torch_weights(ours, theirs)


def test_instance_norm_reset_running_stats_as_pytorch(backend, rng):
    """reset_running_stats (shared with batch norm, PyTorch's _NormBase) zeroes num_batches_tracked too."""
    ours = InstanceNorm1d(3, track_running_stats=True, backend=backend)
    theirs = torch.nn.InstanceNorm1d(3, track_running_stats=True)
    x = rng.standard_normal((2, 3, 5)).astype(np.float32)
    ours(make(backend, x))
    theirs(torch.tensor(x))
    ours.load_state_dict({"running_mean": np.ones(3, np.float32), "running_var": np.full(3, 2.0, np.float32),
                          "num_batches_tracked": np.array(7)})
    with torch.no_grad():
        theirs.num_batches_tracked.fill_(7)
    ours.reset_running_stats()
    theirs.reset_running_stats()
    for name, buffer in theirs.named_buffers():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), buffer.numpy())


def test_instance_norm_of_no_spatial_element_is_empty_as_pytorch(backend):
    # (2, 3, 0): PyTorch returns the empty result and leaves the running statistics; anynn raised ValueError
    # 'expected more than 1 spatial element'
    ours = InstanceNorm1d(3, affine=True, track_running_stats=True, backend=backend)
    theirs = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    x = make(backend, np.ones((2, 3, 0), np.float32), requires_grad=True)
    ours(x).sum().backward()
    theirs(torch.ones(2, 3, 0)).sum().backward()
    assert tuple(x.grad.shape) == (2, 3, 0)
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())
    np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
