"""anynn: one model, any array library.

Neural networks written once against the Python array API standard, run on NumPy, CuPy, PyTorch
tensors or array-api-strict::

    import anynn
    from anynn import nn, optim
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10), backend="numpy", seed=0)
"""

from __future__ import annotations

from .version import __version__

from . import functional  # noqa: E402  (binds Tensor operators before anything else uses them)
from . import autograd, backend, data, init, io, metrics, nn, optim, train  # noqa: E402
from .autograd import GradientCheckError, Tensor, enable_grad, grad_check, no_grad  # noqa: E402
from .autograd import inference_mode, is_grad_enabled, set_grad_enabled  # noqa: E402
from .autograd import is_anomaly_enabled, is_inference_mode_enabled  # noqa: E402
from .factories import (arange, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand,  # noqa: E402
                        rand_like, randint, randn, randn_like, randperm, zeros, zeros_like)
from .functional.tensor_extras import (abs, amax, amin, argmax, argmin, cat, chunk, clamp, clone, concat,  # noqa: E402
                                       exp, flatten, log, log_softmax, masked_fill, matmul, max, mean, min,
                                       norm, permute, reshape, softmax, split, sqrt, squeeze, stack, sum,
                                       transpose, unsqueeze, where)
from .functional.torch_surface import all, any, logsumexp, std, var  # noqa: E402,A004
from .functional.torch_surface import einsum  # noqa: E402
from .functional.index_writes import (index_add, index_copy, index_fill, index_put, index_put_, masked_scatter,  # noqa: E402
                                      scatter_reduce)
from .functional.torch_surface import (addmm, argsort, baddbmm, bmm, cos, cumsum, eq, flip, gather, ge,  # noqa: E402
                                       gt, index_select, isfinite, isinf, isnan, le, lt, masked_select, maximum,
                                       minimum, mm, multinomial, narrow, ne, numel, pow, scatter, scatter_add,
                                       sigmoid, sin, sort, take, tanh, topk, tril, triu)
from .backend import (Backend, BackendMismatch, BackendUnavailable, get_backend,  # noqa: E402
                      set_default_backend)
from .init import manual_seed  # noqa: E402
from .io import from_dlpack, load_checkpoint, save_checkpoint  # noqa: E402
from . import serialization  # noqa: E402  (PyTorch's torch.serialization: safe_globals...)
from .serialization import load, save  # noqa: E402  (torch.save/torch.load: whole modules too, no pickle)
from . import backends, cuda, utils  # noqa: E402  (PyTorch's torch.backends, torch.cuda, torch.utils)
from .cuda_memory import OutOfMemoryError  # noqa: E402  (torch.OutOfMemoryError is torch.cuda's)
from . import __future__  # noqa: E402, F401  (PyTorch's torch.__future__ conversion switches)
from .backends import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402
from .backend.threads import get_num_threads, set_num_threads  # noqa: E402
from .type_info import finfo, iinfo  # noqa: E402  (PyTorch's torch.finfo, torch.iinfo)
from . import accelerator  # noqa: E402  (PyTorch's torch.accelerator)
from . import distributions  # noqa: E402  (PyTorch's torch.distributions)
from . import sparse  # noqa: E402  (PyTorch's torch.sparse; sparse tensors are stored dense)
from .sparse import sparse_coo_tensor, spmm  # noqa: E402
from .legacy_constructors import (BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: E402
                                 FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor, Size)
from .device import device  # noqa: E402
from .memory_format import (channels_last, channels_last_3d, contiguous_format, memory_format,  # noqa: E402
                            preserve_format)
from .functional.tensor_math import (  # noqa: E402,A004  (math, rearranging, value queries)
    acos, acosh, add, addcdiv, addcmul, allclose, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
    argwhere, asin, asinh,
    atan, atan2, atanh, bincount, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
    bitwise_xor, bucketize, cdist, ceil,
    clamp_max, clamp_min, clip, cosh, count_nonzero, cross,
    cumprod, diag, diag_embed, diagonal, div, divide, dot, equal, erf, erfc, exp2, expm1, fix, floor, floor_divide,
    fmod, frac, ger, hypot, is_floating_point, is_tensor, isclose, lerp, log10, log1p, log2, logaddexp, logical_and,
    nextafter,
    logical_not, logical_or, logical_xor, median, meshgrid, moveaxis, movedim, mul, multiply, nan_to_num, neg,
    negative, nonzero, outer, prod, reciprocal, remainder, repeat_interleave, roll, round, rsqrt, searchsorted, sgn,
    sign, sinh, square, std_mean, sub, subtract, swapaxes, swapdims, t, tan, tile, trace, true_divide, trunc, unbind,
    unflatten, unique, var_mean)
from .functional.special import digamma, erfinv, lgamma, sinc, xlogy  # noqa: E402  (torch.special's too)
from .functional.incomplete_gamma import igamma, igammac  # noqa: E402  (torch.special.gammainc/gammaincc)
from .functional.bessel import i0  # noqa: E402  (torch.special's too)
from .functional.matrix_inverse import FUNCTIONS as _MATRIX_INVERSE  # noqa: E402
from . import special  # noqa: E402  (PyTorch's torch.special)
from . import fft  # noqa: E402  (PyTorch's torch.fft)
from .functional.stft import istft, stft  # noqa: E402  (torch.stft, torch.istft)
from .factories import (as_tensor, bernoulli, empty, empty_like, get_default_dtype, logspace, normal,  # noqa: E402
                        randint_like, set_default_dtype, set_printoptions, tensor)
from .generator import Generator  # noqa: E402
from . import linalg  # noqa: E402  (PyTorch's torch.linalg norms)
from .nn.summary import summary  # noqa: E402
from .dtypes import (bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype, float,  # noqa: E402,A004
                     float16, float32, float64, half, int, int8, int16, int32, int64, long, short, uint8,
                     uint16, uint32, uint64)

__all__ = [
    "Backend", "BackendMismatch", "BackendUnavailable", "GradientCheckError", "Tensor", "__version__",
    "autograd", "backend", "data", "from_dlpack", "io", "load", "load_checkpoint", "metrics", "save",
    "save_checkpoint", "serialization", "train",
    "enable_grad", "functional", "get_backend", "grad_check", "init", "manual_seed", "nn", "no_grad",
    "ones", "optim", "set_default_backend", "tensor", "zeros",
    "inference_mode", "is_grad_enabled", "set_grad_enabled", "is_anomaly_enabled", "is_inference_mode_enabled",
    # PyTorch-style factories and functions
    "abs", "amax", "amin", "arange", "argmax", "argmin", "cat", "chunk", "clamp", "clone", "concat", "exp",
    "eye", "flatten", "from_numpy", "full", "full_like", "linspace", "log", "log_softmax", "masked_fill",
    "matmul", "max", "mean", "min", "norm", "ones_like", "permute", "rand", "rand_like", "randint", "randn",
    "randn_like", "randperm", "reshape", "softmax", "split", "sqrt", "squeeze", "stack", "sum", "transpose",
    "unsqueeze", "where", "zeros_like",
    "all", "any", "logsumexp", "std", "var",
    "addmm", "argsort", "baddbmm", "bmm", "cos", "cumsum", "einsum", "eq", "flip", "gather", "ge", "gt", "index_select",
    "isfinite", "isinf", "isnan", "le", "lt", "masked_select", "maximum", "minimum", "mm", "multinomial", "narrow",
    "ne", "numel", "pow", "scatter", "scatter_add", "sigmoid", "sin", "sort", "take", "tanh", "topk", "tril", "triu",
    "index_add", "index_copy", "index_fill", "index_put", "index_put_", "masked_scatter", "scatter_reduce",
]
__all__ += [  # PyTorch's devices and dtypes
    "accelerator", "backends", "bfloat16", "bool", "cdouble", "cfloat", "complex64", "complex128", "cuda", "device",
    "double", "dtype", "float", "float16", "float32", "float64", "half", "int", "int8", "int16", "int32", "int64",
    "long", "short", "summary", "uint8", "uint16", "uint32", "uint64", "utils", "finfo", "iinfo",
    "get_float32_matmul_precision", "set_float32_matmul_precision",
    "distributions", "sparse", "sparse_coo_tensor", "spmm",
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
    "LongTensor", "ShortTensor", "Size",
    "channels_last", "channels_last_3d", "contiguous_format", "memory_format", "preserve_format",
]
from . import amp  # noqa: E402  (PyTorch's torch.amp: autocast regions, GradScaler)
from .amp import GradScaler, autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402
from .amp.autocast import get_autocast_cpu_dtype, get_autocast_gpu_dtype, is_autocast_cpu_enabled  # noqa: E402
__all__ += ["OutOfMemoryError"]
__all__ += ["GradScaler", "amp", "autocast", "get_autocast_dtype", "is_autocast_enabled", "get_num_threads",
            "set_num_threads", "get_autocast_cpu_dtype", "get_autocast_gpu_dtype", "is_autocast_cpu_enabled"]
__all__ += [  # PyTorch's math, rearranging and value queries (anynn.functional.tensor_math), factories
    "acos", "acosh", "add", "addcdiv", "addcmul", "allclose", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh",
    "argwhere", "asin", "asinh", "atan", "atan2", "atanh", "bincount", "bitwise_and", "bitwise_left_shift",
    "bitwise_not", "bitwise_right_shift", "bitwise_or", "bitwise_xor", "bucketize", "cdist", "ceil", "clamp_max",
    "clamp_min", "clip", "cosh", "count_nonzero", "cross", "cumprod", "diag", "diag_embed", "diagonal", "div",
    "divide", "dot", "equal", "erf", "erfc", "exp2", "expm1", "fix", "floor", "floor_divide", "fmod", "frac", "ger",
    "hypot", "is_floating_point", "is_tensor", "isclose", "lerp", "log10", "log1p", "log2", "logaddexp", "logical_and",
    "nextafter",
    "logical_not", "logical_or", "logical_xor", "median", "meshgrid", "moveaxis", "movedim", "mul", "multiply",
    "nan_to_num", "neg", "negative", "nonzero", "outer", "prod", "reciprocal", "remainder", "repeat_interleave",
    "roll", "round", "rsqrt", "searchsorted", "sgn", "sign", "sinh", "square", "std_mean", "sub", "subtract",
    "swapaxes", "swapdims", "t", "tan", "tile", "trace", "true_divide", "trunc", "unbind", "unflatten", "unique",
    "var_mean", "Generator", "as_tensor", "bernoulli", "empty", "empty_like", "get_default_dtype", "linalg",
    "logspace", "normal", "randint_like", "set_default_dtype", "set_printoptions",
    "digamma", "erfinv", "i0", "lgamma", "sinc", "special", "xlogy", "det", "inverse", "slogdet", "fft",
    "igamma", "igammac",
    "istft", "stft",
]
det, inverse, slogdet = _MATRIX_INVERSE["det"], _MATRIX_INVERSE["inverse"], _MATRIX_INVERSE["slogdet"]
from .linalg import cholesky_solve, logdet  # noqa: E402  (torch.cholesky_solve, torch.logdet)
from .functional.linalg_spellings import (cholesky, cholesky_inverse, geqrf, lu, matrix_exp,  # noqa: E402
                                          matrix_power, orgqr, ormqr, pinverse, qr, svd)
from .functional.linalg_ex import lu_unpack  # noqa: E402  (torch.lu_unpack: P, L, U from lu's factors)
from .functional.linalg_tensor import lu_solve_legacy as lu_solve, triangular_solve  # noqa: E402  (the older forms)
from .functional.linalg_tensor import pca_lowrank, svd_lowrank  # noqa: E402  (randomized, on the host generator)
__all__ += ["lu_solve", "pca_lowrank", "svd_lowrank", "triangular_solve"]
from .factories import binomial, poisson  # noqa: E402  (host draws, as rand's)
__all__ += ["binomial", "poisson"]
__all__ += ["cholesky", "cholesky_inverse", "cholesky_solve", "logdet", "lu", "lu_unpack", "matrix_exp", "matrix_power",
            "pinverse", "qr", "svd", "geqrf", "orgqr", "ormqr"]
from .functional.quantile import nanquantile, quantile  # noqa: E402
__all__ += ["nanquantile", "quantile"]
from .functional.composite_math import (broadcast_tensors, deg2rad, dist, fliplr, flipud, inner,  # noqa: E402
                                        isin, logit, mv, positive, rad2deg, ravel)
__all__ += ["broadcast_tensors", "deg2rad", "dist", "fliplr", "flipud", "inner", "isin", "logit", "mv", "positive",
            "rad2deg", "ravel"]
from .functional.composite_more import (addbmm, addmv, addr, copysign, diagflat, dsplit, float_power,  # noqa: E402
                                        fmax, fmin, gcd, heaviside, hsplit, lcm, ldexp, logaddexp2, msort,
                                        nanmedian, rot90, select, signbit, tril_indices, triu_indices,
                                        unravel_index, vsplit)
__all__ += ["addbmm", "addmv", "addr", "copysign", "diagflat", "dsplit", "float_power", "fmax", "fmin", "gcd",
            "heaviside", "hsplit", "lcm", "ldexp", "logaddexp2", "msort", "nanmedian", "rot90", "select", "signbit",
            "tril_indices", "triu_indices", "unravel_index", "vsplit"]
from .functional.type_promotion import can_cast, promote_types, result_type  # noqa: E402
__all__ += ["can_cast", "promote_types", "result_type"]
from .compile import compile  # noqa: E402,A001  (compiled training steps: one jax.jit program, one CUDA graph)
__all__ += ["compile"]
from .functional.activation_inplace import (  # noqa: E402  (torch.relu_, torch.dropout(input, p, train)...)
    alpha_dropout, alpha_dropout_, celu, celu_, dropout, dropout_, feature_alpha_dropout, feature_alpha_dropout_,
    relu, relu_, rrelu, rrelu_, selu, selu_, sigmoid_, tanh_, threshold, threshold_)
__all__ += ["alpha_dropout", "alpha_dropout_", "celu", "celu_", "dropout", "dropout_", "feature_alpha_dropout",
            "feature_alpha_dropout_", "relu", "relu_", "rrelu", "rrelu_", "selu", "selu_", "sigmoid_", "tanh_",
            "threshold", "threshold_"]
from .functional.array_style_ops import diff, take_along_dim, tensor_split, tensordot  # noqa: E402
from .functional.log_cumulative import logcumsumexp  # noqa: E402
from .functional.vector_products import pdist  # noqa: E402  (also F.pdist)
from .functional.selection_reductions import (aminmax, cummax, cummin, kthvalue, mode, nanmean,  # noqa: E402
                                              nansum)
__all__ += ["aminmax", "cummax", "cummin", "diff", "kthvalue", "logcumsumexp", "mode", "nanmean", "nansum",
            "pdist", "take_along_dim", "tensor_split", "tensordot"]
from .functional.array_builders import (atleast_1d, atleast_2d, atleast_3d, block_diag, cartesian_prod,  # noqa: E402
                                        column_stack, combinations, dstack, hstack, kron, row_stack, vstack)
from .functional.array_statistics import corrcoef, cov, histc, histogram, histogramdd, trapezoid, vander  # noqa: E402
__all__ += ["atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "cartesian_prod", "column_stack", "combinations",
            "corrcoef", "cov", "dstack", "histc", "histogram", "histogramdd", "hstack", "kron", "row_stack",
            "trapezoid", "vander", "vstack"]
from . import testing  # noqa: E402  (torch.testing: an attribute after a plain import, as in PyTorch)
from . import _utils  # noqa: E402, F401  (torch._utils._flatten_dense_tensors after a plain import, as in PyTorch)
from . import types  # noqa: E402, F401  (torch.types' typing aliases: Device, Number, _size...)
from .functional.removed_linalg import eig, lstsq, matrix_rank, solve, symeig  # noqa: E402, F401  (refused)
__all__ += ["testing"]
from . import random  # noqa: E402  (torch.random: rng state, fork_rng)
from .random import get_rng_state, initial_seed, seed, set_rng_state  # noqa: E402
__all__ += ["get_rng_state", "initial_seed", "random", "seed", "set_rng_state"]
from . import func  # noqa: E402  (PyTorch's torch.func: functional_call, grad, vmap, jacrev...)
from .func import vmap  # noqa: E402  (torch.vmap is torch.func.vmap)
__all__ += ["func", "vmap"]
from .functional.complex_numbers import (adjoint, angle, complex, conj, conj_physical, imag,  # noqa: E402,A004
                                         is_complex, is_conj, polar, real, resolve_conj, resolve_neg,
                                         view_as_complex, view_as_real)
__all__ += ["adjoint", "angle", "complex", "conj", "conj_physical", "imag", "is_complex", "is_conj", "polar", "real",
            "resolve_conj", "resolve_neg", "view_as_complex", "view_as_real"]
import math as _math  # noqa: E402

inf, nan, pi, e, newaxis = _math.inf, _math.nan, _math.pi, _math.e, None  # torch.inf, torch.pi... (Python numbers)
__all__ += ["e", "inf", "nan", "newaxis", "pi"]
from . import runtime as _runtime  # noqa: E402  (torch.use_deterministic_algorithms, set_default_device...)
from .layout import __all__ as _layout_names  # noqa: E402  (torch.strided, typename, get_device...)
from . import layout as _layout  # noqa: E402
globals().update({name: getattr(_runtime, name) for name in _runtime.__all__})
globals().update({name: getattr(_layout, name) for name in _layout_names})  # anynn.layout: the class, as torch's
from . import compiler, cpu  # noqa: E402  (torch.compiler, torch.cpu)
from .absent_devices import mps, xpu  # noqa: E402  (torch.mps, torch.xpu: never available)
from .functional.torch_toplevel import TOP_LEVEL as _TOP_LEVEL  # noqa: E402  (torch.conv2d, torch.batch_norm...)
globals().update(_TOP_LEVEL)
__all__ += [*_runtime.__all__, *_layout_names, "compiler", "cpu", "mps", "xpu", *_TOP_LEVEL]
from .init import default_generator as _default_generator  # noqa: E402
default_generator = _default_generator()  # torch.default_generator: anynn.manual_seed reseeds this very object
__all__ += ["default_generator"]
from . import host_factories as _host_factories  # noqa: E402  (torch.asarray, torch.frombuffer, torch.hann_window...)
from .functional import torch_calculus as _calculus, torch_scatter_views as _scatter_views  # noqa: E402
from .functional import torch_small_ops as _small_ops  # noqa: E402  (torch.greater, torch.vdot, torch.frexp...)
from .functional import torch_rnn_cells as _rnn_cells  # noqa: E402  (torch.lstm_cell, torch.gru_cell...)
from .functional import segment_reduce as _segments  # noqa: E402  (torch.segment_reduce)
from .functional.polygamma import polygamma  # noqa: E402  (torch.polygamma, also anynn.special's)
from .functional.torch_inplace import TWINS as _INPLACE_TWINS  # noqa: E402  (torch.exp_(x) is x.exp_())
for _module in (_host_factories, _small_ops, _calculus, _scatter_views, _rnn_cells, _segments):
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})
    __all__ += list(_module.__all__)
globals().update(_INPLACE_TWINS)
_assert = _small_ops._assert  # torch._assert: private in PyTorch, so not in __all__
_segment_reduce = _segments.segment_reduce  # torch._segment_reduce (PyG's segment): private
from .functional.torch_foreach import FOREACH as _FOREACH  # noqa: E402  (torch._foreach_add_...: private)
globals().update(_FOREACH)
__all__ += sorted(_INPLACE_TWINS)
__all__ += ["polygamma"]
from .functional.view_copies import copies as _view_copies  # noqa: E402  (torch.view_copy, torch.split_copy...)
_COPIES = _view_copies()
globals().update(_COPIES)
__all__ += sorted(_COPIES)
from . import signal  # noqa: E402  (PyTorch's torch.signal.windows)
__all__ += ["signal"]
from .out_argument import install as _install_out_arguments  # noqa: E402
_install_out_arguments(globals())  # PyTorch's out= keyword on torch.add, torch.sum, torch.zeros...
from .pin_memory_argument import install as _install_pin_memory  # noqa: E402
_install_pin_memory(globals())  # torch.zeros(n, pin_memory=True): PyTorch's RuntimeError without a GPU
from .functional.numpy_spellings import install as _install_numpy_spellings  # noqa: E402
_install_numpy_spellings(globals(), __all__)  # torch.prod(x, -1, keepdims=True), torch.squeeze(x, axis=0)
from .functional.parser_names import install as _install_parser_names  # noqa: E402
_install_parser_names(globals(), "anynn")  # torch.cholesky_solve(input=B, input2=L), torch.split(tensor=x, ...)


def __getattr__(name: str) -> object:
    """``anynn.multiprocessing``, ``anynn.distributed``, ``anynn.onnx``, ``anynn.jit``, ``anynn.fx``,
    ``anynn.profiler``, ``anynn.hub``, ``anynn.library`` (and its ``anynn.ops``), ``anynn.nested`` and
    ``anynn.export`` (refused by name), ``anynn.overrides``, ``anynn.masked`` and the compiler settings
    (``anynn._dynamo``, ``anynn._inductor``, ``anynn._functorch``, ``anynn._logging``) after a plain ``import anynn``,
    as ``torch.multiprocessing``, ``torch.onnx``... after ``import torch``.

    Imported on first use: they load the standard ``multiprocessing`` package, the MPI layer or the exporter, which
    most programs never need.
    """
    if name in ("multiprocessing", "distributed", "onnx", "jit", "fx", "profiler", "hub", "nested", "export",
                "overrides", "masked", "_dynamo", "_inductor", "_functorch", "library", "_higher_order_ops",
                "_logging"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name == "ops":  # torch.ops: the operators defined with anynn.library.custom_op
        from .library import ops

        return ops
    if name == "cond":  # torch.cond: the branch taken, run eagerly
        from ._higher_order_ops.eager import cond

        return cond
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
