"""The live experiment's rule: a truly better candidate is promoted, a worse one rolled back, on simulated votes."""

import pytest

from ml.experiments import decide, simulate


def test_clear_votes_decide_both_ways_and_too_few_wait():
    assert decide(80, 120, 120, 80, min_votes=200).action == "promote"
    assert decide(120, 80, 80, 120, min_votes=200).action == "rollback"
    assert decide(8, 12, 12, 8, min_votes=200).action == "continue"  # the same shares, a tenth of the votes
    assert decide(100, 100, 101, 99, min_votes=200).action == "continue"


def test_an_experiment_undecided_at_its_deadline_is_rolled_back():
    assert decide(100, 100, 101, 99, min_votes=200, expired=True).action == "rollback"
    assert decide(8, 12, 12, 8, min_votes=200, expired=True).action == "rollback"


def test_the_estimate_and_its_interval_bracket_the_difference_in_up_vote_shares():
    verdict = decide(500, 500, 600, 400, min_votes=200)
    assert verdict.low < 0.1 < verdict.high and verdict.estimate == pytest.approx(0.1, abs=0.002)
    assert verdict.low > 0 and verdict.probability > 0.999


@pytest.mark.parametrize("control, candidate", [(0.50, 0.55), (0.30, 0.35), (0.70, 0.75)])
def test_the_better_model_is_promoted_at_least_95_percent_of_the_time_and_a_worse_one_at_most_5(control, candidate):
    better = simulate(control, candidate, experiments=400, seed=1)
    worse = simulate(candidate, control, experiments=400, seed=2)
    assert better.promoted >= 0.95 and worse.promoted <= 0.05, (better, worse)
    assert better.median_votes < 5000  # votes on both arms together
