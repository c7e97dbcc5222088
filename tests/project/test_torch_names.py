"""PyTorch's namespaces, devices, dtypes and module surface under anynn, each checked against PyTorch."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import anynn
import anynn.nn.functional as F
import anynn.nn.init as init
from anynn import nn
from anynn.backend import BackendUnavailable, dtype_name
from anynn.utils import data as udata
from tests.helpers import copy_torch_weights, make

X = np.random.default_rng(0).standard_normal((4, 3))


# -- namespaces -------------------------------------------------------------------------------------
def test_nn_functional_has_every_functional_name():
    for name in anynn.functional.__all__:
        assert getattr(F, name) is getattr(anynn.functional, name), name
    assert F.relu is anynn.functional.relu
    with pytest.raises(AttributeError, match="no attribute 'not_a_function'"):
        F.not_a_function  # noqa: B018


def test_paths_of_pytorch_programs_import():
    import anynn.nn.utils
    import anynn.optim.lr_scheduler
    import anynn.utils.data  # noqa: F401

    assert anynn.nn.init is init and anynn.nn.utils.clip_grad_norm_ is anynn.optim.clip_grad_norm_
    for name in ("Dataset", "TensorDataset", "DataLoader", "random_split", "Subset", "RandomSampler",
                 "SequentialSampler", "BatchSampler"):
        assert hasattr(udata, name) and hasattr(torch.utils.data, name), name


@pytest.mark.parametrize("name", ["inf", "nan", "pi", "e", "newaxis"])
def test_constants_are_pytorchs(name, backend):
    ours, theirs = getattr(anynn, name), getattr(torch, name)
    assert type(ours) is type(theirs) and (ours == theirs or (math.isnan(ours) and math.isnan(theirs)))
    scores = make(backend, np.zeros((2, 2), np.float32))  # the masked-attention idiom: fill with -torch.inf
    mask = make(backend, np.triu(np.ones((2, 2)), 1) > 0)
    if name == "newaxis":
        assert tuple(scores[ours].shape) == tuple(torch.zeros(2, 2)[theirs].shape)
    else:
        np.testing.assert_array_equal(scores.masked_fill(mask, -ours).numpy(),
                                      torch.zeros(2, 2).masked_fill(torch.tensor(mask.numpy()), -theirs).numpy())


# -- dtypes -------------------------------------------------------------------------------------------
DTYPES = [("float32", "float32"), ("float64", "float64"), ("int64", "int64"), ("int32", "int32"),
          ("bool", "bool"), ("double", "float64"), ("float", "float32"), ("long", "int64"), ("int", "int32"),
          ("half", "float16"), ("int16", "int16"), ("int8", "int8"), ("uint8", "uint8"), ("bfloat16", "bfloat16"),
          ("uint16", "uint16"), ("uint32", "uint32"), ("uint64", "uint64")]


@pytest.mark.parametrize("alias,name", DTYPES)
def test_dtype_objects_name_pytorchs_dtypes(alias, name):
    ours = getattr(anynn, alias)
    assert ours.name == name and ours == name and dtype_name(ours) == name
    assert ours.is_floating_point == getattr(torch, alias).is_floating_point
    assert ours.itemsize == getattr(torch, alias).itemsize
    assert repr(ours) == f"anynn.{name}"
    theirs = getattr(torch, alias)  # (to_real / to_complex were missing)
    assert ours.to_real() == str(theirs.to_real()).removeprefix("torch.")
    if name == "float16":  # (PyTorch's complex32: anynn has none)
        return
    try:
        assert ours.to_complex() == str(theirs.to_complex()).removeprefix("torch.")
    except RuntimeError:
        with pytest.raises(RuntimeError, match="Unknown Complex ScalarType"):
            ours.to_complex()


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "int32", "bool", "int8", "uint8"])
def test_tensor_dtype_equals_anynn_dtype_on_every_backend(backend, name):
    x = anynn.zeros(2, dtype=getattr(anynn, name), backend=backend)
    assert x.dtype == getattr(anynn, name) and getattr(anynn, name) == x.dtype
    assert not (x.dtype != getattr(anynn, name))
    other = "float64" if name != "float64" else "float32"
    assert x.dtype != getattr(anynn, other) and not (x.dtype == getattr(anynn, other))
    assert backend.is_native(anynn.zeros(2, backend=backend).to(x.dtype).array)
    if backend.name != "torch":  # torch.dtype hashes by identity: only == works across the two
        assert {anynn.float32: "f"}.get(anynn.ones(1, backend=backend).dtype) == "f"  # hash agrees with ==


def test_tensor_type_strings_match_pytorch(backend):
    for name in ("float32", "float64", "int64", "int32", "bool", "uint8", "int8", "int16", "uint16", "uint32",
                 "uint64"):
        x = anynn.zeros(2, dtype=name, backend=backend)
        assert x.type() == torch.zeros(2, dtype=getattr(torch, name)).type()
    x = make(backend, X)
    assert x.type(anynn.float32).dtype == anynn.float32
    assert x.type("torch.FloatTensor").dtype == anynn.float32 and x.type("torch.LongTensor").dtype == anynn.long
    assert x.double().type() == "torch.DoubleTensor"
    for lib in (torch, anynn):  # an unknown type string: PyTorch's ValueError (anynn's TypeError before)
        with pytest.raises(ValueError, match="invalid type"):
            lib.ones(1).type("torch.Float99Tensor")


# -- devices ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:1", "mps"])
def test_device_object_matches_torch_device(spec):
    ours, theirs = anynn.device(spec), torch.device(spec)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (theirs.type, theirs.index, str(theirs), repr(theirs))
    assert ours == theirs and ours == anynn.device(theirs)
    assert anynn.device("cuda", 1) == anynn.device("cuda:1") != anynn.device("cuda:0")
    with pytest.raises(ValueError):
        anynn.device("cuda:1", 2)


def test_tensor_device_is_where_to_and_factories_go(backend):
    x = make(backend, X)
    assert isinstance(x.device, anynn.device)
    assert str(x.device) == {"cupy": f"cuda:{getattr(backend, 'device_id', 0)}", "torch": str(backend.device)}.get(
        backend.name, x.device.type)
    for made in (anynn.zeros(2, device=x.device), anynn.arange(3, device=x.device), anynn.randn(2, device=x.device),
                 anynn.full((2,), 1.0, device=x.device), anynn.zeros_like(x, device=x.device)):
        assert made.backend == backend
    other = anynn.tensor([1.0, 2.0], backend="array_api_strict:device1")
    moved = other.to(x.device)
    assert moved.backend == backend and moved.numpy().tolist() == [1.0, 2.0]
    back = x.to(other.device)
    assert back.backend == other.backend
    assert x.to(device=x.device) is x and x.to(device="cpu", dtype=anynn.float64).dtype == anynn.float64
    assert x.cpu().backend.name == ("numpy" if backend.name == "cupy" else backend.name)


def test_strict_to_other_strict_device():
    x = anynn.tensor([1.0], backend="array_api_strict")
    y = anynn.tensor([2.0], backend="array_api_strict:device1")
    assert x.to(y.device).backend == y.backend and y.to(x.device).backend == x.backend
    assert str(y.device) == "device1" and str(x.device) == "cpu"


def test_cuda_where_there_is_none_says_what_to_do(backend):
    x = make(backend, X)
    model = nn.Linear(3, 2).to(backend)
    if anynn.cuda.is_available() and backend.name in ("numpy", "torch", "cupy"):
        pytest.skip("a CUDA device is usable here")
    with pytest.raises(BackendUnavailable, match="cuda"):
        x.to("cuda")
    with pytest.raises(BackendUnavailable, match="cuda"):
        x.cuda()
    with pytest.raises(BackendUnavailable, match="cuda"):
        model.to("cuda")
    assert model.backend == backend  # nothing moved


def test_module_to_device_dtype_and_tensor(backend):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), seed=0)
    weight = model[0].weight
    assert model.to(backend) is model and model.backend == backend
    model.to("cpu")
    assert model.backend.name == ("numpy" if backend.name == "cupy" else backend.name)
    model.to(backend)
    model.to(anynn.float64)
    assert model[0].weight is weight and model[0].weight.dtype == anynn.float64
    model.to(anynn.device("cpu"), anynn.float32)
    assert model[0].weight.dtype == anynn.float32
    if backend.name != "array_api_strict":
        assert model.half()[0].weight.dtype == anynn.float16
    model.double()
    x = make(backend, X)
    assert model.to(x) is model and model.backend == backend and model[0].weight.dtype == anynn.float64
    with pytest.raises(TypeError, match="floating point"):
        model.to(anynn.int64)


def test_cuda_and_backends_answer_like_pytorch():
    # torch.cuda.OutOfMemoryError / torch.OutOfMemoryError, named by except clauses (AttributeError before)
    assert anynn.OutOfMemoryError is anynn.cuda.OutOfMemoryError and issubclass(anynn.OutOfMemoryError, RuntimeError)
    assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError)
    assert isinstance(anynn.cuda.is_available(), bool)
    assert anynn.cuda.device_count() == (0 if not anynn.cuda.is_available() else anynn.cuda.device_count())
    anynn.cuda.manual_seed_all(3)
    a = anynn.randn(3)
    anynn.cuda.manual_seed(3)
    assert a.numpy().tolist() == anynn.randn(3).numpy().tolist()
    anynn.backends.cudnn.benchmark = True
    anynn.backends.cudnn.deterministic = True
    anynn.backends.cuda.matmul.allow_tf32 = True
    assert anynn.backends.cudnn.benchmark and anynn.backends.cuda.matmul.allow_tf32
    anynn.backends.cudnn.benchmark = False
    anynn.backends.cuda.matmul.allow_tf32 = False
    assert anynn.backends.mps.is_available() is False
    for lib in (torch, anynn):  # MAML / WGAN-GP code and PyTorch's tuning guide (AttributeError before)
        with lib.backends.cudnn.flags(enabled=False), lib.backends.mkldnn.flags(enabled=False):
            assert not (lib.backends.cudnn.enabled or lib.backends.cudnn.benchmark or lib.backends.mkldnn.enabled)
        assert lib.backends.cudnn.enabled and lib.backends.mkldnn.enabled
        with lib.autograd.profiler.emit_nvtx(enabled=False), lib.autograd.profiler.emit_itt(enabled=False):
            lib.jit.enable_onednn_fusion(True)
        assert lib.jit.onednn_fusion_enabled()
        lib.jit.enable_onednn_fusion(False)
        # pytorch-trpo's first lines (AttributeError before): switches kept and read back, nothing warned
        lib.utils.backcompat.broadcast_warning.enabled = True
        assert lib.utils.backcompat.broadcast_warning.enabled and not lib.utils.backcompat.keepdim_warning.enabled
        lib.utils.backcompat.broadcast_warning.enabled = False
        with pytest.raises(RuntimeError, match="set_backcompat_keepdim_warn expects a bool, but got int"):
            lib.utils.backcompat.keepdim_warning.enabled = 1
        # names timm / flash-attention / interop code reads after a bare import (AttributeError before)
        assert lib.nn.modules.utils._pair(3) == (3, 3)
        assert lib._utils._flatten_dense_tensors([lib.ones(2)]).shape == (2,)
        assert isinstance(lib.nn.LazyLinear(2), lib.nn.modules.lazy.LazyModuleMixin)
        assert (lib.version.hip, lib.version.rocm, lib.version.xpu, lib.version.debug) == (None, None, None, False)
        assert lib.utils.dlpack.from_dlpack(lib.ones(2)).tolist() == [1.0, 1.0]
        assert type(lib.utils.dlpack.to_dlpack(lib.ones(2))).__name__ == "PyCapsule"
        with pytest.warns(DeprecationWarning, match=r"get_autocast_gpu_dtype\(\) is deprecated"):
            assert str(lib.get_autocast_gpu_dtype()).endswith("float16")
        with pytest.warns(DeprecationWarning, match=r"is_autocast_cpu_enabled\(\) is deprecated"):
            assert not lib.is_autocast_cpu_enabled()
    assert anynn._dynamo.is_compiling() is False  # (torch._dynamo's first read imports Dynamo: seconds)
    assert anynn.types.Number == torch.types.Number and {"Device", "_size", "_dtype"} <= set(dir(anynn.types))

    class SideStream:  # (anynn.cuda.Stream needs a GPU: a data prefetcher's stream stands in)
        def wait_stream(self, other): ...
        def synchronize(self): ...

    assert anynn.ones(2).record_stream(SideStream()) is None  # nothing to record: one queue, the library's memory
    with pytest.raises(RuntimeError, match="unknown parameter type"):  # (PyTorch's words for a non-stream)
        anynn.ones(2).record_stream(3)
    for lib in (torch, anynn):  # removed in PyTorch 1.9, kept to name the replacement (AttributeError before)
        eye = lib.eye(2)
        for function, args in ((lib.solve, (eye, eye)), (eye.symeig, ()), (lib.matrix_rank, (eye,)),
                               (eye.lstsq, (eye,)), (lib.eig, (eye,))):
            with pytest.raises(RuntimeError, match=r"deprecated since version 1.9 and is now removed(.|\n)*linalg"):
                function(*args)
    with anynn.cuda.nvtx.range("step {}", 1):  # PyTorch's CPU build raises here: anynn accepts and emits nothing
        assert anynn.cuda.nvtx.range_push("forward") == 1 and anynn.cuda.nvtx.range_pop() == 1



SDP_FLAGS = ("flash", "mem_efficient", "math", "cudnn")


def _sdp_flags(lib):
    return tuple(getattr(lib.backends.cuda, f"{name}_sdp_enabled")() for name in SDP_FLAGS)


def test_attention_kernel_switches_are_kept_like_pytorchs():
    """gpt-fast decodes under ``torch.backends.cuda.sdp_kernel(enable_flash=False, ...)``, nanoGPT-era code calls
    ``enable_flash_sdp(True)``: switches anynn keeps and reads back (its attention is the same whichever is on)."""
    for lib in (torch, anynn):
        assert _sdp_flags(lib) == (True,) * 4
        with pytest.warns(FutureWarning, match="sdp_kernel"):
            with lib.backends.cuda.sdp_kernel(enable_flash=False, enable_mem_efficient=False) as entered:
                assert _sdp_flags(lib) == (False, False, True, True) and entered == {}
        assert _sdp_flags(lib) == (True,) * 4
        lib.backends.cuda.enable_math_sdp(False)
        assert _sdp_flags(lib) == (True, True, False, True)
        lib.backends.cuda.enable_math_sdp(True)


def _answer() -> int:
    return 42


def test_compiler_settings_are_kept_and_unknown_ones_refused_like_pytorch():
    """gpt-fast and modded-nanogpt set ``torch._inductor.config.coordinate_descent_tuning = True`` and
    ``torch._dynamo.config.cache_size_limit`` before ``torch.compile``: settings anynn keeps (its step compiler is
    not TorchDynamo and reads none of them), every one of PyTorch's with its default; a name PyTorch does not have
    is refused as PyTorch refuses it."""
    import torch._functorch.config
    import torch._inductor.config  # noqa: F401  (anynn's are reached from a plain import, as torch's)

    for lib in (anynn, torch):  # every setting PyTorch has (AttributeError before for all but a few dozen)
        dynamo, inductor = lib._dynamo.config, lib._inductor.config
        dynamo.inline_inbuilt_nn_modules, inductor.trace.enabled = True, False  # the inductor-debug tutorial's
        inductor.max_autotune_gemm_backends = "ATEN,TRITON,CPP"
    for config in ("_dynamo", "_inductor", "_functorch"):  # names and defaults (machine-made ones None)
        theirs = getattr(torch, config).config.get_config_copy()
        for name, value in theirs.items():
            ours = getattr(anynn, config).config
            for part in name.split(".") if name != "TYPE_CHECKING" else ():
                ours = getattr(ours, part)
            machine_made = name == "compile_threads" or str(value).startswith("/")
            assert name == "TYPE_CHECKING" or ours == value or (ours is None and machine_made), name
    before = anynn._dynamo.config.cache_size_limit
    try:
        anynn._dynamo.config.cache_size_limit = 64
        anynn._inductor.config.triton.unique_kernel_names = False
        assert anynn._dynamo.config.cache_size_limit == 64 and not anynn._inductor.config.triton.unique_kernel_names
    finally:
        anynn._dynamo.config.cache_size_limit = before
        anynn._inductor.config.triton.unique_kernel_names = True
    for lib in (torch, anynn):
        with pytest.raises(AttributeError, match=r"_dynamo\.config\.cache_limit does not exist"):
            lib._dynamo.config.cache_limit = 1
        with pytest.raises(AttributeError, match=r"_inductor\.config\.triton\.unique_names does not exist"):
            lib._inductor.config.triton.unique_names = 1
    anynn._dynamo.reset()
    assert anynn._dynamo.disable(len)([1, 2]) == torch._dynamo.disable(len)([1, 2]) == 2
    with pytest.raises(NotImplementedError, match=r"_dynamo.explain\(len\): anynn has no TorchDynamo"):
        anynn._dynamo.explain(len)([1, 2])
    anynn._logging.set_logs(recompiles=True, dynamo=20, graph_code=True)  # the compiled-optimizer recipe's
    import torch._inductor.utils  # noqa: F401
    for lib in (torch, anynn):
        with lib._inductor.utils.fresh_inductor_cache():  # the regional-compilation recipe (AttributeError before)
            pass
        x = lib.zeros(3, 4)  # the compile tutorials' shape marks and decorators (AttributeError before)
        assert lib._dynamo.mark_dynamic(x, 0) is lib._dynamo.maybe_mark_dynamic(x, [0, 1]) is None
        assert lib._dynamo.mark_static(x) is lib._dynamo.graph_break() is None
        assert lib.compiler.allow_in_graph(len) is lib._dynamo.allow_in_graph(len) is len
        assert lib.compiler.assume_constant_result(_answer) is _answer and lib.compiler.is_exporting() is False
        with pytest.raises(TypeError, match="unexpected keyword argument 'recompile'"):
            lib._logging.set_logs(recompile=True)
    assert anynn.compiler.cudagraph_mark_step_begin() is None  # (PyTorch's first call imports Inductor: 3 s)
    for lib in (torch, anynn):  # the compiled-autograd tutorial (AttributeError before): counters, enable
        lib._dynamo.utils.counters.clear()
        assert lib._dynamo.utils.counters["stats"]["unique_graphs"] == 0
    w = anynn.ones(2, requires_grad=True)
    w.register_hook(lambda g: g + 10)
    with anynn._dynamo.compiled_autograd.enable(anynn.compile(backend="aot_eager")):
        (w * 3).sum().backward()  # runs as written (PyTorch's compiles it: the same gradient)
    assert w.grad.tolist() == [13.0, 13.0]


def test_torch_overrides_helpers_as_torch_and_function_modes_refused():
    """torch.overrides after ``import anynn as torch`` (AttributeError before: code that copies PyTorch's
    multi_head_attention_forward starts with has_torch_function / handle_torch_function, and the torch-function-modes
    recipe subclasses BaseTorchFunctionMode): the helpers answer as PyTorch's for plain tensors and for objects
    defining __torch_function__ (subclasses first, a Tensor's type listed, NotImplemented passed on, PyTorch's
    TypeError when all decline);
    entering a mode raises NotImplementedError, since anynn's operations do not dispatch through modes."""
    class Declines:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    class Takes(Declines):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return func.__name__, [t.__name__ for t in types], len(args), sorted(kwargs)

    for lib in (torch, anynn):
        o = lib.overrides

        def public(*args, **kwargs):
            return "ran"

        def call(*args, o=o):
            if o.has_torch_function(args):
                return o.handle_torch_function(public, args, *args, k=1)
            return public(*args)

        x = lib.ones(2)
        assert call(x, 3) == "ran" and not o.has_torch_function_unary(x) and not o.has_torch_function_variadic(x, 1)
        assert call(Declines(), x, Takes()) == ("public", ["Takes", "Declines", "Tensor"], 3, ["k"])
        assert o.is_tensor_like(lib.nn.Parameter(x)) and o.is_tensor_like(Declines()) and not o.is_tensor_like(1)
        with pytest.raises(TypeError, match="no implementation found for .*public' on types that implement"):
            call(x, Declines())
    mode = type("AddToMultiply", (anynn.overrides.BaseTorchFunctionMode,), {})
    with pytest.raises(NotImplementedError, match="AddToMultiply: anynn has no __torch_function__ dispatch"):
        with mode():
            pass


def test_torch_export_is_refused_naming_onnx_export():
    """torch.export after ``import anynn as torch`` (AttributeError before: a port that exports its model at the end
    stopped at 'module anynn has no attribute export'): each of its functions raises NotImplementedError naming
    anynn.onnx.export. Dim and dims make the dimensions of dynamic_shapes, which anynn.onnx.export reads."""
    for name in anynn.export.__all__:
        assert name in torch.export.__all__, name
        if name in ("Dim", "dims"):
            continue
        with pytest.raises(NotImplementedError, match=f"torch.export.{name}: anynn has no .*anynn.onnx.export"):
            getattr(anynn.export, name)(anynn.nn.Linear(2, 2), (anynn.ones(1, 2),))
    batch, = anynn.export.dims("batch", min=1)
    assert (repr(anynn.export.Dim("batch", max=8)), batch.__name__) == ("Dim('batch', min=None, max=8)", "batch")
    assert repr(anynn.export.Dim.AUTO) == repr(torch.export.Dim.AUTO) == "DimHint(AUTO)"


def test_nested_tensors_are_refused_naming_padding_and_a_mask():
    """torch.nested (lucidrains' na_vit_nested_tensor) after ``import anynn as torch``: every function PyTorch has
    there is refused by name with the way out, and the jagged layout is one of anynn's layouts as torch's."""
    assert sorted(anynn.nested.__all__) == sorted(torch.nested.__all__)
    assert isinstance(anynn.jagged, anynn.layout) and repr(anynn.jagged) == "anynn.jagged"
    for name in anynn.nested.__all__:
        with pytest.raises(NotImplementedError, match=f"torch.nested.{name}: anynn has no nested .*pad_sequence"):
            getattr(anynn.nested, name)([anynn.ones(2, 3), anynn.ones(4, 3)], 0.0)


def test_float32_matmul_precision_is_accepted_and_checked_like_pytorch():
    """nanoGPT-era scripts call torch.set_float32_matmul_precision('high') first; a flag anynn keeps, reads back
    and validates as PyTorch does (its math never lowers float32 behind the user's back)."""
    assert anynn.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        for precision in ("high", "medium", "highest"):
            anynn.set_float32_matmul_precision(precision)
            assert anynn.get_float32_matmul_precision() == precision
        anynn.set_float32_matmul_precision("high")
        with pytest.warns(UserWarning, match="not one of 'highest', 'high'"):
            torch.set_float32_matmul_precision("fast")
        with pytest.warns(UserWarning, match="'fast' is not one of 'highest', 'high' or 'medium'"):
            anynn.set_float32_matmul_precision("fast")
        assert anynn.get_float32_matmul_precision() == "high"  # unchanged, as PyTorch
    finally:
        anynn.set_float32_matmul_precision("highest")


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"])
def test_finfo_matches_torch(name):
    ours, theirs = anynn.finfo(getattr(anynn, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.dtype == str(theirs.dtype) and anynn.finfo(name).eps == theirs.eps  # complex64: float32's (refused)
    assert anynn.finfo(anynn.zeros(2, dtype="float64").dtype).eps == torch.finfo(torch.float64).eps
    assert anynn.finfo().eps == torch.finfo().eps  # the default dtype


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = anynn.iinfo(getattr(anynn, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, name)


def test_finfo_and_iinfo_refuse_the_other_kind_as_torch():
    with pytest.raises(TypeError):
        torch.finfo(torch.int32)
    with pytest.raises(TypeError, match="finfo.*floating.*int32"):
        anynn.finfo(anynn.int32)
    with pytest.raises(TypeError):
        torch.iinfo(torch.float32)
    with pytest.raises(TypeError, match="iinfo.*integer.*float32"):
        anynn.iinfo(anynn.float32)


# -- gradient hooks -----------------------------------------------------------------------------------
def test_tensor_register_hook_matches_torch(backend):
    seen_ours, seen_torch = [], []

    def run(lib, x, record):
        h = x * x
        h.register_hook(lambda g: record.append(np.asarray(g.numpy() if hasattr(g, "backend") else g.detach())))
        handle = x.register_hook(lambda g: g * 2)
        out = (h * 3 + x).sum()
        out.backward()
        handle.remove()
        return x.grad

    xa = make(backend, X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    ga, gt = run(anynn, xa, seen_ours), run(torch, xt, seen_torch)
    np.testing.assert_allclose(ga.numpy(), gt.numpy(), rtol=1e-12)
    np.testing.assert_allclose(seen_ours[0], seen_torch[0], rtol=1e-12)
    xa.grad = None
    (xa * 2).sum().backward()  # the handle was removed: no doubling
    np.testing.assert_allclose(xa.grad.numpy(), 2 * np.ones_like(X))


def test_leaf_hook_sees_the_summed_gradient_once(backend):
    x = make(backend, X, requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()))
    (x * 2 + x * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 5 * np.ones_like(X))


# -- module hooks -------------------------------------------------------------------------------------
def _pair(backend):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    return ours, theirs


def test_forward_hooks_match_torch(backend):
    ours, theirs = _pair(backend)
    records = {"ours": [], "theirs": []}
    for key, model in (("ours", ours), ("theirs", theirs)):
        pre = model[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        post = model[2].register_forward_hook(lambda m, args, out: out + 1)
        seen = model[1].register_forward_hook(lambda m, args, out, k=key: records[k].append(out))
        out = model(make(backend, X) if key == "ours" else torch.tensor(X))
        records[key].append(out)
        for h in (pre, post, seen):
            h.remove()
        records[key].append(model(make(backend, X) if key == "ours" else torch.tensor(X)))
    for a, b in zip(records["ours"], records["theirs"]):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)


def test_forward_hooks_with_kwargs_and_prepend():
    order = []
    layer = nn.Linear(3, 2)
    layer.register_forward_hook(lambda m, a, out: order.append("second"))
    layer.register_forward_hook(lambda m, a, out: order.append("first"), prepend=True)
    layer.register_forward_pre_hook(lambda m, args, kwargs: (args, kwargs), with_kwargs=True)
    layer(anynn.tensor(X).float())
    assert order == ["first", "second"]


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_matches_torch(backend):
    ours, theirs = _pair(backend)
    got = {"ours": [], "theirs": []}

    def hook(key):
        def record(module, grad_input, grad_output):
            got[key].append((grad_input, grad_output))
            return tuple(None if g is None else g * 2 for g in grad_input)
        return record

    ours[2].register_full_backward_hook(hook("ours"))
    theirs[2].register_full_backward_hook(hook("theirs"))
    ours[0].register_full_backward_hook(lambda m, gi, go: got["ours"].append((gi, go)))
    theirs[0].register_full_backward_hook(lambda m, gi, go: got["theirs"].append((gi, go)))
    ours(make(backend, X)).sum().backward()
    theirs(torch.tensor(X)).sum().backward()
    assert len(got["ours"]) == len(got["theirs"]) == 2
    for (gi_a, go_a), (gi_t, go_t) in zip(got["ours"], got["theirs"]):
        assert len(gi_a) == len(gi_t) and len(go_a) == len(go_t)
        for a, t in zip(gi_a + go_a, gi_t + go_t):
            assert (a is None) == (t is None)
            if a is not None:
                np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12, err_msg=name)


# -- nn.init --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,param", [("linear", None), ("conv_transpose3d", None), ("sigmoid", None),
                                        ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                                        ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_deterministic_initialisers_match_torch(backend):
    for fn, shape, args in ((init.eye_, (3, 5), ()), (init.constant_, (2, 3), (0.25,)), (init.ones_, (2, 2), ()),
                            (init.zeros_, (3,), ()), (init.dirac_, (4, 2, 3, 3), (2,)), (init.dirac_, (2, 2, 3), ())):
        t = anynn.zeros(shape, backend=backend)
        assert fn(t, *args) is t and t.backend == backend
        ref = getattr(torch.nn.init, fn.__name__)(torch.empty(shape), *args)
        np.testing.assert_array_equal(t.numpy(), ref.numpy(), err_msg=fn.__name__)


def test_random_initialisers_follow_torchs_distributions(backend):
    w = nn.Linear(400, 300).to(backend).weight
    bound = 1 / math.sqrt(400) * math.sqrt(3) * torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert w.backend == backend and np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.95 * bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert np.std(w.numpy()) == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.numpy()).max() <= 2.0 * math.sqrt(6 / 700)
    init.trunc_normal_(w, std=0.5, a=-0.4, b=0.3)
    assert w.numpy().min() >= -0.4 and w.numpy().max() <= 0.3
    init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, np.eye(300), atol=1e-5)
    init.normal_(w, mean=1.0, std=0.1, generator=0)
    first = w.numpy().copy()
    init.normal_(w, mean=1.0, std=0.1, generator=0)
    assert np.array_equal(first, w.numpy()) and abs(first.mean() - 1.0) < 0.01
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(anynn.zeros(3, backend=backend))


# -- nn.utils ---------------------------------------------------------------------------------------
def test_clip_and_parameter_vectors_match_torch(backend):
    ours, theirs = _pair(backend)
    (ours(make(backend, X)) ** 2).sum().backward()
    (theirs(torch.tensor(X)) ** 2).sum().backward()
    total_a = anynn.nn.utils.clip_grad_norm_(ours.parameters(), 0.5)
    total_t = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5)
    np.testing.assert_allclose(total_a.numpy(), total_t.numpy(), rtol=1e-12)
    anynn.nn.utils.clip_grad_value_(ours.parameters(), 0.01)
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.01)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
    vec_a = anynn.nn.utils.parameters_to_vector(ours.parameters())
    vec_t = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_allclose(vec_a.numpy(), vec_t.detach().numpy(), rtol=1e-12)
    for lib, vec in ((anynn, vec_a), (torch, vec_t)):  # too few values: RuntimeError; more: the rest left unread
        for wrong in (vec[:-1], vec[None]):  # (a 2-D vec: PyTorch's RuntimeError too)
            with pytest.raises(RuntimeError):
                lib.nn.utils.vector_to_parameters(wrong, (ours if lib is anynn else theirs).parameters())
    anynn.nn.utils.vector_to_parameters(anynn.cat([vec_a * 2, vec_a]), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.cat([vec_t * 2, vec_t]), theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12)
        assert p.backend == backend


def test_pad_sequence_matches_torch(backend):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 2)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            ours = [make(backend, a, requires_grad=True) for a in arrays]
            theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
            out = anynn.nn.utils.rnn.pad_sequence(ours, batch_first, -1.0, side)
            ref = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, -1.0, side)
            np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
            w = rng.standard_normal(ref.shape)
            (out * make(backend, w)).sum().backward()
            (ref * torch.tensor(w)).sum().backward()
            for a, t in zip(ours, theirs):
                np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


# -- utils.data ---------------------------------------------------------------------------------------
def test_samplers_match_torch():
    data = list(range(10))
    assert list(udata.SequentialSampler(data)) == list(torch.utils.data.SequentialSampler(data))
    for drop_last in (False, True):
        ours = udata.BatchSampler(udata.SequentialSampler(data), 3, drop_last)
        theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    order = list(udata.RandomSampler(data, generator=0))
    assert sorted(order) == data and order == list(udata.RandomSampler(data, generator=0))
    drawn = list(udata.RandomSampler(data, replacement=True, num_samples=25, generator=1))
    assert len(drawn) == 25 and set(drawn) <= set(data)
    assert len(list(udata.RandomSampler(data, num_samples=13, generator=2))) == 13
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        udata.BatchSampler(data, 0, False)



def test_dataloader_reads_its_sampler_lazily():
    """minGPT's trainer: ``RandomSampler(ds, replacement=True, num_samples=int(1e10))`` with ``next(iter(loader))``
    per step. PyTorch draws the indices as they are read; anynn drew them all (74.5 GiB) and listed the whole
    sampler before the first batch."""
    data = udata.TensorDataset(np.arange(24, dtype=np.float32).reshape(12, 2), np.arange(12))
    endless = udata.RandomSampler(data, replacement=True, num_samples=int(1e10), generator=0)
    assert len(endless) == int(1e10)
    first = list(itertools.islice(iter(endless), 40))
    assert len(first) == 40 and set(first) <= set(range(12)) and len(set(first)) > 1
    assert list(itertools.islice(iter(udata.RandomSampler(data, replacement=True, num_samples=int(1e10),
                                                          generator=0)), 40)) == first
    batches = iter(udata.DataLoader(data, sampler=endless, batch_size=4))
    for _ in range(3):
        x, y = next(batches)
        assert tuple(x.shape) == (4, 2) and set(y.numpy().tolist()) <= set(range(12))

    class Counted(udata.Sampler):
        read = 0

        def __iter__(self):
            for i in range(10**6):
                Counted.read += 1
                yield i % 12

        def __len__(self):
            return 10**6

    loader = iter(udata.DataLoader(data, sampler=Counted(), batch_size=4))
    x, y = next(loader)
    assert y.numpy().tolist() == [0, 1, 2, 3] and Counted.read <= 8


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_streams_an_iterable_dataset_as_torch(num_workers):
    """An IterableDataset (a stream: text corpora, generated samples) is batched in the order it yields, the last
    batch short unless drop_last; anynn refused it (no __len__). With workers each reads its own copy, as in
    PyTorch: a stream that does not split itself by get_worker_info() comes once per worker, batches in turn."""

    def stream(lib):
        class Numbers(lib.utils.data.IterableDataset):
            def __iter__(self):
                info = lib.utils.data.get_worker_info()
                assert info is None or num_workers
                for i in range(11):
                    yield np.float32(i), i % 3
        return Numbers()

    for drop_last in (False, True):
        ours = [(x.numpy().tolist(), y.numpy().tolist()) for x, y in
                udata.DataLoader(stream(anynn), batch_size=4, drop_last=drop_last, num_workers=num_workers)]
        theirs = [(x.tolist(), y.tolist()) for x, y in
                  torch.utils.data.DataLoader(stream(torch), batch_size=4, drop_last=drop_last,
                                              num_workers=num_workers)]
        assert ours == theirs
    assert udata.get_worker_info() is None
    with pytest.raises(ValueError, match="IterableDataset.*shuffle"):
        udata.DataLoader(stream(anynn), batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="IterableDataset.*sampler"):
        udata.DataLoader(stream(anynn), sampler=[0, 1])
    with pytest.raises(TypeError):
        len(udata.DataLoader(stream(anynn), batch_size=2))

def test_iterable_dataset_workers_split_the_stream_by_worker_info_as_torch():
    """The two ways PyTorch programs split a stream among workers: by get_worker_info().id in __iter__, and by a
    worker_init_fn narrowing the worker's copy of the dataset (PyTorch's documented example); workers of unequal
    length end at different times and the others go on in turn. Worker errors name the worker."""

    def sources(lib):
        udata_ = lib.utils.data

        class Sharded(udata_.IterableDataset):
            def __iter__(self):
                info = udata_.get_worker_info()
                first, step = (0, 1) if info is None else (info.id, info.num_workers)
                return iter(range(first, 13, step))

        class Ranged(udata_.IterableDataset):
            def __init__(self, start, end):
                self.start, self.end = start, end

            def __iter__(self):
                return iter(range(self.start, self.end))

        def narrow(worker_id):
            info = udata_.get_worker_info()
            assert info.id == worker_id and info.num_workers == 3
            whole = info.dataset
            size = -(-(whole.end - whole.start) // info.num_workers)
            start = whole.start + worker_id * size
            whole.start, whole.end = start, min(start + size, whole.end)

        return [(Sharded(), {}), (Ranged(3, 20), dict(worker_init_fn=narrow))]

    for (ours, options), (theirs, torch_options) in zip(sources(anynn), sources(torch)):
        got = [b.numpy().tolist() for b in udata.DataLoader(ours, batch_size=2, num_workers=3, **options)]
        want = [b.tolist() for b in torch.utils.data.DataLoader(theirs, batch_size=2, num_workers=3, **torch_options)]
        assert got == want
    assert (ours.start, ours.end) == (3, 20)  # the workers narrowed their copies, not the loader's dataset

    class Failing(udata.IterableDataset):
        def __iter__(self):
            if udata.get_worker_info().id == 1:
                raise KeyError("no shard")
            return iter(range(4))

    with pytest.raises(KeyError, match="worker thread 1"):
        list(udata.DataLoader(Failing(), batch_size=2, num_workers=2))


def test_dataloader_sampler_batch_sampler_and_workers(backend):
    X_ = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = udata.TensorDataset(X_, y)
    batches = [[3, 1], [0, 9, 4], [7]]
    loader = udata.DataLoader(ds, batch_sampler=batches, backend=backend)
    assert len(loader) == 3
    assert [b[1].numpy().tolist() for b in loader] == batches
    sampler = [5, 2, 8, 0]
    loader = udata.DataLoader(ds, batch_size=3, sampler=sampler, backend=backend, pin_memory=True)
    assert [b[1].numpy().tolist() for b in loader] == [[5, 2, 8], [0]] and len(loader) == 2
    serial = [b[0].numpy().tolist() for b in udata.DataLoader(ds, batch_size=3, shuffle=True, generator=4)]
    threaded = [b[0].numpy().tolist() for b in udata.DataLoader(ds, batch_size=3, shuffle=True, generator=4,
                                                                 num_workers=2, prefetch_factor=1)]
    assert serial == threaded and sorted(r[0] for b in serial for r in b) == X_[:, 0].tolist()
    for kwargs in ({"batch_size": 2}, {"shuffle": True}, {"drop_last": True}, {"sampler": sampler}):
        with pytest.raises(ValueError, match="mutually exclusive"):
            udata.DataLoader(ds, batch_sampler=batches, **kwargs)
        with pytest.raises(ValueError, match="mutually exclusive"):
            torch.utils.data.DataLoader(ds, batch_sampler=batches, **kwargs)
    with pytest.raises(ValueError, match="mutually exclusive"):
        udata.DataLoader(ds, sampler=sampler, shuffle=True)


class _Single(udata.Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32)


class _Dicts(_Single):
    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "label": i}


def test_dataloader_batches_keep_the_sample_structure(backend):
    ours = list(udata.DataLoader(_Single(), batch_size=2, backend=backend))
    theirs = list(torch.utils.data.DataLoader(_Single(), batch_size=2))
    assert all(isinstance(b, anynn.Tensor) for b in ours)
    assert [b.numpy().tolist() for b in ours] == [b.numpy().tolist() for b in theirs]
    ours = list(udata.DataLoader(_Dicts(), batch_size=2, backend=backend))
    theirs = list(torch.utils.data.DataLoader(_Dicts(), batch_size=2))
    assert [sorted(b) for b in ours] == [sorted(b) for b in theirs]
    assert [b["label"].numpy().tolist() for b in ours] == [b["label"].numpy().tolist() for b in theirs]


def test_random_split_takes_a_generator():
    ds = udata.TensorDataset(np.arange(10))
    a = [p.indices.tolist() for p in udata.random_split(ds, [0.7, 0.3], generator=np.random.default_rng(5))]
    b = [p.indices.tolist() for p in udata.random_split(ds, [0.7, 0.3], generator=np.random.default_rng(5))]
    assert a == b and sorted(a[0] + a[1]) == list(range(10))


# -- other libraries, bfloat16, messages ------------------------------------------------------------
def test_dlpack_hands_anynn_tensors_to_other_libraries(backend):
    if backend.name == "array_api_strict":
        pytest.skip("array_api_strict arrays are not DLPack-exportable to NumPy on every device")
    x = make(backend, X)
    np.testing.assert_array_equal(np.from_dlpack(x.cpu()), X)
    np.testing.assert_array_equal(torch.from_dlpack(x.cpu()).numpy(), X)
    with pytest.raises(RuntimeError, match="requires grad"):
        np.from_dlpack(make(backend, X, requires_grad=True))


def test_numpy_ufuncs_on_a_tensor_give_tensors_on_its_backend(backend):
    x = make(backend, X)  # PyTorch's Tensor.__array_wrap__: np.sin(t) is a tensor (a bool result uint8)
    for got, want in ((np.sin(x), np.sin(X)), (np.maximum(x, 0.5), np.maximum(X, 0.5)), (np.greater(x, 0), X > 0)):
        assert isinstance(got, anynn.Tensor) and got.backend.key == x.backend.key
        np.testing.assert_allclose(got.numpy(), want)
    assert np.greater(x, 0).dtype == anynn.uint8 and np.sin(x[0, 0]).shape == ()


def test_bfloat16_end_to_end_on_torch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1), backend="torch", dtype="bfloat16", seed=0)
    assert all(p.dtype == anynn.bfloat16 for p in model.parameters())
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).bfloat16()
    theirs.load_state_dict({k: v.array.clone() for k, v in model.state_dict().items()})  # torch arrays
    x = anynn.tensor(X, backend="torch", dtype=anynn.bfloat16)
    out = model(x).sum()
    ref = theirs(torch.tensor(X).bfloat16()).sum()
    assert out.dtype == anynn.bfloat16 and isinstance(out.item(), float)
    assert out.item() == pytest.approx(ref.item(), rel=2e-2, abs=2e-2)
    assert model(x).numpy().dtype == np.float32  # NumPy has no bfloat16: widened exactly
    out.backward()
    assert model[0].weight.grad.dtype == anynn.bfloat16
    fresh = nn.Linear(3, 2).to("torch").bfloat16()
    init.xavier_uniform_(fresh.weight)
    assert fresh.weight.dtype == anynn.bfloat16


def test_loading_a_torch_save_file_says_what_to_do(tmp_path):
    for legacy in (False, True):
        path = tmp_path / f"model{legacy}.pt"
        torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(anynn.io.CorruptFileError, match="safetensors.torch import save_file"):
            anynn.load(path)


def test_summary_lists_layers_shapes_and_parameters(backend):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(backend)
    text = anynn.summary(model, input_size=(5, 3))
    assert "0 (Linear)" in text and "[5, 4]" in text and "[5, 2]" in text
    assert f"Total params: {4 * 3 + 4 + 2 * 4 + 2:,}" in text
    model[0].requires_grad_(False)
    assert "Non-trainable params: 16" in anynn.summary(model, input_data=make(backend, X[:, :3].astype(np.float32)))
    assert not model[0].__dict__["_hooks"].forward  # its hooks are gone afterwards
