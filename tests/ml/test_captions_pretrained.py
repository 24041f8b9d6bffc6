"""The committed model: small enough, loads, and fills every box of any template."""
from pathlib import Path

import pytest

from ml.captions.data import TemplateInfo
from ml.captions.generate import CaptionGenerator

PRETRAINED = Path(__file__).resolve().parents[2] / "ml" / "captions" / "pretrained"
pytestmark = pytest.mark.skipif(not (PRETRAINED / "weights.pt").exists(), reason="no committed model")


def test_committed_model_is_at_most_25_mb():
    assert sum(f.stat().st_size for f in PRETRAINED.rglob("*") if f.is_file()) <= 25 * 2**20


def test_committed_model_captions_a_new_template():
    generator = CaptionGenerator.load(PRETRAINED, device="cpu")
    template = TemplateInfo("new", "Surprised Cat", 2, ("cat", "shock"), ("when you see it",))
    candidates = generator.generate("mondays again", template, n=2, seed=0)
    assert len(candidates) == 2 and all(len(boxes) == 2 and all(boxes) for boxes in candidates)
