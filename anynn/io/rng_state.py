"""Random-generator states for checkpoints: one capture and one restore per generator kind.

Kinds: anynn backend generators (`DeviceRNG`), NumPy's ``Generator`` and ``RandomState``, Python's
``random.Random``, and a library's own generators (``torch.Generator``), which its `Backend` class
reads and writes (``generator_state`` / ``set_generator_state``), so no library is named here.
A state is ``{"kind": ..., "state": ...}`` (plus ``"backend"`` for anynn generators), JSON with arrays.
"""

from __future__ import annotations

import random
import warnings
from typing import Any, Callable

import numpy as np

from .. import init
from ..backend import DeviceRNG, get_backend
from ..backend.registry import backend_class_of
from .file_checks import CorruptFileError, restoring


def _capture_anynn(rng: DeviceRNG) -> dict[str, Any]:
    return {"kind": "anynn", "backend": rng.backend.key, "state": rng.state()}


def _capture_numpy_generator(rng: np.random.Generator) -> dict[str, Any]:
    return {"kind": "numpy.Generator", "state": rng.bit_generator.state}


def _capture_numpy_random_state(rng: np.random.RandomState) -> dict[str, Any]:
    return {"kind": "numpy.RandomState", "state": rng.get_state(legacy=False)}


def _capture_python_random(rng: random.Random) -> dict[str, Any]:
    return {"kind": "random.Random", "state": rng.getstate()}


def _restore_anynn(rng: DeviceRNG, state: Any) -> None:
    rng.set_state(state)


def _restore_numpy_generator(rng: np.random.Generator, state: Any) -> None:
    rng.bit_generator.state = state


def _restore_numpy_random_state(rng: np.random.RandomState, state: Any) -> None:
    rng.set_state(state)


def _restore_python_random(rng: random.Random, state: Any) -> None:
    rng.setstate(state)


# type -> (capture, restore); checked in order with isinstance
_KINDS: list[tuple[type, Callable[[Any], dict[str, Any]], Callable[[Any, Any], None]]] = [
    (DeviceRNG, _capture_anynn, _restore_anynn),
    (np.random.Generator, _capture_numpy_generator, _restore_numpy_generator),
    (np.random.RandomState, _capture_numpy_random_state, _restore_numpy_random_state),
    (random.Random, _capture_python_random, _restore_python_random),
]


def _library_of(rng: Any) -> Any:
    """The `Backend` class whose library made ``rng`` (a ``torch.Generator``...), or ``None``."""
    cls = backend_class_of(rng)
    return cls if cls is not None and cls.generator_kind and cls.is_generator(rng) else None


def capture(rng: Any, name: Any) -> dict[str, Any]:
    """The state of the generator ``rngs[name]`` handed to `save_checkpoint`."""
    for kind, capture_kind, _ in _KINDS:
        if isinstance(rng, kind):
            return capture_kind(rng)
    library = _library_of(rng)
    if library is not None:
        return {"kind": library.generator_kind, "state": library.generator_state(rng)}
    raise TypeError(f"save_checkpoint: rngs[{name!r}] is a {type(rng).__name__}; expected an anynn backend "
                    "generator, a numpy Generator/RandomState, a random.Random or a torch.Generator")


def restore(path: Any, rng: Any, saved: Any, name: str) -> None:
    """Give ``rng`` (``rngs[name]`` of `load_checkpoint`) the state ``saved`` that `capture` made."""
    try:
        kind, state = saved["kind"], saved["state"]
    except (KeyError, TypeError):
        raise CorruptFileError(path, f"the saved state of generator {name!r} is damaged") from None
    expected = capture(rng, name)["kind"]
    if kind != expected:
        raise TypeError(f"load_checkpoint: rngs[{name!r}] was saved from a {kind} generator, "
                        f"cannot restore it into a {expected}")
    if kind == "anynn" and saved.get("backend") != rng.backend.key:
        raise ValueError(f"load_checkpoint: rngs[{name!r}] was saved on backend {saved.get('backend')!r}; "
                         f"this generator is on {rng.backend.key!r}")
    with restoring(path, f"generator {name!r}"):
        for kind_type, _, restore_kind in _KINDS:
            if isinstance(rng, kind_type):
                restore_kind(rng, state)
                return
        _library_of(rng).set_generator_state(rng, state)


# -- the host generators: anynn.init's, NumPy's global one, Python's ----------------------------------
def capture_host() -> dict[str, Any]:
    return {"anynn.init": init.default_generator().bit_generator.state,
            "numpy.random": np.random.get_state(legacy=False), "random": random.getstate()}


def restore_host(states: dict[str, Any]) -> None:
    init.default_generator().bit_generator.state = states["anynn.init"]
    np.random.set_state(states["numpy.random"])
    random.setstate(states["random"])


# -- the generators layers hold (Dropout's) ------------------------------------------------------------
def module_rng_states(model: Any) -> list[dict[str, Any]]:
    """The generators the model's layers hold (found by walking the modules' attributes)."""
    found = []
    for module_name, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, DeviceRNG):
                found.append({"module": module_name, "attr": attr, "backend": value.backend.key,
                              "state": value.state()})
    return found


def restore_module_rngs(model: Any, saved: list[dict[str, Any]], backend: Any) -> None:
    """Put back the states of `module_rng_states`; a generator that cannot take its state is a warning."""
    modules = dict(model.named_modules())
    for entry in saved:
        label = f"{entry['module'] or type(model).__name__}.{entry['attr']}"
        module = modules.get(entry["module"])
        if module is None:
            warnings.warn(f"load_checkpoint: the model has no module {entry['module']!r}; its generator "
                          "state was not restored", RuntimeWarning, stacklevel=3)
            continue
        current = getattr(module, entry["attr"], None)
        if not isinstance(current, DeviceRNG) and callable(getattr(module, "generator", None)):
            module.generator(get_backend(entry["backend"]) if backend is None else backend)
            current = getattr(module, entry["attr"], None)
        if not isinstance(current, DeviceRNG):
            warnings.warn(f"load_checkpoint: {label} holds no generator; its saved state was not restored",
                          RuntimeWarning, stacklevel=3)
        elif current.backend.key != entry["backend"]:
            warnings.warn(f"load_checkpoint: the generator {label} was saved on {entry['backend']!r} and cannot "
                          f"be restored on {current.backend.key!r}; resuming is not bit-identical",
                          RuntimeWarning, stacklevel=3)
        else:
            current.set_state(entry["state"])
