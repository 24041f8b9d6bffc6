"""The ranking formulas, as Reddit publishes them; plain functions of a meme's votes and age."""

import math
from datetime import datetime, timezone

# Reddit's epoch for "hot": 2005-12-08 07:46:43 UTC.
HOT_EPOCH = datetime(2005, 12, 8, 7, 46, 43, tzinfo=timezone.utc)
# 45,000 s (12.5 hours) of age weigh as much as a tenfold score.
HOT_SECONDS_PER_DECADE = 45000
# Reddit's "best": the lower bound of the 80% Wilson score interval.
WILSON_Z = 1.281551565545


def hot(ups: int, downs: int, created: datetime) -> float:
    """sign(s)·log10(max(|s|, 1)) + (created − epoch)/45000, with s = ups − downs."""
    score = ups - downs
    order = math.log10(max(abs(score), 1))
    sign = (score > 0) - (score < 0)
    return sign * order + (created - HOT_EPOCH).total_seconds() / HOT_SECONDS_PER_DECADE


def best(ups: int, downs: int, z: float = WILSON_Z) -> float:
    """The Wilson score lower bound of the share of up votes: 0 for a meme nobody voted on."""
    n = ups + downs
    if n == 0:
        return 0.0
    p = ups / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)
    return (centre - spread) / (1 + z2 / n)
