from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from captions.models import CaptionModelVersion
from captions.services import corpus_records, model_version_active, model_version_folder, template_info
from generator.models import Template
from ml.captions.data import read_dataset
from ml.captions.evaluation import evaluate_model_dir, format_results


class Command(BaseCommand):
    help = (
        "Held-out numbers of a caption model against the trigram baseline: perplexity, distinct-n, copy rate, "
        "template fidelity, cold start. Splits the corpus as the model's training did; --captions evaluates on "
        "a JSON-lines file (the ImgFlip575K layout) instead. Prints `name: value` lines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", help="A model version's name (default: the active one).")
        parser.add_argument("--captions", type=Path, help="A .jsonl(.gz) caption file to evaluate on.")
        parser.add_argument("--templates", type=Path, help="With --captions: a memegen-layout folder of templates.")
        parser.add_argument("--n-generate", type=int, default=400, help="Captions generated for the diversity numbers.")

    def handle(self, model, captions, templates, n_generate, **options):
        if captions is not None and not captions.is_file():
            raise CommandError(f"{captions} is not a file.")
        if templates is not None and not templates.is_dir():
            raise CommandError(f"{templates} is not a folder.")
        version = self._version(model)
        if captions is not None:
            try:
                template_infos, records = read_dataset(captions, templates)
            except ValueError as error:
                raise CommandError(str(error)) from error
        else:
            template_infos = {t.slug: template_info(t) for t in Template.objects.prefetch_related("boxes")}
            records = list(corpus_records())
        if len(records) < 100:
            raise CommandError(f"{len(records)} captions are too few to evaluate on: import captions or pass --captions.")
        results = evaluate_model_dir(model_version_folder(version), records, template_infos, n_generate=n_generate)
        self.stdout.write(format_results(results))

    @staticmethod
    def _version(name) -> CaptionModelVersion:
        if name is None:
            return model_version_active()
        version = CaptionModelVersion.objects.filter(name=name).first()
        if version is None:
            raise CommandError(f"No model version is called {name!r}.")
        return version
