from django.core.management.base import BaseCommand, CommandError

from captions.services import model_train, model_version_activate
from ml.captions.training import add_config_options, config_from_options


class Command(BaseCommand):
    help = (
        "Train a caption model (word2vec + LSTM) on the imported and hand-written captions, on CUDA when "
        "present, and register it as a model version. Seeded; --resume continues a run that was cut short."
    )

    def add_arguments(self, parser):
        add_config_options(parser)
        parser.add_argument("--resume", action="store_true", help="Continue from the version's last checkpoint.")
        parser.add_argument("--activate", action="store_true", help="Make the new version the active one.")

    def handle(self, resume, activate, **options):
        # On the site every template should be learned: none is held out unless asked.
        config = config_from_options(options, cold_templates=0)
        try:
            version = model_train(config, resume=resume, progress=options["verbosity"] > 0)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if activate:
            model_version_activate(version)
        perplexity = version.metrics.get("heldout_perplexity")
        self.stdout.write(
            f"model version {version.name} in {version.path}"
            + (f", held-out perplexity {perplexity:.1f}" if perplexity else "")
            + (" (active)" if version.is_active else "")
        )
