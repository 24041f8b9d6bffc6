"""Fine-tuning (ml alone, no Django): new words and a new template join a trained model, which then learns them."""

import math

import pytest
import torch

from ml.captions.batches import Encoder, batches
from ml.captions.data import CaptionRecord, TemplateInfo
from ml.captions.finetune import FineTuneConfig, fine_tune
from ml.captions.generate import CaptionGenerator
from ml.captions.storage import read_model
from ml.captions.training import mean_loss

SPACE = TemplateInfo("space", "Space Rocket", 2, ("rocket", "launch"), ("to the moon", "liftoff"))


def space_records(n, seed=0):
    """Captions for a template the base model never saw, with words it does not know (rocket, orbit, nasa)."""
    import random

    rng = random.Random(seed)
    return [
        CaptionRecord("space", (f"rocket goes to {rng.choice(['orbit', 'mars', 'nasa'])}", "liftoff in orbit"), "rocket")
        for _ in range(n)
    ]


def nll_per_token(model_dir, records, templates) -> float:
    model, vocab, seen, _ = read_model(model_dir, torch.device("cpu"))
    encoder = Encoder(vocab, [t.slug for t in seen])
    return mean_loss(model, batches(encoder.examples(records, templates), 64, vocab), torch.device("cpu"))


@pytest.fixture(scope="module")
def tuned(tiny_caption_model_dir, tmp_path_factory):
    from tests.ml.test_captions_model import TEMPLATES, tiny_records

    templates = {**TEMPLATES, "space": SPACE}
    out = tmp_path_factory.mktemp("tuned")
    records = space_records(200) + tiny_records(100, seed=5)
    config = FineTuneConfig(version="tuned-test", epochs=3, lr=5e-3, batch_size=16, threads=1)
    stages = []
    metrics = fine_tune(tiny_caption_model_dir, records, templates, config, out, progress=False,
                        on_progress=lambda fraction, stage: stages.append((fraction, stage)))  # fmt: skip
    return out, metrics, templates, stages


def test_new_words_and_the_new_template_join_the_model(tiny_caption_model_dir, tuned):
    out, metrics, templates, stages = tuned
    base_model, base_vocab, base_seen, _ = read_model(tiny_caption_model_dir, torch.device("cpu"))
    model, vocab, seen, config = read_model(out, torch.device("cpu"))
    assert {"rocket", "orbit", "liftoff"} <= set(vocab.words) - set(base_vocab.words)
    assert vocab.words[: len(base_vocab)] == base_vocab.words  # old ids keep their meaning
    assert [t.slug for t in seen] == [t.slug for t in base_seen] + ["space"]
    assert metrics["new_templates"] == 1 and metrics["new_words"] == len(vocab) - len(base_vocab)
    assert config["base"] == "tiny-test-model" and config["version"] == "tuned-test"
    assert [fraction for fraction, _ in stages] == sorted(fraction for fraction, _ in stages)


def test_the_new_template_is_learned(tiny_caption_model_dir, tuned):
    out, _, templates, _ = tuned
    fresh = space_records(50, seed=99)  # captions not trained on
    before, after = nll_per_token(tiny_caption_model_dir, fresh, templates), nll_per_token(out, fresh, templates)
    assert after < before - 0.5, (before, after)
    assert math.isfinite(after)


def test_the_tuned_model_writes_captions_with_its_new_words(tuned):
    out, _, templates, _ = tuned
    generator = CaptionGenerator.load(out, device="cpu")
    captions = generator.generate("rocket", templates["space"], n=4, seed=1)
    words = " ".join(" ".join(caption) for caption in captions)
    assert len(captions) == 4 and all(len(caption) == 2 for caption in captions)
    assert "rocket" in words or "orbit" in words or "liftoff" in words


def test_perplexity_on_a_reference_vocabulary_scores_the_same_tokens(tiny_caption_model_dir, tuned):
    from ml.captions.evaluation import perplexity_of
    from ml.captions.vocab import Vocabulary

    out, _, templates, _ = tuned
    base_vocab = Vocabulary.load(tiny_caption_model_dir / "vocab.json")
    records = space_records(30, seed=3)
    # Against its own vocabulary nothing changes; a grown model's new words are lumped as the base's <unk> is,
    # which can only make the same tokens more likely.
    assert perplexity_of(tiny_caption_model_dir, records, templates, reference=base_vocab) == pytest.approx(
        perplexity_of(tiny_caption_model_dir, records, templates)
    )
    assert perplexity_of(out, records, templates, reference=base_vocab) < perplexity_of(out, records, templates)
