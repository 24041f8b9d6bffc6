"""The verdict of a live A/B test between two caption models, from the up and down votes on each one's memes.

Each arm's share of up votes gets a Beta(1, 1) prior and a Beta posterior; the difference of the two shares is taken
as normal, with the posteriors' means and variances (close to exact past a few dozen votes, and needing no sampling).
The candidate is promoted once the posterior probability that its share is higher reaches `confidence`, and rolled
back once that probability falls to 1 − `confidence`. Both need at least `min_votes` votes on each arm. An experiment
still undecided at its deadline is rolled back: the active model stays unless the candidate is shown better.

Votes are counted as independent. Votes on one meme are not quite independent (a good meme draws many up votes), so
`min_votes` should be well above the number of votes one meme gets. `simulate` measures how often the rule promotes a
truly better and a truly worse model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

INTERVAL_Z = 1.959964  # a 95% credible interval


@dataclass(frozen=True)
class Verdict:
    action: str  # "promote", "rollback" or "continue"
    probability: float  # P(the candidate's up-vote share > the control's)
    estimate: float  # the difference in up-vote share, candidate − control (posterior mean)
    low: float  # its 95% credible interval
    high: float
    summary: str

    def as_dict(self) -> dict:
        return asdict(self)


def decide(
    control_ups: int, control_downs: int, candidate_ups: int, candidate_downs: int, *,
    confidence: float = 0.95, min_votes: int = 200, expired: bool = False,
) -> Verdict:  # fmt: skip
    """Promote, roll back or continue, from the votes on each arm's memes so far."""
    mean, variance = 0.0, 0.0
    for sign, ups, downs in ((1, candidate_ups, candidate_downs), (-1, control_ups, control_downs)):
        a, b = 1 + ups, 1 + downs
        mean += sign * a / (a + b)
        variance += a * b / ((a + b) ** 2 * (a + b + 1))
    spread = math.sqrt(variance)
    probability = 0.5 * (1 + math.erf(mean / (spread * math.sqrt(2))))
    low, high = mean - INTERVAL_Z * spread, mean + INTERVAL_Z * spread
    enough = min(control_ups + control_downs, candidate_ups + candidate_downs) >= min_votes
    if enough and probability >= confidence:
        action, why = "promote", f"the candidate is liked more with probability {probability:.3f}"
    elif enough and probability <= 1 - confidence:
        action, why = "rollback", f"the candidate is liked less with probability {1 - probability:.3f}"
    elif expired:
        action, why = "rollback", f"undecided at the deadline (probability {probability:.3f})"
    else:
        needed = "" if enough else f"; {min_votes} votes on each side are needed"
        action, why = "continue", f"probability {probability:.3f} that the candidate is liked more{needed}"
    return Verdict(action, probability, mean, low, high, why)


@dataclass(frozen=True)
class SimulationResult:
    promoted: float  # share of experiments that promoted the candidate
    rolled_back: float
    undecided: float  # still running when the votes ran out
    median_votes: float  # votes counted when each decided experiment was decided


def simulate(
    control_rate: float, candidate_rate: float, *, experiments: int = 400, votes_per_check: int = 50,
    max_votes: int = 20_000, confidence: float = 0.95, min_votes: int = 200, seed: int = 0,
) -> SimulationResult:  # fmt: skip
    """Run many experiments where each vote is up with the arm's hidden rate; votes come to both arms alike and the
    rule is checked every `votes_per_check` votes per arm (as the site judges every few minutes)."""
    rng = np.random.default_rng(seed)
    outcomes, decided_at = [], []
    for _ in range(experiments):
        counts = np.zeros(4, dtype=int)  # control ups, downs, candidate ups, downs
        action = "continue"
        for votes in range(votes_per_check, max_votes + 1, votes_per_check):
            control_ups, candidate_ups = rng.binomial(votes_per_check, [control_rate, candidate_rate])
            counts += [control_ups, votes_per_check - control_ups, candidate_ups, votes_per_check - candidate_ups]
            action = decide(*map(int, counts), confidence=confidence, min_votes=min_votes).action
            if action != "continue":
                decided_at.append(2 * votes)
                break
        outcomes.append(action)
    share = {action: outcomes.count(action) / experiments for action in ("promote", "rollback", "continue")}
    median = float(np.median(decided_at)) if decided_at else float("nan")
    return SimulationResult(share["promote"], share["rollback"], share["continue"], median)
