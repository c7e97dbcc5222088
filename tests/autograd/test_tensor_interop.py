"""Tensors meet NumPy and PyTorch objects the way users expect."""

import numpy as np
import torch

import anynn


def test_numpy_asarray_of_a_tensor(backend):
    x = anynn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), backend=backend)
    host = np.asarray(x)
    assert isinstance(host, np.ndarray) and host.dtype == np.float32
    np.testing.assert_array_equal(host, np.arange(6.0).reshape(2, 3))
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    np.testing.assert_allclose(x, host)  # numpy's own helpers accept a Tensor


def test_wrapping_a_torch_parameter_drops_torch_autograd():
    parameter = torch.nn.Parameter(torch.ones(3))
    x = anynn.tensor(parameter, backend="torch", requires_grad=True)
    assert not x.array.requires_grad  # anynn records the graph; torch must not
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    assert parameter.grad is None
