"""anynn.accelerator answers torch.accelerator's questions for the default backend (as anynn.cuda does)."""

from __future__ import annotations

import inspect

import pytest

import anynn

torch = pytest.importorskip("torch")


def test_names_are_torch_accelerators() -> None:
    for name in anynn.accelerator.__all__:
        assert hasattr(torch.accelerator, name), name


@pytest.mark.parametrize("backend", ["numpy", "torch", "array_api_strict"])
def test_answers_follow_cuda(backend: str) -> None:
    anynn.set_default_backend(backend)
    try:
        available = anynn.cuda.is_available()
        assert anynn.accelerator.is_available() is available
        current = anynn.accelerator.current_accelerator()
        if available:
            assert current == anynn.device("cuda") and current.type == "cuda"
            assert anynn.accelerator.device_count() == anynn.cuda.device_count() >= 1
        else:
            assert current is None
            assert anynn.accelerator.device_count() == 0
        assert anynn.accelerator.current_device_index() == 0
        anynn.accelerator.synchronize()
        anynn.accelerator.empty_cache()
    finally:
        anynn.set_default_backend("numpy")


def test_the_examples_device_idiom_runs() -> None:
    """pytorch/examples pick their device so; after ``import anynn as torch`` it gives a usable device."""
    device = (anynn.accelerator.current_accelerator() if anynn.accelerator.is_available()
              else anynn.device("cpu"))
    model = anynn.nn.Linear(2, 3).to(device)
    assert model(anynn.ones(4, 2).to(device)).shape == (4, 3)


def test_current_accelerator_signature_matches() -> None:
    assert list(inspect.signature(anynn.accelerator.current_accelerator).parameters) == \
        list(inspect.signature(torch.accelerator.current_accelerator).parameters)
