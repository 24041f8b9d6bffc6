import difflib
import json

from django.core.management.base import BaseCommand, CommandError

from captions.services import captions_write
from memes.models import Template
from ml.captions.safety import UnfitCaptions

MAX_CANDIDATES = 32  # each one is drawn and ranked: a million would hold a worker's memory and minutes


class Command(BaseCommand):
    help = (
        "Print the caption candidates the site would offer for a template and a title: the active model, its "
        "filters and its ranking, by the site's own code path."
    )

    def add_arguments(self, parser):
        parser.add_argument("--template", required=True, help="The template's slug.")
        parser.add_argument("--title", required=True, help="What the meme is about, as a user would type it.")
        parser.add_argument("-n", type=int, default=4, help=f"How many candidates (default 4, at most {MAX_CANDIDATES}).")
        parser.add_argument("--seed", type=int, default=None, help="Draw the same candidates every time.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="One JSON object per candidate.")

    def handle(self, template, title, n, seed, as_json, **options):
        found = Template.objects.filter(slug=template).prefetch_related("boxes").first()
        if found is None:
            close = difflib.get_close_matches(template, Template.objects.values_list("slug", flat=True), n=5)
            raise CommandError(f"No template {template!r}." + (f" Did you mean: {', '.join(close)}?" if close else ""))
        if not 1 <= n <= MAX_CANDIDATES:
            raise CommandError(f"-n must be between 1 and {MAX_CANDIDATES}.")
        try:
            candidates, version = captions_write(found, title, n=n, seed=seed)
        except UnfitCaptions as error:
            raise CommandError(str(error)) from error
        for number, boxes in enumerate(candidates, 1):
            if as_json:
                row = {"template": found.slug, "title": title, "boxes": boxes, "model_version": version}
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                self.stdout.write(f"{number}. " + " / ".join(boxes))
        if not as_json:
            self.stdout.write(f"(model {version}, template {found.slug})")

