"""The learning loop: the gallery's captions, weighted by votes, fine-tune the active caption model; a candidate
is promoted only if it beats the active one on held-out captions; workers pick up a new active model between
tasks; admin rolls back."""

import shutil
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from captions import experiments, learning
from captions import services as caption_services
from captions.models import Caption, CaptionModelVersion, TrainingRun
from gallery.models import Vote
from generator.models import Job
from memes.models import Meme, Template, TextBox
from ml.captions.evaluation import perplexity_of
from ml.captions.storage import VOCAB
from ml.captions.vocab import Vocabulary
from tests.ml.test_captions_model import tiny_records
from tests.ml.test_finetune import space_records

from .conftest import make_user
from .test_making_memes import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True)


def site_template(slug, name, boxes=2, tags=()):
    template = Template.objects.create(slug=slug, name=name, image="templates/x.png", tags=list(tags))
    for position in range(boxes):
        TextBox.objects.create(template=template, position=position, y=0.8 * position / max(boxes - 1, 1), height=0.2)
    return template


def liked_memes(template, records, voters, *, ups, downs=0, source=Meme.Source.MANUAL, days_ago=1):
    """Gallery memes with these captions, each with `ups` up and `downs` down votes (rows and tallies)."""
    author = make_user(f"author-{template.slug}-{ups}-{downs}-{source}")
    memes = Meme.objects.bulk_create(
        Meme(owner=author, template=template, lines=list(record.boxes), title=record.title, source=source,
             image="memes/x.jpg", ups=ups, downs=downs, score=ups - downs,
             created_at=timezone.now() - timedelta(days=days_ago))
        for record in records
    )  # fmt: skip
    Vote.objects.bulk_create(
        Vote(meme=meme, user=voter, value=1 if number < ups else -1)
        for meme in memes
        for number, voter in enumerate(voters[: ups + downs])
    )
    return memes


@pytest.fixture
def site(caption_model):
    """The tiny model active; its two templates on the site with imported captions; a new template, "space"."""
    site_template("pets", "Pet Life", 2, ("animals",))
    site_template("work", "Office Pain", 3, ("job",))
    space = site_template("space", "Space Rocket", 2, ("rocket", "launch"))
    Caption.objects.bulk_create(
        Caption(template_id=Template.objects.get(slug=record.template).pk, boxes=list(record.boxes), title=record.title,
                external_id=str(number))
        for number, record in enumerate(tiny_records(200, seed=3))
    )  # fmt: skip
    return {"space": space, "voters": [make_user(f"fan{number}") for number in range(4)], "active": caption_model}


def test_caption_weights_follow_votes():
    assert caption_services.caption_weight(Meme.Source.MANUAL, 0, 0) == 1.0
    assert caption_services.caption_weight(Meme.Source.TITLE, 0, 0) == 0.0  # the model's own words teach nothing unliked
    assert caption_services.caption_weight(Meme.Source.TITLE, 5, 0) > caption_services.caption_weight(Meme.Source.TITLE, 1, 0) > 0
    assert caption_services.caption_weight(Meme.Source.MANUAL, 0, 3) < 0.25 * 1.01


def test_hidden_private_and_held_out_memes_do_not_train(site):
    space, voters = site["space"], site["voters"]
    memes = liked_memes(space, space_records(40), voters, ups=2)
    Meme.objects.filter(pk=memes[0].pk).update(is_hidden=True)
    Meme.objects.filter(pk=memes[1].pk).update(is_public=False)
    train, liked = caption_services.platform_records()
    trained_on = len(train)
    expected = [m for m in memes[2:] if not caption_services.is_held_out(m.pk)]
    assert trained_on == len(expected) and len(liked) == len(memes[2:]) - len(expected) > 0
    assert all(record.weight == pytest.approx(caption_services.caption_weight("manual", 2, 0)) for record in train)


def test_a_run_learns_a_new_template_and_tries_the_candidate_live(site):
    space, voters = site["space"], site["voters"]
    probe = space_records(60, seed=42)
    templates = {t.slug: caption_services.template_info(t) for t in Template.objects.all()}
    before = perplexity_of(caption_services.model_version_folder(site["active"]), probe, templates)
    liked_memes(space, space_records(200, seed=7), voters, ups=3)

    run = learning.run_carry_out(TrainingRun.objects.create(options={"epochs": 3, "lr": 5e-3, "batch_size": 16}))

    assert run.status == TrainingRun.Status.SUCCEEDED and run.progress == 1.0 and "live experiment" in run.outcome
    candidate = run.candidate
    candidate.refresh_from_db()
    assert candidate.state == CaptionModelVersion.State.TESTING and not candidate.is_active
    experiment = experiments.experiment_running()
    assert (experiment.candidate, experiment.control, experiment.share) == (candidate, site["active"], 0.2)
    assert candidate.base == site["active"] and set(candidate.gate["sets"]) == {"fixed", "liked"}
    assert all(s["candidate"] < s["active"] for s in candidate.gate["sets"].values())
    # On the base's tokens: words the candidate learned are one outcome, as the base's <unk> is.
    base_vocab = Vocabulary.load(caption_services.model_version_folder(site["active"]) / VOCAB)
    after = perplexity_of(caption_services.model_version_folder(candidate), probe, templates, reference=base_vocab)
    assert after < before / 2, (before, after)
    assert caption_services.model_version_active() == site["active"]


def test_a_worse_candidate_is_rejected_and_the_active_model_stays(site):
    liked_memes(site["space"], space_records(100, seed=8), site["voters"], ups=3)
    # A learning rate this high wrecks the network: the gate must catch it.
    run = learning.run_carry_out(TrainingRun.objects.create(options={"epochs": 1, "lr": 3.0, "batch_size": 16}))
    candidate = CaptionModelVersion.objects.get(pk=run.candidate_id)
    assert candidate.state == CaptionModelVersion.State.REJECTED and not candidate.is_active
    assert candidate.gate["passed"] is False and "rejected" in run.outcome
    assert caption_services.model_version_active() == site["active"]


def test_a_run_with_nothing_new_changes_nothing(site):
    run = learning.run_carry_out(TrainingRun.objects.create())
    assert run.status == TrainingRun.Status.SUCCEEDED and "Nothing new" in run.outcome
    assert CaptionModelVersion.objects.count() == 1


def test_unknown_run_settings_are_refused(db):
    with pytest.raises(ValueError, match="Unknown fine-tuning settings: speed"):
        learning.run_request(speed=11)


def copy_of_model(model_dir, tmp_path, name) -> CaptionModelVersion:
    """The same network under another version name: enough to see which version wrote a caption."""
    import json

    copy = tmp_path / name
    shutil.copytree(model_dir, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "version": name}))
    return caption_services.model_version_register(copy)


@pytest.mark.worker
def test_a_running_worker_uses_a_newly_active_model_from_its_next_task_and_rollback_works(
    celery_worker, caption_model, tiny_caption_model_dir, alice, sam, template, client_for, tmp_path
):
    def titled_job_version() -> str:
        response = client_for(alice).post("/api/memes/", {"source": "title", "template": "grey", "title": "monday"}, format="json")
        job = wait_for_job(response.json()["id"])
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.meme.model_version == job.model_version
        return job.model_version

    assert titled_job_version() == "tiny-test-model"
    newer = copy_of_model(tiny_caption_model_dir, tmp_path, "tiny-test-model+ft1")
    caption_services.model_version_activate(newer)
    assert titled_job_version() == "tiny-test-model+ft1"  # same worker, no restart

    sam.is_superuser = True
    sam.save()
    admin = Client()
    admin.force_login(sam)
    response = admin.post("/admin/captions/captionmodelversion/", {"action": "activate", "_selected_action": [caption_model.pk]})
    assert response.status_code == 302
    assert titled_job_version() == "tiny-test-model"


def test_admin_shows_curves_and_the_comparison_and_starts_a_run(site, sam):
    sam.is_superuser = True
    sam.save()
    admin = Client()
    admin.force_login(sam)
    page = admin.get("/admin/captions/captionmodelversion/").content.decode()
    assert 'alt="versions compared"' in page
    page = admin.get(f"/admin/captions/captionmodelversion/{site['active'].pk}/change/").content.decode()
    assert 'alt="loss per epoch"' in page
    response = admin.post("/admin/captions/trainingrun/retrain/")
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    assert run.requested_by == sam
    assert "Retrain now" in admin.get("/admin/captions/trainingrun/").content.decode()


def test_the_gate_wants_a_win_on_every_set_unless_told_to_tolerate_a_small_loss(settings):
    fixed = {"captions": 10, "candidate": 101.0, "active": 100.0}
    liked = {"captions": 5, "candidate": 50.0, "active": 80.0}
    assert learning.gate_passes({"liked": liked}) and not learning.gate_passes({})
    assert not learning.gate_passes({"fixed": fixed, "liked": liked})
    settings.CAPTION_GATE_TOLERANCE = 0.02
    assert learning.gate_passes({"fixed": fixed, "liked": liked})
    assert not learning.gate_passes({"fixed": fixed, "liked": {**liked, "candidate": 80.0}})
