import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest

from relations.models import Actor, Event
from tests.factories import (
    ActorFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def core():
    return {
        "russia": ActorFactory(slug="russia", name="Russia"),
        "hamas": ActorFactory(slug="hamas", name="Hamas", kind=Actor.Kind.ORGANISATION),
        "israel": ActorFactory(slug="israel", name="Israel"),
    }


def event_with(*actors, status=Event.Status.PUBLISHED, title="Talks", day=dt.date(2023, 10, 26)):
    event = MeetingFactory(status=status, title=title, date=day, summary="<b>Talks</b> & more")
    for actor in actors:
        ParticipantFactory(event=event, actor=actor)
    return event


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def entries(response) -> list[ET.Element]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_csv_has_one_row_per_event_with_scores_and_outlets(client, core):
    event = event_with(core["russia"], core["hamas"], title="Hamas delegation in Moscow")
    InteractionFactory(event=event, source=core["russia"], target=core["hamas"])
    InteractionFactory(event=event, source=core["hamas"], target=core["russia"], score=3.0)
    SourceFactory(event=event, outlet="Reuters", url="https://reuters.example/a")
    SourceFactory(event=event, outlet="Reuters", url="https://reuters.example/b")
    SourceFactory(event=event, outlet="TASS", url="https://tass.example/a")

    (row,) = read_csv(client.get("/export/events.csv"))

    assert list(row) == [
        "id",
        "kind",
        "date",
        "date_precision",
        "title",
        "category",
        "status",
        "participants",
        "net_score",
        "sources",
        "independent_outlets",
        "url",
    ]
    assert row["id"] == str(event.pk) and row["kind"] == "meeting"
    assert row["date"] == "2023-10-26" and row["date_precision"] == "day"
    assert row["participants"] == "russia;hamas"
    assert float(row["net_score"]) == pytest.approx(5.1)
    assert row["sources"] == "3" and row["independent_outlets"] == "2"
    assert row["url"] == f"http://testserver/events/{event.pk}/"


def test_csv_honours_the_timeline_filters(client, core):
    wanted = event_with(core["israel"], day=dt.date(2023, 10, 13))
    event_with(core["russia"], day=dt.date(2023, 10, 26))
    StatementFactory(status=Event.Status.PUBLISHED, date=dt.date(2023, 10, 14))

    rows = read_csv(client.get("/export/events.csv?actor=israel&kind=meeting&until=2023-10-20"))

    assert [row["id"] for row in rows] == [str(wanted.pk)]


def test_csv_never_contains_drafts_except_for_editors(client, core, analyst, editor):
    published = event_with(core["russia"])
    draft = event_with(core["russia"], status=Event.Status.DRAFT)

    assert [row["id"] for row in read_csv(client.get("/export/events.csv"))] == [str(published.pk)]
    client.force_login(analyst)
    assert [r["id"] for r in read_csv(client.get("/export/events.csv?status=draft"))] == []
    client.force_login(editor)
    assert [r["id"] for r in read_csv(client.get("/export/events.csv?status=draft"))] == [
        str(draft.pk)
    ]


def test_csv_keeps_formulas_in_titles_as_text(client, core):
    event_with(core["russia"], title='=HYPERLINK("https://evil.example","x")')

    (row,) = read_csv(client.get("/export/events.csv"))

    assert row["title"].startswith("'=")


@pytest.mark.parametrize(
    "query",
    ["since=2023-13-01", "until=2023-01-01&since=2023-02-01", "kind=war", "q=" + "z" * 5000],
)
def test_csv_refuses_bad_filters_with_a_message(client, core, query):
    response = client.get(f"/export/events.csv?{query}")

    assert response.status_code == 400
    assert b"Invalid parameters" in response.content


def test_csv_streams_many_events_in_a_fixed_number_of_queries(
    client, core, django_assert_max_num_queries
):
    for _ in range(30):
        event = event_with(core["russia"], core["hamas"], day=dt.date(2023, 1, 1))
        InteractionFactory(event=event, source=core["russia"], target=core["hamas"])
        SourceFactory(event=event)

    # The ordered ids, then one batch: its rows, participants, scores and sources.
    with django_assert_max_num_queries(5):
        rows = read_csv(client.get("/export/events.csv"))
    assert len(rows) == 30


def test_atom_lists_published_events_only_with_markup_as_text(client, core):
    published = event_with(core["russia"], title="<script>alert(1)</script> Talks")
    event_with(core["russia"], status=Event.Status.DRAFT, title="Secret draft")

    (entry,) = entries(client.get("/events.atom"))

    assert entry.findtext(f"{ATOM}title") == "<script>alert(1)</script> Talks"
    # The summary is typed as HTML, so the text arrives escaped: readers show it, not run it.
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert entry.findtext(f"{ATOM}summary") == "&lt;b&gt;Talks&lt;/b&gt; &amp; more"
    link = entry.find(f"{ATOM}link").get("href")
    assert link == f"http://testserver/events/{published.pk}/"


def test_atom_follows_one_actor_or_one_pair(client, core, editor):
    both = event_with(core["russia"], core["hamas"], title="Russia and Hamas")
    event_with(core["russia"], core["israel"], title="Russia and Israel")
    event_with(core["israel"], title="Israel alone")

    def titles(query):
        return sorted(entry.findtext(f"{ATOM}title") for entry in entries(client.get(query)))

    assert titles("/events.atom?actor=russia") == ["Russia and Hamas", "Russia and Israel"]
    assert titles("/events.atom?a=hamas&b=russia") == ["Russia and Hamas"]
    client.force_login(editor)
    assert len(titles("/events.atom")) == 3
    assert both.pk


@pytest.mark.parametrize(
    "query", ["actor=atlantis", "a=russia", "a=russia&b=russia", "a=russia&b=hamas&actor=israel"]
)
def test_atom_refuses_an_unclear_selection(client, core, query):
    response = client.get(f"/events.atom?{query}")

    assert response.status_code == 400
    assert b"Invalid parameters" in response.content


def test_exports_need_a_login_when_the_dashboard_does(client, core, analyst, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True

    assert client.get("/export/events.csv").status_code == 302
    assert client.get("/events.atom").status_code == 302
    client.force_login(analyst)
    assert client.get("/export/events.csv").status_code == 200
