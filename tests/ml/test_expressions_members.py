"""The members answer in one class order: each network's own names mapped onto FER-2013's; facex's TFLite network
is read as facex feeds it, and each member's answer is its views' geometric mean."""
import numpy as np
import pytest
from skimage import data

from ml.expressions import CLASSES, detect_faces
from ml.expressions.faces import to_grey
from ml.expressions.views import crop_view
from ml.expressions.face_api import FACE_API_CLASSES
from ml.expressions.members import (
    FACEX_CLASSES,
    FacexMember,
    class_order,
    member_available,
    member_title,
    view_average,
)


def test_each_networks_classes_map_onto_fer_2013s():
    assert [FACE_API_CLASSES[i] for i in class_order(FACE_API_CLASSES)] == [
        "angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral",
    ]  # fmt: skip
    assert [FACEX_CLASSES[i] for i in class_order(FACEX_CLASSES)] == [
        "anger", "disgust", "fear", "happy", "sadness", "surprised", "neutral",
    ]  # fmt: skip
    assert list(class_order(CLASSES)) == list(range(len(CLASSES)))


def test_views_are_averaged_as_a_geometric_mean():
    views = np.log(np.array([[0.5, 0.5], [0.9, 0.1]]))
    averaged = np.exp(view_average(views, faces=1))[0]
    expected = np.sqrt([0.45, 0.05]) / np.sqrt([0.45, 0.05]).sum()
    np.testing.assert_allclose(averaged, expected)


@pytest.mark.skipif(not member_available("facex"), reason="facex or ai-edge-litert is not installed")
def test_facex_answers_in_fer_order_what_its_network_answers():
    member = FacexMember()
    image = data.astronaut()
    grey = to_grey(image)
    (face,) = detect_faces(image)

    log_probabilities = member.log_probabilities(image, grey, [face])[0]

    crop = crop_view(grey, face, member.views[0])  # the Haar box, as facex crops it
    member.interpreter.set_tensor(member.input_index, member.to_input(crop))
    member.interpreter.invoke()
    raw = member.interpreter.get_tensor(member.output_index)[0]
    np.testing.assert_allclose(np.exp(log_probabilities), raw[class_order(FACEX_CLASSES)], rtol=1e-4, atol=2e-7)
    assert CLASSES[int(log_probabilities.argmax())] == "happy"


def test_the_job_page_names_each_member():
    assert member_title("face_api") == "FaceExpressionNet (face-api.js)"
    assert member_title("someone else") == "someone else"
