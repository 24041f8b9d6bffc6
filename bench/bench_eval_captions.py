"""Held-out numbers of the active caption model (the bundled one on a fresh site), through `manage.py
eval_captions --corpus` on the shared ImgFlip captions: the model's training data rebuilt from them by its config,
the baseline fitted on that, the fixed held-out memes and the templates it never trained on scored. Skipped when
the data is not beside the project.

Run from the repository root: python bench/bench_eval_captions.py [CAPTIONS.jsonl.gz TEMPLATES_DIR]
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from shared_data import dataset_paths

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    paths = dataset_paths()
    if paths is None:
        return 0
    captions, templates = paths
    env = {**os.environ, "SLOWMEME_VAR_DIR": tempfile.mkdtemp(prefix="slowmeme-bench-eval-")}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True)
    command = [*manage, "eval_captions", "--corpus", str(captions), "--templates", str(templates)]
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
