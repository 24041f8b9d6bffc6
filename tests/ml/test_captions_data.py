import gzip
import json

import pytest

from ml.captions.data import (
    CaptionRecord,
    complete_templates,
    make_splits,
    read_captions,
    read_templates,
    split_by_meme,
    split_templates_out,
)

ROWS = [
    {"t": "Doge", "boxes": ["SUCH TEST", " ", "VERY WOW"], "title": "Doge", "views": 1, "votes": 2, "id": "a"},
    {"t": "Grumpy-Cat", "boxes": ["NO"], "title": "mondays", "views": 1, "votes": 0, "id": "b"},
]


def write_jsonl(path, rows, bad_line=None):
    lines = [json.dumps(row) for row in rows] + ([bad_line] if bad_line else [])
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name", ["captions.jsonl", "captions.jsonl.gz"])
def test_read_captions_plain_or_gzip_drops_blank_boxes(tmp_path, name):
    records = list(read_captions(write_jsonl(tmp_path / name, ROWS)))
    assert records == [
        CaptionRecord("doge", ("SUCH TEST", "VERY WOW"), "Doge"),  # slugs lower-case, as the site's
        CaptionRecord("grumpy-cat", ("NO",), "mondays"),
    ]


def test_read_captions_names_file_and_line_of_a_bad_row(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", ROWS, bad_line='{"t": "Doge", "boxes": 3}')
    with pytest.raises(ValueError, match=r"bad\.jsonl:3"):
        list(read_captions(path))


def test_read_templates_counts_text_boxes(tmp_path):
    (tmp_path / "Doge").mkdir()
    (tmp_path / "Doge" / "config.yml").write_text(
        "name: Doge\nkeywords:\n  -\ntext:\n  - style: upper\n  - style: upper\n  - style: upper\n"
        "example:\n  - such meme\n  - very skill\n"
    )
    doge = read_templates(tmp_path)["doge"]
    assert (doge.name, doge.n_boxes, doge.tags, doge.examples) == ("Doge", 3, (), ("such meme", "very skill"))


def test_complete_templates_infers_missing_ones_from_captions_and_index(tmp_path):
    records = [CaptionRecord("Bad-Luck-Brian", ("a", "b")), CaptionRecord("Bad-Luck-Brian", ("a", "b")),
               CaptionRecord("Bad-Luck-Brian", ("a",)), CaptionRecord("Some-New-One", ("x",))]
    index = tmp_path / "templates_index.json"
    index.write_text(json.dumps({"Bad-Luck-Brian": {"name": "Bad Luck Brian", "alternative_names": "BLB, brian"}}))
    templates = complete_templates({}, records, index)
    assert templates["Bad-Luck-Brian"].n_boxes == 2
    assert templates["Bad-Luck-Brian"].tags == ("BLB", "brian")
    assert (templates["Some-New-One"].name, templates["Some-New-One"].n_boxes) == ("Some New One", 1)


def many_records():
    return [CaptionRecord(f"t{i % 20}", (f"caption {i}",)) for i in range(1000)]


def test_split_by_meme_is_deterministic_and_disjoint():
    train, heldout = split_by_meme(many_records(), 0.1, seed=3)
    assert (train, heldout) == split_by_meme(many_records(), 0.1, seed=3)
    assert len(heldout) == 100 and not set(train) & set(heldout)


def test_split_templates_out_holds_out_whole_templates():
    seen, cold = split_templates_out(many_records(), n=5)
    assert len({r.template for r in cold}) == 5
    assert not {r.template for r in seen} & {r.template for r in cold}


def test_make_splits_limit_thins_only_training():
    full, limited = make_splits(many_records(), cold_templates=2), make_splits(many_records(), cold_templates=2, limit=50)
    assert len(limited.train) == 50
    assert (limited.heldout, limited.cold_start) == (full.heldout, full.cold_start)
