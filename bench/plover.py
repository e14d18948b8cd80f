"""The coder's categories on an outside benchmark: the PLOVER gold-standard records.

../shared/benchmarks/plover-gsr/PLOVER_GSR_CAMEO.txt holds 323 English news sentences, each
hand-coded by the Open Event Data Alliance with one PLOVER category and its source and target
actor spans (CC BY-SA 4.0; see its README). As the README says: the file is JSON with trailing
commas (read leniently), its first record (DOCUMENT) documents the file, version 0.5b1's FIGHT
is ASSAULT and DISAPPROVE is ACCUSE, and the 9 INVESTIGATE sentences have no Relwatch category,
so they are left out of the scores (the count is printed).

Each sentence is coded with the marked actor spans given: a gazetteer made for it from its
SRC, TAR and SRC/TAR texts (the actors are mostly outside Relwatch's), and the seed lexicon.
The sentence's category is that of the first interaction the coder finds; where it places no
pair of the marked actors, the category its wording signals (``Coder.categorise``: the first
clear act cue not negated); a sentence with neither counts as wrong (coverage says how many
got a category, ``coded_with_a_pair`` how many through an interaction). The sentences are a
test set: nothing in the lexicon comes from them.

Prints ``plover_gsr_category_accuracy``, ``plover_gsr_macro_f1`` (over the categories the
gold standard uses), ``plover_gsr_coverage`` and the number of sentences scored.
No database is needed: the coder is built in memory.

``--confusion`` also prints, per gold category, how many were right, and the category ×
category counts (gold rows, coded columns; "-" for nothing coded). It prints counts only,
never a sentence or a word of one: the file stays a test set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections import Counter

from common import ROOT, report

GSR = ROOT.parent / "shared" / "benchmarks" / "plover-gsr" / "PLOVER_GSR_CAMEO.txt"
RENAMED = {"FIGHT": "ASSAULT", "DISAPPROVE": "ACCUSE"}
LEFT_OUT = {"INVESTIGATE", "DOCUMENT"}
_SPAN = re.compile(r"\((SRC/TAR|SRC|TAR):\s*([^()]+?)\)")
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def records() -> list[dict]:
    """The records of the file, read leniently (trailing commas removed)."""
    return json.loads(_TRAILING_COMMA.sub(r"\1", GSR.read_text(encoding="utf-8")))


def actor_spans(record: dict) -> list[tuple[str, str]]:
    """(role, text) of the marked actors: SRC, TAR or SRC/TAR."""
    markup = record.get("textInfo", {}).get("markup", "")
    return [(role, text.strip()) for role, text in _SPAN.findall(markup) if text.strip()]


def coder_for(spans: list[tuple[str, str]]):
    """A coder whose gazetteer knows only this sentence's marked actors, each its own state."""
    from coding.coder import Coder, RollUp
    from ingest.matching import AliasEntry, Gazetteer

    entries = [AliasEntry(number, text) for number, (_, text) in enumerate(spans, start=1)]
    kinds = dict.fromkeys(range(1, len(spans) + 1), "state")
    return Coder(LEXICON, Gazetteer(entries), RollUp(kinds, {}, {}))


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    """Mean F1 over the gold categories; a sentence coded with nothing is a miss."""
    scores = []
    for category in sorted({gold for gold, _ in pairs}):
        hits = sum(1 for gold, got in pairs if gold == category and got == category)
        found = sum(1 for _, got in pairs if got == category)
        wanted = sum(1 for gold, _ in pairs if gold == category)
        precision = hits / found if found else 0.0
        recall = hits / wanted if wanted else 0.0
        scores.append(2 * precision * recall / (precision + recall) if hits else 0.0)
    return sum(scores) / len(scores)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relwatch.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from coding.coder import Lexicon
    from relations.lexicon import seed_cues

    global LEXICON
    LEXICON = Lexicon(seed_cues())

    pairs: list[tuple[str, str]] = []
    left_out = Counter()
    with_pair = 0
    for record in records():
        gold = RENAMED.get(record["event"], record["event"])
        if gold in LEFT_OUT:
            left_out[gold] += 1
            continue
        spans = actor_spans(record)
        coder = coder_for(spans)
        coded = coder.code(record["text"], "", "en", dt.date(2000, 1, 1))
        if coded:
            with_pair += 1
            pairs.append((gold, coded[0].category))
        else:
            # No pair of the marked actors placed: the category the wording signals.
            category = coder.categorise(record["text"], "en")
            pairs.append((gold, category[0] if category else ""))

    correct = sum(1 for gold, got in pairs if gold == got)
    report("plover_gsr_sentences_scored", len(pairs))
    report("plover_gsr_investigate_left_out", left_out["INVESTIGATE"])
    report("plover_gsr_coverage", sum(1 for _, got in pairs if got) / len(pairs))
    report("plover_gsr_coded_with_a_pair", with_pair / len(pairs))
    report("plover_gsr_category_accuracy", correct / len(pairs))
    report("plover_gsr_macro_f1", macro_f1(pairs))
    if "--confusion" in sys.argv[1:]:
        print_confusion(pairs)


def print_confusion(pairs: list[tuple[str, str]]) -> None:
    """Per gold category: right/total, and the counts of what it was coded as (no text)."""
    golds = sorted({gold for gold, _ in pairs})
    for gold in golds:
        got = Counter(coded or "-" for g, coded in pairs if g == gold)
        total = sum(got.values())
        others = ", ".join(
            f"{coded} {count}" for coded, count in got.most_common() if coded != gold
        )
        print(f"{gold:10} {got[gold]:3}/{total:<3} {others}")


LEXICON = None

if __name__ == "__main__":
    main()
