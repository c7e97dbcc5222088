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


def _fuzzed(lib, int32):
    """Twelve draws of a Fuzzer over the spec kinds the benchmark recipe and PyTorch's op fuzzers use."""
    fuzzer = lib.Fuzzer(
        parameters=[lib.FuzzedParameter("k0", minval=1, maxval=10000, distribution="loguniform"),
                    [lib.FuzzedParameter("k1", 1, 10000, distribution="loguniform"),
                     lib.FuzzedParameter("s", 1, 3, distribution="uniform"),
                     lib.FuzzedParameter("f", 0.0, 1.0, distribution="uniform")],
                    lib.FuzzedParameter("k2", 1, 64, distribution="loguniform", strict=True),
                    lib.FuzzedParameter("nd", 1, 3, distribution="uniform")],
        tensors=[lib.FuzzedTensor("x", size=("k0", "k1"), min_elements=128, max_elements=10**6,
                                  probability_contiguous=0.6),
                 lib.FuzzedTensor("y", size=("k2", 1, "k1"), steps=(1, "s", 2), max_allocation_bytes=4 * 10**6,
                                  probability_contiguous=0.3),
                 lib.FuzzedTensor("z", size=("k2", 3, 5), dim_parameter="nd", dtype=int32)],
        constraints=[lambda params: params["k0"] != 7], seed=0)
    draws = [(params, {k: tuple(v.shape) for k, v in tensors.items()},
              {k: (p["numel"], p["order"].tolist(), p["steps"], p["is_contiguous"]) for k, p in properties.items()})
             for tensors, properties, params in fuzzer.take(12)]
    return draws, fuzzer.rejection_rate


def test_fuzzer_draws_pytorchs_parameters_sizes_and_layouts():
    import torch

    import anynn

    draws, rate = _fuzzed(mine, anynn.int32)
    assert (draws, rate) == _fuzzed(theirs, torch.int32)
    assert {flags[3] for _, _, properties in draws for flags in properties.values()} == {True, False}
