"""`manage.py import_captions PATH`: the JSON-lines dump and the dataset's original layout, idempotent,
a bad file imports nothing, paths never lead out of PATH."""

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from captions.models import Caption
from memes.models import Template, TextBox

from .conftest import png_bytes

ORIGINAL_LAYOUT_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "captions" / "original_layout_sample"


def make_template(slug: str) -> Template:
    template = Template(slug=slug, name=slug.replace("-", " ").title())
    template.image.save(f"{slug}.png", ContentFile(png_bytes()), save=False)
    template.save()
    TextBox.objects.create(template=template, position=0, y=0.0, height=0.25)
    TextBox.objects.create(template=template, position=1, y=0.75, height=0.25)
    return template


def dump_line(external_id, slug="grey", boxes=("top", "bottom"), **extra) -> str:
    return json.dumps({"t": slug, "boxes": list(boxes), "title": "a title", "views": 10, "votes": 2, "id": external_id, **extra})


def write_dump(path: Path, lines: list[str]) -> Path:
    text = "\n".join(lines) + "\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def meme(post_id, boxes=("top", "bottom"), views="1,234", votes="5", title="a title") -> dict:
    return {
        "url": f"https://i.imgflip.com/{post_id}.jpg",
        "post": f"https://imgflip.com/i/{post_id}",
        "metadata": {"views": views, "img-votes": votes, "title": title, "author": ""},
        "boxes": list(boxes),
    }


def run_import(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_captions", str(path), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["captions.jsonl", "captions.jsonl.gz"])
def test_dump_imports_linked_to_templates_then_skips(template, tmp_path, name):
    other = make_template("drake-hotline-bling")
    long_title = "x" * 400
    dump = write_dump(
        tmp_path / name,
        [dump_line("a1"), dump_line("a2", title=long_title), dump_line("b1", slug="Drake-Hotline-Bling", votes=-3)],
    )
    assert run_import(dump)[0] == "created 3, skipped 0 (already imported), unknown templates: none\n"

    assert set(template.captions.values_list("external_id", flat=True)) == {"a1", "a2"}
    drake = Caption.objects.get(external_id="b1")
    assert (drake.template, drake.boxes, drake.views, drake.votes, drake.dataset) == (other, ["top", "bottom"], 10, -3, "imgflip")
    assert Caption.objects.get(external_id="a2").title == "x" * 300

    assert run_import(dump)[0].startswith("created 0, skipped 3 (already imported)")
    assert Caption.objects.count() == 3


@pytest.mark.django_db
def test_a_dump_longer_than_a_chunk_imports_every_chunk(template, tmp_path, monkeypatch):
    monkeypatch.setattr("captions.corpus_import.CHUNK_SIZE", 2)
    dump = write_dump(tmp_path / "captions.jsonl", [dump_line(str(number)) for number in range(5)] + [dump_line("0")])
    assert run_import(dump)[0].startswith("created 5, skipped 1 (already imported)")  # "0" twice: created once


@pytest.mark.django_db
def test_unknown_templates_are_counted_not_guessed(template, tmp_path):
    dump = write_dump(
        tmp_path / "captions.jsonl",
        [dump_line("1", slug="GREY"), dump_line("2", slug="Grey-ish"), dump_line("3", slug="Grey-ish"), dump_line("4", slug="nope")],
    )
    out, _ = run_import(dump)
    assert out == "created 1, skipped 0 (already imported), unknown templates: Grey-ish (2), nope (1)\n"
    assert list(Caption.objects.values_list("external_id", "template__slug")) == [("1", "grey")]


@pytest.mark.django_db
def test_empty_boxes_are_dropped_and_empty_memes_skipped(template, tmp_path):
    dump = write_dump(tmp_path / "captions.jsonl", [dump_line("1", boxes=["  top ", "", "   ", "bottom"]), dump_line("2", boxes=[" ", ""])])
    assert run_import(dump)[0].startswith("created 1, skipped 0")
    assert Caption.objects.get().boxes == ["top", "bottom"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad_line,reason",
    [("{not json", "line 3: not valid JSON"), (json.dumps({"t": "grey", "id": "x"}), 'line 3: not an object with "t" and "boxes"')],
)
def test_a_bad_line_rejects_the_whole_file(template, tmp_path, bad_line, reason):
    dump = write_dump(tmp_path / "bad.jsonl", [dump_line("1"), dump_line("2"), bad_line, dump_line("4")])
    with pytest.raises(CommandError, match=f"bad.jsonl \\({reason}\\)"):
        run_import(dump)
    assert not Caption.objects.exists()


def write_original_layout(root: Path, files: dict[str, object]) -> Path:
    memes = root / "memes"
    memes.mkdir(parents=True)
    for name, content in files.items():
        (memes / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return memes


@pytest.mark.django_db
@pytest.mark.parametrize("point_at_memes_folder", [False, True])
def test_original_layout_reads_ids_from_posts_and_counts_with_commas(template, tmp_path, point_at_memes_folder):
    memes = write_original_layout(tmp_path / "dataset", {"Grey.json": [meme("3zbe8v"), meme("4abc", views="7", votes="-1")]})
    out, err = run_import(memes if point_at_memes_folder else tmp_path / "dataset")
    assert out.startswith("created 2, skipped 0") and err == ""
    caption = Caption.objects.get(external_id="3zbe8v")
    assert (caption.template, caption.views, caption.votes, caption.title) == (template, 1234, 5, "a title")
    assert Caption.objects.get(external_id="4abc").votes == -1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content,reason",
    [
        ("[{]", "not valid JSON"),
        ({"boxes": ["a"]}, "does not hold a JSON list"),
        ([meme("ok1"), {"post": "https://imgflip.com/i/x"}], 'meme 2: not an object with "boxes"'),
        ([meme("ok1", views="lots")], "meme 1: 'lots' is not a count"),
    ],
)
def test_a_bad_file_in_the_folder_is_rejected_and_the_others_import(template, tmp_path, content, reason):
    make_template("other")
    write_original_layout(tmp_path, {"grey.json": [meme("g1")], "other.json": content})
    err = StringIO()
    with pytest.raises(CommandError, match="other.json"):
        call_command("import_captions", str(tmp_path), stdout=StringIO(), stderr=err, verbosity=0)
    assert f"rejected other.json: {reason}" in err.getvalue()
    assert list(Caption.objects.values_list("external_id", flat=True)) == ["g1"]


@pytest.mark.django_db
def test_a_symbolic_link_in_the_folder_is_refused_and_not_followed(template, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([meme("secret")]))
    memes = write_original_layout(tmp_path / "dataset", {"grey.json": [meme("g1")]})
    (memes / "evil.json").symlink_to(outside)
    err = StringIO()
    with pytest.raises(CommandError, match="evil.json"):
        call_command("import_captions", str(memes), stdout=StringIO(), stderr=err, verbosity=0)
    assert "rejected evil.json: is a symbolic link" in err.getvalue()
    assert list(Caption.objects.values_list("external_id", flat=True)) == ["g1"]


@pytest.mark.django_db
def test_a_missing_path_is_named(tmp_path):
    with pytest.raises(CommandError, match="nowhere.jsonl does not exist"):
        run_import(tmp_path / "nowhere.jsonl")


@pytest.mark.django_db
@pytest.mark.skipif(not ORIGINAL_LAYOUT_SAMPLE.is_dir(), reason="../shared/data is not beside the checkout")
def test_the_real_original_layout_sample_imports():
    drake, skeleton = make_template("drake-hotline-bling"), make_template("waiting-skeleton")
    out, err = run_import(ORIGINAL_LAYOUT_SAMPLE)
    assert out.startswith("created 600, skipped 0") and err == ""
    assert drake.captions.count() == 300 and skeleton.captions.count() == 300
    assert Caption.objects.get(external_id="3zbe8v").boxes == ["gay", "straightn't"]
