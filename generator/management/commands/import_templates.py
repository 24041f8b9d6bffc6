from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.template_import import templates_import


class Command(BaseCommand):
    help = "Import meme templates from a folder in memegen.link's layout (one folder per template)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="Folder holding one sub-folder per template.")
        parser.add_argument(
            "--replace", action="store_true",
            help="Replace templates of the same slug that were not imported from that folder (made in admin, by the "
            "API, or from another folder).",
        )  # fmt: skip

    def handle(self, directory: Path, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        report = templates_import(
            directory, replace=options["replace"],
            progress=lambda items: tqdm(items, desc="templates", unit="template", disable=options["verbosity"] == 0),
        )  # fmt: skip
        self.stdout.write(
            f"created {len(report.created)}, updated {len(report.updated)}, skipped {len(report.skipped)} (unchanged), "
            f"rejected {len(report.rejected)}"
        )
        for name, reason in report.rejected.items():
            self.stderr.write(f"  rejected {name}: {reason}")
        if report.rejected:
            raise CommandError(f"{len(report.rejected)} folder(s) could not be imported: {', '.join(report.rejected)}")
