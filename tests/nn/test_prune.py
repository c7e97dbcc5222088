"""nn.utils.prune against torch.nn.utils.prune on every backend: the same pruning sequence on twin layers gives
PyTorch's parameter, buffer and state-dict names, masks, forward values and gradients; iterative pruning
(PruningContainer), global pruning, remove(), random methods' counts, custom methods and misuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import anynn
import anynn.nn.utils.prune as prune

from tests.helpers import copy_torch_weights, make


def _lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 6), nn.ReLU(),
                         nn.Linear(6, 3))


# each case prunes the twin models with the same calls (``p`` is anynn's or torch's prune module)
CASES = {
    "l1_fraction": lambda p, m: p.l1_unstructured(m[3], "weight", amount=0.3),
    "l1_count_bias": lambda p, m: p.l1_unstructured(m[0], "bias", amount=2),
    "ln_structured_rows": lambda p, m: p.ln_structured(m[3], "weight", amount=0.5, n=2, dim=0),
    "ln_structured_inf_conv": lambda p, m: p.ln_structured(m[0], "weight", amount=2, n=float("inf"), dim=0),
    "l1_then_ln": lambda p, m: (p.l1_unstructured(m[0], "weight", amount=0.4),
                                p.ln_structured(m[0], "weight", amount=0.5, n=1, dim=0)),
    "ln_then_l1_then_remove": lambda p, m: (p.ln_structured(m[3], "weight", amount=2, n=2, dim=1),
                                            p.l1_unstructured(m[3], "weight", amount=0.25),
                                            p.remove(m[3], "weight")),
    "global_l1": lambda p, m: p.global_unstructured([(m[0], "weight"), (m[3], "weight"), (m[5], "weight")],
                                                    pruning_method=p.L1Unstructured, amount=0.35),
    "identity_and_custom_mask": lambda p, m: (
        p.identity(m[5], "bias"),
        p.custom_from_mask(m[5], "weight", mask=(m[5].weight > 0).float())),
    "importance_scores": lambda p, m: p.l1_unstructured(m[5], "weight", amount=5,
                                                        importance_scores=m[5].weight.detach().flip(1)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pruning_matches_torch(backend, case):
    torch.manual_seed(0)
    theirs = _lenet(torch).double()
    ours = _lenet(anynn).to(backend, dtype="float64")
    copy_torch_weights(ours, theirs)
    CASES[case](tprune, theirs)
    CASES[case](prune, ours)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].detach().numpy(), value.numpy(), rtol=1e-12)
    assert prune.is_pruned(ours) == tprune.is_pruned(theirs)
    x = np.random.default_rng(1).standard_normal((2, 1, 6, 6))
    out, ref = ours(make(backend, x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.square().sum().backward()
    ref.square().sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.detach().numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_pruned_weight_is_masked_in_training_and_the_hook_is_pytorchs(backend):
    """The original Parameter object trains on (an optimizer made before pruning keeps it), masked entries stay
    zero after steps, the method sits in ``_forward_pre_hooks`` with its history, and remove() keeps the values."""
    layer = anynn.nn.Linear(8, 4).to(backend)
    weight = layer.weight
    opt = anynn.optim.SGD(layer.parameters(), lr=0.5)
    prune.random_unstructured(layer, "weight", amount=0.25)
    prune.l1_unstructured(layer, "weight", amount=4)
    assert layer.weight_orig is weight and "weight" not in dict(layer.named_parameters())
    assert int((layer.weight_mask == 0).sum()) == 8 + 4
    (hook,) = [h for h in layer._forward_pre_hooks.values() if h._tensor_name == "weight"]
    assert isinstance(hook, prune.PruningContainer)
    assert [type(m).__name__ for m in hook] == ["RandomUnstructured", "L1Unstructured"]
    x = make(backend, np.random.default_rng(0).standard_normal((5, 8)).astype("float32"))
    for _ in range(3):
        opt.zero_grad()
        layer(x).sum().backward()
        opt.step()
    mask = layer.weight_mask.detach().numpy()
    assert np.all(layer.weight.detach().numpy()[mask == 0] == 0)
    before = layer(x).detach().numpy()
    prune.remove(layer, "weight")
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"] and layer.weight is weight
    assert not prune.is_pruned(layer) and not layer._forward_pre_hooks
    np.testing.assert_allclose(layer(x).detach().numpy(), before, rtol=1e-6)


def test_random_structured_prunes_whole_slices():
    layer = anynn.nn.Conv2d(3, 6, 3)
    prune.random_structured(layer, "weight", amount=0.5, dim=0)
    kept = layer.weight_mask.detach().numpy().reshape(6, -1)
    assert sorted(kept.min(1) == kept.max(1)) == [True] * 6 and kept.max(1).sum() == 3


def test_custom_method_writes_through_a_flattened_view():
    """The tutorial's FooBarPruningMethod: zero every other entry of what is unpruned."""

    class FooBar(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.flatten()[::2] = 0
            return mask

    ours = anynn.nn.Linear(3, 6)
    theirs = torch.nn.Linear(3, 6)

    class TorchFooBar(tprune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"
        compute_mask = FooBar.compute_mask

    FooBar.apply(ours, "bias")
    TorchFooBar.apply(theirs, "bias")
    np.testing.assert_array_equal(ours.bias_mask.detach().numpy(), theirs.bias_mask.numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda p, m: p.l1_unstructured(m, "weight", amount=1.5), ValueError, "amount=1.5 should either be a float"),
    (lambda p, m: p.l1_unstructured(m, "weight", amount=-1), ValueError, "non-negative integer"),
    (lambda p, m: p.l1_unstructured(m, "weight", amount="half"), TypeError, "Invalid type for amount"),
    (lambda p, m: p.l1_unstructured(m, "weight", amount=100), ValueError, "should be smaller than the number"),
    (lambda p, m: p.ln_structured(m, "bias", amount=1, n=2, dim=0), ValueError, "multidimensional tensors"),
    (lambda p, m: p.ln_structured(m, "weight", amount=1, n=2, dim=2), IndexError, "Invalid index 2"),
    (lambda p, m: p.remove(m, "weight"), ValueError, "has to be pruned before pruning can be removed"),
    (lambda p, m: p.l1_unstructured(m.register_parameter("bias", None) or m, "bias", amount=1), TypeError,
     "NoneType"),
    (lambda p, m: p.global_unstructured([(m, "weight")], pruning_method=p.LnStructured, amount=1, n=2),
     TypeError, 'Only "unstructured" PRUNING_TYPE'),
    (lambda p, m: p.custom_from_mask(m, "weight", mask=m.bias.detach()), AssertionError, "mask"),
])
def test_misuse_is_refused_as_pytorch_refuses_it(call, error, match):
    names = []
    for p, lib in ((tprune, torch), (prune, anynn)):
        layer = lib.nn.Linear(3, 4)
        with pytest.raises(error, match=match):
            call(p, layer)
        # a failed pruning puts the parameter back (re-registered last, as PyTorch does) and leaves no mask
        names.append(([n for n, _ in layer.named_parameters()], [n for n, _ in layer.named_buffers()]))
    assert names[0] == names[1]
