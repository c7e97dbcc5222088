"""``functional_call``: run a module with given tensors in place of its parameters and buffers (PyTorch's
``torch.func.functional_call`` and ``torch.nn.utils.stateless.functional_call``).

The module is changed for the duration of the call and put back afterwards, also when the call raises:
each named entry of ``_parameters``/``_buffers`` (or plain tensor attribute, such as the ``weight`` that
`anynn.nn.utils.weight_norm` recomputes) is swapped for the given tensor, and the original object is restored.
Gradients flow to the given tensors, never to the module's own parameters.

Threads: the swap is a mutation of the module, as in PyTorch. Calls of ``functional_call`` run one at a time
across threads (one process-wide re-entrant lock, so a nested call in the same thread is fine): two threads
calling it on one module never see each other's tensors, and the module is whole again when each returns. A
plain ``module(x)`` in another thread during a ``functional_call`` is not protected and may run with the
substituted tensors.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...autograd.tensor import Tensor
from ..module import Module

_LOCK = threading.RLock()
_MISSING = object()  # an attribute the module did not have before the call


def _tied_names(module: Module) -> dict[str, set[str]]:
    """Each name of a parameter/buffer object registered under several names -> all those names."""
    by_object: dict[int, set[str]] = {}
    for name, t in list(module.named_parameters(remove_duplicate=False)) + list(
            module.named_buffers(remove_duplicate=False)):
        by_object.setdefault(id(t), set()).add(name)
    return {name: names for names in by_object.values() if len(names) > 1 for name in names}


def _untie(module: Module, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` plus every name tied to a given name (the same value); two different values for one tie raise."""
    tied = _tied_names(module)
    out = dict(given)
    for name in given:
        if name not in tied:
            continue
        values = {id(given[other]) for other in tied[name] if other in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, which are tied. "
                             "Consider using tie_weights=False")
        for other in tied[name]:
            out[other] = given[name]
    return out


def _check_keys(module: Module, given: Mapping[str, Any]) -> None:
    known = {name for name, _ in module.named_parameters(remove_duplicate=False)}
    known |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
    missing = sorted(known - set(given))
    unexpected = sorted(set(given) - known)
    messages = []
    if unexpected:
        messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if messages:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(messages))


def _owner(module: Module, path: str) -> tuple[Module, str]:
    prefix, _, name = path.rpartition(".")
    if not name:
        raise KeyError(f"functional_call: {path!r} is not a parameter or buffer name")
    return module.get_submodule(prefix), name


def _swap(module: Module, name: str, value: Any) -> Any:
    """Put ``value`` (or, for `_MISSING`, nothing) under ``name``; returns what was there."""
    for table in (module.__dict__["_parameters"], module.__dict__["_buffers"]):
        if name in table:
            old = table[name]
            if value is _MISSING:
                del table[name]
                object.__delattr__(module, name)
            else:
                table[name] = value
                object.__setattr__(module, name, value)
            return old
    # a plain attribute, or a property (a parametrized tensor: assigning it runs the parametrization's
    # right_inverse, as in PyTorch; pass "parametrizations.<name>.original" to replace what it is computed from)
    old = getattr(module, name) if hasattr(module, name) else _MISSING
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"functional_call: attribute {name!r} of {type(module).__name__} is a "
                        f"{type(old).__name__}, not a Tensor")
    if value is not _MISSING:
        setattr(module, name, value)
    elif hasattr(module, name):
        delattr(module, name)
    return old


class NotAModuleError(TypeError, AttributeError):
    """functional_call of something that is no Module (a function): PyTorch's AttributeError (it reads module
    attributes), a TypeError here."""


@contextlib.contextmanager
def reparametrized(module: Module, parameters_and_buffers: Mapping[str, Any], tie_weights: bool = True,
                   strict: bool = False) -> Iterator[dict[str, Any]]:
    """A region in which ``module`` uses the given tensors (dotted names, as ``state_dict``'s keys).

    Yields a dict that is filled on exit with what the module held under each given name when the region ended
    (the given tensor, or one the forward assigned in its place, such as an updated buffer).
    """
    if not isinstance(module, Module):
        raise NotAModuleError(f"functional_call: expected an anynn.nn.Module, got {type(module).__name__}")
    for name, value in parameters_and_buffers.items():
        if not isinstance(name, str):
            raise TypeError(f"functional_call: keys must be str (dotted names), got {type(name).__name__}")
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"functional_call: {name!r} must be a Tensor or None, got {type(value).__name__}")
    given = _untie(module, parameters_and_buffers) if tie_weights else dict(parameters_and_buffers)
    if strict:
        _check_keys(module, given)
    final: dict[str, Any] = {}
    with _LOCK:
        originals: list[tuple[Module, str, Any]] = []
        try:
            for path, value in given.items():
                owner, name = _owner(module, path)
                originals.append((owner, name, _swap(owner, name, value)))
            yield final
        finally:
            for (owner, name, old), path in zip(reversed(originals), reversed(list(given)[:len(originals)])):
                now = _swap(owner, name, old)
                if path in parameters_and_buffers:
                    final[path] = now


def functional_call(module: Module, parameter_and_buffer_dicts: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                    args: Any = None, kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the given tensors in place of its parameters and buffers.

    Parameters
    ----------
    module : Module
        The module to call; it is unchanged afterwards (also when the call raises).
    parameter_and_buffer_dicts : dict, or a tuple/list of dicts
        Dotted names (``"0.weight"``, as ``state_dict``'s keys) to Tensors of the shapes the module expects. Names
        not given keep the module's own tensors (unless ``strict``). Several dicts must not share a key.
    args : a Tensor, a tuple of arguments, or None
        Positional arguments; anything but a tuple is the single argument.
    kwargs : dict, optional
        Keyword arguments of the call.
    tie_weights : bool
        A tensor registered under several names (tied weights) is replaced under all of them when one is given;
        two different values for one tie raise ``ValueError``.
    strict : bool
        Every parameter and buffer must be given, and nothing else (``RuntimeError`` listing the keys).

    Returns
    -------
    What ``module`` returns. When a single dict is given and the forward assigns a new tensor under one of its
    names (a buffer update), the dict is updated with it, as in PyTorch.
    """
    if isinstance(parameter_and_buffer_dicts, Mapping):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        if not all(isinstance(d, Mapping) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        seen: dict[str, int] = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                seen[k] = seen.get(k, 0) + 1
        repeated = [k for k, n in seen.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                             "ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with reparametrized(module, merged, tie_weights=tie_weights, strict=strict) as final:
        result = module(*args, **(kwargs or {}))
    if isinstance(merged, dict) and merged is parameter_and_buffer_dicts:
        merged.update({k: v for k, v in final.items() if v is not merged[k]})
    return result


__all__ = ["functional_call"]
