"""Per-class fusion weights follow the labels, stay uniform without data and keep each class's weights summing to 1."""
import numpy as np
import pytest

from ml.expressions import CLASSES, fit_class_weights
from ml.expressions.fusion import fuse, normalised, uniform_weights

HAPPY, SAD = CLASSES.index("happy"), CLASSES.index("sad")


def happy_faces(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Member 0 reads these happy faces as happy, member 1 as sad."""
    probs = np.full((count, 2, len(CLASSES)), 0.01)
    probs[:, 0, HAPPY] = 0.94
    probs[:, 1, SAD] = 0.94
    return probs, np.full(count, HAPPY)


def test_the_member_that_is_right_weighs_more():
    weights = fit_class_weights(*happy_faces(50))
    assert weights[0, HAPPY] > weights[1, HAPPY]
    np.testing.assert_allclose(weights[:, SAD], 0.5)  # no sad faces: nothing to go on


def test_without_data_the_weights_are_uniform():
    weights = fit_class_weights(np.empty((0, 3, len(CLASSES))), np.empty(0))
    np.testing.assert_allclose(weights, uniform_weights(3, len(CLASSES)))


def test_few_faces_move_the_weights_less():
    few, many = fit_class_weights(*happy_faces(3)), fit_class_weights(*happy_faces(300))
    assert 0.5 < few[0, HAPPY] < many[0, HAPPY]


def test_each_class_weights_sum_to_one():
    probs = np.random.default_rng(0).dirichlet(np.ones(len(CLASSES)), size=(40, 4))
    labels = np.random.default_rng(1).integers(0, len(CLASSES), size=40)
    weights = fit_class_weights(probs, labels)

    assert weights.shape == (4, len(CLASSES)) and (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=0), 1.0)


def test_fusion_weighs_each_class_by_its_own_column():
    member_probs = np.array([[0.8, 0.2], [0.2, 0.8]])
    trust_member_0 = np.array([[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(fuse(member_probs, normalised(trust_member_0)), [0.8, 0.2])
    np.testing.assert_allclose(fuse(member_probs, uniform_weights(2, 2)), [0.5, 0.5])


def test_negative_weights_are_refused():
    with pytest.raises(ValueError):
        normalised(np.array([[1.0, -1.0]]))
