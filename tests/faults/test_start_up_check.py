"""The fault tests' start-up check waits out a server that is slow over its first answer (a fresh server on a busy
machine), rather than failing the test that started it."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.faults.conftest import wait_for_first_answer

pytestmark = [pytest.mark.faults, pytest.mark.timeout(60)]


class SlowFirstAnswer(BaseHTTPRequestHandler):
    answered = 0

    def do_GET(self):
        if SlowFirstAnswer.answered == 0:
            time.sleep(6)  # past the 5-s read timeout the check once had
        SlowFirstAnswer.answered += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_server_slow_over_its_first_answer_is_waited_for():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowFirstAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_for_first_answer(f"http://127.0.0.1:{server.server_port}/api/schema/", lambda: True, str, deadline=30)
    finally:
        server.shutdown()
        server.server_close()
    assert SlowFirstAnswer.answered >= 1
