"""`Function`: one differentiable primitive, its forward and backward side by side."""

from __future__ import annotations

from typing import Any

from ..backend import Backend, BackendMismatch
from . import mode
from .tensor import Tensor


class Function:
    """A primitive of the autograd graph.

    Subclasses write ``forward(self, xp, *arrays)`` returning a native array (or a tuple of them)
    and ``backward(self, xp, *grad_outputs)`` returning one gradient (or ``None``) per input
    array. Both work in the array namespace ``xp``; whatever ``backward`` needs is saved on
    ``self`` in ``forward``. ``self.needs_input_grad[i]`` says whether input ``i`` wants a gradient,
    so ``backward`` can skip work. Keyword arguments of ``apply`` become attributes of ``self``.

    Call it through ``MyFunction.apply(*tensors, **params)``.
    """

    __slots__ = ("__dict__", "inputs", "needs_input_grad", "backend", "num_outputs")

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> Any:
        fn = cls.__new__(cls)
        if params:
            fn.__dict__.update(params)
        backend: Backend | None = None
        arrays = []
        needs = []
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                if backend is None:
                    backend = a.backend
                elif a.backend is not backend and a.backend != backend:
                    raise BackendMismatch(
                        f"{cls.__name__}: inputs live on two backends, {backend.key!r} and "
                        f"{a.backend.key!r}; move one with .to({backend.key!r})"
                    )
                arrays.append(a.data)
                wants = a._requires_grad
                needs.append(wants)
                any_grad = any_grad or wants
            else:
                arrays.append(a)
                needs.append(False)
        if backend is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor input")
        fn.backend = backend
        record = any_grad and mode.grad_enabled
        fn.needs_input_grad = tuple(needs) if record else (False,) * len(needs)
        out = fn.forward(backend.xp, *arrays)
        if isinstance(out, tuple):
            fn.num_outputs = len(out)
            results = tuple(Tensor._make(o, backend, fn if record else None, i) for i, o in enumerate(out))
        else:
            fn.num_outputs = 1
            results = Tensor._make(out, backend, fn if record else None, 0)
        if record:
            fn.inputs = args
        if mode.anomaly_hook is not None:
            mode.anomaly_hook(fn, "forward", out)
        return results

    def forward(self, xp: Any, *arrays: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define forward")  # abstract

    def backward(self, xp: Any, *grad_outputs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define backward")  # abstract

    @property
    def name(self) -> str:
        return type(self).__name__
