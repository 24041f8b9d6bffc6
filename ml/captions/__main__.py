"""Command line: `python -m ml.captions train ...` and `python -m ml.captions eval ...` (see --help)."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from .data import load_dataset
from .training import TrainConfig, train


def command_train(args: argparse.Namespace) -> None:
    overrides = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name, None) is not None}
    config = TrainConfig(**overrides)
    templates, splits = load_dataset(
        args.captions, args.templates, holdout_fraction=config.holdout_fraction,
        cold_templates=config.cold_templates, limit=config.limit, seed=config.seed,
    )
    print(f"train {len(splits.train)}, held-out {len(splits.heldout)}, cold-start {len(splits.cold_start)} captions")
    metrics = train(splits.train, templates, config, args.out, resume=args.resume, heldout=splits.heldout)
    print(json.dumps(metrics, indent=1))


def command_eval(args: argparse.Namespace) -> None:
    from .evaluation import evaluate_model_dir

    for name, value in evaluate_model_dir(args.model, args.captions, args.templates, n_generate=args.n_generate).items():
        print(f"{name}: {value:.4g}" if isinstance(value, float) else f"{name}: {value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ml.captions", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train a caption model into --out")
    train_parser.add_argument("--captions", type=Path, required=True, help="imgflip575k.jsonl(.gz)")
    train_parser.add_argument("--templates", type=Path, required=True, help="folder of <slug>/config.yml")
    train_parser.add_argument("--out", type=Path, required=True)
    train_parser.add_argument("--resume", action="store_true", help="continue from out/checkpoint.pt")
    for option in ("epochs", "dim", "hidden", "layers", "batch_size", "min_count", "seed", "max_len", "limit", "cold_templates", "threads"):
        train_parser.add_argument(f"--{option.replace('_', '-')}", dest=option, type=int)
    for option in ("lr", "dropout", "template_dropout", "holdout_fraction"):
        train_parser.add_argument(f"--{option.replace('_', '-')}", dest=option, type=float)
    train_parser.add_argument("--head", choices=("softmax", "regression"))
    train_parser.add_argument("--version")
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
