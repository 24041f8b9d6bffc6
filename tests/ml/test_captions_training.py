"""prepare / fit (a prepared file trains on a machine without gensim), warm starts, pseudo-titles, the sweep."""
import random

import numpy as np
import torch

from ml.captions.data import TemplateInfo
from ml.captions.evaluation import TemplateClassifier, common_words
from ml.captions.generate import CaptionGenerator
from ml.captions.sweep import sweep
from ml.captions.training import Prepared, PseudoTitles, TrainConfig, fit, prepare, train
from ml.captions.vocab import Vocabulary
from tests.ml.test_captions_model import TEMPLATES, TINY, tiny_records


def test_a_prepared_file_trains_the_same_model_as_train(tmp_path):
    config = TrainConfig(epochs=1, **TINY)
    prepare(tiny_records(50), TEMPLATES, config, tiny_records(10, seed=1)).save(tmp_path / "prepared.npz")
    loaded = Prepared.load(tmp_path / "prepared.npz")
    fit(loaded, config, tmp_path / "fitted", progress=False)
    train(tiny_records(50), TEMPLATES, config, tmp_path / "trained", progress=False, heldout=tiny_records(10, seed=1))
    fitted, trained = torch.load(tmp_path / "fitted" / "weights.pt"), torch.load(tmp_path / "trained" / "weights.pt")
    assert all(torch.equal(fitted[name], trained[name]) for name in trained)
    assert loaded.templates[1] == TemplateInfo("work", "Office Pain", 3, ("job",), ("monday", "boss", "no"), (0, 0, 50))


def test_fit_can_start_from_another_models_weights(tmp_path):
    config = TrainConfig(epochs=1, **TINY)
    prepared = prepare(tiny_records(50), TEMPLATES, config)
    fit(prepared, config, tmp_path / "first", progress=False)
    fit(prepared, TrainConfig(epochs=1, **{**TINY, "lr": 1e-9}), tmp_path / "warm", init=tmp_path / "first", progress=False)
    first, warm = torch.load(tmp_path / "first" / "weights.pt"), torch.load(tmp_path / "warm" / "weights.pt")
    assert all(torch.allclose(first[name].float(), warm[name].float(), atol=1e-2) for name in first)


def test_pseudo_titles_are_content_words_of_the_caption_or_their_neighbours():
    vocab = Vocabulary(["my", "cat", "sleeps", "dog", "naps", "on", "monday"])
    vectors = np.random.default_rng(0).normal(size=(len(vocab), 8)).astype(np.float32)
    titles = PseudoTitles(vocab, vectors)
    caption = vocab.ids(["my", "cat", "sleeps", "on", "monday"])
    made = [titles.make(caption, random.Random(seed)) for seed in range(200)]
    assert all(1 <= len(title) <= 3 for title in made)
    words = {vocab.words[i] for title in made for i in title}
    assert {"cat", "sleeps", "monday"} <= words and not words & {"my", "on"}  # stopwords never make a title
    assert words & {"dog", "naps"}  # a neighbour, now and then


def test_the_sweep_reports_every_setting(tmp_path):
    train(tiny_records(), TEMPLATES, TrainConfig(epochs=1, **TINY), tmp_path, progress=False)
    generator = CaptionGenerator.load(tmp_path, device="cpu")
    records = tiny_records(20)
    rows = sweep(generator, records[:6], TEMPLATES, TemplateClassifier(records), common_words(records), [0.5, 1.0], [0.9])
    assert [(row["temperature"], row["top_p"]) for row in rows] == [(0.5, 0.9), (1.0, 0.9)]
    assert all(0 <= row["template_fidelity"] <= 1 and 0 <= row["title_use"] <= 1 for row in rows)


def test_neighbours_found_slice_by_slice_are_the_nearest_of_all(monkeypatch):
    vocab = Vocabulary("cat sleeps dog naps monday friday pizza bacon coffee boss office rain bus winter".split())
    vectors = np.random.default_rng(1).normal(size=(len(vocab), 8)).astype(np.float32)
    whole = PseudoTitles(vocab, vectors).neighbours
    monkeypatch.setattr(PseudoTitles, "ROWS_AT_ONCE", 3)
    assert (PseudoTitles(vocab, vectors).neighbours == whole).all()
    assert all(row not in whole[row] for row in vocab.content_ids(range(len(vocab))))  # never a word's own
