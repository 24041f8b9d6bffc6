"""A caption scorer learned from votes: for two captions of one template, which one people voted for more (votes per
view, at similar exposure). Plain Python and torch over the caption model's word2vec vectors; nothing of Django.

    from ml import scorer
    s = scorer.load()                      # ml/scorer/pretrained, over ml/captions/pretrained's vectors
    s.score("drake-hotline-bling", ["doing my homework", "memes at 3 am"])

See README.md beside this file; experiment.py holds the statistics of a live A/B between two caption models."""
from .scorer import PRETRAINED, Scorer, VocabularyMismatch, load, vocabulary_fingerprint

__all__ = ["PRETRAINED", "Scorer", "VocabularyMismatch", "load", "vocabulary_fingerprint"]
