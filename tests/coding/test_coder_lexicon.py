"""The process's coder (``get_coder``): built from the database's cues, aliases and
affiliations, rebuilt when they change; and bounded on hostile input."""

from __future__ import annotations

import datetime as dt

import pytest

from coding.coder import MAX_MENTIONS_PER_SENTENCE, MAX_SENTENCES, get_coder
from relations.models import Actor, Affiliation, Alias, Cue
from relations.seeding import load_relations_seeds

DAY = dt.date(2023, 10, 26)


@pytest.fixture
def seeded(db):
    """The seed actors; the cues are the seed files' while the Cue table is empty."""
    load_relations_seeds()
    return {actor.slug: actor.pk for actor in Actor.objects.all()}


def pairs(results) -> set[tuple[int, int, str]]:
    return {(r.source_id, r.target_id, r.category) for r in results}


def test_the_coder_codes_with_evidence_spans_and_explanation(seeded):
    title = "Israel condemns Russia for receiving Hamas officials"

    [result] = get_coder().code(title, "", "en", DAY)

    assert (result.source_id, result.target_id) == (seeded["israel"], seeded["russia"])
    assert (result.category, result.kind, result.score) == ("ACCUSE", "statement", -2.0)
    assert 0 < result.confidence <= 1
    assert result.quote == title
    assert result.cue == "condemns"
    quote = result.quote
    assert quote[slice(*result.spans["cue"])] == "condemns"
    assert quote[slice(*result.spans["source"])] == "Israel"
    assert quote[slice(*result.spans["target"])] == "Russia"
    assert "«condemns» → ACCUSE" in result.explanation
    assert get_coder().version


def test_people_roll_up_to_their_state_through_the_affiliation_valid_that_day(seeded):
    title = "Lavrov meets Netanyahu in Moscow"

    [result] = get_coder().code(title, "", "en", DAY)
    # Netanyahu was out of office in 2022: then he stands for himself.
    [out_of_office] = get_coder().code(title, "", "en", dt.date(2022, 3, 1))

    assert (result.source_id, result.target_id) == (seeded["russia"], seeded["israel"])
    assert (result.source_named_id, result.target_named_id) == (
        seeded["sergei-lavrov"],
        seeded["benjamin-netanyahu"],
    )
    assert out_of_office.target_id == seeded["benjamin-netanyahu"]


def test_a_reported_claim_keeps_its_claimant(seeded):
    title = "Ukraine's intelligence chief Budanov claims Russia handed weapons to Hamas"

    [result] = get_coder().code(title, "", "en", DAY)

    assert (result.source_id, result.target_id, result.kind) == (
        seeded["russia"],
        seeded["hamas"],
        "allegation",
    )
    assert result.claimant_id == seeded["kyrylo-budanov"]
    assert result.quote[slice(*result.spans["claimant"])] == "Budanov"


def test_a_cue_edit_rebuilds_the_coder(seeded, committed):
    title = "Israel frobnicates Hamas"
    before = get_coder()
    assert before.code(title, "", "en", DAY) == []

    with committed():
        Cue.objects.create(language="en", phrase="frobnicat", category="ASSAULT")
    after = get_coder()

    assert after is not before
    assert after.version != before.version
    assert pairs(after.code(title, "", "en", DAY)) == {
        (seeded["israel"], seeded["hamas"], "ASSAULT")
    }


def test_an_alias_or_affiliation_change_rebuilds_the_coder(seeded, committed):
    title = "Bogdanov receives Mishaal"
    assert get_coder().code(title, "", "en", DAY) == []

    with committed():
        Alias.objects.create(actor_id=seeded["hamas"], text="Mishaal", language="en")
    [result] = get_coder().code(title, "", "en", DAY)
    assert (result.source_id, result.target_id) == (seeded["russia"], seeded["hamas"])

    with committed():
        Affiliation.objects.filter(actor_id=seeded["mikhail-bogdanov"]).update(
            end_date=dt.date(2020, 1, 1)
        )
        Affiliation.objects.first().save()  # the signal that bumps the data version
    [result] = get_coder().code(title, "", "en", DAY)
    assert result.source_id == seeded["mikhail-bogdanov"]


def test_five_megabytes_and_500_mentions_are_coded_within_the_caps(seeded):
    names = ["Russia", "Israel", "Hamas", "Iran", "Ukraine"]
    crowded = " and ".join(names[i % 5] for i in range(500)) + " condemn Israel."
    huge = "Israel condemns Russia over Gaza. " * 160_000  # about 5 MB

    crowded_results = get_coder().code("Crowd", crowded, "en", DAY)
    huge_results = get_coder().code("Huge", huge, "en", DAY)

    assert len(huge) > 5_000_000
    # One interaction, found once however often it is repeated.
    assert pairs(huge_results) == {(seeded["israel"], seeded["russia"], "ACCUSE")}
    assert len(crowded_results) <= MAX_MENTIONS_PER_SENTENCE
    assert MAX_SENTENCES <= 100
