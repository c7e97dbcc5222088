"""PyTorch's ``torch._foreach_*`` list ops (`anynn.functional.torch_foreach`): every op of torch's list, out of place
and in place, against PyTorch on every backend; gradients through the out-of-place ones (float64 central
differences and against PyTorch); PyTorch's overloads (number, list of numbers, list of tensors, shared 0-d tensor),
return types and refusals; timm's ModelEmaV3 update written with them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import case_table_tests, make

R = np.random.default_rng(5)
A, B = R.uniform(0.2, 0.9, (2, 3)), R.uniform(0.2, 0.9, 4)  # in (0, 1): every unary op of the list is defined
C, D = R.uniform(0.2, 0.9, (2, 3)), R.uniform(0.2, 0.9, 4)
E, F = R.uniform(0.2, 0.9, (2, 3)), R.uniform(0.2, 0.9, 4)

UNARY = ["abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
         "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
         "sinh", "sqrt", "tan", "tanh", "trunc"]


def _calls(lib):
    """(name, call(xs, ys, zs)) for each overload of each foreach op; xs, ys, zs lists of two tensors."""
    calls = [(op, lambda xs, ys, zs, op=op: getattr(lib, f"_foreach_{op}")(xs)) for op in UNARY]
    for op in ("add", "sub", "mul", "div", "clamp_min", "clamp_max", "maximum", "minimum", "pow"):
        f = getattr(lib, f"_foreach_{op}")
        calls += [(f"{op}_scalar", lambda xs, ys, zs, f=f: f(xs, 0.5)),
                  (f"{op}_scalar_list", lambda xs, ys, zs, f=f: f(xs, [0.5, 2.0])),
                  (f"{op}_list", lambda xs, ys, zs, f=f: f(xs, ys))]
    for op in ("add", "sub"):
        calls.append((f"{op}_list_alpha", lambda xs, ys, zs, op=op: getattr(lib, f"_foreach_{op}")(xs, ys, alpha=-2)))
    for op in ("add", "mul", "div"):
        calls.append((f"{op}_shared_tensor", lambda xs, ys, zs, op=op: getattr(lib, f"_foreach_{op}")(
            xs, lib.tensor(1.5, dtype=xs[0].dtype, device=xs[0].device))))
    for op in ("addcdiv", "addcmul"):
        f = getattr(lib, f"_foreach_{op}")
        calls += [(op, lambda xs, ys, zs, f=f: f(xs, ys, zs)),
                  (f"{op}_value", lambda xs, ys, zs, f=f: f(xs, ys, zs, 0.3)),
                  (f"{op}_values", lambda xs, ys, zs, f=f: f(xs, ys, zs, [0.3, -1.0])),
                  (f"{op}_tensor_values", lambda xs, ys, zs, f=f: f(
                      xs, ys, zs, lib.tensor([0.3, -1.0], dtype=xs[0].dtype, device=xs[0].device)))]
    calls += [("lerp_scalar", lambda xs, ys, zs: lib._foreach_lerp(xs, ys, 0.25)),
              ("lerp_scalar_list", lambda xs, ys, zs: lib._foreach_lerp(xs, ys, [0.25, 0.75])),
              ("lerp_list", lambda xs, ys, zs: lib._foreach_lerp(xs, ys, zs)),
              ("norm", lambda xs, ys, zs: lib._foreach_norm(xs)),
              ("norm_1", lambda xs, ys, zs: lib._foreach_norm(xs, 1)),
              ("norm_inf", lambda xs, ys, zs: lib._foreach_norm(xs, float("inf"))),
              ("powsum_3", lambda xs, ys, zs: lib._foreach_powsum(xs, 3)),
              ("max", lambda xs, ys, zs: lib._foreach_max(xs)),
              ("clone", lambda xs, ys, zs: lib._foreach_clone(xs)),
              ("pow_number_base", lambda xs, ys, zs: lib._foreach_pow(2.0, xs)),
              ("mm", lambda xs, ys, zs: lib._foreach_mm([xs[0]], [ys[0].T]))]
    return calls


def _inplace(name: str) -> str | None:
    """The in-place twin of a call name, where PyTorch has one."""
    op = name.split("_scalar")[0].split("_list")[0].split("_shared")[0].split("_value")[0].split("_tensor")[0]
    if op in ("norm", "norm_1", "norm_inf", "powsum_3", "max", "clone", "pow_number_base", "mm"):
        return None
    return op


def _lists(lib, backend=None):
    def mk(a):
        return make(backend, a) if lib is anynn else torch.tensor(a)
    return [mk(A), mk(B)], [mk(C), mk(D)], [mk(E), mk(F)]


def test_every_foreach_op_of_torch_is_here():
    theirs = {n for n in dir(torch) if n.startswith("_foreach_")}
    assert theirs <= {n for n in dir(anynn) if n.startswith("_foreach_")}


def test_values_match_torch_out_of_place_and_in_place(backend):
    ours_calls, theirs_calls = _calls(anynn), _calls(torch)
    for (name, ours), (_, theirs) in zip(ours_calls, theirs_calls):
        got, want = ours(*_lists(anynn, backend)), theirs(*_lists(torch))
        assert isinstance(got, tuple) and isinstance(want, tuple), name
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
        op = _inplace(name)
        if op is None:
            continue
        ours_in = next(c for n, c in _calls(_InPlace(anynn)) if n == name)
        theirs_in = next(c for n, c in _calls(_InPlace(torch)) if n == name)
        xs, ys, zs = _lists(anynn, backend)
        txs, tys, tzs = _lists(torch)
        assert ours_in(xs, ys, zs) is xs and theirs_in(txs, tys, tzs) is txs, name
        for g, w in zip(xs, txs, strict=True):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-14, err_msg=name + "_")


class _InPlace:
    """``lib`` whose ``_foreach_<op>`` are the in-place ``_foreach_<op>_``."""

    def __init__(self, lib):
        self.lib = lib

    def __getattr__(self, name):
        if name.startswith("_foreach_"):
            return getattr(self.lib, name + "_")
        return getattr(self.lib, name)


GRAD_CASES = [  # a few rows through case_table_tests: the ops are Tensor methods, each already gradient-checked
    ("add_list_alpha", lambda t, a, b, c, d: t.cat([r.flatten() for r in t._foreach_add([a, b], [c, d], alpha=3)]),
     [A, B, C, D]),
    ("addcdiv_values", lambda t, a, b, c, d: t.cat([r.flatten() for r in t._foreach_addcdiv(
        [a, b], [c, d], [a + 1, b * d], [0.5, -1.0])]), [A, B, C, D]),
    ("lerp_list", lambda t, a, b, c, d: t.cat([r.flatten() for r in t._foreach_lerp([a, b], [c, d], [c, d])]),
     [A, B, C, D]),
    ("norm_and_sqrt", lambda t, a, b: t.stack(t._foreach_norm([a, b])) + t._foreach_sqrt([a, b])[1].sum(), [A, B]),
]
test_gradients, test_matches_torch = case_table_tests(GRAD_CASES, dtypes=("float64",))


@pytest.mark.parametrize("call, error, message", [
    (lambda t, xs: t._foreach_add([], 1.0), RuntimeError, "at least one tensor"),
    (lambda t, xs: t._foreach_add(xs, xs[:1]), RuntimeError, "same number of tensors, got 2 and 1"),
    (lambda t, xs: t._foreach_mul(xs, [1.0]), RuntimeError, "same number of elements as scalar list"),
    (lambda t, xs: t._foreach_add(xs, t.ones(1)), RuntimeError, "expected to be 0 dim"),
    (lambda t, xs: t._foreach_sub(xs, t.ones(1)), TypeError, ""),
    (lambda t, xs: t._foreach_add(xs, 1.0, alpha=2), TypeError, ""),
    (lambda t, xs: t._foreach_add(xs[0], 1.0), TypeError, ""),
    (lambda t, xs: t._foreach_add_([t.ones(2, dtype=t.int64)], 1.5), RuntimeError, "can't be cast"),
])
def test_refusals_as_torch(call, error, message):
    with pytest.raises(error, match=message):
        call(torch, [torch.ones(2), torch.ones(3)])
    with pytest.raises(error, match=message):
        call(anynn, [anynn.ones(2), anynn.ones(3)])


def test_in_place_on_a_leaf_that_requires_grad_is_refused_and_out_of_place_records():
    for lib in (torch, anynn):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            lib._foreach_mul_([x], 3.0)
        lib._foreach_mul([x], 3.0)[0].sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_timm_model_ema_v3_foreach_update_matches_torch(backend):
    """timm's ModelEmaV3.apply_update_ (foreach=True): floating entries of state_dict lerped, the rest copied."""
    results = []
    shapes = {k: tuple(v.shape) for k, v in torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
              .state_dict().items()}
    start = {k: R.standard_normal(shape) if k != "1.num_batches_tracked" else 7 for k, shape in shapes.items()}
    weights = {k: (v * 2 if isinstance(v, np.ndarray) else 9) for k, v in start.items()}
    for lib in (torch, anynn):
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        ema = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        for mod, values in ((model, weights), (ema, start)):
            mod.load_state_dict({k: lib.tensor(v, dtype=mod.state_dict()[k].dtype) for k, v in values.items()})
        if lib is anynn:
            model.to(backend)
            ema.to(backend)
        with lib.no_grad():
            ema_values, model_values = [], []
            for ema_v, model_v in zip(ema.state_dict().values(), model.state_dict().values()):
                if ema_v.is_floating_point():
                    ema_values.append(ema_v)
                    model_values.append(model_v)
                else:
                    ema_v.copy_(model_v)
            lib._foreach_lerp_(ema_values, model_values, weight=1.0 - 0.9)
        results.append({k: v.detach().numpy() for k, v in ema.state_dict().items()})
    for key in results[0]:
        np.testing.assert_allclose(results[1][key], results[0][key], rtol=1e-6, err_msg=key)
