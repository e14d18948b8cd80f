import pytest
from django.db import connection

from relations.models import Event
from relations.search import refresh_search_vectors, search_events
from tests.factories import (
    AllegationFactory,
    MeetingFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def found(text):
    return sorted(event.pk for event in search_events(Event.objects.all(), text))


def test_title_summary_quote_claim_and_source_quotes_are_searchable(committed):
    with committed():
        by_title = MeetingFactory(title="Hamas delegation visits Moscow")
        by_summary = MeetingFactory(summary="Talks about the hostages held in Gaza.")
        by_quote = StatementFactory(quote="This is like the siege of Leningrad.")
        by_claim = AllegationFactory(claim="Iran supplied drones to Russia.")
        by_source = MeetingFactory()
        SourceFactory(event=by_source, quote="Abu Marzouk headed the delegation.")

    assert found("delegation") == sorted([by_title.pk, by_source.pk])
    assert found("hostages") == [by_summary.pk]
    assert found("Leningrad") == [by_quote.pk]
    assert found("drones") == [by_claim.pk]
    assert found("marzouk") == [by_source.pk]


def test_english_words_match_other_forms_and_other_scripts_match_exactly(committed):
    with committed():
        condemned = StatementFactory(quote="Israel condemned the visit.")
        russian = StatementFactory(quote="Лавров встретился с делегацией ХАМАС в Москве.")
        hebrew = StatementFactory(quote="ישראל מגנה את הביקור במוסקבה")
        arabic = StatementFactory(quote="وفد حماس في موسكو")

    assert found("condemns") == [condemned.pk]
    assert found("Москве") == [russian.pk]
    assert found("хамас") == [russian.pk]
    assert found("במוסקבה") == [hebrew.pk]
    assert found("حماس") == [arabic.pk]


def test_web_search_syntax_phrases_or_and_exclusion(committed):
    with committed():
        siege = StatementFactory(quote="The siege of Leningrad.")
        leningrad_oblast = StatementFactory(quote="Leningrad oblast governor spoke of a siege.")
        gaza = StatementFactory(quote="Gaza under siege.")

    assert found('"siege of leningrad"') == [siege.pk]
    assert found("leningrad -oblast") == [siege.pk]
    assert found("oblast or gaza") == sorted([leningrad_oblast.pk, gaza.pk])


def test_vectors_follow_edits_and_source_removal(committed):
    with committed():
        event = MeetingFactory(title="Talks in Moscow")
        source = SourceFactory(event=event, quote="Haniyeh was not there.")
    assert found("haniyeh") == [event.pk]

    with committed():
        source.delete()
        event.title = "Talks in Doha"
        event.save()

    assert found("haniyeh") == []
    assert found("doha") == [event.pk]
    assert found("moscow") == []


def test_awkward_queries_neither_fail_nor_match_everything(committed):
    with committed():
        MeetingFactory(title="Talks")

    for text in ["", "   ", "&|!():*", '"', "-", "or", "the", "'; drop table x; --"]:
        assert found(text) in ([], sorted(Event.objects.values_list("pk", flat=True)))
    with pytest.raises(ValueError, match="at most 200"):
        search_events(Event.objects.all(), "x" * 201)


def test_search_uses_the_gin_index(committed):
    with committed():
        MeetingFactory(title="Talks")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = search_events(Event.objects.all(), "talks").explain()

    assert "event_search_vector" in plan


def test_a_full_refresh_rebuilds_vectors_written_without_signals(committed):
    event = MeetingFactory(title="Talks in Doha")
    Event.objects.filter(pk=event.pk).update(search_vector=None)

    assert refresh_search_vectors() >= 1
    assert found("doha") == [event.pk]
