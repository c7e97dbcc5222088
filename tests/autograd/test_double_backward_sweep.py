"""Second derivatives of the functional ops and layers against PyTorch's double backward, one table.

Each row is a function of its inputs written once for both libraries (``L.T`` is ``anynn`` or ``torch``, ``L.F``
their functional module, ``L.nn`` their layers), optionally over a layer built in both with the same state. In
float64 with the same inputs and weights, for ``s = sum(f(x) * r)``:

- the gradient ``g = ds/dx`` (``grad(create_graph=True)``) of every input and parameter;
- the Hessian-vector product: the gradient of ``sum(g * v)``;
- the gradient of the gradient-norm penalty ``sum(g ** 2)``;

and, on NumPy, the same with ``g`` of the first input only (a gradient penalty on the input, as WGAN-GP's),
whose second pass still differentiates every input and parameter.

Inputs are drawn away from the kinks (where PyTorch's second derivative is a convention). Where PyTorch has no
double backward (``TORCH_REFUSES``), its first-order gradient differenced along the direction stands in.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch.nn.attention import SDPBackend, sdpa_kernel

import anynn
import anynn.functional as F
from anynn.autograd import grad
from anynn.backend import get_backend
from tests.helpers import as_strided_scatter

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
RTOL, ATOL = 1e-8, 1e-10
R = np.random.default_rng(5)


class Lib:
    """One library's names, so a case is written once: ``T`` (anynn / torch), ``F``, ``nn``, ``grad``, ``t()``."""

    def __init__(self, ours: bool, backend: Any) -> None:
        self.ours, self.backend = ours, backend
        self.T, self.F = (anynn, F) if ours else (torch, TF)
        self.nn = anynn.nn if ours else torch.nn
        self.grad = grad if ours else torch.autograd.grad

    def t(self, a: Any, requires_grad: bool = False) -> Any:
        a = np.asarray(a)
        if not self.ours:
            return torch.tensor(a, requires_grad=requires_grad)
        dtype = {"f": "float64", "b": "bool"}.get(a.dtype.kind, "int64")
        return anynn.tensor(a, backend=self.backend, dtype=dtype, requires_grad=requires_grad)

    def host(self, x: Any, shape: tuple[int, ...]) -> np.ndarray:
        if x is None or (not self.ours and x._is_zerotensor()):
            return np.zeros(shape)
        return x.numpy() if self.ours else x.detach().numpy()


def _n(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


def _pos(*shape: int, lo: float = 0.5, hi: float = 2.0) -> np.ndarray:
    return R.uniform(lo, hi, shape)


def _unit(*shape: int) -> np.ndarray:
    return R.uniform(0.1, 0.9, shape)


CASES: dict[str, dict[str, Any]] = {}


def case(name: str, fn: Callable[..., Any], *arrays: np.ndarray, diff: list[int] | None = None,
         module: Callable[[Any], Any] | None = None, train: bool = True) -> None:
    """A row: ``fn(L, *tensors)`` or, with ``module(nn)``, ``fn(L, layer, *tensors)``. ``diff``: the inputs that
    require grad (default: the floating ones); a layer's parameters always do."""
    if diff is None:
        diff = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"]
    CASES[name] = dict(fn=fn, arrays=arrays, diff=diff, module=module, train=train)


def _unary(name: str, **kwargs: Any) -> Callable[..., Any]:
    return lambda L, x: getattr(L.F, name)(x * 2.5, **kwargs)


def _method(name: str) -> Callable[..., Any]:
    return lambda L, x: getattr(L.T, name)(x) * x


def _dropout(kind: str) -> Callable[..., Any]:
    """Dropout with a fixed mask: anynn's own draw (seeded), PyTorch multiplying by the mask it drew."""
    def run(L: Any, x: Any) -> Any:
        drop = getattr(F, kind)
        if L.ours:
            return drop(x * x, 0.5, training=True, generator=3) * x
        ones = anynn.ones(tuple(x.shape), backend=L.backend, dtype="float64")
        return x * x * torch.tensor(drop(ones, 0.5, training=True, generator=3).numpy()) * x
    return run


# -- activations (alpha 0.5 for CELU: PyTorch rounds 1 / alpha to float32 in its gradient)
for _name, _kw in [("relu", {}), ("relu6", {}), ("leaky_relu", dict(negative_slope=0.2)), ("elu", dict(alpha=1.3)),
                   ("selu", {}), ("celu", dict(alpha=0.5)), ("gelu", {}), ("gelu", dict(approximate="tanh")),
                   ("silu", {}), ("mish", {}), ("softplus", dict(beta=2.0, threshold=3.0)), ("softsign", {}),
                   ("tanhshrink", {}), ("hardtanh", dict(min_val=-0.7, max_val=0.9)), ("hardswish", {}),
                   ("hardsigmoid", {}), ("logsigmoid", {}), ("sigmoid", {}), ("tanh", {}),
                   ("softshrink", dict(lambd=0.3)), ("hardshrink", dict(lambd=0.3)),
                   ("threshold", dict(threshold=0.1, value=-2.0)), ("rrelu", dict(training=False)),
                   ("softmin", dict(dim=1)), ("softmax", dict(dim=0)), ("log_softmax", dict(dim=1)),
                   ("normalize", dict(dim=1)), ("normalize", dict(p=3.0, dim=0)), ("glu", dict(dim=1))]:
    case(f"{_name}{''.join(f'_{k}={v}' for k, v in _kw.items())}", _unary(_name, **_kw), _n(3, 4))
case("prelu", lambda L, x, w: L.F.prelu(x, w), _n(2, 3, 4), _pos(3, lo=0.1, hi=0.5))
# at beta * x == threshold PyTorch's slope is the sigmoid's, its derivative the linear branch's (0)
case("softplus_at_the_threshold", lambda L, x: L.F.softplus(x, beta=2.0, threshold=1.0),
     np.array([0.5, 0.3, 0.7, -1.0]))
# at exactly 0 PyTorch's second derivative is 0 (the first the negative branch's); at NaN the gradient is g
case("elu_celu_selu_at_zero_and_nan", lambda L, x: L.F.elu(x, 0.5) + L.F.celu(x, 0.5) + L.F.selu(x),
     np.array([0.0, -0.3, 0.2, np.nan]))
# -- elementwise math
for _name, _draw in {"sqrt": _pos, "rsqrt": _pos, "exp": _n, "expm1": _n, "log": _pos, "log1p": _pos, "log2": _pos,
                     "log10": _pos, "sin": _n, "cos": _n, "tan": _unit, "asin": _unit, "acos": _unit, "atan": _n,
                     "sinh": _n, "cosh": _n, "asinh": _n, "acosh": lambda *s: _pos(*s, lo=1.2, hi=3.0),
                     "atanh": _unit, "erf": _n, "erfc": _n, "reciprocal": _pos, "square": _n, "abs": _n,
                     "sigmoid": _n, "tanh": _n, "exp2": _n, "neg": _n, "sign": _n, "floor": _n, "relu": _n}.items():
    case(f"T.{_name}", _method(_name), _draw(3, 4))
case("pow_scalar", lambda L, x: x ** 3.0, _n(3, 4))
case("pow_fraction", lambda L, x: x ** 2.5, _pos(3, 4))
case("pow_negative", lambda L, x: x ** -1.5, _pos(3, 4))
case("pow_int", lambda L, x: x ** 2, _n(3, 4))
case("pow_tensor", lambda L, x, y: L.T.pow(x, y), _pos(3, 4), _n(3, 4))
case("pow_tensor_zero_base", lambda L, x, y: L.T.pow(x, y) * y, np.array([[0.0, 0.0, 1.5, 0.3], [0.0, 2.0, 0.0, 0.7]]),
     np.array([2.0, 0.0, 1.0, 3.0]))
case("pow_tensor_broadcast", lambda L, x, y: x ** y, _pos(3, 4), _n(4))
# a complex number as the exponent, of a complex and of a real tensor (its backward's where() had no array condition
# on torch and array-api-strict: TypeError, first order too)
case("pow_complex_number", lambda L, z, x: [(L.T.view_as_complex(z) ** (0.5 + 0.3j)).abs(),
                                            L.T.view_as_real((x * x + 0.5) ** (0.5 + 0.3j))], _n(3, 2), _n(3))
case("rpow", lambda L, y: 2.0 ** y, _n(3, 4))
case("div", lambda L, x, y: x / y, _n(3, 4), _pos(3, 4))
case("div_broadcast", lambda L, x, y: L.T.div(x, y), _n(3, 4), _pos(3, 1))
case("rdiv", lambda L, y: 1.5 / y, _pos(3, 4))
case("mul_broadcast", lambda L, x, y: x * y * x, _n(3, 4), _n(4))
case("add_sub", lambda L, x, y: (x - y) * (x + y), _n(3, 4), _n(1, 4))
case("atan2", lambda L, x, y: L.T.atan2(x, y), _n(3, 4), _n(3, 4))
# at the origin (and where the squares underflow) PyTorch's gradient is 0, not NaN (its second derivative NaN)
case("atan2_at_the_origin", lambda L, x, y: L.T.atan2(x, y), np.array([0.0, 1e-200, 0.5]), np.array([-0.0, 0.0, 0.3]))
case("hypot", lambda L, x, y: L.T.hypot(x, y), _n(3, 4), _n(3, 4))
case("where", lambda L, x, y, c: L.T.where(c, x * y, y * y), _n(3, 4), _n(3, 4), R.uniform(size=(3, 4)) > 0.5)
case("clamp", lambda L, x: L.T.clamp(x, -0.5, 0.7) * x, _n(3, 4))
case("clamp_min", lambda L, x: L.T.clamp(x, min=-0.3) * x, _n(3, 4))
case("clamp_tensor", lambda L, x, lo, hi: L.T.clamp(x, lo, hi) * x, _n(3, 4), _n(3, 4) - 1.0, _n(4) + 1.0)
case("maximum", lambda L, x, y: L.T.maximum(x, y) * x, _n(3, 4), _n(3, 4))
case("minimum", lambda L, x, y: L.T.minimum(x, y) * y, _n(3, 4), _n(3, 4))
case("max_binary", lambda L, x, y: L.T.max(x, y) ** 2, _n(3, 4), _n(3, 4))
case("lerp", lambda L, x, y, w: L.T.lerp(x, y, w) ** 2, _n(3, 4), _n(3, 4), _unit(3, 4))
case("lerp_scalar", lambda L, x, y: L.T.lerp(x, y, 0.3) ** 2, _n(3, 4), _n(3, 4))
case("logaddexp", lambda L, x, y: L.T.logaddexp(x, y), _n(3, 4), _n(3, 4))
case("fmod", lambda L, x: L.T.fmod(x * 3, 1.3) * x, _n(3, 4))
case("remainder", lambda L, x: L.T.remainder(x * 3, 1.3) * x, _n(3, 4))
# -- reductions
case("sum_dim", lambda L, x: x.sum(1) ** 2, _n(3, 4))
case("mean_keepdim", lambda L, x: x.mean(0, keepdim=True) * x, _n(3, 4))
case("prod_all", lambda L, x: x.prod(), _n(3, 4))
case("prod_dim", lambda L, x: L.T.prod(x, 1), _n(3, 4))
case("var", lambda L, x: x.var(1), _n(3, 4))
case("var_correction0", lambda L, x: L.T.var(x, 0, correction=0), _n(3, 4))
case("std_dim", lambda L, x: x.std(1), _n(3, 4))
case("std_all", lambda L, x: x.std(), _n(3, 4))
case("sqrt_of_full_sum", lambda L, x: L.T.sqrt((x * x).sum()), _n(3, 4))
case("var_mean", lambda L, x: L.T.var_mean(x, 1), _n(3, 4))
case("norm", lambda L, x: x.norm(), _n(3, 4))
case("norm_dim", lambda L, x: L.T.norm(x, dim=1), _n(3, 4))
case("norm_p1", lambda L, x: L.T.norm(x, p=1, dim=1), _n(3, 4))
case("norm_p3", lambda L, x: L.T.norm(x, p=3, dim=0), _n(3, 4))
case("norm_inf", lambda L, x: L.T.norm(x, p=float("inf"), dim=1), _n(3, 4))
case("vector_norm", lambda L, x: L.T.linalg.vector_norm(x, ord=2.5, dim=1), _n(3, 4))
case("logsumexp", lambda L, x: L.T.logsumexp(x, 1), _n(3, 4))
case("amax", lambda L, x: L.T.amax(x, 1) * x.sum(1), _n(3, 4))
case("amin", lambda L, x: L.T.amin(x, 0) ** 2, _n(3, 4))
case("max_dim", lambda L, x: L.T.max(x, 1)[0] ** 2, _n(3, 4))
case("max_all", lambda L, x: L.T.max(x) * x, _n(3, 4))
case("cumsum", lambda L, x: L.T.cumsum(x, 1) ** 2, _n(3, 4))
case("cumprod", lambda L, x: L.T.cumprod(x, 1), _n(3, 4))
case("cumprod_dim0", lambda L, x: L.T.cumprod(x, 0) * x, _n(3, 4))
case("logcumsumexp", lambda L, x: L.T.logcumsumexp(x, 1), _n(3, 4))
case("cummax", lambda L, x: L.T.cummax(x, 1)[0] ** 2, _n(3, 4))
case("var_correction2", lambda L, x: L.T.var(x, 1, correction=2), _n(3, 5))
case("std_mean", lambda L, x: L.T.std_mean(x, 0), _n(3, 4))
case("std_dims_keepdim", lambda L, x: L.T.std(x, (0, 2), keepdim=True) * x, _n(2, 3, 4))
case("nanmean", lambda L, x: L.T.nanmean(x * x, 1) ** 2, _n(3, 4))
case("matrix_norm", lambda L, x: L.T.linalg.matrix_norm(x), _n(2, 3, 4))
case("sort", lambda L, x: L.T.sort(x, 1)[0] ** 2 * x, _n(3, 4))
case("topk", lambda L, x: L.T.topk(x, 2, 1)[0] ** 2, _n(3, 4))
case("kthvalue", lambda L, x: L.T.kthvalue(x, 2, 1)[0] ** 2, _n(3, 4))
case("median", lambda L, x: L.T.median(x, 1)[0] ** 2, _n(3, 5))
case("cummin", lambda L, x: L.T.cummin(x, 0)[0] ** 2, _n(3, 4))
case("diff", lambda L, x: L.T.diff(x, dim=1) ** 2, _n(3, 4))
# -- products
case("matmul", lambda L, a, b: (a @ b) ** 2, _n(3, 4), _n(4, 2))
case("matmul_batched", lambda L, a, b: L.T.matmul(a, b) ** 2, _n(2, 3, 4), _n(4, 2))
case("matmul_matrix_vector", lambda L, a, b: L.T.matmul(a, b) ** 2, _n(3, 4), _n(4))
case("matmul_vector_batched", lambda L, a, b: L.T.matmul(a, b) ** 2, _n(4), _n(2, 4, 3))
case("mm", lambda L, a, b: L.T.mm(a, b) ** 2, _n(3, 4), _n(4, 2))
case("bmm", lambda L, a, b: L.T.bmm(a, b) ** 2, _n(2, 3, 4), _n(2, 4, 2))
case("dot", lambda L, a, b: L.T.dot(a, b) ** 2, _n(4), _n(4))
case("outer", lambda L, a, b: L.T.outer(a, b) ** 2, _n(3), _n(4))
case("linear", lambda L, x, w, b: L.F.linear(x, w, b) ** 2, _n(3, 4), _n(2, 4), _n(2))
case("linear_no_bias_3d", lambda L, x, w: L.F.linear(x, w) ** 2, _n(2, 3, 4), _n(2, 4))
case("bilinear", lambda L, x1, x2, w, b: L.F.bilinear(x1, x2, w, b) ** 2, _n(3, 2), _n(3, 4), _n(5, 2, 4), _n(5))
case("einsum_bmm", lambda L, a, b: L.T.einsum("bij,bjk->bik", a, b) ** 2, _n(2, 3, 4), _n(2, 4, 2))
case("einsum_contract", lambda L, a, b: L.T.einsum("ij,kj->ik", a * a, b), _n(3, 4), _n(2, 4))
case("tensordot", lambda L, a, b: L.T.tensordot(a, b, dims=([1], [0])) ** 2, _n(3, 4), _n(4, 2))
case("cross", lambda L, a, b: L.T.linalg.cross(a, b) ** 2, _n(2, 3), _n(2, 3))
case("trace", lambda L, a: L.T.trace(a * a), _n(3, 3))
case("einsum_ellipsis", lambda L, a, b: L.T.einsum("...ij,...jk->...ik", a, b) ** 2, _n(2, 3, 4), _n(2, 4, 2))
case("linear_1d", lambda L, x, w, b: L.F.linear(x, w, b) ** 2, _n(4), _n(2, 4), _n(2))
case("baddbmm", lambda L, a, b, c: L.T.baddbmm(c, a, b, beta=0.5, alpha=2.0) ** 2, _n(2, 3, 4), _n(2, 4, 2),
     _n(2, 3, 2))
case("cdist", lambda L, a, b: L.T.cdist(a, b), _n(3, 4), _n(2, 4))
# -- shape and indexing
_IDX = np.array([[0, 2, 1, 0], [1, 1, 2, 0], [2, 0, 0, 1]])
case("gather", lambda L, x, i: L.T.gather(x * x, 0, i), _n(3, 4), _IDX)
case("scatter", lambda L, x, s, i: L.T.scatter(x, 0, i, s * s) * x, _n(3, 4), _n(3, 4),
     np.array([[0, 1, 2, 0], [1, 2, 0, 1], [2, 0, 1, 2]]))
case("scatter_add", lambda L, x, s, i: L.T.scatter_add(x * x, 0, i, s * s), _n(3, 4), _n(3, 4), _IDX)
case("index_select", lambda L, x, i: L.T.index_select(x, 1, i) ** 2, _n(3, 4), np.array([3, 0, 3]))
case("index_select_number", lambda L, x, i: L.T.index_select(x, 0, i) ** 3, np.array(0.7), np.array([0]))
case("take_along_dim", lambda L, x, i: L.T.take_along_dim(x, i, 1) ** 2, _n(3, 4), _IDX)
case("masked_fill", lambda L, x, m: (x * x).masked_fill(m, 0.5) * x, _n(3, 4), R.uniform(size=(3, 4)) > 0.5)
case("masked_select", lambda L, x, m: L.T.masked_select(x * x, m), _n(3, 4), R.uniform(size=(3, 4)) > 0.5)
case("index_tensor", lambda L, x, i: x[i] ** 2, _n(3, 4), np.array([2, 0, 2]))
case("slices", lambda L, x: x[:, 1:3] * x[:, :2], _n(3, 4))
case("cat_stack", lambda L, x, y: L.T.cat([x * y, L.T.stack([x, y]).sum(0) ** 2], 1), _n(3, 4), _n(3, 4))
case("permute_reshape", lambda L, x: x.permute(2, 0, 1).reshape(4, -1) ** 2, _n(2, 3, 4))
case("flip_roll", lambda L, x: L.T.roll(L.T.flip(x, [0]), 1, 1) * x, _n(3, 4))
case("tensor_unfold", lambda L, x: x.unfold(1, 3, 1) * x.unfold(1, 3, 1).sum(-1, keepdim=True), _n(2, 5))
case("repeat", lambda L, x: x.repeat(2, 1) ** 2, _n(3, 4))
case("expand", lambda L, x: x.expand(2, 3, 4) ** 2, _n(3, 1))
case("tril_triu", lambda L, x: L.T.tril(x) * L.T.triu(x, 1).sum(), _n(4, 4))
case("diagonal", lambda L, x: L.T.diagonal(x * x, 0, 0, 1), _n(3, 3))
case("split", lambda L, x: [p ** 2 for p in L.T.split(x, [1, 3], 1)], _n(3, 4))
case("pad_constant", lambda L, x: L.F.pad(x, (1, 2), value=0.3) ** 2, _n(2, 3, 4))
case("pad_reflect", lambda L, x: L.F.pad(x, (1, 2), mode="reflect") ** 2, _n(2, 3, 4))
case("pad_replicate", lambda L, x: L.F.pad(x, (1, 2, 1, 0), mode="replicate") ** 2, _n(1, 2, 3, 4))
case("pad_circular", lambda L, x: L.F.pad(x, (1, 2), mode="circular") ** 2, _n(2, 3, 4))
case("pixel_shuffle", lambda L, x: L.F.pixel_shuffle(x, 2) ** 2, _n(1, 4, 2, 3))
case("interpolate_linear", lambda L, x: L.F.interpolate(x, scale_factor=2, mode="linear") ** 2, _n(1, 2, 4))
case("interpolate_bilinear", lambda L, x: L.F.interpolate(x, size=(5, 3), mode="bilinear", align_corners=True) ** 2,
     _n(1, 2, 3, 4))
case("interpolate_nearest", lambda L, x: L.F.interpolate(x, scale_factor=2, mode="nearest") ** 2, _n(1, 2, 3))
case("unfold", lambda L, x: L.F.unfold(x, 2, stride=1) ** 2, _n(1, 2, 3, 4))
case("index_add", lambda L, x, s, i: L.T.index_add(x * x, 1, i, s * s), _n(3, 4), _n(3, 2), np.array([3, 1]))
case("index_copy", lambda L, x, s, i: L.T.index_copy(x * x, 1, i, s * s), _n(3, 4), _n(3, 2), np.array([3, 1]))
case("as_strided_scatter", lambda L, x, s: as_strided_scatter(L.T, x * x, s * s, (2, 3), (1, 4), 1) * x, _n(3, 4),
     _n(2, 3))
case("index_fill", lambda L, x, i: L.T.index_fill(x * x, 1, i, 0.3) * x, _n(3, 4), np.array([0, 2]))
for _reduce in ("sum", "prod", "mean", "amax"):
    case(f"scatter_reduce_{_reduce}", (lambda r: lambda L, x, s, i: L.T.scatter_reduce(
        x * x, 0, i, s * s, r, include_self=r != "mean") * x)(_reduce), _n(3, 4), _n(3, 4), _IDX)
case("setitem", lambda L, x, v: (lambda y: (y.__setitem__((slice(None), 1), v * v), y * x)[1])(x * 1.0),
     _n(3, 4), _n(3))
case("index_put_accumulate", lambda L, x, v, i: L.T.index_put(x * x, (i,), v * v, accumulate=True) * x, _n(3, 4),
     _n(2, 4), np.array([2, 2]))
case("in_place_add_mul_relu", lambda L, x, y: (lambda z: z.add_(x).mul_(y).relu_() * z)(x * 2.0), _n(3, 4), _n(3, 4))
case("in_place_sigmoid", lambda L, x: (lambda z: z.sigmoid_() * x)(x * 1.0), _n(3, 4))
case("fold", lambda L, x: L.F.fold(x, (3, 4), 2) ** 2, _n(1, 8, 6))
# -- losses
_Y = np.array([0, 2, 1, 2])
_PROBS = np.abs(_n(4, 3)) / 3
case("mse", lambda L, x, y: L.F.mse_loss(x * x, y), _n(3, 4), _n(3, 4))
case("mse_none", lambda L, x, y: L.F.mse_loss(x, y, reduction="none") * x, _n(3, 4), _n(3, 4))
case("l1", lambda L, x, y: L.F.l1_loss(x * x, y), _n(3, 4), _n(3, 4))
case("smooth_l1", lambda L, x, y: L.F.smooth_l1_loss(x * x, y, beta=0.5), _n(3, 4), _n(3, 4))
case("smooth_l1_sum", lambda L, x, y: L.F.smooth_l1_loss(x, y, reduction="sum", beta=1.5), _n(3, 4), _n(3, 4))
case("huber", lambda L, x, y: L.F.huber_loss(x * x, y, delta=0.7), _n(3, 4), _n(3, 4))
case("cross_entropy", lambda L, x, y: L.F.cross_entropy(x, y), _n(4, 3), _Y)
case("cross_entropy_smoothing", lambda L, x, y: L.F.cross_entropy(x * x, y, label_smoothing=0.2), _n(4, 3), _Y)
case("cross_entropy_weight", lambda L, x, y, w: L.F.cross_entropy(x, y, weight=w), _n(4, 3), _Y, _pos(3), diff=[0])
case("cross_entropy_weight_smoothing", lambda L, x, y, w: L.F.cross_entropy(x, y, weight=w, label_smoothing=0.1),
     _n(4, 3), _Y, _pos(3), diff=[0])
case("cross_entropy_ignore", lambda L, x, y: L.F.cross_entropy(x, y, ignore_index=2), _n(4, 3), _Y)
case("cross_entropy_ignore_weight_none",
     lambda L, x, y, w: L.F.cross_entropy(x, y, weight=w, ignore_index=1, reduction="none") * x[:, 0],
     _n(4, 3), _Y, _pos(3), diff=[0])
case("cross_entropy_probabilities", lambda L, x, p: L.F.cross_entropy(x, p), _n(4, 3), _PROBS)
case("cross_entropy_probabilities_of_input", lambda L, x, p: L.F.cross_entropy(x, p * p), _n(4, 3), _PROBS)
case("cross_entropy_probabilities_weight_smoothing",
     lambda L, x, p, w: L.F.cross_entropy(x, p, weight=w, label_smoothing=0.3), _n(4, 3), _PROBS, _pos(3),
     diff=[0, 1])
case("cross_entropy_nd", lambda L, x, y: L.F.cross_entropy(x, y), _n(2, 3, 4), np.array([[0, 2, 1, 1], [2, 2, 0, 1]]))
case("cross_entropy_sum", lambda L, x, y: L.F.cross_entropy(x, y, reduction="sum"), _n(4, 3), _Y)
_Y2D = np.array([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])
case("cross_entropy_2d_weight_smoothing", lambda L, x, y, w: L.F.cross_entropy(x, y, weight=w, label_smoothing=0.2),
     _n(2, 3, 2, 2), _Y2D, _pos(3), diff=[0])
case("cross_entropy_probabilities_none", lambda L, x, p: L.F.cross_entropy(x, p, reduction="none") * x[:, 0],
     _n(4, 3), _PROBS)
case("cross_entropy_ignore_weight_smoothing_sum",
     lambda L, x, y, w: L.F.cross_entropy(x, y, weight=w, ignore_index=0, label_smoothing=0.3, reduction="sum"),
     _n(4, 3), _Y, _pos(3), diff=[0])
case("cross_entropy_unbatched", lambda L, x, y: L.F.cross_entropy(x * x, y), _n(3), np.array(1))
case("nll_2d", lambda L, x, y: L.F.nll_loss(x * x, y), _n(2, 3, 2, 2), _Y2D)
case("nll_of_log_softmax", lambda L, x, y: L.F.nll_loss(L.F.log_softmax(x, 1), y), _n(4, 3), _Y)
case("nll_weight_ignore", lambda L, x, y, w: L.F.nll_loss(x * x, y, weight=w, ignore_index=0), _n(4, 3), _Y,
     _pos(3), diff=[0])
case("bce", lambda L, p, y: L.F.binary_cross_entropy(p, y), _unit(3, 4), _unit(3, 4))
case("bce_weight_sum", lambda L, p, y, w: L.F.binary_cross_entropy(p, y, weight=w, reduction="sum"),
     _unit(3, 4), _unit(3, 4), _pos(4), diff=[0, 1])
case("bce_with_logits", lambda L, x, y: L.F.binary_cross_entropy_with_logits(x, y), _n(3, 4), _unit(3, 4))
case("bce_with_logits_pos_weight",
     lambda L, x, y, pw, w: L.F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
     _n(3, 4), _unit(3, 4), _pos(4), _pos(3, 1), diff=[0, 1])
case("kl_div", lambda L, x, y: L.F.kl_div(x, y, reduction="batchmean"), _n(3, 4), _unit(3, 4))
case("smooth_l1_beta0", lambda L, x, y: L.F.smooth_l1_loss(x * x, y, beta=0.0), _n(3, 4), _n(3, 4))
case("cosine_embedding_none", lambda L, a, b, y: L.F.cosine_embedding_loss(a, b, y, reduction="none") * a[:, 0],
     _n(4, 3), _n(4, 3), np.array([1, -1, 1, -1]))
case("kl_div_none", lambda L, x, y: L.F.kl_div(x, y, reduction="none") * x, _n(3, 4), _unit(3, 4))
case("kl_div_log_target", lambda L, x, y: L.F.kl_div(x, y, reduction="sum", log_target=True), _n(3, 4), _n(3, 4))
case("poisson_nll", lambda L, x, y: L.F.poisson_nll_loss(x, y), _n(3, 4), _pos(3, 4))
case("poisson_nll_eps_sum", lambda L, x, y: L.F.poisson_nll_loss(x, y, log_input=False, eps=0.1, reduction="sum"),
     _pos(3, 4), _pos(3, 4))
case("bce_with_logits_none_pos_weight",
     lambda L, x, y, pw: L.F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=pw) * x,
     _n(3, 4), _unit(3, 4), _pos(4), diff=[0, 1])
case("poisson_nll_full", lambda L, x, y: L.F.poisson_nll_loss(x, y, log_input=False, full=True),
     _pos(3, 4), _pos(3, 4, lo=1.5, hi=4))
case("gaussian_nll", lambda L, x, y, v: L.F.gaussian_nll_loss(x, y, v), _n(3, 4), _n(3, 4), _pos(3, 4))
case("gaussian_nll_full", lambda L, x, y, v: L.F.gaussian_nll_loss(x, y, v, full=True, reduction="sum"),
     _n(3, 4), _n(3, 4), _pos(3, 1))
case("cosine_embedding", lambda L, a, b, y: L.F.cosine_embedding_loss(a, b, y, margin=-0.5), _n(4, 3), _n(4, 3),
     np.array([1, -1, 1, -1]))
case("margin_ranking", lambda L, a, b, y: L.F.margin_ranking_loss(a * a, b, y, margin=0.1), _n(5), _n(5),
     np.array([1.0, -1, 1, -1, 1]), diff=[0, 1])
# at the margin exactly (-y (a - b) + margin == 0) PyTorch's clamp_min passes the gradient
case("margin_ranking_at_the_margin",
     lambda L, a, b, y: L.F.margin_ranking_loss(a, b, y, margin=0.5, reduction="none") * a,
     np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.5, 1.5, 0.0, 1.0]), np.array([1.0, 1.0, 1.0, -1.0]), diff=[0, 1])
case("hinge_embedding", lambda L, x, y: L.F.hinge_embedding_loss(x * x, y, margin=1.5), _n(3, 4),
     np.sign(_n(3, 4)), diff=[0])
case("soft_margin", lambda L, x, y: L.F.soft_margin_loss(x * x, y), _n(3, 4), np.sign(_n(3, 4)), diff=[0])
case("multilabel_soft_margin", lambda L, x, y, w: L.F.multilabel_soft_margin_loss(x, y, weight=w), _n(3, 4),
     (_n(3, 4) > 0).astype(float), _pos(4), diff=[0])
case("multi_margin", lambda L, x, y: L.F.multi_margin_loss(x * x, y, margin=2.0), _n(4, 3), _Y)
case("multi_margin_p2_weight", lambda L, x, y, w: L.F.multi_margin_loss(x, y, p=2, margin=1.5, weight=w),
     _n(4, 3), _Y, _pos(3), diff=[0])
case("multilabel_margin", lambda L, x, y: L.F.multilabel_margin_loss(x * x, y), _n(2, 4),
     np.array([[3, 0, -1, 1], [1, 2, 3, -1]]))
case("triplet_margin", lambda L, a, p, q: L.F.triplet_margin_loss(a, p, q, margin=3.0), _n(4, 3), _n(4, 3), _n(4, 3))
case("triplet_margin_p_swap", lambda L, a, p, q: L.F.triplet_margin_loss(a, p, q, margin=3.0, p=1.5, swap=True),
     _n(4, 3), _n(4, 3), _n(4, 3))
case("cosine_similarity", lambda L, a, b: L.F.cosine_similarity(a, b, dim=1), _n(4, 3), _n(4, 3))
case("cosine_similarity_numbers", lambda L, a, b: L.F.cosine_similarity(a, b, dim=0) * a * b, np.array(0.7),
     np.array(-0.3))
case("pairwise_distance", lambda L, a, b: L.F.pairwise_distance(a, b, p=3.0), _n(4, 3), _n(4, 3))
# -- convolutions
case("conv1d", lambda L, x, w, b: L.F.conv1d(x, w, b, stride=2, padding=1, dilation=2) ** 2,
     _n(2, 2, 7), _n(4, 2, 3), _n(4))
case("conv1d_groups_same", lambda L, x, w: L.F.conv1d(x, w, groups=2, padding="same") ** 2, _n(1, 4, 5), _n(4, 2, 3))
case("conv2d", lambda L, x, w, b: L.F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2)) ** 2,
     _n(2, 2, 5, 6), _n(3, 2, 3, 2), _n(3))
case("conv2d_groups", lambda L, x, w, b: L.F.conv2d(x, w, b, groups=2) ** 2, _n(1, 4, 4, 4), _n(4, 2, 2, 2), _n(4))
case("conv3d", lambda L, x, w, b: L.F.conv3d(x, w, b, stride=2, padding=1) ** 2,
     _n(1, 2, 4, 4, 3), _n(2, 2, 2, 3, 2), _n(2))
case("conv3d_groups_dilation", lambda L, x, w: L.F.conv3d(x, w, groups=2, dilation=(1, 2, 1)) ** 2,
     _n(1, 2, 3, 5, 3), _n(2, 1, 2, 2, 2))
case("conv_transpose1d", lambda L, x, w, b: L.F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1,
                                                                  dilation=2) ** 2, _n(2, 2, 4), _n(2, 3, 3), _n(3))
case("conv_transpose1d_groups", lambda L, x, w: L.F.conv_transpose1d(x, w, groups=2, stride=2) ** 2,
     _n(1, 4, 3), _n(4, 1, 2))
case("conv_transpose2d", lambda L, x, w, b: L.F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(0, 1),
                                                                  output_padding=(1, 0)) ** 2,
     _n(1, 2, 3, 3), _n(2, 3, 2, 3), _n(3))
case("conv_transpose3d_groups_dilation", lambda L, x, w, b: L.F.conv_transpose3d(
    x, w, b, groups=2, dilation=(1, 2, 1), stride=(1, 1, 2)) ** 2, _n(1, 4, 2, 2, 2), _n(4, 1, 2, 2, 2), _n(2))
case("conv_transpose2d_groups_dilation", lambda L, x, w, b: L.F.conv_transpose2d(x, w, b, groups=2, dilation=2) ** 2,
     _n(1, 4, 3, 2), _n(4, 1, 2, 2), _n(2))
case("conv1d_unbatched", lambda L, x, w: L.F.conv1d(x, w) ** 2, _n(2, 5), _n(3, 2, 2))
case("conv_transpose3d", lambda L, x, w, b: L.F.conv_transpose3d(x, w, b, stride=2, padding=(1, 0, 0)) ** 2,
     _n(1, 2, 2, 3, 2), _n(2, 2, 2, 2, 2), _n(2))
case("Conv1d_circular", lambda L, m, x: m(x) ** 2, _n(1, 2, 5),
     module=lambda nn: nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular"))
case("Conv2d_replicate", lambda L, m, x: m(x) ** 2, _n(1, 2, 4, 4),
     module=lambda nn: nn.Conv2d(2, 2, 3, padding=2, padding_mode="replicate", stride=2))
case("Conv2d_reflect", lambda L, m, x: m(x) ** 2, _n(1, 2, 4, 4),
     module=lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"))
# -- pooling
case("avg_pool1d", lambda L, x: L.F.avg_pool1d(x * x, 3, 2, 1), _n(2, 2, 7))
case("avg_pool2d_ceil_exclude_pad",
     lambda L, x: L.F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False) ** 2, _n(1, 2, 6, 5))
case("avg_pool2d_divisor", lambda L, x: L.F.avg_pool2d(x, 2, divisor_override=3) ** 2, _n(1, 2, 4, 4))
case("avg_pool3d", lambda L, x: L.F.avg_pool3d(x, 2, 1) ** 2, _n(1, 2, 3, 3, 3))
case("max_pool1d", lambda L, x: L.F.max_pool1d(x, 3, 2, 1) ** 2, _n(2, 2, 7))
case("max_pool2d_ceil", lambda L, x: L.F.max_pool2d(x, 2, 2, ceil_mode=True) ** 2, _n(1, 2, 5, 5))
case("max_pool2d_dilation", lambda L, x: L.F.max_pool2d(x, 2, 1, padding=1, dilation=2) ** 2, _n(1, 2, 5, 5))
case("max_pool2d_indices", lambda L, x: L.F.max_pool2d(x, 2, return_indices=True)[0] ** 2, _n(1, 2, 4, 4))
case("max_pool3d", lambda L, x: L.F.max_pool3d(x, 2) ** 2, _n(1, 2, 4, 4, 2))
case("lp_pool1d", lambda L, x: L.F.lp_pool1d(x, 2.0, 3, 2), _pos(1, 2, 7))
case("lp_pool2d", lambda L, x: L.F.lp_pool2d(x, 3.0, 2), _pos(1, 2, 4, 4))
case("lp_pool2d_ceil", lambda L, x: L.F.lp_pool2d(x, 2.0, (2, 3), stride=(1, 2), ceil_mode=True),
     _pos(1, 2, 4, 5))
case("max_pool3d_padding_dilation", lambda L, x: L.F.max_pool3d(x, 2, 1, 1, dilation=2) ** 2, _n(1, 1, 3, 4, 3))
case("adaptive_avg_pool1d", lambda L, x: L.F.adaptive_avg_pool1d(x, 3) ** 2, _n(1, 2, 7))
case("adaptive_avg_pool2d", lambda L, x: L.F.adaptive_avg_pool2d(x, (2, 3)) ** 2, _n(1, 2, 5, 7))
case("adaptive_avg_pool3d", lambda L, x: L.F.adaptive_avg_pool3d(x, 2) ** 2, _n(1, 2, 3, 3, 3))
case("adaptive_max_pool1d", lambda L, x: L.F.adaptive_max_pool1d(x, 3) ** 2, _n(1, 2, 7))
case("adaptive_max_pool3d", lambda L, x: L.F.adaptive_max_pool3d(x, 2) ** 2, _n(1, 2, 3, 4, 3))
case("lp_pool3d", lambda L, x: L.F.lp_pool3d(x, 2.0, 2), _pos(1, 2, 2, 4, 2))
case("max_unpool2d", lambda L, x: (lambda o: L.F.max_unpool2d(o[0] * o[0], o[1], 2))(
    L.F.max_pool2d(x, 2, return_indices=True)), _n(1, 2, 4, 4))
case("adaptive_max_pool2d", lambda L, x: L.F.adaptive_max_pool2d(x, (2, 3)) ** 2, _n(1, 2, 5, 7))
case("fractional_max_pool2d", lambda L, x, u: L.F.fractional_max_pool2d(x, 2, (3, 4), _random_samples=u) ** 2,
     _n(1, 2, 5, 6), _unit(1, 2, 2), diff=[0])
case("fractional_max_pool3d", lambda L, x, u: L.F.fractional_max_pool3d(x, (2, 1, 2), 2, _random_samples=u) ** 2,
     _n(1, 2, 4, 3, 5), _unit(1, 2, 3), diff=[0])
# -- normalisation
case("batch_norm_training", lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, training=True) ** 2,
     _n(4, 3), _n(3), _n(3))
case("batch_norm_training_running_stats",
     lambda L, x, w, b, rm, rv: L.F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2) ** 2,
     _n(4, 3, 2), _n(3), _n(3), _n(3), _pos(3), diff=[0, 1, 2])
case("batch_norm_eval", lambda L, x, w, b, rm, rv: L.F.batch_norm(x, rm, rv, w, b, training=False) ** 2,
     _n(4, 3), _n(3), _n(3), _n(3), _pos(3), diff=[0, 1, 2])
case("layer_norm", lambda L, x, w, b: L.F.layer_norm(x, (4,), w, b) ** 2, _n(3, 4), _n(4), _n(4))
case("layer_norm_2d_no_affine", lambda L, x: L.F.layer_norm(x, (3, 4)) * x, _n(2, 3, 4))
case("group_norm", lambda L, x, w, b: L.F.group_norm(x, 2, w, b) ** 2, _n(2, 4, 3), _n(4), _n(4))
case("instance_norm", lambda L, x, w, b: L.F.instance_norm(x, weight=w, bias=b) ** 2, _n(2, 3, 4), _n(3), _n(3))
case("instance_norm_running_stats_eval", lambda L, x, rm, rv, w: L.F.instance_norm(
    x, rm, rv, w, use_input_stats=False) ** 2, _n(2, 3, 4), _n(3), _pos(3), _n(3), diff=[0, 3])
case("rms_norm", lambda L, x, w: L.F.rms_norm(x, (4,), w) ** 2, _n(3, 4), _n(4))
case("local_response_norm", lambda L, x: L.F.local_response_norm(x, 3), _n(1, 4, 3))
case("BatchNorm2d_training", lambda L, m, x: m(x) ** 2, _n(3, 2, 2, 2), module=lambda nn: nn.BatchNorm2d(2))
case("BatchNorm1d_eval", lambda L, m, x: m(x) ** 2, _n(3, 2), module=lambda nn: nn.BatchNorm1d(2), train=False)
case("InstanceNorm1d_affine", lambda L, m, x: m(x) ** 2, _n(2, 3, 4),
     module=lambda nn: nn.InstanceNorm1d(3, affine=True))
case("GroupNorm", lambda L, m, x: m(x) ** 2, _n(2, 4, 3), module=lambda nn: nn.GroupNorm(2, 4))
case("InstanceNorm2d_running_stats", lambda L, m, x: m(x) ** 2, _n(2, 3, 3, 2),
     module=lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True))
case("InstanceNorm2d_eval", lambda L, m, x: m(x) ** 2, _n(2, 3, 3, 2),
     module=lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), train=False)
case("BatchNorm3d", lambda L, m, x: m(x) ** 2, _n(2, 2, 2, 2, 2), module=lambda nn: nn.BatchNorm3d(2))
case("RMSNorm", lambda L, m, x: m(x) ** 2, _n(2, 3, 4), module=lambda nn: nn.RMSNorm(4, eps=1e-3))
case("LayerNorm", lambda L, m, x: m(x) ** 2, _n(2, 3, 4), module=lambda nn: nn.LayerNorm(4))
# -- embedding, dropout
case("embedding", lambda L, w, i: L.F.embedding(i, w * w), _n(5, 3), np.array([[0, 4, 4], [2, 1, 0]]))
case("embedding_padding_idx", lambda L, w, i: L.F.embedding(i, w, padding_idx=1) ** 2, _n(5, 3),
     np.array([[0, 1, 4], [1, 2, 0]]))
case("embedding_bag_mean", lambda L, w, i, o: L.F.embedding_bag(i, w, o, mode="mean") ** 2, _n(5, 3),
     np.array([0, 4, 4, 2, 1]), np.array([0, 2]))
case("embedding_scale_grad_by_freq", lambda L, w, i: L.F.embedding(i, w, scale_grad_by_freq=True) ** 2, _n(5, 3),
     np.array([[0, 4, 4], [2, 1, 0]]))
case("embedding_scale_grad_by_freq_padding_linear",
     lambda L, w, a, i: L.F.linear(L.F.embedding(i, w * w, padding_idx=4, scale_grad_by_freq=True), a),
     _n(5, 3), _n(2, 3), np.array([[0, 4, 4], [2, 0, 0]]))
case("embedding_bag_per_sample_weights",
     lambda L, w, i, o, s: L.F.embedding_bag(i, w, o, mode="sum", per_sample_weights=s) ** 2, _n(5, 3),
     np.array([0, 4, 4, 2, 1]), np.array([0, 2]), _n(5))
case("Embedding", lambda L, m, i: m(i) ** 2, np.array([0, 3, 3]), module=lambda nn: nn.Embedding(4, 2))
case("dropout_p0", lambda L, x: L.F.dropout(x * x, 0.0, training=True) * x, _n(3, 4))
case("dropout_eval", lambda L, x: L.F.dropout(x * x, 0.5, training=False) * x, _n(3, 4))
case("dropout_fixed_mask", _dropout("dropout"), _n(3, 4))
case("dropout2d_fixed_mask", _dropout("dropout2d"), _n(2, 4, 2, 2))
# -- attention
case("sdpa", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v), _n(2, 3, 4), _n(2, 5, 4), _n(2, 5, 2))
case("sdpa_causal_scale", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7),
     _n(1, 2, 3, 4), _n(1, 2, 3, 4), _n(1, 2, 3, 4))
case("sdpa_float_mask", lambda L, q, k, v, m: L.F.scaled_dot_product_attention(q, k, v, attn_mask=m),
     _n(2, 3, 4), _n(2, 5, 4), _n(2, 5, 2), _n(3, 5))
case("sdpa_bool_mask", lambda L, q, k, v, m: L.F.scaled_dot_product_attention(q, k, v, attn_mask=m),
     _n(2, 3, 4), _n(2, 5, 4), _n(2, 5, 2), np.array([[1, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 0, 1, 0, 0]], dtype=bool))
case("MultiheadAttention", lambda L, m, q, k, v: m(q, k, v), _n(2, 3, 4), _n(2, 5, 4), _n(2, 5, 4),
     module=lambda nn: nn.MultiheadAttention(4, 2, batch_first=True))
case("MultiheadAttention_kdim_no_bias", lambda L, m, q, k: m(q, k, k, need_weights=False)[0], _n(3, 2, 4),
     _n(5, 2, 3), module=lambda nn: nn.MultiheadAttention(4, 2, kdim=3, vdim=3, bias=False))
case("MultiheadAttention_causal_mask",
     lambda L, m, q: m(q, q, q, attn_mask=L.t(np.triu(np.ones((3, 3), dtype=bool), 1)), average_attn_weights=False),
     _n(2, 3, 4), module=lambda nn: nn.MultiheadAttention(4, 2, batch_first=True))
case("sdpa_grouped_query", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
     _n(1, 4, 3, 2), _n(1, 2, 3, 2), _n(1, 2, 3, 2))
case("MultiheadAttention_key_padding_mask",
     lambda L, m, q: m(q, q, q, key_padding_mask=L.t(np.array([[False, False, True], [False, True, True]]))),
     _n(2, 3, 4), module=lambda nn: nn.MultiheadAttention(4, 2, batch_first=True))
case("MultiheadAttention_bias_kv_zero_attn", lambda L, m, q: m(q, q, q)[0], _n(3, 2, 4),
     module=lambda nn: nn.MultiheadAttention(4, 1, add_bias_kv=True, add_zero_attn=True))
case("TransformerDecoderLayer", lambda L, m, x, memory: m(x, memory), _n(2, 3, 4), _n(2, 2, 4),
     module=lambda nn: nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, batch_first=True))
case("TransformerEncoderLayer", lambda L, m, x: m(x), _n(2, 3, 4),
     module=lambda nn: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True))
# -- recurrent
case("RNN_tanh", lambda L, m, x, h: m(x, h), _n(3, 2, 3), _n(1, 2, 4), module=lambda nn: nn.RNN(3, 4))
case("RNN_relu_two_layers", lambda L, m, x: m(x), _n(2, 3, 3),
     module=lambda nn: nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True))
case("LSTM", lambda L, m, x, h, c: m(x, (h, c)), _n(3, 2, 3), _n(1, 2, 4), _n(1, 2, 4),
     module=lambda nn: nn.LSTM(3, 4))
case("LSTM_bidirectional_proj", lambda L, m, x: m(x), _n(2, 3, 3),
     module=lambda nn: nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2, batch_first=True))
case("GRU", lambda L, m, x, h: m(x, h), _n(3, 2, 3), _n(1, 2, 4), module=lambda nn: nn.GRU(3, 4))
case("GRU_bidirectional", lambda L, m, x: m(x), _n(3, 2, 3), module=lambda nn: nn.GRU(3, 4, bidirectional=True))
case("LSTM_proj_initial_state", lambda L, m, x, h, c: m(x, (h, c)), _n(3, 2, 3), _n(1, 2, 2), _n(1, 2, 4),
     module=lambda nn: nn.LSTM(3, 4, proj_size=2))
case("LSTMCell", lambda L, m, x, h, c: m(x, (h, c)), _n(2, 3), _n(2, 4), _n(2, 4), module=lambda nn: nn.LSTMCell(3, 4))
case("GRUCell", lambda L, m, x, h: m(x, h), _n(2, 3), _n(2, 4), module=lambda nn: nn.GRUCell(3, 4))
case("LSTM_unbatched", lambda L, m, x: m(x), _n(3, 3), module=lambda nn: nn.LSTM(3, 2))
case("RNNCell", lambda L, m, x: m(x), _n(2, 3), module=lambda nn: nn.RNNCell(3, 4))
# -- other layers
case("Linear", lambda L, m, x: m(x) ** 2, _n(3, 4), module=lambda nn: nn.Linear(4, 2))
case("Bilinear", lambda L, m, x, y: m(x, y) ** 2, _n(3, 2), _n(3, 4), module=lambda nn: nn.Bilinear(2, 4, 3))
case("PReLU", lambda L, m, x: m(x) ** 2, _n(2, 3, 2), module=lambda nn: nn.PReLU(3))
case("Sequential_mlp", lambda L, m, x: m(x), _n(4, 3), module=lambda nn: nn.Sequential(
    nn.Linear(3, 5), nn.GELU(), nn.Linear(5, 4), nn.SiLU(), nn.Linear(4, 2), nn.LeakyReLU(0.1), nn.Linear(2, 2)))
case("Sequential_cnn", lambda L, m, x: m(x), _n(2, 1, 6, 6), module=lambda nn: nn.Sequential(
    nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 2, 2), nn.Tanh(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3)))
# -- spatial transformer (their own draws: rows added here leave the inputs of the rows above as they were)
_GRID = np.random.default_rng(14)
case("grid_sample_bilinear", lambda L, x, g: L.F.grid_sample(x, g, align_corners=False) ** 2,
     _GRID.standard_normal((1, 2, 3, 4)), _GRID.uniform(-1.2, 1.2, (1, 2, 3, 2)))
case("grid_sample_bicubic_border", lambda L, x, g: L.F.grid_sample(x, g, "bicubic", "border", True) ** 2,
     _GRID.standard_normal((1, 2, 3, 3)), _GRID.uniform(-1.2, 1.2, (1, 2, 2, 2)))
case("grid_sample_trilinear_reflection", lambda L, x, g: L.F.grid_sample(x, g, "bilinear", "reflection", False) ** 2,
     _GRID.standard_normal((1, 2, 2, 3, 2)), _GRID.uniform(-1.2, 1.2, (1, 1, 2, 2, 3)))
case("affine_grid_sample", lambda L, x, t: L.F.grid_sample(x, L.F.affine_grid(t, (1, 2, 3, 4), False),
                                                           align_corners=False) ** 2,
     _GRID.standard_normal((1, 2, 3, 4)), np.eye(2, 3)[None] + 0.2 * _GRID.standard_normal((1, 2, 3)))
# -- special functions (drawn last, so the rows above keep their draws)
for _name, _draw in {"erfinv": lambda *s: _pos(*s, lo=-0.9, hi=0.9), "lgamma": lambda *s: _pos(*s, lo=0.2, hi=6.0),
                     "digamma": lambda *s: _pos(*s, lo=0.2, hi=6.0), "sinc": _n}.items():
    case(f"T.{_name}", _method(_name), _draw(3, 4))
case("lgamma_negative", lambda L, x: L.T.lgamma(x), -_pos(3, 4, lo=0.1, hi=0.9) - 1.0)
case("xlogy", lambda L, x, y: L.T.xlogy(x, y), _n(3, 4), _pos(4))
case("einsum_diagonal", lambda L, a, b: L.T.einsum("iij,ij->j", a * a, b), _n(3, 3, 2), _n(3, 2))
case("interpolate_bicubic", lambda L, x: L.F.interpolate(x * x, size=(5, 3), mode="bicubic") ** 2, _n(1, 2, 3, 4))
case("interpolate_bicubic_corners", lambda L, x: L.F.interpolate(x, scale_factor=1.5, mode="bicubic",
                                                                  align_corners=True) * x.sum(), _n(1, 1, 3, 3))
case("interpolate_area", lambda L, x: L.F.interpolate(x * x, size=(2, 3), mode="area") ** 2, _n(1, 2, 5, 4))
case("linalg_inv", lambda L, a: L.T.linalg.inv(a), _n(2, 3, 3) + 3 * np.eye(3))
case("linalg_det", lambda L, a: L.T.linalg.det(a) ** 2, _n(3, 3) + 2 * np.eye(3))
case("linalg_slogdet", lambda L, a: L.T.linalg.slogdet(a).logabsdet, _n(2, 3, 3) + 3 * np.eye(3))
case("linalg_solve", lambda L, a, b: L.T.linalg.solve(a, b), _n(2, 3, 3) + 3 * np.eye(3), _n(3, 2))
case("linalg_solve_triangular", lambda L, a, b: L.T.linalg.solve_triangular(a, b, upper=True, left=False),
     _n(2, 3, 3) + 3 * np.eye(3), _n(2, 3))
case("linalg_cholesky", lambda L, a: L.T.linalg.cholesky(a @ a.mT + L.T.ones_like(a).tril().triu()), _n(2, 3, 3))
case("linalg_eigh", lambda L, a: L.T.linalg.eigh(a + a.mT).eigenvectors ** 2
     * L.T.linalg.eigvalsh(a + a.mT).unsqueeze(-2), _n(2, 3, 3))
case("linalg_svd", lambda L, a: L.T.linalg.svd(a, full_matrices=False).U ** 2 * L.T.linalg.svdvals(a), _n(4, 3))
case("linalg_qr", lambda L, a: L.T.linalg.qr(a).Q * L.T.linalg.qr(a).R.sum(-1), _n(3, 5))
# -- found by second-order fuzzing (their own draws): every target ignored (PyTorch's NaN mean, zero gradients
# of every order); variances under ``eps`` (the clamp changes the value, not the path: second order too)
_FUZZ = np.random.default_rng(16)
case("cross_entropy_all_ignored", lambda L, x, y: L.F.cross_entropy(x, y, ignore_index=1),
     _FUZZ.standard_normal((2, 3)), np.array([1, 1]))
case("cross_entropy_all_ignored_weight_smoothing",
     lambda L, x, y, w: L.F.cross_entropy(x, y, weight=w, ignore_index=0, label_smoothing=0.3),
     _FUZZ.standard_normal((2, 3, 2)), np.array([[0, 0], [0, 0]]), _FUZZ.uniform(0.5, 2.0, 3), diff=[0])
case("gaussian_nll_clamped", lambda L, x, y, v: L.F.gaussian_nll_loss(x, y, v, eps=0.5),
     _FUZZ.standard_normal((3, 4)), _FUZZ.standard_normal((3, 4)), _FUZZ.uniform(0.1, 1.0, (3, 4)))
case("gaussian_nll_clamped_homoscedastic", lambda L, x, y, v: L.F.gaussian_nll_loss(x, y, v, eps=0.4, reduction="sum"),
     _FUZZ.standard_normal((3, 4)), _FUZZ.standard_normal((3, 4)), _FUZZ.uniform(0.1, 0.8, (3, 1)))
# -- weight-normalised layers (session 18's fuzzing): the legacy hook and the parametrization, dims 0, 1 and None
_FUZZ18 = np.random.default_rng(18)
case("weight_norm_Linear", lambda L, m, x: m(x), _FUZZ18.standard_normal((3, 4)),
     module=lambda nn: nn.utils.weight_norm(nn.Linear(4, 2)))
case("weight_norm_Conv1d_dim1", lambda L, m, x: m(x), _FUZZ18.standard_normal((2, 2, 4)),
     module=lambda nn: nn.utils.weight_norm(nn.Conv1d(2, 3, 2), dim=1))
case("weight_norm_Conv1d_last_dim", lambda L, m, x: m(x), _FUZZ18.standard_normal((2, 2, 4)),
     module=lambda nn: nn.utils.weight_norm(nn.Conv1d(2, 3, 2), dim=2))
case("weight_norm_parametrized_ConvTranspose1d", lambda L, m, x: m(x), _FUZZ18.standard_normal((1, 2, 3)),
     module=lambda nn: nn.utils.parametrizations.weight_norm(nn.ConvTranspose1d(2, 3, 2, stride=2)))
case("weight_norm_dim_None", lambda L, m, x: m(x), _FUZZ18.standard_normal((3, 4)),
     module=lambda nn: nn.utils.parametrizations.weight_norm(nn.Linear(4, 2), dim=None))
case("multilabel_soft_margin_weight_requires_grad", lambda L, x, y, w: L.F.multilabel_soft_margin_loss(x, y, weight=w),
     _FUZZ18.standard_normal((3, 4)), _FUZZ18.uniform(0.0, 1.0, (3, 4)), _FUZZ18.uniform(0.5, 2.0, (1, 4)))
case("cross_entropy_probabilities_weight_requires_grad",
     lambda L, x, p, w: L.F.cross_entropy(x, p, weight=w, label_smoothing=0.2), _FUZZ18.standard_normal((2, 3, 2)),
     _FUZZ18.uniform(0.1, 0.5, (2, 3, 2)), _FUZZ18.uniform(0.5, 2.0, 3))

# -- found by session 20's random sweep (their own draws): median over all elements shares its gradient among the
# elements equal to it (PyTorch's evenly_distribute_backward), not only the one the sort picked
_FUZZ20 = np.random.default_rng(20)
_TIED = np.array([[0.5, -1.0, 0.5], [2.0, 0.5, 1.5], [-0.5, 0.5, 1.0]])
case("median_all_ties", lambda L, x: L.T.median(x) * x, _TIED)
case("nanmedian_all_ties", lambda L, x: L.T.nanmedian(x * x) * x, _TIED)
# an axis whose size a scale factor leaves unchanged (3 * 1.3 -> 3) is copied, as PyTorch's linear kernels copy it
case("interpolate_bilinear_scale_keeps_size", lambda L, x: L.F.interpolate(x * x, scale_factor=(1.3, 1.5),
                                                                         mode="bilinear") ** 2,
     _FUZZ20.standard_normal((1, 2, 3, 4)))
case("linalg_multi_dot", lambda L, a, b, c: L.T.linalg.multi_dot([a, b * b, c]), _FUZZ20.standard_normal(3),
     _FUZZ20.standard_normal((3, 2)), _FUZZ20.standard_normal((2, 4)))
# an empty selection's recorded gradient is a function of the incoming gradient, as PyTorch's (it was a constant:
# differentiating it raised 'does not require grad' where PyTorch gives zeros)
case("masked_select_nothing", lambda L, x, m: L.T.masked_select(x, m) ** 3, _FUZZ20.standard_normal((2, 3)),
     np.zeros(3, dtype=bool))
case("slice_nothing", lambda L, x: x[:, 3:] ** 3, _FUZZ20.standard_normal((2, 3)))
# pinv's recorded gradient differentiates P as pinv (PyTorch's closed form), not the eigh or svd behind it: eigh's
# reads A's lower triangle only (hermitian=True: wrong along a direction that is not symmetric), svd's breaks down
# where singular values repeat (atol)
_SYMMETRIC = _FUZZ20.standard_normal((3, 3))
_REPEATED = np.linalg.qr(_FUZZ20.standard_normal((4, 3)))[0] @ np.diag([2.0, 2.0, 0.5]) @ np.linalg.qr(
    _FUZZ20.standard_normal((3, 3)))[0]
case("linalg_pinv_hermitian", lambda L, a: L.T.linalg.pinv(a, hermitian=True) ** 3, _SYMMETRIC + _SYMMETRIC.T)
case("linalg_pinv_atol_repeated_singular_values", lambda L, a: L.T.linalg.pinv(a, atol=1e-3) ** 3, _REPEATED)
# det of a singular matrix (rank n - 1, n - 2, and one of a batch): the cofactor matrix from an SVD, as PyTorch's
# recorded gradient (NumPy's and PyTorch's inv refuse the matrix: LinAlgError before)
case("linalg_det_singular", lambda L, a: L.T.linalg.det(a) * a, np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0],
                                                                         [0.5, -1.0, 2.0]]))
case("linalg_det_rank_two_short", lambda L, a: L.T.linalg.det(a * a) ** 2, np.diag([1.5, 0.0, 0.0, -2.0]))
case("linalg_det_singular_in_batch", lambda L, a: L.T.linalg.det(a) ** 3, np.array([[[1.0, 2.0], [2.0, 4.0]],
                                                                                 [[1.0, 3.0], [0.5, 4.0]]]))
# the LU factors of a wide and a tall matrix (their gradient was not implemented)
case("linalg_lu_wide", lambda L, a: [t ** 2 for t in L.T.linalg.lu(a)[1:]], _FUZZ20.standard_normal((2, 3, 4)))
case("linalg_lu_tall", lambda L, a: [t ** 2 for t in L.T.linalg.lu(a)[1:]], _FUZZ20.standard_normal((4, 2)))
case("linalg_eig", lambda L, a: (lambda w, v: [L.T.view_as_real(w) ** 2, v.abs() ** 3])(*L.T.linalg.eig(a)),
     _FUZZ20.standard_normal((2, 3, 3)))
# probabilities within ~1e-4 of 1 (one rounds to 1 - 5e-12): PyTorch's double backward of binary_cross_entropy adds
# 1e-12 to p and 1 - p where its gradient clamps p (1 - p) at 1e-12, so it is not its own gradient's derivative there
case("bce_saturated", lambda L, x, t, w: L.F.binary_cross_entropy(L.T.sigmoid(x * x), t, weight=w, reduction="none"),
     np.array([[0.3, -5.11, 1.2], [3.0, -2.8, 0.7]]), np.array([[0.2, 0.9, 0.5], [0.4, 0.7, 0.1]]),
     np.array([0.5, 1.5, 2.0]), diff=[0])
# an all-NaN lane: nanmean's 0 / 0, whose gradient 1 / 0 PyTorch's nansum backward multiplies by the mask (NaN at the
# NaNs of x, where anynn selected 0); the product x * y puts a NaN gradient into y there too
case("nanmean_all_nan_lane", lambda L, x, y: L.T.nanmean(x * y, 0) * y.sum(0),
     np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, -1.0]]), np.array([[0.5, 2.0, 1.5], [-1.0, 3.0, 0.7]]))
# x = 0 exactly (and -0.0): PyTorch's double backward of prelu takes the positive side there (its first order the
# negative one), so the second derivatives in x and the weight are 0 and the one in g is 1 (the rerun gave w's)
case("prelu_at_zero", lambda L, x, y, w: L.F.prelu(x * y, w) * y, np.array([[[0.0, 0.0, 1.5], [-0.0, -2.0, 0.0]]]),
     np.array([[[0.5, -1.2, 0.8], [1.1, 0.3, -0.7]]]), np.array([0.2, -0.3]))

# PyTorch has no double backward for these (its message names the missing derivative): the reference is its
# first-order gradient differenced along the direction, so anynn's working second derivative is still checked
TORCH_REFUSES = {"hardsigmoid": "hardsigmoid_backward", "cdist": "_cdist_backward",
                 "multi_margin": "multi_margin_loss_backward", "multi_margin_p2_weight": "multi_margin_loss_backward",
                 "multilabel_margin": "multilabel_margin_loss_backward",
                 "embedding_bag_mean": "_embedding_bag_backward",
                 "embedding_bag_per_sample_weights": "_embedding_bag(_per_sample_weights)?_backward"}
# PyTorch's double backward is wrong for these (2.13: torch.autograd.gradgradcheck of torch._weight_norm(v, g, dim)
# fails where dim is the first or the last axis, its fused kernel's second derivative in v; other dims go through
# its composite and agree): the same differenced reference
# a bias's gradient (a sum of g) is tied to the bias too, so a penalty on it gives the bias zeros where PyTorch's
# (convolution and normalisation double backward read input and weight only) leaves it None
UNUSED_DIFFER = {"TransformerDecoderLayer", "TransformerEncoderLayer", "weight_norm_Conv1d_dim1"}
TORCH_WRONG = {"weight_norm_Linear", "weight_norm_Conv1d_last_dim", "weight_norm_parametrized_ConvTranspose1d",
               # 2.13's second derivative of det at a rank n - 1 matrix (its SVD branch) is off the polynomial's
               "linalg_det_singular", "bce_saturated"}


def _state(name: str) -> dict[str, torch.Tensor] | None:
    """The layer's random state (PyTorch's layer, float64), loaded into both twins."""
    build = CASES[name]["module"]
    if build is None:
        return None
    draw = np.random.default_rng(7)
    layer = build(torch.nn).double()
    state = {}
    for key, value in layer.state_dict().items():
        if value.is_floating_point():
            values = draw.standard_normal(tuple(value.shape))
            value = torch.tensor(np.abs(values) + 0.5 if key.endswith("running_var") else 0.5 * values)
        state[key] = value
    return state


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _derivatives(L: Lib, name: str, arrays: list[np.ndarray], state: Any, second: bool = True,
                 first_only: bool = False) -> dict[str, Any]:
    """Outputs, ``g`` (of the first input only where ``first_only``), and (``second``) the HVP and the penalty's
    gradient of every input and parameter, as host arrays; ``shapes`` of those and, for a layer, its parameter
    ``names``."""
    row = CASES[name]
    tensors = [L.t(a, requires_grad=i in row["diff"]) for i, a in enumerate(arrays)]
    wrt, names = [tensors[i] for i in row["diff"]], []
    if row["module"] is not None:
        layer = row["module"](L.nn)
        if L.ours:
            layer.to(L.backend, dtype="float64")
            layer.load_state_dict({k: v.numpy() for k, v in state.items()})
        else:
            layer.double().load_state_dict(state)
        layer.train(row["train"])
        params = dict(layer.named_parameters())
        names = sorted(params)
        wrt += [params[n] for n in names]
        outs = _flat(row["fn"](L, layer, *tensors))
    else:
        outs = _flat(row["fn"](L, *tensors))
    outs = [o for o in outs if o.is_floating_point()]
    draw = np.random.default_rng(1)
    weights = [draw.standard_normal(tuple(o.shape)) for o in outs]
    directions = [draw.standard_normal(tuple(w.shape)) for w in wrt]
    shapes = [tuple(w.shape) for w in wrt]
    k = 1 if first_only else len(wrt)
    g = L.grad(sum((o * L.t(r)).sum() for o, r in zip(outs, weights)), wrt[:k], create_graph=True,
               allow_unused=True)
    found = {"out": [L.host(o, ()) for o in outs], "g": [L.host(a, s) for a, s in zip(g, shapes)],
             "shapes": shapes, "names": names, "directions": directions,
             "connected": [a is not None and a.requires_grad for a in g]}
    if not second:
        return found
    live = [(a, v) for a, v in zip(g, directions[:k]) if a is not None and a.requires_grad]
    found["hvp"] = found["penalty"] = [np.zeros(s) for s in shapes]
    found["unused"] = []
    if live:
        hvp = L.grad(sum((a * L.t(v)).sum() for a, v in live), wrt, retain_graph=True, allow_unused=True)
        penalty = L.grad(sum((a ** 2).sum() for a, _ in live), wrt, allow_unused=True)
        found["unused"] = [a is None for a in hvp + penalty]
        found["hvp"] = [L.host(a, s) for a, s in zip(hvp, shapes)]
        found["penalty"] = [L.host(a, s) for a, s in zip(penalty, shapes)]
    return found


def _differenced(backend: Any, name: str, arrays: list[np.ndarray], state: Any, first_only: bool = False,
                 eps: float = 1e-5) -> dict[str, Any]:
    """PyTorch's first-order gradient, and the second-order results by central differences of it along the HVP
    direction and along ``g`` (the penalty's gradient is ``2 H g``; ``first_only``: both directions zero but on
    the first input)."""
    L, diff = Lib(False, backend), CASES[name]["diff"]
    base = _derivatives(L, name, arrays, state, second=False)
    k = 1 if first_only else len(base["g"])

    def g_at(direction: list[np.ndarray], step: float) -> list[np.ndarray]:
        moved = [np.array(a, copy=True) for a in arrays]
        moved_state = None if state is None else dict(state)
        for j, d in enumerate(direction):
            if j < len(diff):
                moved[diff[j]] = moved[diff[j]] + step * d
            else:
                key = base["names"][j - len(diff)]
                moved_state[key] = moved_state[key] + torch.tensor(step * d)
        return _derivatives(L, name, moved, moved_state, second=False)["g"]

    def along(direction: list[np.ndarray]) -> list[np.ndarray]:
        return [(p - m) / (2 * eps) for p, m in zip(g_at(direction, eps), g_at(direction, -eps))]

    def first(values: list[np.ndarray]) -> list[np.ndarray]:
        return [v if j < k else np.zeros_like(v) for j, v in enumerate(values)]

    base["hvp"] = along(first(base["directions"]))
    base["penalty"] = [2 * h for h in along(first(base["g"]))]
    base["g"] = base["g"][:k]
    return base


def _compare(backend: Any, name: str, first_only: bool) -> None:
    arrays, state = list(CASES[name]["arrays"]), _state(name)
    tol = dict(rtol=RTOL, atol=ATOL)
    if name in TORCH_REFUSES:
        with pytest.raises((RuntimeError, NotImplementedError), match=TORCH_REFUSES[name]):
            _derivatives(Lib(False, backend), name, arrays, state, first_only=first_only)
        theirs, tol = _differenced(backend, name, arrays, state, first_only), dict(rtol=1e-6, atol=1e-8)
    elif name in TORCH_WRONG:
        theirs, tol = _differenced(backend, name, arrays, state, first_only), dict(rtol=1e-6, atol=1e-8)
    else:
        with sdpa_kernel(SDPBackend.MATH):  # the flash kernel PyTorch picks on CPU has no double backward
            theirs = _derivatives(Lib(False, backend), name, arrays, state, first_only=first_only)
    ours = _derivatives(Lib(True, backend), name, arrays, state, first_only=first_only)
    # a gradient PyTorch records (requires_grad, even with a zero derivative) is differentiable here too, and one
    # it leaves constant (a product by a constant, maximum's mask) is a constant here too
    if name not in TORCH_REFUSES and name not in TORCH_WRONG:
        assert ours["connected"] == theirs["connected"], (
            f"{name}: gradients that require grad here {ours['connected']}, in PyTorch {theirs['connected']}")
        # and a second derivative PyTorch leaves None (unused) is None here, one it gives as zeros is zeros
        if name not in UNUSED_DIFFER:
            assert ours["unused"] == theirs["unused"], (
                f"{name}: second derivatives that are None (HVP, then penalty) here {ours['unused']}, in PyTorch "
                f"{theirs['unused']}")
    for key in ("out", "g", "hvp", "penalty"):
        assert len(ours[key]) == len(theirs[key]), key
        for i, (a, b) in enumerate(zip(ours[key], theirs[key])):
            np.testing.assert_allclose(a, b, err_msg=f"{name}: {key} {i}", **(tol if key != "out" else dict(
                rtol=RTOL, atol=ATOL)))


# JAX's inv gives inf and NaN for a singular matrix where NumPy's and PyTorch's raise, so det's gradient there is
# NaN (telling would read values back: differences page)
NOT_ON_JAX = {"linalg_det_singular", "linalg_det_rank_two_short", "linalg_det_singular_in_batch"}


@pytest.mark.parametrize("name", list(CASES))
def test_second_derivatives_match_torch(backend, name):
    if backend.name == "jax" and name in NOT_ON_JAX:
        pytest.skip("JAX's inv of a singular matrix is inf/NaN, not an error")
    _compare(backend, name, first_only=False)


@pytest.mark.parametrize("name", list(CASES))
def test_input_gradient_penalty_matches_torch(name):
    """The first-input-only pass, on NumPy (the full pass runs on every backend)."""
    _compare(get_backend("numpy"), name, first_only=True)
