"""PyTorch's dtype rules for host data and the default dtype, with torch 2.13 as the oracle.

``anynn.tensor`` of host data gives ``torch.tensor``'s dtype (NumPy float64 stays float64, Python floats take the
default dtype, a list the widest of its elements'); ``set_default_dtype`` changes what factories, Python floats
and new layers make, as ``torch.set_default_dtype`` does. The suite's conftest puts the default back to float32
after every test; the fixture here does the same for torch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import dtype_name

HOST_DATA = [
    ("float64 array", lambda: np.zeros((2, 3))),
    ("float64 0-d array", lambda: np.array(1.5)),
    ("float64 scalar", lambda: np.float64(1.5)),
    ("list of float64 scalars", lambda: [np.float64(1), np.float64(2)]),
    ("list of float64 arrays", lambda: [np.zeros(2), np.ones(2)]),
    ("float32 and float64 arrays", lambda: [np.zeros(2, np.float32), np.ones(2)]),
    ("Python float beside a float64 scalar", lambda: [1.0, np.float64(2)]),
    ("int beside a float64 scalar", lambda: [[1], [np.float64(2)]]),
    ("float32 scalar beside an int", lambda: [np.float32(1), 2]),
    ("float16 scalar beside a Python float", lambda: [np.float16(1), 2.5]),
    ("float16 array", lambda: np.ones(2, np.float16)),
    ("complex128 array", lambda: np.ones(2, np.complex128)),
    ("complex128 scalars", lambda: [np.complex128(1j), np.complex128(2)]),
    ("Python complex beside a float64 scalar", lambda: [1j, np.float64(2)]),
    ("complex64 scalar", lambda: np.complex64(1j)),
    ("Python floats", lambda: [[1.0, 2.0], [3.0, 4.5]]),
    ("Python float", lambda: 2.5),
    ("ints and floats", lambda: [1, 2.5]),
    ("Python complex", lambda: [1j, 2.0]),
    ("Python ints", lambda: [1, 2]),
    ("int32 array", lambda: np.arange(3, dtype=np.int32)),
    ("bools", lambda: [True, False]),
    ("empty list", lambda: []),
    ("empty tuple", lambda: ()),
    ("lists of empty lists", lambda: [[], []]),
    ("Python complex scalar", lambda: 1 + 2j),
]


@pytest.fixture(params=["float32", "float64"])
def default(request):
    """The default dtype set in both libraries; torch's is put back after the test (anynn's by conftest)."""
    anynn.set_default_dtype(request.param)
    torch.set_default_dtype(getattr(torch, request.param))
    yield request.param
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("label,data", HOST_DATA, ids=[c[0] for c in HOST_DATA])
def test_host_data_takes_torchs_dtype(backend, default, label, data):
    ref = torch.tensor(data())
    if not hasattr(backend.xp, dtype_name(ref.dtype)):
        pytest.skip(f"{backend.key} has no {dtype_name(ref.dtype)}")
    for made in (anynn.tensor(data(), backend=backend), anynn.as_tensor(data(), backend=backend)):
        assert dtype_name(made.dtype) == dtype_name(ref.dtype), label
        assert made.backend == backend
        np.testing.assert_array_equal(made.numpy(), ref.numpy())


def test_constructors_of_float64_numpy_data_as_torch(backend, default):
    x = np.random.default_rng(0).standard_normal((2, 3))
    assert anynn.nn.Parameter(anynn.tensor(x, backend=backend)).dtype == anynn.float64
    assert dtype_name(anynn.Tensor(x).dtype) == dtype_name(torch.Tensor(x).dtype) == default  # the legacy form
    assert anynn.DoubleTensor(x.astype(np.float32)).dtype == anynn.float64
    assert anynn.as_tensor(x, backend=backend).dtype == anynn.float64
    assert anynn.tensor(x, dtype=anynn.float32, backend=backend).dtype == anynn.float32  # dtype= still casts
    assert anynn.zeros_like(anynn.tensor(x, backend=backend)).dtype == anynn.float64


FACTORIES = [
    ("zeros", lambda lib: lib.zeros(2)),
    ("ones", lambda lib: lib.ones(2, 3)),
    ("empty", lambda lib: lib.empty(2)),
    ("full of a float", lambda lib: lib.full((2,), 1.5)),
    ("full of an int", lambda lib: lib.full((2,), 3)),
    ("full of a complex", lambda lib: lib.full((2,), 1j)),
    ("arange of floats", lambda lib: lib.arange(0.0, 2.0, 0.5)),
    ("arange of ints", lambda lib: lib.arange(4)),
    ("linspace", lambda lib: lib.linspace(0, 1, 5)),
    ("logspace", lambda lib: lib.logspace(0, 1, 3)),
    ("eye", lambda lib: lib.eye(2)),
    ("rand", lambda lib: lib.rand(2)),
    ("randn", lambda lib: lib.randn(2)),
    ("tensor of floats", lambda lib: lib.tensor([1.0, 2.0])),
    ("tensor of a complex", lambda lib: lib.tensor(1 + 2j)),
    ("scalar_tensor", lambda lib: lib.scalar_tensor(2)),
    ("hann_window", lambda lib: lib.hann_window(4)),
    ("fftfreq", lambda lib: lib.fft.fftfreq(4)),
    ("Tensor of ints", lambda lib: lib.Tensor([1, 2])),
    ("empty Parameter", lambda lib: lib.nn.Parameter()),
    ("int tensor times a float", lambda lib: lib.tensor([1, 2]) * 1.5),
    ("int tensor divided", lambda lib: lib.tensor([1, 2]) / 2),
    ("sqrt of ints", lambda lib: lib.tensor([1, 4]).sqrt()),
    ("where of floats", lambda lib: lib.where(lib.tensor([True, False]), 1.0, 2.0)),
    ("finfo", lambda lib: lib.finfo()),
    ("float32 data stays", lambda lib: lib.tensor(np.zeros(2, np.float32)) + 1.5),
]


@pytest.mark.parametrize("label,make", FACTORIES, ids=[c[0] for c in FACTORIES])
def test_factories_follow_the_default_as_torch(default, label, make):
    assert dtype_name(make(anynn).dtype) == dtype_name(make(torch).dtype), label
    assert anynn.get_default_dtype() == anynn.dtype(default) == torch.get_default_dtype()


LAYERS = [
    ("Linear", lambda nn: nn.Linear(3, 2)),
    ("Conv2d", lambda nn: nn.Conv2d(1, 2, 3)),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(3)),
    ("LayerNorm", lambda nn: nn.LayerNorm(3)),
    ("Embedding", lambda nn: nn.Embedding(4, 3)),
    ("LSTM", lambda nn: nn.LSTM(3, 2)),
    ("MultiheadAttention", lambda nn: nn.MultiheadAttention(4, 2)),
    ("PReLU", lambda nn: nn.PReLU()),
]


@pytest.mark.parametrize("label,build", LAYERS, ids=[c[0] for c in LAYERS])
def test_new_layers_take_the_default_as_torch(backend, default, label, build):
    ours = build(anynn.nn).to(backend)
    theirs = build(torch.nn)
    got = {k: dtype_name(v.dtype) for k, v in ours.state_dict().items()}
    assert got == {k: dtype_name(v.dtype) for k, v in theirs.state_dict().items()}
    assert ours.state_dict() and all(p.backend == backend for p in ours.parameters())


def test_existing_tensors_and_layers_keep_their_dtype(backend):
    layer = anynn.nn.Linear(2, 2, backend=backend)
    x = anynn.randn(3, 2, backend=backend)
    anynn.set_default_dtype(anynn.float64)
    assert layer.weight.dtype == x.dtype == layer(x).dtype == anynn.float32
    assert (x * 2.5).dtype == anynn.float32
    assert anynn.nn.Linear(2, 2, backend=backend)(x.double()).dtype == anynn.float64


@pytest.mark.parametrize("dtype", [anynn.float16, anynn.bfloat16])
def test_half_defaults_accepted_as_torch(backend, dtype):
    if not hasattr(backend.xp, dtype_name(dtype)):
        pytest.skip(f"{backend.key} has no {dtype_name(dtype)}")
    anynn.set_default_dtype(dtype)
    assert anynn.zeros(2, backend=backend).dtype == anynn.tensor([1.0], backend=backend).dtype == dtype
    assert anynn.nn.Linear(2, 2, backend=backend).weight.dtype == dtype
    with pytest.raises(TypeError, match="no complex dtype goes with the default dtype"):
        anynn.tensor([1j], backend=backend)


@pytest.mark.parametrize("refused", [anynn.int64, anynn.complex64, anynn.bool, "uint8", np.int32])
def test_non_floating_defaults_refused_as_torch(refused):
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        anynn.set_default_dtype(refused)
    assert anynn.get_default_dtype() == anynn.float32
    if not isinstance(refused, str) and refused is not np.int32:
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            torch.set_default_dtype(getattr(torch, dtype_name(refused)))


def test_default_tensor_type_sets_the_default_dtype():
    with pytest.warns(UserWarning, match="deprecated"):
        anynn.set_default_tensor_type(anynn.DoubleTensor)
    assert anynn.get_default_dtype() == anynn.float64 and anynn.tensor([1.0]).dtype == anynn.float64


def _pinn_loss(lib, net, x):
    """A PINN-style residual: u' = cos(x) on the points ``x`` and u(0) = 0, u' by autograd with create_graph."""
    u = net(x)
    (du,) = lib.autograd.grad(u.sum(), x, create_graph=True)
    boundary = net(lib.zeros_like(x[:1]))
    return ((du - lib.cos(x)) ** 2).mean() + (boundary ** 2).sum()


def _pinn_net(lib):
    return lib.nn.Sequential(lib.nn.Linear(1, 8), lib.nn.Tanh(), lib.nn.Linear(8, 8), lib.nn.Tanh(),
                             lib.nn.Linear(8, 1))


@pytest.mark.jax
def test_float64_pinn_program_matches_torch(backend):
    """A scientific port's first line is set_default_dtype(float64): the same program then runs in float64 in both
    libraries, through a second-order gradient and a few Adam steps, to float64 agreement."""
    torch.set_default_dtype(torch.float64)
    anynn.set_default_dtype(anynn.float64)
    try:
        theirs, ours = _pinn_net(torch), _pinn_net(anynn).to(backend)
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        points = np.linspace(0.0, 2.0, 16)[:, None]
        xt, xa = torch.tensor(points, requires_grad=True), anynn.tensor(points, backend=backend, requires_grad=True)
        assert xa.dtype == anynn.float64 and all(p.dtype == anynn.float64 for p in ours.parameters())
        opt_t, opt_a = torch.optim.Adam(theirs.parameters(), lr=1e-2), anynn.optim.Adam(ours.parameters(), lr=1e-2)
        for _ in range(3):
            for opt, lib, net, x in ((opt_t, torch, theirs, xt), (opt_a, anynn, ours, xa)):
                opt.zero_grad()
                loss = _pinn_loss(lib, net, x)
                loss.backward()
                opt.step()
                if lib is torch:
                    expected = loss.item()
            assert loss.dtype == anynn.float64
            np.testing.assert_allclose(loss.item(), expected, rtol=1e-10)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("layer", [lambda b: anynn.nn.Linear(3, 2, backend=b),
                                   lambda b: anynn.nn.Conv1d(3, 2, 1, backend=b),
                                   lambda b: anynn.nn.GRU(3, 2, backend=b),
                                   lambda b: anynn.nn.BatchNorm1d(3, backend=b)], ids=["Linear", "Conv1d", "GRU", "BN"])
def test_float64_data_into_a_float32_layer_names_the_layer_and_both_dtypes(backend, layer):
    model = layer(backend)
    x = anynn.tensor(np.zeros((2, 3, 1)) if isinstance(model, anynn.nn.Conv1d) else np.zeros((2, 3)),
                     backend=backend)
    assert x.dtype == anynn.float64
    with pytest.raises(RuntimeError, match=rf"{type(model).__name__}: expected input dtype float32 .*got float64; "
                       r".*np\.float32") as raised:  # PyTorch's class (anynn's is a TypeError too)
        model(x)
    assert isinstance(raised.value, TypeError)


def test_fit_and_the_loader_cast_host_floats_to_the_default_dtype(backend, default):
    """anynn's own host-data APIs (not PyTorch's): `fit` on NumPy batches and the DataLoader's collate give floats
    in the default dtype, the dtype of the layers made after it, whatever NumPy's dtype was."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    model = anynn.nn.Linear(3, 2, backend=backend)
    opt = anynn.optim.SGD(model.parameters(), lr=0.1)
    history = anynn.train.fit(model, anynn.nn.CrossEntropyLoss(), opt, [(x, y)], epochs=1, verbose=0, metrics=())
    assert np.isfinite(history.history["loss"][0]) and model.weight.dtype == anynn.dtype(default)
    loader = anynn.data.DataLoader(anynn.data.TensorDataset(x, y), batch_size=4, backend=backend)
    xb, yb = next(iter(loader))
    assert xb.dtype == anynn.dtype(default) and yb.dtype == anynn.int64
    assert model(xb).dtype == anynn.dtype(default)
