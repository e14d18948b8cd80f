"""Russian morphology for the coder, through pymorphy3 and its dictionaries (shipped in the
package: nothing is downloaded at run time), with the analyser and lemmas of the lexicon's own
lemma cues (``relations.lexicon``).

Only the words next to candidate actors and cues are parsed, and each distinct word once per
process (``lru_cache``): news repeats its vocabulary, so a warm coder rarely parses at all.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from relations.lexicon import lemma, morph_analyzer

__all__ = ["PREPOSITIONS", "Parse", "lemma", "parse"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PREPOSITIONS = _words(
    "в во на с со к ко по от из изо о об обо для при у за против над под без между "
    "через после перед до около вокруг вместе вслед среди ради насчет насчёт вопреки"
)


ALL_CASES = frozenset({"nomn", "gent", "datv", "accs", "ablt", "loct"})


class Parse(NamedTuple):
    pos: str  # NOUN, ADJF, VERB, PREP, ... ("" when unknown)
    case: str  # the likeliest case (nomn, gent, datv, accs, ablt, loct) or ""
    cases: frozenset[str]  # every case the word may be in
    lemma: str
    passive: bool  # a passive participle ("принята", "осуждён")


@functools.lru_cache(maxsize=50_000)
def parse(word: str) -> Parse:
    """The analysis of one lower-case word."""
    if word in PREPOSITIONS:
        return Parse("PREP", "", frozenset(), word, False)
    parses = morph_analyzer().parse(word)
    if not parses:
        return Parse("", "", frozenset(), word, False)
    best = parses[0]
    if not best.is_known:
        # A guess from the word's ending ("хезболла" as a genitive of "хезболл"): its case
        # is unknown, so it may be the subject.
        return Parse(str(best.tag.POS or ""), "", ALL_CASES, best.normal_form, False)
    cases = frozenset(p.tag.case for p in parses if p.tag.case and p.score >= 0.05)
    return Parse(
        str(best.tag.POS or ""),
        str(best.tag.case or ""),
        cases,
        best.normal_form,
        "pssv" in best.tag and best.tag.POS in ("PRTS", "PRTF"),
    )
