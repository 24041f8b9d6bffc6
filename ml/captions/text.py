"""Tokens for captions: lower-case words, punctuation as tokens, boxes joined by a separator token."""
from __future__ import annotations

import re
from collections.abc import Sequence

BOX = "<box>"
END = "<end>"
UNK = "<unk>"
SPECIALS = (UNK, BOX, END)

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
