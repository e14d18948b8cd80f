"""``Words`` cuts a text the way ``normalise`` does, whichever of its paths it takes: the
plain one (no decorations: one regex pass for the exact and the folded words), the one for a
text with spelling variants, and the slow one (decorations, or folding that changes a length).
The coder's speed-ups rest on these agreeing, so each path is pinned on the texts that choose it."""

import pytest

from ingest.matching import normalise, words_of

TEXTS = [
    "",
    "   ",
    "Lavrov meets Hamas delegation in Moscow",
    "Putin's (Hamas). U.S.-Israel_talks",
    "Ёлка, Путин и ХАМАС",  # spelling variants: ё → е
    "أحمد إلى القاهرة",  # Arabic variants
    "Straße nach Berlin",  # folding lengthens ß: the slow path
    # (Not "İstanbul": folding makes "i" + a combining dot, which normalise takes for a
    # separator and Words does not; both did so before these paths were added.)
    "שָׁלוֹם ישראל",  # niqqud: decorations
    "Hello\u00adworld and the zero\u200cwidth",  # soft hyphen, zero-width non-joiner
    "a\u0345b ΣΑΣ",  # the iota subscript is no letter, but folds into one
    "x_y 12 ٣٤",
]


@pytest.mark.parametrize("text", TEXTS)
def test_words_are_normalised_as_normalise_does(text):
    words = words_of(text)
    assert words.folded == normalise(text)
    assert words.exact == normalise(text, fold=False)


@pytest.mark.parametrize("text", [t for t in TEXTS if t.strip() and "\u0345" not in t])
def test_each_word_maps_back_to_its_place_in_the_text(text):
    words = words_of(text)
    starts, ends, folded_starts, parts = words.places
    assert len(starts) == len(ends) == len(folded_starts) == len(parts)
    for start, end, folded_start, part in zip(starts, ends, folded_starts, parts, strict=True):
        assert words.folded[folded_start : folded_start + len(part)] == part
        assert normalise(text[start:end]).strip() == part
        assert words.span(folded_start, folded_start + len(part)) == (start, end)
