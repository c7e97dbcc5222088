"""einops on anynn Tensors (anynn.utils.einops): ``rearrange``/``repeat``/``reduce``/``pack``/``einsum`` called on
anynn Tensors give PyTorch's values and gradients (the same einops call runs on both: einops picks the backend by the
tensor's type), and the layers Rearrange, Reduce and EinMix match ``einops.layers.torch``'s."""

from __future__ import annotations

import subprocess
import sys

import einops
import einops.layers.torch as einops_torch
import numpy as np
import pytest
import torch
from einops import pack, rearrange, reduce, repeat

import anynn
import anynn.utils.einops as anynn_einops
from anynn.utils.einops import AnynnBackend, EinMix, Rearrange, Reduce
from tests.helpers import check_gradients, compare_module_with_torch, make, oracle_tolerance, torch_oracle

R = np.random.default_rng(7)
X4 = R.standard_normal((2, 6, 4, 4))
X3 = R.standard_normal((2, 3, 5))

# (name, fn(*tensors) run as is on anynn and torch tensors, arrays)
CASES = [
    ("flatten patches", lambda x: rearrange(x, "b c h w -> b (h w) c"), [X4]),
    ("vit patches", lambda x: rearrange(x, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=2, p2=2), [X4]),
    ("split heads", lambda x: rearrange(x, "b n (h d) -> b h n d", h=1), [X3]),
    ("repeat new axis", lambda x: repeat(x, "b n d -> b n r d", r=3), [X3]),
    ("repeat tile", lambda x: repeat(x, "b n d -> (r b) n d", r=2), [X3]),
    ("cls token", lambda x: repeat(x[:1], "() n d -> b n d", b=4), [X3]),
    ("mean", lambda x: reduce(x, "b c h w -> b c", "mean"), [X4]),
    ("sum", lambda x: reduce(x, "b c h w -> c", "sum"), [X4]),
    ("max pool", lambda x: reduce(x, "b c (h 2) (w 2) -> b c h w", "max"), [X4]),
    ("min", lambda x: reduce(x, "b n d -> b d", "min"), [X3]),
    ("prod", lambda x: reduce(x, "b n d -> n", "prod"), [X3]),
    ("pack", lambda x, y: pack([x, y], "b * d")[0], [X3, R.standard_normal((2, 4, 2, 5))]),
    ("list input", lambda x, y: rearrange([x, y], "s b n d -> b (s n) d"), [X3, X3[::-1].copy()]),
    ("einsum", lambda x, y: einops.einsum(x, y, "b i d, b j d -> b i j"), [X3, R.standard_normal((2, 4, 5))]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(backend, name, fn, arrays):
    torch_oracle(backend, fn, fn, arrays, "float64", what=name)


@pytest.mark.parametrize("name, fn, arrays", CASES[:1] + CASES[5:9], ids=[c[0] for c in CASES[:1] + CASES[5:9]])
def test_gradients(backend, name, fn, arrays):
    check_gradients(backend, fn, *arrays)


@pytest.mark.parametrize("reduction", ["any", "all"])
def test_boolean_reductions(backend, reduction):
    mask = R.standard_normal((3, 4, 2)) > 0
    torch_oracle(backend, lambda m: reduce(m, "a b c -> b", reduction),
                 lambda m: reduce(m, "a b c -> b", reduction), [mask], "float64", what=reduction)


def test_unpack_returns_the_pieces(backend):
    x, y = make(backend, X3), make(backend, X3[:, :1])
    packed, shapes = pack([x, y], "b * d")
    first, second = einops.unpack(packed, shapes, "b * d")
    assert isinstance(first, anynn.Tensor)
    np.testing.assert_array_equal(first.numpy(), X3)
    np.testing.assert_array_equal(second.numpy(), X3[:, :1])


def test_einops_picks_the_anynn_backend(backend):
    from einops._backends import get_backend

    assert isinstance(get_backend(make(backend, X3)), AnynnBackend)
    assert isinstance(get_backend(anynn.nn.Parameter(make(backend, X3))), AnynnBackend)


@pytest.mark.slow
def test_found_when_einops_is_imported_first():
    code = ("import einops, anynn; y = einops.rearrange(anynn.ones(2, 3), 'a b -> b a'); "
            "assert type(y) is anynn.Tensor and tuple(y.shape) == (3, 2)")
    subprocess.run([sys.executable, "-c", code], check=True)


LAYERS = [
    ("Rearrange", lambda lib: lib.Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=2, p2=2)),
    ("Reduce", lambda lib: lib.Reduce("b c (h 2) (w 2) -> b c h w", "max")),
    ("EinMix", lambda lib: lib.EinMix("b c h w -> b d h w", weight_shape="c d", bias_shape="d", c=6, d=3)),
    ("EinMix grouped", lambda lib: lib.EinMix("b (g c) h w -> b (g d) h w", weight_shape="g c d",
                                              bias_shape="g d", g=2, c=3, d=4)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, build", LAYERS, ids=[n for n, _ in LAYERS])
def test_layers_match_einops_torch_layers(backend, name, build, dtype):
    ours = build(anynn_einops)
    theirs = build(einops_torch)
    compare_module_with_torch(backend, ours, theirs, X4.astype(dtype), **oracle_tolerance(dtype))


def test_layers_in_a_sequential_train(backend):
    """A ViT-style stem (patches -> Linear) with a mean pool trains: the einops layers' parameters are found."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(einops_torch.Rearrange("b c (h p) (w q) -> b (h w) (p q c)", p=2, q=2),
                                 torch.nn.Linear(24, 5), einops_torch.Reduce("b n d -> b d", "mean"),
                                 einops_torch.EinMix("b d -> b e", weight_shape="d e", d=5, e=2))
    ours = anynn.nn.Sequential(Rearrange("b c (h p) (w q) -> b (h w) (p q c)", p=2, q=2), anynn.nn.Linear(24, 5),
                               Reduce("b n d -> b d", "mean"), EinMix("b d -> b e", weight_shape="d e", d=5, e=2))
    ours.to(backend, dtype="float64")
    theirs.double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert len(list(ours.parameters())) == 3
    opt_ours = anynn.optim.SGD(ours.parameters(), lr=0.1)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1)
    losses = {"ours": [], "theirs": []}
    for _ in range(3):
        for who, model, opt, x in (("ours", ours, opt_ours, make(backend, X4)),
                                   ("theirs", theirs, opt_theirs, torch.tensor(X4))):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            losses[who].append(float(loss))
    np.testing.assert_allclose(losses["ours"], losses["theirs"], rtol=1e-10)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, err_msg=name)


def test_repr_reads_as_einops():
    assert repr(Rearrange("b c h w -> b (h w) c")) == "Rearrange('b c h w -> b (h w) c')"
    assert repr(Reduce("b c h w -> b c", "mean")) == "Reduce('b c h w -> b c', 'mean')"
