"""When staff add a template whose image has a face, the expression ensemble proposes its expression, and staff
confirm it; the fitted fusion weights are shown in admin as a members × classes table."""

from importlib import resources

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from expressions.models import FusionWeights
from expressions.services import template_expression_propose
from memes.models import Template
from ml.expressions import CLASSES, MEMBER_NAMES

ASTRONAUT = resources.files("skimage.data").joinpath("astronaut.png").read_bytes()

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    from .conftest import make_user

    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_the_ensemble_proposes_the_expression_of_the_templates_face(template):
    astronaut = Template(slug="astronaut", name="Smiling Astronaut")
    astronaut.image.save("astronaut.png", ContentFile(ASTRONAUT), save=False)
    astronaut.save()

    assert template_expression_propose(astronaut) == "happy"
    assert template_expression_propose(template) is None  # plain grey: no face


def test_staff_saving_a_template_see_the_proposal_and_confirm_it(admin_client):
    form = {
        "slug": "astronaut", "name": "Smiling Astronaut", "tags": "", "expression": "", "source": "",
        "boxes-TOTAL_FORMS": "0", "boxes-INITIAL_FORMS": "0", "boxes-MIN_NUM_FORMS": "0", "boxes-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    response = admin_client.post(
        "/admin/memes/template/add/", {**form, "image": SimpleUploadedFile("astronaut.png", ASTRONAUT)}, follow=True
    )
    assert "Proposed expression for Smiling Astronaut: happy" in response.content.decode()
    template = Template.objects.get(slug="astronaut")
    assert template.expression == ""  # proposed, not set: staff confirm it
    change_page = admin_client.get(f"/admin/memes/template/{template.pk}/change/").content.decode()
    assert "happy (choose it as the expression to confirm)" in change_page

    admin_client.post(f"/admin/memes/template/{template.pk}/change/", {**form, "expression": "happy"})
    template.refresh_from_db()
    assert template.expression == "happy"
    change_page = admin_client.get(f"/admin/memes/template/{template.pk}/change/").content.decode()
    assert "choose it as the expression" not in change_page


def test_admin_shows_the_weights_as_a_members_by_classes_table(admin_client):
    members = list(MEMBER_NAMES)
    matrix = [[0.25 + 0.5 * (row == 2) for _ in CLASSES] for row in range(len(members))]
    fit = FusionWeights.objects.create(
        matrix=matrix, temperatures=[1.0, 2.5, 4.0], members=members, classes=list(CLASSES), faces=12
    )

    page = admin_client.get(f"/admin/expressions/fusionweights/{fit.pk}/change/").content.decode()
    table = page[page.index('<div class="readonly"><table>') :].split("</table>")[0]

    assert table.count('<th scope="row">') == len(members) and table.count('<th scope="col">') == len(CLASSES)
    assert '<th scope="row">facex</th>' + "<td>0.750</td>" * len(CLASSES) + "<td>4.00</td>" in table
    assert '<th scope="col" class="temperature">temperature</th>' in table
    assert admin_client.get("/admin/expressions/fusionweights/add/").status_code == 403
