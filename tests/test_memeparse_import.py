"""manage.py import_memes: a folder of captioned memes read into the caption corpus, each meme's template
recognised after resizing, JPEG and a crop (issue 23)."""

import io
import os
from importlib import resources

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from captions.models import Caption
from generator import meme_import
from generator.rendering import render_meme
from memes.layout import TOP_AND_BOTTOM
from memes.models import Template, TextBox
from ml.memeparse import ocr_available
from ml.memeparse.ocr import OcrMissing

needs_ocr = pytest.mark.skipif(
    not ocr_available() and not os.environ.get("SLOWMEME_REQUIRE_OCR"),
    reason="Tesseract is not installed (apt-get install tesseract-ocr); SLOWMEME_REQUIRE_OCR makes this fail",
)


def sample_bytes(name: str) -> bytes:
    return resources.files("skimage.data").joinpath(name).read_bytes()


def make_template(slug: str, file: str) -> Template:
    template = Template(slug=slug, name=slug)
    template.image.save(file, ContentFile(sample_bytes(file)), save=False)
    template.save()
    for position, box in enumerate(TOP_AND_BOTTOM):
        TextBox.objects.create(template=template, position=position, x=box.x, y=box.y, width=box.width,
                               height=box.height)  # fmt: skip
    return template


def meme(file: str, lines, *, width: int, quality: int, crop: float = 0.0) -> bytes:
    picture = Image.open(io.BytesIO(render_meme(Image.open(io.BytesIO(sample_bytes(file))), TOP_AND_BOTTOM, lines,
                                                width=width, format="png")))  # fmt: skip
    w, h = picture.size
    picture = picture.crop((round(crop * w), round(crop * h), w, h))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@needs_ocr
@pytest.mark.django_db
def test_a_folder_of_memes_becomes_captions_of_their_templates(tmp_path):
    cat, rocket = make_template("cat", "chelsea.png"), make_template("rocket", "rocket.jpg")
    make_template("coffee", "coffee.png")
    (tmp_path / "cat.jpg").write_bytes(meme("chelsea.png", ["YOU CALL THIS", "A MEME?"], width=520, quality=50))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "rocket.jpg").write_bytes(
        meme("rocket.jpg", ["MY EXPECTATIONS", "MY GRADES"], width=1000, quality=90, crop=0.04)
    )
    (tmp_path / "photo.png").write_bytes(sample_bytes("coins.png"))  # no template
    (tmp_path / "broken.jpg").write_bytes(b"not a picture")
    out = io.StringIO()
    call_command("import_memes", str(tmp_path), verbosity=0, stdout=out)
    assert "matched 2, read 2, already there 0, skipped 2" in out.getvalue()
    assert "photo.png: no known template" in out.getvalue() and "broken.jpg: not a picture" in out.getvalue()
    assert Caption.objects.get(template=cat).boxes == ["YOU CALL THIS", "A MEME?"]
    assert Caption.objects.get(template=rocket).boxes == ["MY EXPECTATIONS", "MY GRADES"]
    out = io.StringIO()
    call_command("import_memes", str(tmp_path), verbosity=0, stdout=out)
    assert "matched 2, read 0, already there 2, skipped 2" in out.getvalue()
    assert Caption.objects.count() == 2


@pytest.mark.django_db
def test_without_tesseract_the_command_says_what_to_install(tmp_path, monkeypatch):
    def missing():
        raise OcrMissing("Reading a meme's text needs Tesseract: install Debian's tesseract-ocr")

    monkeypatch.setattr(meme_import, "ocr_require", missing)
    with pytest.raises(CommandError, match="tesseract-ocr"):
        call_command("import_memes", str(tmp_path), verbosity=0)


def test_a_missing_folder_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_memes", str(tmp_path / "nowhere"), verbosity=0)


@pytest.mark.django_db
def test_the_api_recognises_the_template_of_a_resized_jpeg_meme(bob, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_template("cat", "chelsea.png")
    make_template("rocket", "rocket.jpg")
    data = meme("rocket.jpg", ["MY EXPECTATIONS", "MY GRADES"], width=700, quality=55, crop=0.03)
    answer = client_for(bob).post("/api/templates/recognise/", {"image": SimpleUploadedFile("m.jpg", data)},
                                  format="multipart")  # fmt: skip
    assert answer.status_code == 200 and answer.json()["template"] == "rocket"
    photo = SimpleUploadedFile("p.png", sample_bytes("coins.png"))
    assert client_for(bob).post("/api/templates/recognise/", {"image": photo}).json() == {"template": None, "distance": None}
    bad = SimpleUploadedFile("b.jpg", b"not a picture")
    answer = client_for(bob).post("/api/templates/recognise/", {"image": bad})
    assert answer.status_code == 400 and answer.json()
    assert client_for().post("/api/templates/recognise/", {"image": bad}).status_code in (401, 403)
