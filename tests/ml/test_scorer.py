"""The caption scorer: pairs stay on one side of the held-out split, loading checks the caption model's vocabulary,
and training learns a preference planted in the votes."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ml.captions.data import CaptionRecord, is_heldout
from ml.captions.text import SPECIALS
from ml.captions.vocab import Vocabulary
from ml.scorer import VocabularyMismatch, load
from ml.scorer.data import Meme, make_pairs, rate_test, split_memes
from ml.scorer.evaluation import calibration, pair_metrics
from ml.scorer.scorer import PRETRAINED, save
from ml.scorer.scorer import Scorer
from ml.scorer.training import TrainConfig, config_dict, fine_tune, train


def meme(meme_id, boxes, views, votes, template="t"):
    return Meme(CaptionRecord(template, tuple(boxes), meme_id=str(meme_id)), views, votes)


def test_rate_test_is_the_exact_conditional_binomial():
    assert rate_test(30, 1000, 5, 1000) < 1e-4
    assert rate_test(5, 1000, 4, 1000) > 0.5
    assert rate_test(0, 1000, 0, 900) == 1.0
    assert rate_test(12, 800, 3, 1000) == pytest.approx(rate_test(3, 1000, 12, 800))


def test_pairs_never_cross_the_heldout_split_nor_templates():
    rng = np.random.default_rng(0)
    memes = [meme(f"m{i}", [f"caption {i}"], int(rng.integers(200, 2000)), int(rng.integers(0, 40)), f"t{i % 3}")
             for i in range(3000)]  # fmt: skip
    heldout = [m for m in memes if is_heldout(m.record)]
    assert 50 < len(heldout) < 300  # the fixture has memes on both sides
    pairs = make_pairs(memes, partners=None)
    assert len(pairs) > 1000
    crossing = 0
    for pair in pairs:
        better, worse = memes[pair.better], memes[pair.worse]
        crossing += is_heldout(better.record) != is_heldout(worse.record)
        assert better.template == worse.template
        assert max(better.views, worse.views) <= 2 * min(better.views, worse.views)
        assert better.votes / better.views > worse.votes / worse.views
        assert pair.p_value <= 0.05
    assert crossing == 0
    train, validation, held = split_memes(memes)
    assert [m.meme_id for m in held] == [m.meme_id for m in heldout]
    assert not {m.meme_id for m in train} & {m.meme_id for m in validation}


def test_pairs_need_similar_views_and_a_clear_difference():
    memes = [meme("a", ["x"], 1000, 40), meme("b", ["y"], 1000, 5), meme("c", ["z"], 5000, 1), meme("d", ["w"], 1000, 36)]
    pairs = {(memes[p.better].meme_id, memes[p.worse].meme_id) for p in make_pairs(memes, partners=None)}
    assert pairs == {("a", "b"), ("d", "b")}  # c's views are 5× the others'; a and d do not differ clearly


def test_pair_metrics_and_calibration():
    memes_scores = np.array([3.0, 1.0, 2.0, 0.0])
    pairs = make_pairs([meme("a", ["x"], 1000, 40), meme("b", ["y"], 1000, 5), meme("c", ["z"], 1000, 60),
                        meme("d", ["w"], 1000, 0)], partners=None)  # fmt: skip
    metrics = pair_metrics(memes_scores, pairs)
    assert metrics["pairs"] == len(pairs) and 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["auc"] <= 1
    bins = calibration(np.array([2.0, -1.0, 0.5]), bins=2)
    assert sum(b["n"] for b in bins) == 6 and bins[0]["predicted"] < bins[1]["predicted"]


# --- a tiny scorer trained in the test ------------------------------------------------------------------------
WORDS = ["funny", "hilarious", "boring", "dull", "cat", "dog", "monday", "coffee", "work", "again", "my", "the"]


@pytest.fixture(scope="module")
def captions_dir(tmp_path_factory):
    """A caption model's vocabulary and vectors: "funny" and "hilarious" close, "boring" and "dull" close."""
    folder = tmp_path_factory.mktemp("captions")
    vocab = Vocabulary(WORDS)
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.3, (len(vocab), 8))
    good, bad = rng.normal(0, 1, 8), rng.normal(0, 1, 8)
    for word, direction in (("funny", good), ("hilarious", good), ("boring", bad), ("dull", bad)):
        vectors[vocab.index[word]] = direction + rng.normal(0, 0.05, 8)
    vocab.save(folder / "vocab.json")
    np.save(folder / "word2vec.npy", vectors.astype(np.float16))
    (folder / "config.json").write_text(json.dumps({"version": "test-captions"}))
    return folder


def planted_memes(n, seed, liked="funny", disliked="boring"):
    """Captions with the liked word get 8× the votes per view of those with the disliked word."""
    rng = np.random.default_rng(seed)
    memes = []
    for i in range(n):
        good = i % 2 == 0
        filler = list(rng.choice(WORDS[4:], 3))
        words = filler[:2] + [liked if good else disliked] + filler[2:]
        views = int(rng.integers(500, 900))
        memes.append(meme(f"{seed}-{i}", [" ".join(words[:2]), " ".join(words[2:])], views, int(rng.poisson(views * (0.04 if good else 0.005)))))
    return memes


@pytest.fixture(scope="module")
def trained(captions_dir, tmp_path_factory):
    vocab = Vocabulary.load(captions_dir / "vocab.json")
    vectors = np.load(captions_dir / "word2vec.npy").astype(np.float32)
    config = TrainConfig(encoder="pool", hidden=8, template_dim=4, word_weights=0, bigram_buckets=0, epochs=3,
                         batch_size=64, lr=1e-2, threads=1)  # fmt: skip
    model, templates, history = train(planted_memes(600, 1), planted_memes(200, 2), vocab, vectors, config, log=lambda _: None)
    out = tmp_path_factory.mktemp("scorer")
    save(out, model, templates, {**config_dict(config, vocab), "version": "test-scorer"}, captions_dir)
    return out, history


def test_training_learns_a_planted_preference_and_generalises_through_the_vectors(trained, captions_dir):
    out, history = trained
    assert history[-1]["validation_auc"] > 0.9
    scorer = load(out, captions_dir)
    # Words never seen in training, known only by their vectors: "hilarious" is close to "funny", "dull" to "boring".
    liked = scorer.score("t", ["my cat", "hilarious again"])
    disliked = scorer.score("t", ["my cat", "dull again"])
    assert liked > disliked
    assert scorer.prefer("t", ["my cat", "hilarious again"], ["my cat", "dull again"]) > 0.6


def test_batched_scores_equal_single_scores_and_unknown_templates_score(trained, captions_dir):
    scorer = load(trained[0], captions_dir)
    captions = [["funny cat"], ["boring dog", "monday"], ["", "coffee again"], []]
    batch = scorer.score_batch("t", captions)
    assert batch == pytest.approx([scorer.score("t", c) for c in captions], abs=1e-5)
    assert all(isinstance(s, float) and np.isfinite(s) for s in scorer.score_batch("never-seen", captions))
    many = scorer.score_many([("t", captions[0]), ("never-seen", captions[1])])
    assert many[0] == pytest.approx(batch[0], abs=1e-5)


def test_loading_refuses_another_vocabulary_or_other_vectors(trained, captions_dir, tmp_path):
    out = trained[0]
    grown = tmp_path / "grown"
    grown.mkdir()
    for name in ("word2vec.npy", "config.json"):
        (grown / name).write_bytes((captions_dir / name).read_bytes())
    words = json.loads((captions_dir / "vocab.json").read_text())
    (grown / "vocab.json").write_text(json.dumps(words[:-1] + ["meme"]))  # a word swapped
    with pytest.raises(VocabularyMismatch):
        load(out, grown)
    retrained = tmp_path / "retrained"
    retrained.mkdir()
    (retrained / "vocab.json").write_bytes((captions_dir / "vocab.json").read_bytes())
    vectors = np.load(captions_dir / "word2vec.npy")
    np.save(retrained / "word2vec.npy", vectors[::-1].copy())  # same words, other vectors
    with pytest.raises(VocabularyMismatch):
        load(out, retrained)
    assert load(out, captions_dir).config["captions_model"]["vocab_size"] == len(SPECIALS) + len(WORDS)


def test_the_scorer_stores_no_word_vectors(trained):
    state = torch.load(trained[0] / "weights.pt")
    assert not any("vectors" in name for name in state)


# --- the shipped scorer ------------------------------------------------------------------------------------------
shipped = pytest.mark.skipif(not (PRETRAINED / "weights.pt").exists(), reason="no committed scorer")


@shipped
def test_shipped_scorer_is_small_and_loads_against_the_bundled_caption_model():
    assert sum(f.stat().st_size for f in Path(PRETRAINED).rglob("*") if f.is_file()) <= 4 * 2**20
    scorer = load()
    config = json.loads((PRETRAINED / "config.json").read_text())
    assert config["heldout"]["auc"] >= 0.62
    scores = scorer.score_batch("drake-hotline-bling", [["doing homework", "memes at 3 am"], ["a", "b"]])
    assert all(np.isfinite(scores))
    # memegen's slug resolves to the corpus's template through the caption model's aliases
    assert scorer.template_row("drake") == scorer.template_row("drake-hotline-bling") != scorer.model.unknown_template


def test_fine_tuning_learns_what_the_site_votes_for_and_keeps_the_template_rows(trained, captions_dir):
    """Site votes (ups out of the votes cast, paired like views) teach a taste the corpus never showed."""
    scorer = load(trained[0], captions_dir)
    site = [Meme(m.record, views=40, votes=36 if i % 2 == 0 else 4) for i, m in
            enumerate(planted_memes(400, 3, liked="coffee", disliked="monday"))]  # fmt: skip
    config = TrainConfig(encoder="pool", hidden=8, template_dim=4, word_weights=0, bigram_buckets=0, epochs=3,
                         batch_size=32, lr=1e-2, threads=1)  # fmt: skip
    rule = {"min_views": 5, "view_factor": 4.0, "rate_factor": 1.5}
    before = scorer.prefer("t", ["my cat", "coffee again"], ["my cat", "monday again"])
    model, templates, history = fine_tune(scorer, site, [], config, rule, log=lambda _: None)
    assert templates == sorted(scorer.template_rows, key=scorer.template_rows.get)
    assert history[-1]["pairs"] > 100
    tuned = Scorer(model, scorer.vocab, templates, scorer.config)
    assert tuned.prefer("t", ["my cat", "coffee again"], ["my cat", "monday again"]) > max(0.7, before)
    assert scorer.model is not model  # the scorer it started from is unchanged


def test_imgflips_talk_of_itself_is_recognised():
    from ml.scorer.data import talks_about_votes, without_vote_talk

    talk = [meme(1, ["UPVOTE if you agree"], 100, 1), meme(2, ["made the front page", "again"], 100, 1),
            meme(3, ["one does not simply", "make MEMES"], 100, 1)]  # fmt: skip
    plain = [meme(4, ["one does not simply", "walk into mordor"], 100, 1), meme(5, ["page one", "front door"], 100, 1)]
    assert all(map(talks_about_votes, talk)) and not any(map(talks_about_votes, plain))
    assert without_vote_talk(talk + plain) == plain
