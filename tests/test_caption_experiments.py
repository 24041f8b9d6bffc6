"""Live experiments: a candidate caption model writes a share of title-mode captions, and the votes on its memes
against the active model's decide whether it is promoted or rolled back."""

import json
import random
import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from captions import experiments
from captions.models import CaptionModelVersion, Experiment
from captions.services import model_version_active, model_version_register
from captions.tasks import judge_experiment
from gallery.services import vote_cast
from memes.models import Meme

from .conftest import make_meme, make_user
from .test_title_mode import make_titled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def candidate(tmp_path, tiny_caption_model_dir, caption_model) -> CaptionModelVersion:
    """The tiny model again under another version name: a candidate whose memes can be told apart."""
    folder = tmp_path / "candidate"
    shutil.copytree(tiny_caption_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "version": "tiny-candidate"}))
    return model_version_register(folder)


@pytest.fixture
def voters(db):
    return [make_user(f"voter{number}") for number in range(6)]


def titled_meme(owner, template, version: CaptionModelVersion, **fields) -> Meme:
    return make_meme(owner, template, source=Meme.Source.TITLE, model_version=version.name, **fields)


def votes_on(meme: Meme, voters, ups: int) -> None:
    for number, voter in enumerate(voters):
        vote_cast(voter, meme.pk, 1 if number < ups else -1)


def wait_for_status(experiment: Experiment, timeout: float = 60) -> Experiment:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        experiment.refresh_from_db()
        if experiment.status != Experiment.Status.RUNNING:
            return experiment
        time.sleep(0.1)
    raise AssertionError(f"the experiment was still running after {timeout} s: {experiment.outcome}")


@pytest.mark.worker
@pytest.mark.parametrize("liked", ["candidate", "control"])
def test_a_candidate_is_promoted_or_rolled_back_by_the_votes_on_its_memes(
    celery_worker, caption_model, candidate, alice, voters, template, client_for, settings, liked
):
    settings.CAPTION_EXPERIMENT_MIN_VOTES = 24
    experiment = experiments.experiment_start(candidate, caption_model, share=0.5)
    assert CaptionModelVersion.objects.get(pk=candidate.pk).state == CaptionModelVersion.State.TESTING

    # Title-mode memes made through the API by the real worker: each arm writes its share.
    client = client_for(alice)
    for number in range(40):
        make_titled(client, f"when the build is green {number}")
        arms = experiments.experiment_arms(experiment)
        if min(arms["candidate"].memes, arms["control"].memes) >= 5:
            break
    assert min(arms["candidate"].memes, arms["control"].memes) >= 5, arms
    # People like one arm's memes (5 of 6 vote up) and not the other's (1 of 6).
    for meme in Meme.objects.filter(source=Meme.Source.TITLE):
        votes_on(meme, voters, ups=5 if (meme.model_version == candidate.name) == (liked == "candidate") else 1)

    judge_experiment.delay()  # as the schedule does
    experiment = wait_for_status(experiment)
    candidate.refresh_from_db()
    assert len(experiment.history) == 1 and experiment.ended_at is not None
    if liked == "candidate":
        assert experiment.status == Experiment.Status.PROMOTED, experiment.outcome
        assert candidate.state == CaptionModelVersion.State.PROMOTED and model_version_active() == candidate
        assert make_titled(client, "and the candidate writes now").meme.model_version == candidate.name
    else:
        assert experiment.status == Experiment.Status.ROLLED_BACK, experiment.outcome
        assert candidate.state == CaptionModelVersion.State.REJECTED and model_version_active() == caption_model
        assert make_titled(client, "and the control writes again").meme.model_version == caption_model.name


def test_too_few_votes_keep_it_running_and_each_judgement_is_kept(caption_model, candidate, alice, voters, template):
    experiment = experiments.experiment_start(candidate, caption_model)
    for version in (candidate, caption_model):
        votes_on(titled_meme(alice, template, version), voters, ups=3)
    experiment = experiments.experiment_judge(experiment)
    experiment = experiments.experiment_judge(experiment)
    assert experiment.status == Experiment.Status.RUNNING and len(experiment.history) == 2
    assert experiment.history[-1]["candidate"] == {"memes": 1, "ups": 3, "downs": 3}
    assert model_version_active() == caption_model


def test_undecided_at_the_deadline_it_is_rolled_back(caption_model, candidate, alice, voters, template):
    experiment = experiments.experiment_start(candidate, caption_model, days=1)
    for version in (candidate, caption_model):
        votes_on(titled_meme(alice, template, version), voters, ups=3)
    experiment = experiments.experiment_judge(experiment, now=timezone.now() + timedelta(days=2))
    assert experiment.status == Experiment.Status.ROLLED_BACK and model_version_active() == caption_model


def test_only_title_mode_memes_of_either_arm_made_during_it_count(caption_model, candidate, alice, template):
    experiment = experiments.experiment_start(candidate, caption_model)
    titled_meme(alice, template, candidate, ups=2, downs=1)
    titled_meme(alice, template, caption_model, ups=4)
    titled_meme(alice, template, candidate, ups=9, created_at=experiment.started_at - timedelta(hours=1))  # before
    make_meme(alice, template, model_version=candidate.name, ups=9)  # written by hand
    titled_meme(alice, template, CaptionModelVersion(name="some-other-model"), ups=9)
    arms = experiments.experiment_arms(experiment)
    assert arms == {"control": experiments.Arm(1, 4, 0), "candidate": experiments.Arm(1, 2, 1)}


def test_the_candidate_writes_its_share_of_captions(caption_model, candidate):
    experiments.experiment_start(candidate, caption_model, share=0.2)
    rng = random.Random(1)
    picks = [experiments.experiment_version_pick(rng) for _ in range(2000)]
    assert 0.17 < picks.count(candidate) / len(picks) < 0.23 and set(picks) == {candidate, caption_model}


def test_a_newer_candidate_stops_the_running_experiment(caption_model, candidate, tiny_caption_model_dir):
    first = experiments.experiment_start(candidate, caption_model)
    newer = CaptionModelVersion.objects.create(name="newer", path=str(tiny_caption_model_dir))
    second = experiments.experiment_start(newer, caption_model)
    first.refresh_from_db()
    assert first.status == Experiment.Status.STOPPED and second.status == Experiment.Status.RUNNING
    assert experiments.experiment_running() == second


def test_staff_see_the_arms_and_stop_an_experiment_in_admin(
    caption_model, candidate, alice, voters, template, admin_client
):
    experiment = experiments.experiment_start(candidate, caption_model)
    votes_on(titled_meme(alice, template, candidate), voters, ups=4)
    experiments.experiment_judge(experiment)
    page = admin_client.get(f"/admin/captions/experiment/{experiment.pk}/change/").content.decode()
    assert "candidate: 1 memes, 4 up, 2 down" in page and "data:image/png;base64," in page
    response = admin_client.post(
        "/admin/captions/experiment/", {"action": "stop", "_selected_action": [experiment.pk]}, follow=True
    )
    assert response.status_code == 200
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED and model_version_active() == caption_model


def test_no_experiment_no_pick_and_the_judge_task_does_nothing(caption_model):
    assert experiments.experiment_version_pick() is None and judge_experiment() is None
