"""Input checks at the public boundary of layers: errors name the layer, the expected and the given."""

from __future__ import annotations

from typing import Any

from ..autograd import autocast_mode
from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, dtype_name
from ..functional.value_checks import DTypeMismatchError, KernelNotImplementedError, NotATensorError


def check_input(layer: Any, x: Any, ndim: tuple[int, ...] | None = None, last_dim: int | None = None,
                dim: int | None = None, size: int | None = None, what: str = "features",
                half_inputs: bool = False, any_floating: bool = False,
                dtype_error: type[Exception] | None = None, shape_error: type[Exception] | None = None) -> None:
    """Raise a clear error unless ``x`` is a Tensor of the layer's backend/dtype with the right shape.

    ``ndim`` lists the accepted ranks; ``last_dim`` is the required size of the last axis; ``dim`` and
    ``size`` require ``x.shape[dim] == size`` (e.g. channels on axis 1); ``half_inputs``: float16/bfloat16
    input to float32 parameters is accepted (PyTorch's normalization layers take it, autocast or not);
    ``any_floating``: any floating input is (PyTorch's composite ``rms_norm`` promotes). A dtype other than the
    parameters' raises `DTypeMismatchError` (`NotFloatingInputError` for integers, bools and complex numbers;
    ``dtype_error`` where the layer gives its own class); a shape, `ShapeMismatch` (or ``shape_error``).
    """
    # hot path (every layer call): plain attribute reads, the message is built only on failure
    name = type(layer).__name__
    if not isinstance(x, Tensor):
        # (PyTorch: TypeError from its C functions, AttributeError from its Python forwards, input.dim())
        raise NotATensorError(f"{name}: expected an anynn Tensor, got {type(x).__module__}.{type(x).__name__}; "
                              "wrap it with anynn.tensor(...)")
    shape = x.array.shape
    if ndim is not None and len(shape) not in ndim:
        ranks = " or ".join(f"{n}-D" for n in ndim)
        raise (shape_error or ShapeMismatch)(f"{name}: expected {ranks} input, got {x.ndim}-D input of shape "
                                             f"{x.shape}")
    # (a size of None, a recorded axis whose size only the graph knows, is left to it: a reshape(B, T, -1) of symbolic
    # B and T in an ONNX export; the export's eager run on the example checks the sizes)
    if last_dim is not None and (not shape or shape[-1] != last_dim and shape[-1] is not None):
        raise (shape_error or ShapeMismatch)(f"{name}: expected input with {last_dim} {what} in the last dimension, "
                                             f"got shape {x.shape}")
    if dim is not None and size is not None and (dim >= len(shape) or shape[dim] != size and shape[dim] is not None):
        raise (shape_error or ShapeMismatch)(f"{name}: expected {size} {what} in dimension {dim}, got input of shape "
                                             f"{x.shape}")
    params = getattr(layer, "_parameters", None)
    weight = next(iter(params.values()), None) if params else None
    if weight is not None:
        if x.backend is not weight.backend and x.backend != weight.backend:
            raise BackendMismatch(f"{name}: input is on backend {x.backend.key!r} but the layer's parameters are "
                                  f"on {weight.backend.key!r}; move one with .to(...)")
        if (x.array.dtype != weight.array.dtype and not (autocast_mode.active_threads and autocast_mode.state.active)
                and not (any_floating and dtype_kind(x.array.dtype) == "f")
                and not (half_inputs and dtype_name(x.dtype) in ("float16", "bfloat16")
                         and dtype_name(weight.dtype) == "float32")):
            # (under autocast, float32 layers take float16/bfloat16 inputs, as PyTorch's do)
            real = dtype_kind(x.array.dtype) == "f" and not x.is_complex()
            error = dtype_error or (DTypeMismatchError if real else NotFloatingInputError)
            raise error(dtype_mismatch(name, weight.dtype, x.dtype))


class ShapeMismatch(ValueError, RuntimeError):
    """Inputs whose shapes cannot go together (a ValueError here, a RuntimeError in PyTorch: both catch it)."""


class NotFloatingInputError(DTypeMismatchError, KernelNotImplementedError):
    """An integer, bool or complex input to a layer of real floating-point parameters: PyTorch's kernels have no
    version for it (NotImplementedError: "batch_norm" not implemented for 'Long') or refuse the mix (RuntimeError:
    "mat1 and mat2 must have the same dtype"); a TypeError too."""


class RecurrentDTypeError(DTypeMismatchError, ValueError):
    """An input to a recurrent layer in another dtype than its weights: PyTorch's RNNBase raises ValueError ("RNN
    input dtype (torch.float64) does not match weight dtype (torch.float32)"); a TypeError and RuntimeError too."""


class ArgumentAssertionError(ValueError, AssertionError):
    """A layer argument that PyTorch asserts (AssertionError: Embedding's padding_idx, MultiheadAttention's
    embed_dim), a ValueError here."""


class AssertedShapeMismatch(ShapeMismatch, AssertionError):
    """Inputs of the wrong rank or size where PyTorch asserts their shapes (MultiheadAttention's query, key and
    value: "was expecting embedding dimension of 4, but got 6"): an AssertionError too."""


class MaskMismatch(AssertedShapeMismatch):
    """A key_padding_mask of the wrong shape: PyTorch's MultiheadAttention asserts it (AssertionError), so this is
    an AssertionError too, besides anynn's ValueError."""


class MaskDTypeError(TypeError, AssertionError):
    """An attention mask neither boolean nor floating (an integer one): PyTorch's MultiheadAttention asserts it
    ('only bool and floating types of key_padding_mask are supported'), so this is an AssertionError too."""


def dtype_mismatch(layer: str, expected: Any, given: Any) -> str:
    """The message of a layer's `DTypeMismatchError` (a TypeError, and PyTorch's RuntimeError): the layer, both
    dtypes, and the casts that fix it (NumPy float64 data keeps its dtype in `anynn.tensor`, as in PyTorch, so a
    float32 model needs ``np.float32`` arrays or ``.float()``)."""
    want, got = dtype_name(expected), dtype_name(given)
    return (f"{layer}: expected input dtype {want} (the layer's), got {got}; cast the input (x.to(anynn.{want}); "
            f"NumPy data as np.{want} arrays) or the layer (model.to(anynn.{got}))")


def check_floating(layer: Any, x: Any, what: str = "input") -> None:
    """Refuse an integer or bool Tensor where the layer's math needs floating point (PyTorch refuses it too):
    `KernelNotImplementedError`, a TypeError and PyTorch's NotImplementedError ("elu_cpu" not implemented for
    'Long'; a RuntimeError, as its other refusals of a dtype)."""
    if isinstance(x, Tensor) and not (x.is_floating_point() or x.is_complex()):
        raise KernelNotImplementedError(f"{type(layer).__name__}: expected a floating-point {what}, got "
                                        f"{dtype_name(x.dtype)}; convert it first (x.float() or x.astype('float32'))")


def check_broadcast(layer: Any, names: tuple[str, ...], tensors: tuple[Any, ...]) -> None:
    """Raise `ShapeMismatch` naming the layer unless the shapes of ``tensors`` broadcast together."""
    shapes = [tuple(t.shape) for t in tensors if isinstance(t, Tensor)]
    for axis in range(1, max((len(s) for s in shapes), default=0) + 1):
        sizes = {s[-axis] for s in shapes if len(s) >= axis} - {1}
        if len(sizes) > 1:
            given = ", ".join(f"{n} {tuple(t.shape)}" for n, t in zip(names, tensors) if isinstance(t, Tensor))
            raise ShapeMismatch(f"{type(layer).__name__}: the shapes of {given} do not match (size "
                                f"{' vs '.join(str(s) for s in sorted(sizes))} at dimension {-axis})")


def check_same_backend(layer: Any, args: tuple[Any, ...]) -> None:
    """Raise `BackendMismatch` naming the layer unless every Tensor in ``args`` is on one backend (and a
    `TypeError` for an array of another library in place of a Tensor)."""
    for a in args:
        if not isinstance(a, Tensor) and any(hasattr(type(a), n) for n in ("__array__", "__array_namespace__")):
            raise NotATensorError(f"{type(layer).__name__}: expected an anynn Tensor, got "
                                  f"{type(a).__module__}.{type(a).__name__}; wrap it with anynn.tensor(...)")
    first = next((a for a in args if isinstance(a, Tensor)), None)
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a.backend != first.backend:  # type: ignore[union-attr]
            raise BackendMismatch(f"{type(layer).__name__}: argument {i + 1} is on backend {a.backend.key!r} but the "
                                  f"first input is on {first.backend.key!r}; move one with .to(...)")  # type: ignore[union-attr]


# id(dtype) -> (dtype, kind): keyed by identity, as hashing a NumPy dtype costs more than the rest of the check
# (every loss and activation call asks). The entry holds the dtype, so no other object takes its id while it
# lives, and the identity test makes a stale entry harmless; bounded, for dtypes made on the fly.
_KINDS: dict[int, tuple[Any, str]] = {}


def dtype_kind(dtype: Any) -> str:
    """``"f"`` (floating or complex), ``"b"`` (bool) or ``"i"`` (integer); one dict lookup after the first call."""
    hit = _KINDS.get(id(dtype))
    if hit is not None and hit[0] is dtype:
        return hit[1]
    name = dtype_name(dtype)
    kind = "f" if name.startswith(("float", "bfloat", "complex")) else "b" if name == "bool" else "i"
    if len(_KINDS) >= 256:
        _KINDS.clear()
    _KINDS[id(dtype)] = (dtype, kind)
    return kind


def refuse_dtype(layer: Any, x: Any, expected: str = "a floating-point") -> None:
    """Raise the `KernelNotImplementedError` (a TypeError, and PyTorch's NotImplementedError) of a layer given an
    input dtype its math has no meaning for."""
    raise KernelNotImplementedError(f"{type(layer).__name__}: expected {expected} input, got {dtype_name(x.dtype)}; "
                                    "convert it first (x.float() or x.astype('float32'))")


def check_not_bool(layer: Any, x: Any) -> None:
    """Refuse a bool Tensor where the layer compares or adds values (PyTorch refuses it too)."""
    if isinstance(x, Tensor) and dtype_kind(x.array.dtype) == "b":
        refuse_dtype(layer, x, "a numeric (not bool)")
