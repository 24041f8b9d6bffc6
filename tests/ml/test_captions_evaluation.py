"""The evaluation's numbers, checked on a stand-in model whose right answers are known by hand."""
import json
import math
import random
import sys
import types
from collections import Counter

import pytest

from ml.captions.__main__ import main
from ml.captions.data import CaptionRecord, TemplateInfo, is_heldout
from ml.captions.evaluation import (
    EvaluationSets,
    TemplateClassifier,
    catchphrase,
    common_words,
    content_words,
    derangement,
    distinct_n,
    evaluate,
    evaluation_sets,
    has_informative_title,
    rare_word_share,
    title_effect,
    title_use_numbers,
)
from ml.captions.ngram import NgramBaseline, perplexity
from ml.captions.prompts import PROMPT_TITLES
from ml.captions.text import caption_tokens, tokenize
from ml.captions.vocab import Vocabulary

TEMPLATES = {
    "pets": TemplateInfo("pets", "Pet Life", 2, ("animals",), ("my cat", "sleeps")),
    "work": TemplateInfo("work", "Office Pain", 2, ("job",), ("monday", "boss")),
    "boats": TemplateInfo("boats", "Boat Troubles", 2, ("I'm on a boat",), ("i'm on a boat", "sinking")),
}
SEEN = {slug: TEMPLATES[slug] for slug in ("pets", "work")}
CONFIG = {"version": "stand-in", "cold_templates": 0, "limit": None, "seed": 0}
TYPICAL = {"pets": ["my cat on monday", "what a cat"], "work": ["when monday comes", "the boss says no"],
           "boats": ["i'm on a boat", "and it is sinking"]}


def corpus(n=400):
    """Two seen templates; meme ids 0..n-1, of which the fixed split holds out about 5%."""
    rng = random.Random(0)
    records = []
    for i in range(n):
        pet, day = rng.choice(["cat", "dog", "bird"]), rng.choice(["monday", "friday", "tuesday"])
        if i % 2:
            records.append(CaptionRecord("pets", (f"my {pet} on {day}", f"what a {pet}"), f"{pet} photos", meme_id=str(i)))
        else:
            records.append(CaptionRecord("work", (f"when {day} comes", "the boss says no"), day, meme_id=str(i)))
    return records


def boats(n=20):
    moods = ["sinking", "floating", "leaking", "fine"]
    return [CaptionRecord("boats", ("i'm on a boat", f"and it is {moods[i % 4]}"), f"boat day {i}", meme_id=f"b{i}")
            for i in range(n)]


def vocabulary(records):
    counts = Counter(token for r in records for token in caption_tokens(r.boxes))
    return Vocabulary(word for word, _ in counts.most_common())


def copy_title(title, template, index):
    return [title] * template.n_boxes


class StandIn:
    """A caption model with fixed behaviour: `write(title, template, index)` makes each candidate, and every caption
    token costs log(cost(record)) nats (by default the vocabulary's size: a uniform model)."""

    version = "stand-in"

    def __init__(self, write=copy_title, cost=None, templates=SEEN):
        self.vocab = vocabulary(corpus() + boats())
        self.templates = dict(templates)
        self.write, self.cost = write, cost or (lambda record: len(self.vocab))

    def generate(self, title, template, n=4, seed=None):
        return [self.write(title, template, index) for index in range(n)]

    def log_likelihood(self, records, templates=None):
        records = list(records)
        sizes = [len(caption_tokens(r.boxes)) for r in records]
        return sum(size * math.log(self.cost(r)) for r, size in zip(records, sizes)), sum(sizes)


def test_content_words_are_lower_case_singular_and_not_stopwords():
    assert content_words("When the Mondays hit my Cats") == {"monday", "hit", "cat"}
    assert content_words("the boss's glass cats") == {"boss", "glass", "cat"}  # "ss" is no plural


def test_a_title_is_informative_when_it_says_more_than_the_template_name():
    pets = TEMPLATES["pets"]
    assert not has_informative_title(CaptionRecord("pets", ("a",), "Pet life animals"), pets)
    assert has_informative_title(CaptionRecord("pets", ("a",), "pet life: my cat"), pets)


@pytest.mark.parametrize("n", [2, 3, 7, 50])
def test_derangement_moves_every_item_and_is_seeded(n):
    order = derangement(n, seed=5)
    assert sorted(order) == list(range(n)) and all(order[i] != i for i in range(n))
    assert order == derangement(n, seed=5)


def test_distinct_n_counts_unique_ngrams_over_all_ngrams():
    captions = [["a b", "a b"], ["a c"]]
    assert distinct_n(captions, 1) == pytest.approx(3 / 6)
    assert distinct_n(captions, 2) == pytest.approx(2 / 3)


def test_rare_words_are_those_outside_the_most_frequent_training_words():
    common = common_words([CaptionRecord("t", ("a a a b b c",))], n=2)
    assert common == {"a", "b"}
    assert rare_word_share([["a c!", "d"]], common) == pytest.approx(2 / 3)  # punctuation is no word


def test_classifier_names_the_template_of_typical_captions():
    classifier = TemplateClassifier(corpus(100))
    assert classifier.predict(["my dog", "what a dog"]) == "pets"
    assert classifier.predict(["the boss says"]) == "work"


def test_catchphrase_is_the_description_ngram_most_captions_carry():
    boat = TEMPLATES["boats"]
    captions = [["i'm on a boat", "x"], ["I'm on a boat", "y"], ["get a boat", "z"], ["nothing", "here"]]
    assert catchphrase(boat, captions) == ("a boat", 0.75)
    assert catchphrase(boat, captions[:2]) == ("i'm on a boat", 1.0)  # a tie goes to the longer phrase
    assert catchphrase(boat, [["get a boat", "z"], ["no", "no"], ["no", "no"], ["no", "no"]]) is None  # 25% < 30%


def test_a_uniform_model_has_the_vocabulary_size_as_perplexity_and_no_title_effect():
    model = StandIn()
    results = evaluate(model, evaluation_sets(corpus() + boats(), CONFIG, model.templates), TEMPLATES, n_generate=8)
    assert results["perplexity"] == pytest.approx(len(model.vocab))
    assert results["unseen_perplexity"] == pytest.approx(len(model.vocab))
    assert results["title_effect"] == pytest.approx(0)
    assert results["perplexity_ratio"] == pytest.approx(len(model.vocab) / results["baseline_perplexity"])


def test_title_effect_of_a_model_that_reads_the_title():
    """Tokens cost log 2 when the caption holds a content word of its title, log 8 otherwise: with the true titles
    both informative captions cost log 2 a token, with the titles swapped log 8, so the effect is 1 - 2/8."""
    records = [
        CaptionRecord("pets", ("my cat", "sleeps"), "cat life"),
        CaptionRecord("work", ("the boss", "says no"), "boss rules"),
        CaptionRecord("pets", ("my dog", "barks"), "Pet Life"),  # the template's name: not informative
    ]
    reads = StandIn(cost=lambda r: 2 if content_words(r.title) & set(tokenize(" ".join(r.boxes))) else 8)
    results = title_effect(reads, records, TEMPLATES, seed=0)
    assert results["title_effect_captions"] == 2
    assert results["perplexity_true_titles"] == pytest.approx(2)
    assert results["perplexity_shuffled_titles"] == pytest.approx(8)
    assert results["title_effect"] == pytest.approx(0.75)


def test_title_use_of_a_model_that_copies_the_title_is_one():
    templates = {slug: TemplateInfo.from_slug(slug) for slug in ("two-buttons", "drake-hotline-bling")}
    results, captions = title_use_numbers(StandIn(copy_title), templates, seed=0)
    assert results["title_use"] == 1.0
    assert results["title_use_titles"] == len(PROMPT_TITLES) >= 40
    assert len(captions) == results["title_use_captions"] == len(PROMPT_TITLES) * 2 * 4  # each title on both, n=4
    assert title_use_numbers(StandIn(lambda *_: ["waffles", "pancakes"]), templates, seed=0)[0]["title_use"] == 0.0


def test_copy_rate_of_a_model_that_emits_training_captions_is_one():
    sets = evaluation_sets(corpus(), CONFIG, SEEN)
    emits_training = StandIn(lambda title, template, index: list(sets.train[index].boxes))
    assert evaluate(emits_training, sets, TEMPLATES, n_generate=8)["copy_rate"] == 1.0
    assert evaluate(StandIn(copy_title), sets, TEMPLATES, n_generate=8)["copy_rate"] == 0.0


def test_a_model_writing_each_templates_typical_caption_is_faithful_seen_and_unseen_and_says_the_catchphrase():
    typical = StandIn(lambda title, template, index: TYPICAL[template.slug])
    results = evaluate(typical, evaluation_sets(corpus() + boats(), CONFIG, SEEN), TEMPLATES, n_generate=16)
    assert results["template_fidelity"] == results["unseen_template_fidelity"] == 1.0
    assert results["unseen_catchphrase_templates"] == 1
    assert results["unseen_catchphrase_share"] == results["unseen_catchphrase_human_share"] == 1.0
    assert results["unseen_catchphrase.boats"].startswith('"i\'m on a boat"')


def test_the_baseline_is_fitted_on_the_models_training_data_only():
    model = StandIn()
    sets = evaluation_sets(corpus(), CONFIG, model.templates)
    assert sets.heldout and all(is_heldout(r) for r in sets.heldout)
    assert not any(is_heldout(r) for r in sets.train)
    results = evaluate(model, sets, TEMPLATES, n_generate=8)
    nll, n_tokens = NgramBaseline.fit(sets.train, model.vocab, seed=0).log_likelihood(sets.heldout)
    assert results["baseline_perplexity"] == pytest.approx(perplexity(nll, n_tokens))
    seen_all_nll, _ = NgramBaseline.fit(sets.train + sets.heldout, model.vocab, seed=0).log_likelihood(sets.heldout)
    assert seen_all_nll < nll  # the check above would tell a baseline that had seen them


def test_a_template_the_model_has_no_row_for_is_unseen_and_not_training_data():
    model = StandIn(templates={"pets": TEMPLATES["pets"]})
    sets = evaluation_sets(corpus(), CONFIG, model.templates)
    assert {r.template for r in sets.train} == {r.template for r in sets.heldout} == {"pets"}
    assert len(sets.unseen) == 200 and {r.template for r in sets.unseen} == {"work"}


def test_a_captions_file_is_held_out_whole_never_re_split():
    file = corpus(60)[::3] + boats(6)  # most of these ids are not in the fixed held-out part
    sets = evaluation_sets(corpus(), CONFIG, SEEN, captions=file)
    assert sets.heldout == [r for r in file if r.template != "boats"] and sets.unseen == boats(6)
    assert sets.train == evaluation_sets(corpus(), CONFIG, SEEN).train
    results = evaluate(StandIn(), sets, TEMPLATES, n_generate=8)
    assert (results["heldout_captions"], results["unseen_captions"]) == (20, 6)
    assert results["heldout_duplicates_of_training"] > 0  # these captions are in the corpus, and it says so


def test_a_model_whose_tokens_differ_from_the_baselines_is_refused():
    class Miscounts(StandIn):
        def log_likelihood(self, records, templates=None):
            nll, n_tokens = super().log_likelihood(records, templates)
            return nll, n_tokens + 1

    with pytest.raises(ValueError, match="not the same tokens"):
        evaluate(Miscounts(), evaluation_sets(corpus(), CONFIG, SEEN), TEMPLATES, n_generate=8)


def test_offensive_share_and_slurs_of_generated_captions():
    results = evaluate(StandIn(lambda *_: ["i will kill you", "tonight"]), evaluation_sets(corpus(), CONFIG, SEEN),
                       TEMPLATES, n_generate=8)
    assert results["generated_captions"] == 8
    assert (results["offensive_share"], results["slur_captions"]) == (1.0, 0)
    assert results["request_ms_p50"] >= 0


def write_jsonl(path, records):
    path.write_text("\n".join(
        json.dumps({"t": r.template, "boxes": list(r.boxes), "title": r.title, "views": 0, "votes": 0, "id": r.meme_id})
        for r in records
    ))
    return path


@pytest.fixture
def stand_in_loader(monkeypatch):
    """`CaptionGenerator.load` answers the stand-in (whatever state the real model code is in)."""
    module = types.ModuleType("ml.captions.generate")
    module.CaptionGenerator = types.SimpleNamespace(load=lambda model_dir, device=None: StandIn())
    monkeypatch.setitem(sys.modules, "ml.captions.generate", module)


def test_command_line_evaluates_a_file_of_unseen_templates_as_cold_start(tmp_path, capsys, stand_in_loader):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "templates" / "boats").mkdir(parents=True)
    (tmp_path / "templates" / "boats" / "config.yml").write_text("name: Boat Troubles\ntext:\n  - {}\n  - {}\n")
    main(["eval", "--model", str(tmp_path / "model"), "--corpus", str(write_jsonl(tmp_path / "corpus.jsonl", corpus())),
          "--templates", str(tmp_path / "templates"), "--captions", str(write_jsonl(tmp_path / "new.jsonl", boats())),
          "--n-generate", "8"])
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert (printed["heldout_captions"], printed["unseen_captions"]) == ("0", "20")
    assert printed["seen"].startswith("skipped")
    assert float(printed["unseen_perplexity"]) == pytest.approx(len(StandIn().vocab), rel=1e-3)
    assert float(printed["unseen_baseline_perplexity"]) > 1
