"""Training and generation on a tiny synthetic corpus: two templates with different words and box counts."""
import json
import random

import pytest
import torch

from ml.captions.batches import collate
from ml.captions.data import CaptionRecord, TemplateInfo
from ml.captions.generate import TASTE_WEIGHT, Candidate, CaptionGenerator, _nucleus_draw, _pick
from ml.captions.text import BOX
from ml.captions.training import TrainConfig, train
from ml.captions.vocab import Vocabulary

TEMPLATES = {
    "pets": TemplateInfo("pets", "Pet Life", 2, ("animals",), ("my cat", "sleeps")),
    "work": TemplateInfo("work", "Office Pain", 3, ("job",), ("monday", "boss", "no")),
}
TINY = dict(dim=8, hidden=32, encoder_hidden=16, template_dim=8, batch_size=16, lr=1e-2, word2vec_epochs=2,
            heldout_max=100, min_count=1, dropout=0.0)  # fmt: skip


def tiny_records(n=300, seed=0):
    rng = random.Random(seed)
    records = []
    for _ in range(n):
        pet, day = rng.choice(["cat", "dog", "bird"]), rng.choice(["monday", "friday", "tuesday"])
        records.append(CaptionRecord("pets", (f"my {pet} on {day}", f"sleeps all day, what a {pet}!"), f"{pet} life"))
        records.append(CaptionRecord("work", (f"when {day} comes", "the boss says", "no vacation"), day))
    return records


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    metrics = train(tiny_records(), TEMPLATES, TrainConfig(epochs=3, **TINY), out, progress=False,
                    heldout=tiny_records(40, seed=1))  # fmt: skip
    return out, metrics


@pytest.fixture(scope="module")
def generator(trained):
    return CaptionGenerator.load(trained[0], device="cpu")


def test_training_lowers_train_and_heldout_loss(trained):
    epochs = trained[1]["epochs"]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert epochs[-1]["heldout_loss"] < epochs[0]["heldout_loss"]


def test_training_writes_the_model_directory(trained):
    out, metrics = trained
    for name in ("weights.pt", "vocab.json", "word2vec.npy", "config.json", "metrics.json", "loss.png", "words_pca.png"):
        assert (out / name).stat().st_size > 0, name
    assert json.loads((out / "metrics.json").read_text()) == metrics
    seen = {t["slug"]: t for t in json.loads((out / "templates.json").read_text())}
    assert seen["work"]["box_counts"] == [0, 0, 300]  # every work caption filled its 3 boxes


def test_resume_continues_from_the_checkpoint(tmp_path):
    config = TrainConfig(epochs=1, **TINY)
    train(tiny_records(50), TEMPLATES, config, tmp_path, progress=False)
    config.epochs = 2
    metrics = train(tiny_records(50), TEMPLATES, config, tmp_path, progress=False, resume=True)
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]


def test_a_run_stopped_early_and_resumed_ends_as_an_uninterrupted_one(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train(tiny_records(50), TEMPLATES, TrainConfig(epochs=2, **TINY), whole, progress=False)
    stopped = train(tiny_records(50), TEMPLATES, TrainConfig(epochs=2, stop_after=1, **TINY), parts, progress=False)
    assert [e["epoch"] for e in stopped["epochs"]] == [1] and stopped["version"].endswith("-stop1-seed0")
    assert json.loads((parts / "config.json").read_text())["version"] == stopped["version"]
    train(tiny_records(50), TEMPLATES, TrainConfig(epochs=2, **TINY), parts, progress=False, resume=True)
    whole_weights, resumed_weights = torch.load(whole / "weights.pt"), torch.load(parts / "weights.pt")
    assert all(torch.equal(whole_weights[name], resumed_weights[name]) for name in whole_weights)


def test_unseen_template_gets_n_candidates_with_every_box_filled(generator):
    new = TemplateInfo("brand-new", "Brand New Template", 4, examples=("such meme",))
    candidates = generator.generate("my cat hates monday", new, n=3, seed=0)
    assert len(candidates) == 3
    assert all(len(boxes) == 4 and all(box.strip() for box in boxes) for boxes in candidates)


def test_boxes_follow_how_many_people_fill(generator):
    """A template whose captions fill 2 of its 3 boxes gets captions with 2 boxes written and the third empty."""
    two_of_three = TemplateInfo("pets", "Pet Life", 3, box_counts=(0, 50, 0))
    generator.templates["pets"], learned = two_of_three, generator.templates["pets"]
    try:
        candidates = generator.generate("dog", two_of_three, n=4, seed=1)
    finally:
        generator.templates["pets"] = learned
    assert all(len(boxes) == 3 and boxes[0] and boxes[1] and boxes[2] == "" for boxes in candidates)


def test_sampling_with_a_seed_is_repeatable(generator):
    first = generator.generate("dog", TEMPLATES["pets"], n=4, seed=7)
    assert first == generator.generate("dog", TEMPLATES["pets"], n=4, seed=7)


def test_template_conditioning_shows_in_the_words(generator):
    work = " ".join(box for boxes in generator.generate("", TEMPLATES["work"], n=4, seed=0, temperature=0) for box in boxes)
    pets = " ".join(box for boxes in generator.generate("", TEMPLATES["pets"], n=4, seed=0, temperature=0) for box in boxes)
    assert "boss" in work and "boss" not in pets
    assert "sleeps" in pets and "sleeps" not in work


def test_the_next_word_distribution_is_the_whole_mixture(generator):
    """Vocabulary and copy together sum to one: sampling draws from the model's true distribution."""
    sources, segments, _ = generator._source("my dog", TEMPLATES["pets"])
    with torch.no_grad():
        memory, mask, template, (h, c) = generator.model.encode(torch.tensor([0]), sources, segments, torch.tensor([sources.shape[1]]))
        state = (h[0], c[0])
        log_probs, copy_lp, attention, _ = generator.step(template, memory, mask, torch.tensor([generator.vocab.end]), state, 3)
    assert torch.isneginf(log_probs[:, -3:]).all()  # the extra columns (copy slots) have no vocabulary mass
    total = log_probs.exp().sum() + copy_lp.exp() * attention.sum()
    assert torch.allclose(total, torch.ones(1), atol=1e-5)


def test_the_decoding_step_gives_the_probabilities_the_model_was_trained_on(generator):
    """Step by step, the generator's fused step gives each word of a caption the log-probability that the model's
    own teacher-forced pass (training's, scoring's) gives it."""
    record = CaptionRecord("pets", ("my dog on friday", "sleeps all day"), "dog life")
    batch = collate([generator.encoder.example(record, TEMPLATES["pets"])], generator.vocab)
    with torch.no_grad():
        expected = generator.model.token_log_probs(batch)[0]
        memory, mask, template, (h, c) = generator.model.encode(batch.templates, batch.sources, batch.segments, batch.source_lengths)
        state, stepped = (h[0], c[0]), []
        for word, target in zip(batch.inputs[0], batch.targets[0]):
            log_probs, copy_lp, attention, state = generator.step(template, memory, mask, word.view(1), state)
            copied = attention[0, (batch.sources[0] == target) & generator.model.copyable(batch.sources, mask)[0]].sum()
            stepped.append(torch.logaddexp(log_probs[0, target], copy_lp[0] + copied.log()))
    assert torch.allclose(torch.stack(stepped), expected, atol=1e-4)


def test_a_title_word_outside_the_vocabulary_can_be_copied(generator, monkeypatch):
    """The copy writes the title's own word where the vocabulary has none (an extended-vocabulary slot)."""
    step = generator.step

    def copies_the_title(template, memory, mask, words, state, extra_columns):
        log_probs, _, attention, state = step(template, memory, mask, words, state, extra_columns)
        attention = torch.zeros_like(attention)
        attention[:, 0] = 1.0  # all attention on the title's first word
        return log_probs - 30.0, torch.zeros(len(words)), attention, state

    monkeypatch.setattr(generator, "step", copies_the_title)
    new = TemplateInfo("brand-new", "Brand New Template", 1)
    (boxes,) = generator.generate("zorglub", new, n=1, seed=0, rank=False)
    assert boxes[0].startswith("zorglub")


def test_blocked_word_is_never_emitted_even_when_most_likely(trained, monkeypatch):
    generator = CaptionGenerator.load(trained[0], device="cpu", extra_blocked={"my"})
    step, my = generator.step, generator.vocab.index["my"]

    def likes_my(*args):
        log_probs, *rest = step(*args)
        return (log_probs.index_fill(1, torch.tensor([my]), 50.0), *rest)

    monkeypatch.setattr(generator, "step", likes_my)
    candidates = generator.generate("my cat", TEMPLATES["pets"], n=4, seed=0)
    assert not any("my" in box.split() for boxes in candidates for box in boxes)


def test_log_likelihood_counts_every_caption_token(generator):
    records = tiny_records(5, seed=2)
    nll, n_tokens = generator.log_likelihood(records)
    assert n_tokens == sum(len(" <box> ".join(r.boxes).replace(",", " ,").replace("!", " !").split()) + 1 for r in records)
    assert 0 < nll / n_tokens < 3


def test_log_likelihood_against_a_smaller_vocabulary_lumps_the_words_it_lacks(generator):
    records = tiny_records(5, seed=2)
    own, n_tokens = generator.log_likelihood(records)
    same, _ = generator.log_likelihood(records, reference=Vocabulary(generator.vocab.words))
    lumped, lumped_tokens = generator.log_likelihood(records, reference=Vocabulary(generator.vocab.words[:8]))
    assert same == pytest.approx(own, rel=1e-4) and lumped_tokens == n_tokens
    assert lumped < own  # several words are one outcome now: each is likelier


def test_nucleus_sampling_keeps_to_the_likeliest_words():
    log_probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log().expand(20_000, -1)
    draws = _nucleus_draw(log_probs, 1.0, 0.7, torch.Generator().manual_seed(0))
    assert set(draws.tolist()) == {0, 1}  # 0.5 + 0.3 reach 0.7; the rest is cut
    assert abs((draws == 0).float().mean() - 0.5 / 0.8) < 0.02
    assert _nucleus_draw(log_probs[:1], 0.0, 0.7, torch.Generator()).tolist() == [0]


def test_ranking_shows_the_best_and_varies_them():
    a = Candidate(["i", "love", "cats"], -1.0, ["i love cats"], score=3.0)
    a_again = Candidate(["i", "love", "cats", "!"], -1.0, ["i love cats!"], score=2.9)
    b = Candidate(["mondays", "again"], -1.0, ["mondays again"], score=2.0)
    assert _pick([b, a_again, a], 2, rank=True) == [a, b]
    assert _pick([b, a_again, a], 2, rank=False) == [b, a_again]


def filled(boxes) -> int:
    return sum(bool(box) for box in boxes)


def test_taste_ranks_the_captions_people_would_like_first(generator):
    """A scorer's taste (here: for the caption the plain ranking put last among those of its layout) moves that
    caption to the top; rank_scores gives any caption the same terms, taste entering less its layout's mean."""
    plain = generator.generate("my pet", TEMPLATES["pets"], n=12, drawn=12, seed=2)
    target = next(c for c in reversed(plain) if sum(filled(o) == filled(c) for o in plain) > 1)
    likes = lambda captions: [100.0 * (list(boxes) == target) for boxes in captions]  # noqa: E731
    tasteful = generator.generate("my pet", TEMPLATES["pets"], n=12, drawn=12, seed=2, taste=likes)
    assert plain[0] != target and tasteful[0] == target
    assert sorted(map(tuple, tasteful)) == sorted(map(tuple, plain))  # the same candidates, ranked otherwise
    other = next(c for c in plain if c != target and filled(c) == filled(target))
    without = generator.rank_scores("my pet", TEMPLATES["pets"], [target, other])
    with_taste = generator.rank_scores("my pet", TEMPLATES["pets"], [target, other], likes)
    assert with_taste[0] - without[0] == pytest.approx(50.0 * TASTE_WEIGHT, rel=1e-4)
    assert with_taste[1] - without[1] == pytest.approx(-50.0 * TASTE_WEIGHT, rel=1e-4)


def test_taste_never_trades_the_layout():
    """Captions that fill different numbers of boxes are not compared by taste: each is its layout's only one."""
    from ml.captions.generate import _taste_terms

    one, two, two_again = (Candidate([], -1.0, boxes) for boxes in (["a b", ""], ["a", "b"], ["c", "d"]))
    terms = _taste_terms(lambda captions: [5.0, 1.0, 3.0], [one, two, two_again])
    assert terms == [0.0, -1.0, 1.0]
