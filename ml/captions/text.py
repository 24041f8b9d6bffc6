"""Tokens for captions: lower-case words, punctuation as tokens, boxes joined by a separator token; the model's
source text (title, then the template's words) has its parts joined by SEP."""
from __future__ import annotations

import re
from collections.abc import Sequence

BOX = "<box>"
END = "<end>"
UNK = "<unk>"
SEP = "<sep>"
SPECIALS = (UNK, BOX, END, SEP)

# A word is letters/digits with inner apostrophes ("don't", "90's"); anything else but space is one token.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\S")
_NO_SPACE_BEFORE = set(",.!?;:')%")
_NO_SPACE_AFTER = set("($#@")


def tokenize(text: str) -> list[str]:
    return [token.replace("’", "'") for token in _TOKEN.findall(text.lower())]


def caption_tokens(boxes: Sequence[str]) -> list[str]:
    tokens: list[str] = []
    for index, box in enumerate(boxes):
        if index:
            tokens.append(BOX)
        tokens.extend(tokenize(box))
    tokens.append(END)
    return tokens


def detokenize(tokens: Sequence[str]) -> str:
    text = ""
    open_quote = False  # double quotes alternate: an opening one sticks to the next word, a closing one to the last
    for token in tokens:
        closing_quote = token == '"' and open_quote
        glue = (
            not text
            or token in _NO_SPACE_BEFORE
            or closing_quote
            or text[-1] in _NO_SPACE_AFTER
            or (text[-1] == '"' and open_quote)
        )
        text += token if glue else " " + token
        if token == '"':
            open_quote = not open_quote
    return text


def split_boxes(tokens: Sequence[str]) -> list[str]:
    """Box texts from a token sequence; tokens after END are ignored."""
    boxes: list[list[str]] = [[]]
    for token in tokens:
        if token == END:
            break
        if token == BOX:
            boxes.append([])
        else:
            boxes[-1].append(token)
    return [detokenize(box) for box in boxes]


# Words that say nothing about what a title is about: a title's other words are what a caption should take up.
STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below between
both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most
mustn't my myself no nor not now of off on once only or other ought our ours ourselves out over own really same
say says she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves
then there there's these they they'd they'll they're they've this those through to too under until up very was
wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why
why's will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
gonna wanna im dont cant thats youre ive ill one also even still much many every make makes made go going
""".split())


def is_content_word(word: str) -> bool:
    return len(word) >= 3 and word.replace("'", "").isalpha() and word not in STOPWORDS
