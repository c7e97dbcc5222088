"""Inference tensors: what ``inference_mode()`` makes, against PyTorch's rules (torch as the oracle).

Made inside: operation results, factory tensors and views of inference tensors are inference tensors; views of
ordinary tensors and tensors made under ``no_grad()`` or ``inference_mode(False)`` are not. Outside: read freely,
refused where autograd would save one, in any in-place change (before anything is written), and in
``requires_grad_()`` / ``nn.Parameter``.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import make

CASES = {  # name -> (lib, y: an inference tensor (2, 3), x: an ordinary tensor that requires grad) -> result
    "y * 2": lambda lib, y, x: (y * 2).is_inference(),
    "y.clone()": lambda lib, y, x: y.clone().is_inference(),
    "y.detach()": lambda lib, y, x: y.detach().is_inference(),
    "y.view(6)": lambda lib, y, x: y.view(6).is_inference(),
    "y[0]": lambda lib, y, x: y[0].is_inference(),
    "y.t()": lambda lib, y, x: y.t().is_inference(),
    "y.data": lambda lib, y, x: y.data.is_inference(),
    "relu(y)": lambda lib, y, x: lib.relu(y).is_inference(),
    "stack": lambda lib, y, x: lib.stack([y, y]).is_inference(),
    "x + y, backward": lambda lib, y, x: (x + y).sum().backward(),  # saves nothing: runs
    "x * y": lambda lib, y, x: x * y,  # saves y for x's gradient
    "y * x": lambda lib, y, x: y * x,
    "linear(y)": lambda lib, y, x: lib.nn.functional.linear(y, x),
    "exp(y) * x": lambda lib, y, x: (y.exp() * x).is_inference(),  # exp(y) is an ordinary tensor
    "y.add_(1)": lambda lib, y, x: y.add_(1),
    "y.zero_()": lambda lib, y, x: y.zero_(),
    "y[0] = 1": lambda lib, y, x: y.__setitem__(0, 1.0),
    "y.copy_(x)": lambda lib, y, x: y.copy_(x.detach()),
    "y.requires_grad_()": lambda lib, y, x: y.requires_grad_(),
    "y.requires_grad_(False)": lambda lib, y, x: y.requires_grad_(False).is_inference(),
    "Parameter(y)": lambda lib, y, x: lib.nn.Parameter(y),
    "ctx.save_for_backward(y)": lambda lib, y, x: _saving(lib).apply(x, y),
}


def _saving(lib):
    """A custom Function whose forward saves its second input."""

    class Saving(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(b)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    return Saving


def _outcome(lib, case, y, x):
    try:
        result = CASES[case](lib, y, x)
    except RuntimeError as error:
        return "refused: " + str(error).split(" (")[0].split(":")[0].split(".")[0]
    return result if isinstance(result, bool) else "ran"


@pytest.mark.parametrize("case", list(CASES))
def test_inference_tensors_follow_pytorch(backend, case):
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    x = make(backend, values[::-1].copy(), requires_grad=True)
    with anynn.inference_mode():
        y = make(backend, values) * 1
    xt = torch.tensor(values[::-1].copy(), requires_grad=True)
    with torch.inference_mode():
        yt = torch.tensor(values) * 1
    before = y.numpy().copy()
    expected = _outcome(torch, case, yt, xt)
    assert _outcome(anynn, case, y, x) == expected
    if str(expected).startswith("refused"):
        np.testing.assert_array_equal(y.numpy(), before)  # nothing written before the refusal


def test_what_inference_mode_makes(backend):
    x = make(backend, np.ones(3, np.float32), requires_grad=True)
    plain = make(backend, np.ones(3, np.float32))
    with anynn.inference_mode():
        made, factory, copied = x * 2, anynn.zeros(3, backend=backend), anynn.tensor([1.0, 2.0], backend=backend)
        view_of_plain = plain[1:]
        made.add_(1)  # in place inside: allowed
        fresh = anynn.ones(2, backend=backend).requires_grad_()  # allowed inside
        with anynn.inference_mode(False):
            assert not anynn.ones(2, backend=backend).is_inference()
            with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
                made.add_(1)
    with anynn.no_grad():
        under_no_grad = x * 2
    assert made.is_inference() and factory.is_inference() and copied.is_inference() and fresh.is_inference()
    assert anynn.is_inference(made) and not anynn.is_inference(view_of_plain) and not under_no_grad.is_inference()
    assert not made.requires_grad and made.tolist() == [3.0, 3.0, 3.0]
    # a model evaluated in inference mode trains afterwards as before; an inference tensor feeds it as a clone
    model = anynn.nn.Linear(3, 2, backend=backend)
    with anynn.inference_mode():
        assert model(made).is_inference()
    (model(made.clone()) ** 2).sum().backward()
    assert model.weight.grad is not None
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward: LinearFunction"):
        model(made)


def test_inference_mode_is_per_thread():
    seen = {}

    def other() -> None:
        seen["other"] = (anynn.ones(2) * 2).is_inference()

    with anynn.inference_mode():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        seen["here"] = (anynn.ones(2) * 2).is_inference()
    assert seen == {"other": False, "here": True}
