"""Memes with their exposure (views) and votes, and the pairs a scorer learns from and is judged on.

Pairs (`make_pairs`): two memes of the same template, on the same side of the project's fixed held-out split
(`ml.captions.data.is_heldout`), never one of each, whose view counts are within VIEW_FACTOR of each other (similar
exposure: on ImgFlip the votes-per-view rate falls steeply with views, so only similar exposure is comparable), and
whose votes-per-view rates differ clearly: the exact conditional test for two Poisson rates (given n = votes_a +
votes_b, votes_a ~ Binomial(n, views_a / (views_a + views_b)) if both rates were equal) rejects equality at
two-sided P_VALUE, and the smoothed rates ((votes + 0.5) / views) differ by at least RATE_FACTOR. The meme with the
higher rate is the one people voted for more. Each meme is paired with at most `partners` others drawn at random
within its view window, so a few much-voted memes do not make most of the pairs.

A validation part of the training memes (`is_validation`: the next VALIDATION_PERCENT of the same SHA-1 range) picks
the training settings; the held-out memes are only ever scored, at the end."""
from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import binom

from ml.captions.data import HELDOUT_PERCENT, CaptionRecord, is_heldout, read_caption_rows
from ml.captions.text import tokenize

VIEW_FACTOR = 2.0  # max(views) / min(views) of a pair
P_VALUE = 0.05  # two-sided, exact conditional binomial test of equal rates
RATE_FACTOR = 2.0  # smoothed rates differ at least this much
MIN_VIEWS = 100  # fewer views say too little about a caption
PARTNERS = 8  # partners drawn per meme (before the test)
VALIDATION_PERCENT = 5


@dataclass(frozen=True)
class Meme:
    record: CaptionRecord
    views: int
    votes: int

    @property
    def template(self) -> str:
        return self.record.template

    @property
    def boxes(self) -> tuple[str, ...]:
        return self.record.boxes

    @property
    def meme_id(self) -> str:
        return self.record.meme_id


# ImgFlip's talk of itself (its votes, points, streams, front page, memes about memes): it draws votes there, and
# means nothing on another site; a scorer that learned it ranks "upvote all the memes!" first.
VOTE_TALK = frozenset("imgflip imgflippers upvote upvotes upvoted upvoting downvote downvotes downvoted points "
                      "submission submissions featured leaderboard stream streams frontpage meme memes".split())


def talks_about_votes(meme: Meme) -> bool:
    words = [word for box in meme.boxes for word in tokenize(box)]
    return bool(VOTE_TALK.intersection(words)) or ("front", "page") in zip(words, words[1:])


def without_vote_talk(memes: Iterable[Meme]) -> list[Meme]:
    return [meme for meme in memes if not talks_about_votes(meme)]


@dataclass(frozen=True)
class Pair:
    """Memes `better` and `worse` (indexes into the meme list the pairs were made from) and the test's p-value."""

    better: int
    worse: int
    p_value: float


def read_memes(path: str | Path) -> Iterator[Meme]:
    """Every captioned meme of an ImgFlip JSON-lines dump with its `views` and `votes`."""
    for record, row in read_caption_rows(path):
        try:
            views, votes = int(row.get("views") or 0), int(row.get("votes") or 0)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}: meme {record.meme_id}: views and votes must be numbers ({error})") from error
        if views >= 0 and votes >= 0:
            yield Meme(record, views, votes)


def is_validation(record: CaptionRecord) -> bool:
    """Training memes set aside to choose settings: the VALIDATION_PERCENT of the SHA-1 range after the held-out's."""
    if is_heldout(record):
        return False
    key = record.meme_id or "\n".join(record.boxes)
    bucket = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16)
    return bucket < (HELDOUT_PERCENT + VALIDATION_PERCENT) * (16**8) // 100


def split_memes(memes: Iterable[Meme]) -> tuple[list[Meme], list[Meme], list[Meme]]:
    """(train, validation, held-out): the held-out part is exactly ml.captions.data.is_heldout's."""
    train, validation, heldout = [], [], []
    for meme in memes:
        if is_heldout(meme.record):
            heldout.append(meme)
        elif is_validation(meme.record):
            validation.append(meme)
        else:
            train.append(meme)
    return train, validation, heldout


def rate_test(votes_a: int, views_a: int, votes_b: int, views_b: int) -> float:
    """Two-sided p-value of the exact conditional test that two Poisson rates are equal."""
    n = votes_a + votes_b
    if n == 0:
        return 1.0
    share = views_a / (views_a + views_b)
    lower, upper = binom.cdf(votes_a, n, share), binom.sf(votes_a - 1, n, share)
    return float(min(1.0, 2 * min(lower, upper)))


def make_pairs(
    memes: Sequence[Meme],
    *,
    view_factor: float = VIEW_FACTOR,
    p_value: float = P_VALUE,
    rate_factor: float = RATE_FACTOR,
    min_views: int = MIN_VIEWS,
    partners: int | None = PARTNERS,
    seed: int = 0,
) -> list[Pair]:
    """Pairs of `memes` (see the module's doc). Memes are paired only with memes of the same template and the same
    side of the held-out split, whatever list they come in; `partners=None` tries every pair in the view window."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for index, meme in enumerate(memes):
        if meme.views >= min_views:
            groups[(meme.template, is_heldout(meme.record))].append(index)
    views = np.array([meme.views for meme in memes], dtype=np.float64)
    votes = np.array([meme.votes for meme in memes], dtype=np.int64)
    firsts, seconds = [], []
    log_factor = math.log(view_factor)
    for key in sorted(groups):
        members = np.array(sorted(groups[key], key=lambda i: (memes[i].views, i)))
        log_views = np.log(views[members])
        ends = np.searchsorted(log_views, log_views + log_factor + 1e-12, side="right")
        for position in range(len(members)):
            # Partners above in views only (those below find this one), within the factor.
            window = np.arange(position + 1, ends[position])
            if partners is not None and len(window) > partners:
                window = rng.choice(window, partners, replace=False)
            firsts.append(np.full(len(window), members[position]))
            seconds.append(members[window])
    if not firsts:
        return []
    a, b = np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)
    rate_a, rate_b = (votes[a] + 0.5) / views[a], (votes[b] + 0.5) / views[b]
    keep = np.maximum(rate_a, rate_b) >= rate_factor * np.minimum(rate_a, rate_b)
    a, b, rate_a, rate_b = a[keep], b[keep], rate_a[keep], rate_b[keep]
    p = rate_tests(votes[a], views[a], votes[b], views[b])
    keep = p <= p_value
    a_better = rate_a > rate_b
    better, worse = np.where(a_better, a, b)[keep], np.where(a_better, b, a)[keep]
    return [Pair(int(x), int(y), float(q)) for x, y, q in zip(better, worse, p[keep])]


def rate_tests(votes_a: np.ndarray, views_a: np.ndarray, votes_b: np.ndarray, views_b: np.ndarray) -> np.ndarray:
    """rate_test over arrays."""
    votes_a, votes_b = np.asarray(votes_a), np.asarray(votes_b)
    n = votes_a + votes_b
    share = np.asarray(views_a, dtype=np.float64) / (np.asarray(views_a, dtype=np.float64) + views_b)
    tails = np.minimum(binom.cdf(votes_a, n, share), binom.sf(votes_a - 1, n, share))
    return np.where(n == 0, 1.0, np.minimum(1.0, 2 * tails))
