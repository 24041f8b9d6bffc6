"""`runsite --no-worker --processes 2`: two server processes on one port, each with a share of the connections
(keep-alive clients that connect at once are not all left to one process), one that dies started again, and
none left behind when the server stops."""

import http.client
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.faults.conftest import wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.timeout(300),  # a fresh server on a busy machine may take a while to answer first
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the balanced ports are Linux's"),
]
CONNECTIONS = 16
# Every check opens CONNECTIONS connections as one anonymous caller: no throttle in the way.
SERVE = {"THROTTLE_ANON": "100000/minute"}


def serving_processes(port: int) -> Counter:
    """Established connections to the port, by the process that holds the server's end."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if local_port == port and state == "01":
                inodes.add(f"socket:[{inode}]")
    holders = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    holders[int(pid)] += 1
        except OSError:
            continue  # gone, or not ours to read
    return holders


def keep_alive_clients(address: str) -> list[http.client.HTTPConnection]:
    """CONNECTIONS keep-alive connections, all opened before any asks, each answered once."""
    parts = urlsplit(address)
    clients = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=30) for _ in range(CONNECTIONS)]
    for client in clients:
        client.connect()
    for client in clients:
        client.request("GET", "/api/templates/")
    for client in clients:
        response = client.getresponse()
        response.read()
        assert response.status == 200
    return clients


def test_two_processes_share_the_connections_and_one_that_dies_is_replaced(private_redis, site_env, start_web):
    address = start_web(site_env(REDIS_URL=private_redis.url, **SERVE), options=("--processes", "2"))
    port = urlsplit(address).port
    clients = keep_alive_clients(address)
    holders = serving_processes(port)
    assert len(holders) == 2, holders  # both processes hold some of the 16 (all in one: 1 chance in 30,000)
    assert sum(holders.values()) == CONNECTIONS

    killed = next(iter(holders))
    os.kill(killed, signal.SIGKILL)
    for client in clients:
        client.close()

    def both_serving():
        clients = keep_alive_clients(address)  # noqa: F841 - open while the processes are read
        answering = serving_processes(port)
        return len(answering) == 2 and killed not in answering

    wait_for(both_serving, 60, "a new server process beside the other", interval=0.5)


def test_stopping_the_server_stops_its_processes(private_redis, site_env, start_web):
    address = start_web(site_env(REDIS_URL=private_redis.url, **SERVE), options=("--processes", "2"))
    clients = keep_alive_clients(address)  # noqa: F841 - held open: they must not keep the processes up
    processes = list(serving_processes(urlsplit(address).port))
    supervisor = int(process_status(processes[0])["PPid"])
    os.kill(supervisor, signal.SIGTERM)
    wait_for(lambda: not any(running(pid) for pid in [supervisor, *processes]), 30, "the server's processes exiting")


def process_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def running(pid: int) -> bool:
    try:
        return not process_status(pid)["State"].startswith("Z")  # a zombie has exited: its parent reaps it later
    except FileNotFoundError:
        return False
