"""Each member's temperature: 1 without faces, above 1 for a member surer than it is right, near 1 for one as sure
as it is right; calibrating keeps each member's ranking of the classes."""
import numpy as np

from ml.expressions import CLASSES, calibrate, fit_temperatures


def readings(rng, count: int, accuracy: float, sureness: float) -> tuple[np.ndarray, np.ndarray]:
    """One member's readings: right with `accuracy`, its top class at `sureness` probability."""
    labels = rng.integers(0, len(CLASSES), count)
    top = np.where(rng.random(count) < accuracy, labels, (labels + rng.integers(1, len(CLASSES), count)) % len(CLASSES))
    probs = np.full((count, 1, len(CLASSES)), (1 - sureness) / (len(CLASSES) - 1))
    probs[np.arange(count), 0, top] = sureness
    return probs, labels


def test_without_faces_every_temperature_is_one():
    np.testing.assert_array_equal(fit_temperatures(np.empty((0, 3, len(CLASSES))), np.empty(0)), [1.0, 1.0, 1.0])


def test_an_overconfident_member_is_softened_and_a_calibrated_one_kept():
    rng = np.random.default_rng(0)
    overconfident, labels = readings(rng, 400, accuracy=0.6, sureness=0.995)
    honest, honest_labels = readings(rng, 400, accuracy=0.6, sureness=0.6)

    assert fit_temperatures(overconfident, labels)[0] > 2.0
    assert 0.8 < fit_temperatures(honest, honest_labels)[0] < 1.25


def test_few_faces_move_the_temperature_less():
    rng = np.random.default_rng(1)
    probs, labels = readings(rng, 400, accuracy=0.6, sureness=0.995)
    few, many = fit_temperatures(probs[:3], labels[:3])[0], fit_temperatures(probs, labels)[0]
    assert abs(np.log(few)) < abs(np.log(many))


def test_calibration_keeps_the_ranking_and_sums_to_one():
    probs = np.random.default_rng(2).dirichlet(np.ones(len(CLASSES)) * 0.3, size=(5, 3))
    calibrated = calibrate(probs, np.array([0.5, 1.0, 4.0]))

    np.testing.assert_allclose(calibrated.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(calibrated.argsort(axis=-1), probs.argsort(axis=-1))
    np.testing.assert_allclose(calibrated[:, 1], probs[:, 1])  # temperature 1: unchanged
    assert (calibrated[:, 2].max(axis=-1) < probs[:, 2].max(axis=-1)).all()  # 4: softer
    assert (calibrated[:, 0].max(axis=-1) > probs[:, 0].max(axis=-1)).all()  # 0.5: sharper
