import math

import numpy as np

from ml.captions.data import CaptionRecord
from ml.captions.ngram import NgramBaseline, perplexity
from ml.captions.text import caption_tokens
from ml.captions.vocab import Vocabulary

RECORDS = [CaptionRecord("cats", ("my cat", "sleeps all day"))] * 20 + [
    CaptionRecord("work", ("my boss", "says no again"))
] * 20 + [CaptionRecord("work", ("my cat", "says no"))] * 3
VOCAB = Vocabulary(w for r in RECORDS for w in caption_tokens(r.boxes))


def test_probabilities_sum_to_one_in_every_context():
    model = NgramBaseline(VOCAB, RECORDS, mix=0.5).template_models["work"]
    everything = np.arange(len(VOCAB))
    for u, v in [(len(VOCAB), len(VOCAB)), (VOCAB.index["my"], VOCAB.index["cat"]), (VOCAB.unk, VOCAB.box)]:
        p = model.probability(np.full(len(VOCAB), u), np.full(len(VOCAB), v), everything)
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-9)


def test_scores_every_caption_token_with_unknown_words_as_unk():
    baseline = NgramBaseline.fit(RECORDS, VOCAB)
    nll, n_tokens = baseline.log_likelihood([CaptionRecord("cats", ("my zebra", "sleeps"))])
    assert n_tokens == 5 and math.isfinite(nll)


def test_template_model_beats_global_one_on_its_own_captions():
    cats = [CaptionRecord("cats", ("my cat", "sleeps all day"))]
    with_template = perplexity(*NgramBaseline(VOCAB, RECORDS, mix=0.8).log_likelihood(cats))
    global_only = perplexity(*NgramBaseline(VOCAB, RECORDS, mix=0.0).log_likelihood(cats))
    assert with_template < global_only


def test_unseen_template_falls_back_to_global_model():
    record = [CaptionRecord("never-seen", ("my cat", "says no"))]
    assert NgramBaseline(VOCAB, RECORDS, mix=0.9).log_likelihood(record) == NgramBaseline(
        VOCAB, RECORDS, mix=0.1
    ).log_likelihood(record)
