"""Shared fixtures: the users alice (owner), bob (another user), sam (staff), a template, a real worker.

With DATABASE_URL and REDIS_URL set the suite runs on PostgreSQL and Redis (Celery broker and
channels_redis); unset, on the embedded defaults (SQLite, files as the broker, the in-process layer).
"""

import io
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from memes.models import Template, TextBox
from memesite.celery import app as celery_app

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def isolated_files():
    """Media and the embedded broker's folder live in a temporary folder, away from var/; fast password hashes."""
    root = Path(tempfile.mkdtemp(prefix="slowmeme-tests-"))
    # A fast password hash: the tests make many users, and what they test is not the hash's cost.
    overrides = {
        "MEDIA_ROOT": root / "media", "PRIVATE_MEDIA_ROOT": root / "private",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }  # fmt: skip
    if not settings.REDIS_URL:
        (root / "broker").mkdir()
        overrides["CELERY_BROKER_TRANSPORT_OPTIONS"] = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "data_folder_in": str(root / "broker"),
            "data_folder_out": str(root / "broker"),
            "control_folder": str(root / "broker" / "control"),
        }
    with override_settings(**overrides):
        yield root


@pytest.fixture(autouse=True)
def throttle_counts_reset():
    """Each test starts with no API calls counted: the throttles count in this process's cache."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def channel_layer_per_test():
    """Each test gets a channel layer of its own: channels_redis binds a receive in progress to the event loop it
    began in, and a test's event loop ends with the test, so a receive left waiting there would fail the next
    test's ("Lock ... is bound to a different event loop")."""
    from channels.layers import channel_layers

    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    # The worker thread closes its connection after each task, so the test database can be dropped.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # A file, as in the embedded mode: the worker thread and the test then wait for each other's writes
        # (WAL, busy timeout); SQLite's in-memory test database fails them at once ("table is locked").
        test_settings = settings.DATABASES["default"].setdefault("TEST", {})
        test_settings["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def celery_worker(isolated_files, django_db_setup, django_db_blocker):
    """A real Celery worker consuming the real broker, in a thread of this process."""
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    with django_db_blocker.unblock():
        # No ping check: it needs a result backend, and job state lives on Job rows instead.
        with start_worker(
            celery_app, pool="solo", concurrency=1, queues=settings.CELERY_WORKER_QUEUES,
            perform_ping_check=False, shutdown_timeout=30,
        ) as worker:  # fmt: skip
            yield worker


def png_bytes(size=(320, 240), color=(90, 90, 90), mode="RGB", format="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=format)
    return buffer.getvalue()


def make_user(username, **extra) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, **extra)


def make_meme(owner, template=None, lines=("top", "bottom"), **fields):
    """A finished meme, as the worker would save it (one small image each)."""
    from memes.models import Meme

    meme = Meme(owner=owner, template=template, lines=list(lines), **fields)
    meme.image.save("meme.jpg", ContentFile(png_bytes((40, 30), format="JPEG")), save=False)
    meme.save()
    return meme


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def sam(db):
    return make_user("sam", is_staff=True)


@pytest.fixture
def client_for():
    """An API client logged in as the given user (or anonymous for None)."""

    def build(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def template(db):
    template = Template(slug="grey", name="Plain Grey")
    template.image.save("grey.png", ContentFile(png_bytes()), save=False)
    template.save()
    TextBox.objects.create(template=template, position=0, y=0.0, height=0.25, example="top text")
    TextBox.objects.create(template=template, position=1, y=0.75, height=0.25, example="bottom text")
    return template


@pytest.fixture
def happy_template(db):
    """A template labelled happy, for photo mode to pick."""
    template = Template(slug="happy-grey", name="Happy Grey", expression="happy")
    template.image.save("happy.png", ContentFile(png_bytes((400, 400))), save=False)
    template.save()
    for position, y in enumerate((0.0, 0.8)):
        TextBox.objects.create(template=template, position=position, y=y, height=0.2)
    return template


@pytest.fixture(scope="session")
def tiny_caption_model_dir(tmp_path_factory):
    """A caption model trained in seconds on a tiny corpus (its templates are not the site's: every site
    template is a cold start for it)."""
    from ml.captions.training import TrainConfig, train
    from tests.ml.test_captions_model import TEMPLATES, TINY, tiny_records

    out = tmp_path_factory.mktemp("caption-model")
    train(tiny_records(), TEMPLATES, TrainConfig(epochs=2, version="tiny-test-model", **TINY), out, progress=False)
    return out


@pytest.fixture
def caption_model(db, tiny_caption_model_dir):
    """The tiny caption model, registered and active."""
    from captions.services import model_version_activate, model_version_register

    return model_version_activate(model_version_register(tiny_caption_model_dir))
