"""anynn.utils.benchmark against torch.utils.benchmark (torch 2.13 the oracle): PyTorch's benchmark recipe times
statements with Timer and tabulates them with Compare (ModuleNotFoundError before)."""

from __future__ import annotations

import re

import pytest
import torch.utils.benchmark as theirs

import anynn.utils.benchmark as mine


def _shape(text: str) -> str:
    """A printout with its numbers, units and object address taken out."""
    return re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?|\b(ns|us|ms|s)\b", "#", text)


def test_timer_measurements_print_as_pytorchs():
    made = []
    for lib in (theirs, mine):
        timer = lib.Timer("x * y", "x = torch.ones(128); y = torch.ones(1)", label="mul", sub_label="128 x 1",
                          description="broadcast")
        once = timer.timeit(20)
        blocks = timer.blocked_autorange(min_run_time=0.005)
        assert once.number_per_run == 20 and len(once.times) == 1 and once.title == "mul: 128 x 1"
        assert sum(blocks.raw_times) >= 0.005 and blocks.median > 0 and 1 <= blocks.significant_figures <= 4
        made.append((_shape(repr(once)), lib.Compare([once, blocks])))
    assert made[0][0] == made[1][0]
    table = str(made[1][1]).splitlines()
    assert table[0].startswith("[") and "mul" in table[0] and table[2].startswith("1 threads: ---")
    assert table[3].strip().startswith("128 x 1  |") and table[-1].startswith("Times are in")


def test_timer_statements_see_anynn_as_torch_and_refuse_cpp():
    seen: list[str] = []
    mine.Timer("seen.append(torch.__name__)", globals={"seen": seen}).timeit(1)
    assert seen[-1] == "anynn"
    with pytest.raises(NotImplementedError, match="C\\+\\+"):
        mine.Timer("x * y;", language=mine.Language.CPP)
