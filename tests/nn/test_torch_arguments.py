"""PyTorch constructor arguments that anynn once lacked: ``bias=`` on BatchNorm/GroupNorm, BatchNorm3d, the
deprecated ``size_average``/``reduce`` of the older losses, Hardtanh's ``min_value``/``max_value``, the
Transformer layers' ``F.relu`` default, ConstantPad's required value, GRU without ``proj_size``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import anynn
import anynn.nn as nn
import anynn.nn.functional as F
from tests.helpers import compare_module_with_torch, make

NORMS = [
    ("BatchNorm1d", (3,), (4, 3, 5), dict(bias=False)),
    ("BatchNorm2d", (3,), (2, 3, 2, 3), dict(bias=False)),
    ("BatchNorm3d", (3,), (2, 3, 2, 3, 2), dict()),
    ("BatchNorm3d", (3,), (2, 3, 2, 3, 2), dict(bias=False, momentum=None)),
    ("BatchNorm3d", (3,), (2, 3, 2, 2, 2), dict(affine=False)),
    ("GroupNorm", (2, 4), (2, 4, 5), dict(bias=False)),
]


@pytest.mark.parametrize("name, args, shape, options", NORMS, ids=[f"{n}-{o}" for n, _, _, o in NORMS])
def test_norms_with_bias_option_match_torch(backend, rng, name, args, shape, options):
    theirs = getattr(torch.nn, name)(*args, **options).double()
    if getattr(theirs, "weight", None) is not None:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
    ours = getattr(nn, name)(*args, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = rng.standard_normal(shape) * 2 + 1
    compare_module_with_torch(backend, ours, theirs, x, rtol=1e-7, atol=1e-9)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-7, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(make(backend, x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-7, atol=1e-9)


def test_batch_norm_3d_refuses_other_ranks():
    with pytest.raises(ValueError, match="BatchNorm3d"):
        nn.BatchNorm3d(3)(make("numpy", np.ones((2, 3, 4), np.float32)))


LOSSES = [("MSELoss", ()), ("L1Loss", ()), ("SmoothL1Loss", ()), ("BCELoss", (None,)),
          ("BCEWithLogitsLoss", (None,)), ("CrossEntropyLoss", (None,)), ("NLLLoss", (None,))]


@pytest.mark.parametrize("size_average, reduce", [(None, False), (False, None), (True, True), (False, True)])
@pytest.mark.parametrize("name, lead", LOSSES, ids=[n for n, _ in LOSSES])
def test_deprecated_size_average_and_reduce(rng, name, lead, size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = getattr(nn, name)(*lead, size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning):
        theirs = getattr(torch.nn, name)(*lead, size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction
    x = rng.uniform(0.1, 0.9, (4, 3))
    y = rng.integers(0, 3, 4) if name in ("CrossEntropyLoss", "NLLLoss") else rng.uniform(0, 1, (4, 3))
    np.testing.assert_allclose(ours(make("numpy", x), make("numpy", y)).numpy(),
                               theirs(torch.tensor(x), torch.tensor(y)).numpy(), rtol=1e-12)


def test_losses_take_pytorchs_positions():
    """``CrossEntropyLoss(weight, size_average, ignore_index, ...)``: the third positional is ignore_index."""
    assert nn.CrossEntropyLoss(None, None, 2).ignore_index == torch.nn.CrossEntropyLoss(None, None, 2).ignore_index
    assert nn.SmoothL1Loss(None, None, "sum", 0.5).beta == 0.5


def test_hardtanh_deprecated_names():
    with pytest.warns(FutureWarning, match="min_value"):
        ours = nn.Hardtanh(min_value=-0.5, max_value=2.0)
    assert (ours.min_val, ours.max_val) == (-0.5, 2.0)
    x = np.linspace(-3, 3, 13)
    with pytest.warns(FutureWarning):
        theirs = torch.nn.Hardtanh(min_value=-0.5, max_value=2.0)
    np.testing.assert_allclose(ours(make("numpy", x)).numpy(), theirs(torch.tensor(x)).numpy())


def test_constant_pad_requires_a_value_as_pytorch():
    for ours, theirs in ((nn.ConstantPad1d, torch.nn.ConstantPad1d), (nn.ConstantPad3d, torch.nn.ConstantPad3d)):
        with pytest.raises(TypeError):
            theirs(1)
        with pytest.raises(TypeError):
            ours(1)
    assert nn.ConstantPad2d(1, 2.5).value == 2.5
    assert nn.ZeroPad2d(1).value == 0.0


def test_transformer_layers_default_to_f_relu():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    assert layer.activation is F.relu and layer.activation_relu_or_gelu
    assert nn.TransformerDecoderLayer(4, 2, 8).activation is F.relu
    assert nn.TransformerEncoderLayer(4, 2, 8, activation="gelu").activation is F.gelu


def test_gru_takes_no_proj_size():
    with pytest.raises(TypeError):
        nn.GRU(3, 4, proj_size=2)
    assert nn.LSTM(3, 4, proj_size=2).proj_size == 2


def _named_parameters_of(function) -> list[str]:
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind not in kinds]


# PyTorch's own names that anynn leaves: AdaptiveLogSoftmaxWithLoss's input_/target_ (anynn: input/target)
_KEYWORD_EXCEPTIONS = {"AdaptiveLogSoftmaxWithLoss.forward"}
_METHODS = [("Module", "load_state_dict"), ("Module", "register_buffer"), ("Module", "register_parameter")]


def test_layers_and_methods_take_pytorchs_keyword_names():
    """``layer(input=x)``, ``model.load_state_dict(state_dict=sd)``, ``register_buffer(name, tensor=t)`` and
    ``optimizer.add_param_group(param_group=g)`` as PyTorch's (forward's argument was ``x``: a TypeError)."""
    checks = [(f"{name}.forward", getattr(torch.nn, name).forward, getattr(nn, name).forward)
              for name in dir(torch.nn) if isinstance(getattr(torch.nn, name), type)
              and issubclass(getattr(torch.nn, name), torch.nn.Module) and hasattr(nn, name)]
    checks += [(f"{c}.{m}", getattr(getattr(torch.nn, c), m), getattr(getattr(nn, c), m)) for c, m in _METHODS]
    checks.append(("Optimizer.add_param_group", torch.optim.Optimizer.add_param_group,
                   anynn.optim.Optimizer.add_param_group))
    wrong = {label: (_named_parameters_of(theirs), _named_parameters_of(ours)) for label, theirs, ours in checks
             if label not in _KEYWORD_EXCEPTIONS
             and _named_parameters_of(ours)[:len(_named_parameters_of(theirs))] != _named_parameters_of(theirs)}
    assert not wrong
    assert nn.Linear(3, 2)(input=anynn.ones(1, 3)).shape == (1, 2)
