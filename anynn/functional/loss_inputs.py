"""Validation of the arguments of losses at the public boundary: kinds, backends, shapes, dtypes and values.

Every error names the loss and says what was expected and what was given. Value checks (probabilities in
[0, 1], class indices in range) go through `value_checks.check_values`, which reads one boolean back from
the device and never forces a traced array.
"""

from __future__ import annotations

from typing import Any

from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, backend_of, dtype_name, host_array, is_host_array
from ..backend.typing import Namespace
from ..backend.broadcasting import broadcast_shapes
from .dtype_kinds import isdtype
from .value_checks import DTypeMismatchError, NotATensorError, ShapeMismatchError
from .value_checks import KernelNotImplementedError, array_on_backend, check_one_backend, check_values

REDUCTIONS = ("mean", "sum", "none")


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def check_reduction(name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def check_input(name: str, input: Any, what: str = "input") -> None:
    """``input`` (the argument ``what``) must be an anynn Tensor (as PyTorch's losses require a Tensor)."""
    if not isinstance(input, Tensor):
        # (PyTorch's Python-written losses trip on input.size(): an AttributeError too)
        raise NotATensorError(f"{name}(): argument '{what}' must be Tensor, not {_type_name(input)}; "
                              f"wrap it with anynn.tensor(...)")


def as_operand(name: str, what: str, value: Any, input: Tensor) -> Any:
    """``value`` (a ``target``) as a Tensor or a native array of ``input``'s backend.

    Lists, numbers and host NumPy arrays (on a backend other than NumPy) raise ``TypeError`` as PyTorch does
    ("must be Tensor, not list"); a Tensor or native array of another backend raises `BackendMismatch`
    naming both backends.
    """
    be = input.backend
    if isinstance(value, Tensor):
        if value.backend != be:
            raise BackendMismatch(f"{name}: {what} is on backend {value.backend.key!r} but the input is on "
                                  f"{be.key!r}; move one with .to(...)")
        return value
    if be.is_native(value):
        return value
    if is_host_array(value) or isinstance(value, (list, tuple, int, float, bool, complex)) or value is None:
        raise NotATensorError(f"{name}(): argument '{what}' must be Tensor, not {_type_name(value)}; wrap it "
                              f"with anynn.tensor(..., backend={be.key!r})")
    try:
        other = backend_of(value)
    except TypeError:
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {_type_name(value)}") from None
    raise BackendMismatch(f"{name}: {what} is an array of backend {other.key!r} but the input is on {be.key!r}; "
                          f"wrap it with anynn.tensor(...) and move it with .to({be.key!r})")


def data_of(value: Any) -> Any:
    return value.array if isinstance(value, Tensor) else value


def check_same_shape(name: str, input: Any, target: Any) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeMismatchError(
            f"{name}: input and target shapes differ: input {tuple(input.shape)}, target {tuple(target.shape)}"
        )


def check_floating(name: str, what: str, value: Any, xp: Namespace) -> None:
    """``value`` must hold real floating-point numbers (PyTorch: "Found dtype Long but expected Float"; its loss
    kernels are "not implemented" for complex ones): a `TypeError` that is also a `NotImplementedError`, so a
    `RuntimeError`."""
    if not isdtype(xp, data_of(value).dtype, "real floating"):
        raise KernelNotImplementedError(f"{name}: {what} must be floating-point, got dtype "
                                        f"{dtype_name(data_of(value).dtype)}; cast it with .float() or "
                                        ".to(dtype=...)")


def float_target(name: str, target: Any, input: Tensor) -> Any:
    """A target of integers or booleans as the input's dtype (PyTorch promotes them in regression losses)."""
    check_one_backend(name, input, target)
    xp = input.backend.xp
    data = data_of(target)
    if isdtype(xp, data.dtype, ("integral", "bool")):
        return xp.astype(data, input.dtype)
    return target


def check_probabilities(name: str, what: str, value: Any, backend: Any) -> None:
    """Every element of ``value`` in [0, 1] (NaN is outside), as PyTorch's BCE checks."""
    data = data_of(value)
    inside = (data >= 0.0) & (data <= 1.0)
    check_values(backend, ~inside, f"{name}: all elements of {what} should be between 0 and 1", values=data)


def check_broadcast_together(name: str, **operands: Any) -> None:
    """The operands' shapes must broadcast together (PyTorch: "The size of tensor a (4) must match the size of tensor
    b (3) at non-singleton dimension 1"): a `ValueError` naming ``name`` and every shape, before the array library's
    own message. Python numbers and symbolic (None) sizes pass."""
    shapes = {what: tuple(value.shape) for what, value in operands.items() if hasattr(value, "shape")}
    if broadcast_shapes(*shapes.values()) is None:
        listed = ", ".join(f"{what} {shape}" for what, shape in shapes.items())
        raise ShapeMismatchError(f"{name}: the shapes of {listed} do not broadcast together")


def check_broadcasts_to(name: str, what: str, value: Any, shape: tuple[int, ...]) -> None:
    """``value``'s shape must broadcast to ``shape`` without growing it (as PyTorch's ``weight``/``pos_weight``)."""
    own = tuple(value.shape)
    ok = len(own) <= len(shape) and all(a in (1, b) for a, b in zip(reversed(own), reversed(shape)))
    if not ok:
        raise ShapeMismatchError(f"{name}: {what} of shape {own} does not broadcast to the input's shape "
                                 f"{tuple(shape)}")


def option_array(name: str, what: str, value: Any, input: Any, refuse_grad: bool = True, numbers: bool = False,
                 same_dtype: bool = False) -> Any:
    """A ``weight``/``pos_weight`` (Tensor, native array or NumPy array) as a native array of the input's backend and
    dtype (no gradient flows into it). A Tensor that requires grad is refused while recording, as PyTorch's fused
    losses refuse it (``refuse_grad=False``: taken as a constant). A list, tuple or Python number is a `TypeError`, as
    PyTorch's "must be Tensor, not list" (``numbers``: a number is taken, as PyTorch's loss that multiplies by it).
    ``same_dtype``: a Tensor of another dtype is PyTorch's RuntimeError "expected scalar type Float but found Double"
    (its nll and multi-margin kernels; a `DTypeMismatchError`) instead of being cast."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or (not numbers and isinstance(value, (bool, int, float, complex))):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {_type_name(value)}, as in PyTorch; wrap it "
                        f"with anynn.tensor(...)")
    be = input.backend
    # (by name: a weight on another backend has another library's dtype object, and gets the backend's error below)
    if same_dtype and isinstance(value, Tensor) and dtype_name(value.dtype) != dtype_name(input.dtype):
        raise DTypeMismatchError(f"{name}: expected scalar type {dtype_name(input.dtype)} but found "
                                 f"{dtype_name(value.dtype)} for argument '{what}', as PyTorch; cast it with "
                                 f"{what}.to(input.dtype)")
    if isinstance(value, Tensor):
        if refuse_grad and value.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{name}: the function is not differentiable with respect to argument '{what}' (as "
                               f"in PyTorch): it cannot have requires_grad=True; pass {what}.detach()")
        value = array_on_backend(value, be, name, what, "the input")
    elif not be.is_native(value):
        value = be.from_host(host_array(value, None))
    if value.dtype != input.dtype:
        value = be.xp.astype(value, input.dtype)
    return value


def class_target(name: str, target: Any, input: Tensor, num_classes: int, ignore_index: int) -> Any:
    """Integer class indices as int64 (uint8 and int32 too, on every backend), each in [0, C) or ignore_index."""
    xp = input.backend.xp
    data = data_of(target)
    if data.dtype != xp.int64:
        data = xp.astype(data, xp.int64)
    bad = ((data < 0) | (data >= num_classes)) & (data != ignore_index)
    check_values(input.backend, bad, f"{name}: target holds class {{value}} at flat position {{position}}, outside "
                 f"[0, {num_classes}) for input with {num_classes} classes", values=data, error=IndexError)
    return data
