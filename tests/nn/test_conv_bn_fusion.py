"""nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval and their weight functions against torch.nn.utils.fusion: the
fused layer's weights and outputs, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.nn import utils
from tests.helpers import copy_torch_weights, make

FUSIONS = [  # (name, layer maker(nn), batch norm maker(nn), input shape, transpose)
    ("conv2d", lambda nn: nn.Conv2d(3, 4, 3, padding=1), lambda nn: nn.BatchNorm2d(4), (2, 3, 5, 5), False),
    ("conv1d-no-bias-groups", lambda nn: nn.Conv1d(4, 6, 3, groups=2, bias=False), lambda nn: nn.BatchNorm1d(6),
     (2, 4, 7), False),
    ("conv3d-bn-no-affine", lambda nn: nn.Conv3d(2, 3, 2), lambda nn: nn.BatchNorm3d(3, affine=False),
     (1, 2, 4, 4, 4), False),
    ("conv-transpose2d", lambda nn: nn.ConvTranspose2d(3, 5, 3, stride=2), lambda nn: nn.BatchNorm2d(5),
     (2, 3, 4, 4), True),
    ("linear", lambda nn: nn.Linear(5, 4), lambda nn: nn.BatchNorm1d(4), (3, 5), None),
    ("linear-one-feature-bn", lambda nn: nn.Linear(5, 4, bias=False), lambda nn: nn.BatchNorm1d(1), (3, 5), None),
]


def _statistics(bn: torch.nn.Module, seed: int) -> None:
    """Running statistics (and affine parameters) that are not the identity's."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(rng.standard_normal(bn.num_features)))
        bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, bn.num_features)))
        if bn.affine:
            bn.weight.copy_(torch.tensor(rng.standard_normal(bn.num_features)))
            bn.bias.copy_(torch.tensor(rng.standard_normal(bn.num_features)))


@pytest.mark.parametrize("case", FUSIONS, ids=[c[0] for c in FUSIONS])
def test_fused_layer_matches_torch(backend, case):
    name, layer, norm, shape, transpose = case
    torch.manual_seed(0)
    t_layer, t_bn = layer(torch.nn).double().eval(), norm(torch.nn).double().eval()
    _statistics(t_bn, 1)
    o_layer, o_bn = layer(anynn.nn), norm(anynn.nn)
    for ours, theirs in ((o_layer, t_layer), (o_bn, t_bn)):
        ours.to(backend, dtype="float64")
        copy_torch_weights(ours, theirs)
        ours.eval()
    if transpose is None:
        fused, expected = utils.fuse_linear_bn_eval(o_layer, o_bn), torch.nn.utils.fuse_linear_bn_eval(t_layer, t_bn)
    else:
        fused = utils.fuse_conv_bn_eval(o_layer, o_bn, transpose=transpose)
        expected = torch.nn.utils.fuse_conv_bn_eval(t_layer, t_bn, transpose=transpose)
    assert fused is not o_layer and type(fused) is type(o_layer)
    for key, value in expected.state_dict().items():
        np.testing.assert_allclose(fused.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=key)
    assert fused.weight.requires_grad and isinstance(fused.bias, anynn.nn.Parameter)
    assert fused.bias.requires_grad == expected.bias.requires_grad
    x = np.random.default_rng(2).standard_normal(shape)
    np.testing.assert_allclose(fused(make(backend, x)).numpy(), expected(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    if o_bn.num_features == fused.weight.shape[1 if transpose else 0]:  # the pair runs: fused = the pair
        np.testing.assert_allclose(fused(make(backend, x)).numpy(), o_bn(o_layer(make(backend, x))).numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_weight_functions_and_refusals_as_torch():
    rng = np.random.default_rng(3)
    w, mean, var = rng.standard_normal((4, 2, 3)), rng.standard_normal(4), rng.uniform(0.5, 2.0, 4)
    ours = utils.fuse_conv_bn_weights(anynn.tensor(w, requires_grad=True), None, anynn.tensor(mean),
                                      anynn.tensor(var), 1e-3, None, None)
    theirs = torch.nn.utils.fuse_conv_bn_weights(torch.tensor(w, requires_grad=True), None, torch.tensor(mean),
                                                 torch.tensor(var), 1e-3, None, None)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
        assert a.requires_grad == b.requires_grad
    for lib in (torch, anynn):
        conv, bn = lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3)
        with pytest.raises(AssertionError, match="Fusion only for eval"):
            lib.nn.utils.fuse_conv_bn_eval(conv, bn)
        linear, other = lib.nn.Linear(2, 3).eval(), lib.nn.BatchNorm1d(2).eval()
        with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
            lib.nn.utils.fuse_linear_bn_eval(linear, other)
