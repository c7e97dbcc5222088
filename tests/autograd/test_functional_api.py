"""``anynn.autograd.functional`` (vjp, jvp, vhp, hvp, jacobian, hessian) against ``torch.autograd.functional``: the
same calls refused (``strict=True``, ``strategy``/``vectorize`` combinations) and the same results where both accept,
on every backend, float64.

PyTorch's strict mode also refuses a ``create_graph=True`` result that does not require grad; anynn's recorded
gradients require grad where PyTorch's do (``(3 * a).sum()``'s is a constant, ``a.abs()``'s is tied to ``a``: see
``Function.ties_constant_gradient``), so the same calls are refused.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd import functional as AF
from tests.helpers import make

X, Y = np.array([0.3, -1.2, 0.7]), np.array([0.5, 2.0, -0.4])
V = (np.array([1.0, 2.0, -0.5]), np.array([-1.0, 0.5, 0.25]))

# name -> f(lib, a, b): how (and whether) the output depends on each input
FUNCTIONS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "nonlinear": lambda lib, a, b: (a * b).sin().sum(),
    "unused_b": lambda lib, a, b: (a * a).sin().sum(),
    "constant": lambda lib, a, b: lib.ones(()) * 2.0,  # no input reaches the output
    "detached_a": lambda lib, a, b: (a.detach() * b.sin()).sum(),
    "abs_a": lambda lib, a, b: (a.abs() + b.exp()).sum(),  # H's entries for a: none
    "linear": lambda lib, a, b: (3.0 * a - b).sum(),  # a constant gradient: strict create_graph refuses
}

# (api, function, create_graph, strict, extra keyword arguments)
CASES = [
    (api, name, create, strict, {})
    for api in ("vjp", "jvp", "vhp", "hvp", "jacobian", "hessian")
    for name in FUNCTIONS
    for create, strict in ((False, False), (False, True), (True, True))
] + [
    ("jacobian", "nonlinear", False, False, {"strategy": "forward-mode", "vectorize": True}),
    ("jacobian", "nonlinear", False, False, {"strategy": "forward-mode"}),  # needs vectorize=True
    ("jacobian", "nonlinear", False, True, {"strategy": "forward-mode", "vectorize": True}),
    ("jacobian", "nonlinear", True, False, {"strategy": "forward-mode", "vectorize": True}),
    ("jacobian", "nonlinear", False, True, {"vectorize": True}),
    ("jacobian", "nonlinear", False, False, {"vectorize": True}),
    ("hessian", "nonlinear", False, False, {"outer_jacobian_strategy": "forward-mode", "vectorize": True}),
    ("hessian", "nonlinear", False, False, {"outer_jacobian_strategy": "forward-mode"}),
]
IDS = [f"{api}-{name}-create{int(create)}-strict{int(strict)}" + "".join(f"-{k}={v}" for k, v in extra.items())
       for api, name, create, strict, extra in CASES]


def _call(lib: Any, api: str, name: str, create: bool, strict: bool, extra: dict[str, Any],
          tensor: Callable[[np.ndarray], Any]) -> Any:
    functional = torch.autograd.functional if lib is torch else AF
    inputs = (tensor(X), tensor(Y))
    fn = FUNCTIONS[name]
    if api in ("jacobian", "hessian"):
        return getattr(functional, api)(lambda a, b: fn(lib, a, b), inputs, create_graph=create, strict=strict,
                                        **extra)
    v = None if api == "vjp" else (tensor(V[0]), tensor(V[1]))
    return getattr(functional, api)(lambda a, b: fn(lib, a, b), inputs, v, create_graph=create, strict=strict)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [leaf for part in value for leaf in _leaves(part)]
    return [value]


@pytest.mark.parametrize("api, name, create, strict, extra", CASES, ids=IDS)
def test_refusals_and_results_as_torch(backend, api, name, create, strict, extra):
    try:
        theirs = _call(torch, api, name, create, strict, extra, torch.tensor)
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(type(error)):
            _call(anynn, api, name, create, strict, extra, lambda a: make(backend, a))
        return
    ours = _call(anynn, api, name, create, strict, extra, lambda a: make(backend, a))
    ours_leaves, their_leaves = _leaves(ours), _leaves(theirs)
    assert len(ours_leaves) == len(their_leaves)
    for o, t in zip(ours_leaves, their_leaves):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(force=True), rtol=1e-12, atol=1e-14)
        if create:  # (PyTorch's forward-mode outer Jacobian leaves results requiring grad without create_graph)
            assert o.requires_grad == t.requires_grad


def test_results_inside_no_grad_as_torch(backend):
    """PyTorch's helpers enable grad around ``func``: inside ``no_grad`` they give the same results (anynn recorded
    nothing there, so jvp, vhp, hvp, jacobian and hessian gave zeros)."""
    for api in ("vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"):
        with torch.no_grad():
            theirs = _leaves(_call(torch, api, "nonlinear", False, False, {}, torch.tensor))
        with anynn.no_grad():
            ours = _leaves(_call(anynn, api, "nonlinear", False, False, {}, lambda a: make(backend, a)))
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12, atol=1e-14, err_msg=api)


@pytest.mark.parametrize("api", ["vhp", "hvp"])
def test_hessian_products_of_complex_inputs_as_torch(backend, api):
    """A real scalar of complex inputs: v is the gradient's grad_outputs, as PyTorch's (v^H H of the real function
    of (Re z, Im z)); anynn summed g * v, a complex number, and refused to differentiate it."""
    z, w = X + 1j * Y, V[0] + 1j * V[1]
    fn = lambda z: (z * z.conj()).real.sum() + (z ** 3).abs().sum()  # noqa: E731
    for create in (False, True):
        theirs = getattr(torch.autograd.functional, api)(fn, torch.tensor(z), torch.tensor(w), create_graph=create)
        ours = getattr(AF, api)(fn, make(backend, z), make(backend, w), create_graph=create)
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_unknown_strategy_names_the_choices(backend):
    x = make(backend, X)
    with pytest.raises(ValueError, match="jacobian: strategy must be 'forward-mode' or 'reverse-mode'"):
        AF.jacobian(lambda a: a * a, x, strategy="sideways")
    with pytest.raises(ValueError, match="hessian: outer_jacobian_strategy must be"):
        AF.hessian(lambda a: (a * a).sum(), x, outer_jacobian_strategy="sideways")
    for call in (torch.autograd.functional.jacobian, AF.jacobian):  # PyTorch asserts: AssertionError
        with pytest.raises(AssertionError):
            call(lambda a: a * a, torch.tensor(X) if call is not AF.jacobian else x, strategy="sideways")


S = np.array([0.4])  # a single-element input
# name -> call(functional, lib, tensor): what PyTorch refuses in its argument checks, refused here with its error class
MISUSE: dict[str, Callable[[Any, Any, Callable[[np.ndarray], Any]], Any]] = {
    # v may be omitted only for ONE single-element input (jvp, vhp, hvp) or output (vjp), not for several
    "jvp_no_v_two_inputs": lambda fn, lib, t: fn.jvp(lambda a, b: a * b, (t(S), t(S))),
    "vhp_no_v_two_inputs": lambda fn, lib, t: fn.vhp(lambda a, b: (a * b).sum(), (t(S), t(S))),
    "hvp_no_v_two_inputs": lambda fn, lib, t: fn.hvp(lambda a, b: (a * b).sum(), (t(S), t(S))),
    "vjp_no_v_two_outputs": lambda fn, lib, t: fn.vjp(lambda a: (a * 2, a * 3), t(S)),
    "vjp_v_too_long": lambda fn, lib, t: fn.vjp(lambda a: a * 2, t(X), (t(X), t(X))),
    "vhp_v_entry_shape": lambda fn, lib, t: fn.vhp(lambda a, b: (a * b).sum(), (t(X), t(Y)), (t(X), t(S))),
    # a list is not a tuple: inputs, v and outputs must be a Tensor or a tuple of Tensors
    "jacobian_list_inputs": lambda fn, lib, t: fn.jacobian(lambda a, b: a * b, [t(X), t(Y)]),
    "jacobian_list_outputs": lambda fn, lib, t: fn.jacobian(lambda a: [a * 2, a], t(X)),
    "jacobian_list_outputs_strict_vectorize": lambda fn, lib, t: fn.jacobian(lambda a: [a * 2, a], t(X), strict=True,
                                                                             vectorize=True),
    "vjp_list_v": lambda fn, lib, t: fn.vjp(lambda a: a * 2, t(X), [t(X)]),
    "hessian_number_output": lambda fn, lib, t: fn.hessian(lambda a: 3.0, t(X)),
    # one single-element Tensor, not a tuple of one (anynn took it) nor a vector
    "hessian_tuple_output": lambda fn, lib, t: fn.hessian(lambda a: ((a * a).sum(),), t(X)),
    "hvp_tuple_output": lambda fn, lib, t: fn.hvp(lambda a: ((a * a).sum(),), t(X), t(X)),
    "vhp_vector_output": lambda fn, lib, t: fn.vhp(lambda a: a * a, t(X), t(X)),
    # a complex output has no one-hot pass (anynn gave conj(f'(z)), or zeros for a real input)
    "jacobian_complex_output": lambda fn, lib, t: fn.jacobian(lambda a: a * 1j, t(X)),
    "hessian_complex_input": lambda fn, lib, t: fn.hessian(lambda a: (a * a).abs().sum(), t(X + 1j)),
}


@pytest.mark.parametrize("name", list(MISUSE))
def test_argument_checks_as_torch(backend, name):
    with pytest.raises((RuntimeError, TypeError)) as theirs:
        MISUSE[name](torch.autograd.functional, torch, torch.tensor)
    with pytest.raises(theirs.type) as ours:
        MISUSE[name](AF, anynn, lambda a: make(backend, a))
    words = {"v can only be None": "v can only be None", "invalid length": "invalid length",
             "invalid size": "v has invalid size", "tuple of Tensors": "must be either a Tensor or a tuple of Tensors",
             "single Tensor.": "should contain a single Tensor",
             "given to hessian should return a single Tensor": "given to hessian should return a single Tensor",
             "given to hvp should return a single Tensor": "given to hvp should return a single Tensor",
             "given to vhp should contain a single element": "given to vhp should contain a single element",
             "implicitly created only for real": "implicitly created only for real scalar outputs"}
    expected = [ours_words for theirs_words, ours_words in words.items() if theirs_words in str(theirs.value)]
    assert expected and expected[0] in str(ours.value)
