from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from generator.sheet import caption_sheet_write


class Command(BaseCommand):
    help = (
        "Render the caption sheet: 40 prompt titles over 15 templates, captioned by the active model as the site "
        "would, into one HTML page of images to judge by eye."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, default=settings.BASE_DIR / "var" / "caption_sheet")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--templates", type=Path, default=None, help="Draw on memegen folders here, not the database's.")

    def handle(self, out, seed, templates, **options):
        if templates is not None and not templates.is_dir():
            raise CommandError(f"{templates} is not a folder.")
        try:
            page, missing = caption_sheet_write(out, seed=seed, templates_dir=templates)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if missing:
            self.stderr.write(f"not on the sheet (no such template here): {', '.join(missing)}")
        self.stdout.write(f"wrote {page}")
