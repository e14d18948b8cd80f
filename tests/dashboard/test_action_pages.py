"""An action on the dashboard: its page, its row, the API, the CSV and Atom feeds, the kind
filter and the methodology page."""

import datetime as dt
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser

from dashboard.filters import EventFilter
from relations.models import Action, Event
from tests.dashboard.test_exports import entries, read_csv
from tests.factories import (
    ActionFactory,
    ActorFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

PUBLISHED = Event.Status.PUBLISHED


@pytest.fixture
def strike(db) -> Action:
    iran = ActorFactory(slug="iran", name="Iran")
    israel = ActorFactory(slug="israel", name="Israel")
    action = ActionFactory(
        title="Iran fires drones and missiles at Israel",
        date=dt.date(2024, 4, 13),
        category="ASSAULT",
        status=Event.Status.DRAFT,
        means=Action.Means.STRIKE,
        means_detail="Drones & ballistic missiles",
        place="Nevatim air base",
        killed=0,
        wounded=1,
        casualties_note="Israel's army: one girl badly hurt.",
    )
    ParticipantFactory(event=action, actor=iran)
    ParticipantFactory(event=action, actor=israel, role="target")
    InteractionFactory(event=action, source=iran, target=israel)
    SourceFactory(event=action, quote="Iran launched drones and missiles.")
    action.status = PUBLISHED
    action.save()
    return action


def test_the_event_page_shows_the_actions_details(client, strike):
    response = client.get(f"/events/{strike.pk}/")
    assert response.status_code == 200
    body = unescape(response.content.decode())
    assert '<span class="badge">Action</span>' in body
    assert "Strike: Drones & ballistic missiles" in body
    assert "Nevatim air base" in body
    assert '<dd class="num" id="action-killed">0</dd>' in body
    assert '<dd class="num" id="action-wounded">1</dd>' in body
    assert "action-captives" not in body  # no figure given, nothing shown
    assert "Israel's army: one girl badly hurt." in body


def test_the_timeline_row_carries_the_means_badge(client, strike):
    meeting = MeetingFactory(status=PUBLISHED)
    body = unescape(client.get("/timeline/").content.decode())
    assert '<span class="badge badge-action">Strike</span>' in body
    assert "<span>0 reported killed</span>" in body
    assert body.count("badge-action") == 1 and meeting.title in body


def test_the_api_gives_the_actions_details(client, strike):
    StatementFactory(status=PUBLISHED)
    response = client.get("/api/events/?kind=action")
    assert response.status_code == 200
    (event,) = response.json()["results"]
    assert event["kind"] == "action" and event["id"] == strike.pk
    assert event["meeting"] is None and event["statement"] is None
    assert event["allegation"] is None
    assert event["action"] == {
        "means": "strike",
        "means_detail": "Drones & ballistic missiles",
        "place": "Nevatim air base",
        "killed": 0,
        "wounded": 1,
        "captives_taken": None,
        "casualties_note": "Israel's army: one girl badly hurt.",
    }
    single = client.get(f"/api/events/{strike.pk}/").json()
    assert single["action"] == event["action"]


def test_the_csv_and_atom_name_the_kind(client, strike):
    MeetingFactory(status=PUBLISHED)
    rows = read_csv(client.get("/export/events.csv?kind=action"))
    assert [(int(row["id"]), row["kind"]) for row in rows] == [(strike.pk, "action")]
    (entry,) = entries(client.get("/events.atom?kind=action"))
    terms = {c.get("term") for c in entry.findall("{http://www.w3.org/2005/Atom}category")}
    assert "action" in terms and "ASSAULT" in terms


def test_the_kind_filter_offers_and_applies_action(rf, strike):
    MeetingFactory(status=PUBLISHED)
    request = rf.get("/timeline/", {"kind": "action"})
    request.user = AnonymousUser()
    events = EventFilter(request.GET, queryset=Event.objects.all(), request=request)
    assert ("action", "Action") in list(events.form.fields["kind"].choices)
    assert [event.pk for event in events.qs] == [strike.pk]


def test_the_timeline_filters_by_kind_action(client, strike):
    meeting = MeetingFactory(status=PUBLISHED, title="Unrelated talks")
    body = unescape(client.get("/timeline/?kind=action").content.decode())
    assert strike.title in body and meeting.title not in body


def test_the_methodology_page_lists_the_action_kind(client, db):
    body = unescape(client.get("/methodology/").content.decode())
    assert "<dt>Action</dt>" in body
    assert "Category chosen by the editor (an attack is an assault)" in body
