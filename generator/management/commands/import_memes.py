from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.meme_import import memes_import
from ml.memeparse import OcrMissing


class Command(BaseCommand):
    help = (
        "Read a folder of captioned meme pictures into the caption corpus: each one's template recognised (by a "
        "perceptual hash of the picture outside its text) and its text read box by box (Tesseract)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="Folder of meme pictures (.jpg, .png, .webp, .gif).")

    def handle(self, directory: Path, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        try:
            report = memes_import(
                directory,
                progress=lambda items: tqdm(items, desc="memes", unit="meme", disable=options["verbosity"] == 0),
            )
        except OcrMissing as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"matched {report.matched}, read {report.read}, already there {report.already}, "
            f"skipped {len(report.skipped)}"
        )
        for name, reason in report.skipped.items():
            self.stdout.write(f"  skipped {name}: {reason}")
