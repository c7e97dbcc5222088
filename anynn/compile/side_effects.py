"""What a compiled step may not change on the Python side, and the Python values it reads as constants.

Shared by every compiled path (`traced`, `captured`): `static_key` is the part of a program's cache key that
Python values make (a change compiles a new program); `check_side_effects` refuses a step that stepped a
scheduler or drew from a host generator (the default one, or one given with ``generator=``), and asks for a new
discovery (`Rediscover`) when the step created generators its layers keep.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd import autocast_mode, mode
from ..init import default_generator
from .errors import side_effect_error
from .layout import option_inputs
from .state import StepState, module_generators

_EXCLUDED_OPTIONS = ("params", "lr", "initial_lr")


class Rediscover(Exception):
    """Raised out of a trace: the step created generators that belong to the state; trace again with them."""


def static_key(st: StepState, inputs: bool = False) -> tuple[Any, ...]:
    """The Python values a trace reads as constants: a change compiles a new program (cached). Among them the
    modules' plain attributes (`_settings`) and a GradScaler's scale (a host number, which ``scaler.scale(loss)``
    multiplies by: it changes every ``growth_interval`` clean steps and after a step with inf/NaN gradients).
    ``inputs``: the program takes the scales and the option values of `layout.option_inputs` as arrays (a traced
    step), so they are left out."""
    options = tuple(_options(opt, group, inputs) for opt in st.optimizers for group in opt.param_groups)
    autocast = autocast_mode.state
    return (mode.local.modes.grad_enabled, autocast.cpu, autocast.cuda, tuple(_settings(m) for m in st.modules),
            options, tuple(g.seed for g in st.counter_generators),
            tuple((s.is_enabled(), None if inputs else s.get_scale()) for s in st.scalers))


_PLAIN = (bool, int, float, str, type(None))


def _settings(module: Any) -> tuple[Any, ...]:
    """A module's plain attributes (``training``, Dropout's ``p``, LeakyReLU's ``negative_slope``, a ``temperature``
    the model's forward reads; tuples of them): the trace reads them as constants, so a change compiles again."""
    return tuple(v for v in vars(module).values()
                 if isinstance(v, _PLAIN) or (isinstance(v, tuple) and all(isinstance(i, _PLAIN) for i in v)))


def _options(opt: Any, group: dict[str, Any], inputs: bool = False) -> tuple[Any, ...]:
    """A group's options other than lr, hashable (the common case costs one tuple of its values); ``inputs``: those
    `layout.option_inputs` names stand as a mark (their values go in as arrays)."""
    if inputs:
        group = _marked(opt, group)
    values = tuple(v for k, v in group.items() if k not in _EXCLUDED_OPTIONS)
    try:
        hash(values)
    except TypeError:
        return tuple((k, _hashable(v)) for k, v in group.items() if k not in _EXCLUDED_OPTIONS)
    return tuple(group) + values


def _marked(opt: Any, group: dict[str, Any]) -> dict[str, Any]:
    """``group`` with each option value that goes into a traced step as an array replaced by a mark."""
    found = option_inputs(opt, group)
    if not found:
        return group
    out = dict(group)
    for key, i, _ in found:
        if i < 0:
            out[key] = _INPUT
        else:
            held = list(out[key])
            held[i] = _INPUT
            out[key] = tuple(held)
    return out


_INPUT = "<an input of the program>"


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return id(value)
    return value


def scheduler_marks(scheduler: Any) -> tuple[Any, ...]:
    return (getattr(scheduler, "last_epoch", None), getattr(scheduler, "_step_count", None))


def check_side_effects(st: StepState, schedulers_before: list[Any], host_before: Any,
                        created: list[tuple[Any, Any, dict[str, Any]]],
                        given: Sequence[tuple[Any, dict[str, Any]]] = ()) -> None:
    for scheduler, before in zip(st.schedulers, schedulers_before):
        if scheduler_marks(scheduler) != before:
            raise side_effect_error(f"{type(scheduler).__name__}.step() was called",
                                    "Call the scheduler's step() outside the compiled step: its new learning "
                                    "rate goes into the next call as an array, without compiling again.")
    held = module_generators(st.modules) if created else []
    persistent = [(g, state) for g, _, state in created if any(g is h for h in held)]
    if persistent:
        # a layer made its generator at first use (seeding it from the host generator when unseeded, as the
        # eager first call does): keep it, rewind its stream, and trace again with its counter as an input
        for g, state in persistent:
            g.set_state(state)
        raise Rediscover()
    for g, seed, state in created:
        if seed is None and g.state() != state:
            raise side_effect_error(
                "an unseeded generator was created and drew numbers (for example F.dropout(x, p) without "
                "generator=)", "Use a Dropout layer, or make a generator outside the step "
                "(backend.rng(seed)) and pass it with generator=.")
    if any(g.bit_generator.state != state for g, state in given):
        raise side_effect_error("a host generator given with generator= (an anynn.Generator or a NumPy Generator) "
                                "drew numbers", "Draw on the device (a Dropout layer, or a backend generator made "
                                "outside the step), or draw outside the step and pass the tensor in.")
    if default_generator().bit_generator.state != host_before:
        raise side_effect_error("anynn's host generator drew numbers (anynn.rand/randn/randperm, an initializer, "
                                "F.dropout without generator=, which seeds a new generator from it)",
                                "Draw on the device (a Dropout layer, or a backend generator made outside the "
                                "step), or draw outside the step and pass the tensor in.")
