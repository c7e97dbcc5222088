"""cuDNN dispatch without a GPU: a fake ``cudnn`` frontend (computing with PyTorch CPU) behind a NumPy backend.

The fake has the frontend's Python surface that `anynn.backend.cudnn` uses (pygraph, tensor, conv_fprop,
conv_dgrad, conv_wgrad, sdpa, sdpa_backward, validate ... build_plans, execute with a variant pack), so these
tests check on the CPU what the CuPy backend does on a GPU: which path runs, what is passed to cuDNN (padding,
groups, dilation, 1-D as H = 1, the softmax statistics), that plans are built once per shape, and that a
refused shape, a dtype cuDNN lacks, or a missing frontend give the portable path. The real frontend runs in
`python benchmarks/gpu_check.py` (tests/backend/test_cudnn_cupy.py).
"""

from __future__ import annotations

import sys
import threading
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import anynn
import anynn.functional as F
from anynn.backend import cudnn
from anynn.backend.numpy_backend import NumpyBackend


class FakeNotSupported(RuntimeError):
    pass


class FakeTensor:
    def __init__(self, name: str = "", dim=None) -> None:
        self.name, self.dim, self.output = name, None if dim is None else list(dim), False

    def set_output(self, flag: bool) -> "FakeTensor":
        self.output = flag
        return self

    def set_dim(self, dim) -> "FakeTensor":
        self.dim = list(dim)
        return self

    def set_stride(self, stride) -> "FakeTensor":
        return self

    def set_data_type(self, data_type) -> "FakeTensor":
        return self

    def get_uid(self) -> int:
        return id(self)


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


class FakeGraph:
    """One operation; ``execute`` computes it with PyTorch from the arrays of the variant pack."""

    def __init__(self, frontend: "FakeFrontend", **kwargs) -> None:
        self.frontend, self.kwargs, self.steps = frontend, kwargs, []
        frontend.graphs.append(self)

    def tensor(self, name, dim, stride, data_type):
        return FakeTensor(name, dim)

    def _conv(self, kind, a, b, **params):
        self.op, self.inputs, self.params = kind, (a, b), params
        self.out = FakeTensor(kind)
        return self.out

    def conv_fprop(self, image, weight, **params):
        return self._conv("fprop", image, weight, **params)

    def conv_dgrad(self, loss, filter, **params):  # noqa: A002 - the frontend's name
        return self._conv("dgrad", loss, filter, **params)

    def conv_wgrad(self, image, loss, **params):
        return self._conv("wgrad", image, loss, **params)

    def sdpa(self, name, q, k, v, generate_stats, attn_scale, use_causal_mask):
        self.op, self.inputs = "sdpa", (q, k, v)
        self.params = dict(scale=attn_scale, causal=use_causal_mask, stats=generate_stats)
        self.out, self.stats = FakeTensor("O"), FakeTensor("stats")
        return self.out, self.stats

    def sdpa_backward(self, name, q, k, v, o, dO, stats, attn_scale, use_causal_mask):  # noqa: N803
        self.op, self.inputs = "sdpa_backward", (q, k, v, o, dO, stats)
        self.params = dict(scale=attn_scale, causal=use_causal_mask)
        self.outs = (FakeTensor("dQ"), FakeTensor("dK"), FakeTensor("dV"))
        return self.outs

    def validate(self):
        self.steps.append("validate")

    def build_operation_graph(self):
        self.steps.append("build_operation_graph")

    def create_execution_plans(self, modes):
        self.steps.append("create_execution_plans")

    def deselect_numeric_notes(self, notes):
        self.steps.append("deselect_numeric_notes")

    def check_support(self):
        self.steps.append("check_support")
        if self.frontend.refuse:
            raise FakeNotSupported("fake cuDNN: no engine for this graph")

    def build_plans(self):
        self.steps.append("build_plans")

    def get_workspace_size(self):
        return 64

    def execute(self, pack, workspace, handle=None):
        assert isinstance(workspace, np.ndarray) and workspace.nbytes >= 64
        self.frontend.executed += 1
        arrays = {t if isinstance(t, int) else t.get_uid(): a for t, a in pack.items()}  # as the frontend does

        def get(t):
            return arrays[t.get_uid()]

        if self.op.startswith(("fprop", "dgrad", "wgrad")):
            p = self.params
            (top, left), (bottom, right) = p["pre_padding"], p["post_padding"]

            def conv(x, w):
                groups = x.shape[1] // w.shape[1]
                return tF.conv2d(tF.pad(x, (left, right, top, bottom)), w, stride=tuple(p["stride"]),
                                 dilation=tuple(p["dilation"]), groups=groups)

            a, b = get(self.inputs[0]), get(self.inputs[1])
            out = get(self.out)
            if self.op == "fprop":
                result = conv(_t(a), _t(b))
            elif self.op == "dgrad":
                x = _t(np.zeros(self.out.dim), grad=True)
                conv(x, _t(b)).backward(_t(a))
                result = x.grad
            else:
                w = _t(np.zeros(self.out.dim), grad=True)
                conv(_t(a), w).backward(_t(b))
                result = w.grad
            out[...] = result.detach().numpy().astype(out.dtype)
            return
        p = self.params
        if self.op == "sdpa":
            q, k, v = (_t(get(t)) for t in self.inputs)
            out = tF.scaled_dot_product_attention(q, k, v, is_causal=p["causal"], scale=p["scale"])
            get(self.out)[...] = out.numpy()
            if p["stats"]:
                scores = q @ k.mT * p["scale"]
                if p["causal"]:
                    scores = scores.masked_fill(~torch.ones(scores.shape[-2:], dtype=torch.bool).tril(), -torch.inf)
                get(self.stats)[...] = torch.logsumexp(scores, -1, keepdim=True).numpy()
            return
        q, k, v = (_t(get(t), grad=True) for t in self.inputs[:3])
        stats = get(self.inputs[5])
        assert stats.dtype == np.float32 and stats.shape == tuple(q.shape[:3]) + (1,)
        tF.scaled_dot_product_attention(q, k, v, is_causal=p["causal"], scale=p["scale"]).backward(
            _t(get(self.inputs[4])))
        for t, source in zip(self.outs, (q, k, v)):
            get(t)[...] = source.grad.numpy()


class FakeFrontend(types.ModuleType):
    """The parts of the ``cudnn`` module anynn uses."""

    def __init__(self, refuse: bool = False, version: int = 91000) -> None:
        super().__init__("cudnn")
        self.refuse, self.version, self.graphs, self.executed, self.handles = refuse, version, [], 0, 0
        self.data_type = types.SimpleNamespace(FLOAT="FLOAT", HALF="HALF", BFLOAT16="BFLOAT16")
        self.heur_mode = types.SimpleNamespace(A="A", FALLBACK="FALLBACK")
        self.numerical_note = types.SimpleNamespace(TENSOR_CORE="TENSOR_CORE", DOWN_CONVERT_INPUTS="DCI")
        self.cudnnGraphNotSupportedError = FakeNotSupported
        self.__version__ = "0.fake"

    def backend_version(self) -> int:
        return self.version

    def backend_version_string(self) -> str:
        return f"{self.version}"

    def create_handle(self):
        self.handles += 1
        return object()

    def set_stream(self, handle, stream):
        assert stream == 0

    def pygraph(self, **kwargs):
        return FakeGraph(self, **kwargs)


class HostArrays:
    """`cudnn.DeviceArrays` for NumPy: the fake's "pointers" are the arrays themselves."""

    device_id = 0

    def empty(self, shape, dtype):
        return np.empty(shape, dtype=dtype)

    def contiguous(self, a):
        return np.ascontiguousarray(a)

    def pointer(self, a):
        return a

    def stream(self):
        return 0


class VendorNumpy(NumpyBackend):
    """NumPy with the vendor kernels of ``kernels`` (a `CudnnKernels`) and an optional ``linear_activation``."""

    def __init__(self, kernels=None, linear_activation=None) -> None:
        super().__init__()
        self.kernels, self.linear_activation = kernels, linear_activation

    def fast_path(self, name):
        if name in cudnn.KERNELS:
            return None if self.kernels is None else getattr(self.kernels, name)
        if name == "linear_activation":
            return self.linear_activation
        return super().fast_path(name)


def _vendor(refuse: bool = False) -> tuple[VendorNumpy, FakeFrontend]:
    frontend = FakeFrontend(refuse=refuse)
    return VendorNumpy(cudnn.CudnnKernels(frontend, HostArrays())), frontend


def _conv_run(backend, x, w, b, fn, **kw):
    xt, wt, bt = (anynn.tensor(a, backend=backend, dtype=str(a.dtype), requires_grad=True) for a in (x, w, b))
    y = fn(xt, wt, bt, **kw)
    g = np.random.default_rng(5).standard_normal(y.shape).astype(x.dtype)
    y.backward(anynn.tensor(g, backend=backend, dtype=str(g.dtype)))
    return [np.asarray(t) for t in (y.array, xt.grad.array, wt.grad.array, bt.grad.array)]


CONV_CASES = [  # (fn, x shape, w shape, kwargs)
    (F.conv2d, (2, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
    (F.conv2d, (2, 4, 9, 8), (6, 2, 3, 2), dict(stride=2, dilation=(2, 1), groups=2)),
    (F.conv2d, (1, 6, 7, 7), (6, 1, 3, 3), dict(padding="same", groups=6)),  # depthwise
    (F.conv2d, (2, 3, 8, 8), (4, 3, 4, 4), dict(padding="same", dilation=1)),  # asymmetric: 1 before, 2 after
    (F.conv2d, (2, 3, 10, 9), (5, 3, 3, 3), dict(stride=3, padding=(2, 0))),  # uncovered rows at the end
    (F.conv1d, (2, 4, 11), (6, 2, 3), dict(padding=2, dilation=2, groups=2)),
    (F.conv1d, (3, 11), (5, 3, 4), dict(padding="same")),  # unbatched
]


@pytest.mark.parametrize("fn, x_shape, w_shape, kw", CONV_CASES)
def test_cudnn_convolution_matches_the_portable_path(fn, x_shape, w_shape, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    vendor, frontend = _vendor()
    got = _conv_run(vendor, x, w, b, fn, **kw)
    want = _conv_run(anynn.get_backend("numpy"), x, w, b, fn, **kw)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    assert sorted(gr.op for gr in frontend.graphs) == ["dgrad", "fprop", "wgrad"]  # every part ran on cuDNN
    assert frontend.executed == 3
    for graph in frontend.graphs:  # the frontend's build sequence, TF32 engines deselected in float32
        assert graph.steps == ["validate", "build_operation_graph", "create_execution_plans",
                               "deselect_numeric_notes", "check_support", "build_plans"]
        assert graph.kwargs["io_data_type"] == "FLOAT" and graph.kwargs["compute_data_type"] == "FLOAT"


def test_plans_are_built_once_per_shape():
    vendor, frontend = _vendor()
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = np.zeros(4, np.float32)
    for _ in range(3):
        _conv_run(vendor, rng.standard_normal((2, 3, 8, 8)).astype(np.float32), w, b, F.conv2d, padding=1)
    assert vendor.kernels.plans.builds == 3 and len(vendor.kernels.plans) == 3  # fprop, dgrad, wgrad once
    assert frontend.executed == 9
    _conv_run(vendor, rng.standard_normal((5, 3, 8, 8)).astype(np.float32), w, b, F.conv2d, padding=1)
    assert vendor.kernels.plans.builds == 6  # a new batch size is a new shape
    _conv_run(vendor, rng.standard_normal((5, 3, 8, 8)).astype(np.float32), w, b, F.conv2d, padding=2)
    assert vendor.kernels.plans.builds == 9  # and so is new padding
    assert frontend.handles == 1  # one handle for this thread


def test_a_refused_shape_runs_portable_and_is_not_rebuilt():
    vendor, frontend = _vendor(refuse=True)
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 6, 6), (4, 3, 3, 3), (4,)))
    want = _conv_run(anynn.get_backend("numpy"), x, w, b, F.conv2d)
    for _ in range(2):
        got = _conv_run(vendor, x, w, b, F.conv2d)
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-6)
    assert frontend.executed == 0
    assert vendor.kernels.plans.builds == 1  # the forward was refused once; the backward never asked
    (reason,) = vendor.kernels.plans.refused.values()
    assert "no engine" in reason


def test_a_dtype_cudnn_lacks_never_reaches_it():
    vendor, frontend = _vendor()
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s) for s in ((2, 3, 6, 6), (4, 3, 3, 3), (4,)))  # float64
    want = _conv_run(anynn.get_backend("numpy"), x, w, b, F.conv2d)
    got = _conv_run(vendor, x, w, b, F.conv2d)
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)
    assert frontend.graphs == [] and vendor.kernels.plans.builds == 0


def test_the_plan_cache_builds_each_key_once_across_threads():
    cache = cudnn.PlanCache()
    calls = []
    barrier = threading.Barrier(8)

    def build():
        calls.append(1)
        return cudnn.Plan(None, {}, 0)

    def worker(results):
        barrier.wait()
        results.append(cache.get(("k",), build))

    results: list = []
    threads = [threading.Thread(target=worker, args=(results,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1


@pytest.mark.parametrize("causal", [False, True])
def test_cudnn_attention_matches_the_portable_path(causal):
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((2, 3, 5, 8)).astype(np.float16) for _ in range(3))
    g = rng.standard_normal((2, 3, 5, 8)).astype(np.float16)

    def run(backend):
        ts = [anynn.tensor(a, backend=backend, dtype="float16", requires_grad=True) for a in (q, k, v)]
        out = F.scaled_dot_product_attention(*ts, is_causal=causal)
        out.backward(anynn.tensor(g, backend=backend, dtype="float16"))
        return [np.asarray(out.array, np.float32)] + [np.asarray(t.grad.array, np.float32) for t in ts]

    vendor, frontend = _vendor()
    got, want = run(vendor), run(anynn.get_backend("numpy"))
    for a, e in zip(got, want):
        np.testing.assert_allclose(a, e, rtol=2e-2, atol=2e-2)  # float16 both ways
    assert [gr.op for gr in frontend.graphs] == ["sdpa", "sdpa_backward"]
    assert frontend.graphs[0].params == dict(scale=1 / np.sqrt(8), causal=causal, stats=True)


def test_attention_outside_flash_stays_portable():
    """float32, a mask, dropout, weights asked for: never cuDNN's flash attention."""
    vendor, frontend = _vendor()
    rng = np.random.default_rng(6)
    q32 = anynn.tensor(rng.standard_normal((1, 2, 4, 8)).astype(np.float32), backend=vendor)
    q16 = anynn.tensor(rng.standard_normal((1, 2, 4, 8)), backend=vendor, dtype="float16")
    F.scaled_dot_product_attention(q32, q32, q32)
    mask = anynn.tensor(np.tril(np.ones((4, 4), bool)), backend=vendor)
    F.scaled_dot_product_attention(q16, q16, q16, attn_mask=mask)
    F.scaled_dot_product_attention(q16, q16, q16, dropout_p=0.5)
    F.scaled_dot_product_attention_with_weights(q16, q16, q16)
    assert frontend.graphs == []
    F.scaled_dot_product_attention(q16, q16, q16)
    assert [gr.op for gr in frontend.graphs] == ["sdpa"] and frontend.graphs[0].params["stats"] is False  # no grad


def test_without_the_frontend_there_are_no_kernels(monkeypatch):
    monkeypatch.setitem(sys.modules, "cudnn", None)  # "import cudnn" raises ImportError
    module, reason = cudnn.load_frontend()
    assert module is None and "nvidia-cudnn-frontend is not installed" in reason
    cudnn.reset()
    try:
        kernels, reason = cudnn.kernels_for(cupy=None, device_id=0)
        assert kernels is None and "not installed" in reason
    finally:
        cudnn.reset()


def test_a_frontend_without_a_loadable_library_or_too_old_is_not_used(monkeypatch):
    broken = FakeFrontend()
    broken.backend_version = lambda: (_ for _ in ()).throw(OSError("libcudnn.so.9: cannot open"))
    monkeypatch.setitem(sys.modules, "cudnn", broken)
    module, reason = cudnn.load_frontend()
    assert module is None and "not loadable" in reason and "libcudnn" in reason
    monkeypatch.setitem(sys.modules, "cudnn", FakeFrontend(version=8600))
    module, reason = cudnn.load_frontend()
    assert module is None and "too old" in reason
    monkeypatch.setitem(sys.modules, "cudnn", FakeFrontend(version=90300))
    module, reason = cudnn.load_frontend()
    assert module is not None and "90300" in reason


def test_anynn_info_says_whether_cupy_uses_cudnn(monkeypatch):
    from anynn.cli import info

    monkeypatch.setitem(sys.modules, "cudnn", None)
    text = info()
    line = next(line for line in text.splitlines() if "cuDNN" in line)
    assert "not used" in line
