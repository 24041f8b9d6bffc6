"""manage.py caption_sheet: the fixed prompt titles over the templates on hand, drawn as the site draws them."""

import html
import io
import re

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from captions import services as caption_services
from generator import sheet as sheet_module
from ml.captions.prompts import PROMPT_TITLES

from .conftest import png_bytes


class EchoGenerator:
    """Stands in for the model: the caption repeats the title, so the page can be checked against it."""

    version = "echo-1"

    def __init__(self):
        self.slugs = []

    def generate(self, title, template, n=4, seed=None, taste=None):
        self.slugs.append(template.slug)
        return [[title, f"box {i}"] for i in range(n)]


@pytest.fixture
def echo(monkeypatch):
    generator = EchoGenerator()
    monkeypatch.setattr(caption_services, "caption_generator", lambda version=None: generator)
    monkeypatch.setattr(sheet_module, "templates_known", lambda: {"drake-hotline-bling": ["Drakeposting", "drake"]})
    return generator


def memegen_folder(root, name, title):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.yml").write_text(
        f"name: {title}\ntext:\n  - anchor_y: 0.0\n    scale_y: 0.2\n  - anchor_y: 0.8\n    scale_y: 0.2\nexample:\n  - no\n  - yes\n"
    )
    (folder / "default.png").write_bytes(png_bytes((300, 300)))


def sheet(*args) -> str:
    out = io.StringIO()
    call_command("caption_sheet", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_the_sheet_is_a_page_of_forty_memes_with_their_titles(echo, tmp_path):
    memegen_folder(tmp_path / "templates", "drake", "Drakeposting")  # memegen's name for the corpus's drake-hotline-bling
    memegen_folder(tmp_path / "templates", "grumpy-cat", "Grumpy Cat")
    memegen_folder(tmp_path / "templates", "not-on-the-sheet", "Something Else")
    out = tmp_path / "sheet"
    assert "index.html" in sheet("--out", str(out), "--templates", str(tmp_path / "templates"))
    page = (out / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 40 and all(html.escape(title) in page for title in PROMPT_TITLES[:40])
    for name in images:
        with Image.open(out / name) as image:
            assert image.format == "JPEG" and image.width == 400
    assert set(echo.slugs) == {"drake-hotline-bling", "grumpy-cat"}  # the folder "drake" got the model's slug


@pytest.mark.django_db
def test_the_sheet_draws_on_the_sites_templates(echo, template, tmp_path):
    template.slug = "two-buttons"
    template.save()
    sheet("--out", str(tmp_path / "sheet"))
    assert len(list((tmp_path / "sheet").glob("*-two-buttons.jpg"))) == 40


@pytest.mark.django_db
def test_without_any_of_its_templates_the_sheet_says_so(echo, template, tmp_path):
    with pytest.raises(CommandError, match="None of the sheet's templates"):
        sheet("--out", str(tmp_path / "sheet"))
