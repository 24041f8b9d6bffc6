import socket
import threading

from celery.beat import EmbeddedService
from daphne.endpoints import build_endpoint_description_strings
from daphne.server import Server
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from memesite.celery import app as celery_app


class Command(BaseCommand):
    help = (
        "Serve Slowmeme (HTTP and websockets) with a Celery worker in the same process. In the embedded "
        "mode this is how the worker's progress reaches the browser; with --no-worker, run workers apart "
        "(`celery -A memesite worker`) on Redis."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; workers run elsewhere.")
        parser.add_argument(
            "--processes", type=int, default=settings.WEB_PROCESSES,
            help="Server processes sharing the port (uvicorn processes; default WEB_PROCESSES, 1). More than one "
                 "needs --no-worker and Redis: the in-process channel layer reaches only its own process.",
        )  # fmt: skip

    def handle(self, host, port, no_worker, processes, **options):
        if processes < 1:
            raise CommandError("--processes must be at least 1.")
        if processes > 1:
            self._serve_processes(host, port, no_worker, processes)
            return
        from memesite.asgi import application

        worker = None if no_worker else self._start_worker()
        # Embedded, this process is the whole site, so it keeps the schedule too (stale jobs queued again, the
        # nightly retraining, orphan media); on Redis, one `make beat` serves every machine.
        schedule = None if no_worker or settings.REDIS_URL else self._start_schedule()
        self.stdout.write(f"Slowmeme is running at http://{host}:{port}/ (worker: {'separate' if no_worker else 'in this process'})")
        self.stdout.flush()
        try:
            Server(application=application, endpoints=build_endpoint_description_strings(host=host, port=port)).run()
        finally:
            if schedule is not None:
                schedule.stop()
            if worker is not None:
                worker.stop(in_sighandler=False)

    def _serve_processes(self, host, port, no_worker, processes):
        from memesite import serving

        if not no_worker or not settings.REDIS_URL:
            raise CommandError(
                "Several server processes need --no-worker and REDIS_URL: the embedded worker and channel layer "
                "live inside one process, so the others would never hear its live messages."
            )
        self.stdout.write(f"Slowmeme is running at http://{host}:{port}/ ({processes} processes, workers separate)")
        self.stdout.flush()
        # One process per core: Django's request handling is CPU-bound Python, so one process uses one core.
        try:
            serving.serve(host, port, processes)
        except OSError as error:
            raise CommandError(f"Can't serve on {host}:{port}: {error.strerror or error}") from error

    def _start_schedule(self):
        schedule = EmbeddedService(celery_app, thread=True)
        schedule.start()
        return schedule

    def _start_worker(self):
        celery_app.finalize()
        worker = celery_app.WorkController(
            pool_cls="solo",
            concurrency=1,
            queues=settings.CELERY_WORKER_QUEUES,
            hostname=f"site@{socket.gethostname()}",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        threading.Thread(target=worker.start, name="celery-worker", daemon=True).start()
        return worker
