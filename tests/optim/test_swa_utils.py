"""optim.swa_utils against torch.optim.swa_utils: AveragedModel (SWA, EMA by avg_fn and multi_avg_fn, use_buffers)
over the same sequence of trained models, SWALR's rate sequence and state round trip, update_bn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.optim.swa_utils as torch_swa

import anynn
import anynn.optim.swa_utils as swa
from anynn import nn
from tests.helpers import make
from tests.optim.test_lr_scheduler import _assert_traces_equal, _optimizers, _trace


def _models(backend):
    anynn.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).to(backend).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    theirs.load_state_dict({k: torch.tensor(np.asarray(v.numpy())) for k, v in ours.state_dict().items()})
    return ours, theirs


# (id, options for AveragedModel given the swa_utils module)
AVERAGES = [
    ("swa", lambda m: {}),
    ("swa-buffers", lambda m: dict(use_buffers=True)),
    ("ema-avg-fn", lambda m: dict(avg_fn=m.get_ema_avg_fn(0.9))),
    ("ema-multi-buffers", lambda m: dict(multi_avg_fn=m.get_ema_multi_avg_fn(0.8), use_buffers=True)),
    ("swa-multi", lambda m: dict(multi_avg_fn=m.get_swa_multi_avg_fn())),
    ("swa-avg-fn", lambda m: dict(avg_fn=m.get_swa_avg_fn())),
    ("custom-avg-fn", lambda m: dict(avg_fn=lambda a, p, n: a * 0.5 + p * 0.5)),
]


def _compare(ours: dict, theirs: dict) -> None:
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        np.testing.assert_allclose(np.asarray(ours[key].numpy(), dtype=float), value.numpy().astype(float),
                                   rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("name, options", AVERAGES, ids=[a[0] for a in AVERAGES])
def test_averaged_model_matches_torch(backend, rng, name, options):
    model, tmodel = _models(backend)
    averaged = swa.AveragedModel(model, **options(swa))
    taveraged = torch_swa.AveragedModel(tmodel, **options(torch_swa))
    opt, topt = anynn.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(tmodel.parameters(), lr=0.1)
    for _ in range(5):
        x = rng.standard_normal((6, 3))
        loss, tloss = (model(make(backend, x)) ** 2).sum(), (tmodel(torch.tensor(x)) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss.backward()
        topt.step()
        averaged.update_parameters(model)
        taveraged.update_parameters(tmodel)
        _compare(averaged.state_dict(), taveraged.state_dict())
    x = rng.standard_normal((4, 3))
    averaged.eval()
    taveraged.eval()
    np.testing.assert_allclose(averaged(make(backend, x)).numpy(), taveraged(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)


def test_averaged_model_is_a_copy_and_refuses_two_functions(backend):
    model, _ = _models(backend)
    averaged = swa.AveragedModel(model)
    assert averaged.module[0].weight is not model[0].weight and int(averaged.n_averaged.item()) == 0
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa.AveragedModel(model, avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn())
    for make_fn in (swa.get_ema_avg_fn, swa.get_ema_multi_avg_fn):
        with pytest.raises(ValueError, match="Invalid decay value 1.5"):
            make_fn(1.5)


@pytest.mark.parametrize("updates", [0, 1])
def test_averaging_another_architecture_is_refused_by_name_and_changes_nothing(backend, updates):
    """NumPy said 'operands could not be broadcast together with remapped shapes' (PyTorch refuses it too)."""
    averaged = swa.AveragedModel(nn.Linear(2, 2, backend=backend))
    for _ in range(updates):
        averaged.update_parameters(nn.Linear(2, 2, backend=backend))
    before = [p.detach().numpy().copy() for p in averaged.parameters()]
    with pytest.raises(RuntimeError):
        torch_swa.AveragedModel(torch.nn.Linear(2, 2)).update_parameters(torch.nn.Linear(3, 3))
    with pytest.raises(RuntimeError, match=r"AveragedModel.update_parameters: the model's tensor 0 has shape "
                                           r"\(3, 3\), the averaged copy's \(2, 2\)"):
        averaged.update_parameters(nn.Linear(3, 3, backend=backend))
    assert int(averaged.n_averaged.item()) == updates
    for b, p in zip(before, averaged.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), b)


def test_update_bn_matches_torch(backend, rng):
    model, tmodel = _models(backend)
    model.eval()
    tmodel.eval()
    batches = [rng.standard_normal((5, 3)) for _ in range(4)]
    swa.update_bn([(make(backend, b), None) for b in batches], model)
    torch_swa.update_bn([(torch.tensor(b), None) for b in batches], tmodel)
    _compare(model.state_dict(), tmodel.state_dict())
    assert not model.training and model[1].momentum == 0.1


SWALR_CASES = [
    ("cos", "sgd", dict(swa_lr=0.05, anneal_epochs=5)),
    ("linear-per-group", "adam", dict(swa_lr=[0.02, 0.01], anneal_epochs=3, anneal_strategy="linear")),
    ("no-anneal", "sgd", dict(swa_lr=0.2, anneal_epochs=0)),
]


@pytest.mark.parametrize("name, kind, options", SWALR_CASES, ids=[c[0] for c in SWALR_CASES])
def test_swalr_matches_torch(name, kind, options):
    opt, topt, _, _ = _optimizers(kind)
    _assert_traces_equal(_trace(opt, swa.SWALR(opt, **options), 12), _trace(topt, torch_swa.SWALR(topt, **options), 12))


def test_swalr_after_cosine_annealing_matches_torch():
    traces = []
    for library, module in ((anynn.optim.lr_scheduler, swa), (torch.optim.lr_scheduler, torch_swa)):
        opt = _optimizers("sgd")[0 if module is swa else 1]
        first, second = library.CosineAnnealingLR(opt, T_max=10), module.SWALR(opt, swa_lr=0.01, anneal_epochs=4)
        trace = [_trace(opt, first, 6)]
        trace.append(_trace(opt, second, 8))
        traces.append(trace[0] + trace[1])
    _assert_traces_equal(*traces)


def test_swalr_state_round_trip_and_errors():
    opt, _, _, _ = _optimizers("sgd")
    scheduler = swa.SWALR(opt, swa_lr=0.05, anneal_epochs=6, anneal_strategy="linear")
    _trace(opt, scheduler, 3)
    saved = scheduler.state_dict()
    assert "anneal_func" not in saved and "optimizer" not in saved
    fresh, _, _, _ = _optimizers("sgd")
    resumed = swa.SWALR(fresh, swa_lr=0.05)  # cos until the state says linear
    fresh.load_state_dict(opt.state_dict())
    resumed.load_state_dict(saved)
    _assert_traces_equal(_trace(fresh, resumed, 6)[1:], _trace(opt, scheduler, 6)[1:])
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        swa.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        swa.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
