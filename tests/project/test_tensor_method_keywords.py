"""Every Tensor method that anynn shares with PyTorch accepts PyTorch's keyword names (mamba-minimal calls
``x.split(split_size=[...], dim=-1)``, other programs ``x.transpose(dim0=1, dim1=2)``, ``x.permute(dims=...)``).

PyTorch's Tensor methods are mostly written in C: their keyword names are read from the stub PyTorch ships for them
(``torch/_C/__init__.pyi``, class ``TensorBase``, every overload), and from the signature of those written in
Python (``torch._tensor``). A name there that anynn's method lacks fails, unless the tables below say why.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
import torch

import anynn

P = inspect.Parameter

# names in PyTorch's stub that PyTorch itself refuses as keywords (checked below, so a row goes stale loudly)
STUB_ONLY: dict[tuple[str, str], str] = {
    ("requires_grad_", "mode"): "the stub's name; PyTorch takes requires_grad=",
    ("to", "other"): "to(other=t) raises 'invalid combination of arguments': the tensor is positional only",
}
# PyTorch keyword names anynn does not take yet: overload spellings that ported programs have not been seen to use
PENDING: dict[tuple[str, str], str] = {
    ("copy_", "other"): "anynn names it src, as PyTorch's documentation does",
    ("expand", "implicit"): "an internal flag of PyTorch's tracer",
    ("max", "other"): "the elementwise overload, spelt torch.maximum in programs",
    ("min", "other"): "the elementwise overload, spelt torch.minimum in programs",
    ("resize_", "size"): "sizes are positional in programs",
    ("resize_as_", "the_template"): "positional in programs",
    **{(name, kw): "the overloads' names; programs pass them positionally"
       for name in ("tensor_split", "hsplit", "vsplit", "dsplit") for kw in ("indices", "sections")},
    ("tensor_split", "tensor_indices_or_sections"): "as above",
    **{("new", kw): "the legacy x.new(...) overloads' names; old programs pass sizes or data positionally"
       for kw in ("size", "other", "storage")},
}
# names read from the stub that are not keywords a user passes
IGNORED = {"out", "names", "name", "dimname", "memory_format"}


def _stub_keywords() -> dict[str, set[str]]:
    stub = Path(torch.__file__).parent / "_C" / "__init__.pyi"
    tree = ast.parse(stub.read_text(encoding="utf-8", errors="replace"))
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "TensorBase":
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_"):
                    args = [a.arg for a in fn.args.args[1:] + fn.args.kwonlyargs]
                    names.setdefault(fn.name, set()).update(args)
    for name, fn in vars(torch.Tensor).items():  # the methods PyTorch writes in Python
        if inspect.isfunction(fn) and not name.startswith("_"):
            params = list(inspect.signature(fn).parameters.values())[1:]
            names[name] = {p.name for p in params if p.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)}
    return {name: kws - IGNORED for name, kws in names.items()}


def _our_keywords(name: str) -> set[str] | None:
    """The keyword names anynn's method takes, or None where it takes any (``**kwargs``) or has no signature."""
    method = getattr(anynn.Tensor, name)
    if isinstance(method, property):
        return None
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == P.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)}


def test_tensor_methods_take_pytorchs_keyword_names():
    missing = []
    for name, theirs in sorted(_stub_keywords().items()):
        ours = _our_keywords(name) if hasattr(anynn.Tensor, name) else None
        if ours is None:
            continue
        missing += [f"Tensor.{name}({kw}=...)" for kw in sorted(theirs - ours)
                    if (name, kw) not in STUB_ONLY and (name, kw) not in PENDING]
    assert missing == [], f"PyTorch's keyword names anynn's Tensor refuses: {missing}"


def test_the_tables_are_not_stale():
    stub = _stub_keywords()
    for name, kw in [*STUB_ONLY, *PENDING]:
        assert kw in stub.get(name, set()), f"{name}({kw}=): no longer in PyTorch's stub"
    for name, kw in PENDING:
        assert kw not in (_our_keywords(name) or set()), f"{name}({kw}=) is taken now: remove its PENDING row"
    x = torch.zeros(2)
    for call in (lambda: x.requires_grad_(mode=True), lambda: x.to(other=x)):
        try:
            call()
        except TypeError:
            continue
        raise AssertionError("PyTorch now takes a keyword listed in STUB_ONLY")


def test_numpys_axis_and_keepdims_spellings_as_pytorchs_argument_parser():
    # PyTorch reads axis= as dim= and keepdims= as keepdim= (capsule-network code: s.sum(dim=-1, keepdims=True));
    # prod / median / nansum / squeeze raised TypeError on anynn
    calls = [lambda t: t.prod(-1, keepdims=True), lambda t: t.median(-1, keepdims=True).values,
             lambda t: t.nansum(axis=0, keepdims=True), lambda t: t[:1].squeeze(axis=0), lambda t: t.cumsum(axis=1),
             lambda t: t.logsumexp(axis=1, keepdims=True), lambda t: t.unsqueeze(axis=0)]
    calls += [lambda t: lib_of(t).prod(t, -1, keepdims=True), lambda t: lib_of(t).squeeze(t[:1], axis=0),
              lambda t: lib_of(t).cumsum(t, axis=1), lambda t: lib_of(t).median(t, axis=0).values,
              lambda t: lib_of(t).nansum(t, axis=1, keepdims=True), lambda t: lib_of(t).var_mean(t, axis=0)[0]]
    for call in calls:  # (and the torch.* functions, which anynn refused the same way)
        ours, theirs = call(anynn.ones(2, 3)), call(torch.ones(2, 3))
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.tolist() == theirs.tolist()
    for lib in (torch, anynn):  # both spellings at once, or a method PyTorch writes in Python: TypeError
        with pytest.raises(TypeError):
            lib.ones(2).prod(dim=0, keepdims=True, keepdim=True)
        with pytest.raises(TypeError):
            lib.ones(2).norm(dim=0, keepdims=True)


def test_pytorchs_parser_names_for_arguments_documented_under_other_names():
    # PyTorch's C++ functions take their schema's keywords, not always the documented names: torch.linalg.cholesky
    # (input=A), torch.cholesky_solve(input=B, input2=L), torch.special.airy_ai(x=z); anynn raised TypeError
    spd = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    tri, rhs, vec = np.linalg.cholesky(spd), np.arange(6.0).reshape(3, 2) - 2, np.array([0.3, -0.2, 0.5])
    calls = [("linalg.cholesky", dict(input=spd)), ("linalg.vector_norm", dict(input=vec, ord=3)),
             ("linalg.lstsq", dict(input=spd, b=rhs)), ("linalg.tensorsolve", dict(input=spd, other=vec)),
             ("linalg.solve_triangular", dict(input=tri, B=rhs, upper=False)), ("linalg.eigvalsh", dict(input=spd)),
             ("cholesky_solve", dict(input=rhs, input2=tri)), ("triangular_solve", dict(input=rhs, A=tri)),
             ("matrix_exp", dict(input=spd / 4)), ("adjoint", dict(input=spd)),
             ("split", dict(tensor=vec, split_size_or_sections=2)),
             ("special.hermite_polynomial_h", dict(x=vec, n=3)), ("special.airy_ai", dict(x=vec)),
             ("nn.functional.one_hot", dict(input=np.array([2, 0]), num_classes=3))]
    for name, kwargs in calls:
        results = []
        for lib in (torch, anynn):
            function = lib
            for part in name.split("."):
                function = getattr(function, part)
            got = function(**{k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
            results.append(np.asarray(got[0] if isinstance(got, tuple) else got))
        np.testing.assert_allclose(results[1], results[0], rtol=1e-9, atol=1e-12, err_msg=name)
    with pytest.raises(TypeError, match="multiple values"):
        anynn.linalg.cholesky(anynn.eye(2), input=anynn.eye(2))


def test_not_a_tensor_for_input_is_pytorchs_type_error():
    # torch.sum([1, 2]), torch.softmax(None, 0), torch.cumsum(3, 0): PyTorch's parser raises TypeError "argument
    # 'input' (position 1) must be Tensor, not list"; anynn's math raised AttributeError ('list' has no attribute ...)
    for lib in (torch, anynn):
        for name, args in (("sum", ([1.0, 2.0],)), ("softmax", (None, 0)), ("cumsum", (3, 0)),
                           ("amax", ((1.0, 2.0), 0))):
            with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor, not"):
                getattr(lib, name)(*args)
        # functions without NumPy spellings (matrix_exp, trapezoid, vander, where, unique: AttributeError before),
        # those that only hand input back (is_conj), a number (neg), meshgrid's elements, a window's length
        for name, args in (("matrix_exp", ([[1.0]],)), ("trapezoid", ([1.0],)), ("vander", ([1.0],)),
                           ("where", ([True], 1.0, 0.0)), ("unique", ([1, 1],)), ("adjoint", ([[1.0]],)),
                           ("is_conj", ([1.0],)), ("neg", (3,)), ("meshgrid", ([1.0, 2.0],)),
                           ("hann_window", (2.0,)), ("hann_window", ([3],)), ("pca_lowrank", ([[1.0]],))):
            with pytest.raises(TypeError if name != "pca_lowrank" else AttributeError):
                getattr(lib, name)(*args)
    assert anynn.pow(2, anynn.ones(2)).tolist() == torch.pow(2, torch.ones(2)).tolist()  # a number PyTorch takes


def lib_of(t: object) -> object:
    return anynn if isinstance(t, anynn.Tensor) else torch


def test_an_int_list_as_separate_ints_as_pytorchs_argument_parser():
    # x.squeeze(0, 2), x.tile(2, 1), x.count_nonzero(0, 1): PyTorch's parser reads the ints as one list (TypeError
    # 'takes from 1 to 2 positional arguments' on anynn before); torch.squeeze(x, 0, 2) stays a TypeError
    calls = [lambda t: t.squeeze(0, 2), lambda t: t.clone().squeeze_(0, 2), lambda t: t.tile(2, 1),
             lambda t: t.count_nonzero(0, 1)]
    for call in calls:
        ours, theirs = call(anynn.ones(1, 3, 1, 4)), call(torch.ones(1, 3, 1, 4))
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.tolist() == theirs.tolist()
    for lib in (torch, anynn):
        with pytest.raises(TypeError):
            lib.squeeze(lib.ones(1, 3, 1), 0, 2)


def test_torch_functions_take_pytorchs_keyword_names_and_its_numpy_aliases():
    # torch.exp(input=x), torch.clamp(input=x, min=0), torch.matmul(x, other=y), torch.logical_and(m, other=m) were
    # refused (anynn named them x / a, b / *other); PyTorch's parser also reads x= / a= / x1= as input= and x2= as
    # other= (torch.add(x=a, x2=b), a.mul(x2=b))
    calls = [lambda lib, t: lib.exp(input=t), lambda lib, t: lib.clamp(input=t, min=0.5),
             lambda lib, t: lib.matmul(t, other=t.mT), lambda lib, t: lib.squeeze(input=t[:1]),
             lambda lib, t: lib.chunk(input=t, chunks=2)[0],
             lambda lib, t: lib.masked_fill(input=t, mask=t > 1, value=0),
             lambda lib, t: lib.logical_and(t > 1, other=t < 3), lambda lib, t: lib.add(x=t, x2=t),
             lambda lib, t: lib.sum(a=t, axis=0), lambda lib, t: lib.sqrt(x1=t), lambda lib, t: t.mul(x2=t),
             # the same parser reads torch.linalg / fft / special (refused on anynn before)
             lambda lib, t: lib.linalg.norm(x=t, axis=-1, keepdims=True), lambda lib, t: lib.linalg.pinv(a=t),
             lambda lib, t: lib.fft.rfft(x=t, axis=0).abs(), lambda lib, t: lib.special.xlogy(t, x2=t),
             lambda lib, t: lib.special.erfc(x=t)]
    for call in calls:
        ours, theirs = call(anynn, anynn.arange(6.0).reshape(2, 3)), call(torch, torch.arange(6.0).reshape(2, 3))
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.flatten().tolist() == pytest.approx(theirs.flatten().tolist())
    for lib in (torch, anynn):  # two spellings of one argument: TypeError
        with pytest.raises(TypeError):
            lib.add(lib.ones(2), x=lib.ones(2), other=lib.ones(2))
        with pytest.raises(TypeError):
            lib.exp(x=lib.ones(2), a=lib.ones(2))
