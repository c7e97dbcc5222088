"""Checkpoints: everything needed to resume training bit-identically, in one safetensors file.

The file holds the model's state, the optimizer's state arrays, and every random state: NumPy's
global generator, Python's `random`, the host generator of `anynn.init`, the generators passed in
``rngs`` (a shuffling generator, for instance) and the generators held by layers (`Dropout`).
Arrays become safetensors tensors; everything else (epoch, step, optimizer options, scheduler
state, generator counters) is JSON in the file's metadata. Nothing is pickled, and the file is
written atomically, so a crash during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import random
import warnings
from typing import Any, Mapping

import numpy as np

from .. import init
from ..autograd.tensor import Tensor, tensor
from ..backend import DeviceRNG, get_backend
from .atomic import atomic_write
from .validate import CorruptFileError, read_safetensors_header
from .weights import build_metadata, host_arrays, host_dtype_name, load_arrays, serialize, to_host

FORMAT = "anynn-checkpoint"
_MODEL = "model/"


def save_checkpoint(path: str | os.PathLike, model: Any = None, optimizer: Any = None, scheduler: Any = None,
                    epoch: int = 0, step: int = 0, rngs: Mapping[str, Any] | None = None,
                    extra: Any = None, scaler: Any = None) -> None:
    """Save a training checkpoint to ``path`` (one safetensors file, written atomically).

    Parameters
    ----------
    model : Module, optional
        Its ``state_dict`` and the random generators its layers hold (e.g. `Dropout`).
    optimizer : Optimizer, optional
        Its ``state_dict``: state arrays as tensors, options (lr, betas...) as JSON.
    scheduler : object with ``state_dict()``, optional
        A learning-rate scheduler; its state must be JSON-able numbers, strings, lists, dicts or arrays.
    epoch, step : int
        Where training stands.
    rngs : dict name → generator, optional
        Extra generators to restore on load: anynn backend generators (``backend.rng(seed)``),
        ``numpy.random.Generator`` / ``RandomState``, ``random.Random``, ``torch.Generator``.
    extra : JSON-able (arrays allowed), optional
        Anything else, returned by `load_checkpoint` under ``"extra"``.
    scaler : GradScaler, optional
        Its ``state_dict`` (the loss scale and its growth counter), for mixed-precision training.

    Raises
    ------
    AtomicWriteError
        Disk full or read-only folder; the previous checkpoint is untouched.
    """
    tensors: dict[str, np.ndarray] = {}
    source = "numpy"
    if model is not None:
        arrays, source = host_arrays(model)
        tensors.update({_MODEL + name: a for name, a in arrays.items()})
    tree: dict[str, Any] = {"epoch": epoch, "step": step}
    if optimizer is not None:
        tree["optimizer_class"] = type(optimizer).__name__
        tree["optimizer"] = _encode(optimizer.state_dict(), "optimizer", tensors)
    if scheduler is not None:
        tree["scheduler"] = _encode(scheduler.state_dict(), "scheduler", tensors)
    if scaler is not None:
        tree["scaler"] = _encode(scaler.state_dict(), "scaler", tensors)
    tree["host_rng"] = _encode({"anynn.init": init.default_generator().bit_generator.state,
                                "numpy.random": np.random.get_state(legacy=False),
                                "random": random.getstate()}, "host_rng", tensors)
    tree["rngs"] = {str(name): _encode(_rng_state(obj, name), f"rngs/{name}", tensors)
                    for name, obj in (rngs or {}).items()}
    tree["module_rngs"] = _encode(_module_rng_states(model), "module_rngs", tensors) if model is not None else []
    tree["extra"] = _encode(extra, "extra", tensors)
    meta = build_metadata(tensors, source)
    meta["format"] = FORMAT
    try:
        meta["checkpoint"] = json.dumps(tree)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"save_checkpoint: cannot store the checkpoint state as JSON ({exc})") from None
    atomic_write(path, serialize(tensors, meta))


def load_checkpoint(path: str | os.PathLike, model: Any = None, optimizer: Any = None, scheduler: Any = None,
                    backend: Any = None, rngs: Mapping[str, Any] | None = None, strict: bool = True,
                    restore_rng: bool = True, scaler: Any = None) -> dict[str, Any]:
    """Restore a checkpoint written by `save_checkpoint` into the objects given.

    Parameters
    ----------
    model, optimizer, scheduler, scaler : optional
        Restored in place (``model.load_state_dict(..., strict=strict)``, then the optimizer's,
        scheduler's and `GradScaler`'s ``load_state_dict``).
    backend : str or Backend, optional
        Move ``model`` there first; without a model, where the returned ``"model"`` tensors go.
    rngs : dict name → generator, optional
        The same names as at saving: each generator gets its saved state back.
    restore_rng : bool
        Also restore NumPy's global, Python's and `anynn.init`'s generators and the generators held
        by the model's layers (default). Together this makes resumed training bit-identical to an
        uninterrupted run on the same backend.

    Returns
    -------
    dict
        ``epoch``, ``step``, ``extra``, ``model`` (the saved state dict, as Tensors), ``optimizer``,
        ``scheduler`` and ``scaler`` (their saved state dicts, ``None`` if not saved) and ``metadata``.

    Raises
    ------
    CorruptFileError
        The file is corrupt, truncated or not an anynn checkpoint.
    StateDictError
        The model does not match the saved state (every problem listed, with ``strict=True``).
    """
    path = os.fsdecode(path)  # str, bytes or PathLike
    header = read_safetensors_header(path)
    metadata = dict(header.get("__metadata__") or {})
    if metadata.get("format") != FORMAT or "checkpoint" not in metadata:
        raise CorruptFileError(path, f"not an anynn checkpoint (format {metadata.get('format')!r}); "
                                     "weights files load with anynn.io.load")
    try:
        tree = json.loads(metadata["checkpoint"])
    except (ValueError, RecursionError) as exc:
        raise CorruptFileError(path, f"the checkpoint metadata is not valid JSON ({exc})") from None
    if not isinstance(tree, dict):
        raise CorruptFileError(path, "the checkpoint metadata is not a JSON object")
    tensors = load_arrays(path)
    be = get_backend(backend if backend is not None else (model.backend if model is not None else None))
    try:
        model_state = {name[len(_MODEL):]: tensor(a, backend=be, dtype=host_dtype_name(a, be))
                       for name, a in tensors.items() if name.startswith(_MODEL)}
        decode = _Decoder(tensors)
        result = {"epoch": tree["epoch"], "step": tree["step"], "extra": decode(tree.get("extra")),
                  "model": model_state, "optimizer": decode(tree.get("optimizer")),
                  "scheduler": decode(tree.get("scheduler")), "scaler": decode(tree.get("scaler")),
                  "metadata": metadata}
        host_rng = decode(tree["host_rng"])
        saved_rngs = {name: decode(state) for name, state in tree.get("rngs", {}).items()}
        module_rngs = decode(tree.get("module_rngs", []))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        raise CorruptFileError(path, f"the checkpoint structure is damaged ({type(exc).__name__}: {exc})") from None
    # everything that can be checked without writing is checked first ...
    if optimizer is not None:
        _check_optimizer_fits(path, tree, result["optimizer"], optimizer)
    if scheduler is not None and result["scheduler"] is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no scheduler state")
    if scaler is not None and result["scaler"] is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no GradScaler state")
    for name in rngs or {}:
        if name not in saved_rngs:
            raise KeyError(f"load_checkpoint: no generator named {name!r} in the checkpoint "
                           f"(saved: {sorted(saved_rngs)})")
    # ... then everything is restored, and undone if any part fails: all or nothing
    undo: list[Any] = []
    try:
        if model is not None:
            before = [(t, t.data, t.backend, t.grad) for t in list(model.parameters()) + list(model.buffers())]
            undo.append(lambda: _put_back(before))
            if backend is not None:
                model.to(backend)
            model.load_state_dict(model_state, strict=strict)
        if optimizer is not None:
            optimizer_before = optimizer.state_dict()
            undo.append(lambda: optimizer.load_state_dict(optimizer_before))
            with _restoring(path, "optimizer"):
                optimizer.load_state_dict(result["optimizer"])
        if scheduler is not None:
            scheduler_before = scheduler.state_dict()
            undo.append(lambda: scheduler.load_state_dict(scheduler_before))
            with _restoring(path, "scheduler"):
                scheduler.load_state_dict(result["scheduler"])
        if scaler is not None:
            scaler_before = scaler.state_dict()
            undo.append(lambda: scaler.load_state_dict(scaler_before))
            with _restoring(path, "GradScaler"):
                scaler.load_state_dict(result["scaler"])
        for name, obj in (rngs or {}).items():
            rng_before = _rng_state(obj, name)
            undo.append(lambda obj=obj, state=rng_before, name=name: _set_rng_state(path, obj, state, name))
            _set_rng_state(path, obj, saved_rngs[name], name)
        if restore_rng:
            host_before = (init.default_generator().bit_generator.state, np.random.get_state(legacy=False),
                           random.getstate())
            undo.append(lambda: _set_host_rngs(*host_before))
            with _restoring(path, "random generator"):
                _set_host_rngs(host_rng["anynn.init"], host_rng["numpy.random"], host_rng["random"])
                if model is not None:
                    _restore_module_rngs(model, module_rngs, be)
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception:  # noqa: S112 - undo what can be undone, then report the first error
                continue
        raise
    return result


def _put_back(before: list[tuple[Tensor, Any, Any, Any]]) -> None:
    for t, data, backend, grad in before:
        t.data, t.backend, t.grad = data, backend, grad


def _set_host_rngs(anynn_init: Any, numpy_random: Any, python_random: Any) -> None:
    init.default_generator().bit_generator.state = anynn_init
    np.random.set_state(numpy_random)
    random.setstate(python_random)


def _check_optimizer_fits(path: Any, tree: dict[str, Any], saved: Any, optimizer: Any) -> None:
    """Mismatches the user can fix (another optimizer, other parameters) as plain errors, before restoring."""
    if saved is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no optimizer state")
    saved_class = tree.get("optimizer_class")
    if saved_class != type(optimizer).__name__:
        raise ValueError(f"load_checkpoint: the checkpoint holds {saved_class} state, not {type(optimizer).__name__}")
    try:
        saved_sizes = [len(g["params"]) for g in saved["param_groups"]]
    except (KeyError, TypeError) as exc:
        raise CorruptFileError(path, f"the saved optimizer state is damaged ({type(exc).__name__}: {exc})") from None
    own_sizes = [len(g["params"]) for g in optimizer.param_groups]
    if saved_sizes != own_sizes:
        raise ValueError(f"load_checkpoint: the checkpoint's {saved_class} has parameter groups of sizes "
                         f"{saved_sizes}, this one {own_sizes}")


class _restoring:  # noqa: N801 - a context manager
    """Saved state that a restore method cannot take means the file's metadata is damaged."""

    def __init__(self, path: Any, what: str) -> None:
        self.path, self.what = path, what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if isinstance(exc, (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)) and \
                not isinstance(exc, CorruptFileError):
            raise CorruptFileError(self.path, f"the saved {self.what} state cannot be restored "
                                              f"({type(exc).__name__}: {exc})") from exc
        return False


# -- random generators ---------------------------------------------------------------------------
def _rng_state(obj: Any, name: Any) -> dict[str, Any]:
    if isinstance(obj, DeviceRNG):
        return {"kind": "anynn", "backend": obj.backend.key, "state": obj.state()}
    if isinstance(obj, np.random.Generator):
        return {"kind": "numpy.Generator", "state": obj.bit_generator.state}
    if isinstance(obj, np.random.RandomState):
        return {"kind": "numpy.RandomState", "state": obj.get_state(legacy=False)}
    if isinstance(obj, random.Random):
        return {"kind": "random.Random", "state": obj.getstate()}
    if type(obj).__module__.split(".")[0] == "torch" and hasattr(obj, "get_state"):
        return {"kind": "torch.Generator", "state": obj.get_state()}
    raise TypeError(f"save_checkpoint: rngs[{name!r}] is a {type(obj).__name__}; expected an anynn backend "
                    "generator, a numpy Generator/RandomState, a random.Random or a torch.Generator")


def _set_rng_state(path: Any, obj: Any, saved: Any, name: str) -> None:
    try:
        kind, state = saved["kind"], saved["state"]
    except (KeyError, TypeError):
        raise CorruptFileError(path, f"the saved state of generator {name!r} is damaged") from None
    expected = _rng_state(obj, name)["kind"]
    if kind != expected:
        raise TypeError(f"load_checkpoint: rngs[{name!r}] was saved from a {kind} generator, "
                        f"cannot restore it into a {expected}")
    if kind == "anynn" and saved.get("backend") != obj.backend.key:
        raise ValueError(f"load_checkpoint: rngs[{name!r}] was saved on backend {saved.get('backend')!r}; "
                         f"this generator is on {obj.backend.key!r}")
    with _restoring(path, f"generator {name!r}"):
        if kind == "anynn":
            obj.set_state(state)
        elif kind == "numpy.Generator":
            obj.bit_generator.state = state
        elif kind == "numpy.RandomState":
            obj.set_state(state)
        elif kind == "random.Random":
            obj.setstate(state)
        else:
            obj.set_state(get_backend("torch").from_host(np.asarray(state)))


def _module_rng_states(model: Any) -> list[dict[str, Any]]:
    """The generators the model's layers hold (found by walking the modules' attributes)."""
    found = []
    for module_name, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, DeviceRNG):
                found.append({"module": module_name, "attr": attr, "backend": value.backend.key,
                              "state": value.state()})
    return found


def _restore_module_rngs(model: Any, saved: list[dict[str, Any]], backend: Any) -> None:
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


# -- JSON with arrays ----------------------------------------------------------------------------
def _encode(obj: Any, where: str, tensors: dict[str, np.ndarray]) -> Any:
    """``obj`` as JSON-able data; arrays go to ``tensors`` under a name made from ``where``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Tensor) or isinstance(obj, (np.ndarray, np.generic)) or hasattr(obj, "__dlpack__"):
        array, key = to_host(obj)
        name = where
        while name in tensors:
            name += "_"
        tensors[name] = array
        kind = "tensor" if isinstance(obj, Tensor) else ("scalar" if isinstance(obj, np.generic) else
                                                          "numpy" if isinstance(obj, np.ndarray) else "native")
        return {"__array__": name, "kind": kind, "backend": key}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, f"{where}/{i}", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, f"{where}/{i}", tensors) for i, v in enumerate(obj)]
    if isinstance(obj, Mapping):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, f"{where}/{k}", tensors) for k, v in obj.items()}
        return {"__items__": [[_encode(k, f"{where}/{i}/key", tensors), _encode(v, f"{where}/{i}", tensors)]
                              for i, (k, v) in enumerate(obj.items())]}
    raise TypeError(f"save_checkpoint: cannot store a {type(obj).__name__} at {where!r} (use numbers, strings, "
                    "lists, dicts or arrays)")


class _Decoder:
    def __init__(self, tensors: Mapping[str, np.ndarray]) -> None:
        self.tensors = tensors

    def __call__(self, obj: Any) -> Any:
        if isinstance(obj, list):
            return [self(v) for v in obj]
        if not isinstance(obj, dict):
            return obj
        if "__array__" in obj:
            array = self.tensors[obj["__array__"]]
            if obj["kind"] == "scalar":
                return array[()]
            if obj["kind"] in ("tensor", "native") and obj.get("backend"):
                be = get_backend(obj["backend"]) if _available(obj["backend"]) else get_backend("numpy")
                t = tensor(array, backend=be, dtype=host_dtype_name(array, be))
                return t if obj["kind"] == "tensor" else t.data
            return array
        if "__tuple__" in obj:
            return tuple(self(v) for v in obj["__tuple__"])
        if "__items__" in obj:
            return {_hashable(self(k)): self(v) for k, v in obj["__items__"]}
        return {k: self(v) for k, v in obj.items()}


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _available(key: str) -> bool:
    from ..backend import BackendUnavailable

    try:
        get_backend(key)
        return True
    except (BackendUnavailable, ValueError):
        return False


__all__ = ["FORMAT", "load_checkpoint", "save_checkpoint"]
