"""``repr`` of every layer as PyTorch prints it, for the same constructor arguments (``print(model)`` of a ported
program reads the same), and of the optimizers (PyTorch's ``Adam (\\nParameter Group 0\\n    amsgrad: False...``)."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch

import anynn
from tests.project.test_signatures import SHARED

# values for PyTorch's required constructor arguments, by name
VALUES = dict(in_channels=4, out_channels=6, kernel_size=3, num_features=4, in_features=4, out_features=3,
              in1_features=4, in2_features=5, normalized_shape=4, embed_dim=8, num_heads=2, d_model=8, nhead=2,
              input_size=4, hidden_size=5, p=0.5, threshold=0.1, value=20.0, dim=1, num_embeddings=10,
              embedding_dim=3, num_groups=2, num_channels=4, padding=2, size=4, upscale_factor=2,
              downscale_factor=2, output_size=3, norm_type=2.0, groups=2, lambd=0.5, start_dim=1,
              unflattened_size=(2, 2), shape=(4,), margin=1.0, alpha=1.0, beta=1.0, num_parameters=1,
              scale_factor=2)
# layers whose constructor needs one of several optional arguments (PyTorch raises without any)
ONE_OF = {"FractionalMaxPool2d": dict(output_size=3), "FractionalMaxPool3d": dict(output_ratio=0.5)}
# layers PyTorch prints with details anynn does not copy, with the reason
DIFFERENT = {"Transformer": "its default 6 + 6 layers take seconds to build; the layer rows and the ModuleList row of "
                            "test_a_sequential_prints_as_pytorch cover what it prints"}
# more constructor arguments per layer: the options that change the repr
VARIANTS = {
    **{name: [dict(inplace=True)] for name in ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid",
                                               "LeakyReLU", "ELU", "CELU", "Hardtanh", "RReLU", "Dropout",
                                               "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                               "FeatureAlphaDropout")},
    "Threshold": [dict(threshold=0.1, value=20.0, inplace=True)],
    "Conv1d": [dict(padding="same"), dict(padding="valid"), dict(padding=1, dilation=2, bias=False)],
    "Conv2d": [dict(padding="same"), dict(padding=(1, 0), padding_mode="reflect", groups=2),
               dict(padding="valid", stride=2), dict(stride=[2], padding=[1], dilation=[2])],  # (2,): as given
    "Conv3d": [dict(padding="same")],
    "ConvTranspose2d": [dict(stride=2, padding=1, output_padding=1)],
    "ConvTranspose3d": [dict(stride=2, padding=1, output_padding=1, groups=2, dilation=(1, 2, 1), bias=False)],
    "InstanceNorm1d": [dict(affine=True)], "InstanceNorm2d": [dict(affine=True, track_running_stats=True)],
    "InstanceNorm3d": [dict(affine=True)],
    "BatchNorm2d": [dict(affine=False, momentum=None)], "LayerNorm": [dict(bias=False)],
    "GroupNorm": [dict(affine=False)],
    "GELU": [dict(approximate="tanh")], "Softmax": [dict(dim=-1)], "LogSoftmax": [dict(dim=0)],
    "Hardshrink": [dict(lambd=0.3)], "Softshrink": [dict(lambd=0.3)], "GLU": [dict(dim=0)],
    "CrossEntropyLoss": [dict(reduction="sum", label_smoothing=0.1)], "MSELoss": [dict(reduction="none")],
    "AvgPool1d": [dict(stride=2, padding=1)], "MaxUnpool2d": [dict(stride=2)],
    "CosineSimilarity": [dict(dim=0)], "PairwiseDistance": [dict(p=1.0)],
}


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for ns, name in SHARED:
        if ns != "nn" or name in DIFFERENT:
            continue
        try:
            params = inspect.signature(getattr(torch.nn, name)).parameters.values()
        except (TypeError, ValueError):
            continue
        if any(p.kind == p.VAR_POSITIONAL for p in params):
            continue  # (*args, **kwargs): RNN, LSTM, GRU
        required = {p.name: VALUES[p.name] for p in params if p.default is p.empty
                    and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name in VALUES}
        if any(p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and p.name not in VALUES for p in params):
            continue  # needs a module or other object: containers, RNNs (their own tests)
        required.update(ONE_OF.get(name, {}))
        cases.append((name, required))
        cases += [(name, {**required, **extra}) for extra in VARIANTS.get(name, [])]
    return cases


CASES = _cases()


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{sorted(k.items())}" for n, k in CASES])
def test_layer_repr_matches_pytorch(name, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, name)(**kwargs)
        ours = getattr(anynn.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)


def test_the_cases_cover_the_layers_and_their_options():
    names = {name for name, _ in CASES}
    for expected in ("ReLU", "Conv2d", "InstanceNorm2d", "BatchNorm1d", "CrossEntropyLoss", "RReLU", "Linear"):
        assert expected in names
    assert ("ReLU", {"inplace": True}) in CASES and ("Conv2d", {**{k: VALUES[k] for k in (
        "in_channels", "out_channels", "kernel_size")}, "padding": "same"}) in CASES


def test_a_sequential_prints_as_pytorch():
    ours = anynn.nn.Sequential(anynn.nn.Conv2d(3, 8, 3, padding="same"), anynn.nn.ReLU(inplace=True),
                               anynn.nn.MaxPool2d(2), anynn.nn.Flatten(), anynn.nn.Dropout(0.2),
                               anynn.nn.Linear(8, 2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding="same"), torch.nn.ReLU(inplace=True),
                                 torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Dropout(0.2),
                                 torch.nn.Linear(8, 2))
    assert repr(ours) == repr(theirs)
    ours, theirs = ([lib.nn.Linear(2, 2) for _ in range(3)] + [lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.ReLU()]
                    for lib in (anynn, torch))
    assert repr(anynn.nn.ModuleList(ours)) == repr(torch.nn.ModuleList(theirs))  # "(0-2): 3 x Linear(" as PyTorch
    assert repr(anynn.nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_a_module_with_extra_repr_and_children_prints_as_pytorch():
    """The extra_repr goes on its own indented line(s) when the module also has children (a parametrized
    Linear, a custom block with a one- or two-line extra_repr), as PyTorch's Module.__repr__ lays it out."""

    def block(lib, extra: str):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = lib.nn.Linear(2, 2)
                self.skip = None

            def extra_repr(self):
                return extra
        return Block()

    class Same:
        def __init__(self, lib):
            self.module = type("Same", (lib.nn.Module,), {"forward": lambda self, x: x})()

    for extra in ("scale=2", "scale=2\nshift=1", ""):
        assert repr(block(anynn, extra)) == repr(block(torch, extra))
    ours, theirs = anynn.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    anynn.nn.utils.parametrize.register_parametrization(ours, "weight", Same(anynn).module)
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", Same(torch).module)
    assert repr(ours) == repr(theirs)


OPTIMIZERS = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", {}),
              ("Adam", dict(lr=1e-3, amsgrad=True)), ("AdamW", dict(weight_decay=0.05)), ("RMSprop", {}),
              ("Adagrad", {}), ("Adadelta", {}), ("NAdam", {}), ("RAdam", {}), ("Adamax", {})]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}-{k}" for n, k in OPTIMIZERS])
def test_optimizer_repr_matches_pytorch(name, kwargs):
    w = np.zeros((2, 3), np.float32)
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.tensor(w))], **kwargs)
    ours = getattr(anynn.optim, name)([anynn.nn.Parameter(anynn.tensor(w))], **kwargs)
    assert repr(ours) == repr(theirs)


def test_optimizer_repr_with_two_groups_matches_pytorch():
    w = np.zeros(3, np.float32)
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.tensor(w))]},
                              {"params": [torch.nn.Parameter(torch.tensor(w))], "lr": 0.5}], lr=0.1, momentum=0.9)
    ours = anynn.optim.SGD([{"params": [anynn.nn.Parameter(anynn.tensor(w))]},
                            {"params": [anynn.nn.Parameter(anynn.tensor(w))], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert repr(ours) == repr(theirs)
