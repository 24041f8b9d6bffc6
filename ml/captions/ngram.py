"""Baseline: a per-template Kneser-Ney trigram interpolated with a global one, on the network's vocabulary.

Counts live in sorted numpy arrays of packed (u, v, w) ids, so fitting 5M tokens takes seconds."""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from .data import CaptionRecord
from .vocab import Vocabulary

DISCOUNT = 0.75
MIX_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


class _Table:
    """A sparse count table: sorted keys, values looked up in bulk."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self.keys, self.values = keys, values

    @classmethod
    def count(cls, keys: np.ndarray) -> "_Table":
        return cls(*np.unique(keys, return_counts=True))

    def get(self, query: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(len(query))
        at = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
        return np.where(self.keys[at] == query, self.values[at], 0).astype(float)


def _trigrams(sequences: Iterable[Sequence[int]], bos: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, w) for every token w of every sequence, with two BOS ids before each sequence."""
    rows = [[bos, bos, *sequence] for sequence in sequences]
    u = np.fromiter((t for row in rows for t in row[:-2]), dtype=np.int64)
    v = np.fromiter((t for row in rows for t in row[1:-1]), dtype=np.int64)
    w = np.fromiter((t for row in rows for t in row[2:]), dtype=np.int64)
    return u, v, w


class KneserNeyTrigram:
    """Interpolated Kneser-Ney with one discount; the unigram level is interpolated with uniform."""

    def __init__(self, u: np.ndarray, v: np.ndarray, w: np.ndarray, vocab_size: int):
        self.base, self.vocab_size = vocab_size + 1, vocab_size  # vocab_size itself is the BOS id
        trigrams = _Table.count((u * self.base + v) * self.base + w)
        tu, tvw = np.divmod(trigrams.keys, self.base * self.base)
        self.trigram = trigrams
        self.context = _Table(*self._group_sum(tu * self.base + tvw // self.base, trigrams.values))
        self.context_types = _Table.count(tu * self.base + tvw // self.base)
        # Continuation counts: in how many distinct contexts a lower-order n-gram was seen.
        self.bigram = _Table.count(tvw)
        bv = self.bigram.keys // self.base
        self.bigram_context = _Table(*self._group_sum(bv, self.bigram.values))
        self.bigram_context_types = _Table.count(bv)
        self.unigram = _Table.count(self.bigram.keys % self.base)
        self.unigram_total = float(self.unigram.values.sum())
        self.unigram_types = len(self.unigram.keys)

    @staticmethod
    def _group_sum(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        unique, inverse = np.unique(keys, return_inverse=True)
        return unique, np.bincount(inverse, weights=values)

    def probability(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        uniform = 1.0 / self.vocab_size
        p1 = (np.maximum(self.unigram.get(w) - DISCOUNT, 0) + DISCOUNT * self.unigram_types * uniform) / self.unigram_total
        p2 = self._interpolate(
            self.bigram.get(v * self.base + w), self.bigram_context.get(v), self.bigram_context_types.get(v), p1
        )
        uv = u * self.base + v
        return self._interpolate(
            self.trigram.get(uv * self.base + w), self.context.get(uv), self.context_types.get(uv), p2
        )

    @staticmethod
    def _interpolate(count, context_total, context_types, lower):
        seen = context_total > 0
        total = np.where(seen, context_total, 1.0)
        mixed = (np.maximum(count - DISCOUNT, 0) + DISCOUNT * context_types * lower) / total
        return np.where(seen, mixed, lower)


class NgramBaseline:
    """P(w) = mix * P_template(w) + (1 - mix) * P_global(w); a template never seen in training uses P_global."""

    def __init__(self, vocab: Vocabulary, records: Sequence[CaptionRecord], mix: float):
        self.vocab, self.mix = vocab, mix
        by_template = self._encode(records)
        bos = len(vocab)
        self.global_model = KneserNeyTrigram(*_trigrams((s for seqs in by_template.values() for s in seqs), bos), bos)
        self.template_models = {
            slug: KneserNeyTrigram(*_trigrams(seqs, bos), bos) for slug, seqs in by_template.items()
        }

    @classmethod
    def fit(cls, records: Sequence[CaptionRecord], vocab: Vocabulary, *, tune_fraction=0.05, seed=0) -> "NgramBaseline":
        """Tune the template/global mix on a slice of the training records, then refit on all of them."""
        records = list(records)
        shuffled = random.Random(seed).sample(records, len(records))
        n_tune = max(1, int(len(records) * tune_fraction))
        held = cls(vocab, shuffled[n_tune:], mix=0.5)
        tune = shuffled[:n_tune]

        def tune_nll(mix: float) -> float:
            held.mix = mix
            return held.log_likelihood(tune)[0]

        return cls(vocab, records, mix=min(MIX_GRID, key=tune_nll))

    def _encode(self, records: Iterable[CaptionRecord]) -> dict[str, list[list[int]]]:
        by_template: dict[str, list[list[int]]] = defaultdict(list)
        for record in records:
            by_template[record.template].append(self.vocab.caption_ids(record.boxes))
        return by_template

    def log_likelihood(self, records: Iterable[CaptionRecord]) -> tuple[float, int]:
        """Negative log-likelihood in nats, summed over all caption tokens, and the number of tokens."""
        total_nll, n_tokens = 0.0, 0
        bos = len(self.vocab)
        for slug, sequences in self._encode(records).items():
            u, v, w = _trigrams(sequences, bos)
            p = self.global_model.probability(u, v, w)
            if slug in self.template_models:
                p = self.mix * self.template_models[slug].probability(u, v, w) + (1 - self.mix) * p
            total_nll -= float(np.log(p).sum())
            n_tokens += len(w)
        return total_nll, n_tokens


def perplexity(nll: float, n_tokens: int) -> float:
    return math.exp(nll / max(n_tokens, 1))
