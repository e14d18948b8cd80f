"""The CSV and Atom exports: the timeline's filters read the same way as by the timeline and
the API (one EventFilter), what a row and an entry carry, spreadsheet formulas kept as text,
and the "download these results" links of the timeline, pair and actor pages."""

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import pytest

from relations.analytics import rebuild_dyad_days
from relations.models import Actor, Allegation, Event
from tests.factories import (
    ActorFactory,
    AllegationFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
PUBLISHED = Event.Status.PUBLISHED


@pytest.fixture
def core():
    return {
        "russia": ActorFactory(slug="russia", name="Russia"),
        "hamas": ActorFactory(slug="hamas", name="Hamas", kind=Actor.Kind.ORGANISATION),
        "israel": ActorFactory(slug="israel", name="Israel"),
    }


def event_with(*actors, status=PUBLISHED, title="Talks", day=dt.date(2023, 10, 26)):
    event = MeetingFactory(status=status, title=title, date=day, summary="<b>Talks</b> & more")
    for actor in actors:
        ParticipantFactory(event=event, actor=actor)
    return event


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def entries(response) -> list[ET.Element]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def entry_id(entry: ET.Element) -> int:
    return int(re.search(r"/events/(\d+)/$", entry.find(f"{ATOM}link").get("href")).group(1))


# --- The same events as the timeline and the API -----------------------------------------------


@pytest.fixture
def catalogue(core, django_capture_on_commit_callbacks):
    """Events that each filter of the timeline tells apart (search vectors are written on
    commit, hence the callbacks)."""
    russia, hamas, israel = core["russia"], core["hamas"], core["israel"]
    with django_capture_on_commit_callbacks(execute=True):
        talks = event_with(russia, hamas, title=TALKS)
        InteractionFactory(event=talks, source=russia, target=hamas)
        condemnation = StatementFactory(
            status=PUBLISHED,
            date=dt.date(2023, 10, 13),
            speaker=russia,
            category="PROTEST",
            title=CONDEMNATION,
            quote="Like the siege of Leningrad.",
        )
        ParticipantFactory(event=condemnation, actor=russia, role="speaker")
        ParticipantFactory(event=condemnation, actor=israel, role="target")
        allegation = AllegationFactory(
            status=PUBLISHED,
            date=dt.date(2023, 11, 2),
            claimant=israel,
            accused=russia,
            evidence_status=Allegation.EvidenceStatus.DISPUTED,
            title=ALLEGATION,
        )
        ParticipantFactory(event=allegation, actor=israel, role="claimant")
        ParticipantFactory(event=allegation, actor=russia, role="accused")
        ParticipantFactory(event=allegation, actor=hamas, role="subject")
        event_with(israel, hamas, title=CEASEFIRE, day=dt.date(2023, 9, 1))
        event_with(russia, status=Event.Status.DRAFT, title="A draft visit")


TALKS = "Hamas delegation in Moscow"
CONDEMNATION = "Lavrov compares Gaza to Leningrad"
ALLEGATION = "Israel says Russian arms reached Hamas"
CEASEFIRE = "Ceasefire talks"
# Each filter of the timeline, and the published events it selects from the catalogue.
TIMELINE_FILTERS = {
    "": {TALKS, CONDEMNATION, ALLEGATION, CEASEFIRE},
    "actor=israel": {CONDEMNATION, ALLEGATION, CEASEFIRE},
    "actor=israel&actor=russia": {TALKS, CONDEMNATION, ALLEGATION, CEASEFIRE},
    "actor=russia&actor=hamas&match=all": {TALKS, ALLEGATION},
    "actor=russia&match=any": {TALKS, CONDEMNATION, ALLEGATION},
    "kind=statement": {CONDEMNATION},
    "kind=meeting&kind=allegation": {TALKS, ALLEGATION, CEASEFIRE},
    "category=CONSULT": {TALKS, CEASEFIRE},
    "category=PROTEST&category=ACCUSE": {CONDEMNATION, ALLEGATION},
    "since=2023-10-20": {TALKS, ALLEGATION},
    "until=2023-10-20": {CONDEMNATION, CEASEFIRE},
    "since=2023-10-01&until=2023-10-31": {TALKS, CONDEMNATION},
    "evidence_status=disputed": {ALLEGATION},
    "q=leningrad": {CONDEMNATION},
    "q=talks+-ceasefire": {TALKS},
    "status=published": {TALKS, CONDEMNATION, ALLEGATION, CEASEFIRE},
    "actor=russia&kind=meeting&since=2023-10-01": {TALKS},
}


def timeline_ids(client, query: str) -> set[int]:
    response = client.get(f"/timeline/?{query}")
    assert response.status_code == 200, response.content
    return {int(pk) for pk in re.findall(r'data-event-id="(\d+)"', response.content.decode())}


def api_ids(client, query: str) -> set[int]:
    response = client.get(f"/api/events/?{query}")
    assert response.status_code == 200, response.content
    return {event["id"] for event in response.json()["results"]}


def csv_ids(client, query: str) -> set[int]:
    return {int(row["id"]) for row in read_csv(client.get(f"/export/events.csv?{query}"))}


def atom_ids(client, query: str) -> set[int]:
    return {entry_id(entry) for entry in entries(client.get(f"/events.atom?{query}"))}


@pytest.mark.parametrize(("query", "titles"), TIMELINE_FILTERS.items())
def test_csv_and_atom_hold_the_events_the_timeline_and_api_list(client, catalogue, query, titles):
    listed = timeline_ids(client, query)
    # The filter selects what it should, so an export that ignored it would differ.
    assert listed == set(Event.objects.filter(title__in=titles).values_list("pk", flat=True))

    assert api_ids(client, query) == listed
    assert csv_ids(client, query) == listed
    assert atom_ids(client, query) == listed


@pytest.mark.parametrize("query", ["status=draft", "", "actor=russia&status=draft"])
def test_editors_get_drafts_in_the_csv_and_api_as_on_their_timeline(
    editor_client, catalogue, query
):
    listed = timeline_ids(editor_client, query)
    draft = Event.objects.get(title="A draft visit").pk
    assert draft in listed

    assert api_ids(editor_client, query) == listed
    assert csv_ids(editor_client, query) == listed
    # The Atom feed is for subscribers: published events only, whoever fetches it.
    assert atom_ids(editor_client, query) == listed - {draft}


def test_drafts_never_reach_the_public_or_analysts(client, analyst, catalogue):
    draft = Event.objects.get(title="A draft visit").pk
    for reader in (None, analyst):
        if reader:
            client.force_login(reader)
        for query in ("", "status=draft", "actor=russia"):
            assert draft not in csv_ids(client, query)
            assert draft not in atom_ids(client, query)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2023-13-01", "since"),
        ("until=2023-01-01&since=2023-02-01", "until"),
        ("kind=war", "kind"),
        ("category=hug", "category"),
        ("actor=atlantis", "actor"),
        ("match=some", "match"),
        ("evidence_status=perhaps", "evidence_status"),
        ("status=secret", "status"),
        ("q=" + "z" * 5000, "q"),
    ],
)
@pytest.mark.parametrize("url", ["/export/events.csv", "/events.atom"])
def test_exports_refuse_bad_filters_with_a_message(client, core, url, query, field):
    response = client.get(f"{url}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert body.startswith("Invalid parameters.")
    assert f"\n{field}: " in body


# --- CSV -------------------------------------------------------------------------------------


def test_csv_has_one_row_per_event_with_actors_scores_and_sources(client, core):
    russia, hamas = core["russia"], core["hamas"]
    event = MeetingFactory(status=PUBLISHED, title="Hamas delegation in Moscow")
    event.date = dt.date(2023, 10, 26)
    event.save()
    ParticipantFactory(event=event, actor=russia, role="host")
    ParticipantFactory(event=event, actor=hamas, role="guest")
    InteractionFactory(event=event, source=russia, target=hamas)
    InteractionFactory(event=event, source=hamas, target=russia, score=3.0)
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
        "interactions",
        "net_score",
        "source_count",
        "independent_outlets",
        "sources",
        "url",
    ]
    assert row["id"] == str(event.pk) and row["kind"] == "meeting"
    assert row["date"] == "2023-10-26" and row["date_precision"] == "day"
    assert row["participants"] == "Russia (host); Hamas (guest)"
    assert row["interactions"] == "Russia → Hamas: 2.1; Hamas → Russia: 3"
    assert float(row["net_score"]) == pytest.approx(5.1)
    assert row["source_count"] == "3" and row["independent_outlets"] == "2"
    assert row["sources"] == (
        "Reuters: https://reuters.example/a; Reuters: https://reuters.example/b; "
        "TASS: https://tass.example/a"
    )
    assert row["url"] == f"http://testserver/events/{event.pk}/"


def test_csv_leaves_the_lists_of_an_event_without_parts_empty(client, core):
    event_with()

    (row,) = read_csv(client.get("/export/events.csv"))

    assert row["participants"] == row["interactions"] == row["sources"] == ""
    assert row["net_score"] == "0.0" and row["source_count"] == "0"


def test_csv_keeps_formulas_in_every_text_column_as_text(client, core):
    evil = ActorFactory(slug="evil", name='=HYPERLINK("https://evil.example","x")')
    plus = ActorFactory(slug="plus", name="+cmd|' /C calc'!A0")
    event = event_with(evil, core["russia"], title='=HYPERLINK("https://evil.example","x")')
    InteractionFactory(event=event, source=plus, target=core["russia"], score=-2.0)
    SourceFactory(event=event, outlet="@SUM(1+1)", url="https://news.example/a")

    (row,) = read_csv(client.get("/export/events.csv"))

    assert row["title"] == "'" + '=HYPERLINK("https://evil.example","x")'
    assert row["participants"] == (
        "'" + '=HYPERLINK("https://evil.example","x") (participant); Russia (participant)'
    )
    assert row["interactions"] == "'+cmd|' /C calc'!A0 → Russia: -2"
    assert row["sources"] == "'@SUM(1+1): https://news.example/a"
    # Numbers stay numbers: a negative score is not text with a quote.
    assert row["net_score"] == "-2.0"


def test_csv_streams_many_events_in_a_fixed_number_of_queries(
    client, core, django_assert_max_num_queries
):
    for _ in range(30):
        event = event_with(core["russia"], core["hamas"], day=dt.date(2023, 1, 1))
        InteractionFactory(event=event, source=core["russia"], target=core["hamas"])
        SourceFactory(event=event)

    # The ordered ids, then one batch: its rows, participants, interactions and sources.
    with django_assert_max_num_queries(5):
        rows = read_csv(client.get("/export/events.csv"))
    assert len(rows) == 30


# --- Atom ------------------------------------------------------------------------------------


def test_an_atom_entry_carries_the_date_actors_and_sources(client, core):
    event = MeetingFactory(
        status=PUBLISHED, title="Hamas delegation in Moscow", summary="<b>Talks</b> & more"
    )
    event.date = dt.date(2023, 10, 26)
    event.save()
    ParticipantFactory(event=event, actor=core["russia"], role="host")
    ParticipantFactory(event=event, actor=core["hamas"], role="guest")
    SourceFactory(event=event, outlet="Reuters", url="https://reuters.example/a", title="Talks")
    SourceFactory(event=event, outlet="Odd", url="javascript:alert(1)", title="")
    event.refresh_from_db()

    (entry,) = entries(client.get("/events.atom"))

    assert entry.findtext(f"{ATOM}title") == "Hamas delegation in Moscow"
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver/events/{event.pk}/"
    published = dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
    assert published == dt.datetime(2023, 10, 26, tzinfo=dt.UTC)
    updated = dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
    assert updated == event.updated_at
    summary = entry.find(f"{ATOM}summary")
    # Typed as HTML: the stored summary arrives escaped, so readers show it, not run it.
    assert summary.get("type") == "html"
    html = summary.text
    assert "<p>&lt;b&gt;Talks&lt;/b&gt; &amp; more</p>" in html
    assert "<p>Date: 26 October 2023 · Meeting · Consult</p>" in html
    assert "<p>Actors: Russia (Host), Hamas (Guest)</p>" in html
    assert '<li><a href="https://reuters.example/a">Reuters</a>: Talks</li>' in html
    # Only a web address becomes a link.
    assert "<li>Odd javascript:alert(1)</li>" in html
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {
        "meeting",
        "CONSULT",
        "russia",
        "hamas",
    }


def test_atom_keeps_markup_in_titles_as_text(client, core):
    event_with(core["russia"], title="<script>alert(1)</script> Talks")

    (entry,) = entries(client.get("/events.atom"))

    assert entry.findtext(f"{ATOM}title") == "<script>alert(1)</script> Talks"


def test_atom_leaves_drafts_out_even_for_editors(editor_client, core):
    event_with(core["russia"], status=Event.Status.DRAFT, title="Secret draft")
    event_with(core["russia"], title="Public visit")

    titles = [
        entry.findtext(f"{ATOM}title") for entry in entries(editor_client.get("/events.atom"))
    ]

    assert titles == ["Public visit"]


def test_atom_names_and_links_what_it_follows(client, core):
    def feed(query):
        response = client.get(f"/events.atom?{query}")
        assert response.status_code == 200
        root = ET.fromstring(response.content)
        return root.findtext(f"{ATOM}title"), root.find(f"{ATOM}link").get("href")

    assert feed("actor=russia") == (
        "Relwatch: events involving Russia",
        "http://testserver/timeline/?actor=russia",
    )
    assert feed("actor=russia&actor=hamas&match=all&kind=meeting&page=2")[0] == (
        "Relwatch: events between Russia and Hamas"
    )
    assert feed("actor=russia&actor=hamas&match=all&kind=meeting&page=2")[1] == (
        "http://testserver/timeline/?actor=russia&actor=hamas&match=all&kind=meeting"
    )
    assert feed("actor=russia&actor=hamas")[0] == "Relwatch: events involving Russia or Hamas"
    assert feed("") == ("Relwatch: published events", "http://testserver/timeline/")


def test_atom_reads_the_older_pair_parameters_as_both_actors(client, core):
    event_with(core["russia"], core["hamas"], title="Russia and Hamas")
    event_with(core["russia"], core["israel"], title="Russia and Israel")
    event_with(core["israel"], title="Israel alone")

    def titles(query):
        return sorted(entry.findtext(f"{ATOM}title") for entry in entries(client.get(query)))

    assert titles("/events.atom?a=hamas&b=russia") == ["Russia and Hamas"]
    assert titles("/events.atom?a=hamas&b=russia&until=2020-01-01") == []


@pytest.mark.parametrize(
    "query",
    [
        "a=russia",
        "b=hamas",
        "a=russia&b=russia",
        "a=russia&b=hamas&actor=israel",
        "a=russia&b=atlantis",
    ],
)
def test_atom_refuses_an_unclear_pair(client, core, query):
    response = client.get(f"/events.atom?{query}")

    assert response.status_code == 400
    assert response.content.startswith(b"Invalid parameters.")


def test_exports_need_a_login_when_the_dashboard_does(client, core, analyst, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True

    assert client.get("/export/events.csv").status_code == 302
    assert client.get("/events.atom").status_code == 302
    client.force_login(analyst)
    assert client.get("/export/events.csv").status_code == 200
    assert client.get("/events.atom").status_code == 200


# --- "Download these results" on the pages ------------------------------------------------------


def download_links(body: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Each link of the page's downloads paragraph: format → (path, query pairs)."""
    block = re.search(r'<p class="downloads" id="downloads">(.*?)</p>', body, re.S)
    assert block, "no download links"
    links = {}
    for href, fmt in re.findall(r'<a href="([^"]*)" data-format="(\w+)"', block.group(1)):
        parts = urlsplit(href.replace("&amp;", "&"))
        links[fmt] = (parts.path, parse_qsl(parts.query))
    assert set(links) == {"csv", "atom", "api"}
    return links


def assert_links_carry(links, expected: list[tuple[str, str]]) -> None:
    assert links["csv"] == ("/export/events.csv", expected)
    assert links["atom"] == ("/events.atom", expected)
    assert links["api"] == ("/api/events/", expected)


def test_the_timeline_offers_its_results_with_its_filters(client, catalogue):
    query = (
        "actor=russia&actor=hamas&match=any&kind=meeting&kind=allegation&since=2023-10-01"
        "&until=&q=&lanes=actor&page=1"
    )
    response = client.get(f"/timeline/?{query}")
    assert response.status_code == 200

    links = download_links(response.content.decode())

    assert_links_carry(
        links,
        [
            ("actor", "russia"),
            ("actor", "hamas"),
            ("match", "any"),
            ("kind", "meeting"),
            ("kind", "allegation"),
            ("since", "2023-10-01"),
        ],
    )
    # And following them gives what the page lists.
    listed = timeline_ids(client, query)
    assert len(listed) == 2
    csv_path, csv_query = links["csv"]
    assert {int(row["id"]) for row in read_csv(client.get(csv_path, csv_query))} == listed


def test_the_timeline_without_filters_offers_everything(client, catalogue):
    links = download_links(client.get("/timeline/").content.decode())

    assert_links_carry(links, [])


def test_an_actors_page_offers_its_events(client, catalogue):
    links = download_links(client.get("/actors/israel/").content.decode())

    assert_links_carry(links, [("actor", "israel")])


def test_a_pairs_page_offers_the_events_of_the_two_with_its_window(client, core):
    russia, hamas = core["russia"], core["hamas"]
    talks = event_with(russia, hamas, day=dt.date(2023, 10, 26))
    InteractionFactory(event=talks, source=russia, target=hamas)
    rebuild_dyad_days()

    body = client.get(
        "/relations/russia/hamas/?rollup=0&since=2023-10-01&until=2023-12-31&bucket=week"
    ).content.decode()

    assert_links_carry(
        download_links(body),
        [
            ("actor", "russia"),
            ("actor", "hamas"),
            ("match", "all"),
            ("since", "2023-10-01"),
            ("until", "2023-12-31"),
        ],
    )
    assert csv_ids(client, "actor=russia&actor=hamas&match=all&since=2023-10-01") == {talks.pk}


def test_atom_reads_its_entries_in_a_fixed_number_of_queries(
    client, core, django_assert_max_num_queries
):
    for n in range(30):
        event = event_with(core["russia"], core["hamas"], title=f"Talks {n}")
        SourceFactory(event=event)
        SourceFactory(event=event, url="javascript:void(0)")

    # The actor filter's lookup, the entries, their participants (with actors), their sources.
    with django_assert_max_num_queries(4):
        found = entries(client.get("/events.atom?actor=russia&kind=meeting"))
    assert len(found) == 30
