"""What the scorer changes in title mode's ranking (ml.captions.generate: TASTE_WEIGHT times the scorer's score among
the ranking's terms), measured two ways:

- on people's captions: the ranking score of each held-out meme's caption (for its own title), with and without the
  taste term, as a predictor of the held-out pairs (which of two captions people voted for more; taste only
  between two captions that fill as many boxes, as generate() weighs it);
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
from .evaluation import difference_metrics, differences
from .scorer import Scorer


def ranking_scores(generator: CaptionGenerator, memes: Sequence[Meme]) -> np.ndarray:
    """The ranking's score of each meme's caption for its own title, without taste."""
    scores = np.zeros(len(memes))
    for index, meme in enumerate(memes):
        template = generator.templates.get(meme.template) or TemplateInfo.from_slug(meme.template)
        scores[index] = generator.rank_scores(meme.record.title, template, [list(meme.boxes)])[0]
    return scores


def pairs_with_taste(ranking: np.ndarray, tastes: np.ndarray, memes: Sequence[Meme], pairs: Sequence[Pair],
                     weights: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 2.0)) -> dict[float, dict]:  # fmt: skip
    """Pair metrics of the ranking with weight × taste, as generate() weighs it: only between captions that fill as
    many boxes (for two of other layouts, taste says nothing)."""
    same_layout = np.array([len(memes[p.better].boxes) == len(memes[p.worse].boxes) for p in pairs], dtype=bool)
    base, taste = differences(ranking, pairs), differences(tastes, pairs) * same_layout
    return {weight: difference_metrics(base + weight * taste, pairs) for weight in weights}


def generation_effect(generator: CaptionGenerator, scorer: Scorer, weights: Sequence[float] = (TASTE_WEIGHT,),
                      seed: int = 0, sheet: Path | None = None) -> dict[float, dict]:  # fmt: skip
    """The prompt titles drawn with the same seeds without the taste term and with it at each weight (the scorer's
    scores scaled, so that generate's TASTE_WEIGHT weighs them as `weight` would)."""
    prompts = title_prompts(generator.templates, seed)
    firsts: dict[float, list[list[str]]] = {0.0: [], **{weight: [] for weight in weights}}
    for index, prompt in enumerate(prompts):
        template = generator.templates[prompt.template]
        for weight, shown in firsts.items():
            taste = None
            if weight:
                scale = weight / TASTE_WEIGHT
                taste = lambda captions, slug=prompt.template, scale=scale: [  # noqa: E731
                    scale * score for score in scorer.score_batch(slug, captions)
                ]
            shown.append(generator.generate(prompt.title, template, n=PER_PROMPT, seed=index, taste=taste)[0])
    mean_score = lambda shown: float(np.mean(scorer.score_many([(p.template, b) for p, b in zip(prompts, shown)])))  # noqa: E731
    effect = {
        weight: {
            "prompts": len(prompts),
            "first_caption_changed": sum(a != b for a, b in zip(firsts[0.0], shown)) / max(len(prompts), 1),
            "scorer_score": mean_score(shown),
            "title_use": title_use([(p.title, boxes) for p, boxes in zip(prompts, shown)]),
        }
        for weight, shown in firsts.items()
    }
    if sheet:
        rows = [f"| title | template | {' | '.join(f'taste weight {w}' for w in firsts)} |", "|---|---|" + "---|" * len(firsts)]
        for index, prompt in enumerate(prompts):
            cells = " | ".join(" / ".join(shown[index]) for shown in firsts.values())
            rows.append(f"| {prompt.title} | {prompt.template} | {cells} |")
        sheet.write_text("\n".join(rows) + "\n")
    return effect
