"""``Tensor.data`` follows PyTorch (a detached Tensor sharing the array); ``Tensor.array`` is the native array.

PyTorch code writes ``p.data.add_(p.grad, alpha=-lr)``, ``w.data.uniform_(-0.1, 0.1)``, ``p.grad.data.clamp_(-1, 1)``,
``loss.data``, ``x.data.numpy()`` and ``p.data = t``; each is compared with what PyTorch does.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn import nn
from anynn.autograd.primitive import is_writeable
from anynn.backend import BackendMismatch

from tests.helpers import make

pytestmark = pytest.mark.jax  # JAX cannot write in place: the alias hands its new array to the owner


def _model_pair(backend):
    """The same two-layer network in PyTorch and in anynn (PyTorch's weights copied in), float64."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    ours = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1), backend=backend, dtype="float64")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def test_manual_sgd_through_data_matches_pytorch_over_five_steps(backend, rng):
    """word_language_model's update: ``for p in model.parameters(): p.data.add_(p.grad, alpha=-lr)``."""
    theirs, ours = _model_pair(backend)
    lr = 0.1
    for _ in range(5):
        x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 1))
        for model, wrap in ((theirs, torch.from_numpy), (ours, lambda a: make(backend, a))):
            model.zero_grad()
            loss = ((model(wrap(x)) - wrap(y)) ** 2).mean()
            loss.backward()
            for p in model.parameters():  # no no_grad(): .data is outside autograd
                p.data.add_(p.grad, alpha=-lr)
    for (name, t), (our_name, p) in zip(theirs.named_parameters(), ours.named_parameters()):
        assert name == our_name and p.requires_grad and p.is_leaf
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-13, err_msg=name)


def test_data_is_a_detached_tensor_sharing_the_array(backend):
    p = nn.Parameter(make(backend, np.arange(3.0)))
    d = p.data
    assert type(d) is anynn.Tensor and d is not p and p.data is not d  # a new Tensor each time, as PyTorch
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.array is p.array and d.backend is p.backend and d.dtype == p.dtype
    assert backend.is_native(p.array)
    t = torch.nn.Parameter(torch.arange(3.0))
    assert type(t.data) is torch.Tensor and not t.data.requires_grad  # what is compared


def test_in_place_methods_on_data_change_the_tensor(backend):
    w = nn.Parameter(make(backend, np.zeros((3, 4), dtype=np.float32)))
    w.data.uniform_(-0.1, 0.1)
    values = w.numpy()
    assert np.all(np.abs(values) <= 0.1) and np.any(values != 0)
    w.data.fill_(2.0)
    w.data.mul_(3.0)
    w.data.sub_(1.0)
    np.testing.assert_array_equal(w.numpy(), np.full((3, 4), 5.0, np.float32))
    w.data.copy_(make(backend, np.ones(4, dtype=np.float32)))  # broadcast, as copy_ does
    np.testing.assert_array_equal(w.numpy(), np.ones((3, 4), np.float32))
    w.data[1] = 0.0  # item assignment through .data (e.g. an embedding's padding row)
    np.testing.assert_array_equal(w.numpy()[1], np.zeros(4, np.float32))
    nn.init.normal_(w.data)  # old code hands .data to the initializers
    assert np.all(w.numpy()[1] != 0.0)
    assert w.requires_grad and w.grad_fn is None


def test_clamping_the_gradient_through_data_changes_the_gradient(backend):
    p = nn.Parameter(make(backend, np.array([1.0, -2.0, 3.0], dtype=np.float32)))
    (p * p).sum().backward()
    grad = p.grad
    p.grad.data.clamp_(-1, 1)
    assert p.grad is grad
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, -1.0, 1.0])
    t = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    (t * t).sum().backward()
    t.grad.data.clamp_(-1, 1)
    np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_a_data_of_a_data_still_reaches_the_tensor(backend):
    p = make(backend, np.zeros(2, dtype=np.float32))
    p.data.data.add_(1.0)
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])


def test_assigning_data_rebinds_the_array(backend):
    p = nn.Parameter(make(backend, np.zeros(3, dtype=np.float32)))
    new = make(backend, np.arange(5, dtype=np.float32))
    p.data = new  # PyTorch allows a new shape here
    assert p.shape == (5,) and p.array is new.array and p.requires_grad and isinstance(p, nn.Parameter)
    p.data.add_(1.0)
    np.testing.assert_array_equal(p.numpy(), np.arange(5) + 1.0)
    if is_writeable(new.array):  # shared, as in PyTorch (an immutable JAX array cannot be shared that way)
        np.testing.assert_array_equal(new.numpy(), np.arange(5) + 1.0)
    native = backend.asarray(np.ones(2, dtype=np.float32))
    p.data = native  # a native array of the backend
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])
    assert p._version == 0  # PyTorch's set_data leaves the version alone
    t = torch.nn.Parameter(torch.zeros(3))
    t.data = torch.arange(5.0)
    assert t._version == 0


def test_assigning_data_refuses_what_pytorch_refuses(backend):
    p = nn.Parameter(make(backend, np.zeros(3, dtype=np.float32)))
    with pytest.raises(TypeError, match="data has to be a tensor"):
        p.data = 3
    with pytest.raises(RuntimeError, match="floating point"):
        p.data = make(backend, np.arange(3))
    other = "torch" if backend.key != "torch" else "numpy"
    with pytest.raises(BackendMismatch, match="Tensor.data"):
        p.data = anynn.zeros(3, backend=other)
    with pytest.raises(BackendMismatch, match="Tensor.data"):
        p.data = anynn.zeros(3, backend=other).array
    t = torch.nn.Parameter(torch.zeros(3))
    with pytest.raises(TypeError, match="data has to be a tensor"):
        t.data = 3
    with pytest.raises(RuntimeError, match="floating point"):
        t.data = torch.arange(3)


def test_loss_data_and_numpy(backend):
    x = make(backend, np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    loss = (x * x).sum()
    value = loss.data
    assert isinstance(value, anynn.Tensor) and value.ndim == 0 and not value.requires_grad
    assert value.grad_fn is None and float(value) == 5.0 and value.item() == 5.0
    np.testing.assert_array_equal(x.data.numpy(), [1.0, 2.0])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    assert (tx * tx).sum().data.ndim == 0 and not (tx * tx).sum().data.requires_grad


def _changed_through_data(lib, x):
    w = x.clone().requires_grad_() if lib is torch else nn.Parameter(x)
    y = (w * w).sum()
    w.data.add_(1.0)  # not seen by the version counter: that is what .data is for
    y.backward()
    return w, w.grad


def test_changes_through_data_escape_the_version_check_as_in_pytorch(backend):
    host = np.array([1.0, 2.0])
    w, grad = _changed_through_data(anynn, make(backend, host, dtype="float64"))
    tw, tgrad = _changed_through_data(torch, torch.tensor(host))
    assert w._version == tw._version == 0
    np.testing.assert_array_equal(w.numpy(), tw.detach().numpy())
    if backend.key != "jax":  # the saved array was written in place, as PyTorch's saved storage is
        np.testing.assert_array_equal(grad.numpy(), tgrad.numpy())
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):  # the tensor itself: checked
        v = nn.Parameter(make(backend, host, dtype="float64"))
        y = (v * v).sum()
        with anynn.no_grad():
            v.add_(1.0)
        y.backward()


def test_an_alias_no_longer_writes_into_a_tensor_given_new_data(backend):
    p = make(backend, np.zeros(2, dtype=np.float32))
    old = p.data
    p.data = make(backend, np.ones(2, dtype=np.float32))
    old.add_(5.0)  # PyTorch: the old storage changes, p does not
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(old.numpy(), [5.0, 5.0])
