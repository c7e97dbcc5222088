"""The Tensor surface is one table installed once, and the backend variant without fast paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn.autograd.tensor import Tensor
from anynn.backend import get_backend, op
from anynn.functional import tensor_methods


def test_every_method_in_the_table_is_the_one_on_tensor():
    assert tensor_methods.METHODS  # installed by import anynn
    for name, method in tensor_methods.METHODS.items():
        assert Tensor.__dict__[name] is method, name


def test_install_runs_once():
    before = dict(tensor_methods.METHODS)
    tensor_methods.install()
    assert tensor_methods.METHODS == before
    assert all(Tensor.__dict__[name] is method for name, method in before.items())


def test_a_name_defined_in_two_tables_stops_the_install(monkeypatch):
    monkeypatch.setitem(tensor_methods.OPERATORS, "masked_fill", lambda self: self)  # tensor_extras has it too
    with pytest.raises(RuntimeError, match="defined twice.*masked_fill"):
        tensor_methods._one_table()


def test_var_and_std_agree_everywhere_and_with_pytorch(backend):
    host = np.random.default_rng(0).standard_normal((4, 5))
    x = anynn.tensor(host, backend=backend, dtype="float64")
    expected = torch.tensor(host).var()
    for value in (x.var(), F.var(x), anynn.var(x)):
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.std(dim=1).numpy(), torch.tensor(host).std(dim=1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.var(x, axis=0, correction=0).numpy(),
                               torch.tensor(host).var(dim=0, unbiased=False).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "amax", "amin", "var", "std", "logsumexp"])
def test_reductions_take_pytorch_and_array_api_spellings(backend, name):
    host = np.random.default_rng(1).standard_normal((3, 4))
    x = anynn.tensor(host, backend=backend, dtype="float64")
    by_axis = getattr(x, name)(axis=1, keepdims=True)
    by_dim = getattr(x, name)(dim=1, keepdim=True)
    reference = getattr(torch.tensor(host), name)(dim=1, keepdim=True)
    reference = reference[0] if isinstance(reference, tuple) else reference  # max/min over dim: (values, indices)
    by_dim = by_dim[0] if isinstance(by_dim, tuple) else by_dim  # PyTorch's (values, indices), as torch
    assert by_axis.shape == by_dim.shape == (3, 1)
    np.testing.assert_allclose(by_axis.numpy(), reference.numpy(), rtol=1e-12)
    np.testing.assert_allclose(by_dim.numpy(), reference.numpy(), rtol=1e-12)


def test_the_portable_variant_is_its_library_without_fast_paths():
    numpy, portable = get_backend("numpy"), get_backend("numpy-portable")
    assert portable is get_backend("numpy-portable")  # cached
    assert portable.key == "numpy-portable" and portable.uses_fast_paths is False
    assert portable == numpy and hash(portable) == hash(numpy)  # same arrays, same device: they may mix
    assert op(numpy, "scatter_add") is numpy.fast_path("scatter_add")
    assert op(portable, "scatter_add") is not numpy.fast_path("scatter_add")
    assert portable.fast_path("scatter_add") is None
    strict = get_backend("array_api_strict-portable:device1")
    assert strict.key == "array_api_strict-portable:device1" and strict.device == get_backend(
        "array_api_strict:device1").device


def test_a_portable_tensor_keeps_its_variant_through_the_math():
    portable = get_backend("numpy-portable")
    x = anynn.tensor(np.ones((1, 2, 5, 5)), backend=portable, requires_grad=True)
    w = anynn.tensor(np.ones((3, 2, 3, 3)), backend=portable, requires_grad=True)
    y = F.conv2d(x, w)
    y.sum().backward()
    assert y.backend.key == x.grad.backend.key == w.grad.backend.key == "numpy-portable"
    assert x.cpu().backend.key == "numpy-portable"  # "cpu" on NumPy is itself
