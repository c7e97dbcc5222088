"""A seed fixes every layer's initial weights, inherited initialisers included (conv, recurrent)."""

import numpy as np

from anynn import nn


def _build(backend, seed):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5), backend=backend,
                         seed=seed), nn.Sequential(nn.LSTM(3, 4), backend=backend, seed=seed)


def test_seed_fixes_conv_and_recurrent_weights_on_every_backend(backend):
    for ours, reference in zip(_build(backend, 7), _build("numpy", 7)):
        for (name, p), (_, q) in zip(ours.named_parameters(), reference.named_parameters()):
            np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def test_different_seeds_differ():
    a, _ = _build("numpy", 1)
    b, _ = _build("numpy", 2)
    assert not np.array_equal(a[0].weight.numpy(), b[0].weight.numpy())
