"""`anynn.profiler` and `anynn.autograd.profiler`: real times per Function (forward and backward) and per
`record_function` range, PyTorch's schedule and step ranges, the table and a valid Chrome trace."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import anynn
from anynn.autograd.primitive import Function
from anynn.profiler import (ProfilerAction, ProfilerActivity, profile, record_function, schedule,
                            tensorboard_trace_handler)
from tests.helpers import make

FORWARD_S, BACKWARD_S = 0.02, 0.01


class SlowFunction(Function):
    """y = 2 x, with a forward and a backward of known length."""

    def forward(self, xp, x):
        time.sleep(FORWARD_S)
        return 2 * x

    def backward(self, xp, g):
        time.sleep(BACKWARD_S)
        return 2 * g


def _by_key(events):
    return {e.key: e for e in events}


def test_each_function_and_range_is_timed_with_its_calls(backend):
    x = make(backend, np.arange(6.0).reshape(2, 3), requires_grad=True)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("two steps"):
            for _ in range(2):
                SlowFunction.apply(x).sum().backward()
    averages = _by_key(prof.key_averages())
    forward, backward, outer = averages["SlowFunction"], averages["SlowFunction.backward"], averages["two steps"]
    assert forward.count == backward.count == 2 and outer.count == 1 and averages["Sum"].count == 2
    assert 2 * FORWARD_S * 1e6 <= forward.cpu_time_total < outer.cpu_time_total
    assert 2 * BACKWARD_S * 1e6 <= backward.cpu_time_total < outer.cpu_time_total
    assert forward.cpu_time == pytest.approx(forward.cpu_time_total / 2)
    # a range's self time is its total less the ranges inside it; the self times add up to the outermost range
    # (no ProfilerStep#0 around it without a schedule, as PyTorch's: it had one, a row the recipes' tables lack)
    inside = sum(e.cpu_time_total for e in averages.values() if e.key != "two steps")
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - inside, abs=1e-2)
    assert prof.events().self_cpu_time_total == pytest.approx(outer.cpu_time_total, abs=1e-2)
    assert "ProfilerStep*" not in averages
    shapes = _by_key(prof.key_averages(group_by_input_shape=True))
    assert shapes["SlowFunction"].input_shapes == [[2, 3]] and shapes["SlowFunction.backward"].input_shapes == [[2, 3]]


def test_functions_are_timed_only_while_a_profile_records():
    original = SlowFunction.forward
    with anynn.autograd.profiler.profile() as prof:
        assert SlowFunction.forward is not original
        with pytest.raises(RuntimeError, match="did not finish"):
            prof.key_averages()
    assert SlowFunction.forward is original  # put back when the last profile stops
    with record_function("nobody listens"):  # no profile: nothing recorded, nothing fails
        SlowFunction.apply(anynn.ones(2))
    assert [e.key for e in prof.function_events] == []


def test_optimizer_step_and_zero_grad_show_as_torchs_ranges():
    """``Optimizer.step#<class>.step`` and ``Optimizer.zero_grad#<class>.zero_grad``, named after the instance's
    class (a subclass without its own step too), with step hooks still run inside; nothing outside a profile."""
    import torch

    class Plain(anynn.optim.SGD):
        pass

    names = []
    for lib in (torch, anynn):
        p = lib.nn.Parameter(lib.zeros(2))
        opts = [lib.optim.Adam([p], lr=0.1), Plain([p], lr=0.1) if lib is anynn else
                type("Plain", (torch.optim.SGD,), {})([p], lr=0.1)]
        seen = []
        opts[0].register_step_post_hook(lambda *_, seen=seen: seen.append(1))
        with lib.profiler.profile() as prof:
            for opt in opts:
                p.sum().backward()
                opt.step()
                opt.zero_grad()
        assert seen == [1]
        names.append(sorted(e.key for e in prof.key_averages() if e.key.startswith("Optimizer.")))
    assert names[0] == names[1] == ["Optimizer.step#Adam.step", "Optimizer.step#Plain.step",
                                    "Optimizer.zero_grad#Adam.zero_grad", "Optimizer.zero_grad#Plain.zero_grad"]


def test_autograd_profiler_and_record_function_as_a_decorator_as_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        @lib.autograd.profiler.record_function("block")
        def block(layer, x):
            return layer(x).relu().sum()

        layer = lib.nn.Linear(4, 3)
        with lib.autograd.profiler.profile(record_shapes=True) as prof:
            for _ in range(3):
                block(layer, lib.ones(5, 4)).backward()
        return prof

    ours, theirs = run(anynn), run(torch)
    assert _by_key(ours.key_averages())["block"].count == _by_key(theirs.key_averages())["block"].count == 3
    assert str(ours).splitlines()[1].split() == str(theirs).splitlines()[1].split()  # the same columns
    assert ours.total_average().key == theirs.total_average().key == "Total"
    assert ours.self_cpu_time_total > 0


@pytest.mark.parametrize("options", [dict(wait=1, warmup=1, active=2, repeat=1), dict(wait=0, warmup=1, active=1),
                                     dict(wait=2, warmup=1, active=3, repeat=2, skip_first=1),
                                     dict(wait=2, warmup=1, active=1, skip_first_wait=1)], ids=str)
def test_schedule_and_steps_as_torch(options):
    torch = pytest.importorskip("torch")

    def run(lib):
        steps_ready = []
        action = lib.profiler.schedule(**options)
        layer = lib.nn.Linear(4, 3)
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU], schedule=action,
                                  on_trace_ready=lambda p: steps_ready.append(p.step_num)) as prof:
            for _ in range(9):
                with lib.profiler.record_function("model_inference"):
                    layer(lib.ones(2, 4)).sum().backward()
                prof.step()
        counts = {e.key: e.count for e in prof.key_averages() if e.key in ("ProfilerStep*", "model_inference")}
        return [action(i).name for i in range(12)], steps_ready, counts

    assert run(anynn) == run(torch)


def test_schedule_refuses_bad_numbers():
    with pytest.raises(ValueError, match="active must be a positive integer, got 0"):
        schedule(wait=1, warmup=1, active=0)
    with pytest.raises(ValueError, match="wait must be a non-negative integer"):
        schedule(wait=-1, warmup=1, active=1)
    with pytest.warns(UserWarning, match="warmup"):
        assert schedule(wait=0, warmup=0, active=1)(0) is ProfilerAction.RECORD_AND_SAVE


def test_table_sorts_limits_and_refuses_an_unknown_key_as_torch():
    x = anynn.ones(3, requires_grad=True)
    with profile() as prof:
        SlowFunction.apply(x).sum().backward()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=2)
    lines = table.splitlines()
    assert lines[1].split()[:4] == ["Name", "Self", "CPU", "%"] and lines[-1].startswith("Self CPU time total: ")
    assert [line.split()[0] for line in lines[3:5]] == ["SlowFunction", "SlowFunction.backward"]
    assert len(lines) == 7  # three rules, the header, two rows, the total
    with pytest.raises(AttributeError, match="nonsense"):
        prof.key_averages().table(sort_by="nonsense")


def test_memory_columns_and_stacks_as_torch(tmp_path):
    """profile_memory keeps each Function's result bytes (Linear's (2, 8) float32: 64 B, as aten::linear's) and a
    range's total of those inside it, less the frees while it is open (the range's own memory below 0, as PyTorch's
    (0, -160) for "model", whose randn anynn does not count); a free outside every range is a [memory] event (frees
    were not seen before); the table gains PyTorch's memory columns; with_stack gives export_stacks' flame-graph
    lines (both were accepted and kept nothing)."""
    from torch.autograd.profiler_util import _format_memory

    from anynn.autograd.profiler_util import _format_memory as format_memory

    expected = 64  # PyTorch 2.13's aten::linear event of this call (its profiler costs seconds to start: not run)
    layer = anynn.nn.Linear(4, 8)
    with profile(profile_memory=True, with_stack=True) as prof:
        with record_function("model"):
            anynn.relu(layer(anynn.randn(2, 4)))
        kept = anynn.exp(anynn.ones(2, 4))
        del kept  # freed outside every range
    events = _by_key(prof.events())
    assert events["LinearFunction"].self_cpu_memory_usage == events["LinearFunction"].cpu_memory_usage == expected
    assert (events["model"].cpu_memory_usage, events["model"].self_cpu_memory_usage) == (0, -2 * expected)
    assert (events["[memory]"].cpu_memory_usage, events["[memory]"].self_cpu_memory_usage) == (-32, -32)
    assert prof.key_averages().table().splitlines()[1].split()[-7:] == ["Mem", "Self", "CPU", "Mem", "#", "of", "Calls"]
    for n in (0, 1023, 1024, 5 * 1024 ** 2 + 3, -3 * 1024 ** 3):
        assert format_memory(n) == _format_memory(n)
    prof.export_stacks(tmp_path / "stacks.txt")
    lines = (tmp_path / "stacks.txt").read_text().splitlines()
    assert len(lines) == 4 and all(int(line.rsplit(" ", 1)[1]) > 0 for line in lines)
    assert all("test_memory_columns_and_stacks_as_torch" in line for line in lines)
    assert lines[0].rsplit(" ", 1)[0].rsplit(";", 1)[1].endswith("test_memory_columns_and_stacks_as_torch")  # model
    with pytest.raises(ValueError, match="metric should be one of"):
        prof.export_stacks(tmp_path / "stacks.txt", "cpu_time_total")
    with profile() as plain, pytest.raises(AssertionError, match=r"export_stacks\(\) requires with_stack=True"):
        plain.stop()
        plain.export_stacks(tmp_path / "stacks.txt")


def test_chrome_trace_is_valid_json_with_nested_complete_events(tmp_path):
    x = anynn.ones(3, requires_grad=True)
    with profile(record_shapes=True) as prof:
        with record_function("outer"):
            SlowFunction.apply(x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = [e for e in json.loads(path.read_text())["traceEvents"] if e["ph"] == "X"]
    by_name = {e["name"]: e for e in events}
    assert set(by_name) == {"outer", "SlowFunction", "SlowFunction.backward", "Sum", "Sum.backward"}
    outer, inner = by_name["outer"], by_name["SlowFunction"]
    assert outer["ts"] <= inner["ts"] and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"]
    assert inner["dur"] >= FORWARD_S * 1e6 and inner["args"]["Input Dims"] == [[3]]
    assert outer["cat"] == "user_annotation" and inner["cat"] == "cpu_op"


def test_tensorboard_trace_handler_writes_one_trace_per_recording(tmp_path):
    handler = tensorboard_trace_handler(str(tmp_path / "log"), worker_name="w0")
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=2), on_trace_ready=handler) as prof:
        for _ in range(5):
            SlowFunction.apply(anynn.ones(2))
            prof.step()
    files = sorted((tmp_path / "log").iterdir())
    assert len(files) == 2 and all(f.name.startswith("w0.") and f.name.endswith(".pt.trace.json") for f in files)
    for f in files:
        names = [e["name"] for e in json.loads(f.read_text())["traceEvents"] if e["ph"] == "X"]
        assert names.count("SlowFunction") == 1  # the warm-up step's call is left out
