import pytest
from django.core.management import CommandError, call_command


def test_several_processes_refuse_the_embedded_worker():
    # The in-process worker and channel layer would reach one process of several: refused before serving.
    with pytest.raises(CommandError, match="--no-worker and REDIS_URL"):
        call_command("runsite", "--processes", "2", "--port", "0")


def test_several_processes_refuse_the_in_process_channel_layer(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="--no-worker and REDIS_URL"):
        call_command("runsite", "--processes", "2", "--no-worker", "--port", "0")


def test_processes_must_be_positive():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("runsite", "--processes", "0", "--no-worker", "--port", "0")
