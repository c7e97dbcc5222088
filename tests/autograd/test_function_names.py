"""Function classes have names of their own: no Function is called like an nn module (issue 19), so anomaly-mode
and version-counter errors say ``LinearFunction`` for the node a ``nn.Linear`` layer records, not ``Linear``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest
import torch

import anynn
import anynn.nn as nn
from anynn.autograd.anomaly import detect_anomaly
from anynn.autograd.primitive import Function
from tests.helpers import make


def _function_names() -> dict[str, str]:
    """Name -> module of every Function subclass defined in anynn (optional-library packages skipped)."""
    for info in pkgutil.walk_packages(anynn.__path__, "anynn."):
        if not info.name.startswith(("anynn.onnx", "anynn.compile")):
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional dependency (mpi4py, cupy...) is missing
                continue
    found, stack = {}, list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("anynn."):
            found[cls.__name__] = cls.__module__
    return found


def test_no_function_is_named_like_an_nn_module():
    modules = {name for name, obj in vars(nn).items() if inspect.isclass(obj) and issubclass(obj, nn.Module)}
    functions = _function_names()
    assert "LinearFunction" in functions and "ReLUFunction" in functions and len(modules) > 50
    clashes = sorted(name for name in functions if name in modules)
    assert clashes == [], f"Function classes named like nn modules (call them <Name>Function): {clashes}"


def _linear(backend):
    layer = nn.Linear(3, 2, backend=backend)
    return layer, make(backend, np.ones((4, 3), np.float32), requires_grad=True)


def test_anomaly_names_the_function_of_a_linear_layer(backend):
    layer, x = _linear(backend)
    with anynn.no_grad():
        layer.weight.fill_(float("nan"))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect_anomaly(), pytest.raises(RuntimeError, match=r"^Function 'LinearFunction\.backward' returned nan"):
            layer(x).sum().backward()


def test_version_counter_error_names_the_function_of_a_linear_layer(backend):
    layer, x = _linear(backend)
    loss = layer(x).sum()
    with anynn.no_grad():
        layer.weight.mul_(2.0)  # the weight LinearFunction saved for the input's gradient
    with pytest.raises(RuntimeError, match=r"inplace operation: input 1 of LinearFunction .* changed after "
                                           r"LinearFunction was recorded"):
        loss.backward()
    # PyTorch refuses the same backward
    tl = torch.nn.Linear(3, 2)
    tx = torch.ones(4, 3, requires_grad=True)
    tloss = tl(tx).sum()
    with torch.no_grad():
        tl.weight.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()


def test_grad_fn_name_is_a_method_as_in_pytorch(backend):
    x = make(backend, np.ones((2, 3), np.float32), requires_grad=True)
    y = (x * 2.0).sum()
    name = y.grad_fn.name()
    assert type(name) is str and name == type(y.grad_fn).__name__
    # PyTorch's grad_fn.name is a method too, returning a plain str
    ty = (torch.ones(2, 3, requires_grad=True) * 2.0).sum()
    assert type(ty.grad_fn.name()) is str
    # messages keep formatting the attribute itself: the same text
    assert f"{y.grad_fn.name}" == name and y.grad_fn.name == name
    first = y.grad_fn.next_functions[0][0]
    assert first.name() == type(first).__name__


def test_custom_function_node_is_named_like_pytorchs(backend):
    def squarer(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * x * g

        return Square

    x = make(backend, np.ones(3, np.float32), requires_grad=True)
    expected = squarer(torch).apply(torch.ones(3, requires_grad=True)).grad_fn.name()
    assert squarer(anynn).apply(x).grad_fn.name() == expected == "SquareBackward"
