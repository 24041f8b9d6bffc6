"""A caption model's numbers on captions it never trained on, against a baseline fitted on its training data.

What is scored, and against what:
- The model's own training data is rebuilt from the corpus exactly as training split it (`make_splits` with the
  model's config.json): the n-gram baseline is fitted on that and nothing else, and copy rate, rare words and the
  template classifier are measured against it.
- Held-out captions are the corpus's fixed held-out memes (`data.is_heldout`, by meme id) or, with a caption file,
  the whole file, never re-split. A caption of a template the model trained on is "seen"; any other is "unseen"
  (cold start), where the baseline is in effect the global trigram. A file of unseen templates only is a
  cold-start evaluation; a section with no captions is skipped with a line saying so.
- Nothing is fitted on the evaluation data, with one documented exception: to name a template the model never saw,
  the template classifier must know it, so for unseen templates it also learns from their captions that are not
  used as prompts. A template's catchphrase is read off its real captions too, but that is a definition (the
  n-gram of its description that most of its captions carry), not a fit.

Perplexities are per caption token (words, punctuation, <box>, <end>, unknown words as <unk>): the model and the
baseline on exactly the same tokens. Generation numbers come from `generator.generate(title, template, n=4)`, the
candidates as the site shows them.

The generator is duck-typed (version, vocab, templates, generate, log_likelihood), so the numbers can be checked
against a stand-in whose right answers are known."""
from __future__ import annotations

import json
import math
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .data import CaptionRecord, TemplateInfo, complete_templates, make_splits
from .ngram import NgramBaseline, perplexity
from .prompts import PROMPT_TEMPLATES, PROMPT_TITLES
from .safety import offensive_reasons
from .text import caption_tokens, tokenize
from .vocab import Vocabulary

PER_PROMPT = 4  # candidates per request, as the site asks
COMMON_WORDS = 2000  # a generated word outside the training captions' most frequent ones is "rare"
TEMPLATES_PER_TITLE = 3
CATCHPHRASE_MIN_SHARE = 0.3
SPEED_REQUESTS = 20

STOPWORDS = frozenset("""
a an the and or but if then so than as of at by for from in into on onto to up down out over under with without
about after before again all any both each few more most other some such no nor not only own same too very just
can will would should could may might must shall do does did doing done be is am are was were been being have has
had having get gets got i me my mine myself we us our ours you your yours he him his she her hers it its they them
their theirs this that these those what which who whom whose when where why how here there there's it's i'm i've
i'll i'd you're you've he's she's we're they're don't doesn't didn't can't won't isn't aren't wasn't weren't
let's that's what's im dont cant wont its thats whats lets also even still yet now well oh yes yeah ok okay
""".split())


# ---- words ----

def normalise(word: str) -> str:
    """Lower-case, possessive and plural s stripped ("monday's", "mondays" and "monday" are one word)."""
    word = word.lower().removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_words(text: str) -> set[str]:
    """Normalised words with a letter that are not stopwords."""
    return {normalise(w) for w in tokenize(text) if w not in STOPWORDS and any(ch.isalpha() for ch in w)}


def template_name_words(template: TemplateInfo) -> set[str]:
    """Words of the template's slug, name and alternative names (tags): a title made of these says nothing new."""
    return content_words(" ".join((template.slug.replace("-", " "), template.name, *template.tags)))


def has_informative_title(record: CaptionRecord, template: TemplateInfo) -> bool:
    return bool(content_words(record.title) - template_name_words(template))


def words_of(boxes: Sequence[str]) -> list[str]:
    """The caption's word tokens (punctuation dropped), all boxes in order."""
    return [w for w in tokenize(" ".join(boxes)) if any(ch.isalnum() for ch in w)]


def caption_key(boxes: Sequence[str]) -> str:
    """A caption as tokens: captions that differ only in case or spacing are equal."""
    return " ".join(caption_tokens(boxes))


# ---- generation metrics ----

def distinct_n(captions: Sequence[Sequence[str]], n: int) -> float:
    """Distinct word n-grams (within boxes) over all n-grams of the generated captions."""
    grams = [
        tuple(words[i : i + n])
        for boxes in captions
        for words in map(tokenize, boxes)
        for i in range(len(words) - n + 1)
    ]
    return len(set(grams)) / max(len(grams), 1)


def common_words(records: Iterable[CaptionRecord], n: int = COMMON_WORDS) -> set[str]:
    counts = Counter(w for r in records for w in words_of(r.boxes))
    return {word for word, _ in counts.most_common(n)}


def rare_word_share(captions: Iterable[Sequence[str]], common: set[str]) -> float:
    words = [w for boxes in captions for w in words_of(boxes)]
    return sum(w not in common for w in words) / max(len(words), 1)


def copy_rate(captions: Sequence[Sequence[str]], training_keys: set[str]) -> float:
    return sum(caption_key(boxes) in training_keys for boxes in captions) / max(len(captions), 1)


def title_use(titled_captions: Sequence[tuple[str, Sequence[str]]]) -> float:
    """Share of (title, boxes) whose caption holds a content word of its title."""
    used = [bool(content_words(title) & {normalise(w) for w in words_of(boxes)}) for title, boxes in titled_captions]
    return sum(used) / max(len(used), 1)


class TemplateClassifier:
    """Multinomial naive Bayes over bags of words: names the template a caption most likely belongs to."""

    def __init__(self, records: Iterable[CaptionRecord], smoothing: float = 0.1):
        counts: dict[str, Counter] = {}
        for record in records:
            counts.setdefault(record.template, Counter()).update(tokenize(" ".join(record.boxes)))
        self.slugs = sorted(counts)
        self.words = {w: i for i, w in enumerate(sorted({w for c in counts.values() for w in c}))}
        table = np.full((len(self.slugs), len(self.words)), smoothing)
        for row, slug in enumerate(self.slugs):
            for word, count in counts[slug].items():
                table[row, self.words[word]] += count
        self.log_likelihoods = np.log(table / table.sum(axis=1, keepdims=True))
        sizes = np.array([sum(counts[slug].values()) for slug in self.slugs], dtype=float)
        self.log_priors = np.log(sizes / sizes.sum())

    def predict(self, boxes: Sequence[str]) -> str:
        ids = [self.words[w] for w in tokenize(" ".join(boxes)) if w in self.words]
        return self.slugs[int(np.argmax(self.log_priors + self.log_likelihoods[:, ids].sum(axis=1)))]

    def accuracy(self, captions: Sequence[tuple[str, Sequence[str]]]) -> float:
        """Share of (template, boxes) pairs whose template is named right."""
        return sum(self.predict(boxes) == slug for slug, boxes in captions) / max(len(captions), 1)


def catchphrase(template: TemplateInfo, captions: Sequence[Sequence[str]]) -> tuple[str, float] | None:
    """The 2-4-word n-gram of the template's description (name, alternative names, example lines, each on its
    own) carried by the largest share of its real captions, with that share, if it is at least 30%."""
    parts = (template.name, *template.tags, *template.examples)
    candidates = {gram for part in parts for gram in ngrams(words_of([part]))}
    if not candidates or not captions:
        return None
    counts = Counter(gram for boxes in captions for gram in ngrams(words_of(boxes)) & candidates)
    if not counts:
        return None
    # Ties go to the longer phrase, then the alphabetically first (max keeps the first of equals).
    best = max(sorted(counts), key=lambda gram: (counts[gram], len(gram)))
    share = counts[best] / len(captions)
    return (" ".join(best), share) if share >= CATCHPHRASE_MIN_SHARE else None


def ngrams(words: Sequence[str], sizes: Iterable[int] = (2, 3, 4)) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for n in sizes for i in range(len(words) - n + 1)}


def carries(boxes: Sequence[str], phrase: str) -> bool:
    return tuple(phrase.split()) in ngrams(words_of(boxes), (len(phrase.split()),))


# ---- perplexity ----

def derangement(n: int, seed: int) -> list[int]:
    """A seeded permutation with no fixed point (Sattolo's shuffle: one cycle), for n >= 2."""
    order = list(range(n))
    rng = random.Random(seed)
    for i in range(n - 1, 0, -1):
        j = rng.randrange(i)
        order[i], order[j] = order[j], order[i]
    return order


def model_perplexity(generator, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo]):
    """(perplexity, tokens) of the model on the records."""
    nll, n_tokens = generator.log_likelihood(records, templates)
    return perplexity(nll, n_tokens), n_tokens


def perplexities(generator, baseline: NgramBaseline, records, templates, prefix: str) -> dict:
    model_ppl, n_tokens = model_perplexity(generator, records, templates)
    baseline_nll, baseline_tokens = baseline.log_likelihood(records)
    if baseline_tokens != n_tokens:
        raise ValueError(f"the model scored {n_tokens} tokens and the baseline {baseline_tokens}: not the same tokens")
    baseline_ppl = perplexity(baseline_nll, baseline_tokens)
    return {
        f"{prefix}captions_scored": len(records),
        f"{prefix}tokens": n_tokens,
        f"{prefix}perplexity": model_ppl,
        f"{prefix}baseline_perplexity": baseline_ppl,
        f"{prefix}perplexity_ratio": model_ppl / baseline_ppl,
    }


def title_effect(generator, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], seed: int) -> dict:
    """1 - ppl(true titles) / ppl(titles shuffled among the same captions), on captions with informative titles:
    how much the model's predictions depend on what the title says."""
    informative = [r for r in records if has_informative_title(r, templates[r.template])]
    if len(informative) < 2:
        return {"title_effect": f"skipped ({len(informative)} held-out captions with an informative title)"}
    titles = [r.title for r in informative]
    shuffled = [replace(r, title=titles[j]) for r, j in zip(informative, derangement(len(informative), seed))]
    true_ppl, _ = model_perplexity(generator, informative, templates)
    shuffled_ppl, _ = model_perplexity(generator, shuffled, templates)
    return {
        "title_effect": 1 - true_ppl / shuffled_ppl,
        "title_effect_captions": len(informative),
        "perplexity_true_titles": true_ppl,
        "perplexity_shuffled_titles": shuffled_ppl,
    }


# ---- generation ----

def generate_for(generator, prompts: Sequence[CaptionRecord], templates, per_prompt: int = PER_PROMPT):
    """(template, boxes) pairs: per_prompt candidates for each prompt's title and template (seeded by position)."""
    return [
        (record.template, boxes)
        for index, record in enumerate(prompts)
        for boxes in generator.generate(record.title, templates[record.template], n=per_prompt, seed=index)
    ]


def title_prompts(
    templates: Mapping[str, TemplateInfo], seed: int, per_title: int = TEMPLATES_PER_TITLE
) -> list[CaptionRecord]:
    """Every prompt title, each on a few of the prompt templates present (drawn with the seed)."""
    slugs = [slug for slug in PROMPT_TEMPLATES if slug in templates]
    rng = random.Random(seed)
    return [
        CaptionRecord(slug, (), title)
        for title in PROMPT_TITLES
        for slug in rng.sample(slugs, min(per_title, len(slugs)))
    ]


def request_ms(generator, template: TemplateInfo, requests: int = SPEED_REQUESTS) -> float:
    """Median milliseconds of one request as the site makes it (4 candidates), warm, on one thread as the site's
    workers run (TORCH_THREADS=1)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator.generate("warm up", template, n=PER_PROMPT, seed=0)
        timings = []
        for index in range(requests):
            started = time.perf_counter()
            generator.generate(PROMPT_TITLES[index % len(PROMPT_TITLES)], template, n=PER_PROMPT, seed=index)
            timings.append(1000 * (time.perf_counter() - started))
    finally:
        torch.set_num_threads(threads)
    return statistics.median(timings)


# ---- the evaluation ----

@dataclass(frozen=True)
class EvaluationSets:
    train: list[CaptionRecord]  # the model's own training data
    heldout: list[CaptionRecord]  # held-out captions of templates the model trained on
    unseen: list[CaptionRecord]  # captions of templates it never trained on


def evaluation_sets(
    corpus: Iterable[CaptionRecord],
    config: Mapping,
    trained: Iterable[str],
    captions: Sequence[CaptionRecord] | None = None,
) -> EvaluationSets:
    """The model's training data rebuilt from the corpus (its config's split); held-out and unseen captions from
    the corpus's held-out part, or from `captions` taken whole."""
    trained = set(trained)
    splits = make_splits(corpus, cold_templates=config["cold_templates"], limit=config["limit"], seed=config["seed"])
    # A template the model has no row for was not trained on (a model older than the fixed split held out other
    # templates): its captions are neither training data for the baseline nor "seen".
    train = [r for r in splits.train if r.template in trained]
    if captions is None:
        heldout = [r for r in splits.heldout if r.template in trained]
        unseen = [r for r in (*splits.train, *splits.heldout, *splits.cold_start) if r.template not in trained]
    else:
        heldout = [r for r in captions if r.template in trained]
        unseen = [r for r in captions if r.template not in trained]
    return EvaluationSets(train, heldout, unseen)


def evaluate(
    generator,
    sets: EvaluationSets,
    templates: Mapping[str, TemplateInfo],
    *,
    n_generate: int = 400,
    max_scored: int = 5000,
    seed: int = 0,
) -> dict:
    """Every number, as an ordered dict of name -> value (a string says why a section was skipped).

    Perplexities on at most max_scored captions per section (a seeded sample, the same for model and baseline);
    generation numbers on n_generate captions per section (prompts: real held-out titles, 4 candidates each) and on
    the prompt titles."""
    # A template the model knows is described as it learned it; one nobody described, by its slug.
    templates = complete_templates({**templates, **generator.templates}, [*sets.heldout, *sets.unseen])
    results: dict = {
        "version": generator.version,
        "train_captions": len(sets.train),
        "heldout_captions": len(sets.heldout),
        "unseen_captions": len(sets.unseen),
        "unseen_templates": len({r.template for r in sets.unseen}),
    }
    if not sets.train:
        return results | {"evaluation": "skipped (no training captions: the corpus is not the model's)"}
    if not sets.heldout and not sets.unseen:
        return results | {"evaluation": "skipped (no held-out captions)"}
    reference = Reference(sets.train, generator.vocab, seed)
    results["baseline_mix"] = reference.baseline.mix
    # Held-out captions that are word for word a training caption (ImgFlip reposts): what no model can be blamed for.
    heldout = [r.boxes for r in (*sets.heldout, *sets.unseen)]
    results["heldout_duplicates_of_training"] = copy_rate(heldout, reference.keys)
    generated: list[Sequence[str]] = []
    sections = (
        ("seen", seen_numbers, sets.heldout, "no held-out captions of templates the model trained on"),
        ("unseen", unseen_numbers, sets.unseen, "no captions of templates the model never trained on"),
    )
    for name, numbers_of, records, missing in sections:
        if not records:
            results[name] = f"skipped ({missing})"
            continue
        numbers, captions = numbers_of(generator, reference, records, templates, n_generate, max_scored, seed)
        results |= numbers
        generated += captions
    numbers, captions = title_use_numbers(generator, templates, seed)
    results |= numbers
    generated += captions
    reasons = offensive_reasons([" ".join(boxes) for boxes in generated])
    results |= {
        "generated_captions": len(generated),
        "offensive_share": sum(r is not None for r in reasons) / max(len(reasons), 1),
        "slur_captions": sum(r == "slur" for r in reasons),
    }
    known = [templates[slug] for slug in PROMPT_TEMPLATES if slug in generator.templates]
    speed_template = known[0] if known else templates[(sets.heldout or sets.unseen)[0].template]
    results["request_ms_p50"] = request_ms(generator, speed_template)
    return results


class Reference:
    """What the model's training data gives the evaluation: the baseline, the captions to count copies of, the
    common words, the template classifier."""

    def __init__(self, train: Sequence[CaptionRecord], vocab: Vocabulary, seed: int):
        self.train = train
        self.baseline = NgramBaseline.fit(train, vocab, seed=seed)
        self.keys = {caption_key(r.boxes) for r in train}
        self.common = common_words(train)
        self.classifier = TemplateClassifier(train)


def seen_numbers(generator, reference: Reference, heldout, templates, n_generate, max_scored, seed):
    """Perplexities, title effect and generation numbers on held-out captions of templates the model trained on."""
    scored = sample(heldout, max_scored, seed)
    results = perplexities(generator, reference.baseline, scored, templates, "")
    results |= title_effect(generator, scored, templates, seed)
    prompts = sample(heldout, max(n_generate // PER_PROMPT, 1), seed)
    pairs = generate_for(generator, prompts, templates)
    captions = [boxes for _, boxes in pairs]
    rare = rare_word_share(captions, reference.common)
    human_rare = rare_word_share((r.boxes for r in heldout), reference.common)
    return results | {
        "rare_word_share": rare,
        "human_rare_word_share": human_rare,
        "rare_word_ratio": rare / human_rare if human_rare else math.nan,
        "distinct_2": distinct_n(captions, 2),
        "copy_rate": copy_rate(captions, reference.keys),
        "template_fidelity": reference.classifier.accuracy(pairs),
        "template_fidelity_real_captions": reference.classifier.accuracy([(r.template, r.boxes) for r in prompts]),
    }, captions


def unseen_numbers(generator, reference: Reference, unseen, templates, n_generate, max_scored, seed):
    """Cold start: perplexities (the baseline falls back to its global trigram), fidelity, catchphrases."""
    results = perplexities(generator, reference.baseline, sample(unseen, max_scored, seed), templates, "unseen_")
    prompts = sample(unseen, max(n_generate // PER_PROMPT, 1), seed)
    pairs = generate_for(generator, prompts, templates)
    # The documented exception: a classifier can only name a template it knows, so it learns the unseen templates
    # from their captions, those used as prompts (whose real captions are its yardstick) left out.
    prompt_ids = {id(r) for r in prompts}
    classifier = TemplateClassifier([*reference.train, *(r for r in unseen if id(r) not in prompt_ids)])
    results |= {
        "unseen_template_fidelity": classifier.accuracy(pairs),
        "unseen_template_fidelity_real_captions": classifier.accuracy([(r.template, r.boxes) for r in prompts]),
        "unseen_classifier": "trained on the training captions and the unseen templates' captions not used as prompts",
    }
    return results | catchphrase_numbers(unseen, prompts, pairs, templates), [boxes for _, boxes in pairs]


def title_use_numbers(generator, templates, seed) -> tuple[dict, list]:
    """Title use over the prompt titles, each on a few prompt templates."""
    prompts = title_prompts(templates, seed)
    if not prompts:
        return {"title_use": "skipped (none of the prompt templates is known)"}, []
    titled = [
        (prompt.title, boxes)
        for index, prompt in enumerate(prompts)
        for boxes in generator.generate(prompt.title, templates[prompt.template], n=PER_PROMPT, seed=index)
    ]
    numbers = {
        "title_use": title_use(titled),
        "title_use_captions": len(titled),
        "title_use_titles": len({p.title for p in prompts}),
    }
    return numbers, [boxes for _, boxes in titled]


def catchphrase_numbers(unseen: Sequence[CaptionRecord], prompts, pairs, templates) -> dict:
    """Per unseen template with a catchphrase: the share of generated captions carrying it against the share of
    the prompts' own (human) captions; and both pooled over those templates."""
    captions_of: dict[str, list] = defaultdict(list)
    for record in unseen:
        captions_of[record.template].append(record.boxes)
    phrases = {slug: found for slug, caps in captions_of.items() if (found := catchphrase(templates[slug], caps))}
    if not phrases:
        return {"unseen_catchphrase": "skipped (no unseen template has a catchphrase in its description)"}
    results, generated_hits, generated_total, human_hits, human_total = {}, 0, 0, 0, 0
    for slug, (phrase, _) in sorted(phrases.items()):
        made = [boxes for template, boxes in pairs if template == slug]
        real = [r.boxes for r in prompts if r.template == slug]
        made_hits, real_hits = sum(carries(b, phrase) for b in made), sum(carries(b, phrase) for b in real)
        generated_hits, generated_total = generated_hits + made_hits, generated_total + len(made)
        human_hits, human_total = human_hits + real_hits, human_total + len(real)
        results[f"unseen_catchphrase.{slug}"] = (
            f'"{phrase}" generated {made_hits}/{len(made)}, human {real_hits}/{len(real)}'
        )
    return {
        "unseen_catchphrase_templates": len(phrases),
        "unseen_catchphrase_share": generated_hits / max(generated_total, 1),
        "unseen_catchphrase_human_share": human_hits / max(human_total, 1),
    } | results


def sample(records: Sequence[CaptionRecord], n: int, seed: int) -> list[CaptionRecord]:
    return random.Random(seed).sample(list(records), min(n, len(records)))


def evaluate_model_dir(
    model_dir: str | Path,
    corpus: Iterable[CaptionRecord],
    templates: Mapping[str, TemplateInfo],
    *,
    captions: Sequence[CaptionRecord] | None = None,
    n_generate: int = 400,
    max_scored: int = 5000,
) -> dict:
    """Load a model folder and evaluate it: its training data rebuilt from `corpus` by its config.json; held out,
    the corpus's held-out memes or the whole of `captions`."""
    from .generate import CaptionGenerator

    config = json.loads((Path(model_dir) / "config.json").read_text())
    generator = CaptionGenerator.load(model_dir)
    sets = evaluation_sets(corpus, config, generator.templates, captions)
    return evaluate(generator, sets, templates, n_generate=n_generate, max_scored=max_scored, seed=config["seed"])


def format_results(results: Mapping) -> str:
    """`name: value` lines, as the benchmarks print them."""
    lines = (f"{name}: {value:.4g}" if isinstance(value, float) else f"{name}: {value}" for name, value in results.items())
    return "\n".join(lines)


def perplexity_of(
    model_dir, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], device=None,
    reference: Vocabulary | None = None,
) -> float:
    """Weighted per-token perplexity of a model folder on records (the learning loop's gate).

    Two models with different vocabularies are compared on the same tokens by passing the smaller vocabulary as
    `reference`: a word outside it is one outcome, "a word the reference does not know", as the reference's <unk>
    is (the generator sums its probability over every such word)."""
    from .generate import CaptionGenerator

    generator = CaptionGenerator.load(model_dir, device=device)
    nll, weight = generator.log_likelihood(records, templates, reference=reference, weighted=True)
    return math.exp(nll / max(weight, 1e-9))
