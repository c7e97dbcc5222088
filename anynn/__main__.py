"""``python -m anynn info``: the ``anynn`` console script (`anynn.cli`) where the script is not on ``PATH``."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
