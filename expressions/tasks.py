"""Celery tasks: thin wrappers that call the services."""

from celery import shared_task

from . import services


# Named under "ml." so that it is routed to the ml queue, with the other work on the expression ensemble.
@shared_task(name="ml.refit_expression_weights")
def refit_expression_weights() -> None:
    services.weights_refit()
