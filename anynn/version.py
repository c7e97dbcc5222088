"""anynn's version, at the bottom of the package: files record it (`anynn.io`) without importing anynn itself.

``__version__`` is what a ported program reads as ``torch.__version__``: the PyTorch release whose names and
behaviour anynn follows, with anynn's own release as its local label (``"2.13.0+anynn.0.1.0"``, as PyTorch's builds
read ``"2.13.0+cpu"``), so a program's gate on the PyTorch version (``version.parse(torch.__version__) >=
version.parse("2.0")`` before flash attention) takes the branch anynn implements. ``release`` is anynn's own.
"""

import re
from collections.abc import Callable
from typing import Any

# anynn's own release (the distribution's version, pyproject.toml)
release = "0.1.0"

# the PyTorch release whose names and behaviour anynn follows (and tests against: the test extra's torch pin)
torch_api = "2.13.0"

_PEP440 = re.compile(r"v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|rc)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9.]+))?",
                     re.IGNORECASE)
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}


def _version_key(text: str) -> tuple[Any, ...] | None:
    """A sort key of a PEP 440 version string (release, pre-release, dev, local), or None if it is not one."""
    match = _PEP440.fullmatch(text.strip())
    if match is None:
        return None
    numbers, pre, pre_n, dev, local = match.groups()
    release_parts = [int(n) for n in numbers.split(".")]
    while len(release_parts) > 1 and release_parts[-1] == 0:  # 2.0 == 2.0.0
        release_parts.pop()
    pre_key = (_PRE_RANK[pre.lower()], int(pre_n or 0)) if pre else (-1, 0) if dev is not None else (3, 0)
    dev_key = (0, int(dev or 0)) if dev is not None else (1, 0)
    local_key = tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in local.split(".")) if local else ()
    return tuple(release_parts), pre_key, dev_key, local_key


class TorchVersion(str):
    """PyTorch's ``torch.__version__`` type: a string that compares as a version with version strings, tuples
    (``(2, 0)``) and ``packaging`` versions; other strings compare as strings."""

    __slots__ = ()

    def _compare(self, other: Any, method: str) -> bool:
        mine = _version_key(self)
        theirs = _version_key(".".join(str(v) for v in other) if isinstance(other, (tuple, list))
                              else other if isinstance(other, str) else str(other))
        if mine is None or theirs is None:
            return getattr(str(self), method)(other)
        return getattr(mine, method)(theirs)

    def __lt__(self, other: Any) -> bool:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> bool:
        return self._compare(other, "__le__")

    def __gt__(self, other: Any) -> bool:
        return self._compare(other, "__gt__")

    def __ge__(self, other: Any) -> bool:
        return self._compare(other, "__ge__")

    def __eq__(self, other: object) -> bool:
        return self._compare(other, "__eq__")

    def __ne__(self, other: object) -> bool:
        return not self._compare(other, "__eq__")

    __hash__ = str.__hash__


__version__ = TorchVersion(f"{torch_api}+anynn.{release}")

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
