import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from relations.categories import DEFAULT_INTENSITY, Category
from relations.models import Actor, Affiliation, Alias, Event, Interaction, Meeting, Source


@pytest.fixture
def russia(db):
    return Actor.objects.create(name="Russia", slug="russia", kind="state")


@pytest.fixture
def hamas(db):
    return Actor.objects.create(name="Hamas", slug="hamas", kind="armed_group")


@pytest.fixture
def meeting(db):
    return Meeting.objects.create(
        title="Hamas delegation in Moscow", date=dt.date(2023, 10, 26), category="CONSULT"
    )


def test_every_plover_category_has_one_default_inside_the_scale():
    assert len(Category) == 16
    assert set(DEFAULT_INTENSITY) == set(Category)
    assert all(-10 <= value <= 10 for value in DEFAULT_INTENSITY.values())
    assert DEFAULT_INTENSITY[Category.ASSAULT] == -9.3
    assert DEFAULT_INTENSITY[Category.RETREAT] == 7.6


def test_an_event_kind_is_set_by_its_model(meeting):
    assert Event.objects.get(pk=meeting.pk).kind == "meeting"
    assert Event.objects.get(pk=meeting.pk).specific() == meeting


def test_an_interaction_takes_its_score_from_the_category(meeting, russia, hamas):
    interaction = Interaction.objects.create(event=meeting, source=russia, target=hamas)
    assert interaction.score == 2.1


def test_the_database_refuses_a_score_outside_the_scale(meeting, russia, hamas):
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(event=meeting, source=russia, target=hamas, score=10.5)


def test_the_database_refuses_an_interaction_with_oneself(meeting, russia):
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(event=meeting, source=russia, target=russia, score=1)


def test_the_database_refuses_affiliation_dates_out_of_order(russia, hamas):
    with pytest.raises(IntegrityError), transaction.atomic():
        Affiliation.objects.create(
            actor=hamas, parent=russia, start_date=dt.date(2020, 1, 1), end_date=dt.date(2019, 1, 1)
        )


def test_aliases_are_unique_per_language_whatever_the_case(russia):
    Alias.objects.create(actor=russia, text="Moscow", language="en")
    Alias.objects.create(actor=russia, text="Moscow", language="ru")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alias.objects.create(actor=russia, text="moscow", language="en")


def test_a_published_event_needs_a_source(meeting):
    meeting.status = Event.Status.PUBLISHED
    with pytest.raises(ValidationError, match="at least one source"):
        meeting.full_clean()
    Source.objects.create(event=meeting, outlet="Reuters", quote="They met.")
    meeting.full_clean()


def test_independent_outlets_count_one_outlet_and_one_url_once(meeting):
    Source.objects.create(event=meeting, outlet="Reuters", url="https://reuters.com/a", quote="q")
    Source.objects.create(event=meeting, outlet="reuters ", url="https://reuters.com/b", quote="q")
    Source.objects.create(
        event=meeting, outlet="Syndicator", url="https://www.reuters.com/a/", quote="q"
    )
    Source.objects.create(event=meeting, outlet="TASS", url="https://tass.com/x", quote="q")
    assert meeting.independent_outlet_count() == 2


def test_every_event_change_is_kept_in_its_history(meeting):
    meeting.title = "Hamas delegation received in Moscow"
    meeting.save()
    titles = [record.title for record in meeting.history.order_by("history_date")]
    assert titles == ["Hamas delegation in Moscow", "Hamas delegation received in Moscow"]
