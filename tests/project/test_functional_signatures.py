"""Every function of ``torch.nn.functional`` that ``anynn.nn.functional`` also has takes PyTorch's arguments:
each parameter name PyTorch has, anynn has, in PyTorch's positional order, with the same default.

Functions are discovered from PyTorch at collection time, so a function added to anynn later is checked as
soon as it exists. PyTorch functions written in C have no inspectable signature: their documented one (the
first line of the docstring, e.g. ``gelu(input, approximate = 'none') -> Tensor``) is read instead.
Differences are allowed only through the table below, each with its reason.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest
import torch.nn.functional as TF

import anynn.nn.functional as F

P = inspect.Parameter
POSITIONAL = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)

# (function, argument) -> why anynn lacks it or gives it another default (deliberate differences)
ALLOWED: dict[tuple[str, str], str] = {}
# functions not yet aligned: checked as strict xfails, so aligning one makes its row fail until removed here
PENDING: dict[str, str] = {}
# PyTorch helpers in torch.nn.functional that are not functions of the API (typing names, dispatch helpers)
NOT_API = {"Optional", "boolean_dispatch", "handle_torch_function", "has_torch_function",
           "has_torch_function_unary", "has_torch_function_variadic", "assert_int_or_pair"}


def _documented(fn: Any) -> list[P] | None:
    """The parameters of a C function's documented signature (its docstring's first line), or None."""
    doc = (fn.__doc__ or "").strip()
    if not doc.startswith(fn.__name__ + "("):
        return None
    depth, end = 0, len(doc)
    for i, char in enumerate(doc):  # the signature may span lines: up to the matching parenthesis
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ")" and depth == 0:
            end = i + 1
            break
    arguments = " ".join(doc[len(fn.__name__):end].split())
    tree = ast.parse(f"def f{arguments}: pass").body[0]
    args = tree.args
    params: list[P] = []
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(args.args, defaults):
        params.append(P(a.arg, P.POSITIONAL_OR_KEYWORD,
                        default=P.empty if d is None else eval(compile(ast.Expression(d), "<doc>", "eval"),
                                                               {"__builtins__": {}, "True": True, "False": False,
                                                                "None": None})))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append(P(a.arg, P.KEYWORD_ONLY,
                        default=P.empty if d is None else eval(compile(ast.Expression(d), "<doc>", "eval"),
                                                               {"__builtins__": {}})))
    return params


def torch_params(name: str) -> list[P] | None:
    fn = getattr(TF, name)
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return _documented(fn)
    if params and all(p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD) for p in params):
        return _documented(fn) or params  # a dispatch wrapper (max_pool2d's boolean_dispatch): its documented form
    return params


def _shared() -> list[str]:
    names = []
    for name in sorted(dir(TF)):
        fn = getattr(TF, name)
        if (name.startswith("_") or name in NOT_API or isinstance(fn, type) or not callable(fn)
                or getattr(fn, "__module__", "") == "typing"):
            continue
        if callable(getattr(F, name, None)) and torch_params(name) is not None:
            names.append(name)
    return names


def _same_default(a: Any, b: Any) -> bool:
    if a is P.empty or b is P.empty:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects without a plain comparison
        return a is b


def differences(name: str, theirs: list[P], ours: list[P]) -> list[str]:
    """Every way ``ours`` departs from ``theirs`` that the table does not allow, as sentences."""
    if any(p.kind == P.VAR_KEYWORD for p in ours) and len(ours) <= 2:
        return []  # (*args, **kwargs): a forwarding wrapper, checked where it forwards to
    found = []
    by_name = {p.name: p for p in ours}
    positional = [p.name for p in theirs if p.kind in POSITIONAL
                  and (p.name in by_name or (name, p.name) not in ALLOWED)]
    our_positional = [p.name for p in ours if p.kind in POSITIONAL]
    if [n for n in our_positional if n in positional] != positional[:len([n for n in our_positional
                                                                         if n in positional])]:
        found.append(f"positional arguments {our_positional}, PyTorch's are {positional}")
    for p in theirs:
        if p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD):
            continue
        if p.name not in by_name:
            if (name, p.name) not in ALLOWED:
                found.append(f"lacks {p.name}={p.default!r}" if p.default is not P.empty else f"lacks {p.name}")
            continue
        mine = by_name[p.name]
        if not _same_default(mine.default, p.default) and (name, p.name) not in ALLOWED:
            found.append(f"{p.name}: default {_show(mine.default)}, PyTorch's {_show(p.default)}")
    return found


def _show(default: Any) -> str:
    return "(required)" if default is P.empty else repr(default)


SHARED = _shared()


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=PENDING[n], strict=True))
                                  if n in PENDING else n for n in SHARED])
def test_functional_signature_matches_pytorch(name):
    found = differences(name, torch_params(name), list(inspect.signature(getattr(F, name)).parameters.values()))
    assert not found, f"anynn.nn.functional.{name} differs from PyTorch: " + "; ".join(found)


def test_discovery_covers_the_activations_and_the_documented_c_functions():
    for name in ("relu", "elu", "threshold", "dropout", "alpha_dropout", "gelu", "softplus", "hardshrink",
                 "relu_", "elu_", "leaky_relu_", "hardtanh_", "rrelu_", "threshold_", "celu_", "selu_"):
        assert name in SHARED, name


def test_pending_and_allowed_rows_name_shared_functions():
    for name in [*PENDING, *(n for n, _ in ALLOWED)]:
        assert name in SHARED, f"{name} is not a function both libraries have"


def test_a_missing_inplace_or_changed_default_is_caught():
    theirs = torch_params("leaky_relu")
    ours = list(inspect.signature(F.leaky_relu).parameters.values())
    assert differences("leaky_relu", theirs, ours) == []
    assert differences("leaky_relu", theirs, [p for p in ours if p.name != "inplace"]) == ["lacks inplace=False"]
    changed = [p.replace(default=0.02) if p.name == "negative_slope" else p for p in ours]
    assert differences("leaky_relu", theirs, changed) == ["negative_slope: default 0.02, PyTorch's 0.01"]
    assert [p.name for p in torch_params("rrelu_")] == ["input", "lower", "upper", "training"]  # documented form
