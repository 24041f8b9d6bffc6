import json

import pytest

from ml.captions.__main__ import main
from ml.captions.data import CaptionRecord, TemplateInfo
from ml.captions.evaluation import TemplateClassifier, distinct_n, evaluate
from ml.captions.generate import CaptionGenerator
from ml.captions.ngram import NgramBaseline
from ml.captions.training import TrainConfig, train

from .test_captions_model import TEMPLATES, TINY, tiny_records


def test_distinct_n_counts_unique_ngrams_over_all_ngrams():
    captions = [["a b", "a b"], ["a c"]]
    assert distinct_n(captions, 1) == pytest.approx(3 / 6)
    assert distinct_n(captions, 2) == pytest.approx(2 / 3)


def test_classifier_names_the_template_of_typical_captions():
    classifier = TemplateClassifier(tiny_records(50))
    assert classifier.predict(["my dog", "sleeps"]) == "pets"
    assert classifier.predict(["the boss says"]) == "work"


def test_evaluate_reports_model_and_baseline_on_the_same_tokens(tmp_path):
    records = tiny_records(100)
    train(records, TEMPLATES, TrainConfig(epochs=2, **TINY), tmp_path, progress=False)
    generator = CaptionGenerator.load(tmp_path, device="cpu")
    baseline = NgramBaseline.fit(records, generator.vocab)
    cold = [CaptionRecord("boats", ("my boat", "says no"))] * 3
    templates = {**TEMPLATES, "boats": TemplateInfo("boats", "Boats", 2)}
    results = evaluate(generator, baseline, tiny_records(10, seed=1), records, templates,
                       cold_start_records=cold, n_generate=8)
    assert results["tokens"] > 0 and results["perplexity"] > 1 and results["baseline_perplexity"] > 1
    for name in ("distinct_2", "copy_rate", "template_fidelity", "cold_start_template_fidelity"):
        assert 0 <= results[name] <= 1, name
    assert results["cold_start_perplexity"] > 1 and results["ms_per_call_n1"] > 0


def test_command_line_trains_then_evaluates(tmp_path, capsys):
    captions = tmp_path / "captions.jsonl"
    rows = [{"t": r.template, "boxes": list(r.boxes), "title": r.title, "views": 0, "votes": 0, "id": str(i)}
            for i, r in enumerate(tiny_records(60) + [CaptionRecord("boats", ("my boat", "sinks"))] * 20)]
    captions.write_text("\n".join(json.dumps(row) for row in rows))
    (tmp_path / "templates" / "pets").mkdir(parents=True)
    (tmp_path / "templates" / "pets" / "config.yml").write_text("name: Pet Life\ntext:\n  - {}\n  - {}\n")
    common = ["--captions", str(captions), "--templates", str(tmp_path / "templates")]
    main(["train", *common, "--out", str(tmp_path / "model"), "--epochs", "1", "--dim", "8", "--hidden", "16",
          "--cold-templates", "1", "--holdout-fraction", "0.1"])
    capsys.readouterr()
    main(["eval", *common, "--model", str(tmp_path / "model"), "--n-generate", "4"])
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    for name in ("perplexity", "baseline_perplexity", "distinct_2", "copy_rate", "template_fidelity",
                 "cold_start_perplexity", "cold_start_baseline_perplexity"):
        assert float(printed[name]) >= 0, name
