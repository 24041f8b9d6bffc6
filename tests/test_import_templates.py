"""`manage.py import_templates DIR`: memegen.link's layout, idempotent, safe with hostile folders."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from memes.models import Template

from .conftest import png_bytes

SHARED_TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "data" / "templates"

CONFIG = """\
name: Test Template
source: https://example.com/test
keywords:
  - testing
text:
  - style: upper
    font: thick
    anchor_x: 0.0
    anchor_y: 0.0
    scale_x: 1.0
    scale_y: 0.2
    align: center
  - style: upper
    font: comic
    anchor_x: 0.1
    anchor_y: 0.8
    scale_x: 0.8
    scale_y: 0.2
example:
  - first line
  - second line
"""


def make_folder(root: Path, name: str, *, image_name="default.png", config=CONFIG) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "config.yml").write_text(config)
    (folder / image_name).write_bytes(png_bytes())
    return folder


def run_import(directory) -> str:
    out = StringIO()
    call_command("import_templates", str(directory), stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


@pytest.mark.django_db
def test_import_creates_then_skips_then_updates(tmp_path):
    make_folder(tmp_path, "first")
    make_folder(tmp_path, "second", image_name="image.png")
    assert "created 2, updated 0, skipped 0" in run_import(tmp_path)

    template = Template.objects.get(slug="first")
    assert template.name == "Test Template" and template.tags == ["testing"]
    boxes = list(template.boxes.all())
    assert [(box.x, box.y, box.width, box.height) for box in boxes] == [(0.0, 0.0, 1.0, 0.2), (0.1, 0.8, 0.8, 0.2)]
    assert [box.example for box in boxes] == ["first line", "second line"]
    assert [box.font for box in boxes] == ["thick", "comic"]

    assert "created 0, updated 0, skipped 2" in run_import(tmp_path)
    (tmp_path / "first" / "config.yml").write_text(CONFIG.replace("Test Template", "Renamed"))
    assert "created 0, updated 1, skipped 1" in run_import(tmp_path)
    assert Template.objects.get(slug="first").name == "Renamed"
    assert Template.objects.get(slug="first").boxes.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "config,reason",
    [
        ("name: [unclosed", "not valid YAML"),
        ("just a string", "does not hold a mapping"),
        ("name: No boxes\n", "no list of text boxes"),
        (CONFIG.replace("anchor_x: 0.1", "anchor_x: 7"), "bad number"),
    ],
)
def test_a_bad_folder_is_rejected_with_its_name_and_the_good_ones_still_import(tmp_path, config, reason):
    make_folder(tmp_path, "good")
    make_folder(tmp_path, "broken", config=config)
    errors = StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("import_templates", str(tmp_path), stdout=StringIO(), stderr=errors, verbosity=0)
    assert "broken" in errors.getvalue() and reason in errors.getvalue()
    assert list(Template.objects.values_list("slug", flat=True)) == ["good"]


@pytest.mark.django_db
def test_a_folder_without_an_image_or_with_a_fake_one_is_rejected(tmp_path):
    folder = make_folder(tmp_path, "noimage")
    (folder / "default.png").unlink()
    fake = make_folder(tmp_path, "fake")
    (fake / "default.png").write_bytes(b"not a picture")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("import_templates", str(tmp_path), stdout=StringIO(), stderr=errors, verbosity=0)
    assert "noimage: no default.* or image.*" in errors.getvalue()
    assert "fake: default.png: not an image" in errors.getvalue()


@pytest.mark.django_db
def test_symlinks_out_of_the_folder_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.png"
    secret.write_bytes(png_bytes())
    root = tmp_path / "templates"
    root.mkdir()
    folder = make_folder(root, "sneaky")
    (folder / "default.png").unlink()
    os.symlink(secret, folder / "default.png")
    os.symlink(outside, root / "linked-folder")
    (outside / "config.yml").write_text(CONFIG)

    errors = StringIO()
    with pytest.raises(CommandError, match="sneaky"):
        call_command("import_templates", str(root), stdout=StringIO(), stderr=errors, verbosity=0)
    assert "points outside" in errors.getvalue()
    assert not Template.objects.exists()


def test_a_missing_folder_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_templates", str(tmp_path / "missing"))


@pytest.mark.django_db
@pytest.mark.skipif(not SHARED_TEMPLATES.is_dir(), reason="../shared/data/templates is not beside the checkout")
def test_the_shared_memegen_folder_imports_whole():
    assert "created 52, updated 0, skipped 0 (unchanged), rejected 0" in run_import(SHARED_TEMPLATES)
    drake = Template.objects.get(slug="drake-hotline-bling")
    assert drake.name == "Drakeposting" and drake.example_lines() == ["left on unread", "left on read"]
    assert "skipped 52" in run_import(SHARED_TEMPLATES)
