"""PyTorch's memory formats: accepted by Tensor.to / contiguous / clone and Module.to, values and gradients as
PyTorch's (a layout hint changes neither), anything else refused with a TypeError naming the call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import make

FORMATS = ["contiguous_format", "channels_last", "preserve_format"]


def _lib(x):
    return anynn if isinstance(x, anynn.Tensor) else torch


CALLS = {
    "to": lambda x, fmt: x.to(memory_format=fmt) * 2,
    "to_dtype": lambda x, fmt: x.to(x.dtype, memory_format=fmt) * 2,
    "contiguous": lambda x, fmt: x.contiguous(memory_format=fmt).sin(),
    "clone": lambda x, fmt: x.clone(memory_format=fmt) ** 2,
    "torch.clone": lambda x, fmt: (anynn if isinstance(x, anynn.Tensor) else torch).clone(x, memory_format=fmt) + 1,
    # optimizers written for PyTorch make their state with zeros_like(p, memory_format=torch.preserve_format)
    "zeros_like": lambda x, fmt: _lib(x).zeros_like(x, memory_format=fmt) + x,
    "ones_like": lambda x, fmt: _lib(x).ones_like(x, memory_format=fmt) * x,
    "full_like": lambda x, fmt: _lib(x).full_like(x, 2.0, memory_format=fmt) - x,
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_memory_format_changes_no_value(backend, call, fmt):
    x0 = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    x, xt = make(backend, x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    out, ref = CALLS[call](x, getattr(anynn, fmt)), CALLS[call](xt, getattr(torch, fmt))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    assert tuple(out.shape) == tuple(ref.shape)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_module_to_memory_format(backend):
    conv = anynn.nn.Conv2d(3, 4, 3).to(backend)
    theirs = torch.nn.Conv2d(3, 4, 3).double()
    conv.to(dtype="float64")
    conv.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert conv.to(memory_format=anynn.channels_last) is conv
    theirs = theirs.to(memory_format=torch.channels_last)
    x0 = np.random.default_rng(1).standard_normal((2, 3, 6, 6))
    x = make(backend, x0).to(memory_format=anynn.channels_last)
    np.testing.assert_allclose(conv(x).numpy(), theirs(torch.tensor(x0).to(memory_format=torch.channels_last))
                               .detach().numpy(), rtol=1e-10)


def test_memory_format_objects_and_errors(backend):
    assert repr(anynn.channels_last) == "anynn.channels_last"
    assert isinstance(anynn.channels_last_3d, anynn.memory_format)
    x = make(backend, np.ones((1, 2, 3, 3)))
    assert x.is_contiguous(memory_format=anynn.channels_last)
    with pytest.raises(TypeError, match=r"to\(\): memory_format must be an anynn.memory_format.*str 'channels_last'"):
        x.to(memory_format="channels_last")
    with pytest.raises(TypeError, match=r"contiguous\(\): memory_format"):
        x.contiguous(memory_format=1)
    with pytest.raises(TypeError, match=r"Linear.to\(\): memory_format"):
        anynn.nn.Linear(2, 2).to(memory_format="channels_last")
