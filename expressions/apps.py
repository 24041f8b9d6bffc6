from django.apps import AppConfig


class ExpressionsConfig(AppConfig):
    name = "expressions"
    verbose_name = "Expressions and what users taught the ensemble"
