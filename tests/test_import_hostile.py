"""import_templates with hostile folders (issue 16 item 6): each bad folder is rejected with its reason and the rest
import; nothing takes the machine down, and nothing is replaced that the folder did not make."""

import re
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from memes.models import Template

from .conftest import png_bytes
from .test_hostile_inputs import TEMPLATE_PICTURES
from .test_import_templates import CONFIG, make_folder

pytestmark = pytest.mark.django_db


def import_rejects(root, *options) -> dict[str, str]:
    """Run import_templates; the folders it rejected, each with its reason (it fails when any is)."""
    errors = StringIO()
    try:
        call_command("import_templates", str(root), *options, stdout=StringIO(), stderr=errors, verbosity=0)
    except CommandError:
        pass
    rejected = re.findall(r"^  rejected (.+?): (.*)$", errors.getvalue(), re.MULTILINE)
    return dict(rejected)


BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]" for n in range(8)]
    + ["name: *i", "text:", "  - anchor_x: 0.0"]
)


def test_import_refuses_a_yaml_alias_bomb_and_imports_the_rest(tmp_path):
    assert len(BILLION_LAUGHS) < 600  # 9^9 "lol"s once expanded
    make_folder(tmp_path, "bomb", config=BILLION_LAUGHS)
    make_folder(tmp_path, "good")
    started = time.monotonic()
    rejected = import_rejects(tmp_path)
    assert time.monotonic() - started < 10
    assert "aliases are not allowed" in rejected["bomb"]
    assert list(Template.objects.values_list("slug", flat=True)) == ["good"]


def test_import_measures_a_file_before_reading_it(tmp_path, settings):
    settings.MEME_MAX_UPLOAD_BYTES = 2000
    folder = make_folder(tmp_path, "huge")
    (folder / "default.png").write_bytes(png_bytes() + b"\0" * 5000)  # a PNG's trailing bytes are ignored
    config = make_folder(tmp_path, "long-config", config=CONFIG + "#" * 70_000 + "\n")
    assert config.exists()
    rejected = import_rejects(tmp_path)
    assert "default.png is" in rejected["huge"] and "at most 2,000" in rejected["huge"]
    assert "config.yml is" in rejected["long-config"]


def test_import_refuses_more_than_ten_boxes(tmp_path):
    make_folder(tmp_path, "crowded", config="name: Crowded\ntext:\n" + "  - {}\n" * 3000)
    make_folder(tmp_path, "ten", config="name: Ten\ntext:\n" + "  - {scale_y: 0.05}\n" * 10)
    rejected = import_rejects(tmp_path)
    assert "3000 text boxes" in rejected["crowded"]
    assert Template.objects.get(slug="ten").boxes.count() == 10


@pytest.mark.parametrize(
    "change,reason",
    [
        (("align: center", "align: [left]"), "align is list"),
        (("  - testing", "  - [nested]"), "keywords in config.yml holds"),
        (("keywords:\n  - testing", "keywords: 5"), "keywords in config.yml is int"),
        (("example:\n  - first line\n  - second line", "example: 7"), "example in config.yml is int"),
        (("font: comic", "font: {a: 1}"), "font is dict"),
        (("source: https://example.com/test", "source: [1]"), "source in config.yml is list"),
    ],
)
def test_import_rejects_a_field_of_the_wrong_type_and_goes_on(tmp_path, change, reason):
    assert change[0] in CONFIG
    make_folder(tmp_path, "typed", config=CONFIG.replace(*change))
    make_folder(tmp_path, "good")
    rejected = import_rejects(tmp_path)
    assert reason in rejected["typed"]
    assert list(Template.objects.values_list("slug", flat=True)) == ["good"]


def test_import_refuses_folders_that_make_the_same_slug(tmp_path):
    for name in ("a b", "a-b", "日本", "中文", "alone"):
        make_folder(tmp_path, name)
    rejected = import_rejects(tmp_path)
    assert set(rejected) == {"a b", "a-b", "日本", "中文"}
    assert "'a-b' is also that of a b" in rejected["a-b"] and "中文" in rejected["日本"]
    assert list(Template.objects.values_list("slug", flat=True)) == ["alone"]


def test_import_replaces_only_what_it_imported_from_that_folder(tmp_path, template):
    made_in_admin = (template.name, template.image.name)
    make_folder(tmp_path, "grey")
    assert "not imported from this folder" in import_rejects(tmp_path)["grey"]
    template.refresh_from_db()
    assert (template.name, template.image.name) == made_in_admin

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    make_folder(first, "a b")
    assert import_rejects(first) == {}
    make_folder(second, "a-b", config=CONFIG.replace("Test Template", "Impostor"))
    assert "not imported from this folder" in import_rejects(second)["a-b"]
    assert Template.objects.get(slug="a-b").name == "Test Template"

    assert import_rejects(second, "--replace") == {}
    assert Template.objects.get(slug="a-b").name == "Impostor"
    assert import_rejects(tmp_path, "--replace") == {}
    assert Template.objects.get(slug="grey").name == "Test Template"


@pytest.mark.parametrize("case", TEMPLATE_PICTURES)
def test_import_refuses_the_template_pictures_admin_refuses(tmp_path, case):
    data, message = TEMPLATE_PICTURES[case]
    folder = make_folder(tmp_path, "bad")
    (folder / "default.png").write_bytes(data)
    rejected = import_rejects(tmp_path)
    assert message in rejected["bad"]
