"""The cue lexicon: seeds/cues-*.yaml loaded by load_seeds into relations.Cue, checked with
file, line and reason; edited in the admin; read by the event form's category guess."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from relations.cues import guess_category
from relations.lexicon import load_lexicon, read_lexicon, seed_cues
from relations.models import Actor, Cue
from relations.seeding import SeedError, default_seed_dir

LANGUAGES = ("en", "ru", "he", "ar")


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(default_seed_dir(), target)
    return target


def replace_once(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in the file; the line it was on (1-based)."""
    text = path.read_text(encoding="utf-8")
    index = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text.count("\n", 0, index) + 1


def test_every_language_has_a_generous_lexicon():
    cues = seed_cues()
    acts = dict.fromkeys(LANGUAGES, 0)
    for cue in cues:
        if cue.polarity == "act":
            acts[cue.language] += 1
    assert acts["en"] >= 300
    assert min(acts.values()) >= 200
    for language in LANGUAGES:
        polarities = {cue.polarity for cue in cues if cue.language == language}
        assert polarities >= {"act", "negation", "report", "stop"}


def test_load_seeds_loads_the_cues_and_a_second_load_changes_nothing(db):
    out = StringIO()
    call_command("load_seeds", stdout=out)
    count = Cue.objects.count()
    assert count == len(read_lexicon())
    assert "cues: " in out.getvalue()

    out = StringIO()
    call_command("load_seeds", stdout=out)

    assert f"cues: 0 created, 0 updated, {count} unchanged" in out.getvalue()
    assert out.getvalue().rstrip().endswith("No changes.")


def test_a_reload_updates_a_cue_in_place_and_keeps_an_editors_own(db, seed_copy):
    load_lexicon(seed_copy)
    Cue.objects.create(language="en", phrase="frobnicate", category="ASSAULT")
    replace_once(
        seed_copy / "cues-en.yaml",
        "      - {phrase: gunfire, match: word}",
        "      - {phrase: gunfire, match: word, weight: 0.4}",
    )

    report = load_lexicon(seed_copy)

    assert str(report.tally("cues")).startswith("0 created, 1 updated")
    assert Cue.objects.get(language="en", phrase="gunfire").weight == 0.4
    assert Cue.objects.filter(phrase="frobnicate").exists()


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "    phrases:\n      - prais",
            "    phrases:\n      - {phrase: prais, category: PRAISE}",
            "category",
        ),
        ("      - {phrase: backs, match: word}", '      - "  "', "the phrase is empty"),
        (
            "      - {phrase: backs, match: word}",
            "      - {phrase: backs, match: sometimes}",
            "match",
        ),
        (
            "      - {phrase: backs, match: word}",
            "      - {phrase: backs, weight: heavy}",
            "weight",
        ),
        ("      - {phrase: backs, match: word}", "      - yes", "a phrase is text"),
        (
            "      - {phrase: backs, match: word}",
            "      - {phrase: backs, colour: red}",
            "unknown field",
        ),
    ],
    ids=[
        "unknown-category",
        "empty-phrase",
        "bad-match",
        "bad-weight",
        "not-text",
        "unknown-field",
    ],
)
def test_a_bad_cue_stops_the_load_with_file_line_and_reason_and_changes_nothing(
    db, seed_copy, old, new, reason
):
    line = replace_once(seed_copy / "cues-en.yaml", old, new)
    if old.startswith("    phrases"):
        line += 1

    with pytest.raises(CommandError) as caught:
        call_command("load_seeds", dir=seed_copy)

    message = str(caught.value)
    assert f"cues-en.yaml, line {line}" in message
    assert reason in message
    assert not Cue.objects.exists()
    assert not Actor.objects.exists()


def test_a_bad_language_stops_the_load(db, seed_copy):
    replace_once(seed_copy / "cues-he.yaml", "language: he", "language: klingon")

    with pytest.raises(SeedError) as caught:
        load_lexicon(seed_copy)

    assert "cues-he.yaml" in str(caught.value)
    assert "klingon" in str(caught.value)
    assert not Cue.objects.exists()


def test_a_phrase_listed_twice_names_both_lines(db, seed_copy):
    replace_once(
        seed_copy / "cues-en.yaml",
        "      - {phrase: backs, match: word}",
        "      - {phrase: backed, match: word}",
    )

    with pytest.raises(SeedError, match="listed twice"):
        read_lexicon(seed_copy)


def test_the_guess_reads_the_seed_files_while_the_table_is_empty(db):
    assert not Cue.objects.exists()

    assert guess_category("Russia condemns Israeli strikes on Gaza") == ("ACCUSE", "condemns")


def test_the_guess_reads_the_table_once_it_has_cues(db, committed):
    load_lexicon()
    assert guess_category("Israel frobnicates Russia") is None

    with committed():
        Cue.objects.create(language="en", phrase="frobnicat", category="ASSAULT")

    assert guess_category("Israel frobnicates Russia") == ("ASSAULT", "frobnicates")


def test_a_weak_cue_is_guessed_only_where_no_other_is_met(db, committed):
    load_lexicon()
    with committed():
        Cue.objects.create(language="en", phrase="togethr", category="COOPERATE", weight=0.5)
        Cue.objects.create(language="en", phrase="frobnicat", category="ASSAULT")

    # The weak cue comes first in the headline, but the clear one is the event.
    assert guess_category("Togethr, Israel frobnicates Hamas") == ("ASSAULT", "frobnicates")
    assert guess_category("Israel and Hamas togethr") == ("COOPERATE", "togethr")


def test_the_admin_refuses_an_unknown_category_and_an_empty_phrase(admin_client, db):
    url = reverse("admin:relations_cue_add")
    fields = {"language": "en", "match": "prefix", "polarity": "act", "weight": "1.0"}

    unknown = admin_client.post(url, fields | {"phrase": "frobnicate", "category": "PRAISE"})
    empty = admin_client.post(url, fields | {"phrase": "  ", "category": "ASSAULT"})
    no_category = admin_client.post(url, fields | {"phrase": "frobnicate", "category": ""})

    assert unknown.status_code == empty.status_code == no_category.status_code == 200
    assert "category" in unknown.context["adminform"].form.errors
    assert "phrase" in empty.context["adminform"].form.errors
    assert "category" in no_category.context["adminform"].form.errors
    assert not Cue.objects.exists()


def test_the_admin_saves_a_good_cue(admin_client, db):
    url = reverse("admin:relations_cue_add")

    response = admin_client.post(
        url,
        {"language": "ru", "phrase": "обстрелял", "category": "ASSAULT", "match": "prefix"}
        | {"polarity": "act", "weight": "0.9"},
    )

    assert response.status_code == 302
    assert Cue.objects.get(phrase="обстрелял").category == "ASSAULT"


def test_the_admin_list_shows_polarity_and_match_by_their_codes(admin_client, db):
    Cue.objects.create(language="en", phrase="airlifted", category="AID", match="prefix")
    page = admin_client.get(reverse("admin:relations_cue_changelist"), {"q": "airlifted"})
    html = page.content.decode()
    row = html[html.index(">airlifted</a>") :]
    row = row[: row.index("</tr>")]
    assert '<td class="field-polarity_code">act</td>' in row
    assert '<td class="field-match_code">prefix</td>' in row
    assert "Codes the category" not in row


def test_cues_moved_to_another_category_leave_a_database_seeded_before(db):
    # The seed files no longer hold the moved cues' old identities; the migration removes the
    # rows a database seeded before still has, and nothing else.
    import importlib

    from django.apps import apps

    from relations.lexicon import IDENTITY, read_lexicon

    moved = importlib.import_module("relations.migrations.0012_cues_moved_category")
    seeded = {tuple(values[name] for name in IDENTITY) for values, _ in read_lexicon()}
    for phrase, category in moved.MOVED:
        assert ("en", phrase, category, "act") not in seeded
        Cue.objects.create(language="en", phrase=phrase, category=category)
    kept = Cue.objects.create(language="en", phrase="kidnap", category="ASSAULT")

    moved.remove_moved(apps, None)

    assert list(Cue.objects.all()) == [kept]
