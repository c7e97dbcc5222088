"""`Distribution`: the base of anynn's probability distributions, after PyTorch's ``torch.distributions``.

A distribution holds Tensors (its parameters) and answers with Tensors, so ``log_prob``, ``entropy`` and
``rsample`` are differentiable through the parameters, as in PyTorch. Samples come from anynn's generators
(seeded by `anynn.manual_seed`): the same laws as PyTorch's, other numbers.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor


def as_shape(sample_shape: Any) -> tuple[int, ...]:
    """``sample_shape`` (an int, a tuple or a Size) as a tuple of ints."""
    if isinstance(sample_shape, int):
        return (sample_shape,)
    return tuple(int(s) for s in sample_shape)


class Distribution:
    """The interface: ``sample``, ``rsample``, ``log_prob``, ``entropy``, ``batch_shape``, ``event_shape``,
    ``arg_constraints`` and ``support`` (see `anynn.distributions.constraints`).

    ``validate_args=True`` checks the parameters against ``arg_constraints`` when the distribution is made, and
    each ``log_prob``, ``cdf`` and ``log_survival_function`` value against ``support`` and the event shape (as
    PyTorch's, whose ``cdf`` checks too), raising PyTorch's ``ValueError``s. Without
    it nothing is checked: anynn's default is off (PyTorch's is on), as a check reads the values back to the host
    (`set_default_validate_args` turns it on for every distribution made later).
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict[str, Any] = {}
    support: Any = None
    _validate_default = False

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Check (``True``) or not (``False``, anynn's default) the arguments of distributions made without
        ``validate_args``."""
        if value not in (True, False):
            raise ValueError("set_default_validate_args: expected True or False")
        Distribution._validate_default = value

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("log_prob", "cdf", "log_survival_function"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_validates", False):
                setattr(cls, name, _validating(method))

    def __init__(self, batch_shape: tuple[int, ...] = (), event_shape: tuple[int, ...] = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = validate_args
        if validate_args if validate_args is not None else Distribution._validate_default:
            self._validate_args = True
            self._check_parameters()

    def _check_parameters(self) -> None:
        """PyTorch's check of each parameter given (a derived one, such as ``logits`` from ``probs``, is not)."""
        from .constraints import is_dependent

        for name, constraint in self.arg_constraints.items():
            if is_dependent(constraint):
                continue
            value = self.__dict__.get(name, self.__dict__.get("_" + name))
            if value is None and "_" + name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                                                 property):
                value = getattr(self, name)  # a parameter read through its base's (Chi2's df: 2 concentration)
            if not isinstance(value, Tensor):
                continue
            if not bool(constraint.check(value).all()):
                raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to satisfy the constraint {constraint!r}, but found "
                                 f"invalid values:\n{value}")

    def _validate_sample(self, value: Any) -> None:
        """PyTorch's check of a ``log_prob`` value: a Tensor, its event shape, inside ``support``."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event = len(self._event_shape)
        if tuple(value.shape[value.ndim - event:]) != self._event_shape or value.ndim < event:
            raise ValueError(f"The right-most size of value must match event_shape: {tuple(value.shape)} vs "
                             f"{self._event_shape}.")
        support = self.support
        if support is None:
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        return self._event_shape

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """A copy with batch shape ``batch_shape`` (PyTorch's): each parameter (the names of ``arg_constraints``,
        its bases' too) and each distribution it is built on expanded without copying data; ``batch_shape``
        broadcasts the current one (new leading axes, or axes of size 1 grown)."""
        import copy

        new_batch = as_shape(batch_shape)
        old_batch = self._batch_shape
        lead = len(new_batch) - len(old_batch)
        if lead < 0 or any(o != 1 and o != n for o, n in zip(old_batch, new_batch[lead:])):
            raise RuntimeError(f"{type(self).__name__}.expand: batch shape {old_batch} cannot be expanded to "
                               f"{new_batch}")
        names: set[str] = set()
        for cls in type(self).__mro__:  # a base's parameters too (Chi2's are Gamma's)
            constraints = cls.__dict__.get("arg_constraints", {})
            if isinstance(constraints, property):  # (Uniform's and Wishart's depend on their values)
                constraints = constraints.fget(self)  # type: ignore[misc]
            names.update(name for key in constraints for name in (key, "_" + key))
        expanded = copy.copy(self)
        found = False
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor) and name in names:
                value = value.expand(*new_batch, *value.shape[len(old_batch):])
            elif isinstance(value, Distribution) and tuple(value.batch_shape[:len(old_batch)]) == old_batch:
                value = value.expand(new_batch + tuple(value.batch_shape[len(old_batch):]))
            else:
                continue
            found = True
            expanded.__dict__[name] = value
        if not found and new_batch != old_batch:
            raise NotImplementedError(f"{type(self).__name__}.expand: no parameter to expand (anynn expands the "
                                      f"parameters named in arg_constraints)")
        expanded._batch_shape = new_batch
        return expanded

    def _extended_shape(self, sample_shape: Any = ()) -> tuple[int, ...]:
        return as_shape(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A sample of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        from ..autograd.mode import no_grad

        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sample (rsample)")

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.log_prob")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.entropy")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.cdf")

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.icdf")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support")

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        """PyTorch's helper for a subclass's ``expand``: ``_instance``, or a new uninitialised instance of this
        class (refused where the subclass has its own ``__init__`` but not its own ``expand``)."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                                      f"__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self) -> str:
        """PyTorch's: each parameter of ``arg_constraints`` the distribution holds (given, or computed and kept),
        by its value where it has one element, else by its shape: ``Normal(loc: 0.0, scale: (2,))``."""
        shown = []
        for name in self.arg_constraints:
            value = self.__dict__.get(name, self.__dict__.get("_" + name))
            if isinstance(value, Tensor):
                shown.append(f"{name}: {value if value.numel() == 1 else value.shape}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _validating(method: Any) -> Any:
    """``method`` (``log_prob``, ``cdf``...) that first checks its value where the distribution validates its
    arguments."""
    import functools

    @functools.wraps(method)
    def checked(self: Distribution, value: Any, *args: Any, **kwargs: Any) -> Any:
        if self._validate_args is True:
            self._validate_sample(value)
        return method(self, value, *args, **kwargs)

    checked._validates = True  # type: ignore[attr-defined]
    return checked
