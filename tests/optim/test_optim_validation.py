"""The rules `Optimizer` owns for every optimizer: hyperparameter checks with PyTorch's messages, and
``maximize`` / weight decay applied before a subclass's ``update`` sees the gradient."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import anynn
from anynn import optim
from anynn.optim import Optimizer
from tests.optim.optim_oracle import make_data, our_params, take_step, torch_history

BAD_OPTIONS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-1)), ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1)),
    ("Adam", dict(betas=(1.0, 0.9))), ("Adam", dict(betas=(0.9, 1.0))), ("AdamW", dict(weight_decay=-0.5)),
    ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1)), ("Adadelta", dict(rho=1.5)),
    ("RMSprop", dict(alpha=-0.1)), ("Adamax", dict(betas=(0.9, -0.1))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(eps=-1e-8)), ("Rprop", dict(etas=(1.5, 1.2))), ("ASGD", dict(weight_decay=-1)),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name, options", BAD_OPTIONS, ids=[f"{n}-{sorted(o)[-1]}" for n, o in BAD_OPTIONS])
def test_bad_hyperparameters_raise_pytorchs_message(name, options):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)(our_params("numpy", make_data()[0], "float64"), **options)
    assert str(expected.value) in str(ours.value)
    assert str(ours.value).startswith(f"{name}: ")  # and the message names the optimizer


@pytest.mark.parametrize("name, options", [("Adam", dict(betas=(0.9,))), ("NAdam", dict(betas=())),
                                           ("Rprop", dict(etas=(0.5,)))], ids=["Adam", "NAdam", "Rprop"])
def test_a_pair_of_one_value_is_an_index_error_naming_the_option(name, options):
    # PyTorch: IndexError "tuple index out of range", from inside its check
    with pytest.raises(IndexError):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    (key, value), = options.items()
    with pytest.raises(IndexError, match=rf"^{name}: {key} must be a pair, got {re.escape(repr(value))}"):
        getattr(optim, name)(our_params("numpy", make_data()[0], "float64"), **options)


def test_a_parameter_twice_in_one_group_is_refused(recwarn):
    # PyTorch warns ("in future, this will cause an error") and steps the parameter twice; anynn refuses now
    p = torch.zeros(1, requires_grad=True)
    torch.optim.SGD([p, p], lr=0.1)
    assert "duplicate parameters" in str(recwarn.pop(UserWarning).message)
    ours = our_params("numpy", make_data()[0], "float64")
    with pytest.raises(ValueError, match="^SGD: some parameters appear more than once in one parameter group"):
        optim.SGD(ours + ours[:1], lr=0.1)


class PlainDescent(Optimizer):
    """An optimizer written as its rule only: ``p -= lr * g``; the base handles maximize and weight decay."""

    checked_options = ("lr", "weight_decay")

    def __init__(self, params, lr=0.1, weight_decay=0.0, maximize=False, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def update(self, param, grad, state, group, backend):
        return param - group["lr"] * grad


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_the_base_applies_maximize_and_weight_decay(backend, maximize, decoupled):
    weights, grads = make_data(steps=3)
    params = our_params(backend, weights, "float64")
    opt = PlainDescent(params, lr=0.1, weight_decay=0.3, maximize=maximize, decoupled_weight_decay=decoupled)
    expected = [w.copy() for w in weights]
    for step_grads in grads:
        take_step(opt, params, step_grads, "float64")
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            if decoupled:
                expected[i] = expected[i] * (1 - 0.1 * 0.3) - 0.1 * g
            else:
                expected[i] = expected[i] - 0.1 * (g + 0.3 * expected[i])
    for p, e in zip(params, expected):
        np.testing.assert_allclose(backend.to_host(p.array), e, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        PlainDescent(params, weight_decay=-1)


# PyTorch accepts 1-element tensors for lr (every optimizer) and betas (the Adam family): (name, options from a library)
TENSOR_OPTIONS = [
    ("Adam", lambda lib: dict(lr=lib.tensor(0.05), betas=(lib.tensor(0.8), lib.tensor(0.99)))),
    ("AdamW", lambda lib: dict(lr=lib.tensor([0.05]), betas=(lib.tensor(0.8), lib.tensor(0.99)), weight_decay=0.1)),
    ("AdamW", lambda lib: dict(lr=lib.tensor(0.05), weight_decay=0.1)),  # float32 scalars: checked to 1e-12
    ("Adamax", lambda lib: dict(lr=lib.tensor(0.05))),
    ("NAdam", lambda lib: dict(lr=lib.tensor(0.05), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adagrad", lambda lib: dict(lr=lib.tensor(0.05), lr_decay=0.1)),
    ("NAdam", lambda lib: dict(lr=lib.tensor(0.05), betas=(lib.tensor(0.8), 0.99))),
    ("RAdam", lambda lib: dict(betas=(lib.tensor(0.8), lib.tensor(0.99)))),
    ("Adamax", lambda lib: dict(lr=lib.tensor(0.05), betas=(lib.tensor(0.8), lib.tensor(0.99)))),
    ("Adagrad", lambda lib: dict(lr=lib.tensor(0.05))),
    ("ASGD", lambda lib: dict(lr=lib.tensor(0.05))),
    ("SGD", lambda lib: dict(lr=lib.tensor(0.05), momentum=0.9)),
    ("SGD", lambda lib: dict(lr=0.05, weight_decay=lib.tensor(0.1))),  # (SGD's weight_decay: float | Tensor)
]


@pytest.mark.parametrize("name, options", TENSOR_OPTIONS, ids=[n for n, _ in TENSOR_OPTIONS])
def test_tensor_lr_and_betas_step_as_pytorchs(backend, name, options):
    weights, grads = make_data(steps=4)
    expected = torch_history(getattr(torch.optim, name), options(torch), weights, grads, "float64")
    params = our_params(backend, weights, "float64")
    ours = options(anynn)
    opt = getattr(optim, name)(params, **ours)
    for step_grads, want in zip(grads, expected):
        take_step(opt, params, step_grads, "float64")
        for p, w in zip(params, want):
            assert backend.is_native(p.array)  # (a Tensor weight_decay made the parameter's array a Tensor)
            # float32 tensors: PyTorch does some of the scalar arithmetic in float32 (lr's, as anynn: to 1e-12)
            tight = name in ("AdamW", "Adamax", "Adagrad", "NAdam", "ASGD") and "betas" not in ours
            np.testing.assert_allclose(p.numpy(), w, rtol=1e-12 if tight else 1e-5, atol=1e-14 if tight else 1e-8)
    if "lr" in ours:  # the group keeps the Tensor, as PyTorch's
        assert opt.param_groups[0]["lr"] is ours["lr"]


NUMPY_OPTIONS = [("RMSprop", dict(lr=0.05, alpha=0.9, momentum=0.5)), ("RAdam", dict(lr=0.05, betas=(0.8, 0.99))),
                 ("Adadelta", dict(lr=1.0, rho=0.9)), ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True))]


@pytest.mark.parametrize("name, options", NUMPY_OPTIONS, ids=[n for n, _ in NUMPY_OPTIONS])
def test_numpy_number_options_step_as_python_numbers(backend, name, options):
    """An lr from np.logspace, a LambdaLR factor from np.cos, a max_norm from a NumPy config: PyTorch reads NumPy
    numbers as Python ones. They promoted float32 parameters to float64 (NumPy: RMSprop, RAdam, Adadelta; JAX: every
    optimizer) or were array-api-strict's TypeError (clip_grad_norm_ too)."""
    as_numpy = {k: tuple(map(np.float64, v)) if isinstance(v, tuple) else v if isinstance(v, bool) else np.float64(v)
                for k, v in options.items()}
    results = []
    runs = ((options, lambda e: float(np.cos(e / 4)), float), (as_numpy, lambda e: np.cos(e / 4), np.float64))
    for given, factor, to_number in runs:
        w = anynn.nn.Parameter(anynn.tensor([1.0, -2.0, 3.0], backend=backend))
        opt = getattr(optim, name)([w], **given)
        schedule = optim.lr_scheduler.LambdaLR(opt, factor)
        for _ in range(3):
            opt.zero_grad()
            (w * w * w).sum().backward()
            anynn.nn.utils.clip_grad_norm_([w], to_number(5.0))
            opt.step()
            schedule.step()
        assert anynn.backend.dtype_name(w.array.dtype) == "float32"
        results.append(w.numpy())
    np.testing.assert_array_equal(results[1], results[0])


TENSOR_OPTION_REFUSALS = [
    ("Adam", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
    ("SGD", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
    ("RMSprop", lambda lib: dict(lr=lib.ones(2, 1))),
    ("Adam", lambda lib: dict(lr=lib.tensor(0.1), foreach=True)),
    ("AdamW", lambda lib: dict(betas=(lib.tensor(0.9), lib.tensor(0.99)), foreach=True)),
    ("Adam", lambda lib: dict(betas=(lib.tensor(0.9), 0.99))),
    ("AdamW", lambda lib: dict(betas=(0, 0.99))),  # PyTorch's Adam wants floats or Tensors, not ints
    ("Adam", lambda lib: dict(betas=(lib.tensor([0.9, 0.8]), lib.tensor([0.9, 0.8])))),
]


@pytest.mark.parametrize("name, options", TENSOR_OPTION_REFUSALS, ids=[n for n, _ in TENSOR_OPTION_REFUSALS])
def test_tensor_options_refused_as_pytorch_refuses_them(name, options):
    with pytest.raises((ValueError, RuntimeError)) as expected:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options(torch))
    with pytest.raises(type(expected.value)) as ours:
        getattr(optim, name)(our_params("numpy", make_data()[0], "float64"), **options(anynn))
    if "ambiguous" not in str(expected.value):
        assert str(expected.value) in str(ours.value)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "SGD", "Adagrad"])
def test_fused_with_foreach_is_refused_as_in_pytorch(name):
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match=f"{name}: `fused` and `foreach` cannot be `True` together"):
        getattr(optim, name)(our_params("numpy", make_data()[0], "float64"), fused=True, foreach=True)


@pytest.mark.parametrize("name, options, when", [("SGD", dict(lr=0.1), "before the first step"),
                                                  ("Adam", dict(), "after a step"),
                                                  ("SGD", dict(lr=0.1, momentum=0.9), "after a step")], ids=str)
def test_a_parameter_whose_data_changed_shape_is_named_by_step(backend, name, options, when):
    """``p.data = <another shape>`` after backward or after a step: the library's broadcast error ('operands could
    not be broadcast together') named neither the optimizer nor the parameter; PyTorch refuses it too."""
    from tests.helpers import make

    params = [make(backend, np.ones(2), requires_grad=True), make(backend, np.ones(3), requires_grad=True)]
    opt = getattr(optim, name)(params, **options)
    for p in params:
        p.grad = make(backend, np.ones(tuple(p.shape)))
    if when == "after a step":
        opt.step()
        params[1].data = make(backend, np.ones(4))
        params[1].grad = make(backend, np.ones(4))
        expected = r"parameter 1 has shape \(4,\) but its state '\w+' \(3,\): .*del optimizer.state\[p\]"
    else:
        params[1].data = make(backend, np.ones(4))
        expected = r"parameter 1 has shape \(4,\) but its gradient \(3,\)"
    with pytest.raises(RuntimeError, match=f"{name}.step: {expected}"):
        opt.step()
    opt.state.pop(params[1], None)
    params[1].grad = make(backend, np.ones(4))
    opt.step()  # its state dropped and its gradient of its shape, the parameter steps again
