"""What the scorer changes in title mode's ranking (ml.captions.generate: TASTE_WEIGHT times the scorer's score among
the ranking's terms), measured two ways:

- on people's captions: the ranking score of each held-out meme's caption (for its own title), with and without the
  taste term, as a predictor of the held-out pairs (which of two captions people voted for more);
- on the model's captions: the prompt titles (ml.captions.prompts), each on a few prompt templates, drawn with the
  same seeds with and without the taste term: how often the shown caption changes, the scorer's score of the shown
  ones, title use; and a sheet of both side by side to read."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.captions.data import TemplateInfo
from ml.captions.evaluation import PER_PROMPT, title_prompts, title_use
from ml.captions.generate import TASTE_WEIGHT, CaptionGenerator

from .data import Meme, Pair
from .evaluation import pair_metrics
from .scorer import Scorer


def ranking_scores(generator: CaptionGenerator, memes: Sequence[Meme]) -> np.ndarray:
    """The ranking's score of each meme's caption for its own title, without taste."""
    scores = np.zeros(len(memes))
    for index, meme in enumerate(memes):
        template = generator.templates.get(meme.template) or TemplateInfo.from_slug(meme.template)
        scores[index] = generator.rank_scores(meme.record.title, template, [list(meme.boxes)])[0]
    return scores


def pairs_with_taste(ranking: np.ndarray, tastes: np.ndarray, pairs: Sequence[Pair],
                     weights: Sequence[float] = (0.0, 0.25, TASTE_WEIGHT, 1.0, 2.0)) -> dict[float, dict]:  # fmt: skip
    """Pair metrics of ranking + weight × taste (the candidates' mean taste cancels in a pair's difference)."""
    return {weight: pair_metrics(ranking + weight * tastes, pairs) for weight in weights}


def generation_effect(generator: CaptionGenerator, scorer: Scorer, seed: int = 0, sheet: Path | None = None) -> dict:
    """The prompt titles drawn with the same seeds without and with the taste term."""
    prompts = title_prompts(generator.templates, seed)
    plain, tasteful, rows = [], [], []
    for index, prompt in enumerate(prompts):
        template = generator.templates[prompt.template]
        taste = lambda captions, slug=prompt.template: scorer.score_batch(slug, captions)  # noqa: E731
        without = generator.generate(prompt.title, template, n=PER_PROMPT, seed=index)
        with_taste = generator.generate(prompt.title, template, n=PER_PROMPT, seed=index, taste=taste)
        plain.append((prompt, without[0]))
        tasteful.append((prompt, with_taste[0]))
        rows.append(f"| {prompt.title} | {prompt.template} | {' / '.join(without[0])} | {' / '.join(with_taste[0])} |")
    score = lambda shown: float(np.mean(scorer.score_many([(p.template, boxes) for p, boxes in shown])))  # noqa: E731
    effect = {
        "prompts": len(prompts),
        "first_caption_changed": sum(a[1] != b[1] for a, b in zip(plain, tasteful)) / max(len(prompts), 1),
        "scorer_score_without": score(plain),
        "scorer_score_with": score(tasteful),
        "title_use_without": title_use([(p.title, boxes) for p, boxes in plain]),
        "title_use_with": title_use([(p.title, boxes) for p, boxes in tasteful]),
    }
    if sheet:
        header = ["| title | template | without taste | with taste |", "|---|---|---|---|"]
        sheet.write_text("\n".join(header + rows) + "\n")
    return effect
