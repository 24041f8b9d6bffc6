"""python -m ml.scorer train --corpus imgflip575k.jsonl.gz --out DIR [settings]
python -m ml.scorer eval --scorer DIR --corpus imgflip575k.jsonl.gz [--plot calibration.png]
python -m ml.scorer rerank --scorer DIR --corpus imgflip575k.jsonl.gz [--memes N] [--sheet FILE]

`train` fits a scorer on the training memes' pairs (choosing its epoch on validation pairs) and saves it; `eval`
scores held-out pairs with it and with the baselines, prints the table, writes metrics.json into the scorer's folder
(and its figures into config.json's "heldout"), and draws the calibration plot. `rerank` measures the scorer as a
term of title mode's ranking (rerank.py)."""
from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from .baselines import BagOfWords, caption_text, length_scores, likelihood_scores, oriented
from .data import PARTNERS, make_pairs, read_memes, split_memes, talks_about_votes, without_vote_talk
from .evaluation import calibration, differences, pair_metrics, plot_calibration
from .scorer import CAPTIONS_PRETRAINED, CONFIG, PRETRAINED, load, read_vectors, save
from .training import Encoded, TrainConfig, config_dict, meme_scores, train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ml.scorer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("train", help="train a scorer")
    fit.add_argument("--corpus", type=Path, required=True)
    fit.add_argument("--out", type=Path, required=True)
    fit.add_argument("--captions-model", type=Path, default=CAPTIONS_PRETRAINED, help="whose vocabulary and vectors to use")
    for field in fields(TrainConfig):
        kind = {"int": int, "float": float, "str": str}.get(str(field.type).split(" ")[0], None)
        if field.name == "limit":
            kind = int
        fit.add_argument("--" + field.name.replace("_", "-"), type=kind or str, default=None)
    judge = commands.add_parser("eval", help="held-out pairs: scorer and baselines")
    judge.add_argument("--scorer", type=Path, required=True)
    judge.add_argument("--corpus", type=Path, required=True)
    judge.add_argument("--captions-model", type=Path, default=CAPTIONS_PRETRAINED)
    judge.add_argument("--plot", type=Path, default=None, help="calibration plot (PNG)")
    judge.add_argument("--partners", type=int, default=PARTNERS)
    judge.add_argument("--likelihood-memes", type=int, default=None,
                       help="score the likelihood baseline on pairs among this many held-out memes at most (it is the slow one)")
    judge.add_argument("--no-likelihood", action="store_true")
    judge.add_argument("--threads", type=int, default=0)
    effect = commands.add_parser("rerank", help="the scorer as a term of title mode's ranking")
    effect.add_argument("--scorer", type=Path, default=PRETRAINED)
    effect.add_argument("--corpus", type=Path, required=True)
    effect.add_argument("--captions-model", type=Path, default=CAPTIONS_PRETRAINED)
    effect.add_argument("--memes", type=int, default=3000, help="held-out (and validation) memes in pairs to score")
    effect.add_argument("--sheet", type=Path, default=None, help="write the prompts' captions without/with taste here")
    args = parser.parse_args(argv)
    {"train": run_train, "eval": run_eval, "rerank": run_rerank}[args.command](args)


def run_train(args) -> None:
    options = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    config = TrainConfig(**options)
    vocab, vectors = read_vectors(args.captions_model)
    train_memes, validation_memes, heldout = split_memes(read_memes(args.corpus))
    # ImgFlip's own vote-talk ("upvote", "featured") draws votes there; a scorer that learned it would rank
    # vote-begging captions first here. Those memes are left out of training.
    train_memes, validation_memes = without_vote_talk(train_memes), without_vote_talk(validation_memes)
    print(f"{len(train_memes)} training memes, {len(validation_memes)} validation, {len(heldout)} held out (not read)")
    started = time.time()
    model, templates, history = train(train_memes, validation_memes, vocab, vectors, config)
    n_params = sum(p.numel() for p in model.parameters())
    save(args.out, model, templates, {**config_dict(config, vocab), "parameters": n_params, "history": history,
                                      "trained_seconds": round(time.time() - started)}, args.captions_model)  # fmt: skip
    print(f"saved {args.out} ({n_params} parameters, {(args.out / 'weights.pt').stat().st_size // 1024} KB)")


def run_eval(args) -> None:
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    scorer = load(args.scorer, args.captions_model)
    train_memes, validation, heldout = split_memes(read_memes(args.corpus))
    train_memes, validation = without_vote_talk(train_memes), without_vote_talk(validation)  # as the scorer trained
    train_pairs = make_pairs(train_memes, partners=args.partners, seed=0)
    validation_pairs = make_pairs(validation, partners=args.partners, seed=0)
    heldout_pairs = make_pairs(heldout, partners=args.partners, seed=0)
    print(f"pairs: {len(train_pairs)} training, {len(validation_pairs)} validation, {len(heldout_pairs)} held out")
    rows = {}

    model = scorer.model
    unknown = model.unknown_template
    scores = meme_scores(model, Encoded(heldout, scorer.vocab, scorer.template_rows, unknown))
    rows["scorer"] = pair_metrics(scores, heldout_pairs)
    diff = differences(scores, heldout_pairs)

    length_held, sign = oriented(length_scores(heldout), length_scores(validation), validation_pairs)
    rows["length (" + ("longer" if sign > 0 else "shorter") + " is better)"] = pair_metrics(length_held, heldout_pairs)

    if not args.no_likelihood:
        from ml.captions.generate import CaptionGenerator

        generator = CaptionGenerator.load(args.captions_model, device="cpu")
        held_pairs, held_memes = _subsample(heldout_pairs, args.likelihood_memes)
        valid_pairs, valid_memes = _subsample(validation_pairs, args.likelihood_memes)
        started = time.time()
        held = _scatter(likelihood_scores(generator, [heldout[i] for i in held_memes]), held_memes, len(heldout))
        valid = _scatter(likelihood_scores(generator, [validation[i] for i in valid_memes]), valid_memes, len(validation))
        print(f"likelihood: {len(held_memes) + len(valid_memes)} memes in {time.time() - started:.0f} s")
        held, sign = oriented(held, valid, valid_pairs)
        name = "caption model log-likelihood per token (" + ("likelier" if sign > 0 else "less likely") + " is better)"
        rows[name] = pair_metrics(held, held_pairs)
        if len(held_pairs) < len(heldout_pairs):
            rows[name]["subsample"] = True
            rows["scorer, same subsample"] = pair_metrics(scores, held_pairs)

    bag = BagOfWords.tuned(train_memes, train_pairs, validation, validation_pairs)
    bag_scores = bag.scores(heldout)
    rows[f"bag-of-words logistic regression (C={bag.C})"] = pair_metrics(bag_scores, heldout_pairs)

    # The corpus's own vote-talk ("upvote", "imgflip", "points"...) predicts votes: the same figures without it.
    plain = [p for p in heldout_pairs if not (talks_about_votes(heldout[p.better]) or talks_about_votes(heldout[p.worse]))]
    rows["scorer, pairs without imgflip vote-talk"] = pair_metrics(scores, plain)
    rows["bag of words, pairs without imgflip vote-talk"] = pair_metrics(bag_scores, plain)

    # Leakage: the split is by meme, and a repost's caption may sit on both sides. The same figures on the pairs
    # whose two captions never occur among the training memes'.
    seen = {caption_text(meme) for meme in train_memes}
    unseen = [p for p in heldout_pairs if caption_text(heldout[p.better]) not in seen
              and caption_text(heldout[p.worse]) not in seen]  # fmt: skip
    rows["scorer, pairs of captions not in training"] = pair_metrics(scores, unseen)
    rows["bag of words, pairs of captions not in training"] = pair_metrics(bag_scores, unseen)
    rows["length, pairs of captions not in training"] = pair_metrics(length_held, unseen)

    print("\n| | accuracy | AUC | held-out pairs | memes in them |\n|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['accuracy']:.3f} | {row['auc']:.3f} | {row['pairs']:,} | {row['memes']:,} |")
    bins = calibration(diff)
    metrics = {"heldout": rows, "pairs": {"train": len(train_pairs), "validation": len(validation_pairs),
                                          "heldout": len(heldout_pairs)},
               "partners": args.partners, "calibration": bins}  # fmt: skip
    (args.scorer / "metrics.json").write_text(json.dumps(metrics, indent=1))
    config_path = args.scorer / CONFIG
    config = json.loads(config_path.read_text())
    config["heldout"] = {"auc": rows["scorer"]["auc"], "accuracy": rows["scorer"]["accuracy"], "pairs": rows["scorer"]["pairs"]}
    config_path.write_text(json.dumps(config, indent=1))
    if args.plot:
        plot_calibration(bins, args.plot, f"{scorer.version}\n{len(heldout_pairs):,} held-out pairs, AUC {rows['scorer']['auc']:.3f}")
        print(f"calibration plot: {args.plot}")


def run_rerank(args) -> None:
    from ml.captions.generate import CaptionGenerator

    from .rerank import generation_effect, pairs_with_taste, ranking_scores

    torch.set_num_threads(1)
    scorer = load(args.scorer, args.captions_model)
    generator = CaptionGenerator.load(args.captions_model, device="cpu")
    _, validation, heldout = split_memes(read_memes(args.corpus))
    for name, memes in (("validation", validation), ("held-out", heldout)):
        pairs, indexes = _subsample(make_pairs(memes, seed=0), args.memes)
        chosen = [memes[i] for i in indexes]
        ranking = _scatter(ranking_scores(generator, chosen), indexes, len(memes))
        tastes = _scatter(np.array(scorer.score_many([(m.template, m.boxes) for m in chosen])), indexes, len(memes))
        print(f"\n{name}: {len(pairs):,} pairs among {len(indexes):,} memes\n| taste weight | accuracy | AUC |\n|---|---|---|")
        for weight, row in pairs_with_taste(ranking, tastes, memes, pairs).items():
            print(f"| {weight} | {row['accuracy']:.3f} | {row['auc']:.3f} |")
    effect = generation_effect(generator, scorer, weights=(0.25, 0.5, 1.0), sheet=args.sheet)
    print("\nprompt titles, same seeds, by taste weight\n| taste weight | first caption changed | scorer's score of it | title use |")
    print("|---|---|---|---|")
    for weight, row in effect.items():
        print(f"| {weight} | {row['first_caption_changed']:.0%} of {row['prompts']} | {row['scorer_score']:.3f} | {row['title_use']:.1%} |")


def _subsample(pairs, max_memes):
    """Pairs among the first `max_memes` memes that appear in pairs (all of them when None), and those memes."""
    memes = sorted({p.better for p in pairs} | {p.worse for p in pairs})
    if max_memes is not None and len(memes) > max_memes:
        kept = set(np.random.default_rng(0).choice(memes, max_memes, replace=False).tolist())
        pairs = [p for p in pairs if p.better in kept and p.worse in kept]
        memes = sorted(kept)
    return pairs, memes


def _scatter(values: np.ndarray, indexes, size: int) -> np.ndarray:
    out = np.zeros(size)
    out[list(indexes)] = values
    return out


if __name__ == "__main__":
    main()
