import base64
import datetime as dt
import json

import pytest
from django.contrib.auth.models import User

from relations.models import Actor, Allegation, Event
from tests.factories import (
    ActionFactory,
    ActorFactory,
    AffiliationFactory,
    AliasFactory,
    AllegationFactory,
    ArticleFactory,
    FeedFactory,
    InteractionFactory,
    MeetingFactory,
    MentionFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def core():
    return {
        "russia": ActorFactory(slug="russia", name="Russia", is_core=True),
        "hamas": ActorFactory(
            slug="hamas", name="Hamas", kind=Actor.Kind.ORGANISATION, is_core=True
        ),
        "israel": ActorFactory(slug="israel", name="Israel", is_core=True),
    }


def full_event(core, *, status=Event.Status.PUBLISHED, day=dt.date(2023, 10, 26), n=0):
    """A published meeting with everything the API nests: participants, scores, sources."""
    event = MeetingFactory(
        status=status, date=day, title=f"Hamas delegation in Moscow {n}", city="Moscow"
    )
    ParticipantFactory(event=event, actor=core["russia"], role="host")
    ParticipantFactory(event=event, actor=core["hamas"], role="guest")
    InteractionFactory(event=event, source=core["russia"], target=core["hamas"])
    InteractionFactory(event=event, source=core["hamas"], target=core["russia"])
    SourceFactory(event=event, outlet="Reuters", url=f"https://reuters.example/{n}")
    SourceFactory(event=event, outlet="reuters ", url=f"https://reuters.example/{n}/again")
    return event


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_events_nest_participants_scores_sources_and_kind_fields(client, core):
    event = full_event(core)

    (body,) = results(client.get("/api/events/"))

    assert body["id"] == event.pk and body["kind"] == "meeting"
    assert body["participants"] == [
        {"actor": "russia", "role": "host"},
        {"actor": "hamas", "role": "guest"},
    ]
    assert {(i["source"], i["target"], i["score"]) for i in body["interactions"]} == {
        ("russia", "hamas", 2.1),
        ("hamas", "russia", 2.1),
    }
    assert body["net_score"] == 4.2
    assert len(body["sources"]) == 2 and body["independent_outlets"] == 1
    assert body["meeting"]["city"] == "Moscow"
    assert body["statement"] is None and body["allegation"] is None
    assert body["url"] == f"/events/{event.pk}/"


def test_allegation_and_statement_fields_show_only_visible_responses(client, core, editor):
    draft_denial = StatementFactory(status=Event.Status.DRAFT, speaker=core["russia"])
    allegation = AllegationFactory(
        status=Event.Status.PUBLISHED,
        claimant=core["israel"],
        accused=core["russia"],
        evidence_status=Allegation.EvidenceStatus.DISPUTED,
    )
    allegation.responses.add(draft_denial)
    reply = StatementFactory(
        status=Event.Status.PUBLISHED, speaker=core["hamas"], responding_to=draft_denial
    )

    anonymous = {event["id"]: event for event in results(client.get("/api/events/"))}
    assert anonymous[allegation.pk]["allegation"]["claimant"] == "israel"
    assert anonymous[allegation.pk]["allegation"]["evidence_status"] == "disputed"
    assert anonymous[allegation.pk]["allegation"]["responses"] == []
    assert anonymous[reply.pk]["statement"]["responding_to"] is None
    assert anonymous[reply.pk]["statement"]["speaker"] == "hamas"

    client.force_login(editor)
    edited = {event["id"]: event for event in results(client.get("/api/events/"))}
    assert edited[allegation.pk]["allegation"]["responses"] == [draft_denial.pk]
    assert edited[reply.pk]["statement"]["responding_to"] == draft_denial.pk


def every_shape_of_event(core) -> None:
    """Events of every kind, date precision, evidence status and status, with and without
    parts, answering drafts and published events, with awkward texts, scores and times."""
    other = ActorFactory(slug="other", name='Quote " and \\ backslash, \u00e9t\u00e9 \U0001f600')
    kinds = [MeetingFactory, StatementFactory, AllegationFactory, ActionFactory]
    evidence = iter(Allegation.EvidenceStatus)  # six of them, one per allegation made here
    days = {"day": dt.date(2023, 5, 17), "month": dt.date(2023, 5, 1), "year": dt.date(2023, 1, 1)}
    made = []
    for n, (precision, day) in enumerate(days.items()):
        for kind in kinds:
            for status in Event.Status:
                made.append(
                    kind(
                        title=f'{kind.__name__} {precision} {status} <b>\n</b> "{n}"',
                        summary="" if n else "Line one\nline two\ttabbed, \u0410\u0411\u0412",
                        date=day,
                        date_precision=precision,
                        status=status,
                        location="" if n else "Gaza\u2009City",
                        **(
                            {"evidence_status": next(evidence)} if kind is AllegationFactory else {}
                        ),
                        **(
                            {
                                "killed": n or None,  # none given, then figures, 0 included
                                "wounded": 0 if n else None,
                                "captives_taken": None if n == 1 else 250,
                                "means_detail": "" if n else 'Drones "Shahed" \\ а',
                                "casualties_note": "" if n else "Per the ministry\nline two",
                            }
                            if kind is ActionFactory
                            else {}
                        ),
                    )
                )
    draft, published = made[1], made[0]
    StatementFactory(status=Event.Status.PUBLISHED, responding_to=draft, speaker=other)
    StatementFactory(status=Event.Status.DRAFT, responding_to=published, speaker=other)
    allegation = AllegationFactory(status=Event.Status.PUBLISHED, claimant=core["israel"])
    allegation.responses.add(draft, published, allegation)
    full_event(core)
    InteractionFactory(event=allegation, source=core["israel"], target=other, score=-0.0)
    InteractionFactory(event=allegation, source=other, target=core["hamas"], score=1 / 3)
    InteractionFactory(event=allegation, source=core["hamas"], target=other, score=0.1)
    for published_at in (
        None,
        dt.datetime(2023, 3, 26, 0, 30, 0, 123456, tzinfo=dt.UTC),  # microseconds, DST day
        dt.datetime(2023, 10, 29, 1, 30, tzinfo=dt.UTC),  # a clock set back in Europe
        dt.datetime(1890, 6, 1, 12, 0, 1, tzinfo=dt.UTC),  # local mean time, odd offsets
    ):
        SourceFactory(event=allegation, published_at=published_at, reliability="B", outlet="")
    # Whole seconds, then microseconds, in the events' own timestamps.
    Event.objects.filter(pk=published.pk).update(
        created_at=dt.datetime(2020, 1, 1, 0, 0, tzinfo=dt.UTC),
        updated_at=dt.datetime(2020, 7, 1, 23, 59, 59, 1, tzinfo=dt.UTC),
    )


# UTC (the site's), whole and half hours either side with and without summer time, and
# fixed offsets with no name, one of them with seconds as local mean times have. Not a zone
# whose history the tz database has rewritten: Python's tzdata and the PostgreSQL server may
# carry different versions (since 2022b, Europe/Amsterdam's 1890 offset is Brussels's in
# Python's, and still Amsterdam's +00:19:32 in the embedded server's).
ZONES = [
    "UTC",
    "Europe/Moscow",
    "America/St_Johns",
    "Asia/Kolkata",
    dt.timezone(-dt.timedelta(hours=9, minutes=30)),
    dt.timezone(dt.timedelta(minutes=19, seconds=32)),
]


def test_the_events_page_writes_what_the_serializer_declares(core):
    """The SQL that writes /api/events/ gives EventSerializer's own output (DRF's walk over
    the declared fields), key for key and in the same JSON text, for every event of the seed
    data and of every shape, to readers and editors, in any active time zone."""
    from django.utils import timezone

    from dashboard.api import with_event_parts
    from dashboard.serializers import EventSerializer, event_page_data
    from relations.seeding import load_relations_seeds

    load_relations_seeds()
    every_shape_of_event(core)
    events = with_event_parts(Event.objects.order_by("-date", "-id"))
    ids = list(events.values_list("id", flat=True))
    shapes = {(k, p, s) for k in Event.Kind for p in Event.Precision for s in Event.Status}
    assert set(events.values_list("kind", "date_precision", "status")) == shapes
    assert set(Allegation.objects.values_list("evidence_status", flat=True)) == set(
        Allegation.EvidenceStatus
    )
    assert events.filter(interactions=None, sources=None, participants=None).exists()

    for zone in ZONES:
        for show_drafts in (False, True):
            with timezone.override(zone):
                context = {"show_drafts": show_drafts}
                declared = json.loads(
                    json.dumps(EventSerializer(events, many=True, context=context).data)
                )
                written = event_page_data(ids, show_drafts=show_drafts)
            for expected, got in zip(declared, written, strict=True):
                assert got == expected, (zone, show_drafts)
            # The JSON text too: a score is a float there, as DRF writes it, keys in order.
            assert json.dumps(written) == json.dumps(declared)


def test_an_event_reads_the_same_in_the_list_and_on_its_own(client, core, editor):
    every_shape_of_event(core)
    client.force_login(editor)

    listed = results(client.get("/api/events/?page_size=200"))

    assert len(listed) == Event.objects.count()
    for event in listed:
        assert client.get(f"/api/events/{event['id']}/").json() == event


def test_drafts_reach_editors_only(client, core, analyst, editor):
    published = full_event(core, n=1)
    draft = full_event(core, status=Event.Status.DRAFT, n=2)

    assert [e["id"] for e in results(client.get("/api/events/"))] == [published.pk]
    assert client.get(f"/api/events/{draft.pk}/").status_code == 404
    assert [e["id"] for e in results(client.get("/api/events/?status=draft"))] == []

    client.force_login(analyst)
    assert [e["id"] for e in results(client.get("/api/events/"))] == [published.pk]
    assert client.get(f"/api/events/{draft.pk}/").status_code == 404

    client.force_login(editor)
    assert {e["id"] for e in results(client.get("/api/events/"))} == {published.pk, draft.pk}
    assert [e["id"] for e in results(client.get("/api/events/?status=draft"))] == [draft.pk]
    assert client.get(f"/api/events/{draft.pk}/").json()["status"] == "draft"


def test_event_filters_work_through_the_api(client, core, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = full_event(core, day=dt.date(2023, 10, 26))
        condemnation = StatementFactory(
            status=Event.Status.PUBLISHED,
            date=dt.date(2023, 10, 13),
            speaker=core["russia"],
            category="PROTEST",
            quote="Like the siege of Leningrad.",
        )
        ParticipantFactory(event=condemnation, actor=core["israel"], role="target")

    def ids(query):
        return [event["id"] for event in results(client.get(f"/api/events/?{query}"))]

    assert ids("actor=israel") == [condemnation.pk]
    assert ids("actor=israel&actor=hamas") == [meeting.pk, condemnation.pk]
    assert ids("actor=israel&actor=hamas&match=all") == []
    assert ids("kind=statement") == [condemnation.pk]
    assert ids("category=CONSULT") == [meeting.pk]
    assert ids("since=2023-10-20") == [meeting.pk]
    assert ids("until=2023-10-20") == [condemnation.pk]
    assert ids("q=leningrad") == [condemnation.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2023-02-30", "since"),
        ("until=not-a-date", "until"),
        ("since=2024-01-01&until=2023-01-01", "until"),
        ("kind=battle", "kind"),
        ("category=hug", "category"),
        ("actor=atlantis", "actor"),
        ("evidence_status=perhaps", "evidence_status"),
        ("q=" + "x" * 5000, "q"),
        ("q=%00", "q"),
        ("page=9999", "page"),
        ("page=zero", "page"),
        ("page=-1", "page"),
        ("page=", "page"),
        ("page=last", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=many", "page_size"),
    ],
)
def test_bad_event_parameters_answer_400_with_a_message(client, core, query, field):
    full_event(core)

    response = client.get(f"/api/events/?{query}")

    assert response.status_code == 400
    assert response.json()[field][0]


@pytest.mark.parametrize(
    "url",
    [
        "/api/articles/?feed=abc",
        "/api/articles/?feed=99999999999999999999999",
        "/api/articles/?min_relevance=lots",
        "/api/articles/?review_status=maybe",
        "/api/articles/?kind=rumour",
        "/api/articles/?q=" + "y" * 201,
        "/api/actors/?kind=alien",
        "/api/actors/?is_core=perhaps",
        "/api/feeds/?page=2",
        "/api/dyads/",
        "/api/dyads/?a=russia",
        "/api/dyads/?a=russia&b=atlantis",
        "/api/dyads/?a=russia&b=russia",
        "/api/dyads/?a=russia&b=hamas&bucket=year",
        "/api/dyads/?a=russia&b=hamas&since=2023-10-32",
        "/api/dyads/?a=russia&b=hamas&since=2024-01-01&until=2023-01-01",
        "/api/graph/?rollup=maybe",
        "/api/graph/?since=yesterday",
        "/api/graph/?max_edges=0",
        "/api/graph/?max_edges=5001",
        "/api/graph/?max_edges=many",
    ],
)
def test_bad_parameters_elsewhere_answer_400(client, core, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/events/abc/",
        "/api/events/0.5/",
        "/api/actors/%C2%84/",
        "/api/feeds/-1/",
        "/api/events/99999999999999999999999/",
        "/api/actors/atlantis/",
        "/api/articles/123456/",
    ],
)
def test_unknown_objects_answer_404_in_json(client, core, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_credentials_with_a_nul_byte_are_refused_not_a_server_error(client, core):
    credentials = base64.b64encode(b"ed\x00na:pass\x00word").decode()

    response = client.get("/api/events/", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code in (401, 403)


def test_scripts_can_read_with_basic_auth_when_login_is_required(client, core, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True
    User.objects.create_user("script", password="script-pass-123")
    credentials = base64.b64encode(b"script:script-pass-123").decode()

    response = client.get("/api/actors/", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code == 200


def test_the_api_is_read_only(client, core, editor):
    client.force_login(editor)

    assert client.post("/api/events/", {}).status_code in (403, 405)
    assert client.delete("/api/actors/russia/").status_code in (403, 405)


def test_login_required_closes_everything_to_anonymous_users(client, core, analyst, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True

    for url in ("/api/events/", "/api/dyads/?a=russia&b=hamas", "/api/schema/"):
        assert client.get(url).status_code in (401, 403), url
    client.force_login(analyst)
    assert client.get("/api/events/").status_code == 200


def test_actors_list_and_slug_lookup(client, core):
    putin = ActorFactory(slug="vladimir-putin", name="Vladimir Putin", kind=Actor.Kind.PERSON)
    AffiliationFactory(actor=putin, parent=core["russia"], role="President")
    AliasFactory(actor=putin, text="Путин", language="ru")

    body = client.get("/api/actors/vladimir-putin/").json()

    assert body["kind"] == "person"
    assert body["aliases"] == [{"text": "Путин", "language": "ru"}]
    assert body["affiliations"][0]["parent"] == "russia"
    slugs = [actor["slug"] for actor in results(client.get("/api/actors/?is_core=true"))]
    assert slugs == ["hamas", "israel", "russia"]
    assert [a["slug"] for a in results(client.get("/api/actors/?q=путин"))] == ["vladimir-putin"]


def test_articles_show_their_actors_and_filter(client, core):
    feed = FeedFactory()
    original = ArticleFactory(feed=feed, title="Hamas in Moscow", candidate_kind="meeting")
    copy = ArticleFactory(url=original.url, duplicate_of=original, relevance=0.5)
    MentionFactory(article=original, actor=core["hamas"])
    MentionFactory(article=original, actor=core["russia"])

    body = {article["id"]: article for article in results(client.get("/api/articles/"))}

    assert sorted(body[original.pk]["actors"]) == ["hamas", "russia"]
    assert body[original.pk]["feed"] == feed.pk
    assert body[copy.pk]["duplicate_of"] == original.pk
    assert [a["id"] for a in results(client.get("/api/articles/?actor=hamas"))] == [original.pk]
    filtered = results(client.get(f"/api/articles/?feed={feed.pk}&kind=meeting&q=moscow"))
    assert [a["id"] for a in filtered] == [original.pk]


def test_feeds_show_their_health(client):
    FeedFactory(
        title="TASS",
        status="failing",
        consecutive_failures=3,
        last_error="HTTP 503",
        etag='"abc"',
    )

    (feed,) = results(client.get("/api/feeds/"))

    assert feed["status"] == "failing" and feed["consecutive_failures"] == 3
    assert feed["last_error"] == "HTTP 503" and feed["etag"] == '"abc"'
    assert "claimed_until" not in feed and "content_hash" not in feed


def test_dyads_give_both_directions_and_counts(client, core, committed):
    with committed():
        full_event(core, day=dt.date(2023, 10, 26))
        statement = StatementFactory(
            status=Event.Status.PUBLISHED, date=dt.date(2023, 10, 11), speaker=core["hamas"]
        )
        InteractionFactory(event=statement, source=core["hamas"], target=core["russia"], score=3.4)
        full_event(core, status=Event.Status.DRAFT, day=dt.date(2023, 10, 26), n=9)

    body = client.get("/api/dyads/?a=russia&b=hamas&bucket=month&rollup=0").json()

    assert body["a"] == "russia" and body["bucket"] == "month"
    (october,) = body["points"]
    assert october["period"] == "2023-10-01"
    assert october["a_to_b"] == 2.1 and october["b_to_a"] == pytest.approx(5.5)
    assert october["a_to_b_count"] == 1 and october["b_to_a_count"] == 2
    assert october["events"] == 2
    weekly = client.get("/api/dyads/?a=russia&b=hamas&since=2023-10-20").json()
    assert [point["period"] for point in weekly["points"]] == ["2023-10-23"]


def test_graph_rolls_people_up_when_asked(client, core, committed):
    putin = ActorFactory(slug="vladimir-putin", kind=Actor.Kind.PERSON)
    with committed():
        AffiliationFactory(actor=putin, parent=core["russia"], role="President")
        statement = StatementFactory(
            status=Event.Status.PUBLISHED, speaker=putin, date=dt.date(2023, 10, 13)
        )
        InteractionFactory(event=statement, source=putin, target=core["israel"], score=-4.5)

    plain = client.get("/api/graph/").json()
    rolled = client.get("/api/graph/?rollup=1&since=2023-01-01&until=2023-12-31").json()

    assert {node["slug"] for node in plain["nodes"]} == {"vladimir-putin", "israel"}
    assert {node["slug"] for node in rolled["nodes"]} == {"russia", "israel"}
    assert rolled["edges"][0]["net_score"] == -4.5 and rolled["edges"][0]["count"] == 1


def test_graph_returns_the_busiest_edges_up_to_max_edges(client, core, committed):
    russia, hamas, israel = core["russia"], core["hamas"], core["israel"]
    with committed():
        for n in range(2):
            full_event(core, n=n)
        statement = StatementFactory(status=Event.Status.PUBLISHED, speaker=israel)
        InteractionFactory(event=statement, source=israel, target=hamas, score=-9.3)

    whole = client.get("/api/graph/").json()
    busiest = client.get("/api/graph/?max_edges=1").json()

    assert len(whole["edges"]) == 2 and whole["edges_total"] == 2
    assert busiest["edges_total"] == 2
    assert [(e["count"], {e["source"], e["target"]}) for e in busiest["edges"]] == [
        (4, {russia.slug, hamas.slug})
    ]
    assert {node["slug"] for node in busiest["nodes"]} == {"russia", "hamas"}


def test_the_cached_graph_follows_changes_to_events_and_actors(client, core, committed):
    with committed():
        full_event(core)
    assert len(client.get("/api/graph/").json()["edges"]) == 1

    with committed():
        statement = StatementFactory(status=Event.Status.PUBLISHED, speaker=core["israel"])
        InteractionFactory(event=statement, source=core["israel"], target=core["hamas"])
    assert len(client.get("/api/graph/").json()["edges"]) == 2

    with committed():
        core["hamas"].name = "Harakat al-Muqawama al-Islamiya"
        core["hamas"].save()
    names = {node["slug"]: node["name"] for node in client.get("/api/graph/").json()["nodes"]}
    assert names["hamas"] == "Harakat al-Muqawama al-Islamiya"


def test_query_counts_do_not_grow_with_rows(
    client, core, editor, committed, django_assert_max_num_queries
):
    def load(count, offset):
        with committed():
            for n in range(offset, offset + count):
                full_event(core, day=dt.date(2023, 1, 1) + dt.timedelta(days=n), n=n)
                article = ArticleFactory()
                MentionFactory(article=article, actor=core["hamas"])
                MentionFactory(article=article, actor=core["russia"])
                FeedFactory()
                allegation = AllegationFactory(
                    status=Event.Status.PUBLISHED, claimant=core["israel"], accused=core["hamas"]
                )
                allegation.responses.add(allegation)
                ActorFactory()

    urls = [
        "/api/events/",
        "/api/events/?actor=russia&q=delegation",
        "/api/articles/",
        "/api/feeds/",
        "/api/actors/",
        "/api/dyads/?a=russia&b=hamas&rollup=1",
        "/api/graph/?rollup=1",
    ]
    load(2, 0)
    client.force_login(editor)
    small = {}
    for url in urls:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        small[url] = len(captured)
    load(25, 100)
    for url in urls:
        with django_assert_max_num_queries(small[url], info=url):
            assert client.get(url).status_code == 200


def test_schema_describes_the_query_parameters(client):
    schema = client.get("/api/schema/").json()

    events = {p["name"]: p for p in schema["paths"]["/api/events/"]["get"]["parameters"]}
    assert {"actor", "kind", "category", "since", "until", "evidence_status", "q"} <= set(events)
    assert {"type": "string", "format": "date"} in events["since"]["schema"]["anyOf"]
    assert events["q"]["schema"]["maxLength"] == 200
    dyads = {p["name"] for p in schema["paths"]["/api/dyads/"]["get"]["parameters"]}
    assert dyads == {"a", "b", "bucket", "since", "until", "rollup"}
    assert "400" in schema["paths"]["/api/dyads/"]["get"]["responses"]
    graph = {p["name"] for p in schema["paths"]["/api/graph/"]["get"]["parameters"]}
    assert graph == {"since", "until", "rollup", "max_edges"}
    # Reading needs no credentials (unless DASHBOARD_LOGIN_REQUIRED).
    assert {} in schema["paths"]["/api/events/"]["get"]["security"]
    detail = schema["paths"]["/api/events/{id}/"]["get"]["parameters"]
    assert detail[0]["schema"]["type"] == "integer"


def test_a_superuser_counts_as_an_editor(client, core):
    draft = full_event(core, status=Event.Status.DRAFT)
    client.force_login(User.objects.create_superuser("root", password="root-pass-123"))

    assert [e["id"] for e in results(client.get("/api/events/"))] == [draft.pk]


def test_the_net_score_has_one_value_and_one_name_everywhere(client, core):
    """The list row, the event page, the CSV and the API show an event's net score (the
    sum of its interactions' scores) as the same number under the same name; the event page
    labels the average it shows beside it."""
    import csv
    import io
    import re

    event = full_event(core)  # two interactions at CONSULT's default, +2.1 each
    InteractionFactory(event=event, source=core["russia"], target=core["israel"], score=3.0)
    InteractionFactory(event=event, source=core["israel"], target=core["hamas"], score=-1.0)
    net, average = 6.2, 6.2 / 4

    (listed,) = results(client.get("/api/events/"))
    detail = client.get(f"/api/events/{event.pk}/").json()
    assert listed["net_score"] == detail["net_score"] == net
    assert not {"score", "mean_score", "average_score"} & set(listed)

    body = b"".join(client.get("/export/events.csv").streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(body))
    assert float(row["net_score"]) == net
    assert not {"score", "mean_score", "average_score"} & set(row)

    timeline = client.get("/timeline/").content.decode()
    item = re.search(rf'data-event-id="{event.pk}">(.*?)</li>', timeline, re.S).group(1)
    assert re.search(r'title="Net score: [^"]*">net score \+6\.2</span>', item)
    # The chart above the list colours events by their average, and says so.
    assert "average score %{customdata[3]}" in timeline
    assert "Colour: average interaction score" in timeline

    page = client.get(f"/events/{event.pk}/").content.decode()
    scores = re.search(r'<p id="event-scores">(.*?)</p>', page, re.S).group(1)
    assert 'Net score <strong class="score-coop" id="net-score">+6.2</strong>' in scores
    assert f"average score +{average:.1f}</span> over 4 interactions" in scores


def test_the_csv_names_what_it_shares_with_the_api_as_the_api_does():
    from dashboard.exports import CSV_COLUMNS
    from dashboard.serializers import EventSerializer

    shared = set(CSV_COLUMNS) - {"participants", "interactions", "sources", "source_count"}
    assert shared <= set(EventSerializer.Meta.fields)
    assert {"id", "kind", "date", "title", "net_score", "independent_outlets", "url"} <= shared
