"""A simulation of the correction loop, for evidence there is no labelled face set for: synthetic readings of
faces whose expression only the simulation knows, by members each good at some classes and poor at others and each
sure of itself in its own way; users correct the faces the fused reading got wrong (and confirm a share of the
right ones), one by one, and after each correction the temperatures and the per-class weights are refitted on all
of them, as weights_refit does. Does the fit find the best member for each class, and does the fusion beat each
member and the uniform fusion?

    .venv/bin/python -m ml.expressions.simulation [--corrections 400] [--seed 0]
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import numpy as np

from .fusion import calibrate, fit_class_weights, fit_temperatures, fuse, uniform_weights
from .mini_xception import CLASSES

# How often a member's top class is right on faces of each class (rows: members, columns: CLASSES order
# angry, disgust, fear, happy, sad, surprise, neutral); each class has one clearly best member.
ACCURACY = np.array([
    [0.45, 0.30, 0.35, 0.90, 0.40, 0.80, 0.50],  # good at happy and surprise
    [0.40, 0.35, 0.30, 0.70, 0.75, 0.55, 0.85],  # good at sad and neutral
    [0.75, 0.65, 0.70, 0.60, 0.45, 0.50, 0.45],  # good at angry, disgust, fear
])  # fmt: skip
# How sure of itself each member is: its top class's logit margin (all of them near 1.0, in their own ways).
SURENESS = np.array([6.0, 9.0, 4.5])
# How often faces of each class come (disgust rare, as in FER-2013; happy and neutral common).
CLASS_SHARE = np.array([0.13, 0.02, 0.12, 0.25, 0.15, 0.10, 0.23])


def best_members(accuracy: np.ndarray = ACCURACY) -> np.ndarray:
    return accuracy.argmax(axis=0)


def synthetic_faces(rng: np.random.Generator, count: int, accuracy: np.ndarray = ACCURACY,
                    sureness: np.ndarray = SURENESS) -> tuple[np.ndarray, np.ndarray]:
    """count×members×classes readings and the hidden labels: each member's top class is the truth with its
    accuracy on that class, else another class at random; its probabilities are a softmax of that margin plus
    noise."""
    members, classes = accuracy.shape
    labels = rng.choice(classes, size=count, p=CLASS_SHARE / CLASS_SHARE.sum())
    right = rng.random((count, members)) < accuracy[:, labels].T
    other = (labels[:, None] + rng.integers(1, classes, size=(count, members))) % classes
    top = np.where(right, labels[:, None], other)
    logits = rng.normal(0.0, 1.0, size=(count, members, classes))
    logits[np.arange(count)[:, None], np.arange(members)[None, :], top] += sureness[None, :]
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return probs / probs.sum(axis=-1, keepdims=True), labels


@dataclass
class Snapshot:
    corrections: int
    best_member_classes: int  # classes whose largest weight is on the best member
    weight_on_best: float  # the mean over classes of the best member's weight
    fused_accuracy: float  # on held-out faces, with the weights and temperatures so far
    temperatures: list[float] = field(default_factory=list)


@dataclass
class Result:
    snapshots: list[Snapshot]
    member_accuracy: list[float]  # each member alone, held out
    uniform_accuracy: float  # the uniform fusion without calibration: where the loop starts
    oracle_accuracy: float  # each face read by its class's best member (knowing the class: an upper bound)
    errors_only: bool


def simulate(corrections: int = 400, seed: int = 0, confirm_share: float = 0.2, held_out: int = 4000,
             checkpoints: tuple[int, ...] = (10, 25, 50, 100, 200, 400)) -> Result:
    """Faces arrive one by one; the fused reading (current fit) of each is corrected when wrong, confirmed with
    probability confirm_share when right (0: corrections only); every labelled face refits the temperatures and
    weights. Snapshots at the checkpoints (numbers of labelled faces)."""
    rng = np.random.default_rng(seed)
    members, classes = ACCURACY.shape
    test_probs, test_labels = synthetic_faces(rng, held_out)
    weights, temperatures = uniform_weights(members, classes), np.ones(members)
    labelled_probs, labelled = [], []
    snapshots = []
    best = best_members()

    def accuracy(w, t) -> float:
        return float((fuse(calibrate(test_probs, t), w).argmax(axis=-1) == test_labels).mean())

    while len(labelled) < corrections:
        probs, (label,) = synthetic_faces(rng, 1)
        read = int(fuse(calibrate(probs[0], temperatures), weights).argmax())
        if read == label and rng.random() >= confirm_share:
            continue
        labelled_probs.append(probs[0])
        labelled.append(label)
        stacked, labels = np.array(labelled_probs), np.array(labelled)
        temperatures = fit_temperatures(stacked, labels)
        weights = fit_class_weights(calibrate(stacked, temperatures), labels)
        if len(labelled) in checkpoints or len(labelled) == corrections:
            snapshots.append(Snapshot(
                corrections=len(labelled),
                best_member_classes=int((weights.argmax(axis=0) == best).sum()),
                weight_on_best=float(weights[best, np.arange(classes)].mean()),
                fused_accuracy=accuracy(weights, temperatures),
                temperatures=[round(float(t), 2) for t in temperatures],
            ))  # fmt: skip
    member_accuracy = [float((test_probs[:, m].argmax(axis=-1) == test_labels).mean()) for m in range(members)]
    oracle = float((test_probs[np.arange(held_out), best[test_labels]].argmax(axis=-1) == test_labels).mean())
    return Result(
        snapshots=snapshots,
        member_accuracy=member_accuracy,
        uniform_accuracy=accuracy(uniform_weights(members, classes), None),
        oracle_accuracy=oracle,
        errors_only=confirm_share == 0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for confirm_share in (0.2, 0.0):
        result = simulate(args.corrections, args.seed, confirm_share)
        confirmed = f"and {confirm_share:.0%} of right readings confirmed" if confirm_share else "only"
        print(f"# corrections {confirmed}")
        print(
            "members alone: " + ", ".join(f"{a:.3f}" for a in result.member_accuracy),
            f"| uniform fusion {result.uniform_accuracy:.3f}",
            f"| best member per class (oracle) {result.oracle_accuracy:.3f}",
        )
        for s in result.snapshots:
            print(
                f"{s.corrections:4d} labelled faces: best member on top for {s.best_member_classes}/{len(CLASSES)} "
                f"classes, its mean weight {s.weight_on_best:.2f}, fused accuracy {s.fused_accuracy:.3f}, "
                f"temperatures {s.temperatures}"
            )

if __name__ == "__main__":
    main()
