from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from captions.models import CaptionModelVersion
from captions.services import corpus_records, model_version_active, model_version_folder, template_info
from memes.models import Template
from ml.captions.data import read_dataset
from ml.captions.evaluation import evaluate_model_dir, format_results


class Command(BaseCommand):
    help = (
        "A caption model's numbers on captions it never trained on, against a trigram baseline fitted on its own "
        "training data (rebuilt from the corpus by the model's config): perplexity, title effect and use, rare "
        "words, distinct-2, copy rate, template fidelity and catchphrases on seen and unseen templates, offensive "
        "share, speed. Held out: the corpus's fixed held-out memes, or the whole --captions file. Prints "
        "`name: value` lines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", help="A model version's name (default: the active one).")
        parser.add_argument(
            "--corpus", type=Path,
            help="The .jsonl(.gz) file the model was trained from (default: the site's caption corpus).",
        )  # fmt: skip
        parser.add_argument(
            "--captions", type=Path,
            help="A .jsonl(.gz) caption file to evaluate on, whole: captions of templates the model trained on count "
            "as seen, the others as unseen.",
        )  # fmt: skip
        parser.add_argument("--templates", type=Path, help="A memegen-layout folder of templates, for the files.")
        parser.add_argument("--n-generate", type=int, default=400, help="Captions generated per section.")
        parser.add_argument("--max-scored", type=int, default=5000, help="Captions scored for perplexity per section.")

    def handle(self, model, corpus, captions, templates, n_generate, max_scored, **options):
        for path in (corpus, captions):
            if path is not None and not path.is_file():
                raise CommandError(f"{path} is not a file.")
        if templates is not None and not templates.is_dir():
            raise CommandError(f"{templates} is not a folder.")
        version = self._version(model)
        template_infos = {t.slug: template_info(t) for t in Template.objects.prefetch_related("boxes")}
        try:
            if corpus is None:
                records = list(corpus_records())
            else:
                file_templates, records = read_dataset(corpus, templates)
                template_infos |= file_templates
            heldout = None
            if captions is not None:
                file_templates, heldout = read_dataset(captions, templates)
                template_infos = file_templates | template_infos
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not records:
            raise CommandError("The corpus is empty: import captions, or pass --corpus.")
        results = evaluate_model_dir(
            model_version_folder(version), records, template_infos, captions=heldout, n_generate=n_generate,
            max_scored=max_scored,
        )  # fmt: skip
        self.stdout.write(format_results(results))

    @staticmethod
    def _version(name) -> CaptionModelVersion:
        if name is None:
            return model_version_active()
        version = CaptionModelVersion.objects.filter(name=name).first()
        if version is None:
            raise CommandError(f"No model version is called {name!r}.")
        return version
