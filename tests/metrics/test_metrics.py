"""Metrics against scikit-learn, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from anynn import metrics
from anynn.backend import BackendMismatch, get_backend
from tests.helpers import make

N, C = 60, 4


@pytest.fixture
def labels(rng):
    y = rng.integers(0, C, N)
    scores = rng.standard_normal((N, C)).astype(np.float32)
    return y, scores, scores.argmax(axis=1)


def test_accuracy_labels_and_scores(backend, labels):
    y, scores, pred = labels
    expected = sk.accuracy_score(y, pred)
    assert metrics.accuracy(make(backend, y), make(backend, pred)) == pytest.approx(expected)
    assert metrics.accuracy(make(backend, y), make(backend, scores)) == pytest.approx(expected)
    # native arrays work as well as Tensors
    assert metrics.accuracy(make(backend, y).array, make(backend, scores).array) == pytest.approx(expected)


def test_accuracy_binary_probabilities(backend, rng):
    y = rng.integers(0, 2, N)
    prob = rng.random(N).astype(np.float32)
    expected = sk.accuracy_score(y, prob > 0.5)
    assert metrics.accuracy(make(backend, y), make(backend, prob)) == pytest.approx(expected)
    assert metrics.accuracy(make(backend, y), make(backend, prob[:, None])) == pytest.approx(expected)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy(backend, labels, k):
    y, scores, _ = labels
    expected = sk.top_k_accuracy_score(y, scores, k=k, labels=range(C))
    assert metrics.top_k_accuracy(make(backend, y), make(backend, scores), k=k) == pytest.approx(expected)


def test_confusion_matrix(backend, labels):
    y, scores, pred = labels
    cm = metrics.confusion_matrix(make(backend, y), make(backend, scores))
    np.testing.assert_array_equal(backend.to_host(cm), sk.confusion_matrix(y, pred, labels=range(C)))
    # labels missing from both sides: the union of those present, as scikit-learn
    y2, p2 = np.array([0, 2, 5, 5, 2]), np.array([2, 2, 5, 0, 0])
    cm2 = metrics.confusion_matrix(make(backend, y2), make(backend, p2))
    np.testing.assert_array_equal(backend.to_host(cm2), sk.confusion_matrix(y2, p2))
    cm3 = metrics.confusion_matrix(make(backend, y2), make(backend, p2), num_classes=6)
    np.testing.assert_array_equal(backend.to_host(cm3), sk.confusion_matrix(y2, p2, labels=range(6)))


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_precision_recall_f1(backend, labels, average):
    y, scores, pred = labels
    yt, st = make(backend, y), make(backend, scores)
    assert metrics.precision(yt, st, average=average) == pytest.approx(sk.precision_score(y, pred, average=average))
    assert metrics.recall(yt, st, average=average) == pytest.approx(sk.recall_score(y, pred, average=average))
    assert metrics.f1_score(yt, st, average=average) == pytest.approx(sk.f1_score(y, pred, average=average))


def test_precision_zero_division_and_per_class(backend):
    # class 1 is never predicted (precision 0/0) and class 3 is predicted but absent (recall 0/0)
    y, pred = np.array([0, 1, 1, 2, 2, 0]), np.array([0, 0, 2, 2, 3, 0])
    kwargs = dict(zero_division=0)
    p, r, f = metrics.precision_recall_f1(make(backend, y), make(backend, pred), average=None)
    np.testing.assert_allclose(backend.to_host(p), sk.precision_score(y, pred, average=None, **kwargs))
    np.testing.assert_allclose(backend.to_host(r), sk.recall_score(y, pred, average=None, **kwargs))
    np.testing.assert_allclose(backend.to_host(f), sk.f1_score(y, pred, average=None, **kwargs))
    assert metrics.f1(make(backend, y), make(backend, pred)) == pytest.approx(
        sk.f1_score(y, pred, average="macro", **kwargs))


def test_binary_average(backend, rng):
    y, pred = rng.integers(0, 2, N), rng.integers(0, 2, N)
    yt, pt = make(backend, y), make(backend, pred)
    assert metrics.precision(yt, pt, average="binary") == pytest.approx(sk.precision_score(y, pred))
    assert metrics.recall(yt, pt, average="binary") == pytest.approx(sk.recall_score(y, pred))
    assert metrics.f1_score(yt, pt, average="binary") == pytest.approx(sk.f1_score(y, pred))


@pytest.mark.parametrize("shape", [(N,), (N, 3)])
def test_regression(backend, rng, shape):
    t = rng.standard_normal(shape)
    p = t + 0.5 * rng.standard_normal(shape)
    tt, pt = make(backend, t), make(backend, p)
    assert metrics.mse(tt, pt) == pytest.approx(sk.mean_squared_error(t, p), rel=1e-12)
    assert metrics.mae(tt, pt) == pytest.approx(sk.mean_absolute_error(t, p), rel=1e-12)
    assert metrics.r2(tt, pt) == pytest.approx(sk.r2_score(t, p), rel=1e-12)


def test_regression_column_predictions_and_constant_target(backend, rng):
    t = rng.standard_normal(N).astype(np.float32)
    p = (t + 0.1 * rng.standard_normal(N)).astype(np.float32)
    assert metrics.mse(make(backend, t), make(backend, p[:, None])) == pytest.approx(
        sk.mean_squared_error(t, p), rel=1e-5)
    const = np.ones(5)
    assert metrics.r2(make(backend, const), make(backend, const)) == 1.0
    assert metrics.r2(make(backend, const), make(backend, const + 1)) == sk.r2_score(const, const + 1) == 0.0


def test_results_are_python_floats(backend, labels):
    y, scores, _ = labels
    for fn in (metrics.accuracy, metrics.f1_score, metrics.precision, metrics.recall):
        assert type(fn(make(backend, y), make(backend, scores))) is float
    assert type(metrics.mse(make(backend, scores), make(backend, scores))) is float


def test_host_inputs_follow_the_tensor(backend, labels):
    y, scores, pred = labels
    # lists and NumPy arrays are host data, moved to the other argument's backend
    assert metrics.accuracy(y.tolist(), make(backend, scores)) == pytest.approx(sk.accuracy_score(y, pred))
    assert metrics.accuracy(y, pred) == pytest.approx(sk.accuracy_score(y, pred))


def test_two_backends_are_an_error(labels):
    y, scores, _ = labels
    with pytest.raises(BackendMismatch, match="two backends"):
        metrics.accuracy(make(get_backend("torch"), y), make(get_backend("array_api_strict"), scores))


def test_shape_errors():
    with pytest.raises(ValueError, match="do not match"):
        metrics.accuracy(np.zeros(4, dtype=np.int64), np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError, match="average"):
        metrics.f1_score([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="top_k_accuracy expects"):
        metrics.top_k_accuracy(np.zeros(4, dtype=np.int64), np.zeros(4))


# probabilities at and around the default threshold: exactly 0.5 is the negative class (``p > 0.5``);
# 0.5 -/+ 2**-20 (exact in float32) pin the default threshold itself
HALF = np.array([0.5, 0.5, 0.5, 0.5, 0.5 - 2**-20, 0.5 + 2**-20, 0.0, 1.0, 0.5, 0.3, 0.7, 0.5])
HALF_TARGETS = np.array([0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_probabilities_exactly_at_the_threshold(backend, dtype):
    prob, y = HALF.astype(dtype), HALF_TARGETS
    pred = (prob > 0.5).astype(np.int64)  # what scikit-learn is given: the labels anynn must predict
    yt, pt = make(backend, y), make(backend, prob)
    assert metrics.accuracy(yt, pt) == pytest.approx(sk.accuracy_score(y, pred))
    assert metrics.accuracy(yt, make(backend, prob[:, None])) == pytest.approx(sk.accuracy_score(y, pred))
    assert metrics.precision(yt, pt, average="binary") == pytest.approx(sk.precision_score(y, pred))
    assert metrics.recall(yt, pt, average="binary") == pytest.approx(sk.recall_score(y, pred))
    assert metrics.f1_score(yt, pt, average="binary") == pytest.approx(sk.f1_score(y, pred))
    shifted = (prob > 0.6).astype(np.int64)
    assert sk.accuracy_score(y, shifted) != sk.accuracy_score(y, pred)  # so an ignored threshold shows
    assert metrics.accuracy(yt, pt, threshold=0.6) == pytest.approx(sk.accuracy_score(y, shifted))


@pytest.mark.parametrize("pos_label", [0, 1])
def test_binary_average_pos_label(backend, pos_label):
    y, pred = HALF_TARGETS, np.array([0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0])
    yt, pt = make(backend, y), make(backend, pred)
    for ours, theirs in ((metrics.precision, sk.precision_score), (metrics.recall, sk.recall_score),
                         (metrics.f1_score, sk.f1_score)):
        expected = theirs(y, pred, average="binary", pos_label=pos_label)
        assert ours(yt, pt, average="binary", pos_label=pos_label) == pytest.approx(expected), ours.__name__
    # the two classes' scores differ here, so a pos_label that is ignored cannot pass both cases
    assert sk.precision_score(y, pred, pos_label=0) != sk.precision_score(y, pred, pos_label=1)


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_precision_recall_f1_on_a_subset_of_labels(backend, average):
    y, pred = np.array([0, 1, 2, 2, 3, 1, 0, 3, 2]), np.array([0, 2, 2, 1, 3, 1, 3, 3, 0])
    yt, pt = make(backend, y), make(backend, pred)
    labels = [1, 3]
    for ours, theirs in ((metrics.precision, sk.precision_score), (metrics.recall, sk.recall_score),
                         (metrics.f1_score, sk.f1_score)):
        expected = theirs(y, pred, average=average, labels=labels, zero_division=0)
        got = ours(yt, pt, average=average, labels=labels)
        got = backend.to_host(got) if average is None else got
        np.testing.assert_allclose(got, expected, err_msg=f"{ours.__name__} average={average}")
