"""The learning loop on a template the bundled caption model never saw: its perplexity and template fidelity on
real captions for it, and on held-out captions of the old templates (the gate's fixed set), before and after
fine-tuning on N liked user captions (N = 50, 200), as the loop's
retraining does (the same FineTuneConfig defaults, old captions replayed 4:1). Fidelity: the share of 100
generated captions that a naive Bayes classifier, fitted on real captions of every template, names as this one.

Uses the shared ImgFlip captions (skipped when absent); the template is the model's held-out ("cold") template
with the most captions. The bundled model learned every template, so this needs a cold-start model (env
COLD_MODEL_DIR, trained with `--cold-templates 10`; skipped without one).
Run from the repository root: python bench/bench_learning.py [CAPTIONS TEMPLATES]
"""

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.captions.data import load_dataset  # noqa: E402
from ml.captions.evaluation import TemplateClassifier, generate_for, perplexity_of  # noqa: E402
from ml.captions.finetune import FineTuneConfig, fine_tune  # noqa: E402
from ml.captions.generate import CaptionGenerator  # noqa: E402
from ml.captions.vocab import Vocabulary  # noqa: E402
from shared_data import dataset_paths  # noqa: E402  (beside this script)

BUNDLED = Path(os.environ.get("COLD_MODEL_DIR", ROOT / "ml" / "captions" / "pretrained"))
PROBE, GENERATED = 150, 100
LIKED_WEIGHT = 2.0  # about what three up votes and no down vote give a hand-written caption on the site


def measure(model_dir, probe, templates, classifier) -> tuple[float, float]:
    """Perplexity on the bundled model's words (a grown vocabulary's new words count as its <unk>), and fidelity."""
    generator = CaptionGenerator.load(model_dir, device="cpu")
    generated = generate_for(generator, probe[: GENERATED // 4], templates, per_prompt=4)
    return perplexity_on_bundled_words(model_dir, probe, templates), classifier.accuracy(generated)


def perplexity_on_bundled_words(model_dir, records, templates) -> float:
    return perplexity_of(model_dir, records, templates, device="cpu", reference=Vocabulary.load(BUNDLED / "vocab.json"))


def main() -> int:
    paths = dataset_paths()
    if paths is None:
        return 0
    captions, templates_dir = paths
    config = json.loads((BUNDLED / "config.json").read_text())
    if not config.get("cold_templates"):
        print(f"# {config['version']} learned every template: set COLD_MODEL_DIR to a cold-start model; skipped")
        return 0
    templates, splits = load_dataset(captions, templates_dir, cold_templates=config["cold_templates"], seed=config["seed"])
    by_template = {}
    for record in splits.cold_start:
        by_template.setdefault(record.template, []).append(record)
    slug, pool = max(by_template.items(), key=lambda item: len(item[1]))
    random.Random(0).shuffle(pool)
    probe, liked = pool[:PROBE], pool[PROBE:]
    classifier = TemplateClassifier([*splits.train, *splits.cold_start])
    print(f"# new template: {slug} ({len(pool)} real captions; {PROBE} probe them, the rest are 'liked')")

    fixed = random.Random(0).sample(splits.heldout, 1000)  # the gate's first test: old templates, held out
    ppl, fidelity = measure(BUNDLED, probe, templates, classifier)
    print(f"learning_old_templates_ppl_before: {perplexity_on_bundled_words(BUNDLED, fixed, templates):.1f} perplexity")
    print(f"learning_new_template_ppl_before: {ppl:.1f} perplexity")
    print(f"learning_new_template_fidelity_before: {fidelity:.1%}".replace("%", " %"))
    for n in (50, 200):
        if len(liked) < n:
            print(f"# only {len(liked)} liked captions: N={n} skipped")
            continue
        records = [r.__class__(r.template, r.boxes, r.title, LIKED_WEIGHT) for r in liked[:n]]
        records += random.Random(n).sample(splits.train, 4 * n)
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            fine_tune(BUNDLED, records, templates, FineTuneConfig(version=f"bench-{slug}-{n}", threads=2), out, progress=False)
            seconds = time.perf_counter() - started
            ppl_after, fidelity_after = measure(out, probe, templates, classifier)
            fixed_after = perplexity_on_bundled_words(out, fixed, templates)
        print(f"learning_old_templates_ppl_after_{n}: {fixed_after:.1f} perplexity")
        print(f"learning_new_template_ppl_after_{n}: {ppl_after:.1f} perplexity")
        print(f"learning_new_template_fidelity_after_{n}: {fidelity_after:.1%}".replace("%", " %"))
        print(f"learning_new_template_gain_{n}: {ppl / ppl_after:.2f} x lower perplexity")
        print(f"learning_fine_tune_seconds_{n}: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
