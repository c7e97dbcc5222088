"""Shared test helpers: gradient checks and PyTorch-oracle comparisons, written once."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

import anynn
from anynn.autograd import grad_check


def make(backend: Any, array: np.ndarray, requires_grad: bool = False, dtype: str | None = None) -> anynn.Tensor:
    """A Tensor on ``backend`` from a NumPy array (keeping its dtype unless ``dtype`` is given)."""
    array = np.asarray(array)
    return anynn.tensor(array, backend=backend, dtype=dtype or array.dtype.name, requires_grad=requires_grad)


def check_gradients(backend: Any, fn: Callable[..., Any], *arrays: np.ndarray,
                    differentiable: Sequence[bool] | None = None, **tolerances: Any) -> None:
    """Numerical gradient check of ``fn`` in float64 on ``backend`` (floating inputs require grad)."""
    tensors = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        wants = a.dtype.kind == "f" if differentiable is None else differentiable[i]
        tensors.append(make(backend, a.astype(np.float64) if a.dtype.kind == "f" else a, requires_grad=wants))
    assert grad_check(fn, *tensors, **tolerances)


def compare_with_torch(backend: Any, anynn_fn: Callable[..., Any], torch_fn: Callable[..., Any],
                       *arrays: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6,
                       differentiable: Sequence[bool] | None = None, seed: int = 0) -> None:
    """Run both functions on the same inputs; compare outputs and input gradients.

    Floating inputs require grad; the output is projected on fixed random weights so that every
    output element contributes to the compared gradients.
    """
    ours, theirs = [], []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        wants = a.dtype.kind == "f" if differentiable is None else differentiable[i]
        ours.append(make(backend, a, requires_grad=wants))
        t = torch.tensor(a)
        t.requires_grad_(wants)
        theirs.append(t)
    out = anynn_fn(*ours)
    ref = torch_fn(*theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")
    if not any(t.requires_grad for t in ours):
        return
    weights = np.random.default_rng(seed).standard_normal(ref.shape).astype(np.asarray(arrays[0]).dtype
                                                                            if np.asarray(arrays[0]).dtype.kind == "f"
                                                                            else np.float32)
    (out * make(backend, weights.astype(out.numpy().dtype))).sum().backward()
    (ref * torch.tensor(weights).to(ref.dtype)).sum().backward()
    for i, (a, t) in enumerate(zip(ours, theirs)):
        if t.requires_grad:
            assert a.grad is not None, f"input {i}: no gradient"
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {i}")


def copy_torch_weights(module: anynn.nn.Module, torch_module: torch.nn.Module) -> None:
    """Load a PyTorch module's state (same names and shapes) into an anynn module."""
    module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


def compare_module_with_torch(backend: Any, module: anynn.nn.Module, torch_module: torch.nn.Module,
                              x: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0) -> None:
    """Copy weights from ``torch_module``, run both on ``x``; compare output, input and weight gradients."""
    dtype = x.dtype.name
    torch_module = torch_module.to(torch.float64 if dtype == "float64" else torch.float32)
    module.to(backend, dtype=dtype)
    copy_torch_weights(module, torch_module)
    xa = make(backend, x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out = module(xa)
    ref = torch_module(xt)
    out = out[0] if isinstance(out, tuple) else out
    ref = ref[0] if isinstance(ref, tuple) else ref
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")
    weights = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(x.dtype)
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol, err_msg="input gradient")
    theirs = dict(torch_module.named_parameters())
    for name, p in module.named_parameters():
        assert name in theirs, f"parameter {name} has no PyTorch twin"
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")
