"""Backward visits every Function after all of its consumers, whatever the order of the inputs."""

import numpy as np

import anynn


def test_short_and_long_paths_into_one_op(backend):
    for swap in (False, True):
        a = anynn.tensor([1.0], backend=backend, requires_grad=True)
        y = a * 2.0
        c = y * 3.0
        total = (c + y) if swap else (y + c)
        total.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), [8.0])


def test_residual_chain(backend):
    a = anynn.tensor([0.5, -1.0], backend=backend, requires_grad=True)
    h = a
    for _ in range(3):
        h = h + (h * h).tanh()  # residual: h feeds both the branch and the sum
    h.sum().backward()
    x = np.array([0.5, -1.0])
    grad = np.ones(2)
    values = [x]
    for _ in range(3):
        values.append(values[-1] + np.tanh(values[-1] ** 2))
    for v in reversed(values[:-1]):
        grad = grad * (1 + (1 - np.tanh(v**2) ** 2) * 2 * v)
    np.testing.assert_allclose(a.grad.numpy(), grad, rtol=1e-5)
