"""What the site does with the caption model's candidates: the safety check drops flagged ones and more are drawn,
templates known by another name get the model's row, and write_captions prints what the site would offer."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from captions import services as caption_services
from generator.models import Job
from generator.services import job_create_titled
from generator.tasks import caption_job
from ml.captions.data import TemplateInfo
from ml.captions.safety import UnfitCaptions

CLEAN = [["when the tests pass", "on the first try"], ["mondays", "again"], ["my cat", "ignoring me"], ["coffee", "first"]]
FLAGGED = ["i will kill you", "right now"]


class ScriptedGenerator:
    """Stands in for the model: each call returns the next scripted round."""

    version = "scripted-1"

    def __init__(self, *rounds):
        self.rounds, self.calls, self.tastes = list(rounds), [], []

    def generate(self, title, template, n=4, seed=None, taste=None):
        self.calls.append({"title": title, "slug": template.slug, "n": n, "seed": seed})
        self.tastes.append(taste)
        return self.rounds.pop(0)


@pytest.fixture
def scripted(monkeypatch, db):  # the active model and any live experiment are looked up
    def install(*rounds, known=None):
        generator = ScriptedGenerator(*rounds)
        monkeypatch.setattr(caption_services, "caption_generator", lambda version=None: generator)
        monkeypatch.setattr(caption_services, "templates_known", lambda: known or {})
        return generator

    return install


PHOTO = TemplateInfo(slug="photo", name="happy photo", n_boxes=2)


def test_flagged_candidates_are_replaced_by_new_ones_never_returned(scripted):
    generator = scripted([FLAGGED, CLEAN[0], FLAGGED, CLEAN[1]], [CLEAN[2], FLAGGED, CLEAN[3], CLEAN[0]])
    candidates, version = caption_services.captions_write(PHOTO, "a title", n=4, seed=7)
    assert candidates == [CLEAN[0], CLEAN[1], CLEAN[2], CLEAN[3]] and version == "scripted-1"
    assert [call["seed"] for call in generator.calls] == [7, 8]  # the second round draws other candidates


def test_rounds_are_bounded_and_what_is_clean_is_returned(scripted):
    generator = scripted([FLAGGED, CLEAN[0]], [FLAGGED, FLAGGED], [FLAGGED, FLAGGED], [CLEAN[1], CLEAN[2]])
    candidates, _ = caption_services.captions_write(PHOTO, "a title", n=2)
    assert candidates == [CLEAN[0]] and len(generator.calls) == caption_services.CAPTION_ROUNDS


def test_no_clean_candidate_at_all_is_an_error_for_the_user(scripted):
    scripted(*[[FLAGGED]] * caption_services.CAPTION_ROUNDS)
    with pytest.raises(UnfitCaptions, match="try another"):
        caption_services.captions_write(PHOTO, "a title", n=1)


def test_a_job_whose_title_gives_no_clean_caption_fails_with_the_reason(scripted, alice, template):
    scripted(*[[FLAGGED] * 4] * caption_services.CAPTION_ROUNDS)
    job = job_create_titled(owner=alice, template=template, title="something awful")
    caption_job.apply(args=[str(job.id)])
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "try another" in job.error


def test_a_template_the_model_knows_by_another_name_gets_the_models_slug(scripted, template):
    template.slug, template.name = "drake", "Drakeposting"
    template.save()
    known = {"drake-hotline-bling": ["Drake Hotline Bling", "drake"], "grumpy-cat": ["Grumpy Cat"]}
    generator = scripted(CLEAN[:1], known=known)
    caption_services.captions_write(template, "mondays", n=1)
    assert generator.calls[0]["slug"] == "drake-hotline-bling"
    assert caption_services.template_info(template).slug == "drake"  # training keeps the site's own slug


def test_a_template_the_model_never_saw_keeps_its_own_slug(scripted, template):
    generator = scripted(CLEAN[:1], known={"drake-hotline-bling": ["drake"]})
    caption_services.captions_write(template, "mondays", n=1)
    assert generator.calls[0]["slug"] == "grey"


def run(*args) -> str:
    out = io.StringIO()
    call_command("write_captions", *args, stdout=out)
    return out.getvalue()


def test_write_captions_prints_what_the_site_would_offer(scripted, template):
    scripted([FLAGGED, *CLEAN[:3]], [CLEAN[3]])
    output = run("--template", "grey", "--title", "when the tests pass", "--seed", "3")
    assert output.splitlines() == [
        "1. when the tests pass / on the first try", "2. mondays / again", "3. my cat / ignoring me",
        "4. coffee / first", "(model scripted-1, template grey)",
    ]


def test_write_captions_json_is_one_object_per_candidate(scripted, template):
    generator = scripted(CLEAN[:2])
    rows = [json.loads(line) for line in run("--template", "grey", "--title", "mondays", "-n", "2", "--seed", "5", "--json").splitlines()]
    assert rows == [
        {"template": "grey", "title": "mondays", "boxes": boxes, "model_version": "scripted-1"} for boxes in CLEAN[:2]
    ]
    assert generator.calls == [{"title": "mondays", "slug": "grey", "n": 2, "seed": 5}]
    # The ranking weighs the active caption scorer (the bundled one): a higher score for captions people like more.
    [taste] = generator.tastes
    assert len(taste([["mondays", "again"], ["coffee", "first"]])) == 2


def test_write_captions_suggests_close_slugs_for_an_unknown_template(template):
    with pytest.raises(CommandError, match="No template 'gery'.*Did you mean: grey"):
        run("--template", "gery", "--title", "mondays")


@pytest.mark.parametrize("n", ["0", "-3", "1000000000"])
def test_write_captions_refuses_a_number_of_candidates_out_of_range(scripted, template, n):
    generator = scripted(CLEAN[:1])
    with pytest.raises(CommandError, match="between 1 and 32"):
        run("--template", "grey", "--title", "mondays", "-n", n)
    assert generator.calls == []  # nothing was drawn
