"""``torch._inductor.utils``: ``fresh_inductor_cache``, the block PyTorch's compile-time recipes (regional
compilation) time a first call in, so that no kernel cached by an earlier run is reused.

anynn has no Inductor and no on-disk kernel cache: a `CompiledStep` keeps its programs in memory and
``CompiledStep.reset()`` forgets them. The block runs its body as it is.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["fresh_cache", "fresh_inductor_cache"]


@contextmanager
def fresh_cache(cache_entries: dict[str, Any] | None = None, dir: str | None = None,  # noqa: A002 (PyTorch's)
                delete: bool = True) -> Iterator[None]:
    """``with fresh_inductor_cache():`` around a first compiled call; ``cache_entries`` (an empty dict, as PyTorch
    requires) stays empty: no kernel files are written."""
    if isinstance(cache_entries, dict) and cache_entries:
        raise AssertionError("expected empty cache_entries dict")
    yield


fresh_inductor_cache = fresh_cache
