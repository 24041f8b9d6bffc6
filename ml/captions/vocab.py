"""Word <-> id mapping shared by the network and the n-gram baseline, so both are scored on the same tokens."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from .text import BOX, END, SEP, SPECIALS, UNK, caption_tokens, is_content_word, tokenize


class Vocabulary:
    """Special tokens first, then words from most to least frequent (so ids say how common a word is)."""

    def __init__(self, words_by_frequency: Iterable[str]):
        self.words = list(SPECIALS) + [word for word in words_by_frequency if word not in SPECIALS]
        self.index = {word: i for i, word in enumerate(self.words)}
        self.unk, self.box, self.end, self.sep = (self.index[token] for token in (UNK, BOX, END, SEP))

    def content_ids(self, ids: Iterable[int]) -> list[int]:
        """The ids among `ids` of words that carry meaning (text.is_content_word)."""
        if len(getattr(self, "_is_content", ())) != len(self.words):
            self._is_content = [is_content_word(word) for word in self.words]
        return [i for i in ids if self._is_content[i]]

    def __len__(self) -> int:
        return len(self.words)

    def ids(self, tokens: Iterable[str]) -> list[int]:
        return [self.index.get(token, self.unk) for token in tokens]

    def text_ids(self, text: str) -> list[int]:
        return self.ids(tokenize(text))

    def caption_ids(self, boxes: Sequence[str]) -> list[int]:
        return self.ids(caption_tokens(boxes))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.words, ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> "Vocabulary":
        return cls(json.loads(Path(path).read_text()))
