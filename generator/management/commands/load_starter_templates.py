from django.core.management.base import BaseCommand

from generator.starter import starter_templates_load


class Command(BaseCommand):
    help = "Create the starter templates (scikit-image's sample pictures) that are missing."

    def handle(self, **options):
        created, existing = starter_templates_load()
        self.stdout.write(f"starter templates: created {created}, already there {existing}")
        self.stdout.write("real meme templates, from the internet: manage.py fetch_templates (see README.md)")
