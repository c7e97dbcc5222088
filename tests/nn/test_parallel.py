"""anynn.nn.parallel: DataParallel and data_parallel on one device, as PyTorch's on one device (or on CPU)."""

from __future__ import annotations

import numpy as np
import torch

import anynn
import anynn.nn.parallel
from tests.helpers import copy_torch_weights, make


def test_data_parallel_wraps_the_module_as_pytorch(backend):
    torch.manual_seed(0)
    ref = torch.nn.DataParallel(torch.nn.Linear(4, 3))
    ours = anynn.nn.DataParallel(anynn.nn.Linear(4, 3, backend=backend))
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["module.weight", "module.bias"]
    if not (anynn.cuda.is_available() or torch.cuda.is_available()):  # PyTorch's CPU build keeps no ids ([0, 1] before)
        assert anynn.nn.DataParallel(anynn.nn.Linear(1, 1), device_ids=[0, 1]).device_ids == [] == \
            torch.nn.DataParallel(torch.nn.Linear(1, 1), device_ids=[0, 1]).device_ids
    copy_torch_weights(ours, ref)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    out, out_t = ours(make(backend, x)), ref(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(ours.module.weight.grad.numpy(), ref.module.weight.grad.numpy(), rtol=1e-6)


def test_the_functional_form_as_pytorch(backend):
    torch.manual_seed(0)
    ref = torch.nn.Linear(4, 3)
    ours = anynn.nn.Linear(4, 3, backend=backend)
    copy_torch_weights(ours, ref)
    x = np.ones((2, 4), np.float32)
    got = anynn.nn.parallel.data_parallel(ours, make(backend, x), range(1))
    # PyTorch's data_parallel needs an accelerator; on one, it gives the module's own result
    np.testing.assert_allclose(got.numpy(), ref(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    kwargs = anynn.nn.parallel.data_parallel(anynn.nn.Identity(), (make(backend, x),), module_kwargs={})
    np.testing.assert_array_equal(kwargs.numpy(), x)


def test_dcgans_imports_and_device_questions():
    import anynn.backends.cudnn as cudnn  # as `import torch.backends.cudnn as cudnn`

    assert cudnn is anynn.backends.cudnn
    cudnn.benchmark = True
    assert anynn.backends.cudnn.benchmark is True
    cudnn.benchmark = False
    x = anynn.zeros(2)
    assert (x.is_cpu, x.is_cuda, x.is_xpu, x.is_mps) == (True, False, False, False)
    t = torch.zeros(2)
    assert (t.is_cpu, t.is_cuda, t.is_xpu, t.is_mps) == (True, False, False, False)
