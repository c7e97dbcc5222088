"""`Optimizer`: the rules every optimizer shares, parameter groups, lazy per-parameter state, (de)serialisation.

The base checks the hyperparameters a subclass lists in ``checked_options`` (PyTorch's messages),
negates the gradient under ``maximize`` and applies ``weight_decay``: added to the gradient (L2, the
coupled form) or, with ``decoupled_weight_decay`` (AdamW's form; always for a class that sets
``decoupled_weight_decay = True``), as ``param *= 1 - lr * weight_decay`` before the update. A
subclass writes only ``update(param, grad, state, group, backend)``, the paper's rule for one
parameter, returning the new parameter array; the math runs in ``backend.xp``.
"""

from __future__ import annotations

import copy
import difflib
import numbers
import warnings
from typing import Any, ClassVar, Iterable

from array_api_compat import array_namespace

from ..autograd import mode
from ..autograd import profiler as _profiler
from ..autograd.hooks import RemovableHandle
from ..autograd.primitive import is_writeable
from ..autograd.tensor import Tensor, mark_all_modified
from ..autograd.views import refresh_views
from ..backend import Backend, backend_of, dtype_name, host_array, is_host_array
from ..backend.arrays import at_set
from ..backend.transfer import transfer
from ..functional.value_checks import ShapeMismatchError, python_number
from .complex_params import is_complex_dtype, update_as_real
from .loaded_state import check_loaded_state
from .optimizer_hooks import add_optimizer_hook, hooks_of, patch_step
from .optimizer_hooks import register_optimizer_step_post_hook, register_optimizer_step_pre_hook  # noqa: F401 - torch.optim.optimizer's names
from .param_state import ParamState
from .scalars import nonzero, round_float32
from .validation import check_hyperparameters


class _RequiredParameter:
    """The default of an option every parameter group must give (torch.optim.optimizer's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()
# what an optimizer's ``params`` may be: Tensors, group dicts, or (name, Tensor) pairs (PyTorch's alias)
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    """Base class. ``params`` is an iterable of Parameters or of dicts ``{"params": [...], **options}``."""

    checked_options: ClassVar[tuple[str, ...]] = ()  # options validated at construction, in PyTorch's order
    decoupled_weight_decay: ClassVar[bool] = False  # True: weight decay always shrinks the weights (Lion)
    # True: ``update`` applies weight_decay itself (Adafactor's step size reads the weights before they shrink)
    weight_decay_in_update: ClassVar[bool] = False
    supports_complex: ClassVar[bool] = True  # False: a complex parameter is refused at its first step (Adafactor)
    # every state array of more than 0 dims has its parameter's shape (checked at load_state_dict); not LBFGS's
    state_shaped_like_params: ClassVar[bool] = True

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        check_hyperparameters(type(self).__name__, self.checked_options, defaults)
        self._opt_called = False  # set by step(): a scheduler stepped before it warns, as in PyTorch
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: ParamState = ParamState()  # also state[param], as PyTorch's
        # (backend, dtype) each parameter's state was made for: `Module.to` may move the parameter later
        self._state_home: dict[int, tuple[Any, Any, bool]] = {}  # (backend, dtype, whether complex)
        self._unchecked_state: dict[int, bool] = {}  # loaded states not yet checked for missing entries
        if isinstance(params, Tensor):  # list() of it would iterate its rows, each a new non-leaf tensor
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or dicts, got a Tensor "
                            f"(pass [tensor])")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)
        patch_step(type(self))  # as PyTorch's: hooks and the profiler's "Optimizer.step#<class>.step" range

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add parameters with their own options (the rest from the defaults)."""
        group = param_group
        if not isinstance(group, dict):
            raise TypeError(f"{type(self).__name__}.add_param_group: param_group must be a dict, but got "
                            f"{type(group).__name__}")
        if isinstance(group.get("params"), (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        params = list(group["params"]) if not isinstance(group["params"], Tensor) else [group["params"]]
        names = [p[0] for p in params if isinstance(p, tuple)]  # (name, parameter) pairs: named_parameters()
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            params = [p[1] for p in params]
        for p in params:  # frozen ones (requires_grad=False) are kept and skipped while they have no grad, as PyTorch
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.is_leaf and not p._retains_grad:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor (one made by an operation, "
                                 f"e.g. p * 2); pass the leaf, or detach().requires_grad_()")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: some parameters appear more than once in one parameter group "
                             "(each would be stepped twice); list each parameter once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        for key in sorted(set(group) - set(self.defaults) - {"params"}):  # kept, as PyTorch (tags, lr_scale...)
            near = difflib.get_close_matches(key, list(self.defaults), n=1, cutoff=0.8) if isinstance(key, str) else []
            if near:
                warnings.warn(f"{type(self).__name__}: parameter group option {key!r} is not one of this optimizer's "
                              f"(did you mean {near[0]!r}?); it is kept in the group and not used by the update",
                              stacklevel=3)
        if any(("param_names" in g) != bool(names) for g in self.param_groups):
            raise ValueError(f"all optimizer param groups should be with/without names. cannot add param group "
                             f"{'with' if names else 'without'} names to the optimizer")
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key}")
        full = {**self.defaults, **group, "params": params}
        if names:  # kept in the group and its state_dict, as PyTorch's
            full["param_names"] = names
        self.param_groups.append(full)

    def __deepcopy__(self, memo: dict[int, Any]) -> "Optimizer":
        """A copy holding copies of the parameters (the ones ``memo`` already copied, e.g. with the model in one
        ``deepcopy((model, optimizer))``) and of their state, as PyTorch's: the state follows the parameter copies
        (it is keyed by ``id(param)``, which a copy changes)."""
        twin = type(self).__new__(type(self))
        memo[id(self)] = twin
        params = self._all_params()
        new_id = {id(p): id(copy.deepcopy(p, memo)) for p in params}
        for key, value in self.__dict__.items():
            if key in ("state", "_state_home", "_unchecked_state"):
                value = {new_id.get(pid, pid): entry for pid, entry in value.items()}
                value = ParamState(copy.deepcopy(value, memo)) if key == "state" else value
            else:
                value = copy.deepcopy(value, memo)
            twin.__dict__[key] = value
        return twin

    def __repr__(self) -> str:
        """PyTorch's: ``Adam (`` then each group's options, sorted, one a line (``    lr: 0.001``), then ``)``."""
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params")
        return text + ")"

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (``set_to_none`` frees them)."""
        if _profiler._sessions:  # a range named as PyTorch's in a running profile
            with _profiler.record_function(f"Optimizer.zero_grad#{type(self).__name__}.zero_grad"):
                return self._zero_grad(set_to_none)
        return self._zero_grad(set_to_none)

    def _zero_grad(self, set_to_none: bool) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad  # (the slot, not the property: a parameter is a leaf, and this runs every step)
                if set_to_none or grad is None:
                    p._grad = None
                else:
                    grad._zero_as_grad()

    def register_step_pre_hook(self, hook: Any) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each `step` (``args`` starts with the optimizer, as
        PyTorch's); a returned ``(args, kwargs)`` pair replaces the step's arguments. Returns a removable handle."""
        return add_optimizer_hook(self, "step_pre", hook)

    def register_step_post_hook(self, hook: Any) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each `step`. Returns a removable handle."""
        return add_optimizer_hook(self, "step_post", hook)

    def register_state_dict_pre_hook(self, hook: Any, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` at the start of each `state_dict` (``prepend``: before the hooks already
        registered). Returns a removable handle."""
        return add_optimizer_hook(self, "state_dict_pre", hook, prepend)

    def register_state_dict_post_hook(self, hook: Any, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` on the dict `state_dict` made; a returned dict replaces it."""
        return add_optimizer_hook(self, "state_dict_post", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Any, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before `load_state_dict` reads it (a shallow copy of the caller's
        dict, which the hook may change in place); a returned dict is loaded instead."""
        return add_optimizer_hook(self, "load_state_dict_pre", hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Any, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` after `load_state_dict` has loaded (not after a refused load)."""
        return add_optimizer_hook(self, "load_state_dict_post", hook, prepend)

    def step(self, closure: Any = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if given."""
        self._opt_called = True
        loss = None
        if closure is not None:
            with mode.enable_grad():
                loss = closure()
        if self.state.touched:  # Tensors a PyTorch program put in a state (state[p]["step"] = tensor(3.))
            _settle_touched_state(self)
        if self._unchecked_state:  # a loaded state missing an entry fails here, before any parameter changes
            check_loaded_state(self, [_with_numbers(g) if _holds_tensor_options(g) or _holds_numpy_numbers(g) else g
                                      for g in self.param_groups])
        # no_grad() by hand (this thread's mode): a context manager costs as much as a small update
        modes = mode.local.modes
        previous_mode = modes.grad_enabled
        modes.grad_enabled = False
        changed: list[Tensor] = []  # marked modified together at the end (even if an update raises)
        try:
            states = self.state
            homes = self._state_home
            update = self.update
            for group in self.param_groups:
                if _holds_tensor_options(group) or _holds_numpy_numbers(group):
                    group = _with_numbers(group)
                maximize = group.get("maximize", False)
                # only an optimizer with a weight_decay option reads it: PyTorch's Rprop keeps a group's key unread
                decay = (group.get("weight_decay", 0.0)
                         if "weight_decay" in self.defaults and not self.weight_decay_in_update else 0.0)
                decays = nonzero(decay)  # (an array in a compiled step under a weight-decay schedule)
                decoupled = decays and (self.decoupled_weight_decay or group.get("decoupled_weight_decay", False))
                shrink = _shrink(group, decay) if decoupled else 1.0
                adjusted = maximize or decays
                for p in group["params"]:
                    grad = p._grad
                    if grad is None:
                        continue
                    pid = id(p)
                    data = kept = p.array
                    backend = p.backend
                    found = _dict_get(states, pid)  # (dict's own get: the table's accepts Tensors too)
                    home = homes.get(pid)
                    if home is None or home[0] is not backend or home[1] is not data.dtype:
                        home = self._settle_state(p, found, home)  # the first step, or the parameter moved
                    fresh = found is None  # stored once the update put something in it (none for plain SGD)
                    state: dict[str, Any] = {} if found is None else found
                    g = grad.array
                    if adjusted:
                        if maximize:
                            g = -g
                        if decoupled:
                            data = _scale(data, shrink)
                        elif decays:
                            g = g + decay * data
                    try:
                        if home[2]:  # a complex parameter: PyTorch's update of its real view
                            new = update_as_real(update, data, g, state, group, backend)
                        else:
                            new = update(data, g, state, group, backend)
                    except Exception as error:
                        _name_a_shape_change(self, p, g, state if not home[2] else {}, error)
                        raise
                    if type(new) is not type(kept):  # NumPy 0-d arithmetic gives scalars: the parameter stays an array
                        new = backend.xp.asarray(new)
                    p.array = in_shared_memory(backend, kept, new)
                    changed.append(p)
                    if fresh and state:
                        states[pid] = state
        finally:
            if changed:  # Functions recorded before this step refuse to backward through these parameters
                mark_all_modified(changed)
                for p in changed:
                    if p.__dict__.get("_views"):  # views taken from p show its new values (PyTorch's shared storage)
                        refresh_views(p)
            modes.grad_enabled = previous_mode
        return loss

    def _settle_state(self, p: Tensor, state: dict[str, Any] | None,
                      home: tuple[Any, Any, bool] | None) -> tuple[Any, Any, bool]:
        """``p``'s home (backend, dtype, whether complex), noted at its first step; its state, if any, moved to
        ``p``'s backend and dtype if ``p`` moved since."""
        new_home = (p.backend, p.array.dtype, is_complex_dtype(p.backend, p.array.dtype))
        if new_home[2] and not self.supports_complex:
            raise RuntimeError(f"{type(self).__name__} does not support complex parameters (got one of dtype "
                               f"{dtype_name(p.array.dtype)}), as in PyTorch")
        if state and (home is None or home[:2] != new_home[:2]):
            _follow_parameter(state, p)
        self._state_home[id(p)] = new_home
        return new_home

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Any:  # pragma: no cover - interface
        """The new value of one parameter: ``grad`` is the gradient of what is minimised, weight decay applied.

        ``state`` is this parameter's (empty at its first step), ``group`` its options. ``param`` may be
        updated in place where ``is_writeable(param)``; return it (or a new array).
        """
        raise NotImplementedError(f"{type(self).__name__} must define update")  # abstract

    # -- state ----------------------------------------------------------------------------------
    def _all_params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {name: array}}, "param_groups": [{..., "params": [index]}]}``.

        Arrays are native arrays of the parameters' backend; numbers stay Python numbers.
        """
        for hook in hooks_of(self, "state_dict_pre"):
            hook(self)
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state = {index[pid]: {k: _copy(v) for k, v in s.items()} for pid, s in self.state.items() if pid in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        state_dict = {"state": state, "param_groups": groups}
        for hook in hooks_of(self, "state_dict_post"):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore state and options; arrays move to each parameter's backend."""
        pre_hooks = hooks_of(self, "load_state_dict_pre")
        if pre_hooks:
            state_dict = state_dict.copy()  # shallow, as PyTorch's: a hook may change it in place
        for hook in pre_hooks:
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        params = self._all_params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved parameter groups do not match "
                             "this optimizer's (different number of groups or parameters)")
        _check_saved_options(self, groups)
        # all or nothing: every entry is converted and checked before anything of this optimizer changes
        state, homes = {}, {}
        as_tensors = type(self).update is Optimizer.update  # written for PyTorch: its step reads Tensor state
        for key, saved_state in state_dict["state"].items():
            if not 0 <= int(key) < len(params):
                continue  # no parameter of the groups has this index: unused, as PyTorch leaves it
            p = params[int(key)]
            entries = state[id(p)] = {name: _to_param_backend(value, p, as_tensors) for name, value in
                                      saved_state.items()}
            if not as_tensors:  # (a PyTorch-style step keeps its step counter a Tensor, as PyTorch's)
                entries.update({name: _counter_as_number(name, value, p) for name, value in entries.items()})
            _follow_parameter(entries, p)
            homes[id(p)] = (p.backend, p.array.dtype, is_complex_dtype(p.backend, p.array.dtype))
            for name, value in entries.items():
                if self.state_shaped_like_params and int(getattr(value, "ndim", 0)) > 0 and \
                        tuple(value.shape) != tuple(p.shape):
                    # (PyTorch loads it and its step fails: RuntimeError 'The size of tensor a (3) must match')
                    raise ShapeMismatchError(f"{type(self).__name__}.load_state_dict: the saved state of parameter "
                                             f"{key} ({name!r}) has shape {tuple(value.shape)}, the parameter "
                                             f"{tuple(p.shape)}; is it the state of another model?")
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = ParamState(state)
        self._state_home = homes
        self._unchecked_state = {} if as_tensors else {pid: True for pid, entries in state.items() if entries}
        for hook in hooks_of(self, "load_state_dict_post"):
            hook(self)


_dict_get = dict.get


class ForeignOptimizerStateError(ValueError, KeyError):
    """The state dict of another optimizer type: PyTorch's step raises ``KeyError`` ('momentum') after loading it;
    a ValueError too (anynn's class before)."""

    __str__ = BaseException.__str__  # (KeyError's would quote the message)


def _check_saved_options(optimizer: Optimizer, groups: list[dict[str, Any]]) -> None:
    """Refuse saved parameter groups that lack one of ``optimizer``'s hyperparameters (an option whose default is
    not a flag: True/False/None): the state dict of another optimizer type. PyTorch loads it and its step fails
    later with a bare ``KeyError`` ('momentum'); merging kept this optimizer's values beside the other's. A
    missing flag (``maximize``, ``foreach``, an option added in a later release) is taken from this optimizer."""
    name = type(optimizer).__name__
    for i, saved in enumerate(groups):
        missing = [k for k, v in optimizer.defaults.items() if k not in saved and not (v is None or
                                                                                   isinstance(v, bool))]
        if missing:
            foreign = sorted(k for k in saved if k not in optimizer.defaults and k != "params")
            raise ForeignOptimizerStateError(
                f"{name}.load_state_dict: saved parameter group {i} has no {', '.join(map(repr, missing))} "
                f"({name}'s options; it holds {', '.join(map(repr, foreign)) or 'no others'}): is it the state dict "
                f"of another optimizer type? Load it into the optimizer that saved it")


def _follow_parameter(state: dict[str, Any], p: Tensor) -> None:
    """Move a parameter's state arrays to its current backend and cast floating ones to its dtype; a complex
    parameter's real counters (``step``, ``eta``, ``mu_product``) to its real precision, not to complex."""
    xp = p.backend.xp
    target = p.array.dtype
    if is_complex_dtype(p.backend, target):
        target = xp.float64 if target == xp.complex128 else xp.float32
    for name, value in state.items():
        state[name] = _cast_floating(_to_param_backend(value, p, None), xp, target)


def _cast_floating(value: Any, xp: Any, target: Any) -> Any:
    """``value`` (an array, a Tensor, or a list, tuple or dict of them; anything else as it is) with its
    floating arrays cast to ``target``."""
    if isinstance(value, dict):
        return {k: _cast_floating(v, xp, target) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        cast = [_cast_floating(v, xp, target) for v in value]
        return cast if isinstance(value, list) else tuple(cast)
    array = value.array if isinstance(value, Tensor) else value
    if not hasattr(array, "dtype") or not dtype_name(array.dtype).startswith("float") or array.dtype == target:
        return value
    return Tensor._make(xp.astype(array, target), value.backend, None, 0) if isinstance(value, Tensor) else \
        xp.astype(array, target)


def _name_a_shape_change(optimizer: Optimizer, p: Tensor, grad: Any, state: dict[str, Any],
                         error: Exception) -> None:
    """Raise `ShapeMismatchError` from ``error``, naming the optimizer, the parameter and both shapes, when the
    update failed because ``p`` no longer has its gradient's or its state's shape (its ``.data`` was replaced by
    an array of another shape); the library's broadcast error named neither, nor did PyTorch's."""
    shape = tuple(p.shape)
    where = f"{type(optimizer).__name__}.step: parameter {_index_of(optimizer, p)} has shape {shape}"
    if tuple(grad.shape) != shape:
        raise ShapeMismatchError(f"{where} but its gradient {tuple(grad.shape)}: was its .data replaced by one of "
                                 f"another shape after backward?") from error
    if not optimizer.state_shaped_like_params:
        return
    for name, value in state.items():
        if int(getattr(value, "ndim", 0)) > 0 and tuple(value.shape) != shape:
            raise ShapeMismatchError(f"{where} but its state {name!r} {tuple(value.shape)}: its .data was replaced "
                                     f"by one of another shape after a step; drop its state (del optimizer.state[p]) "
                                     f"or make a new optimizer") from error


def _index_of(optimizer: Optimizer, p: Tensor) -> int | None:
    return next((i for i, q in enumerate(optimizer._all_params()) if q is p), None)


def _holds_tensor_options(group: dict[str, Any]) -> bool:
    """Whether ``group``'s ``lr``, ``weight_decay`` or ``betas`` are Tensors (PyTorch accepts 1-element tensors for
    them: SGD's weight_decay too)."""
    betas = group.get("betas")
    return isinstance(group["lr"], Tensor) or isinstance(group.get("weight_decay"), Tensor) or (
        isinstance(betas, tuple) and any(isinstance(b, Tensor) for b in betas))


_PYTHON_NUMBERS = (int, float, bool)
_NO_NUMPY_NUMBER = frozenset({int, float, bool, type(None), str, list})  # option types that are no NumPy number


def _numpy_number(value: Any) -> bool:
    return type(value) not in _PYTHON_NUMBERS and isinstance(value, numbers.Real)


def _holds_numpy_numbers(group: dict[str, Any]) -> bool:
    """Whether an option of ``group`` (or an entry of a tuple option: ``betas``, ``etas``) is a NumPy number: an
    ``lr`` from ``np.logspace``, a `LambdaLR` factor from ``np.cos``. PyTorch reads them as Python numbers; in the
    update they promoted float32 parameters to float64 (NumPy's and JAX's rules for a NumPy scalar) or were refused
    (array-api-strict)."""
    for value in group.values():
        kind = type(value)
        if kind in _NO_NUMPY_NUMBER:  # (most options: a set lookup, not the numbers.Real ABC check of each)
            continue
        if kind is tuple:
            for entry in value:
                if _numpy_number(entry):
                    return True
        elif isinstance(value, numbers.Real):
            return True
    return False


LR_IN_FLOAT32 = "_lr_in_float32"  # a step-local flag: the group's lr is a float32 Tensor


def _with_numbers(group: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``group`` whose Tensor ``lr``, ``weight_decay`` and ``betas`` are read as Python floats for this step
    (the group keeps the Tensors, so a scheduler or the program can change them in place as in PyTorch). A float32
    ``lr`` Tensor is flagged: PyTorch computes the scalars made from it in float32 (`_shrink`, Adam's step size).
    NumPy numbers among the options (`_holds_numpy_numbers`) are read as Python numbers too."""
    out = dict(group)
    out["lr"] = _number(group["lr"])
    if isinstance(group["lr"], Tensor) and dtype_name(group["lr"].array.dtype) == "float32":
        out[LR_IN_FLOAT32] = True
    if "weight_decay" in group:
        out["weight_decay"] = _number(group["weight_decay"])
    if isinstance(group.get("betas"), tuple):
        out["betas"] = tuple(_number(b) for b in group["betas"])
    for key, value in out.items():
        if _numpy_number(value):
            out[key] = python_number(value)
        elif type(value) is tuple and any(_numpy_number(entry) for entry in value):
            out[key] = tuple(python_number(entry) for entry in value)
    return out


def _shrink(group: dict[str, Any], decay: Any) -> Any:
    """The decoupled weight decay's factor ``1 - lr * weight_decay``; with a float32 ``lr`` Tensor each operation
    rounded to float32, as PyTorch's 0-d Tensor arithmetic gives it (its AdamW differed by 6e-8 in 5 steps)."""
    if not group.get(LR_IN_FLOAT32) or not isinstance(decay, float):
        return 1.0 - group["lr"] * decay
    return round_float32(1.0 - round_float32(group["lr"] * round_float32(decay)))


def _number(value: Any) -> Any:
    return float(value.item()) if isinstance(value, Tensor) else value


def _copy(value: Any) -> Any:
    """Snapshot an array (updates are in place, so a state_dict must not alias live state); a Tensor (the state
    of an optimizer written for PyTorch) as a Tensor."""
    if isinstance(value, Tensor):
        return Tensor._make(value.backend.xp.asarray(value.array, copy=True), value.backend, None, 0)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return array_namespace(value).asarray(value, copy=True)
    return value


def _to_param_backend(value: Any, p: Tensor, as_tensor: bool | None = False) -> Any:
    """A saved state entry as a native array of ``p``'s backend (a Tensor with ``as_tensor``: the state of an
    optimizer written for PyTorch; with None, Tensors stay Tensors and arrays arrays). Numbers and strings stay
    as they are; lists, tuples and dicts (PyTorch's optimizers may keep them: Shampoo's preconditioners) are
    converted entry by entry."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, dict):
        return {k: _to_param_backend(v, p, as_tensor) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        moved = [_to_param_backend(v, p, as_tensor) for v in value]
        return moved if isinstance(value, list) else tuple(moved)
    if as_tensor is None:
        as_tensor = isinstance(value, Tensor)
    if isinstance(value, Tensor):
        array = value.array if value.backend == p.backend else transfer(value.array, value.backend, p.backend)
    elif is_host_array(value):
        value = host_array(value, float_dtype=None)
        if value.ndim == 0 and value.dtype.kind in "iu":  # a step counter saved as an array
            return int(value)
        array = p.backend.from_host(value)
    else:
        source = backend_of(value)
        array = value if source == p.backend else transfer(value, source, p.backend)
    return Tensor._make(array, p.backend, None, 0) if as_tensor else array


def _settle_touched_state(optimizer: Optimizer) -> None:
    """Read the Tensors put into the states reached by a parameter (``optimizer.state[p]``) as the update's own
    values: native arrays of the parameter's backend, 0-d floating ones (PyTorch's ``step``) as numbers, as
    `Optimizer.load_state_dict` reads saved entries. The states stay noted: the user may keep the dict."""
    states = optimizer.state
    for p in optimizer._all_params():
        pid = id(p)
        if pid not in states.touched:
            continue
        entries = _dict_get(states, pid)
        if not entries:
            continue
        for name, value in entries.items():
            if isinstance(value, Tensor):
                entries[name] = _counter_as_number(name, _to_param_backend(value, p), p)


# the state entries PyTorch keeps as 0-d float32 tensors whatever the parameter's shape
_COUNTERS = frozenset({"step", "eta", "mu", "mu_product"})


def _counter_as_number(name: str, value: Any, p: Tensor) -> Any:
    """A saved 0-d real floating entry (PyTorch's ``step``, ``eta``, ``mu``, ``mu_product``: float32 tensors) as
    the Python float the eager update keeps; as an array it would promote a float32 parameter to float64. A 0-d
    parameter's moments are 0-d too: for it only the counters are numbers (an update writes its moments in place,
    which a number would lose)."""
    if p.ndim == 0 and name not in _COUNTERS:
        return value
    if getattr(value, "ndim", None) == 0 and dtype_name(value.dtype).startswith(("float", "bfloat")):
        return float(p.backend.to_host(value))
    return value


def in_shared_memory(backend: Backend, kept: Any, new: Any) -> Any:
    """A parameter's next array: ``new``, written into its array ``kept`` where that lives in memory other
    processes share (``share_memory()``: Hogwild workers must update the one copy, not leave it)."""
    if new is not kept and backend.is_shared(kept):
        return at_set(kept, ..., new)
    return new


def _scale(param: Any, factor: float) -> Any:
    """``param * factor``, in place where the array allows it (decoupled weight decay)."""
    if is_writeable(param):
        param *= factor
        return param
    return param * factor
