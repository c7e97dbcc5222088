"""PyTorch's module-by-module ``load_state_dict`` protocol, for modules that override ``_load_from_state_dict``.

PyTorch loads a state dict by calling each module's ``_load_from_state_dict(state_dict, prefix, local_metadata,
strict, missing_keys, unexpected_keys, error_msgs)``, the root first, then each child with the entries under its
prefix; after the whole tree, each module's load post-hooks, then strictness is judged. Programs override it to
convert old checkpoints: DETR's and torchvision's ``FrozenBatchNorm2d`` drop ``num_batches_tracked``, mistral's
``LoRALinear`` maps a plain ``weight`` onto its frozen ``linear``. `Module.load_state_dict` follows this protocol
when some module of the tree overrides the method (otherwise its own all-or-nothing loader, which checks every key
before writing any, gives the same result). Here each module writes its entries as it reads them, as PyTorch's.
Both loaders read a value through the helpers at the end (`array_like`, `value_kind`, `converted`).
"""

from __future__ import annotations

from typing import Any

from array_api_compat import array_namespace

from ..autograd.tensor import Tensor, tensor
from ..backend import Backend, backend_of, dtype_name, is_host_array
from ..backend.transfer import transfer
from ..device import resolve as resolve_device
from . import state_hooks


def overrides_loading(module: Any, base: type) -> bool:
    """Whether ``module``'s class overrides ``_load_from_state_dict`` of ``base`` (`Module`)."""
    return type(module)._load_from_state_dict is not base._load_from_state_dict


def load_own_entries(module: Any, state: dict[str, Any], prefix: str, strict: bool, missing: list[str],
                     unexpected: list[str], errors: list[str], base: type, assign: bool = False) -> None:
    """PyTorch's default ``_load_from_state_dict``: the module's load pre-hooks, then its parameters, persistent
    buffers and extra state under ``prefix``; a key under ``prefix`` naming nothing of the module is unexpected.
    ``assign``: ``load_state_dict(assign=True)`` (PyTorch's ``local_metadata["assign_to_params_buffers"]``)."""
    for hook in state_hooks._hooks(module, "load_pre"):
        hook(module, state, prefix, {}, strict, missing, unexpected, errors)
    skip = module.__dict__.get("_non_persistent", ())
    local = {**{n: p for n, p in module._parameters.items() if p is not None},
             **{n: b for n, b in module._buffers.items() if b is not None and n not in skip}}
    for name, target in local.items():
        key = prefix + name
        if key not in state:
            if strict and name not in module._state_kept_when_missing:
                missing.append(key)
            continue
        value = array_like(module, key, state[key], target)
        if tuple(value.shape) != tuple(target.shape):
            errors.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                          f"checkpoint, the shape in current model is {tuple(target.shape)}.")
            continue
        given, wanted = dtype_name(value.dtype), dtype_name(target.dtype)
        if value_kind(given) != value_kind(wanted):
            errors.append(f"dtype mismatch for {key}: expected dtype {wanted}, got {given}")
            continue
        if assign:
            take_assigned(target, *assigned(target, value))
        else:
            target.array = converted(target, value)
    extra_key = prefix + state_hooks.EXTRA_STATE
    if state_hooks.has_extra_state(module, "set_extra_state", base):
        if extra_key in state:
            module.set_extra_state(state[extra_key])
        elif strict:
            missing.append(extra_key)
    if strict:
        for key in state:
            if key.startswith(prefix) and key != extra_key:
                first = key[len(prefix):].split(".", 1)[0]
                if first not in module._modules and first not in local:
                    unexpected.append(key)


def load(root: Any, state: dict[str, Any], strict: bool, error: type, keys_type: Any, assign: bool = False) -> Any:
    """``root.load_state_dict(state, strict, assign)`` by PyTorch's recursion (see the module docstring); ``error``
    and ``keys_type`` are `Module`'s StateDictError and IncompatibleKeys."""
    state = dict(state)  # overrides and hooks may change the dict they are given: never the caller's
    missing: list[str] = []
    unexpected: list[str] = []
    errors: list[str] = []

    def visit(module: Any, local: dict[str, Any], prefix: str) -> None:
        module._load_from_state_dict(local, prefix, {"assign_to_params_buffers": assign}, True, missing, unexpected,
                                     errors)
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = f"{prefix}{name}."
                visit(child, {k: v for k, v in local.items() if k.startswith(child_prefix)}, child_prefix)
        # after the module's subtree, with the keys found so far (PyTorch's order; a hook may clear them)
        state_hooks.run_load_post_hooks([(prefix, module)], keys_type(missing, unexpected))

    visit(root, state, "")
    keys = keys_type(missing, unexpected)
    if errors or (strict and (missing or unexpected)):
        raise error(loading_errors(type(root).__name__, missing if strict else [], unexpected if strict else [],
                                   errors))
    return keys


def loading_errors(name: str, missing: list[str], unexpected: list[str], problems: list[str]) -> str:
    """PyTorch's message for a refused ``load_state_dict`` of module class ``name``: ``Error(s) in loading state_dict
    for Linear:`` then a tab-indented line for the missing keys, one for the unexpected ones (``Missing key(s) in
    state_dict: "bias".``), and one per other problem (size mismatches...)."""
    listed = [f"{what} key(s) in state_dict: " + ", ".join(f'"{k}"' for k in keys) + "."
              for what, keys in (("Missing", missing), ("Unexpected", unexpected)) if keys]
    return f"Error(s) in loading state_dict for {name}:\n\t" + "\n\t".join(listed + problems)


def array_like(module: Any, name: str, value: Any, target: Tensor) -> Any:
    """``value`` itself when it has a shape and dtype (Tensor, array of any library), else a Tensor of it. A value
    of shape (1,) for a 0-d ``target`` is read as 0-d, as PyTorch's loading does (older checkpoints stored 0-d
    entries such as BatchNorm's ``num_batches_tracked`` with shape (1,))."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        if tuple(value.shape) == (1,) and tuple(target.shape) == ():
            return value.reshape(()) if isinstance(value, Tensor) else array_namespace(value).reshape(value, ())
        return value
    try:
        return tensor(value, backend=target.backend)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{type(module).__name__}.load_state_dict: the value for {name!r} is a "
                        f"{type(value).__name__}, not a tensor or array ({exc})") from None


def value_kind(name: str) -> str:
    """The kind a loaded value must share with its parameter: floats (bfloat16 too), complex, integers, bool."""
    for kind in ("complex", "float", "bool"):
        if kind in name:
            return kind
    return "int" if "int" in name else name


def converted(target: Tensor, value: Any) -> Any:
    """``value`` as a new native array of ``target``'s backend and dtype (never sharing the caller's memory)."""
    backend = target.backend
    data = _native(value, backend, target.dtype)
    if data.dtype != target.array.dtype:
        data = backend.xp.astype(data, target.array.dtype)  # astype copies
    else:
        # parameters own their memory: optimizers update them in place, which must never write
        # through to the caller's arrays (torch.from_numpy and DLPack share memory)
        data = backend.xp.asarray(data, copy=True)
    return data


def assigned(target: Tensor, value: Any) -> tuple[Any, Backend]:
    """``load_state_dict(assign=True)``: ``value`` as a new native array in its own dtype, as PyTorch's module takes
    the state dict's tensors, and the backend it is on. That is ``target``'s backend, except where ``target`` is on
    the storage-less meta device (a skeleton made under ``torch.device("meta")``, the checkpoint-loading recipe's):
    there it is the value's own (a host array's: the CPU of ``target``'s library)."""
    backend = target.backend
    if target.is_meta:
        if isinstance(value, Tensor):
            backend = value.backend
        elif is_host_array(value):
            backend = resolve_device("cpu", backend)
        elif hasattr(value, "shape") and hasattr(value, "dtype"):
            backend = backend_of(value)
    return backend.xp.asarray(_native(value, backend), copy=True), backend


def _native(value: Any, backend: Backend, dtype: Any = None) -> Any:
    """``value`` (a Tensor, a host or native array, numbers) as a native array of ``backend``, which may share the
    caller's memory; numbers in ``dtype`` where given."""
    if isinstance(value, Tensor):
        return value.array if value.backend == backend else transfer(value.array, value.backend, backend)
    if is_host_array(value):
        return backend.from_host(value)
    if backend.is_native(value):
        # a framework tensor that tracks its own gradients (a PyTorch Parameter from named_parameters() or
        # state_dict(keep_vars=True)) must not carry that tracking into anynn's parameters
        return backend.adopt(value)
    return tensor(value, backend=backend, dtype=dtype).array


def take_assigned(t: Tensor, data: Any, backend: Backend) -> None:
    """``t`` (a parameter or buffer, its identity kept) takes an assigned value's array (`assigned`): its dtype, and
    its backend where ``t`` was on the meta device. A gradient of another dtype or backend is dropped, as PyTorch's
    new Parameter has none."""
    changed = backend != t.backend or data.dtype != t.array.dtype
    t.array = data
    if backend != t.backend:
        t.backend = backend
    if changed:
        t.grad = None
