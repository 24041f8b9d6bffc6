"""Reading expressions: the smiling astronaut reads happy through the ensemble and each of its networks;
a photo without a face reads NO_FACE; every face of a group photo gets its reading; temperatures and fitted weights
change the fusion; a member whose package is missing is left out, not a crash."""
import logging

import numpy as np
import pytest
import torch
from skimage import data

from ml.expressions import CLASSES, MEMBER_NAMES, NO_FACE, ExpressionEnsemble, detect_faces
from ml.expressions import members as members_module
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


def test_the_mini_xception_alone_reads_the_astronaut_happy(ensemble):
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


def test_each_member_reads_the_astronaut_happy(ensemble):
    image = data.astronaut()
    (face,) = detect_faces(image)
    reading = ensemble.read(image, face)

    assert ensemble.member_names == MEMBER_NAMES  # all three are installed by make install
    assert [(name, label) for name, label, _ in reading.member_readings()] == [(n, "happy") for n in MEMBER_NAMES]
    assert all(p > 0.9 for _, _, p in reading.member_readings())


def test_fitted_weights_change_the_fusion(ensemble):
    face_api = ensemble.member_names.index("face_api")
    only_face_api = np.zeros((len(ensemble.members), len(CLASSES)))
    only_face_api[face_api] = 1.0
    weighted = ensemble.with_fit(only_face_api, None)
    image = data.astronaut()
    (face,) = detect_faces(image)
    reading = weighted.read(image, face)

    np.testing.assert_allclose(list(reading.probabilities.values()), reading.member_probs[face_api], rtol=1e-5)


def test_a_temperature_softens_a_member(ensemble):
    image = data.astronaut()
    (face,) = detect_faces(image)
    plain = ensemble.read(image, face)
    soft = ensemble.with_fit(None, np.full(len(ensemble.members), 4.0)).read(image, face)

    np.testing.assert_allclose(soft.member_probs, plain.member_probs)  # what is stored: before calibration
    assert (soft.calibrated.max(axis=1) < plain.calibrated.max(axis=1)).all()
    assert soft.label == plain.label == "happy" and soft.confidence < plain.confidence


def test_weights_of_the_wrong_shape_are_refused(ensemble):
    with pytest.raises(ValueError, match="members×classes"):
        ensemble.with_fit(np.ones((2, len(CLASSES))), None)
    with pytest.raises(ValueError, match="temperatures"):
        ensemble.with_fit(None, np.array([1.0, 0.0, 1.0]))


def test_a_member_whose_package_is_missing_is_left_out(monkeypatch, caplog):
    def missing():
        raise FileNotFoundError("facex's network comes from the `facex` package")

    monkeypatch.setattr(members_module, "facex_model_path", missing)
    with caplog.at_level(logging.WARNING, logger="ml.expressions.members"):
        ensemble = ExpressionEnsemble.load(device="cpu")

    assert ensemble.member_names == ("mini_xception", "face_api")
    assert "member facex is left out" in caplog.text
    assert members_module.available_member_names() == ("mini_xception", "face_api")
    reading = ensemble.read_photo(data.astronaut())
    assert reading.label == "happy" and reading.readings[0].member_probs.shape == (2, len(CLASSES))


def test_without_any_member_loading_fails_with_the_reasons(monkeypatch):
    monkeypatch.setattr(members_module, "MEMBER_NAMES", ("mini_xception",))
    monkeypatch.setattr(members_module, "fer_weights_path", lambda: (_ for _ in ()).throw(FileNotFoundError("no fer")))
    with pytest.raises(FileNotFoundError, match="no fer"):
        members_module.load_members(("mini_xception",))
