"""Reading expressions: the smiling astronaut reads happy through the ensemble and the single network;
a photo without a face reads NO_FACE; every face of a group photo gets its reading."""
import numpy as np
import pytest
import torch
from skimage import data

from ml.expressions import CLASSES, NO_FACE, ExpressionEnsemble, detect_faces
from ml.expressions.faces import to_grey
from ml.expressions.mini_xception import to_input
from ml.expressions.views import VIEWS, crop_views

from .test_expressions_faces import composite_of_heads


@pytest.fixture(scope="module")
def ensemble():
    return ExpressionEnsemble.load(device="cpu")


def test_the_astronaut_reads_happy(ensemble):
    reading = ensemble.read_photo(data.astronaut())

    assert reading.label == "happy" and len(reading.faces) == 1
    assert reading.readings[0].confidence > 0.9
    assert sum(reading.readings[0].probabilities.values()) == pytest.approx(1.0)


def test_the_single_network_reads_the_astronaut_happy(ensemble):
    image = data.astronaut()
    (face,) = detect_faces(image)
    with torch.no_grad():
        logits = ensemble.network(to_input(crop_views(to_grey(image), face, VIEWS[:1])))
    assert CLASSES[int(logits.argmax())] == "happy"


def test_every_member_gives_probabilities(ensemble):
    image = data.astronaut()
    (face,) = detect_faces(image)
    member_probs = ensemble.member_probabilities(image, face)

    assert member_probs.shape == (len(ensemble.member_names), len(CLASSES))
    np.testing.assert_allclose(member_probs.sum(axis=1), 1.0, atol=1e-5)
    assert ensemble.read(image, face).member_probs.shape == member_probs.shape


def test_a_photo_without_a_face_reads_no_face(ensemble):
    reading = ensemble.read_photo(data.coffee())
    assert reading.label == NO_FACE and reading.faces == () and reading.readings == ()


def test_every_face_of_a_group_is_read(ensemble):
    reading = ensemble.read_photo(composite_of_heads())

    assert len(reading.faces) == len(reading.readings) == 3
    assert [r.label for r in reading.readings] == ["happy"] * 3


def test_fitted_weights_change_the_fusion():
    mirrored = ExpressionEnsemble.member_names.index("mirrored")
    only_mirrored = np.zeros((len(VIEWS), len(CLASSES)))
    only_mirrored[mirrored] = 1.0
    ensemble = ExpressionEnsemble.load(device="cpu", weights=only_mirrored)
    image = data.astronaut()
    (face,) = detect_faces(image)
    reading = ensemble.read(image, face)

    np.testing.assert_allclose(list(reading.probabilities.values()), reading.member_probs[mirrored], rtol=1e-5)


def test_weights_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="members×classes"):
        ExpressionEnsemble.load(device="cpu", weights=np.ones((2, len(CLASSES))))
