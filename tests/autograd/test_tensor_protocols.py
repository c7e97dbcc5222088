"""Python protocols on tensors (bool, len, iteration, comparison across backends) with PyTorch's errors."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch

import anynn


def test_bool_of_several_values_is_ambiguous_as_in_pytorch(backend):
    x = anynn.tensor([1.0, 2.0], backend=backend)
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(torch.tensor([1.0, 2.0]))
    assert bool(anynn.tensor([3.0], backend=backend)) is True
    assert bool(anynn.tensor(0.0, backend=backend)) is False


def test_item_of_several_values_raises_runtime_error_as_in_pytorch(backend):
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        anynn.tensor([1.0, 2.0], backend=backend).item()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        torch.tensor([1.0, 2.0]).item()


def test_float_of_a_tensor_that_requires_grad_warns_once_as_pytorch(monkeypatch):
    """PyTorch's TORCH_WARN_ONCE for float(t) / complex(t) (math.exp(t) too) of a tensor that requires grad; int(),
    item() and f-strings stay quiet. anynn gave no warning (left from session 25)."""
    tensor_module = sys.modules["anynn.autograd.tensor"]  # (anynn.autograd.tensor is also the factory's name)
    monkeypatch.setattr(tensor_module, "_scalar_of_grad_warned", [False])
    x = anynn.tensor(2.0, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        int(x), x.item(), f"{x:.2f}", float(x.detach())
        with anynn.no_grad():  # PyTorch warns only in grad mode (its LBFGS reads float(loss) under no_grad)
            float(x * 2), float(x)
        w = anynn.ones(1, requires_grad=True)
        anynn.optim.LBFGS([w], max_iter=2).step(lambda: (w.grad is None or w.grad.zero_(), (w * w).sum().backward(),
                                                          (w * w).sum())[-1])
        assert caught == []
        float(x * 2), complex(x), float(x)
    assert [str(w.message) for w in caught] == [tensor_module.SCALAR_OF_GRAD_WARNING]
    assert "requires_grad=True to a scalar may lead to unexpected behavior.\nConsider using tensor.detach()" in (
        tensor_module.SCALAR_OF_GRAD_WARNING)


def test_len_and_iteration_of_a_0d_tensor_raise_type_error(backend):
    x = anynn.tensor(1.5, backend=backend)
    for call, message in ((len, "len\\(\\) of a 0-d tensor"), (iter, "iteration over a 0-d tensor")):
        with pytest.raises(TypeError, match=message):
            call(x)
        with pytest.raises(TypeError, match=message):
            call(torch.tensor(1.5))


def test_iteration_gives_rows_in_the_graph(backend):
    w = anynn.tensor(np.arange(6.0).reshape(3, 2), backend=backend, dtype="float64", requires_grad=True)
    rows = list(w)
    assert len(rows) == 3 and tuple(rows[1].shape) == (2,)
    np.testing.assert_array_equal(rows[2].numpy(), [4.0, 5.0])
    sum(r.sum() * (i + 1) for i, r in enumerate(rows)).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    # reversed(t) is PyTorch's t.flip(0), a Tensor (a 0-d one itself), not an iterator of rows
    np.testing.assert_array_equal(reversed(w).detach().numpy(), reversed(torch.tensor(w.detach().numpy())).numpy())
    assert reversed(w).requires_grad and float(reversed(w[0, 0])) == 0.0


def test_in_looks_for_an_equal_element_as_pytorch(backend):
    """``v in t`` is PyTorch's ``(t == v).any()`` (iterating compared whole rows of a matrix: RuntimeError)."""
    for t in (torch.tensor([[1, 2], [3, 4]]), anynn.tensor([[1, 2], [3, 4]], backend=backend)):
        assert [v in t for v in (2, 5, 3.0, t.new_tensor([9, 2]), t.new_tensor(7))] == [True, False, True, True, False]
        with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
            "a" in t  # noqa: B015


@pytest.mark.parametrize("op", ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"])
def test_comparing_tensors_of_two_backends_raises_backend_mismatch(op):
    a = anynn.tensor([1.0, 2.0], backend="numpy")
    b = anynn.tensor([1.0, 3.0], backend="torch")
    with pytest.raises(anynn.BackendMismatch, match="numpy.*torch"):
        getattr(a, op)(b)


class _Reflected:
    """An object that knows how to be combined with a tensor from the right (a units library's quantity...)."""

    def __radd__(self, other):
        return "radd"

    def __rmul__(self, other):
        return "rmul"

    def __rpow__(self, other):
        return "rpow"

    def __gt__(self, other):
        return "gt"

    def __rmod__(self, other):
        return "rmod"


def test_an_operand_that_is_no_tensor_or_array_follows_pythons_operator_protocol_as_pytorch():
    """PyTorch's operators return NotImplemented for an object they cannot take, so Python tries the object's
    reflected method and otherwise raises its TypeError; t == 'a' is False. anynn raised BackendMismatch (a
    ValueError) for every one; an array of another backend still is a BackendMismatch."""
    for lib in (torch, anynn):
        t = lib.ones(2)
        assert [t + _Reflected(), t * _Reflected(), t ** _Reflected(), t < _Reflected(), t % _Reflected()] == [
            "radd", "rmul", "rpow", "gt", "rmod"]
        assert (t == "a") is False and (t != None) is True  # noqa: E711 - the comparison is the point
        for bad in (lambda x: x + "a", lambda x: x < None, lambda x: x - [1.0, 1.0], lambda x: x.add_(None)):
            with pytest.raises(TypeError):
                bad(t)
    with pytest.raises(anynn.backend.BackendMismatch):
        anynn.ones(2, backend="torch") + np.ones(2)
