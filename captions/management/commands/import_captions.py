from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from captions.corpus_import import captions_import


class Command(BaseCommand):
    help = "Import meme captions: a .jsonl(.gz) dump, or a folder in ImgFlip575K's layout (memes/<slug>.json)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A .jsonl or .jsonl.gz file, a dataset folder or its memes folder.")

    def handle(self, path: Path, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        report = captions_import(
            path, progress=lambda items: tqdm(items, desc="captions", unit="caption", disable=options["verbosity"] == 0)
        )
        unknown = ", ".join(f"{slug} ({count})" for slug, count in sorted(report.unknown_templates.items()))
        self.stdout.write(
            f"created {report.created}, skipped {report.skipped} (already imported), unknown templates: {unknown or 'none'}"
        )
        for name, reason in report.rejected.items():
            self.stderr.write(f"  rejected {name}: {reason}")
        if report.rejected:
            rejected = "; ".join(f"{name} ({reason})" for name, reason in report.rejected.items())
            raise CommandError(f"{len(report.rejected)} file(s) could not be imported: {rejected}")
