"""Checkpoints: everything needed to resume training bit-identically, in one safetensors file.

The file holds the model's state, the optimizer's state arrays, and every random state: NumPy's
global generator, Python's `random`, the host generator of `anynn.init`, the generators passed in
``rngs`` (a shuffling generator, for instance), the generators held by layers (`Dropout`) and a
`DataLoader`'s place in its epochs (its ``state_dict``: seed, epoch, generator and sampler states).
Arrays become safetensors tensors; everything else (epoch, step, optimizer options, scheduler
state, generator counters) is JSON in the file's metadata. Nothing is pickled, and the file is
written atomically, so a crash during a save leaves the previous checkpoint intact.

This file holds the schema (what a checkpoint contains, and the all-or-nothing restore); the
generator states are `rng_state`'s, the JSON-with-arrays encoding `json_arrays`'s.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

import numpy as np

from ..autograd.tensor import Tensor, tensor
from ..backend import get_backend
from . import rng_state
from .atomic import atomic_write
from .file_checks import CorruptFileError, read_safetensors_header, restoring
from .json_arrays import Decoder, encode
from .safe_globals import UnsafeGlobalError
from .rng_state import restore_module_rngs as _restore_module_rngs
from .weights import as_path, build_metadata, host_arrays, host_dtype_name, load_arrays, serialize

FORMAT = "anynn-checkpoint"
_MODEL = "model/"


def save_checkpoint(path: str | os.PathLike, model: Any = None, optimizer: Any = None, scheduler: Any = None,
                    epoch: int = 0, step: int = 0, rngs: Mapping[str, Any] | None = None,
                    extra: Any = None, scaler: Any = None, loader: Any = None) -> None:
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
    loader : DataLoader, optional
        Its ``state_dict``: the epoch it reads next (or the batches of the current one it has handed out),
        its seed and the states of its and its sampler's generators, so a resumed run sees the same batches.

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
        tree["optimizer"] = encode(optimizer.state_dict(), "optimizer", tensors)
    if scheduler is not None:
        tree["scheduler"] = encode(scheduler.state_dict(), "scheduler", tensors)
    if scaler is not None:
        tree["scaler"] = encode(scaler.state_dict(), "scaler", tensors)
    if loader is not None:
        tree["loader"] = encode(_loader_state(loader, "save_checkpoint").state_dict(), "loader", tensors)
    tree["host_rng"] = encode(rng_state.capture_host(), "host_rng", tensors)
    tree["rngs"] = {str(name): encode(rng_state.capture(obj, name), f"rngs/{name}", tensors)
                    for name, obj in (rngs or {}).items()}
    tree["module_rngs"] = (encode(rng_state.module_rng_states(model), "module_rngs", tensors)
                           if model is not None else [])
    tree["extra"] = encode(extra, "extra", tensors)
    meta = build_metadata(tensors, source)
    meta["format"] = FORMAT
    try:
        meta["checkpoint"] = json.dumps(tree)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"save_checkpoint: cannot store the checkpoint state as JSON ({exc})") from None
    atomic_write(path, serialize(tensors, meta))


def load_checkpoint(path: str | os.PathLike, model: Any = None, optimizer: Any = None, scheduler: Any = None,
                    backend: Any = None, rngs: Mapping[str, Any] | None = None, strict: bool = True,
                    restore_rng: bool = True, scaler: Any = None, loader: Any = None) -> dict[str, Any]:
    """Restore a checkpoint written by `save_checkpoint` into the objects given.

    Parameters
    ----------
    model, optimizer, scheduler, scaler, loader : optional
        Restored in place (``model.load_state_dict(..., strict=strict)``, then the optimizer's,
        scheduler's, `GradScaler`'s and `DataLoader`'s ``load_state_dict``).
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
        ``scheduler``, ``scaler`` and ``loader`` (their saved state dicts, ``None`` if not saved) and
        ``metadata``.

    Raises
    ------
    CorruptFileError
        The file is corrupt, truncated or not an anynn checkpoint.
    StateDictError
        The model does not match the saved state (every problem listed, with ``strict=True``).
    """
    path = as_path(path, "load_checkpoint")
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
        decode = Decoder(tensors, path=path)
        result = {"epoch": tree["epoch"], "step": tree["step"], "extra": decode(tree.get("extra")),
                  "model": model_state, "optimizer": decode(tree.get("optimizer")),
                  "scheduler": decode(tree.get("scheduler")), "scaler": decode(tree.get("scaler")),
                  "loader": decode(tree.get("loader")), "metadata": metadata}
        host_rng = decode(tree["host_rng"])
        saved_rngs = {name: decode(state) for name, state in tree.get("rngs", {}).items()}
        module_rngs = decode(tree.get("module_rngs", []))
    except UnsafeGlobalError:
        raise  # an object of a class that is not allowed (add_safe_globals), not a damaged file
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        raise CorruptFileError(path, f"the checkpoint structure is damaged ({type(exc).__name__}: {exc})") from None
    # everything that can be checked without writing is checked first ...
    if optimizer is not None:
        _check_optimizer_fits(path, tree, result["optimizer"], optimizer)
    if scheduler is not None and result["scheduler"] is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no scheduler state")
    if scaler is not None and result["scaler"] is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no GradScaler state")
    if loader is not None and result["loader"] is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)} holds no DataLoader state (save it with loader=)")
    for name in rngs or {}:
        if name not in saved_rngs:
            raise KeyError(f"load_checkpoint: no generator named {name!r} in the checkpoint "
                           f"(saved: {sorted(saved_rngs)})")
    # ... then everything is restored, and undone if any part fails: all or nothing
    undo: list[Any] = []
    try:
        if model is not None:
            before = [(t, t.array, t.backend, t.grad) for t in list(model.parameters()) + list(model.buffers())]
            undo.append(lambda: _put_back(before))
            if backend is not None:
                model.to(backend)
            model.load_state_dict(model_state, strict=strict)
        if optimizer is not None:
            optimizer_before = optimizer.state_dict()
            undo.append(lambda: optimizer.load_state_dict(optimizer_before))
            with restoring(path, "optimizer"):
                optimizer.load_state_dict(result["optimizer"])
        if scheduler is not None:
            scheduler_before = scheduler.state_dict()
            undo.append(lambda: scheduler.load_state_dict(scheduler_before))
            with restoring(path, "scheduler"):
                scheduler.load_state_dict(result["scheduler"])
        if scaler is not None:
            scaler_before = scaler.state_dict()
            undo.append(lambda: scaler.load_state_dict(scaler_before))
            with restoring(path, "GradScaler"):
                scaler.load_state_dict(result["scaler"])
        if loader is not None:
            loader_before = _loader_state(loader, "load_checkpoint").state_dict()
            undo.append(lambda: loader.load_state_dict(loader_before))
            loader.load_state_dict(result["loader"])
        for name, obj in (rngs or {}).items():
            rng_before = rng_state.capture(obj, name)
            undo.append(lambda obj=obj, state=rng_before, name=name: rng_state.restore(path, obj, state, name))
            rng_state.restore(path, obj, saved_rngs[name], name)
        if restore_rng:
            host_before = rng_state.capture_host()
            undo.append(lambda: rng_state.restore_host(host_before))
            with restoring(path, "random generator"):
                rng_state.restore_host(host_rng)
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


def _loader_state(loader: Any, caller: str) -> Any:
    """``loader`` if it can give and take its state (a `DataLoader`), else a TypeError naming ``caller``."""
    if not (callable(getattr(loader, "state_dict", None)) and callable(getattr(loader, "load_state_dict", None))):
        raise TypeError(f"{caller}: loader= takes an anynn DataLoader (anything with state_dict and load_state_dict), "
                        f"got {type(loader).__name__}")
    return loader


def _put_back(before: list[tuple[Tensor, Any, Any, Any]]) -> None:
    for t, data, backend, grad in before:
        t.array, t.backend, t.grad = data, backend, grad


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


__all__ = ["FORMAT", "load_checkpoint", "save_checkpoint"]
