"""Command line: `python -m ml.captions train|prepare|fit|eval ...` (see --help).

`train` = `prepare` (records -> ids and word2vec vectors, in one compressed file; needs gensim) then `fit` (torch
alone: a GPU machine without gensim can run it on a prepared file)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .aliases import add_aliases, template_aliases
from .data import load_dataset, read_dataset
from .training import Prepared, add_config_options, config_from_options, fit, prepare, train


def _splits(args: argparse.Namespace):
    config = config_from_options(vars(args))
    templates, splits = load_dataset(args.captions, args.templates, cold_templates=config.cold_templates,
                                     limit=config.limit, seed=config.seed)  # fmt: skip
    print(f"train {len(splits.train)}, held-out {len(splits.heldout)}, cold-start {len(splits.cold_start)} captions")
    return config, templates, splits


def command_train(args: argparse.Namespace) -> None:
    config, templates, splits = _splits(args)
    metrics = train(splits.train, templates, config, args.out, resume=args.resume, heldout=splits.heldout)
    index, mapping = args.captions.parent / "templates_index.json", args.templates / "mapping.json"
    if index.exists() and mapping.exists():  # the corpus's other names for its templates travel with the model
        add_aliases(args.out, template_aliases(json.loads(index.read_text()), json.loads(mapping.read_text())))
    print(json.dumps(metrics, indent=1))


def command_prepare(args: argparse.Namespace) -> None:
    config, templates, splits = _splits(args)
    prepare(splits.train, templates, config, splits.heldout).save(args.out)


def command_fit(args: argparse.Namespace) -> None:
    config = config_from_options(vars(args))
    metrics = fit(Prepared.load(args.prepared), config, args.out, resume=args.resume, init=args.init)
    print(json.dumps(metrics, indent=1))


def command_eval(args: argparse.Namespace) -> None:
    from .evaluation import evaluate_model_dir, format_results

    templates, corpus = read_dataset(args.corpus, args.templates)
    captions = None
    if args.captions is not None:
        file_templates, captions = read_dataset(args.captions, args.templates)
        templates = {**file_templates, **templates}
    results = evaluate_model_dir(
        args.model, corpus, templates, captions=captions, n_generate=args.n_generate, max_scored=args.max_scored
    )
    print(format_results(results))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ml.captions", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train a caption model into --out")
    train_parser.add_argument("--captions", type=Path, required=True, help="imgflip575k.jsonl(.gz)")
    train_parser.add_argument("--templates", type=Path, required=True, help="folder of <slug>/config.yml")
    train_parser.add_argument("--out", type=Path, required=True)
    train_parser.add_argument("--resume", action="store_true", help="continue from out/checkpoint.pt")
    add_config_options(train_parser)
    train_parser.set_defaults(run=command_train)

    prepare_parser = commands.add_parser("prepare", help="records -> ids and word vectors, into one --out file (.npz)")
    prepare_parser.add_argument("--captions", type=Path, required=True, help="imgflip575k.jsonl(.gz)")
    prepare_parser.add_argument("--templates", type=Path, required=True, help="folder of <slug>/config.yml")
    prepare_parser.add_argument("--out", type=Path, required=True)
    add_config_options(prepare_parser)
    prepare_parser.set_defaults(run=command_prepare)

    fit_parser = commands.add_parser("fit", help="train the network on a prepared file into --out (torch alone)")
    fit_parser.add_argument("--prepared", type=Path, required=True)
    fit_parser.add_argument("--out", type=Path, required=True)
    fit_parser.add_argument("--resume", action="store_true", help="continue from out/checkpoint.pt")
    fit_parser.add_argument("--init", type=Path, help="start from this model folder's weights (same prepared file)")
    add_config_options(fit_parser)
    fit_parser.set_defaults(run=command_fit)

    eval_parser = commands.add_parser(
        "eval", help="a model's numbers on held-out captions, against a trigram baseline fitted on its training data"
    )
    eval_parser.add_argument("--model", type=Path, required=True)
    eval_parser.add_argument(
        "--corpus", type=Path, required=True, help="the captions the model was trained from: its training data is "
        "rebuilt from them by its config.json, and its held-out memes are the corpus's fixed held-out ones",
    )
    eval_parser.add_argument("--templates", type=Path, required=True, help="folder of <slug>/config.yml")
    eval_parser.add_argument(
        "--captions", type=Path, help="evaluate on this whole file instead (never re-split): its captions of "
        "templates the model trained on count as seen, the others as unseen",
    )
    eval_parser.add_argument("--n-generate", dest="n_generate", type=int, default=400,
                             help="captions generated on seen templates, and again on unseen ones")
    eval_parser.add_argument("--max-scored", dest="max_scored", type=int, default=5000,
                             help="captions scored for perplexity per section (a seeded sample)")
    eval_parser.set_defaults(run=command_eval)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
