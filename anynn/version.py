"""anynn's version, at the bottom of the package: files record it (`anynn.io`) without importing anynn itself."""

from collections.abc import Callable

__version__ = "0.1.0"

# the PyTorch release whose names and behaviour anynn follows (and tests against: the test extra's torch pin)
torch_api = "2.13.0"

# ``torch.version``'s other build facts, as PyTorch's CPU build answers them: no ROCm/HIP, no XPU, a release build
hip: str | None = None
rocm: str | None = None
xpu: str | None = None
debug = False


# ``version.cuda``'s answer, set by `anynn.cuda_memory` (a layer above: this module imports nothing of anynn)
cuda_version_of_default_backend: Callable[[], str | None] = lambda: None  # noqa: E731


def __getattr__(name: str) -> object:
    """``anynn.version.cuda`` (PyTorch's ``torch.version.cuda``): the CUDA version of the library "cuda" means for the
    default backend ("12.4": CuPy's CUDA runtime, or PyTorch's build), ``None`` where that library has no CUDA."""
    if name != "cuda":
        raise AttributeError(f"module 'anynn.version' has no attribute {name!r}")
    return cuda_version_of_default_backend()
