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


# op -> (call of two (2, 3) float32 operands, the name the error starts with); each asked one array library about
# the other's dtypes or arrays before the backends were compared (NumPy's "dtype argument must be a NumPy dtype",
# an AttributeError, or a silent mix: batch_norm ran NumPy data with array-api-strict running statistics)
MIXED = {
    "where": (lambda a, b: anynn.where(a > 0, a, b), "where"),
    "cat": (lambda a, b: anynn.cat([a, b]), "Concat"),
    "masked_fill": (lambda a, b: a.masked_fill(b > 0, 1.0), "masked_fill"),
    "clamp": (lambda a, b: anynn.clamp(a, b, None), "clamp"),
    "batch_norm": (lambda a, b: F.batch_norm(a, b[0], b[0]), "batch_norm"),
    "grid_sample": (lambda a, b: F.grid_sample(a.reshape(1, 1, 2, 3), b.reshape(1, 1, 3, 2), align_corners=False),
                    "grid_sample"),
    "margin_ranking_loss": (lambda a, b: F.margin_ranking_loss(a, a, b), "margin_ranking_loss"),
    "soft_margin_loss": (lambda a, b: F.soft_margin_loss(a, b), "soft_margin_loss"),
    "gaussian_nll_loss": (lambda a, b: F.gaussian_nll_loss(a, a, b.abs()), "gaussian_nll_loss"),
    "poisson_nll_loss": (lambda a, b: F.poisson_nll_loss(a, b), "poisson_nll_loss"),
    "cosine_embedding_loss": (lambda a, b: F.cosine_embedding_loss(a, b, a[:, 0]), "CosineEmbedding"),
    "multi_margin_loss": (lambda a, b: F.multi_margin_loss(a, (b[:, 0] * 0).long()), "multi_margin_loss"),
    "atan2": (lambda a, b: anynn.atan2(a, b), "atan2"),
    "isclose": (lambda a, b: anynn.isclose(a, b), "isclose"),
    "equal": (lambda a, b: anynn.equal(a, b), "equal"),
    "logical_and": (lambda a, b: anynn.logical_and(a > 0, b > 0), "logical_and"),
    "bitwise_and": (lambda a, b: a.long() & b.long(), "bitwise_and"),
    "masked_select": (lambda a, b: anynn.masked_select(a, b > 0), "masked_select"),
    "dot": (lambda a, b: anynn.dot(a[0], b[0]), "dot"),
    "scatter": (lambda a, b: anynn.scatter(a, 1, (a[:, :1] * 0).long(), b[:, :1]), "scatter"),
    "searchsorted": (lambda a, b: anynn.searchsorted(a[0], b[0]), "searchsorted"),
    "complex": (lambda a, b: anynn.complex(a, b), "complex"),
    "linalg.solve": (lambda a, b: anynn.linalg.solve(a[:, :2], b[:, :1]), "linalg.solve"),
    "copysign": (lambda a, b: anynn.copysign(a, b), "copysign"),
    "heaviside": (lambda a, b: anynn.heaviside(a, b), "heaviside"),
    # (TypeError from array-api-strict, or "expected dtype float32 but got dtype float32", before)
    "lerp": (lambda a, b: anynn.lerp(a, b, 0.5), "lerp"),
    "addcmul": (lambda a, b: anynn.addcmul(a, b, b), "addcmul"),
    "addcdiv": (lambda a, b: anynn.addcdiv(a, a, b), "addcdiv"),
    "sub_alpha": (lambda a, b: anynn.sub(a, b, alpha=2), "sub"),  # (the same TypeError)
    "vdot": (lambda a, b: anynn.vdot(a[0], b[0]), "vdot"),  # ('expected same dtype, found float32 and float32')
    "isin": (lambda a, b: anynn.isin(a, b), "isin"),  # (it ran, copying b into a's library)
}


@pytest.mark.parametrize("first, second", [("numpy", "torch"), ("torch", "numpy"), ("array_api_strict", "numpy")])
@pytest.mark.parametrize("case", sorted(MIXED))
def test_operands_on_two_backends_are_refused_naming_the_op(case, first, second):
    call, name = MIXED[case]
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.raises(BackendMismatch, match=f"^{name}: .*two backends, '{first}' and '{second}'"):
        call(_on(first, values), _on(second, values))


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


# -- operands of one op in two dtypes: PyTorch refuses (RuntimeError), anynn too (TypeError and RuntimeError),
# naming the op and both dtypes, instead of promoting the product to float64 ------------------------------
def _f(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)


MIXED_DTYPES = {  # name: (call(lib, F, tensor), arrays in float32, index of the operand cast, the op named)
    "linear input": (lambda lib, F, t, a: F.linear(t(a[0]), t(a[1])), [_f(4, 5), _f(6, 5)], 0, "linear"),
    "linear weight": (lambda lib, F, t, a: F.linear(t(a[0]), t(a[1]), t(a[2])), [_f(4, 5), _f(6, 5), _f(6)], 1,
                      "linear"),
    "linear bias": (lambda lib, F, t, a: F.linear(t(a[0]), t(a[1]), t(a[2])), [_f(4, 5), _f(6, 5), _f(6)], 2,
                    "linear"),
    "matmul": (lambda lib, F, t, a: lib.matmul(t(a[0]), t(a[1])), [_f(4, 5), _f(5, 3)], 1, "matmul"),
    "mm": (lambda lib, F, t, a: lib.mm(t(a[0]), t(a[1])), [_f(4, 5), _f(5, 3)], 0, "m"),
    "bmm": (lambda lib, F, t, a: lib.bmm(t(a[0]), t(a[1])), [_f(2, 4, 5), _f(2, 5, 3)], 1, "m"),
    "operator @": (lambda lib, F, t, a: t(a[0]) @ t(a[1]), [_f(4, 5), _f(5, 3)], 1, "m"),
    "dot": (lambda lib, F, t, a: lib.dot(t(a[0]), t(a[1])), [_f(5), _f(5)], 1, "dot"),
    "conv1d": (lambda lib, F, t, a: F.conv1d(t(a[0]), t(a[1])), [_f(2, 3, 8), _f(4, 3, 3)], 0, "conv1d"),
    "conv2d weight": (lambda lib, F, t, a: F.conv2d(t(a[0]), t(a[1])), [_f(2, 3, 6, 6), _f(4, 3, 3, 3)], 1,
                      "conv2d"),
    "conv2d bias": (lambda lib, F, t, a: F.conv2d(t(a[0]), t(a[1]), t(a[2])), [_f(2, 3, 6, 6), _f(4, 3, 3, 3),
                                                                              _f(4)], 2, "conv2d"),
    "conv3d": (lambda lib, F, t, a: F.conv3d(t(a[0]), t(a[1])), [_f(2, 3, 4, 4, 4), _f(4, 3, 2, 2, 2)], 0,
               "conv3d"),
    "conv_transpose2d": (lambda lib, F, t, a: F.conv_transpose2d(t(a[0]), t(a[1])),
                         [_f(2, 3, 6, 6), _f(3, 4, 3, 3)], 1, "conv_transpose2d"),
    "bilinear": (lambda lib, F, t, a: F.bilinear(t(a[0]), t(a[1]), t(a[2])), [_f(4, 5), _f(4, 5), _f(6, 5, 5)], 2,
                 "bilinear"),
    "prelu": (lambda lib, F, t, a: F.prelu(t(a[0]), t(a[1])), [_f(2, 3, 4), _f(1)], 1, "prelu"),
    "scaled_dot_product_attention": (lambda lib, F, t, a: F.scaled_dot_product_attention(t(a[0]), t(a[1]), t(a[2])),
                                     [_f(2, 4, 8), _f(2, 6, 8), _f(2, 6, 8)], 2, "scaled_dot_product_attention"),
}


@pytest.mark.parametrize("other", ["float64", "int64"])
@pytest.mark.parametrize("case", sorted(MIXED_DTYPES))
def test_operands_of_two_dtypes_are_refused_as_torch(backend, case, other):
    import torch
    import torch.nn.functional as TF

    call, arrays, cast, op_name = MIXED_DTYPES[case]
    mixed = [a.astype(other) if i == cast else a for i, a in enumerate(arrays)]
    with pytest.raises(RuntimeError):
        call(torch, TF, torch.tensor, mixed)
    with pytest.raises(TypeError, match=f"{op_name}.*{other}") as caught:
        call(anynn, F, lambda a: anynn.tensor(a, backend=backend, dtype=a.dtype.name), mixed)
    assert isinstance(caught.value, RuntimeError)
    same = call(anynn, F, lambda a: anynn.tensor(a, backend=backend, dtype=a.dtype.name), arrays)
    np.testing.assert_allclose(same.numpy(), call(torch, TF, torch.tensor, arrays).numpy(), rtol=1e-4, atol=1e-5)


# -- an operand whose shape does not fit the others' (a bias, a running statistic, a target): PyTorch refuses, anynn
# too, naming the op and the shapes, instead of an error of the array library ("cannot reshape array of size 4 into
# shape (3,1,1)", "operands could not be broadcast") or an IndexError ------------------------------------------------
def _i(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


MISSHAPED = {  # name: (call(lib, F, tensor), arrays, the op named, words of the message)
    "linear weight": (lambda lib, F, t, a: F.linear(t(a[0]), t(a[1])), [_f(2, 3), _f(4, 2)], "linear", "in_features"),
    "linear bias": (lambda lib, F, t, a: F.linear(t(a[0]), t(a[1]), t(a[2])), [_f(2, 3), _f(4, 3), _f(3)], "linear",
                    "bias of shape \\(3,\\)"),
    "conv2d bias": (lambda lib, F, t, a: F.conv2d(t(a[0]), t(a[1]), t(a[2])), [_f(1, 4, 5, 5), _f(3, 4, 3, 3), _f(4)],
                    "conv2d", "bias of shape \\(4,\\)"),
    "conv1d bias of one": (lambda lib, F, t, a: F.conv1d(t(a[0]), t(a[1]), t(a[2])), [_f(1, 4, 5), _f(3, 4, 3), _f(1)],
                           "conv1d", "bias of shape \\(1,\\)"),
    "conv_transpose2d bias": (lambda lib, F, t, a: F.conv_transpose2d(t(a[0]), t(a[1]), t(a[2])),
                              [_f(1, 4, 5, 5), _f(4, 3, 3, 3), _f(4)], "conv_transpose2d", "3 elements"),
    "conv3d bias": (lambda lib, F, t, a: F.conv3d(t(a[0]), t(a[1]), t(a[2])),
                    [_f(1, 2, 3, 3, 3), _f(3, 2, 1, 1, 1), _f(2)], "conv3d", "bias of shape \\(2,\\)"),
    "batch_norm running_mean": (lambda lib, F, t, a: F.batch_norm(t(a[0]), t(a[1]), t(a[2])),
                                [_f(2, 4, 3), _f(3), _f(3) ** 2], "batch_norm", "running_mean of shape \\(4,\\)"),
    "batch_norm weight": (lambda lib, F, t, a: F.batch_norm(t(a[0]), None, None, t(a[1]), training=True),
                          [_f(2, 4, 3), _f(3)], "batch_norm", "weight of shape \\(4,\\)"),
    "group_norm bias": (lambda lib, F, t, a: F.group_norm(t(a[0]), 2, None, t(a[1])), [_f(2, 4, 3), _f(3)],
                        "group_norm", "bias of shape \\(4,\\)"),
    "layer_norm weight": (lambda lib, F, t, a: F.layer_norm(t(a[0]), (3,), t(a[1])), [_f(2, 4, 3), _f(4)],
                          "layer_norm", "weight of shape \\(3,\\)"),
    "instance_norm running_var": (lambda lib, F, t, a: F.instance_norm(t(a[0]), t(a[1]), t(a[2])),
                                  [_f(2, 4, 3), _f(4), _f(3) ** 2], "instance_norm", "running_var of shape \\(4,\\)"),
    "embedding 1-D weight": (lambda lib, F, t, a: F.embedding(t(a[0]), t(a[1])), [_i(0, 1), _f(5)], "embedding",
                             "2-D"),
    "embedding_bag 1-D weight": (lambda lib, F, t, a: F.embedding_bag(t(a[0]), t(a[1])), [_i(0, 1)[None], _f(5)],
                                 "embedding_bag", "2-D"),
    "kl_div": (lambda lib, F, t, a: F.kl_div(t(a[0]), t(a[1]), reduction="sum"), [_f(2, 3), _f(2, 4)], "kl_div",
               "target \\(2, 4\\)"),
    "margin_ranking_loss": (lambda lib, F, t, a: F.margin_ranking_loss(t(a[0]), t(a[1]), t(a[2])),
                            [_f(3), _f(3), _f(4)], "margin_ranking_loss", "target \\(4,\\)"),
    "hinge_embedding_loss": (lambda lib, F, t, a: F.hinge_embedding_loss(t(a[0]), t(a[1])), [_f(2, 3), _f(2, 4)],
                             "hinge_embedding_loss", "target \\(2, 4\\)"),
    "triplet_margin_loss": (lambda lib, F, t, a: F.triplet_margin_loss(t(a[0]), t(a[1]), t(a[2])),
                            [_f(2, 3), _f(2, 3), _f(2, 4)], "triplet_margin_loss", "negative \\(2, 4\\)"),
    "masked_select": (lambda lib, F, t, a: lib.masked_select(t(a[0]), t(a[1])), [_f(3, 4), np.ones((2, 4), bool)],
                      "masked_select", "mask of shape \\(2, 4\\)"),
    "bincount weights": (lambda lib, F, t, a: lib.bincount(t(a[0]), t(a[1])), [_i(0, 1), _f(3)], "bincount",
                         "weights of shape \\(3,\\)"),
}


@pytest.mark.parametrize("case", sorted(MISSHAPED))
def test_an_operand_of_the_wrong_shape_is_refused_naming_the_op_as_torch(backend, case):
    import torch
    import torch.nn.functional as TF

    call, arrays, op_name, words = MISSHAPED[case]
    with pytest.raises((RuntimeError, ValueError)):
        call(torch, TF, torch.tensor, arrays)
    with pytest.raises((RuntimeError, ValueError), match=f"^{op_name}: .*{words}") as caught:
        call(anynn, F, lambda a: anynn.tensor(a, backend=backend, dtype=a.dtype.name), arrays)
    assert not isinstance(caught.value, (IndexError, TypeError)), caught.value


# -- a NumPy array where a Tensor of another backend's is wanted: refused naming the op (a TypeError as PyTorch's
# "must be Tensor, not numpy.ndarray", or BackendMismatch where anynn takes the backend's native arrays) instead
# of a silent host copy (layer_norm's weight), a Tensor holding a NumPy array (batch_norm of a NumPy input beside
# array-api-strict statistics) or an AttributeError ---------------------------------------------------------------
NUMPY_BESIDE = {  # name: (call(tensor, numpy array), the op named)
    "batch_norm input": (lambda t, a: F.batch_norm(a, t[0], t[0].abs(), t[0]), "batch_norm"),
    "layer_norm weight": (lambda t, a: F.layer_norm(t, (3,), a[0]), "layer_norm"),
    "group_norm bias": (lambda t, a: F.group_norm(t[:, :, None], 3, None, a[0]), "group_norm"),
    "rms_norm weight": (lambda t, a: F.rms_norm(t, (3,), a[0]), "rms_norm"),
    "instance_norm running_mean": (lambda t, a: F.instance_norm(t[:, :, None].expand(2, 3, 2), a[0], t[0]),
                                   "instance_norm"),
    "kl_div target": (lambda t, a: F.kl_div(t, a, reduction="sum"), "kl_div"),
    "poisson_nll_loss target": (lambda t, a: F.poisson_nll_loss(t, a), "poisson_nll_loss"),
    "cosine_similarity": (lambda t, a: F.cosine_similarity(t, a), "cosine_similarity"),
    "pairwise_distance": (lambda t, a: F.pairwise_distance(t, a), "pairwise_distance"),
    "cdist": (lambda t, a: anynn.cdist(t, a), "cdist"),
    "embedding weight": (lambda t, a: F.embedding((t[0] * 0).long(), a), "embedding"),
    "scatter src": (lambda t, a: anynn.scatter(t, 1, (t[:, :1] * 0).long(), a[:, :1]), "scatter"),
    "scatter src list": (lambda t, a: anynn.scatter(t, 1, (t[:, :1] * 0).long(), a[:, :1].tolist()), "scatter"),
}


@pytest.mark.parametrize("backend_name", ["torch", "array_api_strict"])
@pytest.mark.parametrize("case", sorted(NUMPY_BESIDE))
def test_a_numpy_array_beside_tensors_of_another_backend_is_refused_naming_the_op(case, backend_name):
    call, name = NUMPY_BESIDE[case]
    values = np.arange(6, dtype=np.float32).reshape(2, 3) / 10 + 0.1
    with pytest.raises((TypeError, BackendMismatch), match=f"^{name}(\\(\\))?: "):
        call(_on(backend_name, values), values)


def test_running_statistics_that_are_not_tensors_are_refused_as_torch():
    import torch
    import torch.nn.functional as TF

    x, stats = np.ones((4, 3, 2), np.float32), np.zeros(3, np.float32)
    for name in ("batch_norm", "instance_norm"):  # (their arrays are replaced when training: AttributeError before)
        with pytest.raises(TypeError, match="must be Tensor"):
            getattr(TF, name)(torch.tensor(x), stats, stats + 1, use_input_stats=True) if name == "instance_norm" \
                else TF.batch_norm(torch.tensor(x), stats, stats + 1, training=True)
        with pytest.raises(TypeError, match=f"^{name}\\(\\): argument 'running_mean' must be Tensor, not ndarray"):
            getattr(F, name)(_on("numpy", x), stats, stats + 1, **({"training": True} if name == "batch_norm" else {}))
