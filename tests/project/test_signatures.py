"""Every module, loss, optimizer and scheduler that anynn shares with PyTorch takes PyTorch's constructor
arguments: the same names in the same order, the same defaults.

Classes are discovered from PyTorch's namespaces at collection time, so a layer added to anynn later is
checked as soon as it exists. Differences are allowed only through the tables below, each with its reason.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import anynn.nn
import anynn.optim
import anynn.optim.lr_scheduler

P = inspect.Parameter
POSITIONAL = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)

# anynn-only keyword arguments, allowed on any class (after PyTorch's positional ones)
EXTRA_ANYWHERE = {
    "backend": "anynn chooses the array library (and its device) per model or tensor (design principle 2)",
    "seed": "seeded host initialisation and device randomness (design principle 5)",
}
# PyTorch arguments that anynn may lack on any class
MISSING_ANYWHERE: dict[str, str] = {}
# PyTorch's factory arguments are keyword arguments by convention: positions are compared up to them
KEYWORD_BY_CONVENTION = {"device", "dtype"}

# per class: (namespace, class, argument) -> reason
MISSING = {
    ("nn", "Embedding", "_weight"): "private argument of Embedding.from_pretrained",
    ("nn", "Embedding", "_freeze"): "private argument of Embedding.from_pretrained",
    ("nn", "EmbeddingBag", "_weight"): "private argument of EmbeddingBag.from_pretrained",
}
EXTRA = {
    ("nn", "Sequential", "dtype"): "Sequential(dtype=...) builds every layer in that dtype (issue 18)",
}
# (namespace, class, argument) -> reason for a different default
DEFAULTS: dict[tuple[str, str, str], str] = {}
# PyTorch classes whose signature is (*args, **kwargs): their documented signature
DOCUMENTED = {
    ("nn", "RNN"): "input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, "
                   "dropout=0.0, bidirectional=False, device=None, dtype=None",
    ("nn", "LSTM"): "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
                    "bidirectional=False, proj_size=0, device=None, dtype=None",
    ("nn", "GRU"): "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
                   "bidirectional=False, device=None, dtype=None",
    # (its @deprecated wrapper hides NLLLoss's signature)
    ("nn", "NLLLoss2d"): "weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean'",
}

NAMESPACES = {
    "nn": (torch.nn, anynn.nn, lambda c: issubclass(c, torch.nn.Module)),
    "optim": (torch.optim, anynn.optim, lambda c: issubclass(c, torch.optim.Optimizer)),
    "lr_scheduler": (torch_sched, anynn.optim.lr_scheduler,
                     lambda c: issubclass(c, (torch_sched.LRScheduler, torch_sched.ReduceLROnPlateau))),
}


def _shared_classes() -> list[tuple[str, str]]:
    """(namespace, name) of every public PyTorch class that anynn's namespace also has."""
    pairs = []
    for ns, (theirs, ours, wanted) in NAMESPACES.items():
        for name in sorted(dir(theirs)):
            cls = getattr(theirs, name)
            if (not name.startswith("_") and isinstance(cls, type) and wanted(cls)
                    and isinstance(getattr(ours, name, None), type)):
                pairs.append((ns, name))
    return pairs


def _documented(text: str) -> list[P]:
    params = []
    for part in text.split(", "):
        name, _, default = part.partition("=")
        params.append(P(name, P.POSITIONAL_OR_KEYWORD, default=eval(default) if default else P.empty))
    return params


def _torch_params(ns: str, cls: type) -> list[P]:
    if (ns, cls.__name__) in DOCUMENTED:
        return _documented(DOCUMENTED[ns, cls.__name__])
    if ns == "nn" and cls.__init__ is torch.nn.Module.__init__:  # (*args, **kwargs) of Module: no arguments
        return []
    return list(inspect.signature(cls).parameters.values())


def _same_default(a: Any, b: Any) -> bool:
    if a is P.empty or b is P.empty:
        return a is b
    if callable(b) and getattr(b, "__module__", "") == "torch.nn.functional":
        return a is getattr(anynn.nn.functional, b.__name__, None)  # F.relu: ours must be anynn's F.relu
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects without a plain comparison
        return a is b


def differences(ns: str, name: str, theirs: list[P], ours: list[P]) -> list[str]:
    """Every way ``ours`` departs from ``theirs`` that no table allows, as sentences."""
    found = []
    by_name = {p.name: p for p in ours}
    their_names = {p.name for p in theirs}
    var_pos = [p for p in ours if p.kind == P.VAR_POSITIONAL]
    # positions: PyTorch's positional arguments, up to the factory ones, sit at the same places
    # (an allowed missing argument leaves a gap: the ones after it keep their relative order)
    positional = []
    for p in theirs:
        if p.kind not in POSITIONAL or p.name in KEYWORD_BY_CONVENTION:
            break
        if p.name in by_name or not _may_lack(ns, name, p.name):
            positional.append(p.name)
    our_positional = [p.name for p in ours if p.kind in POSITIONAL]
    if our_positional[:len(positional)] != positional:
        found.append(f"positional arguments {our_positional[:len(positional)]}, PyTorch's are {positional}")
    for p in theirs:
        if p.kind == P.VAR_POSITIONAL:
            if not var_pos:
                found.append(f"no *{p.name}")
            continue
        if p.kind == P.VAR_KEYWORD:
            continue
        if p.name not in by_name:
            if not _may_lack(ns, name, p.name):
                found.append(f"lacks {p.name}={p.default!r}" if p.default is not P.empty else f"lacks {p.name}")
            continue
        mine = by_name[p.name]
        if not _same_default(mine.default, p.default) and (ns, name, p.name) not in DEFAULTS:
            found.append(f"{p.name}: default {_show(mine.default)}, PyTorch's {_show(p.default)}")
    for p in ours:
        if p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD) or p.name in their_names:
            continue
        if p.name not in EXTRA_ANYWHERE and (ns, name, p.name) not in EXTRA:
            found.append(f"has {p.name}, which PyTorch has not")
    return found


def _may_lack(ns: str, name: str, arg: str) -> bool:
    return arg in MISSING_ANYWHERE or (ns, name, arg) in MISSING


def _show(default: Any) -> str:
    return "(required)" if default is P.empty else repr(default)


SHARED = _shared_classes()


@pytest.mark.parametrize("ns, name", SHARED, ids=[f"{ns}.{name}" for ns, name in SHARED])
def test_constructor_signature_matches_pytorch(ns, name):
    theirs, ours, _ = NAMESPACES[ns]
    found = differences(ns, name, _torch_params(ns, getattr(theirs, name)),
                        list(inspect.signature(getattr(ours, name)).parameters.values()))
    assert not found, f"anynn.{ns}.{name} differs from PyTorch: " + "; ".join(found)


def test_discovery_covers_the_namespaces():
    names = {f"{ns}.{name}" for ns, name in SHARED}
    for expected in ("nn.Linear", "nn.LeakyReLU", "nn.ELU", "nn.GELU", "nn.CrossEntropyLoss", "nn.LSTM",
                     "optim.SGD", "optim.LBFGS", "lr_scheduler.CyclicLR", "lr_scheduler.ReduceLROnPlateau"):
        assert expected in names


@pytest.mark.parametrize("cls, arg, value", [
    ("LeakyReLU", "negative_slope", 0.02), ("ELU", "alpha", 0.5), ("GELU", "approximate", "tanh"),
])
def test_a_changed_default_is_caught(cls, arg, value):
    """The check itself: the same signature with one default changed is reported."""
    params = [p.replace(default=value) if p.name == arg else p
              for p in inspect.signature(getattr(anynn.nn, cls)).parameters.values()]
    found = differences("nn", cls, _torch_params("nn", getattr(torch.nn, cls)), params)
    assert found == [f"{arg}: default {value!r}, PyTorch's {getattr(getattr(torch.nn, cls)(), arg)!r}"]


def test_order_missing_and_extra_arguments_are_caught():
    theirs = _torch_params("optim", torch.optim.SGD)
    ours = list(inspect.signature(anynn.optim.SGD).parameters.values())
    swapped = [ours[0], ours[2], ours[1], *ours[3:]]
    assert any("positional" in f for f in differences("optim", "SGD", theirs, swapped))
    lacking = differences("optim", "SGD", theirs, [p for p in ours if p.name != "nesterov"])
    assert lacking[-1] == "lacks nesterov=False" and "positional" in lacking[0]
    extra = [*ours, P("speed", P.KEYWORD_ONLY, default=1)]
    assert differences("optim", "SGD", theirs, extra) == ["has speed, which PyTorch has not"]


def test_every_table_entry_names_a_shared_class_or_a_pending_one():
    """A table row for a class neither library has is a typo."""
    for ns, cls, _ in [*MISSING, *EXTRA, *DEFAULTS]:
        assert hasattr(NAMESPACES[ns][0], cls), f"{ns}.{cls} is not a PyTorch class"


@pytest.mark.parametrize("cls", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape", [(5,), (2, 5), (2, 3, 4), (2, 3, 4, 2)])
def test_softmax_without_dim_takes_pytorchs_implicit_axis(cls, shape):
    """``dim=None`` (PyTorch's default) picks axis 0 for 0-, 1- and 3-D input, else axis 1 (with a warning)."""
    import numpy as np

    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = getattr(anynn.nn, cls)()(anynn.tensor(x, dtype="float64"))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        theirs = getattr(torch.nn, cls)()(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_a_function_default_must_be_anynns_function_of_that_name():
    """PyTorch's ``activation=F.relu`` default is matched only by anynn's own ``F.relu``."""
    theirs = _torch_params("nn", torch.nn.TransformerEncoderLayer)
    ours = list(inspect.signature(anynn.nn.TransformerEncoderLayer).parameters.values())
    assert differences("nn", "TransformerEncoderLayer", theirs, ours) == []
    for wrong in ("relu", anynn.nn.functional.gelu):
        changed = [p.replace(default=wrong) if p.name == "activation" else p for p in ours]
        assert len(differences("nn", "TransformerEncoderLayer", theirs, changed)) == 1
