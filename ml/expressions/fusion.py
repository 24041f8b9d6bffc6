"""Fusing the members' class probabilities with per-class weights (MemeGen: trust each member most on the
classes it reads well), and fitting those weights on labelled validation faces."""
from __future__ import annotations

import numpy as np

# A class with this many validation faces takes half its weights from them and half from uniform; rarer classes
# (disgust has few faces in FER-2013) stay near uniform rather than trusting a handful of examples.
PRIOR_SAMPLES = 20


def uniform_weights(members: int, classes: int) -> np.ndarray:
    return np.full((members, classes), 1 / members)


def normalised(weights: np.ndarray) -> np.ndarray:
    """Non-negative members×classes weights scaled so that each class's column sums to 1 (all-zero → uniform)."""
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or (weights < 0).any():
        raise ValueError(f"weights must be a non-negative members×classes matrix, got {weights!r}")
    totals = weights.sum(axis=0, keepdims=True)
    uniform = uniform_weights(*weights.shape)
    return np.divide(weights, totals, out=uniform, where=totals > 0)


def fuse(member_probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(…×members×classes) probabilities → (…×classes): score(c) = Σ_m W[m, c]·p_m(c), renormalised to sum to 1."""
    scores = (weights * member_probs).sum(axis=-2)
    return scores / scores.sum(axis=-1, keepdims=True)


def fit_class_weights(member_probs: np.ndarray, labels: np.ndarray, prior_samples: float = PRIOR_SAMPLES) -> np.ndarray:
    """members×classes weights from validation faces: member_probs n×members×classes, labels n class indices.

    A member's weight on class c is its soft F1 there — the F1 of its expected true positives, predictions and
    the class's count, which unlike argmax counts still ranks members on a few faces — normalised over members,
    then shrunk towards uniform by how few faces of c there are. Each column sums to 1."""
    member_probs = np.asarray(member_probs, dtype=float)
    labels = np.asarray(labels, dtype=int)
    samples, members, classes = member_probs.shape
    if labels.shape != (samples,) or not ((labels >= 0) & (labels < classes)).all():
        raise ValueError(f"labels must be {samples} class indices below {classes}")
    truth = np.eye(classes)[labels]  # samples×classes, one-hot
    true_positives = (member_probs * truth[:, None, :]).sum(axis=0)  # members×classes
    predicted = member_probs.sum(axis=0)
    support = truth.sum(axis=0)  # faces per class
    denominator = predicted + support
    soft_f1 = np.divide(2 * true_positives, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    trust = support / (support + prior_samples)
    return trust * normalised(soft_f1) + (1 - trust) * uniform_weights(members, classes)


# Temperatures: each member's probabilities are calibrated before they are fused (the networks are all sure of
# themselves, near 1.0 on their top class, right or wrong). A member's temperature T divides its log-probabilities:
# T > 1 softens them. It is fitted on the labelled faces by the likelihood of their labels, with a prior that keeps
# it at 1 until faces say otherwise: (log T)² × TEMPERATURE_PRIOR, as much as that many faces' worth of evidence.
TEMPERATURE_PRIOR = 2.0
TEMPERATURE_GRID = 2.0 ** (np.arange(-100, 201) / 50)  # 0.25 … 16, 1.4% apart, 1 among them


def calibrate(member_probs: np.ndarray, temperatures: np.ndarray | None) -> np.ndarray:
    """(…×members×classes) probabilities, each member's softened (T > 1) or sharpened by its temperature."""
    member_probs = np.asarray(member_probs, dtype=float)
    if temperatures is None or np.all(np.asarray(temperatures) == 1):
        return member_probs
    logits = np.log(np.maximum(member_probs, 1e-12)) / np.asarray(temperatures, dtype=float)[:, None]
    logits -= logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=-1, keepdims=True)


def fit_temperatures(
    member_probs: np.ndarray, labels: np.ndarray, prior: float = TEMPERATURE_PRIOR
) -> np.ndarray:
    """One temperature per member (n×members×classes probabilities, n class indices): the grid value that
    maximises the labels' likelihood under softmax(log p / T), less the prior's (log T)² penalty. 1 without faces."""
    member_probs = np.asarray(member_probs, dtype=float)
    labels = np.asarray(labels, dtype=int)
    log_p = np.log(np.maximum(member_probs, 1e-12))  # n×members×classes
    scaled = log_p[None] / TEMPERATURE_GRID[:, None, None, None]  # grid×n×members×classes
    log_norm = np.logaddexp.reduce(scaled, axis=-1)  # grid×n×members
    picked = np.take_along_axis(scaled, labels[None, :, None, None], axis=-1)[..., 0]
    loss = (log_norm - picked).sum(axis=1) + prior * np.log(TEMPERATURE_GRID)[:, None] ** 2  # grid×members
    return TEMPERATURE_GRID[loss.argmin(axis=0)]
