from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.template_fetch import DEFAULT_SOURCE, DEFAULT_TIMEOUT, FetchFailed, templates_fetch


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 600:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Download meme templates (images and text boxes) from memegen.link's public API, or a server that answers as "
        "it does, and import them. Needs the internet; nothing else on the site downloads anything. A template that "
        "cannot be imported is reported with its reason and the rest import."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", default=DEFAULT_SOURCE, help=f"The API's address (default {DEFAULT_SOURCE}).")
        parser.add_argument(
            "--only", type=lambda text: [key.strip() for key in text.split(",") if key.strip()], metavar="KEY,KEY",
            help="Only these templates, by the API's ids (memegen's keys: drake,buzz,fry).",
        )  # fmt: skip
        parser.add_argument("--limit", type=int, metavar="N", help="At most N templates, the first in the API's list.")
        parser.add_argument(
            "--replace", action="store_true",
            help="Replace templates of the same slug that were not fetched from this source (starter templates, ones "
            "made in admin, by the API, or imported from a folder).",
        )  # fmt: skip
        parser.add_argument(
            "--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
            help=f"The most one response may take, up to 600 (default {DEFAULT_TIMEOUT:g}).",
        )  # fmt: skip

    def handle(self, **options):
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit is a number of templates, 0 or more.")
        try:
            report = templates_fetch(
                options["source"], only=options["only"], limit=options["limit"], replace=options["replace"],
                timeout=options["timeout"],
                progress=lambda keys: tqdm(keys, desc="templates", unit="template", disable=options["verbosity"] == 0),
            )  # fmt: skip
        except FetchFailed as error:
            raise CommandError(
                f"{error}. Without the internet, import a folder in memegen's layout: manage.py import_templates DIR."
            ) from error
        self.stdout.write(
            f"created {len(report.created)}, updated {len(report.updated)}, skipped {len(report.skipped)} (unchanged), "
            f"rejected {len(report.rejected)}"
        )
        for key, reason in report.rejected.items():
            self.stderr.write(f"  rejected {key}: {reason}")
