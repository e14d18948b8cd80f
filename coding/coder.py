"""The coder: an article's text, in its language, to zero or more coded interactions.

Interface (used by ``coding.stage``; the implementation is the coder's own business):

    coder = get_coder()            # built once per process, rebuilt when cues or aliases change
    coder.version                  # changes whenever the lexicon or gazetteer does
    coder.code(title, text, language, day) -> list[Coded]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Coded:
    source_id: int  # rolled up (state or organisation) where an analyst would expect it
    target_id: int
    source_named_id: int  # as named in the text
    target_named_id: int
    category: str  # one of relations.categories.Category
    kind: str  # meeting, statement, allegation or action
    score: float  # the category's default intensity
    confidence: float  # 0..1
    quote: str  # the evidence sentence
    cue: str  # the words that fired
    explanation: str  # "cue: «принял» → CONSULT; source: the minister, subject after the verb"
    spans: dict = field(default_factory=dict)  # {"source": [s, e], "target": ..., "cue": ...}
    claimant_id: int | None = None  # reported claims: who claims it


class Coder:
    version = ""

    def code(self, title: str, text: str, language: str, day: dt.date) -> list[Coded]:
        raise NotImplementedError


def get_coder() -> Coder:
    raise NotImplementedError
