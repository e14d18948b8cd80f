"""Editors' triage of articles (ingest.triage) and the inbox and feed admins built on it."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest.models import Article, Feed
from ingest.triage import (
    dismiss_articles,
    draft_event,
    first_sentence,
    fit,
    link_article,
    next_article,
    source_from_article,
    strip_wire_lead,
)
from relations.categories import default_score
from relations.models import Actor, Event, Meeting, Statement
from tests import factories
from tests.relations.test_admin import formset

ARTICLES = "/admin/ingest/article/"
PUBLISHED = dt.datetime(2023, 10, 26, 14, 30, tzinfo=dt.UTC)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def article(db, russia, hamas):
    feed = factories.FeedFactory(title="Times of Example", language="en")
    article = factories.ArticleFactory(
        feed=feed,
        title="Hamas delegation visits Moscow",
        url="https://times.example/hamas-moscow",
        summary="A Hamas delegation met Mr. Bogdanov in Moscow on Thursday. Israel protested.",
        published_at=PUBLISHED,
        candidate_kind="meeting",
        relevance=4.0,
    )
    factories.MentionFactory(article=article, actor=russia, count=1)
    factories.MentionFactory(article=article, actor=hamas, count=3)
    return article


# --- plain functions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin spoke. Then Lavrov did.", "Putin spoke."),
        ("The U.S. envoy and Mr. Lavrov met. Later more.", "The U.S. envoy and Mr. Lavrov met."),
        ("Did Russia arm Hamas? Kyiv says so.", "Did Russia arm Hamas?"),
        ("Россия приняла делегацию ХАМАС. Израиль возмутился.", "Россия приняла делегацию ХАМАС."),
        ("  One sentence\nwithout an end  ", "One sentence without an end"),
        ("", ""),
    ],
)
def test_first_sentence_ends_at_the_first_full_stop_that_ends_a_sentence(text, expected):
    assert first_sentence(text) == expected


def test_first_sentence_is_cut_at_a_word_when_it_runs_on():
    quote = first_sentence("word " * 200, limit=50)
    assert len(quote) <= 51
    assert quote.endswith("word…")


def test_source_from_article_cites_the_article(article):
    source = source_from_article(article)

    assert source.pk is None
    assert source.url == "https://times.example/hamas-moscow"
    assert source.outlet == "Times of Example"
    assert source.title == "Hamas delegation visits Moscow"
    assert source.published_at == PUBLISHED
    assert source.quote == "A Hamas delegation met Mr. Bogdanov in Moscow on Thursday."
    assert source.language == "en"


def test_a_feed_without_a_title_is_named_by_its_site(db):
    feed = factories.FeedFactory(title="", url="https://www.meduza.example/rss/all")
    article = factories.ArticleFactory(feed=feed, summary="", title="Headline only")

    source = source_from_article(article)

    assert source.outlet == "meduza.example"
    assert source.quote == "Headline only"


def test_link_article_links_cites_once_and_records_who(article, editor):
    event = factories.MeetingFactory(title="Hamas in Moscow")

    first = link_article(article, event, editor)
    again = link_article(article, Event.objects.get(pk=event.pk), editor)

    article.refresh_from_db()
    assert article.event_id == event.pk
    assert article.review_status == Article.ReviewStatus.LINKED
    assert first is not None and again is None
    assert list(event.sources.values_list("url", flat=True)) == [article.url]
    latest = event.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == "Linked article “Hamas delegation visits Moscow”"


def test_dismiss_articles_leaves_linked_ones_alone(db):
    fresh = factories.ArticleFactory()
    linked = factories.ArticleFactory(
        event=factories.MeetingFactory(), review_status=Article.ReviewStatus.LINKED
    )

    assert dismiss_articles(Article.objects.all()) == 1

    fresh.refresh_from_db()
    linked.refresh_from_db()
    assert fresh.review_status == Article.ReviewStatus.DISMISSED
    assert linked.review_status == Article.ReviewStatus.LINKED


def test_draft_event_guesses_kind_participants_and_source(article, russia, hamas):
    draft = draft_event(article)

    assert draft.kind == "meeting"
    assert draft.initial["title"] == "Hamas delegation visits Moscow"
    assert draft.initial["date"] == dt.date(2023, 10, 26)
    assert draft.initial["category"] == "CONSULT"
    # Most mentioned first.
    assert [row["actor"] for row in draft.participants] == [hamas.pk, russia.pk]
    assert draft.sources[0]["url"] == article.url


def test_a_drafted_allegation_names_claimant_and_accused(article, russia, hamas):
    draft = draft_event(article, kind="allegation")

    assert draft.initial["claimant"] == hamas.pk
    assert draft.initial["accused"] == russia.pk
    assert draft.initial["category"] == "ACCUSE"
    assert draft.initial["claim"].startswith("A Hamas delegation met")
    assert [row["role"] for row in draft.participants] == ["claimant", "accused"]


def test_an_article_without_a_candidate_kind_drafts_a_statement_without_a_category(db):
    article = factories.ArticleFactory(
        candidate_kind="", title="Peskov speaks", summary="He spoke to reporters."
    )

    draft = draft_event(article)

    assert draft.kind == "statement"
    assert "category" not in draft.initial


@pytest.mark.parametrize(
    ("title", "summary", "category", "cue"),
    [
        ("Russia condemns Israeli strikes on Gaza", "", "ACCUSE", "condemns"),
        ("Moscow calls for an immediate ceasefire", "", "DEMAND", "calls for"),
        ("Hamas welcomes Russia's position", "", "SUPPORT", "welcomes"),
        ("Israel rejects Russian draft resolution", "", "REJECT", "rejects"),
        ("Iran warns Israel over Gaza", "", "THREATEN", "warns"),
        ("Zakharova on Kyiv", "The ministry accused Kyiv of lying.", "ACCUSE", "accused"),
        ("Россия осудила удар по Газе", "", "ACCUSE", "осудила"),
        ("إسرائيل ترفض القرار", "", "REJECT", "رفض"),
        ("ישראל דחתה את ההצעה", "הממשלה דחה", "REJECT", "דחתה"),
    ],
)
def test_a_drafted_statement_guesses_its_category_from_cue_words(
    db, russia, hamas, title, summary, category, cue
):
    article = factories.ArticleFactory(candidate_kind="", title=title, summary=summary)
    factories.MentionFactory(article=article, actor=russia, count=2)
    factories.MentionFactory(article=article, actor=hamas, count=1)

    draft = draft_event(article)

    assert draft.initial["category"] == category
    assert draft.category_cue.casefold() == cue
    # The speaker speaks to every other actor, at the category's default score.
    assert draft.interactions == [
        {"source": russia.pk, "target": hamas.pk, "score": default_score(category)}
    ]


def test_a_drafted_meeting_has_an_interaction_from_the_first_actor_to_each_other(
    article, russia, hamas, israel
):
    factories.MentionFactory(article=article, actor=israel, count=1)

    draft = draft_event(article)

    assert draft.interactions == [
        # Equally mentioned actors come by name.
        {"source": hamas.pk, "target": israel.pk, "score": 2.1},
        {"source": hamas.pk, "target": russia.pk, "score": 2.1},
    ]


def test_a_drafted_allegation_runs_from_the_claimant(article, russia, hamas):
    draft = draft_event(article, kind="allegation")

    assert draft.interactions == [{"source": hamas.pk, "target": russia.pk, "score": -2.0}]


# Leads met in ../shared/corpus/realworld/ (al_monitor, allafrica) and in wire copy.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BERLIN, Feb 17 (Reuters) - More than 80 actors", "More than 80 actors"),
        (
            "By Matt Spetalnick, Olivia Le Poidevin and Parisa Hafezi WASHINGTON/GENEVA/DUBAI, "
            "Feb 17 (Reuters) - Even for a U.S. president",
            "Even for a U.S. president",
        ),
        ("By Olivia Le Poidevin GENEVA, Feb 17 (Reuters) - An independent", "An independent"),
        ("By Jane Doe (Reuters) - Israel said", "Israel said"),
        ("MOSCOW, Oct 26 (AP) — Russia said", "Russia said"),
        ("JERUSALEM (Reuters) - Israel said", "Israel said"),
        ("Reuters - Israel said", "Israel said"),
        ("KYIV, Ukraine (AP) — Ukraine said", "Ukraine said"),
        ("GAZA — Strikes hit", "Strikes hit"),
        ("[Capital FM] Nairobi -- Aviation workers", "Aviation workers"),
        ("[Premium Times] A wedding ended", "A wedding ended"),
        ("[35Nord] At a critical juncture", "At a critical juncture"),
        ("МОСКВА, 26 окт — РИА Новости. Россия заявила", "Россия заявила"),
        ("МОСКВА, 26 октября. /ТАСС/. Россия заявила", "Россия заявила"),
        ("القدس (رويترز) - قال", "قال"),
        # Not leads: prose that starts with "By", a dash inside a sentence, a time in brackets.
        (
            "By reaching back to Maoist tactics, the leader",
            "By reaching back to Maoist tactics, the leader",
        ),
        (
            "Tehran says more work is needed - the US is silent",
            "Tehran says more work is needed - the US is silent",
        ),
        (
            "Iran closed the Strait of Hormuz — a vital route",
            "Iran closed the Strait of Hormuz — a vital route",
        ),
        ("US-Iran talks - day two", None),
        ("[15:15:56] r@ttler: hello", None),
    ],
)
def test_wire_bylines_and_datelines_are_stripped(text, expected):
    assert strip_wire_lead(text) == (text if expected is None else expected)


def test_the_prefilled_summary_and_quote_leave_the_wire_lead_out(db):
    article = factories.ArticleFactory(
        title="Hezbollah rejects plan",
        summary="By Laila Bassam and Tala Ramadan DUBAI, Feb 17 (Reuters) - Armed group Hezbollah "
        "rejected on Tuesday the plan. More later.",
    )

    draft = draft_event(article)

    assert draft.initial["summary"].startswith("Armed group Hezbollah rejected")
    assert draft.sources[0]["quote"] == "Armed group Hezbollah rejected on Tuesday the plan."


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("Hamas delegation visits Moscow", 20, "Hamas delegation…"),
        ("Hamas, delegation visits", 8, "Hamas…"),
        ("Supercalifragilistic", 8, "Superca…"),
    ],
)
def test_fit_cuts_at_a_word_with_an_ellipsis(text, limit, expected):
    assert fit(text, limit) == expected
    assert len(fit(text, limit)) <= limit


def test_linking_an_article_with_a_long_headline_keeps_its_history_reason_short(editor):
    article = factories.ArticleFactory(title="Long headline " * 70, feed__title="F" * 300)
    event = factories.StatementFactory()

    link_article(article, event, editor)

    reason = event.history.latest().history_change_reason
    assert reason.startswith("Linked article “Long headline") and reason.endswith("…")
    assert len(reason) <= 100
    source = event.sources.get()
    assert len(source.title) <= 500 and source.title.endswith("…")
    assert len(source.outlet) <= 200


def test_next_article_follows_the_inbox_order(db):
    low = factories.ArticleFactory(relevance=0.2)
    high = factories.ArticleFactory(relevance=0.9)
    factories.ArticleFactory(relevance=1.0, review_status=Article.ReviewStatus.DISMISSED)
    factories.ArticleFactory(relevance=1.0, event=factories.MeetingFactory())

    assert next_article() == high
    assert next_article(after=high) == low
    low.review_status = Article.ReviewStatus.LINKED
    low.save()
    assert next_article(after=high) is None


# --- the inbox admin ----------------------------------------------------------------------------


def test_the_inbox_lists_actors_and_filters_by_relevance_actor_and_duplicates(
    editor_client, article, israel
):
    other = factories.ArticleFactory(title="Israel recalls ambassador", relevance=0.5)
    factories.MentionFactory(article=other, actor=israel)
    factories.ArticleFactory(title="Same story elsewhere", duplicate_of=other, relevance=0)

    listing = editor_client.get(ARTICLES)
    assert listing.status_code == 200
    assert "Hamas, Russia" in listing.content.decode()

    def titles(**params) -> list[str]:
        response = editor_client.get(ARTICLES, params)
        assert response.status_code == 200
        return sorted(a.title for a in response.context["cl"].result_list)

    assert titles(relevance="high") == ["Hamas delegation visits Moscow"]
    assert titles(relevance="medium") == ["Israel recalls ambassador"]
    assert titles(actor="israel") == ["Israel recalls ambassador"]
    assert titles(duplicate="yes") == ["Same story elsewhere"]
    assert titles(candidate_kind__exact="meeting") == ["Hamas delegation visits Moscow"]
    assert titles(q="ambassador") == ["Israel recalls ambassador"]


def test_the_inbox_costs_the_same_queries_for_more_articles(editor_client, russia, hamas):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(ARTICLES).status_code == 200
        return len(queries)

    def add_articles(count: int) -> None:
        for _ in range(count):
            article = factories.ArticleFactory(event=factories.MeetingFactory())
            factories.MentionFactory(article=article, actor=russia)
            factories.MentionFactory(article=article, actor=hamas)

    add_articles(2)
    few = list_queries()
    add_articles(6)
    assert list_queries() == few


def test_the_dismiss_action_dismisses_the_selected_articles(editor_client, article):
    keep = factories.ArticleFactory()

    response = editor_client.post(ARTICLES, {"action": "dismiss", "_selected_action": [article.pk]})

    assert response.status_code == 302
    article.refresh_from_db()
    keep.refresh_from_db()
    assert article.review_status == Article.ReviewStatus.DISMISSED
    assert keep.review_status == Article.ReviewStatus.NEW


def test_the_link_action_asks_for_an_event_then_links_and_cites(editor_client, article):
    event = factories.MeetingFactory(title="Hamas delegation in Moscow")
    second = factories.ArticleFactory(title="Another report", url="https://other.example/x")

    picker = editor_client.post(
        ARTICLES, {"action": "link_to_event", "_selected_action": [article.pk, second.pk]}
    )
    assert picker.status_code == 200
    page = picker.content.decode()
    assert "Link articles to an existing event" in page
    assert "admin/js/autocomplete.js" in page
    assert "Hamas delegation visits Moscow" in page

    response = editor_client.post(
        ARTICLES,
        {
            "action": "link_to_event",
            "_selected_action": [article.pk, second.pk],
            "apply": "Link articles",
            "event": event.pk,
        },
    )

    assert response.status_code == 302
    assert set(event.articles.values_list("pk", flat=True)) == {article.pk, second.pk}
    assert sorted(event.sources.values_list("url", flat=True)) == sorted([article.url, second.url])
    assert any("added 2 source(s)" in message for message in messages_of(response))


def test_the_link_action_with_an_unknown_event_says_so(editor_client, article):
    response = editor_client.post(
        ARTICLES,
        {
            "action": "link_to_event",
            "_selected_action": [article.pk],
            "apply": "Link articles",
            "event": "999999",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    article.refresh_from_db()
    assert article.event is None


def test_the_create_action_opens_the_add_form_of_the_candidate_kind(editor_client, article):
    response = editor_client.post(
        ARTICLES, {"action": "create_event_from_article", "_selected_action": [article.pk]}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/relations/meeting/add/?from_article={article.pk}"


def test_the_create_form_is_prefilled_from_the_article(editor_client, article):
    response = editor_client.get(f"/admin/relations/meeting/add/?from_article={article.pk}")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["title"] == "Hamas delegation visits Moscow"
    assert form.initial["category"] == "CONSULT"
    participants = response.context["inline_admin_formsets"][0].formset
    assert [f.initial["actor"] for f in participants.forms] == [
        a.pk for a in Actor.objects.filter(slug__in=["hamas", "russia"]).order_by("name")
    ]
    page = response.content.decode()
    assert 'value="Hamas delegation visits Moscow"' in page
    # The autocomplete widgets render the chosen actors by name.
    assert ">Hamas</option>" in page
    assert ">Russia</option>" in page
    assert 'value="https://times.example/hamas-moscow"' in page
    assert 'value="Times of Example"' in page


def test_saving_the_prefilled_form_links_the_article_without_a_second_source(
    editor_client, article, russia, hamas
):
    data = {
        "title": "Hamas delegation in Moscow",
        "summary": "",
        "date": "2023-10-26",
        "date_precision": "day",
        "location": "Moscow",
        "category": "CONSULT",
        "status": "draft",
        "note": "",
        "format": "hosted",
        "city": "Moscow",
        "purpose": "",
        "outcome": "",
        "_save": "Save",
        **formset(
            "participants",
            [{"actor": hamas.pk, "role": "guest"}, {"actor": russia.pk, "role": "host"}],
        ),
        **formset("interactions", []),
        **formset(
            "sources",
            [
                {
                    "url": article.url,
                    "outlet": "Times of Example",
                    "title": article.title,
                    "published_at_0": "2023-10-26",
                    "published_at_1": "14:30:00",
                    "quote": "A Hamas delegation met Mr. Bogdanov in Moscow on Thursday.",
                    "language": "en",
                }
            ],
        ),
        **formset("articles", []),
    }

    response = editor_client.post(f"/admin/relations/meeting/add/?from_article={article.pk}", data)

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    article.refresh_from_db()
    assert article.event_id == meeting.pk
    assert article.review_status == Article.ReviewStatus.LINKED
    assert meeting.sources.count() == 1


def test_an_event_lists_its_articles_and_an_article_its_event(editor_client, article):
    statement = factories.StatementFactory(title="Russia defends the visit")
    link_article(article, statement)

    event_page = editor_client.get(f"/admin/relations/statement/{statement.pk}/change/")
    assert event_page.status_code == 200
    assert "Linked articles" in event_page.content.decode()
    assert "Hamas delegation visits Moscow" in event_page.content.decode()

    article_page = editor_client.get(f"/admin/ingest/article/{article.pk}/change/")
    assert article_page.status_code == 200
    assert f"/admin/relations/statement/{statement.pk}/change/" in article_page.content.decode()


def test_choosing_an_event_on_the_article_form_links_it(editor_client, article):
    statement = factories.StatementFactory()

    response = editor_client.post(
        f"/admin/ingest/article/{article.pk}/change/",
        {"review_status": "new", "event": statement.pk, **formset("mentions", [], initial=0)},
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.review_status == Article.ReviewStatus.LINKED
    assert Statement.objects.get().sources.get().url == article.url


def test_an_analyst_cannot_triage(analyst_client, article):
    response = analyst_client.post(
        ARTICLES, {"action": "dismiss", "_selected_action": [article.pk]}
    )
    article.refresh_from_db()
    assert article.review_status == Article.ReviewStatus.NEW
    assert response.status_code in (200, 302)
    listing = analyst_client.get(ARTICLES)
    assert b'value="dismiss"' not in listing.content


# --- the feed admin -----------------------------------------------------------------------------


def feed_post(url: str) -> dict:
    return {
        "url": url,
        "title": "A feed",
        "site_url": "",
        "language": "en",
        "active": "on",
        "poll_interval": "00:30:00",
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/feed.xml", "a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "refusing to fetch"),
        ("ftp://ftp.example/feed.xml", "only http:// and https://"),
    ],
)
def test_the_feed_admin_refuses_unsafe_urls_on_the_field(editor_client, url, message):
    response = editor_client.post("/admin/ingest/feed/add/", feed_post(url))

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["url"]
    assert message in error
    assert not Feed.objects.exists()


def test_the_feed_admin_accepts_a_private_feed_when_allowed(editor_client, settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True

    response = editor_client.post("/admin/ingest/feed/add/", feed_post("http://127.0.0.1:8000/x"))

    assert response.status_code == 302
    assert Feed.objects.get().url == "http://127.0.0.1:8000/x"


def test_feed_actions_check_now_disable_and_enable(editor_client):
    later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    feed = factories.FeedFactory(next_check_at=later, status="failing", consecutive_failures=4)

    editor_client.post(
        "/admin/ingest/feed/", {"action": "check_now", "_selected_action": [feed.pk]}
    )
    feed.refresh_from_db()
    assert feed.next_check_at < later

    editor_client.post("/admin/ingest/feed/", {"action": "disable", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert (feed.active, feed.status) == (False, "disabled")

    editor_client.post("/admin/ingest/feed/", {"action": "enable", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert (feed.active, feed.status, feed.consecutive_failures) == (True, "ok", 0)


def test_the_fetch_log_is_read_only(editor_client):
    log = factories.FetchLogFactory()

    assert editor_client.get("/admin/ingest/fetchlog/").status_code == 200
    assert editor_client.get("/admin/ingest/fetchlog/add/").status_code == 403
    page = editor_client.get(f"/admin/ingest/fetchlog/{log.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
