"""The embedded mode's broker (files in a folder) delivers every message, even one queued while a worker polls.

kombu's own filesystem transport fills a message's file after giving it its final name, and its reader does not
wait: now and then a worker read an empty file, failed to decode it and dropped it (one job of 120 in a minute of
bench_load; 2 messages of 2,000 in a stress run of four producer processes)."""

import multiprocessing
import os
import time
from queue import Empty

import pytest
from kombu import Connection

from memesite import broker
from memesite.broker import Transport

PRODUCERS, MESSAGES_EACH = 4, 500


def produce(options: dict, first: int) -> None:
    with Connection("filesystem://", transport=Transport, transport_options=options) as connection:
        queue = connection.SimpleQueue("jobs")
        for number in range(first, first + MESSAGES_EACH):
            queue.put({"number": number})


def test_every_message_queued_while_the_consumer_polls_arrives_once(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "polling_interval": 0,
               "control_folder": str(tmp_path.parent / "control")}  # fmt: skip
    total, received, errors = PRODUCERS * MESSAGES_EACH, [], []
    # Producers in processes of their own, as web servers and workers are, writing while the consumer reads.
    context = multiprocessing.get_context("fork")
    producers = [context.Process(target=produce, args=(options, n * MESSAGES_EACH)) for n in range(PRODUCERS)]
    with Connection("filesystem://", transport=Transport, transport_options=options) as connection:
        queue = connection.SimpleQueue("jobs")
        for producer in producers:
            producer.start()
        deadline = time.monotonic() + 60
        while len(received) < total and time.monotonic() < deadline:
            try:
                message = queue.get(timeout=0.01)
            except queue.Empty:
                continue
            except ValueError as error:  # a message read before it was written: it is gone
                errors.append(error)
                continue
            received.append(message.payload["number"])
            message.ack()
    for producer in producers:
        producer.join(timeout=30)
    assert not errors
    assert sorted(received) == list(range(total))
    assert not any(tmp_path.iterdir()), "nothing left behind, half-written or not"


def test_a_message_being_written_is_not_there_for_the_reader_until_it_is_whole(tmp_path, monkeypatch):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path),
               "control_folder": str(tmp_path.parent / "control")}  # fmt: skip
    with Connection("filesystem://", transport=Transport, transport_options=options) as connection:
        channel = connection.default_channel
        polls = []

        def replace_after_a_poll(source, target):
            # The worker polls at the worst moment: the payload is written, the message not yet in place.
            with pytest.raises(Empty):
                channel._get("jobs")
            polls.append(source)
            os.rename(source, target)

        monkeypatch.setattr(broker.os, "replace", replace_after_a_poll)
        channel._put("jobs", {"body": "whole"})
        assert len(polls) == 1
        assert channel._get("jobs") == {"body": "whole"}
