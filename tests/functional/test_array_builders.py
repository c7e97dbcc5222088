"""PyTorch's NumPy-style builders and numerics (anynn/functional/array_builders.py, array_statistics.py): atleast_*d,
h/v/d/column/row_stack, kron, block_diag, cartesian_prod, combinations, trapezoid, cov, corrcoef, vander (a float64
gradient check on every backend; values, shapes, dtypes and gradients against PyTorch in float32 and float64) and
histc and histogram (counts, edges, weights and densities against PyTorch)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch

import anynn

from tests.functional.samples import DTYPES
from tests.helpers import case_table_tests, make

RNG = np.random.default_rng(11)
S0, V3, V4 = RNG.standard_normal(()), RNG.standard_normal(3), RNG.standard_normal(4)
M23, M22, M34 = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2)), RNG.standard_normal((3, 4))
T234 = RNG.standard_normal((2, 3, 4))
OBS = RNG.standard_normal((3, 6))
FW, AW = RNG.integers(1, 4, 6), RNG.uniform(0.5, 2.0, 6)
X_POINTS = np.sort(RNG.standard_normal(4))


def _sum_parts(m, parts):
    """One tensor from a tuple of differently shaped outputs (each weighted so every element counts)."""
    return m.cat([p.reshape(-1) * (k + 1) for k, p in enumerate(parts)])


def _vander(m, x, N=None, increasing=False):  # noqa: N803
    """torch.vander has no gradient (its cumprod works in place): the torch side is its power form."""
    if m is anynn:
        return anynn.vander(x, N=N, increasing=increasing)
    powers = torch.arange(x.shape[0] if N is None else N)
    forward = torch.vander(x.detach(), N=N, increasing=increasing)
    result = x.unsqueeze(1) ** (powers if increasing else powers.flip(0))
    torch.testing.assert_close(result.detach(), forward)
    return result


# (name, function on (module, *tensors), inputs); module is anynn or torch, so one lambda serves both libraries
CASES = [
    ("atleast_1d", lambda m, a, b: _sum_parts(m, m.atleast_1d(a, b)), [S0, M23]),
    ("atleast_2d", lambda m, a, b, c: _sum_parts(m, m.atleast_2d([a, b, c])), [S0, V3, M23]),
    ("atleast_3d", lambda m, a, b, c, d: _sum_parts(m, m.atleast_3d(a, b, c, d)), [S0, V3, M23, T234]),
    ("atleast_3d_single", lambda m, a: m.atleast_3d(a) * 2, [M23]),
    ("hstack_1d", lambda m, a, b, c: m.hstack([a, b, c]), [V3, S0, V4]),
    ("hstack_2d", lambda m, a, b: m.hstack((a, b)), [M23, M22]),
    ("vstack", lambda m, a, b: m.vstack([a, b]), [V3, M23]),
    ("row_stack", lambda m, a, b: m.row_stack([a, b]), [M23, V3]),
    ("dstack", lambda m, a, b: m.dstack([a, b]), [M23, M23]),
    ("dstack_1d", lambda m, a, b: m.dstack([a, b]), [V3, V3]),
    ("column_stack", lambda m, a, b, c: m.column_stack([a, b, c]), [V3, M34[:, :2], V3]),
    ("kron_2d", lambda m, a, b: m.kron(a, b), [M23, M22]),
    ("kron_mixed_rank", lambda m, a, b: m.kron(a, b), [V3, T234]),
    ("method_kron", lambda m, a, b: a.kron(b), [M22, V3]),
    ("block_diag", lambda m, a, b, c, d: m.block_diag(a, b, c, d), [M23, S0, V4, M22]),
    ("cartesian_prod", lambda m, a, b, c: m.cartesian_prod(a, b, c), [V3, V4, V3[:2]]),
    ("cartesian_prod_single", lambda m, a: m.cartesian_prod(a) * 1, [V4]),
    ("combinations", lambda m, a: m.combinations(a), [V4]),
    ("combinations_3_replacement", lambda m, a: m.combinations(a, 3, with_replacement=True), [V3]),
    ("trapezoid", lambda m, y: m.trapezoid(y), [T234]),
    ("trapezoid_dx_dim", lambda m, y: m.trapezoid(y, dx=0.5, dim=1), [T234]),
    ("trapezoid_x", lambda m, y, x: m.trapezoid(y, x), [T234, X_POINTS]),
    ("trapezoid_x_dim0", lambda m, y, x: m.trapezoid(y, x, dim=0), [M34, X_POINTS[:3]]),
    ("cov", lambda m, x: m.cov(x), [OBS]),
    ("cov_1d_correction0", lambda m, x: m.cov(x, correction=0), [OBS[0]]),
    ("cov_weights", lambda m, x, f, a: m.cov(x, correction=2, fweights=f, aweights=a), [OBS, FW, AW]),
    ("cov_fweights", lambda m, x, f: m.cov(x, fweights=f), [OBS, FW]),
    ("corrcoef", lambda m, x: m.corrcoef(x), [OBS]),
    ("method_cov_corrcoef", lambda m, x, a: m.cat([x.cov(aweights=a).reshape(-1), x.corrcoef().reshape(-1)]),
     [OBS, AW]),
    ("vander", lambda m, x: _vander(m, x), [V4]),
    ("vander_increasing_N", lambda m, x: _vander(m, x, N=5, increasing=True), [V3]),
]
test_gradients, test_matches_torch = case_table_tests(CASES, DTYPES)


def test_single_and_several_tensors_come_back_as_torch_returns_them(backend):
    a, b = make(backend, V3), make(backend, M23)
    assert isinstance(anynn.atleast_2d(a), anynn.Tensor) and anynn.atleast_2d(a).shape == (1, 3)
    assert isinstance(anynn.atleast_1d(a, b), tuple) and isinstance(anynn.atleast_1d([a]), tuple)
    assert tuple(anynn.combinations(a, 0).shape) == tuple(torch.combinations(torch.tensor(V3), 0).shape) == (0,)
    assert tuple(anynn.combinations(a, 4).shape) == tuple(torch.combinations(torch.tensor(V3), 4).shape) == (0, 4)
    # r=0 and an empty trapezoid are new tensors off the graph, as PyTorch's (they required grad)
    w, tw = make(backend, V3, requires_grad=True), torch.tensor(V3, requires_grad=True)
    for f in (lambda m, x: m.combinations(x, 0), lambda m, x: m.trapezoid(x[:0]),
              lambda m, x: m.trapezoid(x[:0], x[:0])):
        assert f(anynn, w).requires_grad is f(torch, tw).requires_grad is False
    assert anynn.cartesian_prod(a) is a
    ints = make(backend, np.array([2, 0, 3], dtype=np.int32))
    np.testing.assert_array_equal(anynn.vander(ints).numpy(), torch.vander(torch.tensor([2, 0, 3])).numpy())
    assert anynn.vander(ints).numpy().dtype == np.int64
    assert tuple(anynn.vander(a, N=0).shape) == (3, 0)


COMPLEX_OBS = OBS[:2] + 1j * RNG.standard_normal((2, 6))


@pytest.mark.parametrize("call", [lambda m, x, a: m.cov(x, correction=0, aweights=a), lambda m, x, a: m.cov(x[0]),
                                  lambda m, x, a: x.corrcoef()], ids=["cov_aweights", "cov_1d", "corrcoef"])
def test_cov_and_corrcoef_of_complex_rows_as_torch(backend, call):
    """The conjugate transpose (a plain transpose gave a complex variance) and corrcoef's parts clipped apart (its
    clamp refused complex): values and gradients against PyTorch."""
    ours, theirs = make(backend, COMPLEX_OBS, requires_grad=True), torch.tensor(COMPLEX_OBS, requires_grad=True)
    out, ref = call(anynn, ours, make(backend, AW)), call(torch, theirs, torch.tensor(AW))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out.real.sum() + (out.imag * 2).sum()).backward()
    (ref.real.sum() + (ref.imag * 2).sum()).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bins, low, high", [(7, 0, 0), (10, -1.0, 0.5), (1, 0, 0), (5, -0.25, 2.0)])
def test_histc_counts_match_torch(backend, bins, low, high):
    values = np.concatenate([RNG.standard_normal(40), [0.5, -1.0, 2.0]]).astype(np.float32)
    ours = make(backend, values).histc(bins=bins, min=low, max=high)
    theirs = torch.histc(torch.tensor(values), bins=bins, min=low, max=high)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.numpy().dtype == np.float32 and not ours.requires_grad
    same = make(backend, np.full(4, 3.0))  # one value: the range widens by 1 each side
    np.testing.assert_array_equal(anynn.histc(same, bins=4).numpy(), torch.histc(torch.full((4,), 3.0), 4).numpy())


@pytest.mark.parametrize("values", [[1.0, float("nan"), 3.0], [1.0, float("inf")], [float("-inf"), 0.0]], ids=str)
def test_histc_of_nan_or_inf_refuses_an_automatic_range_as_torch(backend, values):
    """The data's own range must be finite (PyTorch: "range of [1, inf] is not finite"); a given range skips them."""
    with pytest.raises(RuntimeError, match="not finite"):
        torch.histc(torch.tensor(values), bins=4)
    with pytest.raises(RuntimeError, match=r"histc: range of \[.*\] is not finite"):
        anynn.histc(make(backend, np.array(values, dtype=np.float32)), bins=4)
    ours = anynn.histc(make(backend, np.array(values, dtype=np.float32)), bins=4, min=0, max=4)
    np.testing.assert_array_equal(ours.numpy(), torch.histc(torch.tensor(values), bins=4, min=0, max=4).numpy())


HISTOGRAMS = [  # (bins as an int or edges, keywords), each run on float32 and float64 data
    (7, {}), (4, dict(range=(-1.0, 0.5))), (1, {}), (3, dict(range=(2.0, 2.0))),
    ([-2.0, -0.5, 0.0, 0.5, 3.0], {}), (5, dict(weight=True)), (5, dict(density=True)),
    ([-1.0, 0.0, 2.0], dict(weight=True, density=True)),
]


@pytest.mark.parametrize("bins, options", HISTOGRAMS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_matches_torch(backend, bins, options, dtype):
    rng = np.random.default_rng(5)  # its own draws: the same data whichever tests ran before
    values = np.concatenate([rng.standard_normal(40), [0.5, -1.0, 2.0, -0.5]]).astype(dtype).reshape(4, 11)
    weights = rng.uniform(0.5, 2.0, values.shape).astype(dtype)
    ours_bins = make(backend, np.asarray(bins, dtype=dtype)) if isinstance(bins, list) else bins
    theirs_bins = torch.tensor(np.asarray(bins, dtype=dtype)) if isinstance(bins, list) else bins
    ours_options, theirs_options = dict(options), dict(options)
    if options.get("weight"):
        ours_options["weight"], theirs_options["weight"] = make(backend, weights), torch.tensor(weights)
    hist, edges = make(backend, values).histogram(ours_bins, **ours_options)
    expected = torch.histogram(torch.tensor(values), theirs_bins, **theirs_options)
    assert type(anynn.histogram(make(backend, values), ours_bins, **ours_options)).__name__ == "HistogramResult"
    np.testing.assert_allclose(hist.numpy(), expected.hist.numpy(), rtol=1e-6)
    np.testing.assert_allclose(edges.numpy(), expected.bin_edges.numpy(), rtol=1e-6, atol=1e-7)
    assert hist.numpy().dtype == edges.numpy().dtype == np.dtype(dtype) and not hist.requires_grad


def test_histogram_of_constant_and_empty_data_and_refusals_as_torch(backend):
    for values in (np.full(3, 2.0, np.float32), np.zeros(0, np.float32)):
        hist, edges = anynn.histogram(make(backend, values), bins=2)
        expected = torch.histogram(torch.tensor(values), bins=2)
        np.testing.assert_array_equal(hist.numpy(), expected.hist.numpy())
        np.testing.assert_array_equal(edges.numpy(), expected.bin_edges.numpy())
    with pytest.raises(NotImplementedError):
        torch.histogram(torch.tensor([1, 2]), bins=2)
    with pytest.raises(NotImplementedError, match="histogram: expected a floating-point input, got int64"):
        anynn.histogram(make(backend, np.array([1, 2])), bins=2)
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        anynn.histogram(make(backend, np.ones(2, np.float32)), bins=2, range=(3.0, 1.0))
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        anynn.histogram(make(backend, np.ones(2, np.float32)), bins=0)


HISTOGRAMDD = {  # bins as one int, one per dimension, edge tensors; range; weights; density; a batch of points
    "int": dict(bins=3), "per_dim": dict(bins=[2, 4, 3]),
    "range_density": dict(bins=2, range=[-1.0, 1.0, 0.0, 2.0, -2.0, 0.5], density=True),
    "edges_weight": dict(bins=[[-3.0, 0.0, 0.5, 3.0], [-1.0, 1.0], [-2.0, -0.5, 0.0, 0.5, 2.0]], weight=True),
}


@pytest.mark.parametrize("name", sorted(HISTOGRAMDD))
def test_histogramdd_matches_torch(backend, name):
    rng = np.random.default_rng(6)
    points = rng.standard_normal((2, 20, 3))
    points[0, :3] = points[0, 3]  # repeated points
    ours_options, theirs_options = dict(HISTOGRAMDD[name]), dict(HISTOGRAMDD[name])
    if isinstance(ours_options["bins"], list) and isinstance(ours_options["bins"][0], list):
        ours_options["bins"] = [make(backend, np.array(e)) for e in ours_options["bins"]]
        theirs_options["bins"] = [torch.tensor(e, dtype=torch.float64) for e in theirs_options["bins"]]
    if ours_options.pop("weight", None):
        weights = rng.uniform(0.5, 2.0, points.shape[:-1])
        ours_options["weight"], theirs_options["weight"] = make(backend, weights), torch.tensor(weights)
    result = anynn.histogramdd(make(backend, points), **ours_options)
    expected = torch.histogramdd(torch.tensor(points), **theirs_options)
    np.testing.assert_allclose(result.hist.numpy(), expected.hist.numpy(), rtol=1e-12)
    assert len(result.bin_edges) == len(expected.bin_edges) == 3 and not result.hist.requires_grad
    for ours, theirs in zip(result.bin_edges, expected.bin_edges):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-15)
    with pytest.raises(RuntimeError, match="histogramdd"):
        anynn.histogramdd(make(backend, points), bins=[2, 2])


def test_errors_name_the_function(backend):
    t3 = make(backend, T234)
    with pytest.raises(RuntimeError, match="block_diag"):
        anynn.block_diag(t3)
    with pytest.raises(RuntimeError, match="cartesian_prod"):
        anynn.cartesian_prod(t3)
    with pytest.raises(ValueError, match="cov"):
        anynn.cov(t3)
    with pytest.raises(RuntimeError, match="trapezoid"):
        anynn.trapezoid(t3, make(backend, V3))
    with pytest.raises(RuntimeError, match="histc"):
        anynn.histc(t3, bins=0)
    with pytest.raises(RuntimeError, match="vstack"):
        anynn.vstack([])
    for name in ("cat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack"):  # one tensor for a
        with pytest.raises(TypeError, match=f"{name}.*tuple of Tensors, not Tensor"):  # sequence: its rows were joined
            getattr(anynn, name)(t3)
    # meshgrid refuses as PyTorch: inputs of two dtypes (accepted before), of more than one dim (flattened), none
    v32 = make(backend, V3).float()
    for args, match in [((v32, v32.double()), "same dtype, got float32, float64"), ((t3[0], v32), "0D or 1D"),
                        ((), "non-empty")]:
        with pytest.raises(RuntimeError, match=match):
            anynn.meshgrid(*args, indexing="ij")
    # without indexing the first call warns, as PyTorch's (nerf-pytorch's get_rays); with it, none
    meshgrid_module = sys.modules["anynn.functional.rearrange"]
    meshgrid_module._meshgrid_warned[0] = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        anynn.meshgrid(v32, v32, indexing="xy"), anynn.meshgrid(v32, v32), anynn.meshgrid(v32, v32)
    assert [str(w.message) for w in caught] == [meshgrid_module.MESHGRID_INDEXING_WARNING]
