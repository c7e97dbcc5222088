"""``anynn.polygamma`` (`anynn.functional.polygamma`, also ``anynn.special.polygamma`` and ``Tensor.polygamma``)
against ``torch.polygamma``: values over positive and negative arguments and PyTorch's signed infinities at the poles,
float32, gradients (the next order) and second derivatives by central differences on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.testing import gradgrad_check
from tests.helpers import check_gradients, make

POINTS = np.array([-17.3, -2.5, -0.6, 1e-3, 0.3, 1.0, 2.7, 15.0, 100.0, 0.0, -1.0, -3.0])


@pytest.mark.parametrize("n", [0, 2, 3, 6])
def test_values_match_torch(backend, n):
    ours = anynn.polygamma(n, make(backend, POINTS)).numpy()
    theirs = torch.polygamma(n, torch.tensor(POINTS)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)  # inf and NaN where PyTorch has them, signs included
    single = anynn.polygamma(n, make(backend, POINTS[:9].astype(np.float32)))
    assert single.dtype == anynn.float32
    np.testing.assert_allclose(single.numpy(), torch.polygamma(n, torch.tensor(POINTS[:9], dtype=torch.float32)),
                               rtol=2e-4)


def test_trigamma_and_spellings_match_torch(backend):
    x = make(backend, POINTS[:9])
    # PyTorch's trigamma is 5e-10 off (pi^2/6 at 1); anynn's is the exact value there
    np.testing.assert_allclose(anynn.polygamma(1, x).numpy(), torch.polygamma(1, torch.tensor(POINTS[:9])).numpy(),
                               rtol=1e-8)
    assert anynn.polygamma(1, make(backend, np.array([1.0]))).item() == pytest.approx(np.pi ** 2 / 6, rel=1e-15)
    np.testing.assert_array_equal(x.polygamma(3).numpy(), anynn.polygamma(3, x).numpy())
    np.testing.assert_array_equal(anynn.special.polygamma(2, x).numpy(), anynn.polygamma(2, x).numpy())
    from_ints = anynn.polygamma(2, make(backend, np.array([1, 2])))
    assert from_ints.numpy().dtype == torch.polygamma(2, torch.tensor([1, 2])).numpy().dtype == np.float32


@pytest.mark.parametrize("n", [1, 2, 4])
def test_gradient_is_the_next_order(backend, n):
    points = np.array([-2.5, -0.6, 0.3, 1.7, 9.0])
    check_gradients(backend, lambda a: anynn.polygamma(n, a), points)
    x = make(backend, points, requires_grad=True)
    xt = torch.tensor(points, requires_grad=True)
    anynn.polygamma(n, x).sum().backward()
    torch.polygamma(n, xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-8)


def test_second_derivative(backend):
    x = make(backend, np.array([-0.6, 0.3, 1.7, 9.0]), requires_grad=True)
    assert gradgrad_check(lambda a: anynn.polygamma(2, a), x)


def test_refusals_match_torch():
    for lib in (anynn, torch):
        with pytest.raises(RuntimeError, match="does not support negative n"):
            lib.polygamma(-1, lib.tensor([1.0]))
    with pytest.raises(TypeError, match="argument 'n' must be int"):
        anynn.polygamma(1.5, anynn.tensor([1.0]))
