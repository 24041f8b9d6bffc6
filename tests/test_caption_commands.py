"""train_captions and eval_captions on a small corpus held in the database."""

import io
import json
import random

import pytest
from django.core.management import CommandError, call_command

from captions.models import Caption, CaptionModelVersion

TINY = ["--dim", "8", "--hidden", "24", "--batch-size", "32", "--lr", "0.01", "--epochs", "2", "--threads", "1"]


@pytest.fixture
def corpus(template, settings, tmp_path):
    settings.CAPTION_MODELS_DIR = tmp_path / "models"
    rng = random.Random(0)
    Caption.objects.bulk_create(
        Caption(template=template, boxes=[f"my {pet} on {day}", f"what a {pet}"], title=f"{pet} life", external_id=str(i))
        for i, (pet, day) in enumerate(
            (rng.choice(["cat", "dog", "bird"]), rng.choice(["monday", "friday"])) for _ in range(300)
        )
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_train_registers_a_version_with_its_files_and_can_activate_it(corpus, settings):
    output = run("train_captions", *TINY, "--name", "tiny-1", "--activate", "--verbosity", "0")
    version = CaptionModelVersion.objects.get(name="tiny-1")
    assert version.is_active and "(active)" in output and "held-out perplexity" in output
    folder = settings.CAPTION_MODELS_DIR / "tiny-1"
    for name in ("weights.pt", "vocab.json", "word2vec.npy", "config.json", "metrics.json", "loss.png", "words_pca.png"):
        assert (folder / name).stat().st_size > 0, name
    epochs = version.metrics["epochs"]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]

    run("train_captions", *TINY, "--name", "tiny-2", "--verbosity", "0")
    assert CaptionModelVersion.objects.get(is_active=True).name == "tiny-1"  # not activated unless asked


def parse(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines())


@pytest.mark.django_db
def test_eval_prints_the_model_and_the_baseline_on_the_same_words(corpus, tmp_path):
    run("train_captions", *TINY, "--name", "tiny-eval", "--activate", "--verbosity", "0")
    lines = parse(run("eval_captions", "--n-generate", "8"))
    assert lines["version"] == "tiny-eval"
    assert 1 < float(lines["perplexity"]) < 50 and 1 < float(lines["baseline_perplexity"]) < 50
    assert 0 < float(lines["distinct_2"]) <= 1 and 0 <= float(lines["copy_rate"]) <= 1
    assert lines["unseen"].startswith("skipped")  # every template of the corpus trained it

    # The file the corpus was imported from splits as the database does (by meme id): the same numbers.
    source = tmp_path / "source.jsonl"
    source.write_text("\n".join(
        json.dumps({"t": slug, "boxes": boxes, "title": title, "id": external_id})
        for slug, boxes, title, external_id in Caption.objects.values_list("template__slug", "boxes", "title", "external_id")
    ))
    from_file = parse(run("eval_captions", "--corpus", str(source), "--n-generate", "8"))
    for name in ("train_captions", "heldout_captions", "perplexity", "baseline_perplexity", "copy_rate"):
        assert from_file[name] == lines[name], name

    # A file of a template the model never saw is a cold-start evaluation, scored whole.
    new = tmp_path / "new.jsonl"
    new.write_text("\n".join(
        json.dumps({"t": "boats", "boxes": [f"my boat {i}", "sinks"], "title": "boats", "id": f"b{i}"}) for i in range(30)
    ))
    lines = parse(run("eval_captions", "--captions", str(new), "--n-generate", "8"))
    assert (lines["heldout_captions"], lines["unseen_captions"]) == ("0", "30") and lines["seen"].startswith("skipped")
    assert float(lines["unseen_perplexity"]) > 1 and float(lines["unseen_baseline_perplexity"]) > 1


@pytest.mark.django_db
def test_train_on_an_empty_corpus_says_what_to_do(settings, tmp_path):
    settings.CAPTION_MODELS_DIR = tmp_path
    with pytest.raises(CommandError, match="import_captions"):
        run("train_captions", *TINY)


@pytest.mark.django_db
def test_eval_refuses_unknown_versions_and_missing_files(corpus, tmp_path):
    with pytest.raises(CommandError, match="No model version is called 'nope'"):
        run("eval_captions", "--model", "nope")
    with pytest.raises(CommandError, match="is not a file"):
        run("eval_captions", "--model", "nope", "--captions", str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError, match="is not a file"):
        run("eval_captions", "--corpus", str(tmp_path / "missing.jsonl"))
