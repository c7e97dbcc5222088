"""functional/value_checks.py: the one home of argument value checks (other-backend operands, index Tensors)."""

from __future__ import annotations

import numpy as np
import pytest

import anynn
import anynn.functional as F
from anynn.backend import BackendMismatch
from anynn.functional.value_checks import array_on_backend, check_indices


def _on(name: str, array: np.ndarray) -> anynn.Tensor:
    return anynn.tensor(array, backend=name)


def _setitem(x: anynn.Tensor, value: anynn.Tensor) -> None:
    x[0] = value


OTHER_BACKEND = {
    "loss weight": (lambda x, o: F.multi_margin_loss(x, _on("numpy", np.array([0, 1])), weight=o),
                    np.ones(3, np.float32), "multi_margin_loss: weight lives on backend 'array_api_strict', "
                                            "the input on 'numpy'"),
    "index array": (lambda x, o: x[o], np.array([0, 1]), "indexing: the index lives on backend "
                                                         "'array_api_strict', the tensor on 'numpy'"),
    "item assignment": (_setitem, np.ones(3, np.float32), "item assignment: the value lives on backend "
                                                          "'array_api_strict', the tensor on 'numpy'"),
    "index_select": (lambda x, o: anynn.index_select(x, 0, o), np.array([0, 1]),
                     "index_select: the index lives on backend 'array_api_strict', the input on 'numpy'"),
}


@pytest.mark.parametrize("case", sorted(OTHER_BACKEND))
def test_an_operand_of_another_backend_is_refused_with_one_message(case):
    call, other, message = OTHER_BACKEND[case]
    x = _on("numpy", np.arange(6, dtype=np.float32).reshape(2, 3))
    with pytest.raises(BackendMismatch, match=f"^{message}; move it with .to\\('numpy'\\)$"):
        call(x, _on("array_api_strict", other))


def test_array_on_backend_hands_back_the_native_array_of_the_same_backend(backend):
    t = anynn.tensor(np.arange(3.0), backend=backend)
    assert array_on_backend(t, t.backend, "f", "x", "y") is t.array


def test_check_indices_refuses_what_a_lookup_cannot_take(backend):
    weight = anynn.tensor(np.zeros((4, 2), np.float32), backend=backend)
    good = anynn.tensor(np.array([0, 3]), backend=backend)
    check_indices("lookup", good, weight, "weight", "int64", 4, "4 rows")
    with pytest.raises(TypeError, match="lookup: expected an integer anynn Tensor"):
        check_indices("lookup", np.array([0]), weight, "weight", "int64", 4, "4 rows")
    with pytest.raises(TypeError, match="lookup: expected integer indices"):
        check_indices("lookup", weight, weight, "weight", "int64", 4, "4 rows")
    with pytest.raises(ValueError, match=r"lookup: expected indices of the weight's shape \(3,\)"):
        check_indices("lookup", good, weight, "weight", "int64", 4, "4 rows", shape=(3,))
    bad = anynn.tensor(np.array([0, 4]), backend=backend)
    with pytest.raises(IndexError, match=r"lookup: index 4 is out of range for 4 rows"):
        check_indices("lookup", bad, weight, "weight", "int64", 4, "4 rows")
