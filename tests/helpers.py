"""Shared test helpers: gradient checks and PyTorch-oracle comparisons, written once."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pytest
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


# -- the seeded oracle: tight tolerances, output shape and dtype checked too ---------------------------------------
ORACLE_DTYPES = ["float64", "float32"]


def oracle_tolerance(dtype: str) -> dict[str, float]:
    """The seeded oracle's tolerances: 1e-7 relative in float64, 2e-4 in float32."""
    return dict(rtol=1e-7, atol=1e-9) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)


def torch_oracle(backend: Any, ours: Callable[..., Any], theirs: Callable[..., Any], arrays: Sequence[np.ndarray],
                 dtype: str, grads: Sequence[bool] | None = None, what: str = "", seed: int = 0,
                 tolerance: dict[str, float] | None = None) -> None:
    """Compare ``ours(*tensors)`` with ``theirs(*torch_tensors)``: forward values, output shape and dtype, and the
    gradient of every input in ``grads`` (default: the floating ones) after projecting the output on fixed random
    weights, so every element counts (to ``oracle_tolerance(dtype)`` unless ``tolerance`` is given)."""
    arrays = [np.asarray(a) for a in arrays]
    if grads is None:
        grads = [a.dtype.kind == "f" for a in arrays]
    mine = [make(backend, a, g) for a, g in zip(arrays, grads)]
    ref_in = [torch.tensor(a).requires_grad_(g) for a, g in zip(arrays, grads)]
    out = ours(*mine)
    ref = theirs(*ref_in)
    t = oracle_tolerance(dtype) if tolerance is None else tolerance
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **t, err_msg=f"forward {what}")
    assert tuple(out.shape) == tuple(ref.shape), f"shape {what}: {out.shape} vs {tuple(ref.shape)}"
    assert out.numpy().dtype == ref.detach().numpy().dtype, f"dtype {what}: {out.dtype} vs {ref.dtype}"
    if not any(grads):
        return
    w = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(out.numpy().dtype)
    (out * make(backend, w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for i, (a, r) in enumerate(zip(mine, ref_in)):
        if r.requires_grad:
            assert a.grad is not None, f"no gradient for input {i} {what}"
            assert tuple(a.grad.shape) == tuple(r.shape), f"grad shape {i} {what}"
            np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), **t, err_msg=f"gradient {i} {what}")


def case_table_tests(cases: Sequence[tuple[str, Callable[..., Any], list[np.ndarray]]],
                     dtypes: Sequence[str] = ("float32", "float64")) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two tests of a table of ``(name, fn(lib, *tensors), arrays)`` rows, where ``lib`` is ``anynn`` or ``torch``:
    ``test_gradients`` (float64 central differences on every backend) and ``test_matches_torch`` (forward and
    gradients against PyTorch in each of ``dtypes``, integer arrays kept). Bind both names at module level::

        test_gradients, test_matches_torch = case_table_tests(CASES)
    """
    ids = [case[0] for case in cases]

    @pytest.mark.parametrize("name, fn, arrays", cases, ids=ids)
    def test_gradients(backend: Any, name: str, fn: Callable[..., Any], arrays: list[np.ndarray]) -> None:
        check_gradients(backend, lambda *t: fn(anynn, *t), *arrays)

    @pytest.mark.parametrize("dtype", dtypes)
    @pytest.mark.parametrize("name, fn, arrays", cases, ids=ids)
    def test_matches_torch(backend: Any, name: str, fn: Callable[..., Any], arrays: list[np.ndarray],
                           dtype: str) -> None:
        arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
        torch_oracle(backend, lambda *t: fn(anynn, *t), lambda *t: fn(torch, *t), arrays, dtype, what=name)

    return test_gradients, test_matches_torch


def complex_second_order_against_torch(backend: Any, fn: Callable[..., Any], a: np.ndarray, b: np.ndarray,
                                       w: np.ndarray) -> None:
    """The gradient of ``re(sum(grad_a * w)) + sum(|grad_b|²)`` for ``fn(lib, a, b)``, the first gradients recorded
    (complex inputs), against PyTorch's."""
    ours = [make(backend, v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    grads = anynn.autograd.grad(fn(anynn, *ours), ours, create_graph=True)
    reference = torch.autograd.grad(fn(torch, *theirs), theirs, create_graph=True)
    second = (grads[0] * make(backend, w)).real.sum() + (grads[1].abs() ** 2).sum()
    second_reference = (reference[0] * torch.tensor(w)).real.sum() + (reference[1].abs() ** 2).sum()
    for mine, expected in zip(anynn.autograd.grad(second, ours), torch.autograd.grad(second_reference, theirs)):
        np.testing.assert_allclose(mine.numpy(), expected.resolve_conj().numpy(), rtol=1e-8, atol=1e-10)


def weighted_real_sum(lib: Any, out: Any, seed: int = 0) -> Any:
    """A real loss of ``out`` (an anynn or torch tensor, as ``lib``): ``sum(re(out * w))`` with fixed weights drawn
    from ``seed``, complex ones for a complex ``out``."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(tuple(out.shape))
    if out.is_complex():
        w = w + 1j * rng.standard_normal(tuple(out.shape))
    weights = torch.tensor(w, dtype=out.dtype) if lib is torch else anynn.tensor(w, backend=out.backend,
                                                                                  dtype=out.dtype)
    product = out * weights
    return (product.real if product.is_complex() else product).sum()


def as_strided_scatter(lib: Any, x: Any, src: Any, size: tuple[int, ...], stride: tuple[int, ...],
                       offset: int | None = None) -> Any:
    """``lib.as_strided_scatter(x, src, size, stride, offset)``; for ``torch``, the same written as ``index_copy`` at
    the flat positions it writes: PyTorch 2.13's gradient in ``x`` is the complement of the right one (zero where
    ``src`` is not written, the incoming gradient where it is; its own gradcheck fails), its forward and its
    gradient in ``src`` are this one's."""
    if lib is not torch:
        return lib.as_strided_scatter(x, src, size, stride, offset)
    where = torch.arange(x.numel()).reshape(x.shape).as_strided(size, stride, offset or 0).reshape(-1)
    return x.reshape(-1).index_copy(0, where, src.reshape(-1)).reshape(x.shape)


def rand_shape(rng: np.random.Generator, min_rank: int = 0, max_rank: int = 4, max_dim: int = 3) -> tuple[int, ...]:
    """A random shape of ``min_rank`` to ``max_rank`` axes, each 1 to ``max_dim`` long."""
    return tuple(int(n) for n in rng.integers(1, max_dim + 1, size=int(rng.integers(min_rank, max_rank + 1))))
