"""Held-out numbers of the active caption model (the bundled one on a fresh site) against the trigram baseline,
through `manage.py eval_captions` on the shared ImgFlip captions. Skipped when the data is not beside the project.

Run from the repository root: python bench/bench_eval_captions.py [CAPTIONS.jsonl.gz TEMPLATES_DIR]
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def main() -> int:
    captions = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "captions" / "imgflip575k.jsonl.gz"
    templates = Path(sys.argv[2]) if len(sys.argv) > 2 else SHARED / "templates"
    if not captions.is_file():
        print(f"# no captions at {captions}: skipped")
        return 0
    env = {**os.environ, "SLOWMEME_VAR_DIR": tempfile.mkdtemp(prefix="slowmeme-bench-eval-")}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True)
    return subprocess.run([*manage, "eval_captions", "--captions", str(captions), "--templates", str(templates)], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
