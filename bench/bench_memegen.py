"""Side by side with memegen.link: the same template and text rendered by Slowmeme and by a memegen checkout run
beside it (never copied into the project), timed in one run, both images saved to var/bench/memegen/.

memegen needs its own dependencies, so it runs in its own virtual environment, in a child process that times its
renders the same way; ours run in this process. Both decode the template's image, resize it to WIDTH, draw the
lines and encode a JPEG at QUALITY, for each template in TEMPLATES; runs alternate between the two in rounds.
Beside ours, interleaved with it: Pillow's floor for the same picture (decode, resize, encode, nothing drawn; goal:
ours <= 1.4x it, and <= 0.2x memegen's time) and ours on a text never drawn before (a worker keeps the last
pictures decoded and resized and boxes drawn: generator/rendering.py; this is what a new caption costs), and on a
text never drawn on a picture never decoded or resized (nothing kept: the first meme on a template in a worker).

Then over HTTP, each site served as it ships (memegen: its Sanic server, in its local mode, where every request
renders; Slowmeme: `runsite`, on a scratch database with the same template folders imported by import_templates):
a new text on every request (a render each time), and for Slowmeme the same address again (from its cache) and
with If-None-Match (304). memegen encodes its JPEGs at quality 95, Slowmeme at 85.

Run from the repository root:
    MEMEGEN_DIR=/tmp/memegen MEMEGEN_PYTHON=/tmp/memegen-venv/bin/python python bench/bench_memegen.py
(or --memegen DIR --memegen-python PYTHON; --renders-only skips HTTP). Without a checkout it says so and skips.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from harness import ROOT, free_port

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memesite.settings")

# memegen template folder → the lines both render.
TEMPLATES = {
    "buzz": ["memes", "memes everywhere"],
    "fry": ["not sure if it renders slowly", "or just looks slow"],
    "drake": ["left on unread", "left on read"],
    "ds": ["The dress is black and blue.", "The dress is gold and white."],
}
WIDTH = 600
QUALITY = 85
WARMUPS = 2
RUNS_PER_ROUND = 10
ROUNDS = 3
HTTP_REQUESTS = 20
OUT_DIR = ROOT / "var" / "bench" / "memegen"
FRESH = itertools.count()

# Runs in memegen's own environment, in its checkout: its template model and its render function, timed like ours.
THEIRS = """
import io, json, sys, time
from app import utils  # imports memegen's modules in the order its app does
from app.models import Template
from app.utils.images import render_image

slug, lines, width, quality, warmups, runs, out = json.loads(sys.argv[1])
template = Template.objects.get_or_none(slug)

def render():
    image = render_image(template, "default", lines, (width, 0))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()

started = time.perf_counter()
picture = render()
first = time.perf_counter() - started
for _ in range(warmups):
    render()
times = []
for _ in range(runs):
    started = time.perf_counter()
    picture = render()
    times.append(time.perf_counter() - started)
open(out, "wb").write(picture)
print(json.dumps({"first": first, "times": times}))
"""


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memegen", default=os.environ.get("MEMEGEN_DIR", "/tmp/memegen"), type=Path)
    parser.add_argument(
        "--memegen-python", default=os.environ.get("MEMEGEN_PYTHON", "/tmp/memegen-venv/bin/python"), type=Path
    )
    parser.add_argument("--renders-only", action="store_true", help="Skip the comparison over HTTP.")
    return parser.parse_args()


def our_boxes(folder: Path):
    """The template's boxes as `import_templates` reads them from its config.yml (no database needed)."""
    from generator.template_import import _boxes, _read_config
    from memes.models import Template

    config = _read_config((folder / "config.yml").read_bytes())
    return [box.as_spec() for box in _boxes(Template(slug=folder.name), config)]


def our_timings(folder: Path, lines: list[str], out: Path, runs: int) -> tuple[float, dict[str, list[float]]]:
    """Our render, Pillow's floor for the same picture (decode, resize to WIDTH, encode, nothing drawn) and our
    render of a text never drawn before (numbered: no kept layout or layer, the resized picture kept as a worker
    has it), interleaved so that load on the machine weighs on each alike."""
    import io

    from PIL import Image

    from generator import rendering
    from generator.rendering import RESAMPLE, picture_decoded, render_meme
    from generator.template_import import _image_file
    from memesite.images import open_image

    data = _image_file(folder).read_bytes()
    boxes = our_boxes(folder)

    def render() -> bytes:
        return render_meme(picture_decoded(data, open_image), boxes, lines, width=WIDTH, format="jpeg", quality=QUALITY)

    def render_new_text() -> bytes:
        number = next(FRESH)  # never the same text twice in the run
        new = [f"{line} {number}" for line in lines]
        return render_meme(picture_decoded(data, open_image), boxes, new, width=WIDTH, format="jpeg", quality=QUALITY)

    def render_nothing_kept() -> bytes:
        with rendering.nothing_kept():  # the first meme on this template in this worker, with a new text
            return render_new_text()

    def floor() -> bytes:
        image = Image.open(io.BytesIO(data))
        image.load()
        image = image if image.mode == "RGB" else image.convert("RGB")
        buffer = io.BytesIO()
        image.resize((WIDTH, round(image.height * WIDTH / image.width)), RESAMPLE).save(buffer, "JPEG", quality=QUALITY)
        return buffer.getvalue()

    started = time.perf_counter()
    picture = render()
    first = time.perf_counter() - started
    tasks = {"render": render, "floor": floor, "new_text": render_new_text, "nothing_kept": render_nothing_kept}
    for _ in range(WARMUPS):
        for task in tasks.values():
            task()
    times = {name: [] for name in tasks}
    for _ in range(runs):
        for name, task in tasks.items():
            started = time.perf_counter()
            result = task()
            times[name].append(time.perf_counter() - started)
            picture = result if name == "render" else picture
    out.write_bytes(picture)
    return first, times


def their_timings(checkout: Path, python: Path, slug: str, lines: list[str], out: Path, runs: int):
    job = json.dumps([slug, lines, WIDTH, QUALITY, WARMUPS, runs, str(out)])
    done = subprocess.run(
        [str(python), "-c", THEIRS, job], cwd=checkout, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"memegen failed on {slug}:\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["first"], answer["times"]


@contextmanager
def serving(command: list[str], cwd: Path, env: dict, port: int, log: Path):
    """A server started for the bench, stopped after it; waits until it answers."""
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.3)
        else:
            # The log lives in a scratch folder removed on the way out: say what it said.
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(f"the server did not start ({' '.join(command[:2])}); its output ended:\n{tail}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def fetch_ms(url: str, headers: dict | None = None) -> tuple[float, int]:
    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:  # urllib raises on 304 too
        status = error.code
    return (time.perf_counter() - started) * 1000, status


def http_comparison(checkout: Path, python: Path) -> None:
    """Both sites over HTTP: new text every request (a render each), and for ours the cached and 304 answers."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-memegen-"))
    try:
        for slug in TEMPLATES:  # our importer takes real folders only: a scratch copy, outside the project
            shutil.copytree(checkout / "templates" / slug, scratch / "templates" / slug)
        ours_env = {"SLOWMEME_VAR_DIR": str(scratch / "var"), "THROTTLE_RENDER": "100000/minute"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        for step in (["migrate", "-v0"], ["import_templates", str(scratch / "templates"), "-v0"]):
            subprocess.run(manage + step, cwd=ROOT, env={**os.environ, **ours_env}, check=True, stdout=subprocess.DEVNULL)
        ours_port, theirs_port = free_port(), free_port()
        ours_command = manage + ["runsite", "--no-worker", "--port", str(ours_port)]
        theirs_command = [str(Path(python).parent / "sanic"), "app.main:app", "--host", "127.0.0.1", "--port",
                          str(theirs_port), "--single-process", "--no-motd"]  # fmt: skip
        with serving(ours_command, ROOT, ours_env, ours_port, scratch / "slowmeme.log") as ours, serving(
            theirs_command, checkout, {}, theirs_port, scratch / "memegen.log"
        ) as theirs:
            for slug, (top, bottom) in TEMPLATES.items():
                path = f"{slug}/{{n}}_{top.replace(' ', '_')}/{bottom.replace(' ', '_')}.jpg?width={WIDTH}"
                cold = {"slowmeme": [], "memegen": []}
                for n in range(HTTP_REQUESTS + WARMUPS):
                    for side, base in (("slowmeme", f"{ours}/t/"), ("memegen", f"{theirs}/images/")):
                        took, status = fetch_ms(base + path.format(n=n))
                        if status != 200:
                            raise RuntimeError(f"{side} answered {status} for {path.format(n=n)}")
                        if n >= WARMUPS:
                            cold[side].append(took)
                repeated = f"{ours}/t/" + path.format(n=0)
                cached = [fetch_ms(repeated)[0] for _ in range(HTTP_REQUESTS)]
                request = urllib.request.urlopen(repeated)
                etag = request.headers["ETag"]
                request.read()
                revalidated = [fetch_ms(repeated, {"If-None-Match": etag}) for _ in range(HTTP_REQUESTS)]
                assert all(status == 304 for _, status in revalidated)
                for side, times in cold.items():
                    print(f"memegen_http_{slug}_{side}_new_text_ms: {statistics.median(times):.1f} ms")
                print(f"memegen_http_{slug}_slowmeme_cached_ms: {statistics.median(cached):.1f} ms")
                print(f"memegen_http_{slug}_slowmeme_304_ms: {statistics.median(t for t, _ in revalidated):.1f} ms")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    options = arguments()
    if not (options.memegen / "app" / "utils" / "images.py").exists() or not options.memegen_python.exists():
        print(
            f"# skipped: no memegen checkout at {options.memegen} with a Python at {options.memegen_python} "
            "(set MEMEGEN_DIR and MEMEGEN_PYTHON, or --memegen and --memegen-python)"
        )
        return 0
    import django

    django.setup()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"# load average {os.getloadavg()[0]:.2f}")
    for slug, lines in TEMPLATES.items():
        folder = options.memegen / "templates" / slug
        ours, theirs = {"first": [], "times": []}, {"first": [], "times": []}
        floors, new_texts, nothing_kept = [], [], []
        for _ in range(ROUNDS):  # alternate, so that load on the machine weighs on both alike
            first, times = our_timings(folder, lines, OUT_DIR / f"{slug}-slowmeme.jpg", RUNS_PER_ROUND)
            ours["first"].append(first)
            ours["times"] += times["render"]
            floors += times["floor"]
            new_texts += times["new_text"]
            nothing_kept += times["nothing_kept"]
            first, times = their_timings(
                options.memegen, options.memegen_python, slug, lines, OUT_DIR / f"{slug}-memegen.jpg", RUNS_PER_ROUND
            )
            theirs["first"].append(first)
            theirs["times"].extend(times)
        ours_ms, theirs_ms = (statistics.median(side["times"]) * 1000 for side in (ours, theirs))
        floor_ms, new_text_ms = statistics.median(floors) * 1000, statistics.median(new_texts) * 1000
        print(f"memegen_{slug}_slowmeme_render_ms: {ours_ms:.1f} ms")
        print(f"memegen_{slug}_memegen_render_ms: {theirs_ms:.1f} ms")
        print(f"memegen_{slug}_slowmeme_vs_memegen: {ours_ms / theirs_ms:.2f} x")
        print(f"memegen_{slug}_floor_ms: {floor_ms:.1f} ms")
        print(f"memegen_{slug}_slowmeme_to_floor_ratio: {ours_ms / floor_ms:.2f} x")
        print(f"memegen_{slug}_slowmeme_new_text_ms: {new_text_ms:.1f} ms")
        print(f"memegen_{slug}_slowmeme_new_text_to_floor_ratio: {new_text_ms / floor_ms:.2f} x")
        print(f"memegen_{slug}_slowmeme_new_text_vs_memegen: {new_text_ms / theirs_ms:.2f} x")
        cold_ms = statistics.median(nothing_kept) * 1000
        print(f"memegen_{slug}_slowmeme_nothing_kept_ms: {cold_ms:.1f} ms")
        print(f"memegen_{slug}_slowmeme_nothing_kept_to_floor_ratio: {cold_ms / floor_ms:.2f} x", flush=True)
        if slug == next(iter(TEMPLATES)):
            # The first render in a process that had rendered nothing yet (fonts still to load), on either side.
            print(f"memegen_cold_slowmeme_first_render_ms: {ours['first'][0] * 1000:.1f} ms")
            print(f"memegen_cold_memegen_first_render_ms: {theirs['first'][0] * 1000:.1f} ms")
    print(f"# images: {OUT_DIR.relative_to(ROOT)}/<template>-slowmeme.jpg and <template>-memegen.jpg")
    print(f"# load average {os.getloadavg()[0]:.2f}")
    if not options.renders_only:
        http_comparison(options.memegen, options.memegen_python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
