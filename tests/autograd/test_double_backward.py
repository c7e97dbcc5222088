"""Second derivatives of every Function that supports them: `anynn.testing.gradgrad_check` on every backend.

One table: a name, the function of the inputs, and the inputs (float64 arrays require grad; integer arrays are
labels/indices). Inputs are tiny: each element costs two first-order passes.
"""

from __future__ import annotations

import numpy as np
import pytest

import anynn
import anynn.functional as F
from anynn.autograd.double_backward import TiedGradient
from anynn.testing import grad_check, gradgrad_check

R = np.random.default_rng(7)


def _a(*shape, low=None):
    x = R.standard_normal(shape)
    return np.abs(x) + low if low is not None else x


CASES = {
    "add": (lambda a, b: a + b, _a(2, 3), _a(3)),
    "mul": (lambda a, b: a * b * a, _a(2, 3), _a(3)),
    "div": (lambda a, b: a / b, _a(2, 2), _a(2, 2, low=0.5)),
    "pow": (lambda a: a ** 3, _a(4)),
    "pow_tensor": (lambda a, b: a ** b, _a(3, low=0.5), _a(3)),
    "exp_log_sqrt": (lambda a: F.log(a) * F.sqrt(a) + F.exp(a), _a(4, low=0.3)),
    "sin_cos_abs": (lambda a: F.sin(a) * F.cos(a) * F.abs(a), _a(4)),
    "clip_maximum": (lambda a, b: F.clip(a, -0.5, 0.5) * a + F.maximum(a, b) ** 2, _a(5), _a(5)),
    "where": (lambda a, b: F.where(a > 0, a * a, b * a), _a(4), _a(4)),
    "unary": (lambda a: anynn.rsqrt(a) + anynn.log1p(a) + anynn.erf(a) * a
              + anynn.atan(a) * a, _a(4, low=0.2)),
    "tanh_sigmoid": (lambda a: F.tanh(a) * F.sigmoid(a), _a(4)),
    "relu_leaky_elu": (lambda a: (F.relu(a) + F.leaky_relu(a, 0.1) + F.elu(a)) * a, _a(5)),
    "gelu": (lambda a: F.gelu(a) + F.gelu(a, approximate="tanh"), _a(4)),
    "silu_softplus_mish": (lambda a: F.silu(a) + F.softplus(a) + F.mish(a), _a(4)),
    "softmax": (lambda a: F.softmax(a, -1) * a + F.log_softmax(a, 0), _a(2, 3)),
    "matmul": (lambda a, b: (a @ b) * (a @ b), _a(2, 3), _a(3, 2)),
    "linear": (lambda x, w, b: F.linear(x, w, b) ** 2, _a(2, 3), _a(2, 3), _a(2)),
    "reductions": (lambda a: a.sum(0).sum() * a.mean(1) + a.amax(1) * a.logsumexp(1) + a.var(1) * a.amin(1), _a(2, 3)),
    "shape_ops": (lambda a, b: anynn.concat([a.reshape(6), b], 0)[1:7] * anynn.stack([a[0], a[1][::-1]]).T
                  .reshape(-1)[None, :][0] * a.permute(1, 0).reshape(-1), _a(2, 3), _a(2)),
    "take": (lambda a, i: F.embedding(i, a) ** 2, _a(4, 2), np.array([0, 2, 2, 3])),
    "mse_l1_huber": (lambda a, b: F.mse_loss(a * a, b) + F.l1_loss(a * b, b) + F.huber_loss(a * a, b, delta=0.5)
                     + F.smooth_l1_loss(a * a, b, beta=0.7), _a(5), _a(5)),
    "cross_entropy": (lambda a, y: F.cross_entropy(a * a, y) + F.nll_loss(F.log_softmax(a, 1) * a, y), _a(3, 4),
                      np.array([0, 3, 1])),
    "cross_entropy_smoothing": (lambda a, y: F.cross_entropy(a * a, y, label_smoothing=0.1), _a(2, 3),
                                np.array([2, 1])),
    "bce": (lambda a, y: F.binary_cross_entropy(F.sigmoid(a), y), _a(4), R.uniform(size=4)),
    "bce_with_logits": (lambda a, y: F.binary_cross_entropy_with_logits(a * a, y), _a(4), R.uniform(size=4)),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1, stride=2) ** 2, _a(1, 2, 4, 4), _a(2, 2, 3, 3), _a(2)),
    "conv1d": (lambda x, w: F.conv1d(x, w, dilation=2) ** 2, _a(1, 2, 6), _a(1, 2, 2)),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2) ** 2, _a(1, 2, 2, 2), _a(2, 1, 2, 2)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x * x, 2), _a(1, 1, 4, 4)),
    "max_pool2d": (lambda x: F.max_pool2d(x * x, 2), _a(1, 1, 4, 4)),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True) ** 2, _a(3, 2), _a(2), _a(2)),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, 3, w, b) ** 2, _a(2, 3), _a(3), _a(3)),
    "group_norm": (lambda x: F.group_norm(x, 2) ** 2, _a(2, 4, 2)),
    "dropout": (lambda a: F.dropout(a * a, 0.5, generator=3) * a, _a(6)),
    "attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v) ** 2, _a(1, 2, 2), _a(1, 3, 2),
                  _a(1, 3, 2)),
    "rnn_cell": (lambda x, h, wi, wh: F.rnn_cell(x, h, wi, wh) ** 2, _a(1, 2), _a(1, 2), _a(2, 2), _a(2, 2)),
    "gru_cell": (lambda x, h, wi, wh: F.gru_cell(x, h, wi, wh) ** 2, _a(1, 2), _a(1, 2), _a(6, 2), _a(6, 2)),
    "lstm_cell": (lambda x, h, c, wi, wh: F.lstm_cell(x, h, c, wi, wh)[0] ** 2 + F.lstm_cell(x, h, c, wi, wh)[1],
                  _a(1, 2), _a(1, 2), _a(1, 2), _a(8, 2), _a(8, 2)),
    # backward through xp.cumulative_prod(include_initial=True) (the products' exclusive running product)
    "prod_cumprod": (lambda a: anynn.prod(a, 0) * a.prod() + anynn.cumprod(a, 0) * a, _a(2, 3)),
    # a full reduction is 0-d: NumPy's sqrt of it is an np.float64 scalar, still a function of the input
    "std_all_sqrt_of_sum": (lambda a: a.std() * a + anynn.sqrt((a * a).sum()), _a(2, 3)),
    # a gradient tied to the inputs its node saved: identity in g, zero derivative in the sources
    "tied_gradient": (lambda g, s, t: TiedGradient.apply(g * s, s, t) ** 2 * t, _a(3), _a(3), _a(2, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradgrad(backend, name):
    fn, *arrays = CASES[name]
    tensors = [anynn.tensor(a, backend=backend, dtype="float64" if a.dtype.kind == "f" else "int64",
                            requires_grad=a.dtype.kind == "f" and not (name in ("bce", "bce_with_logits") and i == 1))
               for i, a in enumerate(arrays)]
    if name == "tied_gradient":
        assert grad_check(fn, *tensors, atol=1e-6, rtol=1e-5)
    assert gradgrad_check(fn, *tensors, atol=1e-5, rtol=1e-4)
