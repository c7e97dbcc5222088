"""Shape layers: Flatten and Unflatten against torch.nn (forward exactly, input gradient; where PyTorch rejects
the arguments, anynn must reject them too)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from anynn.nn.shape import Flatten, Unflatten

from tests.helpers import make
from tests.nn.oracle import REJECTED


FLATTEN_CASES = [((), (2, 3, 4)), ((0, -1), (2, 3, 4)), ((2, 3), (2, 3, 4, 5)), ((-3, -2), (2, 3, 4, 5)),
                 ((1, 1), (3, 4)), ((-1, -1), (2, 3)), ((0, 0), ()), ((2, 1), (2, 3, 4)), ((1, -1), (5,)),
                 ((3, -1), (2, 3))]


@pytest.mark.parametrize("args, shape", FLATTEN_CASES)
def test_flatten_matches_torch(backend, args, shape):
    _check_reshaping(backend, Flatten, torch.nn.Flatten, args, shape)


UNFLATTEN_CASES = [((1, (2, 2)), (3, 4)), ((-1, (2, 3)), (4, 6)), ((0, (2, -1)), (6, 5)), ((1, [1, 4, 1]), (2, 4, 3)),
                   ((-2, (3, 2)), (5, 6, 2)), ((1, (2, 3)), (2, 5)), ((3, (2, 2)), (2, 4)), ((1, (4, -1)), (2, 6))]


@pytest.mark.parametrize("args, shape", UNFLATTEN_CASES)
def test_unflatten_matches_torch(backend, args, shape):
    _check_reshaping(backend, Unflatten, torch.nn.Unflatten, args, shape)


def _check_reshaping(backend: Any, ours_cls: Any, torch_cls: Any, args: tuple, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    try:
        ref = torch_cls(*args)(torch.tensor(x, requires_grad=True))
    except (RuntimeError, IndexError, ValueError):
        with pytest.raises(REJECTED):
            ours_cls(*args)(make(backend, x))
        return
    xa = make(backend, x, requires_grad=True)
    out = ours_cls(*args)(xa)
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    out.sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), np.ones(shape))
