"""Side by side with memegen.link: the same template and text rendered by Slowmeme and by a memegen checkout run
beside it (never copied into the project), timed in one run, both images saved to var/bench/memegen/.

memegen needs its own dependencies, so it runs in its own virtual environment, in a child process that times its
renders the same way; ours run in this process. Both decode the template's image, resize it to WIDTH, draw the
lines and encode a JPEG at QUALITY, for each template in TEMPLATES; runs alternate between the two in rounds.

Run from the repository root:
    MEMEGEN_DIR=/tmp/memegen MEMEGEN_PYTHON=/tmp/memegen-venv/bin/python python bench/bench_memegen.py
(or --memegen DIR --memegen-python PYTHON). Without a checkout it says so and skips.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memesite.settings")

# memegen template folder → the lines both render.
TEMPLATES = {
    "buzz": ["memes", "memes everywhere"],
    "fry": ["not sure if it renders slowly", "or just looks slow"],
}
WIDTH = 600
QUALITY = 85
WARMUPS = 2
RUNS_PER_ROUND = 10
ROUNDS = 3
OUT_DIR = ROOT / "var" / "bench" / "memegen"

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
    return parser.parse_args()


def our_boxes(folder: Path):
    """The template's boxes as `import_templates` reads them from its config.yml (no database needed)."""
    from generator.models import Template
    from generator.template_import import _boxes, _read_config

    config = _read_config((folder / "config.yml").read_bytes())
    return [box.as_spec() for box in _boxes(Template(slug=folder.name), config)]


def our_timings(folder: Path, lines: list[str], out: Path, runs: int) -> tuple[float, list[float]]:
    from generator.images import open_image
    from generator.rendering import render_meme
    from generator.template_import import _image_file

    data = _image_file(folder).read_bytes()
    boxes = our_boxes(folder)

    def render() -> bytes:
        return render_meme(open_image(data), boxes, lines, width=WIDTH, format="jpeg", quality=QUALITY)

    started = time.perf_counter()
    picture = render()
    first = time.perf_counter() - started
    for _ in range(WARMUPS):
        render()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        picture = render()
        times.append(time.perf_counter() - started)
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
    for slug, lines in TEMPLATES.items():
        folder = options.memegen / "templates" / slug
        ours, theirs = {"first": [], "times": []}, {"first": [], "times": []}
        for _ in range(ROUNDS):  # alternate, so that load on the machine weighs on both alike
            for side, measure in (
                (ours, lambda: our_timings(folder, lines, OUT_DIR / f"{slug}-slowmeme.jpg", RUNS_PER_ROUND)),
                (theirs, lambda: their_timings(options.memegen, options.memegen_python, slug, lines,
                                               OUT_DIR / f"{slug}-memegen.jpg", RUNS_PER_ROUND)),
            ):  # fmt: skip
                first, times = measure()
                side["first"].append(first)
                side["times"].extend(times)
        ours_ms, theirs_ms = (statistics.median(side["times"]) * 1000 for side in (ours, theirs))
        print(f"memegen_{slug}_slowmeme_render_ms: {ours_ms:.1f} ms")
        print(f"memegen_{slug}_memegen_render_ms: {theirs_ms:.1f} ms")
        print(f"memegen_{slug}_slowmeme_vs_memegen: {ours_ms / theirs_ms:.2f} x")
        if slug == next(iter(TEMPLATES)):
            # The first render in a process that had rendered nothing yet (fonts still to load), on either side.
            print(f"memegen_cold_slowmeme_first_render_ms: {ours['first'][0] * 1000:.1f} ms")
            print(f"memegen_cold_memegen_first_render_ms: {theirs['first'][0] * 1000:.1f} ms")
    print(f"# images: {OUT_DIR.relative_to(ROOT)}/<template>-slowmeme.jpg and <template>-memegen.jpg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
