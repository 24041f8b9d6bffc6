"""Training and generation on a tiny synthetic corpus: two templates with different words and box counts."""
import json
import random

import pytest
import torch

from ml.captions.data import CaptionRecord, TemplateInfo
from ml.captions.generate import CaptionGenerator
from ml.captions.text import BOX
from ml.captions.training import TrainConfig, train

TEMPLATES = {
    "pets": TemplateInfo("pets", "Pet Life", 2, ("animals",), ("my cat", "sleeps")),
    "work": TemplateInfo("work", "Office Pain", 3, ("job",), ("monday", "boss", "no")),
}
TINY = dict(dim=8, hidden=32, condition_dim=8, batch_size=16, lr=1e-2, word2vec_epochs=2, heldout_max=100)


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
                    heldout=tiny_records(40, seed=1))
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


@pytest.mark.parametrize("method", ["sample", "beam"])
def test_unseen_template_gets_n_candidates_with_every_box_filled(generator, method):
    new = TemplateInfo("brand-new", "Brand New Template", 4, examples=("such meme",))
    candidates = generator.generate("my cat hates monday", new, n=3, method=method, seed=0)
    assert len(candidates) == 3
    assert all(len(boxes) == 4 and all(box.strip() for box in boxes) for boxes in candidates)


def test_sampling_with_a_seed_is_repeatable(generator):
    first = generator.generate("dog", TEMPLATES["pets"], n=4, seed=7)
    assert first == generator.generate("dog", TEMPLATES["pets"], n=4, seed=7)


def test_template_conditioning_shows_in_the_words(generator):
    (work,) = generator.generate("", TEMPLATES["work"], n=1, method="beam")
    (pets,) = generator.generate("", TEMPLATES["pets"], n=1, method="beam")
    assert "boss" in " ".join(work) and "boss" not in " ".join(pets)
    assert "sleeps" in " ".join(pets) and "sleeps" not in " ".join(work)


def test_blocked_word_is_never_emitted_even_when_most_likely(trained, monkeypatch):
    generator = CaptionGenerator.load(trained[0], device="cpu", extra_blocked={"my"})
    log_probs, my = generator.model.head.log_probs, generator.vocab.index["my"]

    def wants_my_everywhere(hidden, vectors):
        return log_probs(hidden, vectors).index_fill(1, torch.tensor([my]), 50.0)

    monkeypatch.setattr(generator.model.head, "log_probs", wants_my_everywhere)
    for method in ("sample", "beam"):
        candidates = generator.generate("my cat", TEMPLATES["pets"], n=4, method=method, seed=0)
        assert not any("my" in box.split() for boxes in candidates for box in boxes)


def test_on_word_streams_every_word_of_every_candidate(generator):
    streamed = {0: [], 1: []}
    candidates = generator.generate("cat", TEMPLATES["pets"], n=2, seed=3, on_word=lambda i, w: streamed[i].append(w))
    for index, boxes in enumerate(candidates):
        assert " ".join(streamed[index]).count(BOX) == len(boxes) - 1
        assert len([w for w in streamed[index] if w != BOX]) == sum(len(b.replace(",", " ,").replace("!", " !").split()) for b in boxes)


def test_log_likelihood_counts_every_caption_token(generator):
    records = tiny_records(5, seed=2)
    nll, n_tokens = generator.log_likelihood(records)
    assert n_tokens == sum(len(" <box> ".join(r.boxes).replace(",", " ,").replace("!", " !").split()) + 1 for r in records)
    assert 0 < nll / n_tokens < 3


@pytest.mark.parametrize("head", ["regression", "adaptive"])
def test_other_heads_train_generate_and_score(tmp_path, head):
    train(tiny_records(100), TEMPLATES, TrainConfig(epochs=1, head=head, **TINY), tmp_path, progress=False)
    generator = CaptionGenerator.load(tmp_path, device="cpu")
    (boxes,) = generator.generate("cat", TEMPLATES["pets"], n=1, temperature=0)  # the likeliest (nearest) word
    assert len(boxes) == 2 and all(boxes)
    nll, n_tokens = generator.log_likelihood(tiny_records(3))
    assert n_tokens > 0 and 0 < nll / n_tokens < 10


@pytest.fixture(scope="module")
def adaptive_model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("adaptive-model")
    train(tiny_records(100), TEMPLATES, TrainConfig(epochs=1, head="adaptive", **TINY), out, progress=False)
    return out


def one_step_draws(generator, hidden, draws=40_000):
    """Ids of `draws` next words sampled from one hidden state, inside a box that has a word and is not the last
    (so BOX may follow, END may not), with no top-k cut and temperature 1."""
    rows = torch.zeros(draws, dtype=torch.long)
    return generator._next_words(
        hidden.expand(draws, -1), rows, rows + 1, 2, temperature=1.0, top_k=10**6, generator=torch.Generator().manual_seed(0)
    )


def test_sampling_down_the_adaptive_tree_follows_the_models_distribution(adaptive_model_dir):
    generator = CaptionGenerator.load(adaptive_model_dir, device="cpu")
    head = generator.model.head
    hidden = torch.randn(1, generator.model.hidden_size, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        full = head.log_probs(hidden, generator.model.embedding.weight)
        expected = torch.softmax(generator._constrain(full, *torch.tensor([[0], [1]]), 2, generator.banned), dim=-1)[0]
        draws = one_step_draws(generator, hidden)
    observed = torch.bincount(draws, minlength=len(generator.vocab.words)) / len(draws)
    assert (draws >= head.cluster_starts[0]).any(), "the tail cluster was never drawn: the test proves nothing"
    assert 0.5 * (observed - expected).abs().sum() < 0.03  # total variation; sampling noise here is about 0.01


def test_a_blocked_word_in_a_tail_cluster_is_never_drawn(adaptive_model_dir):
    generator = CaptionGenerator.load(adaptive_model_dir, device="cpu")
    hidden = torch.randn(1, generator.model.hidden_size, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        tail_word = int(torch.bincount(one_step_draws(generator, hidden))[generator.model.head.cluster_starts[0]:].argmax())
        tail_word += generator.model.head.cluster_starts[0]
        blocking = CaptionGenerator.load(adaptive_model_dir, device="cpu", extra_blocked={generator.vocab.words[tail_word]})
        assert tail_word not in one_step_draws(blocking, hidden).tolist()
