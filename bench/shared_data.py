"""Where the benchmarks find the shared ImgFlip captions and memegen templates (or the paths given to them)."""

import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def dataset_paths() -> tuple[Path, Path] | None:
    """(captions file, templates folder) from argv or beside the project; None (said on stdout) when absent."""
    captions = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "captions" / "imgflip575k.jsonl.gz"
    templates = Path(sys.argv[2]) if len(sys.argv) > 2 else SHARED / "templates"
    if not captions.is_file():
        print(f"# no captions at {captions}: skipped")
        return None
    return captions, templates
