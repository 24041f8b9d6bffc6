"""The security review, one test each: CSRF on every form, production cookies and headers, captions and titles
escaped wherever shown, no fetching of addresses users give, import_templates kept inside its folder, staff pages
closed to others, and one user's private memes and jobs closed to every other."""

import os
import re
import secrets
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from captions.models import TrainingRun
from generator.models import Job
from memes.models import Meme, Template
from tests.conftest import make_meme, png_bytes

pytestmark = pytest.mark.django_db
BASE_DIR = Path(settings.BASE_DIR)
XSS = '<script>alert("x")</script>'


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def csrf_token(client: Client, page: str) -> str:
    """The token the page's form carries, as a browser would send it back."""
    html = client.get(page).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


# --- CSRF ---------------------------------------------------------------------------------------------------------


def all_views(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from all_views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_is_exempt_from_csrf():
    """Every view checks CSRF; the API's views are exempt from Django's check only because DRF makes its own on
    every session-authenticated call (tested below)."""
    exempt = [
        route for route, view in all_views()
        if getattr(view, "csrf_exempt", False) and not hasattr(view, "cls")  # DRF views carry their class
    ]  # fmt: skip
    assert exempt == []


@pytest.fixture
def forms(alice, sam, template):
    """Every form the site has: (who posts it, the page that shows it, where it posts, its data)."""
    meme = make_meme(alice, template)
    job = Job.objects.create(owner=alice, template=template, lines=["a", "b"], status=Job.Status.SUCCEEDED, meme=meme,
                             candidates=[["a", "b"], ["c", "d"]])  # fmt: skip
    return [
        (None, "/accounts/login/", "/accounts/login/", {"username": "alice", "password": "x"}),
        (None, "/accounts/signup/", "/accounts/signup/", {"username": "mallory", "password1": "x", "password2": "x"}),
        (alice, "/new/", reverse("logout"), {}),
        (alice, "/accounts/settings/", reverse("accounts:rotate_token"), {}),
        (alice, "/accounts/password/", "/accounts/password/", {"old_password": "x"}),
        (alice, f"/make/{template.slug}/", f"/make/{template.slug}/", {"line_0": "csrf", "is_public": "on"}),
        (alice, f"/make/{template.slug}/", f"/make/{template.slug}/", {"title": "csrf"}),
        (alice, "/make/photo/", "/make/photo/", {"title": "csrf"}),
        (alice, "/make/own/", "/make/own/", {"line_0": "csrf"}),
        (sam, f"/make/remix/{meme.pk}/", f"/make/remix/{meme.pk}/", {"line_0": "csrf"}),
        (alice, job.get_absolute_url(), reverse("generator:choose", args=[job.pk]), {"candidate": 1}),
        (alice, job.get_absolute_url(), reverse("generator:face", args=[job.pk]), {"face": 0}),
        (alice, job.get_absolute_url(), reverse("generator:expression", args=[job.pk]), {"face": 0, "label": "sad"}),
        (sam, meme.get_absolute_url(), reverse("gallery:vote", args=[meme.pk]), {"value": 1}),
        (sam, meme.get_absolute_url(), reverse("gallery:report", args=[meme.pk]), {}),
        (sam, meme.get_absolute_url(), reverse("gallery:hide", args=[meme.pk]), {}),
    ]


def test_every_form_refuses_a_post_without_its_csrf_token(forms):
    for user, page, action, data in forms:
        client = csrf_client(user)
        before = (Job.objects.count(), Meme.objects.filter(is_hidden=True).count(), TrainingRun.objects.count())
        assert client.post(action, data).status_code == 403, action
        assert client.post(action, data | {"csrfmiddlewaretoken": "forged" * 6}).status_code == 403, action
        assert (Job.objects.count(), Meme.objects.filter(is_hidden=True).count(), TrainingRun.objects.count()) == before
        # The same form with the token its page gave is let through to the view (which may still say no).
        assert client.post(action, data | {"csrfmiddlewaretoken": csrf_token(client, page)}).status_code != 403, action


def test_the_admins_forms_check_csrf_too(sam):
    client = csrf_client(sam)
    assert client.post(reverse("admin:captions_trainingrun_retrain")).status_code == 403
    assert TrainingRun.objects.count() == 0


def test_the_api_checks_csrf_on_calls_made_with_the_session_cookie(alice, template):
    client = csrf_client(alice)
    made = client.post("/api/memes/", {"template": template.slug, "lines": ["no", "token"]}, content_type="application/json")
    assert made.status_code == 403 and "CSRF" in made.json()["detail"]
    assert client.post("/api/me/token/").status_code == 403
    assert not Job.objects.exists()


# --- Production settings --------------------------------------------------------------------------------------------

PRODUCTION = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "memes.example.com", "HTTPS": "1"}


def run_with_env(env: dict, *arguments) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if name not in ("DEBUG", "HTTPS", "SECRET_KEY")}
    return subprocess.run([sys.executable, *arguments], cwd=BASE_DIR, env=clean | env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.mark.timeout(240)
def test_production_settings_pass_the_deploy_check_and_set_secure_cookies_and_headers():
    check = run_with_env(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr
    shown = run_with_env(PRODUCTION, "-c", (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'memesite.settings'; django.setup(); "
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_CONTENT_TYPE_NOSNIFF, "
        "s.X_FRAME_OPTIONS, s.SECURE_REFERRER_POLICY)"
    ))  # fmt: skip
    assert shown.stdout.split() == ["False", "True", "True", "True", "True", "True", "True", "True", "DENY", "same-origin"]
    # Without HTTPS=1 the deploy check says what is missing: the settings follow the environment.
    insecure = run_with_env({**PRODUCTION, "HTTPS": "0"}, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert insecure.returncode != 0 and "SESSION_COOKIE_SECURE" in insecure.stderr + insecure.stdout


def test_pages_carry_the_protective_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- Escaping -------------------------------------------------------------------------------------------------------


def test_captions_titles_and_names_are_escaped_everywhere_they_are_shown(alice, bob, template, client):
    template.name = f"Grey {XSS}"
    template.save()
    meme = make_meme(alice, template, lines=(XSS, "<img src=x onerror=alert(1)>"), title=XSS)
    job = Job.objects.create(owner=alice, template=template, lines=list(meme.lines), title=XSS, meme=meme,
                             status=Job.Status.FAILED, error=XSS, notice=XSS)  # fmt: skip
    client.force_login(alice)
    pages = ["/", "/new/", "/best/", "/top/", meme.get_absolute_url(), f"/t/{template.slug}/", "/u/alice/", "/make/",
             f"/make/{template.slug}/", f"/make/remix/{meme.pk}/", job.get_absolute_url()]  # fmt: skip
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, page
    assert "&lt;script&gt;alert" in client.get(meme.get_absolute_url()).content.decode()
    # And in the admin, where staff read what users wrote.
    client.force_login(alice.__class__.objects.create_superuser("root", password="x"))
    for page in [reverse("admin:memes_meme_changelist"), reverse("admin:generator_job_changelist")]:
        assert "<script>alert" not in client.get(page).content.decode(), page


# --- No fetching of users' addresses --------------------------------------------------------------------------------


class RecordingHandler(BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):
        RecordingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png_bytes())

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """An HTTP server on loopback that records every request it gets (none should come)."""
    server = HTTPServer(("127.0.0.1", 0), RecordingHandler)
    RecordingHandler.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_addresses_users_give_are_never_fetched(alice, sam, template, client_for, listener):
    image_url = f"{listener}/image.png"
    api = client_for(alice)
    assert api.post("/api/memes/", {"lines": ["a", "b"], "image": image_url}, format="multipart").status_code == 400
    assert api.post("/api/memes/", {"source": "photo", "photo": image_url}, format="multipart").status_code == 400
    staff = client_for(sam)
    made = staff.post("/api/templates/", {"slug": "from-url", "name": "From a URL", "image": image_url,
                                          "source": image_url}, format="multipart")  # fmt: skip
    assert made.status_code == 400
    assert api.post("/api/memes/", {"template": template.slug, "lines": [image_url, image_url]}, format="json").status_code == 202
    assert api.get(f"/t/{template.slug}/{image_url.replace('/', '~s')}.jpg").status_code == 200
    assert RecordingHandler.hits == []


def test_no_module_of_the_site_can_fetch_an_address():
    """Nothing outside the tests and benchmarks imports an HTTP client, but generator/template_fetch.py, and nothing
    imports that but the fetch_templates command (the operator's own download, from the address the operator gives):
    a user's address could never be fetched."""
    clients = re.compile(r"^\s*(import|from)\s+(requests|httpx|aiohttp|urllib3|urllib\.request|http\.client)\b", re.M)
    fetcher = re.compile(r"^\s*(import|from)\s+(generator\.template_fetch|\.template_fetch)\b", re.M)
    modules = {
        str(path.relative_to(BASE_DIR)): path.read_text()
        for app in ("accounts", "captions", "expressions", "gallery", "generator", "memesite", "ml")
        for path in (BASE_DIR / app).rglob("*.py")
    }
    assert [name for name, text in modules.items() if clients.search(text)] == ["generator/template_fetch.py"]
    importers = [name for name, text in modules.items() if fetcher.search(text)]
    assert importers == ["generator/management/commands/fetch_templates.py"]


# --- import_templates stays inside its folder -----------------------------------------------------------------------

CONFIG = "name: {name}\ntext:\n  - style: upper\n"


def template_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.yml").write_text(CONFIG.format(name=name))
    (folder / "default.png").write_bytes(png_bytes())
    return folder


def test_import_templates_refuses_symlinks_and_paths_that_leave_its_folder(tmp_path):
    outside = tmp_path / "outside"
    secret_image = template_folder(outside, "secret") / "default.png"
    root = tmp_path / "templates"
    template_folder(root, "fine")
    image_link = template_folder(root, "image-link")
    (image_link / "default.png").unlink()
    os.symlink(secret_image, image_link / "default.png")
    config_link = template_folder(root, "config-link")
    (config_link / "config.yml").unlink()
    os.symlink(outside / "secret" / "config.yml", config_link / "config.yml")
    inner_link = template_folder(root, "inner-link")  # a link that stays inside is refused too: links never count
    (inner_link / "default.png").unlink()
    os.symlink(root / "fine" / "default.png", inner_link / "default.png")
    os.symlink(outside / "secret", root / "folder-link")
    dotted = template_folder(root, "dotted")
    (dotted / "default.png").unlink()
    (dotted / "image.png").symlink_to(Path("..") / ".." / "outside" / "secret" / "default.png")

    with pytest.raises(CommandError, match="could not be imported") as refused:
        call_command("import_templates", str(root), verbosity=0)
    for name in ("image-link", "config-link", "inner-link", "dotted"):
        assert name in str(refused.value)
    assert list(Template.objects.values_list("slug", flat=True)) == ["fine"]
    assert not Template.objects.filter(name="secret").exists()


# --- Staff pages ----------------------------------------------------------------------------------------------------


def test_admin_and_staff_endpoints_are_closed_to_others(alice, bob, template, client, client_for):
    meme = make_meme(bob, template)
    for user in (None, alice):
        if user is not None:
            client.force_login(user)
        for page in ["/admin/", reverse("admin:memes_meme_changelist"), reverse("admin:accounts_user_changelist"),
                     reverse("admin:captions_trainingrun_changelist")]:  # fmt: skip
            answer = client.get(page)
            assert answer.status_code == 302 and "/admin/login/" in answer["Location"], (user, page)
        assert client.post(reverse("admin:captions_trainingrun_retrain")).status_code == 302
        assert client.post(reverse("gallery:hide", args=[meme.pk])).status_code in (302, 403)
        api = client_for(user)
        assert api.post(f"/api/memes/{meme.pk}/hide/").status_code in (401, 403)
        assert api.post("/api/templates/", {"slug": "x", "name": "x"}, format="json").status_code in (401, 403)
        assert api.patch(f"/api/templates/{template.slug}/", {"name": "mine"}, format="json").status_code in (401, 403)
        assert api.delete(f"/api/templates/{template.slug}/").status_code in (401, 403)
    meme.refresh_from_db()
    template.refresh_from_db()
    assert not meme.is_hidden and template.name == "Plain Grey" and TrainingRun.objects.count() == 0


# --- Private memes and jobs -----------------------------------------------------------------------------------------


def test_one_user_cannot_see_or_change_anothers_private_memes_or_jobs(alice, bob, template, client, client_for):
    private = make_meme(alice, template, lines=("alice's", "secret"), is_public=False)
    job = Job.objects.create(owner=alice, template=template, lines=["a", "b"], status=Job.Status.SUCCEEDED,
                             meme=private, candidates=[["a", "b"], ["c", "d"]])  # fmt: skip
    client.force_login(bob)
    api = client_for(bob)
    for page in [private.get_absolute_url(), private.get_image_url(), job.get_absolute_url(),
                 f"/make/remix/{private.pk}/"]:  # fmt: skip
        assert client.get(page).status_code == 404, page
    for action in ["choose", "face", "expression"]:
        assert client.post(reverse(f"generator:{action}", args=[job.pk]), {"candidate": 1, "face": 0}).status_code == 404
    assert client.post(reverse("gallery:vote", args=[private.pk]), {"value": 1}).status_code == 404
    assert "secret" not in client.get("/u/alice/").content.decode()
    assert api.get(f"/api/memes/{private.pk}/").status_code == 404
    assert private.pk not in [meme["id"] for meme in api.get("/api/memes/?user=alice&sort=new").json()["results"]]
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 404
    assert str(job.pk) not in [entry["id"] for entry in api.get("/api/jobs/").json()["results"]]
    assert api.post(f"/api/jobs/{job.pk}/choose/", {"candidate": 1}, format="json").status_code == 404
    assert api.put(f"/api/memes/{private.pk}/vote/", {"value": 1}, format="json").status_code == 404
    assert api.post(f"/api/memes/{private.pk}/remix/", {}, format="json").status_code == 404
    assert api.delete(f"/api/memes/{private.pk}/").status_code == 404
    private.refresh_from_db()
    job.refresh_from_db()
    assert Meme.objects.filter(pk=private.pk).exists() and private.ups == 0 and job.lines == ["a", "b"]
    # Its owner still sees it all.
    client.force_login(alice)
    assert client.get(private.get_absolute_url()).status_code == 200
    assert client_for(alice).get(f"/api/jobs/{job.pk}/").status_code == 200
