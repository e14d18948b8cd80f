"""No stored string is rendered unescaped.

Every text field that reaches a page holds markup (a script, an image with an onerror
handler, both quote characters), each tagged with the field it sits in. Every page, the API,
the CSV export, the Atom feed and the admin pages that show those rows are fetched, and:

- no HTML response carries the markup as markup (``<script>alert``, ``<img src=x``), nor a
  ``javascript:`` link;
- the figures embedded with ``json_script`` escape ``<`` and hold no markup in their labels
  (plotly renders some HTML in hover and tick labels);
- JSON is served as JSON (with ``nosniff``), the CSV as an attachment, and the Atom feed's
  HTML parts hold text, not markup;
- every tagged field showed up in at least one response, so the walk really covered it.

A grep keeps it so: no ``|safe``, ``mark_safe``, ``autoescape off`` or ``SafeString`` in the
templates or the apps, outside a vetted allow-list.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from ingest.models import Feed
from relations.analytics import rebuild_dyad_days
from relations.models import Actor, Allegation, Event
from relations.search import refresh_search_vectors
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    AliasFactory,
    AllegationFactory,
    ArticleFactory,
    FeedFactory,
    FetchLogFactory,
    InteractionFactory,
    MeetingFactory,
    MentionFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = Event.Status.PUBLISHED
UNESCAPED = re.compile(r"<script>alert|<img\s+src=x", re.IGNORECASE)
JAVASCRIPT_LINK = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
JSON_SCRIPT = re.compile(r'<script id="[^"]*" type="application/json">(.*?)</script>', re.DOTALL)
# Marking a string safe is vetted case by case: (path, line) pairs, each with the reason.
SAFE_MARKING_ALLOWED: dict[tuple[str, str], str] = {
    # Plain-text mails (text/plain parts): HTML escaping would put "&amp;" into what people read.
    # Their HTML parts autoescape as every page does.
    (
        "templates/alerts/brief_email.txt",
        "{% autoescape off %}{% load dashboard_format %}Relwatch monthly brief · "
        '{{ month_start|date:"F Y" }}{% if not brief.complete %} (the month so far){% endif %}',
    ): "plain-text mail",
    ("templates/alerts/email/notifications.txt", "{% autoescape off %}{{ watchlist.name }}"): (
        "plain-text mail"
    ),
    # A figure's JSON goes inside <script type="application/json">, where HTML entities are not
    # decoded: it is escaped as json_script escapes it ('<', '>', '&' as \\u escapes), which
    # test_every_page_shows_stored_markup_as_text checks on every page.
    ("dashboard/figures.py", "from django.utils.safestring import mark_safe"): "figure JSON",
    (
        "dashboard/figures.py",
        "return mark_safe(encoded)  # safe: every '<', '>' and '&' in it is escaped",
    ): "figure JSON",
    # What an autoescaping Jinja2 environment rendered, so that Django does not escape it twice.
    (
        "dashboard/rows.py",
        'return Markup(engines["jinja2"].get_template(name).render(context))',
    ): "Jinja2 output",
}
SAFE_MARKING = re.compile(
    r"\|\s*safe\b|mark_safe|SafeString|Markup\(|autoescape\s+(off|false)|\|\s*safeseq\b"
)


def payload(tag: str) -> str:
    return f'<script>alert("{tag}")</script><img src=x onerror=alert(1)>"\''


class Markup:
    """Builds rows whose every displayed text field holds tagged markup; remembers the tags."""

    def __init__(self) -> None:
        self.tags: list[str] = []

    def __call__(self, tag: str) -> str:
        self.tags.append(tag)
        return payload(tag)


@pytest.fixture
def marked(db):
    m = Markup()
    russia = ActorFactory(
        slug="russia",
        name=m("actor_name"),
        kind=Actor.Kind.STATE,
        is_core=True,
        title=m("actor_title"),
        description=m("actor_description"),
    )
    hamas = ActorFactory(slug="hamas", name=m("other_actor_name"), is_core=True)
    israel = ActorFactory(slug="israel", name="Israel", is_core=True)
    person = ActorFactory(slug="speaker", name=m("person_name"), kind=Actor.Kind.PERSON)
    AliasFactory(actor=russia, text=m("alias_text"))
    AffiliationFactory(actor=person, parent=russia, role=m("affiliation_role"))

    meeting = MeetingFactory(
        title=m("meeting_title"),
        summary=m("meeting_summary"),
        location=m("meeting_location"),
        note=m("meeting_note"),
        city=m("meeting_city"),
        purpose=m("meeting_purpose"),
        outcome=m("meeting_outcome"),
        date=dt.date(2023, 10, 26),
        status=PUBLISHED,
    )
    statement = StatementFactory(
        title=m("statement_title"),
        summary=m("statement_summary"),
        quote=m("statement_quote"),
        speaker=person,
        responding_to=meeting,
        date=dt.date(2023, 10, 27),
        status=PUBLISHED,
    )
    allegation = AllegationFactory(
        title=m("allegation_title"),
        claim=m("allegation_claim"),
        evidence_note=m("allegation_evidence_note"),
        claimant=israel,
        accused=russia,
        evidence_status=Allegation.EvidenceStatus.DISPUTED,
        date=dt.date(2023, 11, 1),
        status=PUBLISHED,
    )
    allegation.responses.add(statement)
    for event, (a, b) in (
        (meeting, (russia, hamas)),
        (statement, (person, hamas)),
        (allegation, (israel, russia)),
    ):
        ParticipantFactory(event=event, actor=a)
        ParticipantFactory(event=event, actor=b)
        InteractionFactory(event=event, source=a, target=b)
        InteractionFactory(event=event, source=b, target=a)
    SourceFactory(
        event=meeting,
        outlet=m("source_outlet"),
        title=m("source_title"),
        quote=m("source_quote"),
        url="https://news.example.com/?" + m("source_url"),
    )
    SourceFactory(event=statement, url='javascript:alert("source_js")', title="Script link")

    feed = FeedFactory(
        title=m("feed_title"),
        last_error=m("feed_last_error"),
        status=Feed.Status.FAILING,
        site_url="https://site.example.com/?" + m("feed_site_url"),
    )
    FetchLogFactory(feed=feed, error=m("fetchlog_error"))
    article = ArticleFactory(
        feed=feed,
        title=m("article_title"),
        summary=m("article_summary"),
        author=m("article_author"),
        url="https://news.example.com/a?" + m("article_url"),
        event=meeting,
        relevance=2.0,
    )
    MentionFactory(article=article, actor=russia, alias=m("mention_alias"))
    ArticleFactory(feed=feed, title="Script article", url='javascript:alert("article_js")')
    rebuild_dyad_days()
    refresh_search_vectors()
    return {
        "tags": m.tags,
        "events": [meeting, statement, allegation],
        "actors": [russia, hamas, person],
        "feed": feed,
        "article": article,
    }


def page_urls(marked) -> list[str]:
    events = marked["events"]
    urls = [
        "/",
        "/timeline/",
        "/timeline/?lanes=actor",
        "/timeline/?actor=russia&actor=speaker",
        "/relations/",
        "/relations/?rollup=0",
        "/relations/russia/hamas/",
        "/relations/speaker/hamas/?rollup=0",
        "/actors/",
        "/articles/",
        f"/articles/?feed={marked['feed'].pk}",
        "/feeds/",
    ]
    urls += [f"/actors/{actor.slug}/" for actor in marked["actors"]]
    urls += [f"/events/{event.pk}/" for event in events]
    # Reflected input: a refused filter echoes what it was given.
    urls += [
        "/timeline/?since=" + payload("query_since"),
        "/timeline/?q=" + payload("query_q"),
        "/actors/?q=" + payload("query_actor_q"),
        "/relations/?until=" + payload("query_until"),
    ]
    return urls


def api_urls(marked) -> list[str]:
    urls = [
        "/api/actors/",
        "/api/events/",
        "/api/articles/",
        "/api/feeds/",
        "/api/dyads/?a=russia&b=hamas",
        "/api/graph/",
        f"/api/articles/{marked['article'].pk}/",
        f"/api/feeds/{marked['feed'].pk}/",
    ]
    urls += [f"/api/actors/{actor.slug}/" for actor in marked["actors"]]
    urls += [f"/api/events/{event.pk}/" for event in marked["events"]]
    return urls


def admin_urls(marked) -> list[str]:
    urls = []
    for info in (
        "relations_actor",
        "relations_alias",
        "relations_affiliation",
        "relations_event",
        "relations_meeting",
        "relations_statement",
        "relations_allegation",
        "ingest_feed",
        "ingest_fetchlog",
        "ingest_article",
    ):
        urls.append(reverse(f"admin:{info}_changelist"))
    meeting, statement, allegation = marked["events"]
    for info, obj in (
        ("relations_actor", marked["actors"][0]),
        ("relations_meeting", meeting),
        ("relations_statement", statement),
        ("relations_allegation", allegation),
        ("ingest_feed", marked["feed"]),
        ("ingest_article", marked["article"]),
    ):
        urls.append(reverse(f"admin:{info}_change", args=[obj.pk]))
        urls.append(reverse(f"admin:{info}_history", args=[obj.pk]))
    return urls


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def assert_html_escaped(url: str, body: str) -> None:
    found = UNESCAPED.search(body)
    assert not found, f"{url}: unescaped markup {body[found.start() - 80 : found.end() + 80]!r}"
    link = JAVASCRIPT_LINK.search(body)
    assert not link, f"{url}: a javascript: link {body[link.start() : link.end() + 40]!r}"
    for embedded in JSON_SCRIPT.findall(body):
        assert "<" not in embedded, f"{url}: json_script left a '<'"
        for text in _strings(json.loads(embedded)):
            assert not UNESCAPED.search(text), f"{url}: markup in a figure label: {text!r}"


def test_every_page_shows_stored_markup_as_text(client, marked):
    seen = ""
    for url in page_urls(marked):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        assert response["Content-Type"].startswith("text/html"), url
        body = response.content.decode()
        assert_html_escaped(url, body)
        seen += body
    reached = {tag for tag in marked["tags"] if tag in seen}
    # Fields the admin alone shows (the fetch log's error, the article's author, the alias a
    # mention matched) are checked by the admin test below.
    admin_only = {"fetchlog_error", "article_author", "mention_alias"}
    assert set(marked["tags"]) - admin_only <= reached
    for tag in ("query_since", "query_q", "query_actor_q", "query_until"):
        assert tag in seen, f"the page did not echo the refused {tag}"


def test_admin_pages_show_stored_markup_as_text(admin_client, marked):
    seen = ""
    for url in admin_urls(marked):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_html_escaped(url, body)
        seen += body
    assert {"fetchlog_error", "article_author", "mention_alias", "meeting_title"} <= {
        tag for tag in marked["tags"] if tag in seen
    }


def test_the_api_serves_stored_markup_as_json_data(client, marked):
    seen = ""
    for url in api_urls(marked):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/json", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        seen += json.dumps(response.json())
    for tag in ("actor_name", "meeting_title", "source_quote", "feed_last_error", "article_title"):
        assert tag in seen


def test_the_csv_export_is_an_attachment(client, marked):
    response = client.get("/export/events.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "meeting_title" in b"".join(response.streaming_content).decode()


ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("query", ["", "?actor=russia", "?a=russia&b=hamas"])
def test_the_atom_feed_carries_stored_markup_as_text(client, marked, query):
    response = client.get("/events.atom" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    texts = []
    for element in feed.iter():
        if element.get("type") == "html":
            # A reader parses this as HTML: after the XML layer it must still be text.
            assert not UNESCAPED.search(element.text or ""), element.text
        texts.append(element.text or "")
    assert "meeting_title" in " ".join(texts)
    assert "actor_name" in (feed.findtext(f"{ATOM}title") or "") or not query


TEXT_SUFFIXES = (".html", ".jinja", ".py", ".txt", ".xml")


def test_no_template_or_app_marks_a_string_safe():
    """Autoescaping is the only defence the templates need; nothing opts out of it."""
    found = []
    for folder in ("templates", "dashboard", "ingest", "relations", "relwatch", "coding", "alerts"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in TEXT_SUFFIXES or "migrations" in path.parts:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if SAFE_MARKING.search(line):
                    key = (str(path.relative_to(ROOT)), line.strip())
                    if key not in SAFE_MARKING_ALLOWED:
                        found.append(f"{key[0]}: {key[1]}")
    assert not found, "strings marked safe:\n" + "\n".join(found)
