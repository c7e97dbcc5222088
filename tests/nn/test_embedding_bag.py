"""EmbeddingBag / F.embedding_bag against PyTorch on every backend: modes, offsets, padding, sample weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.embedding_bag import embedding_bag
from anynn.nn import EmbeddingBag
from tests.helpers import check_gradients, make

CASES = ["2d", "offsets", "include_last_offset", "padding_idx", "per_sample_weights", "empty_bags", "no_input"]


def _inputs(rng, case):
    if case == "2d":
        return rng.integers(0, 6, (4, 3)), None
    inp = rng.integers(0, 6, 9)
    if case == "no_input":
        return inp[:0], np.array([0, 0])
    if case == "include_last_offset":  # a last offset below the input's length: PyTorch's last bag still runs to 9
        return inp, np.array([0, 2, 2, 7, 8])
    if case == "padding_idx":
        inp[:3] = 2
        return inp, np.array([0, 3, 5, 5])
    return inp, np.array([0, 2, 2, 7] if case != "empty_bags" else [0, 0, 4, 9, 9])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", CASES)
def test_embedding_bag_matches_torch(backend, rng, mode, case):
    if case == "per_sample_weights" and mode != "sum":
        pytest.skip("per_sample_weights is for mode='sum' only")
    options = dict(mode=mode, padding_idx=2 if case == "padding_idx" else None,
                   include_last_offset=case == "include_last_offset")
    theirs = torch.nn.EmbeddingBag(6, 3, **options).double()
    ours = EmbeddingBag(6, 3, backend=backend, dtype="float64", **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    inp, offsets = _inputs(rng, case)
    psw = rng.standard_normal(inp.shape) if case == "per_sample_weights" else None
    psw_t = None if psw is None else torch.tensor(psw, requires_grad=True)
    psw_a = None if psw is None else make(backend, psw, requires_grad=True)
    ref = theirs(torch.tensor(inp), None if offsets is None else torch.tensor(offsets), psw_t)
    out = ours(make(backend, inp), None if offsets is None else make(backend, offsets), psw_a)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = rng.standard_normal(tuple(ref.shape))
    (ref * torch.tensor(weights)).sum().backward()
    (out * make(backend, weights)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    if psw is not None:
        np.testing.assert_allclose(psw_a.grad.numpy(), psw_t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradient_check(backend, rng, mode):
    offsets = make(backend, np.array([0, 3, 3, 5]))
    inp = make(backend, np.array([0, 1, 1, 4, 3, 2, 0]))
    weight = rng.standard_normal((5, 3))
    check_gradients(backend, lambda w: embedding_bag(inp, w, offsets, mode=mode), weight)
    if mode == "sum":
        check_gradients(backend, lambda w, p: embedding_bag(inp, w, offsets, mode="sum", per_sample_weights=p,
                                                            padding_idx=1),
                        weight, rng.standard_normal(7))


def test_functional_form_and_from_pretrained(rng):
    table = rng.standard_normal((5, 2))
    inp, offsets = np.array([1, 2, 4, 4]), np.array([0, 1])
    ref = torch.nn.functional.embedding_bag(torch.tensor(inp), torch.tensor(table), torch.tensor(offsets),
                                            mode="max")
    ours = anynn.nn.functional.embedding_bag(make("numpy", inp), make("numpy", table), make("numpy", offsets),
                                             mode="max")
    np.testing.assert_allclose(ours.numpy(), ref.numpy())
    bag = EmbeddingBag.from_pretrained(make("torch", table), mode="sum")
    assert bag.weight.backend.name == "torch" and not bag.weight.requires_grad
    np.testing.assert_allclose(bag(make("torch", inp), make("torch", offsets)).numpy(),
                               torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), mode="sum")(
                                   torch.tensor(inp), torch.tensor(offsets)).numpy())


def test_scale_grad_by_freq_divides_by_each_index_count(rng):
    """Each row's gradient divided by its index's count in the batch, as PyTorch documents (its CPU kernel
    divides some rows by another index's count: see the differences page)."""
    inp, offsets = np.array([0, 0, 4, 4, 4, 1]), np.array([0, 2])
    bag = EmbeddingBag(5, 2, mode="sum", scale_grad_by_freq=True, dtype="float64")
    g = rng.standard_normal((2, 2))
    (bag(make("numpy", inp), make("numpy", offsets)) * make("numpy", g)).sum().backward()
    plain = np.zeros((5, 2))
    for position, index in enumerate(inp):
        plain[index] += g[0 if position < 2 else 1]
    counts = np.bincount(inp, minlength=5)[:, None]
    np.testing.assert_allclose(bag.weight.grad.numpy(), plain / np.maximum(counts, 1))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_zero_width_bags_run_backward(backend, mode):
    # PyTorch 2.13's CPU kernel fails on a width of 0 (an internal index assertion); ours gives (bags, 0) and a
    # (num_embeddings, 0) gradient: its backward named the row count -1 beside the size-0 width before
    bag = EmbeddingBag(5, 0, mode=mode, backend=backend)
    out = bag(make(backend, np.array([0, 4, 4, 1])), make(backend, np.array([0, 2])))
    out.sum().backward()
    assert tuple(out.shape) == (2, 0) and tuple(bag.weight.grad.shape) == (5, 0)


def test_embedding_bag_errors_name_the_function():
    bag = EmbeddingBag(4, 2)
    two_d = make("numpy", np.array([[0, 1]]))
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(two_d, make("numpy", np.array([0])))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
        bag(make("numpy", np.array([0, 1])))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        bag(make("numpy", np.array([0, 1])), make("numpy", np.array([1])))
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        bag(two_d, None, make("numpy", np.ones((1, 2), np.float32)))
    with pytest.raises(IndexError, match="embedding_bag"):
        bag(make("numpy", np.array([[0, 4]])))
    with pytest.raises(ValueError, match="mode"):
        EmbeddingBag(4, 2, mode="median")
