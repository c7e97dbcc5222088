"""``torch._dynamo.utils``: ``counters``, the table TorchDynamo counts its graphs, graph breaks and recompiles in
(``counters["stats"]["unique_graphs"]``), which programs clear and read around ``torch.compile``.

anynn has no TorchDynamo, so nothing counts into it: it holds what a program puts there, and reads give 0.
"""

from __future__ import annotations

import collections

__all__ = ["counters"]

counters: collections.defaultdict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
