"""The event form's guess of a statement's PLOVER category from its cue words.

The words are the cue lexicon's (``relations.lexicon``: the Cue table, editable in the admin,
or the seed files while the table is empty), the same the machine coder reads, so a category
is guessed one way. Only cues that code an act (and denials, which are rejections) count.

A prefix cue is the start of a word ("condemn" also matches "condemns", "condemned"); a word
cue matches whole words; a lemma cue (Russian) matches any inflected form through pymorphy3.
In Hebrew and Arabic, where conjunctions, articles and verb prefixes are written onto the
word ("ו", "ה", "و", "ال", "ت"), a cue may also sit inside a word. Following PLOVER, criticism
and condemnation are ACCUSE; PROTEST is for demonstrations, rallies and strikes, not words. A
guess only prefills the form: the editor checks it.
"""

from __future__ import annotations

import functools
import re

from relations.lexicon import WEAK_CUE, CueEntry, current_cues, lemma, lexicon_state

# Languages whose words carry attached prefixes: cues match inside words there.
_INFIXED = frozenset({"he", "ar"})
_WORD = re.compile(r"\w+")


def _pattern(entry: CueEntry) -> re.Pattern[str]:
    start = "" if entry.language in _INFIXED else r"\b"
    body = r"\s+".join(re.escape(word) for word in entry.phrase.split())
    end = r"\w*" if entry.match == "prefix" else r"\b"
    return re.compile(start + body + end, re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def _compiled(entries: tuple[CueEntry, ...]):
    patterns = []
    lemmas: dict[str, tuple[bool, str]] = {}
    for entry in entries:
        if not entry.category or entry.polarity not in ("act", "negation"):
            continue
        weak = entry.weight < WEAK_CUE
        if entry.match == "lemma":
            lemmas.setdefault(entry.phrase.casefold(), (weak, entry.category))
        else:
            patterns.append((_pattern(entry), weak, entry.category))
    return patterns, lemmas


def guess_category(*texts: str) -> tuple[str, str] | None:
    """The category of the first cue met in ``texts`` (a headline before its summary: the
    headline's verb is the event), with the word or phrase that matched; None when none matches.
    As in the machine coder, a weak cue (weight below WEAK_CUE) counts only where no other is
    met in the same text; of two cues starting at the same place, the longer wins ("rejected
    claims")."""
    patterns, lemmas = _compiled(current_cues(lexicon_state()))
    for text in texts:
        hits = [
            (weak, match.start(), -match.end(), category, match.group())
            for pattern, weak, category in patterns
            if (match := pattern.search(text))
        ]
        hits.extend(_lemma_hits(text, lemmas))
        if hits:
            best = min(hits)
            return best[3], best[4]
    return None


def _lemma_hits(text: str, lemmas: dict[str, tuple[bool, str]]):
    """The words of ``text`` whose lemma is a (one-word) lemma cue, as guess_category's hits."""
    if not lemmas:
        return
    for match in _WORD.finditer(text):
        cue = lemmas.get(lemma(match.group().casefold()))
        if cue:
            yield cue[0], match.start(), -match.end(), cue[1], match.group()
