"""Complex tensors' parts under PyTorch's names: ``real``, ``imag``, ``conj``, ``angle``, ``view_as_real``,
``view_as_complex``, ``complex``, ``polar``, ``is_complex``; each a `Function` with PyTorch's gradient.

PyTorch's gradient of a real loss L with respect to z = x + iy is ``G = dL/dx + i dL/dy`` (see
`formulas.conjugate`). With ``g`` the gradient arriving at the output:

- ``real(z)``: ``G = g``; ``imag(z)``: ``G = i g``; ``conj(z)``: ``G = conj(g)``;
- ``angle(z)``: ``G = g i z / |z|²`` (0 at z = 0; a real input's angle, 0 or pi, has gradient 0);
- ``view_as_real`` (..., ) -> (..., 2) and ``view_as_complex`` (..., 2) -> (..., ): each other's adjoint;
- ``complex(re, im)``: ``(real(g), imag(g))``; ``polar(r, t)`` = r e^{it}: ``(Re(g e^{-it}), r Im(g e^{-it}))``.

Differences from PyTorch: ``conj`` and the two ``view_as_*`` return new arrays, not views sharing memory
(``is_conj()`` is always False); an array library has no conjugate bit or strided reinterpretation.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.broadcasting import broadcast_shapes
from ..backend.default_dtype import default_float
from ..backend.typing import Namespace
from .formulas.conjugate import make_complex
from .value_checks import require_tensor

_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def _is_complex(x: Tensor) -> bool:
    return x.backend.xp.isdtype(x.array.dtype, "complex floating")


class RealPart(Function):
    """``real(z)``: (*) complex -> (*) real."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.complex_dtype = dtype_name(a.dtype)  # (by name: no saved object, as PyTorch's node saves nothing)
        return xp.real(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.astype(g, self.backend.dtype(self.complex_dtype))


class ImagPart(Function):
    """``imag(z)``: (*) complex -> (*) real."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.complex_dtype = dtype_name(a.dtype)  # (by name: no saved object, as PyTorch's node saves nothing)
        return xp.imag(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.astype(g, self.backend.dtype(self.complex_dtype)) * 1j


class Conj(Function):
    """``conj(z)``, same shape and dtype."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.conj(a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.conj(g)


class Angle(Function):
    """``angle(z) = atan2(imag z, real z)``: (*) complex -> (*) real."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.atan2(xp.imag(a), xp.real(a))

    def backward(self, xp: Namespace, g: Any) -> Any:
        a = self.a
        squared = xp.real(a) * xp.real(a) + xp.imag(a) * xp.imag(a)
        zero = squared == 0
        # i z / |z|^2, with 1 in place of |z|^2 = 0 so that no division makes NaN where the gradient is 0
        slope = a * 1j / xp.astype(xp.where(zero, xp.ones_like(squared), squared), a.dtype)
        return xp.where(zero, xp.zeros_like(slope), xp.astype(g, a.dtype) * slope)


class Sgn(Function):
    """``z / |z|`` (0 at 0) of a complex tensor; ``G = (g - conj(g) s²) / (2 |z|)`` with s = sgn(z), 0 at 0."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.magnitude = xp.abs(a)
        self.zero = self.magnitude == 0
        safe = xp.where(self.zero, xp.ones_like(self.magnitude), self.magnitude)
        self.out = a / xp.astype(safe, a.dtype)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        s = self.out
        safe = xp.where(self.zero, xp.ones_like(self.magnitude), self.magnitude)
        grad = (g - xp.conj(g) * s * s) / xp.astype(2.0 * safe, s.dtype)
        return xp.where(self.zero, xp.zeros_like(grad), grad)


class ViewAsReal(Function):
    """(*) complex -> (*, 2) real: the real and imaginary parts along a new last axis. (Its dtype kept by name: no
    object a backward without retain_graph would count as saved, as PyTorch's node saves nothing.)"""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.complex_dtype = dtype_name(a.dtype)
        return xp.stack([xp.real(a), xp.imag(a)], axis=-1)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return make_complex(xp, g[..., 0], g[..., 1], self.backend.dtype(self.complex_dtype))


class ViewAsComplex(Function):
    """(*, 2) real -> (*) complex: the last axis read as (real, imaginary); ``complex_dtype`` the result's name."""

    complex_dtype: str

    def forward(self, xp: Namespace, a: Any) -> Any:
        return make_complex(xp, a[..., 0], a[..., 1], self.backend.dtype(self.complex_dtype))

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.stack([xp.real(g), xp.imag(g)], axis=-1)


class ComplexFunction(Function):
    """``real + i imag`` from two real tensors of one dtype and shape."""

    dtype: Any

    def forward(self, xp: Namespace, real: Any, imag: Any) -> Any:
        return make_complex(xp, real, imag, self.dtype)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        return xp.real(g), xp.imag(g)


class Polar(Function):
    """``abs * (cos(angle) + i sin(angle))`` from two real tensors of one dtype and shape."""

    dtype: Any

    def forward(self, xp: Namespace, radius: Any, angle: Any) -> Any:
        self.radius, self.cos, self.sin = radius, xp.cos(angle), xp.sin(angle)
        return make_complex(xp, radius * self.cos, radius * self.sin, self.dtype)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        re, im = xp.real(g), xp.imag(g)
        # g e^{-it}: its real part is the radius' gradient, r times its imaginary part the angle's
        along, across = re * self.cos + im * self.sin, im * self.cos - re * self.sin
        return along, self.radius * across


def is_complex(input: Tensor) -> bool:  # noqa: A002 - PyTorch's name
    """Whether ``input``'s dtype is complex64 or complex128 (``torch.is_complex``)."""
    return _is_complex(input)


def real(input: Tensor) -> Tensor:  # noqa: A002
    """The real part (``torch.real``): a real tensor; a real input is returned as it is."""
    return RealPart.apply(input) if _is_complex(input) else input


def imag(input: Tensor) -> Tensor:  # noqa: A002
    """The imaginary part of a complex tensor (``torch.imag``); a real input is refused, as PyTorch's."""
    if not _is_complex(input):
        raise RuntimeError(f"imag is not implemented for tensors with non-complex dtypes (got {input.dtype})")
    return ImagPart.apply(input)


def conj(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate (``torch.conj``; a new tensor, not a lazy view); a real input as it is."""
    return Conj.apply(input) if _is_complex(input) else input


def sgn(input: Tensor) -> Tensor:  # noqa: A002
    """``z / |z|`` (0 at 0) of a complex tensor (``torch.sgn``; `anynn.sgn` sends real tensors to ``sign``)."""
    return Sgn.apply(input)


def conj_physical(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate (``torch.conj_physical``); a real input as it is."""
    return conj(input)


def _require_tensor(name: str, input: Any) -> None:  # noqa: A002
    """PyTorch's parser's TypeError where ``input`` is not a Tensor (a function that only returns it would not trip)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def resolve_conj(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself: anynn's conjugates are never lazy (``torch.resolve_conj``)."""
    _require_tensor("resolve_conj", input)
    return input


def resolve_neg(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself: anynn has no lazy negation (``torch.resolve_neg``)."""
    _require_tensor("resolve_neg", input)
    return input


def is_conj(input: Tensor) -> bool:  # noqa: A002
    """Always False: anynn's conjugates are materialized (``torch.is_conj``)."""
    _require_tensor("is_conj", input)
    return False


def angle(input: Tensor) -> Tensor:  # noqa: A002
    """The argument in ``(-pi, pi]`` (``torch.angle``); of a real input, 0 where >= 0 and pi where < 0 (NaN kept)."""
    if _is_complex(input):
        return Angle.apply(input)
    xp = input.backend.xp
    if not xp.isdtype(input.array.dtype, "real floating"):
        input = input.astype(default_float())  # noqa: A001 - PyTorch's integers give its default dtype
    data = input.array
    zeros = xp.zeros_like(data)
    pi = xp.full_like(data, 3.141592653589793)
    out = Tensor._make(xp.where(data < 0, pi, xp.where(data == data, zeros, data)),  # data == data: not NaN
                       input.backend, None, 0)
    return input * 0.0 + out if input.requires_grad else out  # (a gradient of zeros, as PyTorch's)


def view_as_real(input: Tensor) -> Tensor:  # noqa: A002
    """(*) complex -> (*, 2) real: the real and imaginary parts along a new last axis (``torch.view_as_real``)."""
    if not _is_complex(input):
        raise RuntimeError(f"view_as_real is only supported for complex tensors (got {input.dtype})")
    return ViewAsReal.apply(input)


def view_as_complex(input: Tensor) -> Tensor:  # noqa: A002
    """(*, 2) float32/float64 -> (*) complex64/complex128 (``torch.view_as_complex``)."""
    name = dtype_name(input.array.dtype)
    if name not in _COMPLEX_OF:
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, but got a tensor of "
                           f"scalar type: {input.dtype}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: Tensor must have a last dimension of size 2 (got shape "
                           f"{tuple(input.shape)})")
    return ViewAsComplex.apply(input, complex_dtype=_COMPLEX_OF[name])


def _real_pair(name: str, first: str, second: str, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Any]:
    """Two real tensors of one float dtype broadcast to one shape, and the complex dtype they make; or PyTorch's
    refusal."""
    from .broadcast import expand
    from .value_checks import ShapeMismatchError, check_one_backend

    check_one_backend(name, a, b)
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected object of scalar type {a.dtype} but got scalar type {b.dtype} for "
                           f"second argument ({first} and {second} must share their dtype)")
    dtype = dtype_name(a.array.dtype)
    if dtype not in _COMPLEX_OF:
        raise RuntimeError(f"{name}: Expected both inputs to be Half, Float or Double tensors but got {a.dtype} and "
                           f"{b.dtype}")
    if tuple(a.shape) != tuple(b.shape):
        shape = broadcast_shapes(tuple(a.shape), tuple(b.shape))
        if shape is None:
            rank = max(a.ndim, b.ndim)
            left, right = (1,) * (rank - a.ndim) + tuple(a.shape), (1,) * (rank - b.ndim) + tuple(b.shape)
            axis, (m, n) = next((i, mn) for i, mn in enumerate(zip(left, right)) if len(set(mn) - {1}) > 1)
            raise ShapeMismatchError(f"{name}: the size of {first} ({m}) must match the size of {second} ({n}) at "
                                     f"non-singleton dimension {axis} (shapes {tuple(a.shape)} and {tuple(b.shape)})")
        a, b = expand(a, *shape), expand(b, *shape)
    return a, b, a.backend.dtype(_COMPLEX_OF[dtype])


def complex(real: Tensor, imag: Tensor, *, out: None = None) -> Tensor:  # noqa: A001 - PyTorch's name
    """``real + i imag`` from two float32 or float64 tensors of one dtype, broadcast (``torch.complex``)."""
    require_tensor("complex", real, "real", 1)
    require_tensor("complex", imag, "imag", 2)
    real, imag, dtype = _real_pair("complex", "real", "imag", real, imag)
    return ComplexFunction.apply(real, imag, dtype=dtype)


def polar(abs: Tensor, angle: Tensor, *, out: None = None) -> Tensor:  # noqa: A002 - PyTorch's names
    """``abs * (cos(angle) + i sin(angle))`` (``torch.polar``); float32 or float64 inputs of one dtype, broadcast."""
    require_tensor("polar", abs, "abs", 1)
    require_tensor("polar", angle, "angle", 2)
    abs, angle, dtype = _real_pair("polar", "abs", "angle", abs, angle)
    return Polar.apply(abs, angle, dtype=dtype)


def _real_property(self: Tensor) -> Tensor:
    return real(self)


def _imag_property(self: Tensor) -> Tensor:
    return imag(self)


def _adjoint(self: Tensor) -> Tensor:
    """``x.mH``: the conjugate transpose of the last two axes."""
    return conj(self.mT)


FUNCTIONS: dict[str, Any] = {
    "is_complex": is_complex, "real": real, "imag": imag, "conj": conj, "conj_physical": conj_physical,
    "resolve_conj": resolve_conj, "resolve_neg": resolve_neg, "is_conj": is_conj, "angle": angle,
    "view_as_real": view_as_real, "view_as_complex": view_as_complex, "complex": complex, "polar": polar,
    "adjoint": _adjoint,
}
METHODS: dict[str, Any] = {
    "is_complex": is_complex, "conj": conj, "conj_physical": conj_physical, "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg, "is_conj": is_conj, "angle": angle, "adjoint": _adjoint,
    "real": property(_real_property), "imag": property(_imag_property), "mH": property(_adjoint),
    "H": property(lambda self: _conjugate_transpose(self)),
}


def _conjugate_transpose(self: Tensor) -> Tensor:
    """``x.H`` of a matrix (2-D only, as PyTorch's)."""
    if self.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.")
    return conj(self.mT)


__all__ = ["Angle", "ComplexFunction", "Conj", "FUNCTIONS", "ImagPart", "METHODS", "Polar", "RealPart", "Sgn",
           "ViewAsComplex", "ViewAsReal", "adjoint", "angle", "complex", "conj", "conj_physical", "imag", "is_complex",
           "is_conj", "polar", "real", "resolve_conj", "resolve_neg", "view_as_complex", "view_as_real"]
adjoint = _adjoint
