"""PyTorch's legacy constructors (Tensor(...), FloatTensor, LongTensor, ...: one formula) and empty(size=...), as
gcn/gat/pygcn use them; torch 2.13 is the oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                                  "BoolTensor", "ShortTensor", "CharTensor"])
def test_typed_constructors_as_torch(backend, name):
    anynn.set_default_backend(backend.key)
    try:
        data = np.array([[0, 1, 2], [3, 0, 1]], dtype=np.int32)
        got, ref = getattr(anynn, name)(data), getattr(torch, name)(data)
        assert got.backend == backend
        assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), ref.numpy())
        assert isinstance(got, getattr(anynn, name)) and isinstance(got, anynn.Tensor)
        assert tuple(getattr(anynn, name)(2, 3).shape) == tuple(getattr(torch, name)(2, 3).shape)
        assert tuple(getattr(anynn, name)([]).shape) == tuple(getattr(torch, name)([]).shape)
    finally:
        anynn.set_default_backend("numpy")


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "ByteTensor", "BoolTensor"])
def test_type_of_a_legacy_class_casts_as_torch(backend, name):
    """``x.type(torch.FloatTensor)``: PyTorch-GAN's ``Tensor = torch.FloatTensor`` idiom; the cast is differentiable
    between floating types."""
    data = np.array([[0.5, -1.25, 2.0], [3.0, 0.0, 1.5]])
    x, xt = anynn.tensor(data, backend=backend, requires_grad=True), torch.tensor(data, requires_grad=True)
    got, ref = x.type(getattr(anynn, name)), xt.type(getattr(torch, name))
    assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.detach().numpy(), ref.detach().numpy())
    assert isinstance(got, getattr(anynn, name)) and got.requires_grad == ref.requires_grad
    if ref.requires_grad:
        (got * 3).sum().backward()
        (ref * 3).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("default", [torch.float32, torch.float64])
def test_type_of_the_tensor_class_casts_to_the_default_dtype_as_torch(backend, default):
    """``x.type(torch.Tensor)``: CycleGAN's and SRGAN's ``Tensor = torch.Tensor`` on CPU; PyTorch casts to the
    default floating dtype (torch.Tensor is the default tensor type), differentiably."""
    data = np.array([[1, -2, 3], [0, 4, 5]], dtype=np.int64)
    x, xt = anynn.tensor(data, backend=backend), torch.tensor(data)
    previous = torch.get_default_dtype()
    anynn.set_default_dtype(getattr(anynn, str(default).split(".")[-1]))
    torch.set_default_dtype(default)
    try:
        got, ref = x.type(anynn.Tensor), xt.type(torch.Tensor)
        assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), ref.numpy())
        w, wt = anynn.tensor(data * 0.5, backend=backend, requires_grad=True), torch.tensor(data * 0.5,
                                                                                            requires_grad=True)
        (w.type(anynn.Tensor) ** 2).sum().backward()
        (wt.type(torch.Tensor) ** 2).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())
    finally:
        torch.set_default_dtype(previous)
        anynn.set_default_dtype(anynn.float32)


def test_floats_truncate_toward_zero_in_integer_types_and_isinstance_reads_the_dtype():
    assert anynn.LongTensor([1.7, -2.5]).tolist() == torch.LongTensor([1.7, -2.5]).tolist()
    assert not isinstance(anynn.zeros(2), anynn.LongTensor)
    assert isinstance(anynn.zeros(2), anynn.FloatTensor)
    with pytest.raises(TypeError):  # PyTorch refuses a tensor of another dtype (it was converted)
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="FloatTensor.*float32.*int64"):
        anynn.FloatTensor(anynn.tensor([1, 2]))


def test_module_type_and_the_classes_attributes_as_torch():
    # Module.type(torch.DoubleTensor) raised "backend 'numpy' has no dtype 'object'"; the classes had no dtype/is_cuda
    for dst in (anynn.DoubleTensor, "torch.DoubleTensor", anynn.float64):
        assert anynn.nn.Linear(2, 2).type(dst).weight.dtype == anynn.float64
    assert anynn.DoubleTensor.dtype == anynn.float64 and str(torch.DoubleTensor.dtype) == "torch.float64"
    assert anynn.FloatTensor.is_cuda is torch.FloatTensor.is_cuda is False
    assert anynn.cuda.LongTensor.is_cuda is torch.cuda.LongTensor.is_cuda is True
    assert anynn.cuda.HalfTensor.dtype == anynn.float16
    # PyTorch-GAN's `Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor` names it on every machine
    # (AttributeError before); a CPU tensor is no instance of it
    assert not isinstance(anynn.zeros(2), anynn.cuda.FloatTensor) and not isinstance(torch.zeros(2),
                                                                                      torch.cuda.FloatTensor)


def test_empty_takes_pytorchs_size_keyword(backend):
    out = anynn.empty(size=(2, 3), backend=backend)
    assert tuple(out.shape) == tuple(torch.empty(size=(2, 3)).shape) == (2, 3)
    with pytest.raises(TypeError, match="shape given twice"):
        anynn.empty(2, size=(2, 3))


# torch.Tensor's forms: (label, sizes or data, args, kwargs); anynn.Size / torch.Size stand where SIZE is
SIZE = object()
FORMS = [
    ("sizes", "sizes", (2, 3), {}),
    ("one int is a size, not a 0-d tensor", "sizes", (3,), {}),
    ("zero size", "sizes", (0,), {}),
    ("no arguments: shape (0,)", "sizes", (), {}),
    ("a Size", "sizes", (SIZE, (2, 3)), {}),
    ("an empty Size: 0-d", "sizes", (SIZE, ()), {}),
    ("size keyword", "sizes", (), {"size": (2, 3)}),
    ("NumPy integers and 0-d integer arrays are sizes", "sizes", (np.int64(2), np.array(3)), {}),
    ("a tuple is data", "data", ((2, 3),), {}),
    ("an empty tuple is data", "data", ((),), {}),
    ("int list becomes float32", "data", ([1, 2],), {}),
    ("nested floats", "data", ([[1.5, 2.0], [3.75, 4.0]],), {}),
    ("bools become float32", "data", ([True, False],), {}),
    ("int64 array becomes float32", "data", (np.array([[1, 2], [3, 4]]),), {}),
    ("float64 array becomes float32", "data", (np.array([1.25, 2.5]),), {}),
    ("0-d float array is data", "data", (np.array(2.5),), {}),
    ("range is data", "data", (range(3),), {}),
    ("data keyword", "data", (), {"data": [1, 2]}),
]


def _args(module, args):
    if args and args[0] is SIZE:
        return (module.Size(args[1]),)
    return args


@pytest.mark.parametrize("label,kind,args,kwargs", FORMS, ids=[f[0] for f in FORMS])
def test_tensor_legacy_forms_as_torch(backend, label, kind, args, kwargs):
    ref = torch.Tensor(*_args(torch, args), **kwargs)
    got = anynn.Tensor(*_args(anynn, args), backend=backend, **kwargs)
    assert isinstance(got, anynn.Tensor) and got.backend == backend
    assert tuple(got.shape) == tuple(ref.shape)
    assert got.dtype == anynn.float32 and ref.dtype == torch.float32
    if kind == "data":
        np.testing.assert_array_equal(got.numpy(), ref.numpy())  # data forms: PyTorch's values
    elif ref.numel():
        np.testing.assert_array_equal(got.numpy(), np.zeros(tuple(ref.shape), np.float32))  # sizes: zeros


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                                  "BoolTensor", "ShortTensor", "CharTensor"])
@pytest.mark.parametrize("label,kind,args,kwargs", FORMS, ids=[f[0] for f in FORMS])
def test_typed_constructors_take_the_same_forms(name, label, kind, args, kwargs):
    ref = getattr(torch, name)(*_args(torch, args), **kwargs)
    got = getattr(anynn, name)(*_args(anynn, args), **kwargs)
    assert tuple(got.shape) == tuple(ref.shape)
    assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    if kind == "data":
        np.testing.assert_array_equal(got.numpy(), ref.numpy())


def test_device_keyword_places_the_sizes_and_data_forms():
    for args in [(2, 3), ([1, 2],)]:
        got, ref = anynn.Tensor(*args, device="cpu"), torch.Tensor(*args, device="cpu")
        assert tuple(got.shape) == tuple(ref.shape) and got.device.type == "cpu"
        assert anynn.FloatTensor(*args, device="cpu").device.type == "cpu"


REFUSED = [  # (args, kwargs, anynn's error, the message names): each refused by PyTorch too
    (([1, 2],), {"dtype": "float64"}, TypeError, "dtype"),
    ((2,), {"requires_grad": True}, TypeError, "requires_grad"),
    ((3.0,), {}, TypeError, "data must be a sequence"),
    ((True,), {}, TypeError, "data must be a sequence"),
    ((np.float32(2.5),), {}, TypeError, "data must be a sequence"),
    (("ab",), {}, TypeError, "data must be a sequence"),
    ((iter([1, 2]),), {}, TypeError, "data must be a sequence"),
    ((2, 3.0), {}, TypeError, "expected sizes"),
    (([1, 2], 3), {}, TypeError, "expected sizes"),
    ((2,), {"size": (2,)}, TypeError, "size="),
    ((2, -1), {}, ValueError, "negative dimension"),
]


@pytest.mark.parametrize("args,kwargs,error,match", REFUSED)
def test_tensor_refuses_what_pytorch_refuses(args, kwargs, error, match):
    torch_kwargs = {k: (torch.float64 if k == "dtype" else v) for k, v in kwargs.items()}
    with pytest.raises((TypeError, RuntimeError, ValueError)):
        torch.Tensor(*args, **torch_kwargs)
    with pytest.raises(error, match=match):
        anynn.Tensor(*args, **kwargs)


def test_tensor_of_a_tensor_is_an_alias_as_torch(backend):
    values = np.array([[1.0, -2.0], [3.0, 0.5]], dtype=np.float32)
    ref_leaf = torch.tensor(values, requires_grad=True)
    leaf = anynn.tensor(values, backend=backend, requires_grad=True)
    ref_alias, alias = torch.Tensor(ref_leaf), anynn.Tensor(leaf)
    assert alias is not leaf and alias.requires_grad == ref_alias.requires_grad is True
    assert alias.is_leaf == ref_alias.is_leaf is False
    (ref_alias * ref_alias).sum().backward()
    (alias * alias).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), ref_leaf.grad.numpy())
    # the same memory: a write through the alias shows in the tensor (as torch.Tensor(t))
    plain, ref_plain = anynn.tensor(values, backend=backend), torch.tensor(values)
    anynn.Tensor(plain).add_(1.0)
    torch.Tensor(ref_plain).add_(1.0)
    np.testing.assert_array_equal(plain.numpy(), ref_plain.numpy())
    # dtype kept: torch.Tensor(an int64 tensor) stays int64
    assert anynn.Tensor(anynn.tensor([1, 2], backend=backend)).dtype == anynn.int64
    assert torch.Tensor(torch.tensor([1, 2])).dtype == torch.int64
    with pytest.raises(RuntimeError, match="Legacy tensor constructor"):
        torch.Tensor(ref_plain, device="cpu")
    with pytest.raises(RuntimeError, match="Legacy tensor constructor"):
        anynn.Tensor(plain, device="cpu")


def test_tensor_of_a_float32_numpy_array_shares_its_memory_as_torch():
    ours, theirs = np.array([1.0, 2.0], dtype=np.float32), np.array([1.0, 2.0], dtype=np.float32)
    anynn.Tensor(ours).add_(1.0)
    torch.Tensor(theirs).add_(1.0)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [2.0, 3.0])
    copied = np.array([1.0, 2.0])  # float64: converted, so a copy
    anynn.Tensor(copied).add_(1.0)
    np.testing.assert_array_equal(copied, [1.0, 2.0])


def test_every_tensor_is_an_instance_of_tensor(backend):
    made = [anynn.Tensor(2), anynn.Tensor([1]), anynn.FloatTensor(2), anynn.LongTensor([1]), anynn.zeros(2),
            anynn.tensor([1], backend=backend), anynn.nn.Parameter(anynn.Tensor(2, 2)),
            anynn.tensor([1.0], backend=backend) * 2, anynn.Tensor(anynn.tensor([1.0], backend=backend))]
    assert all(isinstance(t, anynn.Tensor) for t in made)
    assert type(made[0]) is anynn.Tensor


def test_old_style_layer_parameter_of_tensor_sizes_then_reset_parameters(backend):
    """pygcn's GraphConvolution: Parameter(torch.FloatTensor(in, out)) / Parameter(torch.Tensor(out, in)), then
    reset_parameters() by kaiming_uniform_ or .data.uniform_."""
    weight = anynn.nn.Parameter(anynn.Tensor(5, 3, backend=backend))
    bias = anynn.nn.Parameter(anynn.FloatTensor(5))
    assert weight.requires_grad and tuple(weight.shape) == (5, 3) and weight.backend == backend
    anynn.nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    bound = 1 / math.sqrt(3)
    assert 0 < np.abs(weight.numpy()).max() <= bound
    bias.data.uniform_(-bound, bound)
    assert 0 < np.abs(bias.numpy()).max() <= bound


def test_size_tells_a_shape_from_data(backend):
    x = anynn.zeros(2, 3, backend=backend)
    for shape in (x.shape, x.size()):
        assert isinstance(shape, anynn.Size) and isinstance(shape, tuple)
        assert shape == (2, 3) and shape.numel() == torch.Size([2, 3]).numel() == 6
        assert repr(shape) == "(2, 3)"  # prints as a tuple (differences page)
        assert tuple(anynn.Tensor(shape).shape) == tuple(torch.Tensor(torch.Size([2, 3])).shape) == (2, 3)
    assert tuple(anynn.Tensor(tuple(x.shape)).shape) == (2,)  # a plain tuple is data
    assert anynn.Size([]).numel() == torch.Size([]).numel() == 1
