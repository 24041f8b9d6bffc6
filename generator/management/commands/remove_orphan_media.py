from django.core.management.base import BaseCommand, CommandError

from generator.cleanup import media_orphans, media_orphans_remove


class Command(BaseCommand):
    help = "Remove media files (memes, uploads, templates) that no meme, job or template refers to."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=float, default=24 * 60 * 60,
            help="Only files untouched for this many seconds (default a day): younger ones may be being saved.",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="List them without removing them.")

    def handle(self, older_than, dry_run, **options):
        if older_than < 0:
            raise CommandError("--older-than is a number of seconds, 0 or more.")
        names = media_orphans(older_than) if dry_run else media_orphans_remove(older_than)
        for name in names:
            self.stdout.write(name)
        self.stdout.write(f"{len(names)} orphan files {'found' if dry_run else 'removed'}.")
