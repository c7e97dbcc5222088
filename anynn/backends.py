"""``anynn.backends``: PyTorch's ``torch.backends`` switches, accepted so ported programs run unchanged.

The flags are plain settable attributes. anynn reads none of them: its results do not depend on cuDNN
autotuning (CuPy runs without cuDNN; the PyTorch backend keeps PyTorch's own settings, which these do
not change), and TF32 is never switched on behind the user's back. See the "Differences from PyTorch" page.
"""

from __future__ import annotations

import contextlib
import sys
import types
import warnings
from typing import Iterator


class _Flags(types.ModuleType):
    """A namespace of settable flags (``anynn.backends.cudnn.benchmark = True``), importable as a module."""

    def __init__(self, name: str, **flags: object) -> None:
        super().__init__(f"{__name__}.{name}")
        self._name = name
        self.__dict__.update(flags)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and not callable(v))
        return f"anynn.backends.{self._name}({items})"


def _no() -> bool:
    return False


def _cuda_available() -> bool:
    from . import cuda as _cuda

    return _cuda.is_available()


_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _sdp_switches() -> dict[str, object]:
    """``enable_flash_sdp(False)`` / ``flash_sdp_enabled()`` and the other three kernels' pairs: switches kept and read
    back; anynn's attention is the same whichever kernels are on."""
    def getter(kernel: str) -> object:
        return lambda: _SDP[kernel]

    def setter(kernel: str) -> object:
        def enable(enabled: bool) -> None:
            _SDP[kernel] = bool(enabled)
        return enable

    return {**{f"{k}_sdp_enabled": getter(k) for k in _SDP}, **{f"enable_{k}_sdp": setter(k) for k in _SDP}}


@contextlib.contextmanager
def _sdp_kernel(enable_flash: bool = True, enable_math: bool = True, enable_mem_efficient: bool = True,
                enable_cudnn: bool = True) -> Iterator[dict[str, object]]:
    """``torch.backends.cuda.sdp_kernel(...)`` (deprecated for ``torch.nn.attention.sdpa_kernel``, and warned of as
    PyTorch warns): the four switches set inside the block, restored after it."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=3)
    before = dict(_SDP)
    _SDP.update(flash=bool(enable_flash), math=bool(enable_math), mem_efficient=bool(enable_mem_efficient),
                cudnn=bool(enable_cudnn))
    try:
        yield {}
    finally:
        _SDP.update(before)


def _flags_block(namespace: _Flags, **settings: object) -> contextlib.AbstractContextManager[None]:
    """``with torch.backends.cudnn.flags(enabled=False):`` (the double-backward workaround of MAML and WGAN-GP
    code): every one of the block's flags set, PyTorch's defaults for those not given, restored after it."""
    @contextlib.contextmanager
    def block() -> Iterator[None]:
        before = {name: getattr(namespace, name) for name in settings}
        namespace.__dict__.update(settings)
        try:
            yield None
        finally:
            namespace.__dict__.update(before)
    return block()


def _cudnn_flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
                 deterministic: bool = False, allow_tf32: bool = True, fp32_precision: str = "none",
                 depthwise_kernel: str = "auto") -> contextlib.AbstractContextManager[None]:
    """``torch.backends.cudnn.flags``: its switches for the block (anynn reads none of them)."""
    return _flags_block(cudnn, enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                        deterministic=deterministic, allow_tf32=allow_tf32)


def _mkldnn_flags(enabled: bool = False, deterministic: bool = False, allow_tf32: bool = True,
                  fp32_precision: str = "none") -> contextlib.AbstractContextManager[None]:
    """``torch.backends.mkldnn.flags``: its switches for the block (anynn reads none of them)."""
    return _flags_block(mkldnn, enabled=enabled, deterministic=deterministic, allow_tf32=allow_tf32)


cudnn = _Flags("cudnn", enabled=True, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
               is_available=_no, version=lambda: None, flags=_cudnn_flags)
cuda = _Flags("cuda", matmul=_Flags("cuda.matmul", allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                    allow_bf16_reduced_precision_reduction=True),
              is_built=_cuda_available, sdp_kernel=_sdp_kernel, **_sdp_switches())
mps = _Flags("mps", is_available=_no, is_built=_no)
mkldnn = _Flags("mkldnn", enabled=True, deterministic=False, allow_tf32=True, is_available=_no, flags=_mkldnn_flags)
openmp = _Flags("openmp", is_available=_no)

_MATMUL_PRECISIONS = ("highest", "high", "medium")
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's float32 matrix-product precision hint (``"highest"``, ``"high"``, ``"medium"``): kept and read
    back by `get_float32_matmul_precision`, like the flags above; anynn's products stay float32 whatever it says."""
    if precision not in _MATMUL_PRECISIONS:  # PyTorch warns and keeps the current value
        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', 'high' or 'medium'; "
                      "the call has no effect", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The value last given to `set_float32_matmul_precision` (``"highest"`` until then), as PyTorch."""
    return _matmul_precision[0]


# `import torch.backends.cudnn as cudnn` (dcgan, imagenet) imports the namespace as a module
for _flags in (cudnn, cuda, mps, mkldnn, openmp):
    sys.modules.setdefault(_flags.__name__, _flags)

__all__ = ["cuda", "cudnn", "get_float32_matmul_precision", "mkldnn", "mps", "openmp",
           "set_float32_matmul_precision"]
