"""The coder on fresh headlines (tests/coding/labelled/fresh-*.yaml): written after the coder
and its labelled set, in the style of real outlets, as a stand-in for the held-out feeds the
issue is scored on. The cases are not each held to their answer (that would make them one more
set written alongside the coder); the scores are held to the issue's targets: F1 at least 0.80
over all, recall at least 0.60 in each language, and nothing coded on sport, culture, markets,
weather and homonym items.

Run with ``-s`` to see precision, recall and F1 per language and every case the coder misses:

    pytest -s tests/coding/test_coder_fresh.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.coding.test_coder import NOTHING_GROUPS, coded, scores

FRESH = Path(__file__).parent / "labelled"
LANGUAGES = ("en", "ru", "he", "ar")


def fresh_cases(prefix: str = "fresh", languages=LANGUAGES) -> list[dict]:
    cases = []
    for language in languages:
        path = FRESH / f"{prefix}-{language}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["language"] == language
        for case in data["cases"]:
            cases.append(
                {**case, "language": language, "id": f"{prefix}-{language}-{case['name']}"}
            )
    return cases


CASES = fresh_cases()
# A second set, written after the lexicon was fixed on the first and never used to tune it.
SECOND = fresh_cases("fresh2", ("ru", "he", "ar"))
# The coder fixture needs the test database, which pytest-django sets up only for a run with a
# test that asks for it (so this file also runs on its own).
pytestmark = pytest.mark.django_db


def report(seed_coder, cases: list[dict]) -> str:
    """Scores per language and over all, and the cases whose coding differs from the label."""
    lines = [f"{'':8}{'cases':>6}{'P':>7}{'R':>7}{'F1':>7}"]
    for language in (*LANGUAGES, "all"):
        chosen = [c for c in cases if language in ("all", c["language"])]
        if not chosen:
            continue
        precision, recall, f1 = scores(seed_coder, chosen)
        lines.append(f"{language:8}{len(chosen):>6}{precision:>7.2f}{recall:>7.2f}{f1:>7.2f}")
    for case in cases:
        got = {item[:3] for item in coded(seed_coder, case)}
        expected = {tuple(item[:3]) for item in case["expect"]}
        if got != expected:
            missed = sorted(expected - got)
            extra = sorted(got - expected)
            lines.append(f"{case['id']}: {case['title']}\n    missed {missed} extra {extra}")
    return "\n".join(lines)


def test_the_fresh_set_covers_every_language_with_quiet_items():
    for language in LANGUAGES:
        cases = [c for c in CASES if c["language"] == language]
        quiet = [c for c in cases if c["shows"].startswith(NOTHING_GROUPS)]
        assert len(cases) >= (15 if language == "en" else 30)
        assert len(quiet) >= 3


def test_fresh_scores_meet_the_targets(seed_coder):
    print("\nfresh (the lexicon was fixed on it)\n" + report(seed_coder, CASES))
    print("\nfresh2 (never tuned on)\n" + report(seed_coder, SECOND))
    precision, recall, f1 = scores(seed_coder, CASES + SECOND)
    recalls = {
        language: scores(seed_coder, [c for c in CASES + SECOND if c["language"] == language])[1]
        for language in LANGUAGES
    }

    assert f1 >= 0.80, (precision, recall, f1)
    assert min(recalls.values()) >= 0.60, recalls


def test_fresh_quiet_items_code_nothing(seed_coder):
    quiet = [c for c in CASES + SECOND if c["shows"].startswith(NOTHING_GROUPS)]

    assert {c["id"]: coded(seed_coder, c) for c in quiet} == {c["id"]: set() for c in quiet}
