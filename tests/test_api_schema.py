"""Schemathesis over the whole API schema, in-process: as anybody, as a user (bob) and as staff (sam).

Every operation gets generated requests (the schema's examples, its edge cases, then random ones, a bounded number
each); every answer must not be a 500 and must match the schema: status code, content type, headers and body, and an
operation that needs a login must refuse a call without one. About half the generated ids are swapped for ids that
exist (a public meme, a private one, one's own, jobs with captions and faces to choose), so answers other than 404
are checked too. The counts are written to var/artifacts/schemathesis/summary.txt (`make schemathesis` runs this
module and prints them).
"""

from collections import Counter

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.config import HealthCheck
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from generator.models import Job
from memes.models import Meme
from memesite.storage import private_storage

from .conftest import make_meme, png_bytes

MAX_EXAMPLES = 12
SUMMARY = settings.VAR_DIR / "artifacts" / "schemathesis" / "summary.txt"

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# The same cases on every run (no saved examples replayed), so the counts compare across runs.
schema.config.generation.update(
    max_examples=MAX_EXAMPLES, deterministic=True, database="none",
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
)  # fmt: skip
# The world fixture is made once per operation and shared by its cases, on purpose; the time is bounded above.
schema.config.update(suppress_health_check=[HealthCheck.all])

# Not checked: that every schema-valid request is accepted (valid-looking input still breaks rules a schema cannot
# state: an unknown template, a wrong or too common password, a photo that is no image), nor that every invalid one
# is refused (DRF takes `true` for the number 1 and an empty query parameter as none).
LENIENT = [positive_data_acceptance, negative_data_rejection]

counts: Counter = Counter()
failed: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def summary():
    yield
    operations = len({label for label, _ in counts})
    line = (f"schemathesis: {operations} operations, {len(counts)} operation-caller pairs, "
            f"{sum(counts.values())} cases, {len(failed)} failures")  # fmt: skip
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(line + "\n" + "".join(f"FAILED {name}\n" for name in sorted(failed)))
    print("\n" + line)


@pytest.fixture
def in_process_requests():
    """The WSGI app runs in this thread, inside the test's transaction: keep Django from closing the connection
    at each request's start and end (what its test Client does too)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(in_process_requests, alice, bob, sam, template):
    """Memes and jobs for the generated ids to land on, and each caller's Authorization header."""
    memes = [
        make_meme(alice, template, ["public", "meme"]),
        make_meme(alice, template, ["private", "meme"], is_public=False),
        make_meme(bob, template, ["bob's", "meme"]),
        make_meme(alice, None, ["own", "image"], boxes=[{"x": 0.1, "y": 0.1, "width": 0.8, "height": 0.2}] * 2),
    ]
    photo = private_storage().save("backgrounds/photo.png", ContentFile(png_bytes((64, 64))))
    faces = [{"x": 1, "y": 2, "width": 30, "height": 30, "label": "happy", "confidence": 0.9,
              "probabilities": {"happy": 0.9, "sad": 0.1}, "members": [[0.1, 0.9], [0.2, 0.8]]}]  # fmt: skip
    jobs = [
        Job.objects.create(owner=bob, template=template, kind=Meme.Source.TITLE, title="mondays",
                           candidates=[["a", "b"], ["c", "d"]], status=Job.Status.SUCCEEDED, meme=memes[2]),
        Job.objects.create(owner=bob, kind=Meme.Source.PHOTO, faces=faces, face=0, expression="happy",
                           confidence=0.9, status=Job.Status.SUCCEEDED, background=photo),
        Job.objects.create(owner=alice, template=template, lines=["a", "b"]),
    ]  # fmt: skip
    headers = {user.username: {"Authorization": f"Token {Token.objects.create(user=user).key}"} for user in (bob, sam)}
    return {"memes": [meme.pk for meme in memes], "jobs": [str(job.pk) for job in jobs], "headers": headers}


def land_on_existing(case, world) -> None:
    """Swap about half the generated ids for existing ones, picked by the generated value (so shrinking holds)."""
    parameters = case.path_parameters or {}
    value = parameters.get("id")
    if "slug" in parameters and len(str(parameters["slug"])) % 2 == 0:
        parameters["slug"] = "grey"
    elif "/api/jobs/" in case.path and value is not None:
        number = int(str(value).replace("-", ""), 16) if set(str(value)) <= set("0123456789abcdef-") else 1
        if number % 2 == 0:
            parameters["id"] = world["jobs"][number // 2 % len(world["jobs"])]
    elif isinstance(value, int) and value % 2 == 0:
        parameters["id"] = world["memes"][value // 2 % len(world["memes"])]


def check(case, world, caller: str) -> None:
    counts[(case.operation.label, caller)] += 1
    cache.clear()  # the throttles' counts: every generated case is a fresh caller
    land_on_existing(case, world)
    try:
        case.call_and_validate(headers=world["headers"].get(caller, {}), excluded_checks=LENIENT)
    except BaseException:  # schemathesis reports its findings as a BaseExceptionGroup
        failed.add(f"{caller}: {case.operation.label}")
        raise


@pytest.fixture(params=["anonymous", "bob", "sam"])
def caller(request):
    return request.param


@pytest.mark.django_db
@schema.parametrize()
def test_api(case, world, caller):
    check(case, world, caller)


def test_the_schema_lists_the_api_routes():
    paths = set(schema.raw_schema["paths"])
    assert {"/api/memes/", "/api/memes/{id}/vote/", "/api/jobs/{id}/", "/api/templates/{slug}/", "/api/me/",
            "/api/token/", "/api/users/"} <= paths  # fmt: skip
