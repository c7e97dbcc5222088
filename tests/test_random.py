"""`anynn.random` (anynn/random.py): the default generator's state, reseeding and fork_rng, each checked to behave
as ``torch.random`` does (a restored state repeats the draws that followed it, on every backend, through
factories, initialisers and functional dropout)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F


def _draws(library, backend=None):
    """A few draws from the default generator: a factory, an initialiser and dropout."""
    if library is torch:
        layer = torch.nn.Linear(3, 2)
        return [torch.rand(4), layer.weight.detach(), torch.nn.functional.dropout(torch.ones(8), 0.5)]
    layer = anynn.nn.Linear(3, 2, backend=backend)
    return [anynn.rand(4, backend=backend), layer.weight.detach(),
            F.dropout(anynn.ones(8, backend=backend), 0.5)]


def _same(first, second) -> bool:
    return all(np.array_equal(np.asarray(a.numpy()), np.asarray(b.numpy())) for a, b in zip(first, second))


@pytest.mark.parametrize("library", [anynn, torch], ids=["anynn", "torch"])
def test_a_restored_state_repeats_the_draws(backend, library):
    library.manual_seed(3)
    state = library.get_rng_state()
    first = _draws(library, backend)
    assert not _same(first, _draws(library, backend))  # the stream moved on
    library.set_rng_state(state)
    assert _same(first, _draws(library, backend))


@pytest.mark.parametrize("library", [anynn, torch], ids=["anynn", "torch"])
def test_fork_rng_leaves_the_state_as_it_was(backend, library):
    library.manual_seed(4)
    expected = _draws(library, backend)
    library.manual_seed(4)
    with library.random.fork_rng():
        _draws(library, backend)
    assert _same(expected, _draws(library, backend))
    library.manual_seed(4)
    with pytest.raises(KeyError), library.random.fork_rng():
        _draws(library, backend)
        raise KeyError("the region fails")
    assert _same(expected, _draws(library, backend))
    library.manual_seed(4)
    with library.random.fork_rng(enabled=False):
        _draws(library, backend)
    assert not _same(expected, _draws(library, backend))


def test_seeds_as_torch_reports_them():
    for library in (anynn, torch):
        library.manual_seed(5)
        assert library.initial_seed() == 5 == library.random.initial_seed()
        new = library.seed()
        assert isinstance(new, int) and library.initial_seed() == new
        # a Generator's negative seed is its 64-bit two's complement, as manual_seed's (anynn's refused it)
        assert [library.Generator().manual_seed(s).initial_seed() for s in (-5, -2**63, 2**63, 2**64 - 1)] == [
            2**64 - 5, 2**63, 2**63, 2**64 - 1]
        for seed in (2**64, -2**63 - 1):  # (before: anynn.manual_seed took 2**64, its Generator a RuntimeError)
            with pytest.raises(ValueError):
                library.manual_seed(seed)
            with pytest.raises(ValueError):
                library.Generator().manual_seed(seed)


def test_set_rng_state_refuses_what_get_rng_state_did_not_give():
    with pytest.raises(TypeError, match="set_rng_state"):
        anynn.set_rng_state([1, 2, 3])
