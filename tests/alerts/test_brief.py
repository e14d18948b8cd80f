"""The monthly brief: the verdict rule, the order of the pairs, what drove each, who sees
drafts, bad and empty months, the API and its schema, the print stylesheet and the mail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts import brief as briefs
from alerts.api_brief import BriefSerializer
from relations.analytics import rebuild_dyad_days
from relations.models import Actor, Allegation, Event
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    AllegationFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

PUBLISHED = Event.Status.PUBLISHED
MONTH = dt.date(2024, 3, 1)
RULE = briefs.VERDICT_RULE


# --- the rule, on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "events", "previous", "verdict"),
    [
        # Usually +2 a month, steady: −6 is 8 points below, past the 3-point floor.
        (-6.0, 3, [2.0] * 6, briefs.DETERIORATED),
        (9.0, 4, [2.0] * 6, briefs.IMPROVED),
        (3.5, 5, [2.0] * 6, briefs.UNCHANGED),
        # A volatile pair (mean 5, spread 5): a move needs 7.5 points either way.
        (11.0, 6, [0.0, 10.0] * 3, briefs.UNCHANGED),
        (13.0, 6, [0.0, 10.0] * 3, briefs.IMPROVED),
        (-3.0, 6, [0.0, 10.0] * 3, briefs.DETERIORATED),
        # However far it moved, two events are too few to judge.
        (-20.0, 2, [2.0] * 6, briefs.TOO_FEW_EVENTS),
    ],
    ids=[
        "below-the-floor-deteriorated",
        "above-the-floor-improved",
        "within-the-floor-unchanged",
        "within-the-spread-unchanged",
        "beyond-the-spread-improved",
        "beyond-the-spread-deteriorated",
        "two-events-too-few",
    ],
)
def test_the_verdict_rule(net, events, previous, verdict):
    assert RULE.judge(net, events, previous)["verdict"] == verdict


def test_the_rule_reads_only_the_last_months_of_the_baseline():
    judged = RULE.judge(0.0, 3, [-50.0] * 4 + [0.0] * RULE.baseline_months)
    assert (judged["baseline"], judged["spread"], judged["verdict"]) == (0.0, 0.0, "unchanged")


def test_the_rule_is_written_in_words_with_its_numbers():
    text = RULE.describe()
    for number in (RULE.baseline_months, RULE.min_events):
        assert str(number) in text
    assert f"{RULE.spread_factor:g} times their standard deviation" in text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-13", "is not a month"),
        ("24-03", "is not a month"),
        ("March", "is not a month"),
        ("1899-12", "no brief before"),
        ("2999-01", "has not begun"),
    ],
    ids=["month-13", "short-year", "a-word", "before-1900", "in-the-future"],
)
def test_a_month_that_has_no_brief_is_refused_with_a_reason(value, message):
    with pytest.raises(briefs.BadMonth, match=message):
        briefs.parse_month(value, today=dt.date(2026, 12, 3))


def test_months_step_over_the_year():
    assert briefs.add_months(dt.date(2023, 12, 1), 1) == dt.date(2024, 1, 1)
    assert briefs.add_months(dt.date(2024, 1, 1), -13) == dt.date(2022, 12, 1)
    assert briefs.month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert briefs.latest_complete_month(dt.date(2024, 1, 15)) == dt.date(2023, 12, 1)


# --- a small world -------------------------------------------------------------------------


def scored(a, b, day, score, *, make=MeetingFactory, status=PUBLISHED, **fields):
    """A sourced event on ``day`` in which a does to b what ``score`` says."""
    event = make(date=day, status=status, **fields)
    ParticipantFactory(event=event, actor=a)
    ParticipantFactory(event=event, actor=b)
    InteractionFactory(event=event, source=a, target=b, score=score)
    SourceFactory(event=event)
    return event


@pytest.fixture
def world(db):
    """Russia and Hamas cooperate mildly every month, then fall out in March 2024; Iran and
    Syria warm up in March; Ukraine and Qatar meet once; Israel–Hamas is quiet."""
    actors = {
        "russia": ActorFactory(slug="russia", name="Russia", is_core=True),
        "israel": ActorFactory(slug="israel", name="Israel", is_core=True),
        "hamas": ActorFactory(
            slug="hamas", name="Hamas", kind=Actor.Kind.ARMED_GROUP, is_core=True
        ),
        "iran": ActorFactory(slug="iran", name="Iran"),
        "syria": ActorFactory(slug="syria", name="Syria"),
        "ukraine": ActorFactory(slug="ukraine", name="Ukraine"),
        "qatar": ActorFactory(slug="qatar", name="Qatar"),
        "lavrov": ActorFactory(slug="sergei-lavrov", name="Sergei Lavrov", kind="person"),
    }
    AffiliationFactory(actor=actors["lavrov"], parent=actors["russia"], role="Foreign Minister")
    russia, hamas = actors["russia"], actors["hamas"]
    for months_back in range(1, 7):
        day = briefs.add_months(MONTH, -months_back).replace(day=10)
        scored(russia, hamas, day, 2.0)
        scored(actors["iran"], actors["syria"], day, 1.0)
    events = {
        "strike": scored(hamas, russia, MONTH.replace(day=3), -9.0, title="Hamas strike"),
        "threat": scored(russia, hamas, MONTH.replace(day=9), -5.0, title="Russia threatens"),
        # Lavrov speaks for Russia: rolled up, his statement is Russia's.
        "lavrov": scored(
            actors["lavrov"],
            hamas,
            MONTH.replace(day=12),
            -1.0,
            make=StatementFactory,
            speaker=actors["lavrov"],
            title="Lavrov scolds Hamas",
        ),
        "claim": scored(
            hamas,
            russia,
            MONTH.replace(day=20),
            -2.0,
            make=AllegationFactory,
            claimant=hamas,
            accused=russia,
            evidence_status=Allegation.EvidenceStatus.DISPUTED,
            title="Hamas says Russia spied",
        ),
        "draft": scored(
            hamas,
            russia,
            MONTH.replace(day=25),
            -8.0,
            make=AllegationFactory,
            status=Event.Status.DRAFT,
            claimant=hamas,
            accused=russia,
            title="Unpublished claim of sabotage",
        ),
    }
    for day in (2, 5, 8):
        scored(actors["iran"], actors["syria"], MONTH.replace(day=day), 4.0, title=f"Pact {day}")
    scored(actors["ukraine"], actors["qatar"], MONTH.replace(day=15), 2.1)
    rebuild_dyad_days()
    return {**actors, **events}


def pair_names(pairs):
    return [(pair["a"]["slug"], pair["b"]["slug"]) for pair in pairs]


def pair_of(pairs, *slugs):
    return next(pair for pair in pairs if {pair["a"]["slug"], pair["b"]["slug"]} == set(slugs))


def test_the_core_triangle_comes_first_quiet_pairs_included(world):
    brief = briefs.monthly_brief(MONTH, dt.date(2026, 12, 3))

    triangle = {frozenset(pair) for pair in pair_names(brief["triangle"])}
    assert triangle == {
        frozenset(("russia", "hamas")),
        frozenset(("israel", "hamas")),
        frozenset(("russia", "israel")),
    }
    quiet = pair_of(brief["triangle"], "israel", "hamas")
    assert (quiet["events"], quiet["verdict"]) == (0, briefs.TOO_FEW_EVENTS)
    assert quiet["summary"] == "Israel–Hamas: no events this month."
    assert pair_names(brief["pairs"]) == [("iran", "syria")]


def test_a_pair_that_fell_out_has_deteriorated_with_the_events_that_drove_it(world):
    brief = briefs.monthly_brief(MONTH, dt.date(2026, 12, 3))
    pair = pair_of(brief["triangle"], "russia", "hamas")

    assert pair["verdict"] == briefs.DETERIORATED
    # Lavrov's statement counts for Russia; the draft counts for nothing.
    assert (pair["events"], pair["net"], pair["baseline"]) == (4, -17.0, 2.0)
    assert [event["title"] for event in pair["drivers"]] == [
        "Hamas strike",
        "Russia threatens",
        "Hamas says Russia spied",
    ]
    assert pair["drivers"][0]["contribution"] == -9.0
    assert pair["drivers"][0]["url"] == f"/events/{world['strike'].pk}/"
    assert [(a["title"], a["evidence_status"]) for a in pair["allegations"]] == [
        ("Hamas says Russia spied", "disputed")
    ]
    assert pair["summary"].startswith("Russia–Hamas deteriorated: net −17.0 from 4 events")
    assert "“Hamas strike” (−9.0)" in pair["summary"]
    months = [point["month"] for point in pair["sparkline"]]
    assert (months[0], months[-1], len(months)) == ("2023-04", "2024-03", 12)
    assert [point["net"] for point in pair["sparkline"][-7:]] == [2.0] * 6 + [-17.0]


def test_a_pair_that_warmed_has_improved_and_quiet_pairs_are_counted(world):
    brief = briefs.monthly_brief(MONTH, dt.date(2026, 12, 3))
    (pair,) = brief["pairs"]

    assert (pair["verdict"], pair["net"], pair["baseline"]) == (briefs.IMPROVED, 12.0, 1.0)
    assert [event["contribution"] for event in pair["drivers"]] == [4.0, 4.0, 4.0]
    # Ukraine–Qatar met once: active, too quiet to judge, counted and linked, not shown.
    assert brief["more_pairs"] == {"too_few_events": 1, "beyond_limit": 0}
    assert brief["events"] == 8


def test_an_unchanged_pair_says_so(world):
    for day in (4, 6, 7):
        scored(world["iran"], world["syria"], briefs.add_months(MONTH, 1).replace(day=day), 1.5)
    rebuild_dyad_days()

    brief = briefs.monthly_brief(briefs.add_months(MONTH, 1), dt.date(2026, 12, 3))

    (pair,) = brief["pairs"]
    # The usual level now includes March's +12: +4.5 is within the bar.
    assert (pair["verdict"], pair["net"]) == (briefs.UNCHANGED, 4.5)
    assert "Iran–Syria unchanged" in pair["summary"]


def test_the_brief_costs_the_same_queries_however_many_pairs(world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            briefs._compute_brief(MONTH)
        return len(captured.captured_queries)

    before = queries()
    for index in range(6):
        a = ActorFactory(slug=f"extra-a-{index}")
        b = ActorFactory(slug=f"extra-b-{index}")
        for day in (1, 2, 3):
            scored(a, b, MONTH.replace(day=day), -3.0)
    rebuild_dyad_days()

    assert len(briefs._compute_brief(MONTH)["pairs"]) == 7
    assert queries() == before


def test_the_brief_is_cached_until_the_events_change(world, committed):
    today = dt.date(2026, 12, 3)
    first = briefs.monthly_brief(MONTH, today)
    with CaptureQueriesContext(connection) as captured:
        again = briefs.monthly_brief(MONTH, today)
    assert again == first
    assert len(captured.captured_queries) <= 1  # the newest event id, nothing computed

    with committed():
        scored(world["israel"], world["hamas"], MONTH.replace(day=28), -9.3)
    changed = briefs.monthly_brief(MONTH, today)
    assert pair_of(changed["triangle"], "israel", "hamas")["events"] == 1


# --- the pages -----------------------------------------------------------------------------


def test_the_page_shows_the_rule_the_triangle_and_the_allegations(client, world):
    response = client.get("/brief/2024-03/")

    assert response.status_code == 200
    body = response.content.decode()
    assert RULE.describe().replace("'", "&#x27;") in body
    assert body.index("The core triangle") < body.index("Other pairs")
    assert body.index("Russia – Hamas") < body.index("Iran – Syria")
    assert f'href="/events/{world["strike"].pk}/"' in body
    assert body.count('<svg class="sparkline"') == 4
    assert "Hamas says Russia spied" in body and "badge-disputed" in body
    assert "A complete month" in body
    assert 'href="/brief/2024-02/"' in body and 'href="/brief/2024-04/"' in body
    assert "1 pair had fewer than 3 events" in body


def test_the_print_stylesheet_is_linked_and_hides_the_navigation(client, world):
    body = client.get("/brief/2024-03/").content.decode()
    assert re.search(r'<link rel="stylesheet" href="/static/css/brief\.css', body)

    css = (settings.BASE_DIR / "static" / "css" / "brief.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".site-header" in print_rules and "display: none" in print_rules
    assert ".brief-triangle { break-after: page;" in print_rules


def test_drafts_are_hidden_from_readers(analyst_client, world):
    # analyst_client is the client fixture logged in: an anonymous reader needs its own.
    for reader in (Client(), analyst_client):
        body = reader.get("/brief/2024-03/").content.decode()
        assert "Unpublished claim of sabotage" not in body
        assert "Drafts dated this month" not in body
        data = reader.get("/api/brief/2024-03/").json()
        assert "drafts" not in data
        assert "Unpublished claim of sabotage" not in str(data)


def test_drafts_are_shown_to_editors_apart_from_the_verdicts(editor_client, world):
    body = editor_client.get("/brief/2024-03/").content.decode()
    drafts = body[body.index("Drafts dated this month") :]
    assert "Unpublished claim of sabotage" in drafts
    assert f'href="/events/{world["draft"].pk}/"' in drafts

    data = editor_client.get("/api/brief/2024-03/").json()
    assert [draft["title"] for draft in data["drafts"]["listed"]] == [
        "Unpublished claim of sabotage"
    ]
    # The draft's −8 is not counted.
    assert pair_of(data["triangle"], "russia", "hamas")["net"] == -17.0


def test_a_month_without_events_says_so(client, world):
    body = client.get("/brief/2022-01/").content.decode()
    assert "No published events are dated in January 2022" in body
    assert "no events this month" in body


def test_the_latest_brief_is_the_last_complete_month(client, db):
    today = timezone.localdate()
    latest = briefs.latest_complete_month(today)

    body = client.get("/brief/").content.decode()

    assert f"Monthly brief · {latest:%B %Y}" in body
    assert "A complete month, the latest" in body
    assert 'rel="next"' in body  # on to the month so far
    current = client.get(f"/brief/{today:%Y-%m}/").content.decode()
    assert "This month so far, up to" in current
    assert 'rel="next"' not in current


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2024-13", "is not a month"),
        ("2024-3", "is not a month"),
        ("latest", "is not a month"),
        ("1899-12", "There is no brief before January 1900"),
        ("2999-01", "January 2999 has not begun"),
    ],
    ids=["month-13", "one-digit-month", "a-word", "before-1900", "in-the-future"],
)
def test_a_bad_month_is_a_404_with_a_reason(client, db, month, message):
    page = client.get(f"/brief/{month}/")
    assert page.status_code == 404
    assert message in page.content.decode()

    api = client.get(f"/api/brief/{month}/")
    assert api.status_code == 404
    assert message in api.json()["detail"]


# --- the API -------------------------------------------------------------------------------


def test_the_api_sends_the_pages_brief_in_the_documented_shape(client, world):
    data = client.get("/api/brief/2024-03/").json()

    assert BriefSerializer(data=data).is_valid(), BriefSerializer(data=data).errors
    assert set(data) == set(BriefSerializer().fields) - {"drafts"}
    assert data["month"] == "2024-03" and data["complete"] is True
    assert data["rule"]["min_events"] == RULE.min_events
    assert [p["verdict"] for p in data["pairs"]] == [briefs.IMPROVED]
    assert data["allegations_total"] == 1


def test_the_brief_is_in_the_api_schema(client, db):
    schema = client.get("/api/schema/").json()
    operation = schema["paths"]["/api/brief/{month}/"]["get"]

    assert operation["parameters"][0]["schema"]["pattern"] == r"^\d{4}-\d{2}$"
    assert set(operation["responses"]) == {"200", "403", "404"}
    brief = schema["components"]["schemas"]["Brief"]
    assert {"triangle", "pairs", "rule", "allegations", "complete"} <= set(brief["properties"])


# --- the monthly mail ----------------------------------------------------------------------


def test_the_mail_has_the_verdicts_and_absolute_links(world):
    subject, text, html = briefs.brief_email("2024-03", base_url="https://relwatch.example/")

    assert subject == "Relwatch brief, March 2024: 2 pairs moved"
    assert "https://relwatch.example/brief/2024-03/" in text
    assert "Russia – Hamas: DETERIORATED" in text
    assert f"−9.0  Hamas strike · https://relwatch.example/events/{world['strike'].pk}/" in text
    assert "[Disputed] Hamas accuses Russia: Hamas says Russia spied" in text
    assert RULE.describe() in text
    assert "Unpublished claim of sabotage" not in text + html
    assert f'href="https://relwatch.example/events/{world["strike"].pk}/"' in html
    assert "<svg" not in html  # mail clients drop SVG: the sparkline is text
    pair = pair_of(briefs.monthly_brief(MONTH, dt.date(2026, 12, 3))["triangle"], "russia", "hamas")
    assert briefs.sparkline_text(pair["sparkline"]) in html


def test_the_mail_for_a_quiet_month_says_so(db):
    subject, text, _ = briefs.brief_email(dt.date(2022, 1, 17))
    assert subject == "Relwatch brief, January 2022: no events"
    assert "No published events are dated in January 2022" in text


def test_a_required_login_covers_the_brief_and_its_api(analyst_client, db, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True
    anonymous = Client()

    page = anonymous.get("/brief/2024-03/")
    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")
    assert anonymous.get("/api/brief/2024-03/").status_code == 403
    assert analyst_client.get("/brief/2024-03/").status_code == 200
    assert analyst_client.get("/api/brief/2024-03/").status_code == 200


def test_pairs_beyond_the_limit_are_counted_not_shown(world, monkeypatch):
    for index in range(3):
        a, b = ActorFactory(slug=f"far-a-{index}"), ActorFactory(slug=f"far-b-{index}")
        for day in (1, 2, 3):
            scored(a, b, MONTH.replace(day=day), -1.0 - index)
    rebuild_dyad_days()
    monkeypatch.setattr(briefs, "MAX_PAIRS", 2)

    brief = briefs._compute_brief(MONTH)

    # Deteriorations first, the furthest first (−9, −6, −3), then improvements (Iran–Syria).
    assert pair_names(brief["pairs"]) == [("far-a-2", "far-b-2"), ("far-a-1", "far-b-1")]
    assert brief["more_pairs"] == {"too_few_events": 1, "beyond_limit": 2}


def test_the_overview_and_every_page_link_to_the_brief(client, world):
    overview = client.get("/").content.decode()
    assert 'href="/brief/">Monthly brief' in overview
    assert 'href="/brief/"' in client.get("/timeline/").content.decode()  # the navigation
