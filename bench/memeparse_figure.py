"""Draw docs/memeparse.jpg: three memes our renderer made, parsed: the meme, the text found (yellow), the text lifted
off with the proposed boxes (red) and what was read. Run from the repository root: python bench/memeparse_figure.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from bench_memeparse import sample  # noqa: E402
from generator.rendering import render_meme  # noqa: E402
from memes.layout import TOP_AND_BOTTOM  # noqa: E402
from ml.memeparse import parse_meme  # noqa: E402
from ml.memeparse.parse import proposal_drawn  # noqa: E402

MEMES = (
    ("chelsea.png", ("YOU CALL THIS", "A MEME?")),
    ("astronaut.png", ("ONE DOES NOT SIMPLY", "PARSE A MEME WITHOUT OCR")),
    ("rocket.jpg", ("MY EXPECTATIONS", "MY GRADES")),
)
WIDTH = 360


def main() -> None:
    rows = []
    for name, lines in MEMES:
        meme = Image.open(io.BytesIO(render_meme(sample(name), TOP_AND_BOTTOM, lines, width=WIDTH * 2, quality=70)))
        proposal = parse_meme(meme)
        found = np.asarray(meme.convert("RGB")).copy()
        found[proposal.mask] = (found[proposal.mask] * 0.4 + np.array([255, 220, 0]) * 0.6).astype(np.uint8)
        preview = Image.fromarray(proposal_drawn(proposal))
        panels = [meme.convert("RGB"), Image.fromarray(found), Image.fromarray(proposal.clean), preview]
        height = round(meme.height * WIDTH / meme.width)
        row = Image.new("RGB", (WIDTH * len(panels), height + 24), "white")
        for index, panel in enumerate(panels):
            row.paste(panel.resize((WIDTH, height), Image.Resampling.LANCZOS), (index * WIDTH, 0))
        ImageDraw.Draw(row).text((6, height + 6), f"read: {' / '.join(proposal.caption)}  ({proposal.seconds:.2f} s)",
                                 fill="black")  # fmt: skip
        rows.append(row)
    figure = Image.new("RGB", (rows[0].width, sum(row.height for row in rows)), "white")
    y = 0
    for row in rows:
        figure.paste(row, (0, y))
        y += row.height
    figure.save(ROOT / "docs" / "memeparse.jpg", quality=80)


if __name__ == "__main__":
    main()
