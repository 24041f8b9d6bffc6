"""The web process never runs a model, so it must not pay for the libraries that do (issue 20: 451 MiB with them,
about 140 MiB without)."""

import json
import subprocess
import sys
from pathlib import Path

MODEL_LIBRARIES = ("torch", "gensim", "scipy", "sklearn", "matplotlib")
MAX_RSS_MIB = 200

# What a web server process loads: Django, the ASGI app (URLconf, websocket consumers), the admin, the Celery
# tasks it queues.
WEB_SIDE = f"""
import json, re, sys
from pathlib import Path
import django
django.setup()
from django.contrib import admin
from django.urls import get_resolver
import memesite.asgi
admin.autodiscover()
get_resolver().url_patterns
from memesite.celery import app
app.loader.import_default_modules()
print(json.dumps({{
    "loaded": [name for name in {MODEL_LIBRARIES!r} if name in sys.modules],
    "rss_mib": int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024,
}}))
"""


def test_the_web_side_imports_no_model_library():
    # A fresh interpreter: the test process itself has imported everything the other tests use. Its peak RSS is
    # read from /proc (VmHWM, this program's own), not getrusage: Linux carries ru_maxrss over from the forked
    # test process, torch and all.
    done = subprocess.run(
        [sys.executable, "-c", WEB_SIDE], cwd=Path(__file__).resolve().parent.parent,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    web = json.loads(done.stdout.strip().splitlines()[-1])
    assert web["loaded"] == []
    assert web["rss_mib"] <= MAX_RSS_MIB
