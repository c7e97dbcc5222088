"""Elementwise arithmetic and math (with clone and masked_fill): forward and backward of each primitive side by side.

Shapes: inputs broadcast as in the array API; gradients are summed back to each input's shape.
Complex inputs take PyTorch's convention: each formula multiplies by the conjugate of the derivative
(`formulas.conjugate.conj`, the array itself for real dtypes).
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..backend import dtype_name, op
from ..backend.arrays import integer_fill
from ..backend.broadcasting import broadcast_shapes
from ..backend.default_dtype import default_float
from ..backend.typing import Namespace
from .dtype_kinds import isdtype
from .formulas.conjugate import conj, is_complex, sign
from .value_checks import (KernelNotImplementedError, ShapeMismatchError, UnsupportedDTypeError, explain_shape_failure,
                           python_number, refuse_complex, refuse_kernel)


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


def _both_bool(xp: Namespace, a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` (arrays or Python numbers) are both boolean."""
    return all(isinstance(v, bool) or (hasattr(v, "dtype") and xp.isdtype(v.dtype, "bool")) for v in (a, b))


class Add(Function):
    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.shapes = (_shape(a), _shape(b))
        try:
            return a + b
        except TypeError:  # booleans add as a logical or, as PyTorch's (array-api-strict has no + of booleans)
            if _both_bool(xp, a, b):
                return a | b
            raise

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        return (sum_to_shape(xp, g, self.shapes[0]) if ga else None,
                sum_to_shape(xp, g, self.shapes[1]) if gb else None)


class Sub(Function):
    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.shapes = (_shape(a), _shape(b))
        return a - b

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        return (sum_to_shape(xp, g, self.shapes[0]) if ga else None,
                sum_to_shape(xp, -g, self.shapes[1]) if gb else None)


class Mul(Function):
    ties_constant_gradient = False  # g * other: a product by a constant is a constant, as PyTorch's
    fresh_gradients = True  # each a new product
    saved_numbers_are_values = True

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        # what the backward reads, as PyTorch's: b for a's gradient, a for b's, else only shapes (a product by a
        # constant or a mask keeps no array of its input alive, and a later in-place change of it is allowed)
        ga, gb = self.needs_input_grad
        self.shapes = (_shape(a), _shape(b))
        self.a = a if gb else None
        self.b = b if ga else None
        try:
            return a * b
        except TypeError:  # booleans multiply as a logical and, as PyTorch's (array-api-strict has no * of them)
            if _both_bool(xp, a, b):
                return a & b
            raise

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        return (sum_to_shape(xp, g * conj(xp, self.b), self.shapes[0]) if ga else None,
                sum_to_shape(xp, g * conj(xp, self.a), self.shapes[1]) if gb else None)


def scaled(a: Any, factor: Any) -> Any:
    """``a * factor``, where ``factor`` (a Python number) is a parameter of a composite op rather than an operand
    (lerp's weight, add's alpha, trapezoid's spacing): PyTorch's C++ composites multiply by a Scalar, which saves no
    tensor, so a backward without retain_graph leaves the node and a second one runs through it (``a * 2.0``
    written in Python saves a wrapped scalar tensor, and a second backward through it raises)."""
    out = a * factor
    fn = getattr(out, "_ctx", None)
    if type(fn) is Mul and not hasattr(factor, "shape"):
        fn.saved_numbers_are_values = False
    return out


def divided(a: Any, divisor: Any) -> Any:
    """``a / divisor`` for a Python number ``divisor`` that is a parameter of a composite op (torch.gradient's
    spacing), saved as PyTorch's C++ Scalar divisions save it: not a value (see `scaled`)."""
    out = a / divisor
    fn = getattr(out, "_ctx", None)
    if type(fn) is Div and not hasattr(divisor, "shape"):
        fn.saved_numbers_are_values = False
    return out


class Div(Function):
    ties_constant_gradient = False  # g / other: a constant over a constant, as PyTorch's
    saved_numbers_are_values = True
    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.shapes = (_shape(a), _shape(b))
        self.a = a if self.needs_input_grad[1] else None  # (as Mul: a only for b's gradient)
        self.b = b
        return a / b

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        b = conj(xp, self.b)
        grad_a = g / b
        return (sum_to_shape(xp, grad_a, self.shapes[0]) if ga else None,
                sum_to_shape(xp, -grad_a * conj(xp, self.a) / b, self.shapes[1]) if gb else None)


class Neg(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        if dtype_name(a.dtype) == "bool":  # (NumPy's own TypeError leaked before)
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                               "invert a mask, use the `~` or `logical_not()` operator instead.")
        return -a

    def backward(self, xp: Namespace, g: Any) -> Any:
        return -g


class Pow(Function):
    """``a ** exponent`` for a Python-number exponent."""

    exponent: float

    @property
    def ties_constant_gradient(self) -> bool | None:  # type: ignore[override]
        """PyTorch's gradient of ``x ** 0`` is ``zeros_like(x)``, a constant; the others read ``x`` (``x ** 1``'s
        is ``g * x.pow(0)``: a function of ``x`` with derivative zero)."""
        return False if self.exponent == 0 else None

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        if self.exponent == 2:
            return a * a
        return a ** self.exponent

    def backward(self, xp: Namespace, g: Any) -> Any:
        p = self.exponent
        if p == 0:  # d/da a^0 = 0, also at a = 0 where a^(p-1) is inf
            return xp.zeros_like(g)
        if p == 1:
            return g
        if p == 2:  # 2 a g, fused where the backend can (a penalty's sum(w ** 2): one pass on NumPy)
            return op(self.backend, "square_grad")(g, conj(xp, self.a))
        return g * conj(xp, p * self.a ** (p - 1))


def integer_power(xp: Namespace, a: Any, b: Any) -> Any:
    """``a ** b`` of integer arrays with PyTorch's answer for a negative exponent, the truncated ``1 / a**|b|``: 1 for
    ``a = 1``, +-1 for ``a = -1``, 0 otherwise (NumPy raises ValueError there)."""
    negative = b < 0
    out = xp.pow(a, xp.where(negative, xp.zeros_like(b), b))
    a = xp.astype(a, out.dtype)  # signed (b is): an unsigned base compares with -1 as itself, not wrapped around
    one, zero = xp.ones_like(out), xp.zeros_like(out)
    minus_one = xp.where(b % 2 == 0, one, -one)
    return xp.where(negative, xp.where(a == 1, one, xp.where(a == -1, minus_one, zero)), out)


class PowTensor(Function):
    """``a ** b`` with both tensors (``a > 0`` where the gradient in ``b`` is needed, but for ``a = 0``), or ``b`` a
    Python complex number (``x ** 0.5j``: the real and integer ones take `Pow`).

    As PyTorch: the gradient in ``a`` is 0 where ``b = 0`` (``0 * a^-1`` would be NaN at ``a = 0``), the gradient in
    ``b`` is 0 where ``a = 0`` and ``b >= 0`` (``0 * log 0``).
    """

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        signed = isdtype(xp, a.dtype, "integral") and isdtype(xp, b.dtype, "signed integer")
        self.out = integer_power(xp, a, b) if signed else xp.pow(a, b)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        a, b = self.a, self.b
        grad_a = grad_b = None
        if ga:
            slope = b * xp.pow(a, b - 1)
            if isinstance(b, complex):  # a number: no array condition (torch's and array-api-strict's where need one)
                slope = conj(xp, xp.zeros_like(slope) if b == 0 else slope)
            else:
                slope = conj(xp, xp.where(b == 0, xp.zeros_like(slope), slope))
            grad_a = sum_to_shape(xp, g * slope, _shape(a))
        if gb:
            slope = self.out * xp.log(a)
            b_real = xp.real(b) if is_complex(xp, b) else b
            slope = conj(xp, xp.where((a == 0) & (b_real >= 0), xp.zeros_like(slope), slope))
            grad_b = sum_to_shape(xp, g * slope, _shape(b))
        return grad_a, grad_b


class Exp(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        self.out = xp.exp(a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * conj(xp, self.out)


class Log(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.log(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g / conj(xp, self.a)


class Sqrt(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        self.out = xp.sqrt(a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g / (2.0 * conj(xp, self.out))


class Abs(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.abs(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        a = self.a
        if not is_complex(xp, a):
            return g * sign(xp, a)
        return xp.astype(g, a.dtype) * sign(xp, a)


class Sin(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.sin(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * conj(xp, xp.cos(self.a))


class Cos(Function):
    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.cos(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return -g * conj(xp, xp.sin(self.a))


class Clip(Function):
    """Clamp to ``[min, max]`` (either may be ``None``); the gradient passes where not clamped."""

    ties_constant_gradient = False  # the gradient through a mask of the bounds

    min: float | None
    max: float | None

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        if self.min is not None and self.max is not None and self.min > self.max:
            return xp.full_like(a, self.max)  # PyTorch's max(min(...)): every element is max (the standard refuses)
        return xp.clip(a, self.min, self.max)

    def backward(self, xp: Namespace, g: Any) -> Any:
        inside = xp.ones_like(self.a, dtype=xp.bool)
        if self.min is not None:
            inside = inside & (self.a >= self.min)
        if self.max is not None:
            inside = inside & (self.a <= self.max)
        return xp.where(inside, g, xp.zeros_like(g))


class Maximum(Function):
    """Elementwise maximum of two tensors; ties send half the gradient to each, as PyTorch does."""

    ties_constant_gradient = False  # the gradient through a mask of the comparison

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        if isdtype(xp, a.dtype, "bool") and isdtype(xp, b.dtype, "bool"):  # the standard's maximum is numeric only
            return a | b
        return xp.maximum(a, b)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        return _extremum_grads(self, xp, g, largest=True)


def _extremum_grads(fn: Any, xp: Namespace, g: Any, largest: bool) -> tuple[Any, Any]:
    """The gradients of `Maximum` / `Minimum` (``largest``) of ``fn.a`` and ``fn.b``: all of g to the winner, half
    to each of a tie, and all of it to both where one is NaN (unordered), as PyTorch's: its masks ('a < b' zeroes
    a's share of a maximum) compare false there (anynn sent it all to b)."""
    a, b = fn.a, fn.b
    tie = 0.5 * xp.astype(a == b, g.dtype)
    a_loses, b_loses = (a < b, b < a) if largest else (b < a, a < b)
    ga, gb = fn.needs_input_grad
    return (sum_to_shape(xp, g * (1.0 - xp.astype(a_loses, g.dtype) - tie), _shape(a)) if ga else None,
            sum_to_shape(xp, g * (1.0 - xp.astype(b_loses, g.dtype) - tie), _shape(b)) if gb else None)


class Minimum(Function):
    """Elementwise minimum of two tensors; ties send half the gradient to each, as PyTorch does.

    Its own primitive rather than ``-maximum(-a, -b)``: negation wraps unsigned integers and refuses booleans.
    """

    ties_constant_gradient = False  # the gradient through a mask of the comparison

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        if isdtype(xp, a.dtype, "bool") and isdtype(xp, b.dtype, "bool"):
            return a & b
        return xp.minimum(a, b)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        return _extremum_grads(self, xp, g, largest=False)


class Where(Function):
    """``where(condition, a, b)`` with a boolean condition array (no gradient)."""

    def forward(self, xp: Namespace, condition: Any, a: Any, b: Any) -> Any:
        self.condition = condition
        self.shapes = (_shape(a), _shape(b))
        return xp.where(condition, a, b)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        zero = xp.zeros_like(g)
        _, ga, gb = self.needs_input_grad
        return (None,
                sum_to_shape(xp, xp.where(self.condition, g, zero), self.shapes[0]) if ga else None,
                sum_to_shape(xp, xp.where(self.condition, zero, g), self.shapes[1]) if gb else None)


def cast_array(xp: Namespace, a: Any, dtype: Any) -> Any:
    """``a`` in ``dtype``; complex to real keeps the real part (to bool: nonzero), as PyTorch's (and NumPy's) cast,
    where the standard leaves it undefined and array-api-strict refuses it. Floating to an integer dtype narrower
    than 32 bits goes through int32, so values outside the target wrap as PyTorch's (and NumPy's) CPU cast wraps
    them (-1.25 as uint8 is 255, 300.0 is 44), where XLA clamps (0 and 255)."""
    if isdtype(xp, a.dtype, "complex floating") and not isdtype(xp, dtype, "complex floating"):
        a = a != 0 if isdtype(xp, dtype, "bool") else xp.real(a)
    if (isdtype(xp, a.dtype, "real floating") and isdtype(xp, dtype, "integral")
            and xp.iinfo(dtype).bits < 32):
        a = xp.astype(a, xp.int32)
    return xp.astype(a, dtype)


class Cast(Function):
    """Change dtype; the gradient is cast back (its real part, for a real source made complex, as PyTorch's)."""

    keeps_edges = True  # saves only the source dtype
    dtype: Any

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.source_dtype = a.dtype
        return cast_array(xp, a, self.dtype)

    def backward(self, xp: Namespace, g: Any) -> Any:
        if is_complex(xp, g) and not isdtype(xp, self.source_dtype, "complex floating"):
            g = xp.real(g)
        return xp.astype(g, self.source_dtype)


class Clone(Function):
    """A copy that stays in the graph (``torch.Tensor.clone``)."""

    keeps_edges = True

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.asarray(a, copy=True)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g


class MaskedFill(Function):
    """``value`` where the boolean ``mask`` (broadcast to ``a``) is true; the gradient flows elsewhere."""

    value: float

    def forward(self, xp: Namespace, a: Any, mask: Any) -> Any:
        self.mask = mask
        return xp.where(mask, xp.full_like(a, self.value), a)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        return xp.where(self.mask, xp.zeros_like(g), g), None



def as_floating(x: Any) -> Any:
    """An integer or boolean Tensor in the default dtype (float32 unless set), as PyTorch computes ``exp``, ``log``,
    ``sqrt``, ``sin``, ``tanh``... of integers (NumPy's promotion would give float16 or float64); anything else as
    it is."""
    backend = getattr(x, "backend", None)
    if backend is None or isdtype(backend.xp, x.array.dtype, ("real floating", "complex floating")):
        return x
    return x.astype(default_float())


def as_common_floating(*values: Any) -> tuple[Any, ...]:
    """The integer and boolean operands among ``values`` (Tensors or native arrays; ``None`` passes) in the floating
    operands' promoted dtype, float32 when none is floating, as PyTorch promotes the operands of its floating ops
    (NumPy would give float64 for int64 beside float32); floating operands as they are."""
    from ..autograd.tensor import Tensor

    backend = next(v.backend for v in values if isinstance(v, Tensor))
    if any(v.backend != backend if isinstance(v, Tensor) else v is not None and not backend.is_native(v)
           for v in values):
        return values  # two backends: the op's own check refuses them, naming the op and both backends
    xp = backend.xp
    kinds = ("real floating", "complex floating")
    dtypes = [v.array.dtype if isinstance(v, Tensor) else v.dtype for v in values if v is not None]
    floating = [d for d in dtypes if isdtype(xp, d, kinds)]
    common = xp.result_type(*floating) if floating else xp.float32

    def cast(value: Any) -> Any:
        if value is None or isdtype(xp, value.array.dtype if isinstance(value, Tensor) else value.dtype, kinds):
            return value
        return value.astype(common) if isinstance(value, Tensor) else xp.astype(value, common)

    return tuple(cast(v) for v in values)


def exp(input: Any) -> Any:
    """``e ** input`` of each element of input (*); integers become the default dtype."""
    return Exp.apply(as_floating(input))


def log(input: Any) -> Any:
    """Natural logarithm of each element of input (*); integers become the default dtype."""
    return Log.apply(as_floating(input))


def sqrt(input: Any) -> Any:
    """Square root of each element of input (*); integers become the default dtype."""
    return Sqrt.apply(as_floating(input))


def abs(input: Any) -> Any:  # noqa: A001 - mirrors the array API name
    """Absolute value of each element of input (*), of its dtype (the magnitude, a real tensor, for complex input); a
    boolean tensor is refused, as PyTorch's kernel refuses it."""
    refuse_kernel("abs", "abs_cpu", ("bool",), input)
    return Abs.apply(input)


def sin(input: Any) -> Any:
    """Sine of each element of input (*, radians); integers become the default dtype."""
    return Sin.apply(as_floating(input))


def cos(input: Any) -> Any:
    """Cosine of each element of input (*, radians); integers become the default dtype."""
    return Cos.apply(as_floating(input))


def clip(input: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """``input`` clamped to ``[min, max]``: numbers (`Clip`), or Tensors/arrays broadcast against it (`ClampTensor`)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    min, max = python_number(min), python_number(max)  # (np.log(100): a bound PyTorch reads as a Python float)
    refuse_complex("clamp", input, min, max)
    if hasattr(input, "backend") and isdtype(input.backend.xp, input.array.dtype, "bool") and all(
            isinstance(v, (bool, type(None))) for v in (min, max)):
        raise KernelNotImplementedError("clamp: \"clamp_scalar_cpu\" not implemented for 'Bool' (a boolean tensor "
                                        "between boolean bounds), as in PyTorch; give integer bounds or cast it first")
    if isinstance(min, (int, float, type(None))) and isinstance(max, (int, float, type(None))):
        if isinstance(min, float) or isinstance(max, float):
            input = as_floating(input)  # an integer input clamped to a float bound is float32, as PyTorch's
        elif isdtype(input.backend.xp, input.array.dtype, "bool"):
            input = input.astype("int64")  # a boolean input clamped to integer bounds is int64, as PyTorch's
        if isdtype(input.backend.xp, input.array.dtype, "integral"):  # bounds in the dtype's range (uint8 wraps)
            min, max = (None if v is None else _integer_value(input.backend.xp, input.array.dtype, int(v), "clamp")
                        for v in (min, max))
        else:  # a finite bound beyond the dtype's range (1e40 for float32) is PyTorch's RuntimeError
            min, max = (None if v is None else integer_fill(input.backend.xp, input.array.dtype, v, "clamp")
                        for v in (min, max))
        return Clip.apply(input, min=min, max=max)
    from .clamp_tensor import clamp_tensor

    return clamp_tensor(input, min, max)


def maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum of a and b, broadcast together (ties share the gradient)."""
    refuse_complex("maximum", a, b)
    try:
        return Maximum.apply(a, b)
    except (ValueError, RuntimeError, TypeError) as error:  # (JAX: TypeError 'incompatible shapes')
        explain_shape_failure("maximum", a, b, False, error)
        raise


def minimum(a: Any, b: Any) -> Any:
    refuse_complex("minimum", a, b)
    try:
        return Minimum.apply(a, b)
    except (ValueError, RuntimeError, TypeError) as error:
        explain_shape_failure("minimum", a, b, False, error)
        raise


def where(condition: Any, a: Any, b: Any) -> Any:
    """Pick ``a`` where ``condition`` holds, else ``b`` (condition: a boolean Tensor or array)."""
    from ..autograd.tensor import Tensor

    cond = condition.array if isinstance(condition, Tensor) else condition
    try:
        return Where.apply(cond, a, b)
    except (ValueError, TypeError, RuntimeError) as error:  # shapes that do not broadcast: each library says it its
        # own way (NumPy's ValueError 'operands could not be broadcast'); PyTorch's RuntimeError names the sizes
        explain_shape_failure("where", cond, a, False, error)
        both = broadcast_shapes(tuple(getattr(cond, "shape", ())), tuple(getattr(a, "shape", ())))
        explain_shape_failure("where", _Shaped(both or ()), b, False, error)
        raise


class _Shaped:
    """A shape standing for the operands broadcast so far, in `explain_shape_failure`."""

    def __init__(self, shape: tuple[Any, ...]) -> None:
        self.shape = shape


def clone(input: Any, *, memory_format: Any = None) -> Any:
    """A copy of ``input`` (gradient flows through); ``memory_format`` is a layout hint (`anynn.memory_format`)."""
    from ..memory_format import check_memory_format

    check_memory_format("clone()", memory_format)
    return Clone.apply(input)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``value`` where ``mask`` is true, ``input`` elsewhere; mask: boolean, broadcastable to ``input.shape``."""
    from ..autograd.tensor import Tensor

    from .value_checks import check_one_backend

    check_one_backend("masked_fill", input, mask, value)
    mask_data = mask.array if isinstance(mask, Tensor) else mask
    if not input.backend.xp.isdtype(mask_data.dtype, "bool"):
        raise UnsupportedDTypeError(f"masked_fill: the mask must be boolean, got {mask_data.dtype}")
    shape, mask_shape = tuple(input.shape), tuple(mask_data.shape)
    target = broadcast_shapes(shape, mask_shape)
    if target is None:
        raise ShapeMismatchError(f"masked_fill: a mask of shape {mask_shape} does not broadcast with the tensor's "
                                 f"{shape}")
    if target != shape:  # PyTorch's out-of-place masked_fill broadcasts the tensor to the mask's shape too
        input = input.expand(*target)
    if isinstance(value, Tensor):
        if value.requires_grad and value.ndim == 0 and input.backend.xp.isdtype(input.dtype, "real floating"):
            # a 0-d tensor value gets the gradient of the places it fills, as PyTorch's
            return Where.apply(mask_data, value if value.dtype == input.dtype else value.astype(input.dtype), input)
        value = value.item()
    xp = input.backend.xp
    if isinstance(value, complex) and not xp.isdtype(input.dtype, "complex floating"):
        if value.imag:  # PyTorch's refusal (float() raised its own TypeError)
            raise RuntimeError(f"masked_fill: value {value} cannot be converted to type {dtype_name(input.dtype)} "
                               f"without overflow")
        value = value.real
    # (a float beyond float32's range into float32 is PyTorch's RuntimeError: integer_fill refuses it)
    value = float(integer_fill(xp, input.dtype, float(value), "masked_fill")) if xp.isdtype(
        input.dtype, "real floating") else complex(value) if xp.isdtype(
        input.dtype, "complex floating") else bool(value) if xp.isdtype(input.dtype, "bool") else _integer_value(
        xp, input.dtype, int(value), "masked_fill")
    return MaskedFill.apply(input, mask_data, value=value)


def _integer_value(xp: Namespace, dtype: Any, value: int, name: str) -> int:
    """``value`` as an element of the integer ``dtype``, as PyTorch converts a fill value or a bound: in the dtype's
    range as it is; uint8 also takes -255..-1, wrapped (``-2`` is 254); anything else raises, naming op and dtype."""
    return integer_fill(xp, dtype, value, name)
