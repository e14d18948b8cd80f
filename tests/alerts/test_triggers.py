"""The triggers against a real database: which watchlists a new event, an evidence change, a
machine-coded story or a pair's shift reaches, once each, and never through a draft."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from alerts import triggers
from alerts.forms import create_watchlist
from alerts.models import Notification, Publication, Watchlist
from dashboard.filters import EventFilter
from relations.models import Allegation, Event
from tests.alerts.support import publish_event
from tests.factories import (
    ActorFactory,
    AllegationFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


def told(event_or_id) -> set[str]:
    return set(
        Notification.objects.filter(event_id=getattr(event_or_id, "pk", event_or_id)).values_list(
            "watchlist__name", flat=True
        )
    )


def watch(owner, name: str, path: str) -> Watchlist:
    watchlist = create_watchlist(owner, path)
    watchlist.name = name
    watchlist.save()
    return watchlist


def test_a_published_event_tells_the_watchlists_it_matches_once(owner, russia, israel, hamas):
    watch(owner, "russia", "/timeline/?actor=russia")
    watch(owner, "statements", "/timeline/?kind=statement")
    watch(owner, "meetings", "/timeline/?kind=meeting")
    watch(owner, "pair", "/relations/israel/russia/")
    watch(owner, "hamas", "/actors/hamas/")
    watch(owner, "both", "/timeline/?actor=russia&actor=hamas&match=all")
    event = publish_event(russia, israel)

    assert len(triggers.notify_new_event(event.pk)) == 3
    assert triggers.notify_new_event(event.pk) == []  # a retry, a second worker: nothing new
    assert told(event) == {"russia", "meetings", "pair"}
    assert Notification.objects.count() == 3


def test_a_draft_tells_nobody(owner, russia, israel):
    watch(owner, "russia", "/timeline/?actor=russia")
    draft = MeetingFactory(status=Event.Status.DRAFT)
    ParticipantFactory(event=draft, actor=russia)

    assert triggers.notify_new_event(draft.pk) == []
    assert not Notification.objects.exists()


def test_an_event_unpublished_before_the_task_runs_tells_nobody(owner, russia, israel):
    watch(owner, "russia", "/timeline/?actor=russia")
    event = publish_event(russia, israel)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DRAFT)

    assert triggers.notify_new_event(event.pk) == []


def test_a_watchlist_made_after_the_publication_is_not_told_of_it(owner, russia, israel):
    event = publish_event(russia, israel)
    Publication.objects.create(event=event, published_at=timezone.now() - dt.timedelta(hours=1))
    watch(owner, "russia", "/timeline/?actor=russia")

    assert triggers.notify_new_event(event.pk) == []


def test_a_paused_watchlist_is_not_told(owner, russia, israel):
    watchlist = watch(owner, "russia", "/timeline/?actor=russia")
    Watchlist.objects.filter(pk=watchlist.pk).update(paused=True)

    assert triggers.notify_new_event(publish_event(russia, israel).pk) == []


def test_a_rolled_up_pair_is_told_of_its_ministers_events(owner, russia, israel):
    lavrov = ActorFactory(name="Sergei Lavrov", slug="sergei-lavrov", kind="person")
    from tests.factories import AffiliationFactory

    AffiliationFactory(actor=lavrov, parent=russia)
    watch(owner, "rolled", "/relations/russia/israel/?rollup=1")
    watch(owner, "as named", "/relations/russia/israel/?rollup=0")
    event = publish_event(lavrov, israel)

    triggers.notify_new_event(event.pk)
    assert told(event) == {"rolled"}


# The timeline's filters and the SQL match must agree: each query, each event.
QUERIES = {
    "everything": {},
    "russia": {"actor": ["russia"]},
    "russia-or-hamas": {"actor": ["russia", "hamas"]},
    "russia-and-hamas": {"actor": ["russia", "hamas"], "match": ["all"]},
    "statements": {"kind": ["statement"]},
    "accuse-or-consult": {"category": ["ACCUSE", "CONSULT"]},
    "confirmed": {"evidence_status": ["confirmed"]},
    "autumn": {"since": ["2026-10-01"], "until": ["2026-10-31"]},
    "search-weapons": {"q": ["weapons"]},
    "search-phrase-not": {"q": ['"armed Hamas" -drones']},
    "search-stacked-nots": {"q": ["weapons " + "-" * 40 + "drones"]},
    "israel-meetings-2026": {"actor": ["israel"], "kind": ["meeting"], "since": ["2026-01-01"]},
}


@pytest.fixture
def varied_events(russia, israel, hamas, committed):
    with committed():
        events = [
            publish_event(russia, israel, date=dt.date(2026, 10, 5)),
            publish_event(russia, hamas, title="Moscow hosts Hamas", date=dt.date(2026, 11, 2)),
            publish_event(
                israel,
                russia,
                factory=StatementFactory,
                speaker=israel,
                title="Israel says Russia armed Hamas with weapons",
                date=dt.date(2026, 10, 20),
            ),
            publish_event(
                israel,
                hamas,
                factory=AllegationFactory,
                claimant=israel,
                accused=hamas,
                claim="Hamas used drones",
                title="Claim: armed Hamas units used drones",
                evidence_status=Allegation.EvidenceStatus.CONFIRMED,
                category="ACCUSE",
                date=dt.date(2025, 12, 1),
            ),
            publish_event(hamas, title="Hamas alone", date=dt.date(2026, 10, 10)),
        ]
    return events


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_the_sql_match_is_the_timelines_filter(name, owner, varied_events):
    query = QueryDict(urlencode(QUERIES[name], doseq=True))
    watch(owner, name, f"/timeline/?{query.urlencode()}")
    expected = set(EventFilter(query, queryset=Event.objects.all()).qs.values_list("pk", flat=True))
    for event in varied_events:
        triggers.notify_new_event(event.pk)
    matched = set(Notification.objects.values_list("event_id", flat=True))
    assert matched == expected


def test_an_evidence_change_is_told_once_per_change(owner, israel, hamas, committed):
    watch(owner, "hamas", "/timeline/?actor=hamas")
    watch(owner, "refuted only", "/timeline/?evidence_status=refuted")
    with committed():
        allegation = publish_event(
            israel,
            hamas,
            factory=AllegationFactory,
            claimant=israel,
            accused=hamas,
            category="ACCUSE",
        )
    allegation.evidence_status = Allegation.EvidenceStatus.CONFIRMED
    allegation.save()
    allegation.evidence_status = Allegation.EvidenceStatus.REFUTED
    allegation.save()

    triggers.notify_evidence_changes(allegation.pk)
    triggers.notify_evidence_changes(allegation.pk)
    triggers.notify_evidence_changes()  # the sweep finds nothing more

    changes = Notification.objects.filter(trigger="evidence")
    titles = sorted(changes.filter(watchlist__name="hamas").values_list("title", flat=True))
    assert len(titles) == 2
    assert titles[0].startswith("Evidence confirmed → refuted")
    assert titles[1].startswith("Evidence unverified → confirmed")
    # The filter on "refuted" is told of the change into it (and not of the one before).
    assert changes.filter(watchlist__name="refuted only").count() == 1


def test_a_draft_allegations_evidence_change_is_told_to_nobody(owner, israel, hamas):
    watch(owner, "hamas", "/timeline/?actor=hamas")
    allegation = AllegationFactory(claimant=israel, accused=hamas)
    ParticipantFactory(event=allegation, actor=hamas)
    allegation.evidence_status = Allegation.EvidenceStatus.CONFIRMED
    allegation.save()

    assert triggers.notify_evidence_changes(allegation.pk) == []


def test_a_story_reaches_owners_who_may_see_stories_once_it_has_enough_outlets(
    owner, russia, israel
):
    # Analysts read stories (ingest.roles); a user in no group may not.
    outsider = User.objects.create_user("otto", "otto@example.org", "outsider-pass-123")
    for user in (owner, outsider):
        watchlist = watch(user, f"{user.username} pair", "/relations/russia/israel/")
        watchlist.on_story = True
        watchlist.story_min_outlets = 3
        watchlist.save()
    story = StoryFactory(
        source=israel,
        target=russia,
        category="ACCUSE",
        kind="statement",
        outlets=2,
        first_seen=timezone.now(),
    )

    assert triggers.notify_story(story.pk) == []
    story.outlet_count = 3
    story.save()
    assert len(triggers.notify_story(story.pk)) == 1
    assert triggers.notify_story(story.pk) == []
    [notification] = Notification.objects.filter(trigger="story")
    assert notification.watchlist.owner == owner
    assert notification.story == story


def _scored_day(a, b, day: dt.date, score: float) -> None:
    event = MeetingFactory(date=day, status=Event.Status.PUBLISHED, category="CONSULT")
    InteractionFactory(event=event, source=a, target=b, score=score)
    SourceFactory(event=event)


def test_a_pair_that_turns_sour_is_told_once_with_the_events_behind_it(
    owner, russia, israel, committed
):
    today = dt.date(2026, 11, 30)
    watchlist = watch(owner, "pair", "/relations/russia/israel/")
    quiet = watch(owner, "quiet", "/relations/russia/israel/")
    quiet.shift_threshold = 50
    quiet.save()
    with committed():
        for weeks_back in range(1, 5):
            _scored_day(russia, israel, today - dt.timedelta(days=7 * weeks_back), 2.0)
        _scored_day(russia, israel, today - dt.timedelta(days=2), -9.0)
        _scored_day(israel, russia, today - dt.timedelta(days=1), -2.0)

    assert triggers.notify_shifts(today=today) == [watchlist.pk]
    assert triggers.notify_shifts(today=today) == []
    [shift] = Notification.objects.filter(trigger="shift")
    assert shift.data["direction"] == "down"
    assert shift.data["net"] == -11.0
    assert shift.data["usual_4_weeks"] == 2.0
    assert shift.data["usual_year"] is None  # the series is younger than a year
    assert len(shift.data["events"]) == 2
    assert "deteriorated" in shift.title


def test_a_shift_must_also_depart_from_the_years_usual_level(owner, russia, israel, committed):
    today = dt.date(2026, 11, 30)
    watch(owner, "pair", "/relations/russia/israel/")
    with committed():
        # A year of sour weeks, a friendly month, then a sour week again: usual for the year.
        for weeks_back in range(5, 53):
            _scored_day(russia, israel, today - dt.timedelta(days=7 * weeks_back), -8.0)
        _scored_day(russia, israel, today - dt.timedelta(days=400), -8.0)
        for weeks_back in range(1, 5):
            _scored_day(russia, israel, today - dt.timedelta(days=7 * weeks_back), 2.0)
        _scored_day(russia, israel, today - dt.timedelta(days=1), -8.0)

    assert triggers.notify_shifts(today=today) == []


def test_deleting_a_watched_actor_pauses_the_watchlist_with_a_message(owner, russia):
    gone = ActorFactory(name="Wagner Group", slug="wagner-group")
    watchlist = watch(owner, "wagner", "/timeline/?actor=wagner-group&actor=russia")
    other = watch(owner, "russia", "/timeline/?actor=russia")
    gone_id = gone.pk
    gone.delete()

    assert triggers.revalidate_watchlists([gone_id]) == [watchlist.pk]
    watchlist.refresh_from_db()
    other.refresh_from_db()
    assert watchlist.paused
    assert "“wagner-group”" in watchlist.paused_reason
    assert not other.paused


def test_the_sweep_pauses_a_watchlist_whose_actor_went_without_a_signal(owner, russia):
    gone = ActorFactory(name="Wagner Group", slug="wagner-group")
    watchlist = watch(owner, "wagner", "/actors/wagner-group/")
    with connection.cursor() as cursor:  # behind Django's back: no signal
        cursor.execute("DELETE FROM relations_actor WHERE id = %s", [gone.pk])

    assert triggers.dangling_watchlists() == [watchlist.pk]
    assert triggers.sweep()["paused"] == 1
    watchlist.refresh_from_db()
    assert watchlist.paused and "wagner-group" in watchlist.paused_reason


def test_the_sweep_tells_what_a_lost_task_missed_and_nothing_twice(owner, russia, israel):
    watch(owner, "russia", "/timeline/?actor=russia")
    event = publish_event(russia, israel)  # its task was queued, and never ran

    assert triggers.sweep()["events"] == 1
    assert told(event) == {"russia"}
    assert triggers.sweep()["events"] == 0
    assert Publication.objects.get(event=event).matched_at is not None
