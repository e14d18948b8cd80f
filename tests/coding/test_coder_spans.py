"""The gazetteer's mention spans, which the coder's evidence spans come from: places in the
original text, whatever normalising did to it (case, attached prefixes, niqqud, ß)."""

from __future__ import annotations

import pytest

from ingest.matching import AliasEntry, Gazetteer

GAZETTEER = Gazetteer(
    [
        AliasEntry(1, "Putin"),
        AliasEntry(2, "Russian Foreign Ministry"),
        AliasEntry(3, "Russia"),
        AliasEntry(4, "ישראל", "he"),
        AliasEntry(5, "US", case_sensitive=True),
        AliasEntry(6, "Путин", "ru"),
        AliasEntry(7, "حماس", "ar"),
        AliasEntry(8, "Straße"),
    ]
)


def mentions(text: str) -> list[tuple[str, int]]:
    return [(text[s.start : s.end], s.actors[0][0]) for s in GAZETTEER.spans(text)]


def test_spans_are_places_in_the_original_text():
    text = "The Russian Foreign Ministry said: Putin's aide met US and us. ומישראל. Путина ولحماس"

    assert mentions(text) == [
        ("Russian Foreign Ministry", 2),
        ("Putin", 1),
        ("US", 5),
        ("ומישראל", 4),
        ("Путина", 6),
        ("ولحماس", 7),
    ]


def test_spans_survive_niqqud_and_folding_that_changes_lengths():
    text = "STRASSE und Straße: Putin met US. וּמִישְׂרָאֵל"

    assert mentions(text) == [
        ("STRASSE", 8),
        ("Straße", 8),
        ("Putin", 1),
        ("US", 5),
        ("וּמִישְׂרָאֵל", 4),
    ]


@pytest.mark.parametrize(
    "text",
    ["Putin met US officials", "Putin and Putin", "Nothing here", ""],
    ids=["two-actors", "one-actor-twice", "none", "empty"],
)
def test_min_actors_returns_nothing_below_the_threshold(text):
    found = GAZETTEER.spans(text, min_actors=2)

    assert bool(found) == (len({actor for _, actor in mentions(text)}) >= 2)


def test_spans_agree_with_match_on_counts():
    text = "Putin said Russia and the Russian Foreign Ministry met; Putin again."

    counts: dict[int, int] = {}
    for _, actor in mentions(text):
        counts[actor] = counts.get(actor, 0) + 1

    assert counts == {actor: m.count for actor, m in GAZETTEER.match(text).items()}
