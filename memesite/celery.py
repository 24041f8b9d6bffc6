"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memesite.settings")

app = Celery("memesite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _limit_torch_threads(**kwargs):
    """Each prefork child runs its own model: one thread each (TORCH_THREADS), or they fight over the cores."""
    import torch

    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
