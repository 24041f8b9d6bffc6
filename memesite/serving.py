"""Several uvicorn processes on one port, each with a listening socket of its own (Linux's SO_REUSEPORT).

uvicorn's own workers share one listening socket, so connections made before the last process is up all go to
the ones already up, and keep-alive connections stay where they landed: the vote benchmark's 32 clients all
ended in one process in a third of its runs, the other idling (195 votes/s in place of 340). Here this process
opens a listening socket for each server process before any starts, and the kernel spreads new connections
over them by their addresses; those that come before a process is up wait in its socket's queue, as they do
while a process that died is started again on its socket. Elsewhere (no SO_REUSEPORT that balances)
uvicorn's own workers serve.
"""

import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys

import uvicorn

APPLICATION = "memesite.asgi:application"
SERVER_OPTIONS = {"lifespan": "off", "log_level": "warning", "access_log": False}
BALANCED_PORTS = sys.platform.startswith("linux")
BACKLOG = 2048  # uvicorn's default


def serve(host: str, port: int, processes: int) -> None:
    """Serve the site from `processes` processes until SIGINT or SIGTERM. A process killed (by the OOM killer,
    say) or stopped on its own is started again; one that failed (an exit status above 0: a bad setting, the
    database's address wrong) stops them all, as one process would have stopped."""
    if not BALANCED_PORTS:
        uvicorn.run(APPLICATION, host=host, port=port, workers=processes, **SERVER_OPTIONS)
        return
    sockets = [_listening_socket(host, port)]
    port = sockets[0].getsockname()[1]  # the free port chosen for port 0
    sockets += [_listening_socket(host, port) for _ in range(processes - 1)]
    context = multiprocessing.get_context("spawn")
    children = []
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for child in children:
            if child.is_alive():
                child.terminate()  # uvicorn finishes the requests in flight, then exits

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        children.extend(_start(context, listening) for listening in sockets)
        while not stopping:
            multiprocessing.connection.wait([child.sentinel for child in children])
            for index, child in enumerate(children):
                if child.is_alive() or stopping:
                    continue
                if child.exitcode > 0:
                    stop(None, None)
                    raise SystemExit(f"a server process failed (exit status {child.exitcode}); see its output above")
                print(f"server process {child.pid} ended ({child.exitcode}): starting another", file=sys.stderr)
                children[index] = _start(context, sockets[index])
    finally:
        for child in children:
            child.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for listening in sockets:
            listening.close()


def _start(context, listening: socket.socket) -> multiprocessing.Process:
    child = context.Process(target=_serve_one, args=(listening,), daemon=True)
    child.start()
    return child


def _serve_one(listening: socket.socket) -> None:
    uvicorn.Server(uvicorn.Config(APPLICATION, **SERVER_OPTIONS)).run(sockets=[listening])


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock
