import pytest

from ml.captions.text import BOX, END, caption_tokens, detokenize, split_boxes, tokenize


def test_tokenize_lower_cases_and_splits_punctuation():
    assert tokenize("I DON'T know, man!") == ["i", "don't", "know", ",", "man", "!"]


def test_tokenize_keeps_inner_apostrophes_and_normalises_curly_ones():
    assert tokenize("90’s kids' toys") == ["90's", "kids", "'", "toys"]


@pytest.mark.parametrize(
    "text",
    [
        "one does not simply walk into mordor",
        "i don't always test my code, but when i do, i do it in production.",
        "wait... what?!",
        'they said "it works on my machine" again',
        "it costs $5 (or 10%)",
        "i'm clean now: 100% sure; really",
    ],
)
def test_detokenize_round_trips_normal_text(text):
    assert detokenize(tokenize(text)) == text


def test_caption_tokens_join_boxes_and_end():
    assert caption_tokens(["Top text", "BOTTOM!"]) == ["top", "text", BOX, "bottom", "!", END]


def test_split_boxes_inverts_caption_tokens():
    assert split_boxes(caption_tokens(["when it works", "don't touch it."])) == ["when it works", "don't touch it."]


def test_split_boxes_ignores_what_follows_end():
    assert split_boxes(["a", END, "b"]) == ["a"]
