"""Command line: `python -m ml.captions train ...` and `python -m ml.captions eval ...` (see --help)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .data import load_dataset, read_dataset
from .training import add_config_options, config_from_options, train


def command_train(args: argparse.Namespace) -> None:
    config = config_from_options(vars(args))
    templates, splits = load_dataset(
        args.captions, args.templates, holdout_fraction=config.holdout_fraction,
        cold_templates=config.cold_templates, limit=config.limit, seed=config.seed,
    )
    print(f"train {len(splits.train)}, held-out {len(splits.heldout)}, cold-start {len(splits.cold_start)} captions")
    metrics = train(splits.train, templates, config, args.out, resume=args.resume, heldout=splits.heldout)
    print(json.dumps(metrics, indent=1))


def command_eval(args: argparse.Namespace) -> None:
    from .evaluation import evaluate_model_dir, format_results

    templates, records = read_dataset(args.captions, args.templates)
    print(format_results(evaluate_model_dir(args.model, records, templates, n_generate=args.n_generate)))


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

    eval_parser = commands.add_parser("eval", help="held-out numbers of a model against the trigram baseline")
    eval_parser.add_argument("--model", type=Path, required=True)
    eval_parser.add_argument("--captions", type=Path, required=True)
    eval_parser.add_argument("--templates", type=Path, required=True)
    eval_parser.add_argument("--n-generate", dest="n_generate", type=int, default=400)
    eval_parser.set_defaults(run=command_eval)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
