"""`anynn.jit`: torch.jit's names keep what a scripted or traced program computes, against torch.jit itself."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple  # noqa: UP035 - the annotations TorchScript programs write

import numpy as np
import pytest

import anynn
from anynn import nn

torch = pytest.importorskip("torch")


def _weights_from(ours: nn.Module, theirs: torch.nn.Module) -> None:
    ours.load_state_dict({k: anynn.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def test_jit_is_an_attribute_after_import_anynn() -> None:
    assert anynn.jit.script is not None and anynn.onnx.export is not None


def test_scripted_function_computes_what_torch_scripted_one_does() -> None:
    def gelu_tanh(x):
        return 0.5 * x * (1.0 + (0.7978845608 * (x + 0.044715 * x ** 3)).tanh())

    x = np.linspace(-3, 3, 13)
    ours = anynn.jit.script(gelu_tanh)(anynn.tensor(x, dtype=anynn.float64))
    theirs = torch.jit.script(gelu_tanh)(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_scripted_and_traced_modules_train_as_torch_ones() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(dtype=anynn.float64)
    _weights_from(ours, theirs)
    x = np.random.default_rng(0).standard_normal((5, 3))
    for wrap_ours, wrap_theirs in ((anynn.jit.script, torch.jit.script),
                                   (lambda m: anynn.jit.trace(m, anynn.tensor(x)), lambda m: torch.jit.trace(
                                       m, torch.tensor(x)))):
        m_ours, m_theirs = wrap_ours(ours), wrap_theirs(theirs)
        loss_ours = (m_ours(anynn.tensor(x, dtype=anynn.float64)) ** 2).sum()
        loss_theirs = (m_theirs(torch.tensor(x)) ** 2).sum()
        loss_ours.backward()
        loss_theirs.backward()
        np.testing.assert_allclose(loss_ours.item(), loss_theirs.item(), rtol=1e-12)
        for (_, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)
            p.grad, q.grad = None, None


def test_trace_does_not_run_the_function() -> None:
    calls = []

    def f(x):
        calls.append(x)
        return x + 1

    traced = anynn.jit.trace(f, anynn.ones(2))
    assert calls == [] and traced is f


def test_decorators_bare_and_called_keep_the_function() -> None:
    class Net(nn.Module):
        @anynn.jit.ignore
        def helper(self, x):
            return x * 2

        @anynn.jit.ignore(drop=True)
        def dropped(self, x):
            return x * 3

        @anynn.jit.unused
        def unused(self, x):
            return x * 4

        @anynn.jit.export
        def exported(self, x):
            return x * 5

        def forward(self, x):
            if anynn.jit.is_scripting() or anynn.jit.is_tracing():
                raise AssertionError("anynn never scripts or traces")
            return self.helper(x) + self.dropped(x) + self.unused(x) + self.exported(x)

    out = anynn.jit.script(Net())(anynn.ones(3))
    np.testing.assert_array_equal(out.numpy(), np.full(3, 14.0))
    assert anynn.jit.is_scripting() is torch.jit.is_scripting() is False
    assert anynn.jit.is_tracing() is torch.jit.is_tracing() is False


def test_script_module_subclass_with_script_methods() -> None:
    class Old(anynn.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        @anynn.jit.script_method
        def forward(self, x):
            return self.lin(x).relu()

    m = Old()
    assert isinstance(m, nn.Module) and len(list(m.parameters())) == 2
    assert tuple(m(anynn.ones(4, 2)).shape) == (4, 2)


def test_attribute_annotate_final_as_torch() -> None:
    ours, theirs = anynn.jit.Attribute(3, int), torch.jit.Attribute(3, int)
    assert (ours.value, ours.type) == (theirs.value, theirs.type) and tuple(ours) == tuple(theirs)
    assert anynn.jit.annotate(List[int], []) == torch.jit.annotate(List[int], []) == []
    assert anynn.jit.Final[int] == torch.jit.Final[int]


@pytest.mark.parametrize("value, annotation", [
    ([1, 2], List[int]), ([1, "a"], List[int]), ([], List[str]), ({"a": 1}, Dict[str, int]),
    ({"a": 1.5}, Dict[str, int]), ((1, "b"), Tuple[int, str]), ((1, 2), Tuple[int, str]), ((1,), Tuple[int, int]),
    (None, Optional[int]), (3, Optional[int]), ("x", Optional[int]),  # noqa: UP045 - as programs write it
    (3, int), ([[1], [2]], List[List[int]]), (None, int | None),
])
def test_isinstance_checks_element_types_as_torch(value, annotation) -> None:
    assert anynn.jit.isinstance(value, annotation) == torch.jit.isinstance(value, annotation)


@pytest.mark.parametrize("annotation", [list, dict, tuple, List])
def test_isinstance_refuses_containers_without_element_types(annotation) -> None:
    with pytest.raises(RuntimeError, match="contained type"):
        torch.jit.isinstance([1], annotation)
    with pytest.raises(RuntimeError, match="needs its element types"):
        anynn.jit.isinstance([1], annotation)


def test_fork_and_wait_give_the_result() -> None:
    future = anynn.jit.fork(lambda a, b=0: a * 10 + b, 4, b=2)
    assert anynn.jit.wait(future) == 42 == torch.jit.wait(torch.jit.fork(lambda a, b=0: a * 10 + b, 4, b=2))
    assert future.done() and future.value() == 42
    with pytest.raises(TypeError, match="Future that anynn.jit.fork returned, got int"):
        anynn.jit.wait(42)


def test_no_op_contexts_and_freeze() -> None:
    m = nn.Linear(2, 2).eval()
    with anynn.jit.optimized_execution(False), anynn.jit.fuser("fuser1"):
        assert anynn.jit.freeze(anynn.jit.script(m)) is m
        assert anynn.jit.optimize_for_inference(m) is m


@pytest.mark.parametrize("call", [lambda p: anynn.jit.save(nn.Linear(2, 2), p), lambda p: anynn.jit.load(p)])
def test_archives_are_refused_naming_the_alternatives(tmp_path, call) -> None:
    path = tmp_path / "m.pt"
    with pytest.raises(anynn.jit.Error, match=r"no TorchScript archive.*state_dict.*onnx\.export"):
        call(path)
    assert not path.exists()


def test_overload_decorators_leave_the_implementation_that_follows():
    """torchvision's DenseNet declares its forward's overloads with torch.jit._overload_method; torch.jit._overload
    does the same for functions: the definition after them is the one that runs."""
    for jit in (anynn.jit, torch.jit):
        class Layer(torch.nn.Module if jit is torch.jit else nn.Module):
            @jit._overload_method
            def forward(self, x: List[int]) -> int:  # type: ignore[empty-body]
                pass

            @jit._overload_method
            def forward(self, x: int) -> int:  # type: ignore[empty-body]  # noqa: F811
                pass

            def forward(self, x):  # noqa: F811
                return x * 2 if isinstance(x, int) else sum(x)

        assert Layer()(3) == 6 and Layer()([1, 2]) == 3

    def twice(x: int) -> int:
        return x * 2

    assert anynn.jit._overload(twice) is twice



def test_jit_annotations_imports_as_torchs() -> None:
    # torchvision/timm densenet: ``from torch.jit.annotations import List``
    from anynn.jit.annotations import Dict as OurDict, List as OurList, Optional as OurOptional, Tuple as OurTuple
    from torch.jit.annotations import Dict as TheirDict, List as TheirList, Optional as TheirOptional, \
        Tuple as TheirTuple

    assert (OurList, OurTuple, OurDict, OurOptional) == (TheirList, TheirTuple, TheirDict, TheirOptional)
    import anynn.jit.annotations as annotations

    assert annotations is anynn.jit.annotations
