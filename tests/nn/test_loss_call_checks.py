"""`_Loss.__call__` tests the common case of its input checks inline (two Tensors, one backend, floating where
the loss needs it, equal shapes where they must match) and runs the full checks otherwise: over every loss
module and a grid of dtypes and shapes, the outcome (value or error) is the outcome of the full checks."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import anynn
from anynn import nn
from anynn.autograd.tensor import Tensor
from anynn.nn.loss import _as_input_dtype, _Loss
from anynn.nn.module import Module
from anynn.nn.validate import check_broadcast, check_floating, check_same_backend


def _full_checks_then_call(loss: _Loss, *args: Any) -> Any:
    """The oracle: `_Loss.__call__`'s full checks, always (no inline common case)."""
    check_same_backend(loss, args)
    for i in loss.float_inputs:
        if i < len(args):
            check_floating(loss, args[i], what=f"input (argument {i + 1})")
    if loss.float_targets and args and isinstance(args[0], Tensor):
        args = tuple(_as_input_dtype(a, args[0]) if i in loss.float_targets else a for i, a in enumerate(args))
    if loss.same_shape:
        check_broadcast(loss, tuple(f"argument {i + 1}" for i in loss.same_shape),
                        tuple(args[i] for i in loss.same_shape if i < len(args)))
    return Module.__call__(loss, *args)


def _losses() -> list[type]:
    found, todo = set(), [_Loss]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return sorted((c for c in found if "Legacy" not in c.__name__ and c.__module__.startswith("anynn.nn")),
                  key=lambda c: c.__name__)


def _outcome(call: Any, *args: Any) -> tuple[str, Any]:
    try:
        out = call(*args)
    except Exception as error:  # noqa: BLE001 - the error itself is the outcome compared
        return type(error).__name__, str(error)
    return "value", np.asarray(out.numpy() if isinstance(out, Tensor) else out, dtype=np.float64)


_DTYPES = ("float32", "float64", "int64", "bool")
_SHAPES = (((4, 3), (4, 3)), ((4, 3), (4, 1)), ((4, 3), (3, 4)), ((4, 3), (4,)))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")  # KLDivLoss's
@pytest.mark.parametrize("cls", _losses(), ids=lambda c: c.__name__)
def test_the_inline_common_case_changes_no_outcome(backend, cls):
    loss = cls()
    rng = np.random.default_rng(0)
    for (a_dtype, b_dtype), (a_shape, b_shape) in itertools.product(itertools.product(_DTYPES, _DTYPES), _SHAPES):
        host_a = rng.uniform(0.1, 0.9, a_shape)
        host_b = rng.integers(0, 2, b_shape) if b_dtype in ("int64", "bool") else rng.uniform(0.1, 0.9, b_shape)
        a = anynn.tensor(host_a.astype(a_dtype), backend=backend)
        b = anynn.tensor(host_b.astype(b_dtype), backend=backend)
        got, want = _outcome(loss, a, b), _outcome(_full_checks_then_call, loss, a, b)
        case = f"{cls.__name__}({a_dtype}{a_shape}, {b_dtype}{b_shape})"
        assert got[0] == want[0], (case, got, want)
        if got[0] == "value":
            np.testing.assert_allclose(got[1], want[1], rtol=1e-6, err_msg=case)
        else:
            assert got[1] == want[1], case


def test_pair_checks_follow_the_class_tables():
    for cls in _losses():
        floats = set(cls.float_inputs) | set(cls.float_targets)
        assert cls._pair_checks == (0 in floats, 1 in floats, {0, 1} <= set(cls.same_shape)), cls.__name__

    class Custom(nn.MSELoss):
        float_inputs, float_targets, same_shape = (0, 1), (), ()

    assert Custom._pair_checks == (True, True, False)
    with pytest.raises(TypeError, match=r"Custom: expected a floating-point input \(argument 2\)"):
        Custom()(anynn.tensor(np.ones(3, np.float32)), anynn.tensor(np.ones(3, np.int64)))


def test_keyword_arguments_and_other_arities_take_the_same_checks():
    x, y = anynn.tensor(np.full(3, 0.5, np.float32)), anynn.tensor(np.ones(3, np.float32))
    mse = nn.MSELoss()
    np.testing.assert_allclose(mse(x, target=y).numpy(), 0.25)
    np.testing.assert_allclose(mse(x, y).numpy(), 0.25)
    with pytest.raises(TypeError, match="MSELoss: expected a floating-point input"):
        mse(anynn.tensor(np.ones(3, np.int64)), target=y)
    ranking = nn.MarginRankingLoss()
    z = anynn.tensor(np.ones(3, np.float32))
    np.testing.assert_allclose(ranking(x, z, y).numpy(), 0.5)
    with pytest.raises(Exception, match="MarginRankingLoss"):
        ranking(x, z, anynn.tensor(np.ones(4, np.float32)))
