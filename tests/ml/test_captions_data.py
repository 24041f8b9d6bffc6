import gzip
import json

import pytest

from ml.captions.data import (
    COLD_START_TEMPLATES,
    HELDOUT_PERCENT,
    CaptionRecord,
    complete_templates,
    is_heldout,
    make_splits,
    read_captions,
    read_templates,
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
        CaptionRecord("doge", ("SUCH TEST", "VERY WOW"), "Doge", meme_id="a"),  # slugs lower-case, as the site's
        CaptionRecord("grumpy-cat", ("NO",), "mondays", meme_id="b"),
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
    templates = [*COLD_START_TEMPLATES[:3], *(f"t{i}" for i in range(17))]
    return [CaptionRecord(templates[i % 20], (f"caption {i}",), meme_id=str(i)) for i in range(4000)]


def test_the_heldout_memes_are_a_fixed_share_chosen_by_meme_id_alone():
    records = many_records()
    heldout = [r for r in records if is_heldout(r)]
    assert abs(len(heldout) / len(records) - HELDOUT_PERCENT / 100) < 0.01
    # The same meme is held out whatever its caption, title or template, and in whatever file or order it comes.
    moved = [CaptionRecord("elsewhere", ("other words",), "a title", meme_id=r.meme_id) for r in reversed(records)]
    assert {r.meme_id for r in moved if is_heldout(r)} == {r.meme_id for r in heldout}


def test_make_splits_holds_out_the_first_cold_templates_whole_and_the_fixed_memes():
    splits = make_splits(many_records(), cold_templates=2)
    assert {r.template for r in splits.cold_start} == set(COLD_START_TEMPLATES[:2])
    assert COLD_START_TEMPLATES[2] in {r.template for r in splits.train}
    assert all(is_heldout(r) for r in splits.heldout) and not any(is_heldout(r) for r in splits.train)
    assert len(splits.train) + len(splits.heldout) + len(splits.cold_start) == 4000
    assert not {r.template for r in splits.train + splits.heldout} & set(COLD_START_TEMPLATES[:2])


def test_make_splits_limit_thins_only_training():
    full, limited = make_splits(many_records(), cold_templates=2), make_splits(many_records(), cold_templates=2, limit=50)
    assert len(limited.train) == 50 and set(limited.train) <= set(full.train)
    assert (limited.heldout, limited.cold_start) == (full.heldout, full.cold_start)
