"""Cutting an article into sentences, with their places in the text.

News text is simple enough for a rule: a sentence ends at ".", "!", "?", "؟" or "…" (with any
closing quotes or brackets) before white space, or at a line break, unless the word before the
stop is an abbreviation ("U.S.", "Mr.", "Gen.") or a single letter (initials). A lower-case
letter after the stop continues the sentence ("the U.N. said"); Hebrew and Arabic have no case,
so there a stop always ends one.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ABBREVIATIONS = _words(
    "mr mrs ms dr st gen lt col maj capt sgt adm gov sen rep jr sr prof no vs etc "
    "inc ltd co corp dept jan feb mar apr jun jul aug sep sept oct nov dec ул г гг "
    "им т д тыс млн млрд руб"
)
_STOP = re.compile(r"[.!?؟…]+[\"'»”’)\]]*(?=\s)|\n+")


def sentences(text: str, limit: int) -> list[tuple[int, int]]:
    """At most ``limit`` (start, end) spans of the sentences of ``text``, without the white
    space around them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for stop in _STOP.finditer(text):
        end = stop.end()
        if text[stop.start()] == "." and _continues(text, stop.start(), end):
            continue
        _add(text, start, end, spans)
        start = end
        if len(spans) >= limit:
            return spans
    _add(text, start, len(text), spans)
    return spans[:limit]


def _continues(text: str, dot: int, end: int) -> bool:
    word_start = dot
    while word_start > 0 and text[word_start - 1].isalnum():
        word_start -= 1
    word = text[word_start:dot]
    if len(word) == 1 and word.isalpha() or word.casefold() in ABBREVIATIONS:
        return True
    following = text[end : end + 20].lstrip()
    return bool(following) and following[0].islower()


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
