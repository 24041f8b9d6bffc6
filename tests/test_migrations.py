"""A database made before the templates and memes moved to the memes app upgrades in place, with nothing lost."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from captions.models import Caption
from expressions.models import LabelledFace
from gallery.models import Report, Vote
from generator.models import Job
from memes.models import Meme, Template, TextBox

# The schema of 2026-12-04, before the memes app: each app's last migration then.
BEFORE_THE_MOVE = [
    ("accounts", "0002_username_key"),
    ("generator", "0009_import_origin"),
    ("gallery", "0001_initial"),
    ("captions", "0002_learning_loop"),
    ("expressions", "0002_private_faces"),
    ("memes", None),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def old_rows(apps) -> dict:
    """A little of everything, written with the models as they were."""
    User = apps.get_model("accounts", "User")
    Permission, ContentType = apps.get_model("auth", "Permission"), apps.get_model("contenttypes", "ContentType")
    owner = User.objects.create(username="owner", username_key="OWNER")
    voter = User.objects.create(username="voter", username_key="VOTER", is_staff=True)
    template = apps.get_model("generator", "Template").objects.create(
        slug="drake", name="Drake", image="templates/drake.png", tags=["choice"], expression="happy"
    )
    apps.get_model("generator", "TextBox").objects.create(template=template, position=0, example="no", color="khaki")
    Meme = apps.get_model("generator", "Meme")
    meme = Meme.objects.create(owner=owner, template=template, lines=["a", "b"], image="memes/m.png", ups=1, score=1)
    remix = Meme.objects.create(owner=voter, template=template, parent=meme, lines=["c"], image="memes/r.png")
    apps.get_model("gallery", "Vote").objects.create(user=voter, meme=meme, value=1)
    apps.get_model("gallery", "Report").objects.create(meme=meme, reporter=voter, reason="old joke")
    job = apps.get_model("generator", "Job").objects.create(
        owner=owner, kind="photo", template=template, meme=meme, parent=remix, faces=[{"x": 1}], status="succeeded"
    )
    apps.get_model("expressions", "LabelledFace").objects.create(
        image="faces/f.png", member_probs=[[1.0]], label="sad", labelled_by=owner, job=job, face=0
    )
    apps.get_model("captions", "Caption").objects.create(template=template, boxes=["x", "y"], external_id="1")
    # Staff allowed to change templates keep that right: the permission is tied to the template's content type.
    content_type, _ = ContentType.objects.get_or_create(app_label="generator", model="template")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="change_template", defaults={"name": "Can change template"}
    )
    voter.user_permissions.add(permission)
    return {"meme": meme.pk, "remix": remix.pk, "job": job.pk, "template": template.pk}


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_memes_app_upgrades_with_every_row_kept():
    try:
        ids = old_rows(migrate(BEFORE_THE_MOVE))
        migrate(latest())

        template = Template.objects.get(pk=ids["template"])
        assert (template.slug, template.tags, template.expression) == ("drake", ["choice"], "happy")
        assert list(TextBox.objects.filter(template=template).values_list("example", "color")) == [("no", "khaki")]
        meme, remix = Meme.objects.get(pk=ids["meme"]), Meme.objects.get(pk=ids["remix"])
        assert (meme.lines, meme.ups, meme.score, meme.owner.username) == (["a", "b"], 1, 1, "owner")
        assert remix.parent == meme and set(template.memes.all()) == {meme, remix}
        assert Vote.objects.get().meme == meme and Report.objects.get().meme == meme
        job = Job.objects.get(pk=ids["job"])
        assert (job.meme, job.parent, job.template) == (meme, remix, template)
        assert LabelledFace.objects.get().photo == f"job:{job.pk}"
        assert Caption.objects.get().template == template
        assert get_user_model().objects.get(username="voter").has_perm("memes.change_template")
        assert not ContentType.objects.filter(app_label="generator", model="template").exists()
    finally:
        migrate(latest())
