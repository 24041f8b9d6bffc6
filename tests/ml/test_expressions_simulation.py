"""The correction loop, simulated (ml.expressions.simulation): members each best at some classes and each sure of
itself in its own way; faces corrected one by one. The fitted weights find the best member of each class, the
temperatures soften the overconfident members, and the fusion ends better than uniform and than any member alone."""
from ml.expressions import CLASSES
from ml.expressions.simulation import simulate


def test_the_weights_approach_the_best_member_per_class():
    result = simulate(corrections=200, seed=0, held_out=2000, checkpoints=(10, 50, 200))
    first, last = result.snapshots[0], result.snapshots[-1]

    assert last.corrections == 200
    assert last.best_member_classes >= len(CLASSES) - 1  # disgust, 2% of faces, may still be unsure
    assert last.weight_on_best > first.weight_on_best > 1 / 3
    assert all(t > 1.5 for t in last.temperatures)  # every member was surer than right
    assert last.fused_accuracy > result.uniform_accuracy > max(result.member_accuracy)
    assert last.fused_accuracy < result.oracle_accuracy  # knowing the class would still be better
