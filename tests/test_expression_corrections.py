"""Learning from users: the owner corrects an expression, the face is kept as a labelled face, and a task on the ml
queue refits the per-class fusion weights, which move the way the corrections point."""

import time

import numpy as np
import pytest
from django.test import Client
from skimage import data

from expressions import services
from expressions.models import FusionWeights, LabelledFace
from ml.expressions import CLASSES, MEMBER_NAMES

from .test_photo_mode import make_from_photo

MEMBERS = MEMBER_NAMES  # make install installs every member


def wait_for_weights(count: int, timeout=30) -> FusionWeights:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if FusionWeights.objects.count() >= count:
            return FusionWeights.objects.first()
        time.sleep(0.05)
    raise AssertionError(f"no refit within {timeout} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_correction_is_kept_and_the_weights_are_refitted(
    celery_worker, caption_model, alice, bob, happy_template, client_for
):
    client = client_for(alice)
    job = make_from_photo(client, data.astronaut())

    response = client.post(f"/api/jobs/{job.id}/expression/", {"label": "sad", "face": 0}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["label"] == "sad" and response.json()["job"] == str(job.id)
    face = LabelledFace.objects.get()
    assert (face.label, face.labelled_by, face.photo, face.face) == ("sad", alice, f"job:{job.id}", 0)
    assert set(face.member_probs) == set(MEMBERS) and all(len(p) == len(CLASSES) for p in face.member_probs.values())
    assert face.image.name.startswith("faces/") and face.image.width >= job.faces[0]["width"]
    weights = wait_for_weights(1)
    assert (weights.faces, weights.members, weights.classes) == (1, list(MEMBERS), list(CLASSES))

    # Said again, the label is replaced: the face still counts once.
    assert client.post(f"/api/jobs/{job.id}/expression/", {"label": "angry"}, format="json").status_code == 201
    assert LabelledFace.objects.get().label == "angry" and wait_for_weights(2).faces == 1

    assert client_for(bob).post(f"/api/jobs/{job.id}/expression/", {"label": "sad"}, format="json").status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "body,message", [({"label": "smug"}, "not a valid choice"), ({"label": "sad", "face": 3}, "between 0 and 0")]
)
def test_a_bad_correction_gets_a_400(celery_worker, caption_model, alice, happy_template, client_for, body, message):
    client = client_for(alice)
    job = make_from_photo(client, data.astronaut())
    response = client.post(f"/api/jobs/{job.id}/expression/", body, format="json")
    assert response.status_code == 400 and message in response.content.decode()
    assert not LabelledFace.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_job_page_form_corrects_a_face(celery_worker, caption_model, alice, happy_template, client_for):
    job = make_from_photo(client_for(alice), data.astronaut())
    client = Client()
    client.force_login(alice)

    response = client.post(f"/make/jobs/{job.id}/expression/", {"face": 0, "label": "surprise"}, follow=True)
    assert "face 1 is kept as surprise" in response.content.decode()
    assert "you said surprise" in response.content.decode()
    assert LabelledFace.objects.get().label == "surprise"


def labelled(label: str, right: str, probability=0.9) -> LabelledFace:
    """A face labelled `label` that the member `right` reads as it, and the other members as neutral."""
    member_probs = np.full((len(MEMBERS), len(CLASSES)), (1 - probability) / (len(CLASSES) - 1))
    member_probs[:, CLASSES.index("neutral")] = probability
    member_probs[MEMBERS.index(right)] = (1 - probability) / (len(CLASSES) - 1)
    member_probs[MEMBERS.index(right), CLASSES.index(label)] = probability
    by_member = dict(zip(MEMBERS, member_probs.tolist()))
    return LabelledFace.objects.create(image="faces/x.png", member_probs=by_member, label=label)


@pytest.mark.django_db
def test_the_weights_move_the_way_the_corrections_point():
    for _ in range(30):
        labelled("sad", right="facex")
    for _ in range(10):
        labelled("surprise", right="face_api")

    weights = np.array(services.weights_refit().matrix)

    uniform = 1 / len(MEMBERS)
    sad, surprise, angry = (CLASSES.index(name) for name in ("sad", "surprise", "angry"))
    assert weights[MEMBERS.index("facex"), sad] > 1.5 * uniform  # 30 faces: trusted a lot
    assert weights[:, sad].argmax() == MEMBERS.index("facex")
    assert uniform < weights[MEMBERS.index("face_api"), surprise] < weights[MEMBERS.index("facex"), sad]  # fewer faces
    np.testing.assert_allclose(weights[:, angry], uniform)  # no angry faces: stays uniform
    np.testing.assert_allclose(weights.sum(axis=0), 1.0)


@pytest.mark.django_db
def test_no_labelled_faces_no_fit():
    assert services.weights_refit() is None and not FusionWeights.objects.exists()


@pytest.mark.django_db
def test_the_ensemble_takes_the_newest_weights_without_loading_again():
    services._LoadedEnsemble.ensemble = None
    np.testing.assert_allclose(services.ensemble().weights, 1 / len(MEMBERS))  # none fitted: uniform
    loads = services._LoadedEnsemble.loads
    for _ in range(5):
        labelled("sad", right="facex")
    fit = services.weights_refit()

    ensemble = services.ensemble()

    np.testing.assert_allclose(ensemble.weights, fit.matrix, atol=1e-5)
    np.testing.assert_allclose(ensemble.temperatures, fit.temperatures)
    assert services._LoadedEnsemble.loads == loads and services.ensemble() is ensemble


@pytest.mark.django_db
def test_each_members_temperature_is_fitted_and_kept():
    for _ in range(20):
        labelled("sad", right="facex", probability=0.99)  # the others sure of neutral, and wrong

    fit = services.weights_refit()

    assert len(fit.temperatures) == len(MEMBERS)
    others = [t for name, t in zip(MEMBERS, fit.temperatures) if name != "facex"]
    assert all(t > fit.temperatures[MEMBERS.index("facex")] for t in others)  # sure and wrong: softened


@pytest.mark.django_db
def test_faces_read_by_other_members_are_left_out_of_the_fit():
    four_views = [[1 / len(CLASSES)] * len(CLASSES)] * 4  # kept when the members were views of one network
    LabelledFace.objects.create(image="faces/old.png", member_probs=four_views, label="sad")
    without_facex = {"mini_xception": four_views[0], "face_api": four_views[0]}
    LabelledFace.objects.create(image="faces/two.png", member_probs=without_facex, label="sad")
    assert services.weights_refit() is None

    labelled("sad", right="facex")
    assert services.weights_refit().faces == 1


@pytest.mark.django_db
def test_weights_fitted_for_other_members_are_not_used():
    services._LoadedEnsemble.weights_id = None  # an earlier test's fit may have had the same id, rolled back
    old_members = ["face", "mirrored", "tight", "loose"]
    FusionWeights.objects.create(
        matrix=[[0.25] * len(CLASSES)] * 4, temperatures=[3.0] * 4, members=old_members, classes=list(CLASSES), faces=9
    )

    ensemble = services.ensemble()

    np.testing.assert_allclose(ensemble.weights, 1 / len(MEMBERS))
    np.testing.assert_allclose(ensemble.temperatures, 1.0)
