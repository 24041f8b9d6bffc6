"""The decoding sweep: temperature × top-p against template fidelity, distinct-2, rare-word share and title use,
on validation prompts, so that the defaults in generate.py are picked on data the evaluation never scores.

Validation prompts: real titles and templates of a seeded sample of the model's *training* captions (the held-out
memes stay for `eval`), and VALIDATION_TITLES (our own, none of them in PROMPT_TITLES) for title use.

    python -m ml.captions.sweep --model DIR --corpus imgflip575k.jsonl.gz --templates TEMPLATES_DIR"""
from __future__ import annotations

import argparse
import itertools
import json
import random
from pathlib import Path

from .data import make_splits, read_dataset
from .evaluation import TemplateClassifier, common_words, distinct_n, rare_word_share, title_use
from .generate import CaptionGenerator

VALIDATION_TITLES = (
    "my dog stealing socks", "cold pizza for breakfast", "the elevator music", "a meeting that could be an email",
    "my sister borrowing my clothes", "the wifi password", "a parking ticket", "when the milk expired",
    "my bike got a flat tyre", "the fire alarm at 4am", "learning to cook rice", "the neighbours' loud party",
    "my grandma on facebook", "a sunday without plans", "the bathroom scale", "my playlist on shuffle",
)


def sweep(generator, prompts, templates, classifier, common, temperatures, top_ps, seed=0) -> list[dict]:
    slugs = sorted({p.template for p in prompts})
    rng = random.Random(seed)
    title_prompts = [(title, rng.choice(slugs)) for title in VALIDATION_TITLES for _ in range(2)]
    rows = []
    for temperature, top_p in itertools.product(temperatures, top_ps):
        options = dict(n=4, temperature=temperature, top_p=top_p)
        pairs = [(p.template, boxes) for i, p in enumerate(prompts)
                 for boxes in generator.generate(p.title, templates[p.template], seed=i, **options)]  # fmt: skip
        titled = [(title, boxes) for i, (title, slug) in enumerate(title_prompts)
                  for boxes in generator.generate(title, templates[slug], seed=i, **options)]  # fmt: skip
        captions = [boxes for _, boxes in pairs]
        rows.append({
            "temperature": temperature, "top_p": top_p,
            "template_fidelity": classifier.accuracy(pairs), "distinct_2": distinct_n(captions, 2),
            "rare_word_share": rare_word_share(captions, common), "title_use": title_use(titled),
        })  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--templates", type=Path, required=True)
    parser.add_argument("--prompts", type=int, default=60)
    parser.add_argument("--temperatures", default="0.7,0.9,1.0")
    parser.add_argument("--top-p", dest="top_ps", default="0.8,0.9,0.95")
    args = parser.parse_args(argv)
    config = json.loads((args.model / "config.json").read_text())
    templates, records = read_dataset(args.corpus, args.templates)
    train = make_splits(records, cold_templates=config["cold_templates"], limit=config["limit"], seed=config["seed"]).train
    generator = CaptionGenerator.load(args.model)
    templates = {**templates, **generator.templates}
    prompts = random.Random(1).sample(train, args.prompts)
    rows = sweep(generator, prompts, templates, TemplateClassifier(train), common_words(train),
                 [float(t) for t in args.temperatures.split(",")], [float(p) for p in args.top_ps.split(",")])  # fmt: skip
    human = rare_word_share([p.boxes for p in prompts], common_words(train))
    print(f"human rare-word share on these prompts: {human:.3f}")
    print("| temperature | top-p | fidelity | distinct-2 | rare-word share | title use |\n|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['temperature']} | {row['top_p']} | {row['template_fidelity']:.1%} | {row['distinct_2']:.2f} | "
              f"{row['rare_word_share']:.3f} | {row['title_use']:.1%} |")


if __name__ == "__main__":
    main()
