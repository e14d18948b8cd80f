"""The editors' inbox in the admin and on /articles/: it opens on new articles, most relevant
first; relevance is bucketed on its real 0-1 scale; each row dismisses in one click and the
message undoes exactly that dismissal; the article page keeps internals folded away; adding a
feed asks only what an editor knows."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.test import Client

from ingest.admin import UNDO_DISMISS_SALT
from ingest.matching import ActorMatch, classify
from ingest.models import Article, Feed
from ingest.relevance import HIGH, MEDIUM, RELEVANCE_BUCKETS, relevance_bucket
from tests import factories

pytestmark = pytest.mark.django_db

ARTICLES = "/admin/ingest/article/"
NEW, LINKED, DISMISSED = (
    Article.ReviewStatus.NEW,
    Article.ReviewStatus.LINKED,
    Article.ReviewStatus.DISMISSED,
)
DAY = dt.datetime(2023, 10, 26, 12, 0, tzinfo=dt.UTC)


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [article.title for article in response.context["cl"].result_list]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def undo_token(message: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', message)
    assert match, message
    return unescape(match.group(1))


def status_of(article) -> str:
    article.refresh_from_db()
    return article.review_status


@pytest.fixture
def inbox(db):
    """Three new articles of different relevance and age, one dismissed, one linked."""
    return {
        "middling": factories.ArticleFactory(title="Middling", relevance=0.4, published_at=DAY),
        "top": factories.ArticleFactory(
            title="Top", relevance=0.9, published_at=DAY - dt.timedelta(days=3)
        ),
        "low": factories.ArticleFactory(
            title="Low", relevance=0.26, published_at=DAY + dt.timedelta(days=1)
        ),
        "dismissed": factories.ArticleFactory(
            title="Dismissed before",
            relevance=0.95,
            review_status=DISMISSED,
            published_at=DAY - dt.timedelta(days=10),
        ),
        "linked": factories.ArticleFactory(
            title="Linked",
            relevance=0.99,
            review_status=LINKED,
            event=factories.MeetingFactory(),
            published_at=DAY - dt.timedelta(days=20),
        ),
    }


# --- what the inbox opens on ------------------------------------------------------------------


def test_the_admin_inbox_opens_on_new_articles_most_relevant_first(editor_client, inbox):
    assert listed(editor_client.get(ARTICLES)) == ["Top", "Middling", "Low"]


def test_the_admin_inbox_still_offers_every_status_and_other_orders(editor_client, inbox):
    everything = listed(editor_client.get(ARTICLES, {"review_status__exact": "all"}))
    assert everything == ["Linked", "Dismissed before", "Top", "Middling", "Low"]
    assert listed(editor_client.get(ARTICLES, {"review_status__exact": "dismissed"})) == [
        "Dismissed before"
    ]
    # Sorted by the first column (published), newest first.
    assert listed(editor_client.get(ARTICLES, {"o": "-1"}))[:3] == ["Low", "Middling", "Top"]
    page = editor_client.get(ARTICLES).content.decode()
    assert 'href="?review_status__exact=all"' in page


def test_an_unknown_review_status_is_refused_not_ignored(editor_client, inbox):
    response = editor_client.get(ARTICLES, {"review_status__exact": "maybe"})
    # The admin's answer to a bad lookup: back to the list with ?e=1.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


# --- relevance buckets --------------------------------------------------------------------------


def relevance_of(*actors: tuple[bool, int], text: str = "") -> float:
    """classify()'s relevance for actors given as (is core, times mentioned)."""
    mentions = {n: ActorMatch(count, "alias") for n, (_, count) in enumerate(actors)}
    core = {n for n, (is_core, _) in enumerate(actors) if is_core}
    return classify(text, mentions, core_actor_ids=core)[0]


def test_the_buckets_follow_what_the_matcher_scores():
    assert relevance_bucket(relevance_of()) == "none"
    # One passing mention of a minor actor: low; of a core one, or a minor one twice: medium.
    assert relevance_bucket(relevance_of((False, 1))) == "low"
    assert relevance_bucket(relevance_of((True, 1))) == "medium"
    assert relevance_bucket(relevance_of((False, 2))) == "medium"
    # Two actors, a relation, is what events are made of: high.
    assert relevance_bucket(relevance_of((True, 1), (False, 1))) == "high"
    assert relevance_bucket(relevance_of((True, 1), (True, 1), text="they met")) == "high"
    # Two minor actors named once each sit just under the edge, in the gap before 0.68.
    assert MEDIUM < relevance_of((False, 1), (False, 1)) < HIGH
    # The old buckets (high from 3) could never be reached on this scale.
    assert relevance_of((True, 50), (True, 50), (True, 50), text="accused") <= 1


def test_the_admin_relevance_filter_uses_the_buckets(editor_client, inbox):
    def titles(bucket: str) -> list[str]:
        return listed(editor_client.get(ARTICLES, {"relevance": bucket}))

    assert titles("high") == ["Top"]
    assert titles("medium") == ["Middling"]
    assert titles("low") == ["Low"]
    assert titles("none") == []
    page = editor_client.get(ARTICLES).content.decode()
    for label, _ in RELEVANCE_BUCKETS.values():
        assert label in unescape(page)


def test_relevance_and_candidate_kind_are_explained_where_shown(editor_client, db):
    article = factories.ArticleFactory(relevance=0.9, candidate_kind="meeting")
    page = unescape(editor_client.get(ARTICLES).content.decode())
    assert '<p class="inbox-legend">Relevance, from 0 to 1' in page
    assert "Candidate kind: the event the cue words suggest" in page
    assert re.search(r'<span class="relevance relevance-high" title="Relevance[^"]+">0.90', page)
    assert re.search(r'<abbr title="Candidate kind: [^"]+">Meeting\?</abbr>', page)
    change = unescape(editor_client.get(f"{ARTICLES}{article.pk}/change/").content.decode())
    assert "Relevance, from 0 to 1" in change


# --- one-click create-event and dismiss ---------------------------------------------------------


def test_each_new_row_has_create_event_and_dismiss_and_a_dismissed_one_restore(
    editor_client, inbox
):
    top = inbox["top"]
    page = editor_client.get(ARTICLES).content.decode()
    assert f'href="/admin/relations/statement/add/?from_article={top.pk}">Create statement' in page
    assert f'formaction="/admin/ingest/article/{top.pk}/dismiss/">Dismiss</button>' in page
    # The rows' buttons send the list's own address back as next.
    assert '<input type="hidden" name="next" value="/admin/ingest/article/">' in page
    dismissed = editor_client.get(ARTICLES, {"review_status__exact": "dismissed"})
    restore = f'formaction="/admin/ingest/article/{inbox["dismissed"].pk}/restore/">Restore'
    assert restore in dismissed.content.decode()


def test_the_candidate_kind_chooses_the_form_create_event_opens(editor_client, db):
    article = factories.ArticleFactory(candidate_kind="allegation")
    page = editor_client.get(ARTICLES).content.decode()
    assert f'href="/admin/relations/allegation/add/?from_article={article.pk}"' in page


def test_analysts_see_the_inbox_without_triage_buttons(analyst_client, inbox):
    page = analyst_client.get(ARTICLES, {"review_status__exact": "all"}).content.decode()
    assert "Top" in page
    assert "/dismiss/" not in page and "/restore/" not in page
    assert "from_article=" not in page


def test_a_row_dismisses_in_one_post_and_returns_to_the_list(editor_client, inbox):
    top = inbox["top"]
    back = "/admin/ingest/article/?relevance=high"
    response = editor_client.post(f"{ARTICLES}{top.pk}/dismiss/", {"next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    assert status_of(top) == DISMISSED
    [message] = messages_of(response)
    assert message.startswith("Dismissed “Top”.")
    assert '<button type="submit" class="button">Undo</button>' in message


def test_dismissing_returns_only_to_this_site(editor_client, inbox):
    response = editor_client.post(
        f"{ARTICLES}{inbox['top'].pk}/dismiss/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == ARTICLES


def test_dismiss_restore_and_undo_need_post(editor_client, inbox):
    top = inbox["top"]
    for url in (
        f"{ARTICLES}{top.pk}/dismiss/",
        f"{ARTICLES}{top.pk}/restore/",
        ARTICLES + "undo-dismiss/",
    ):
        assert editor_client.get(url).status_code == 405
    assert status_of(top) == NEW


def test_dismiss_and_undo_need_the_csrf_token(editor, inbox):
    top = inbox["top"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert browser.post(f"{ARTICLES}{top.pk}/dismiss/").status_code == 403
    assert status_of(top) == NEW

    page = browser.get(ARTICLES).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(f"{ARTICLES}{top.pk}/dismiss/", {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert status_of(top) == DISMISSED

    # The Undo form in the message carries its own token.
    message = browser.get(ARTICLES).content.decode()
    form = re.search(r'<form class="undo-form".*?</form>', message, re.S).group(0)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert browser.post(ARTICLES + "undo-dismiss/", {"token": fields["token"]}).status_code == 403
    assert status_of(top) == DISMISSED
    assert browser.post(ARTICLES + "undo-dismiss/", fields).status_code == 302
    assert status_of(top) == NEW


def test_analysts_can_neither_dismiss_nor_restore_nor_undo(analyst_client, inbox):
    top, dismissed = inbox["top"], inbox["dismissed"]
    assert analyst_client.post(f"{ARTICLES}{top.pk}/dismiss/").status_code == 403
    assert analyst_client.post(f"{ARTICLES}{dismissed.pk}/restore/").status_code == 403
    token = signing.dumps([dismissed.pk], salt=UNDO_DISMISS_SALT, compress=True)
    assert analyst_client.post(ARTICLES + "undo-dismiss/", {"token": token}).status_code == 403
    assert (status_of(top), status_of(dismissed)) == (NEW, DISMISSED)


def test_undo_restores_only_what_that_dismissal_changed(editor_client, inbox):
    chosen = [inbox[name].pk for name in ("top", "middling", "dismissed", "linked")]
    # The form posts to the list's own address, so an action sees what the list shows.
    response = editor_client.post(
        ARTICLES + "?review_status__exact=all", {"action": "dismiss", "_selected_action": chosen}
    )
    dismissal, warning = messages_of(response)
    assert dismissal.startswith("Dismissed 2 article(s).")
    assert warning == "1 article(s) already linked to an event were left as they are."
    assert [status_of(inbox[name]) for name in ("top", "middling", "linked")] == [
        DISMISSED,
        DISMISSED,
        LINKED,
    ]
    # A later, separate dismissal is not part of this one's undo.
    editor_client.post(f"{ARTICLES}{inbox['low'].pk}/dismiss/")

    response = editor_client.post(ARTICLES + "undo-dismiss/", {"token": undo_token(dismissal)})

    assert response.status_code == 302
    # (Messages not yet shown pile up: the test follows no redirect.)
    assert messages_of(response)[-1] == "Restored 2 article(s) to the inbox."
    assert status_of(inbox["top"]) == status_of(inbox["middling"]) == NEW
    assert status_of(inbox["dismissed"]) == DISMISSED  # dismissed before: stays dismissed
    assert status_of(inbox["low"]) == DISMISSED
    assert status_of(inbox["linked"]) == LINKED


def test_an_undo_leaves_an_article_linked_since_then_alone(editor_client, inbox):
    top = inbox["top"]
    response = editor_client.post(f"{ARTICLES}{top.pk}/dismiss/")
    [message] = messages_of(response)
    Article.objects.filter(pk=top.pk).update(review_status=LINKED, event=factories.MeetingFactory())
    editor_client.post(ARTICLES + "undo-dismiss/", {"token": undo_token(message)})
    assert status_of(top) == LINKED


# Named ids: a signed token carries the time it was made, and pytest-xdist's processes must
# collect the same test names.
@pytest.mark.parametrize(
    "token",
    ["", "forged", signing.dumps([1], salt="another purpose")],
    ids=["empty", "forged", "signed-for-another-purpose"],
)
def test_a_forged_undo_is_a_400(editor_client, inbox, token):
    response = editor_client.post(ARTICLES + "undo-dismiss/", {"token": token})
    assert response.status_code == 400
    assert "This undo is not valid." in response.content.decode()
    assert status_of(inbox["dismissed"]) == DISMISSED


def test_an_expired_undo_is_a_400_that_says_how_to_restore(editor_client, inbox):
    token = signing.dumps([inbox["dismissed"].pk], salt=UNDO_DISMISS_SALT, compress=True)
    signer = signing.TimestampSigner(salt=UNDO_DISMISS_SALT)
    old = signer.unsign(token)  # the payload, signed again as of 2023
    signer.timestamp = lambda: signing.b62_encode(int(DAY.timestamp()))  # type: ignore[method-assign]
    response = editor_client.post(ARTICLES + "undo-dismiss/", {"token": signer.sign(old)})
    assert response.status_code == 400
    assert "Restore" in response.content.decode()
    assert status_of(inbox["dismissed"]) == DISMISSED


def test_the_restore_action_and_button_put_dismissed_articles_back(editor_client, inbox):
    other = factories.ArticleFactory(title="Also dismissed", review_status=DISMISSED)
    chosen = [inbox["dismissed"].pk, inbox["linked"].pk]
    response = editor_client.post(
        ARTICLES + "?review_status__exact=all", {"action": "restore", "_selected_action": chosen}
    )
    assert messages_of(response) == ["Restored 1 dismissed article(s) to the inbox."]
    assert status_of(inbox["dismissed"]) == NEW
    assert status_of(inbox["linked"]) == LINKED

    response = editor_client.post(f"{ARTICLES}{other.pk}/restore/")
    assert response.status_code == 302
    assert status_of(other) == NEW


# --- the article page ---------------------------------------------------------------------------


def test_the_article_page_has_one_event_row_and_folds_internals_away(editor_client, db):
    article = factories.ArticleFactory(candidate_kind="meeting", guid="urn:uuid:1234-guid")
    page = editor_client.get(f"{ARTICLES}{article.pk}/change/").content.decode()

    rows = re.findall(r'<div class="form-row[^"]*\bfield-(\w+)', page)
    assert rows.count("event") == 1
    assert "linked_event" not in rows and "create_event" not in rows
    assert f'href="/admin/relations/meeting/add/?from_article={article.pk}"' in page
    details = re.search(r"<details>.*?</details>", page, re.S)
    internals = page[page.index("<details>") : page.index("</fieldset>", page.index("<details>"))]
    assert details and "Internals" in details.group(0)
    for name in ("guid", "content_hash", "published_raw", "fetched_at"):
        assert f"field-{name}" in internals
        assert page.count(f"field-{name}") == 1
    assert "urn:uuid:1234-guid" in internals


def test_a_linked_article_names_its_event_on_the_one_event_row(editor_client, db):
    statement = factories.StatementFactory(title="Russia defends the visit")
    article = factories.ArticleFactory(event=statement, review_status=LINKED)
    page = editor_client.get(f"{ARTICLES}{article.pk}/change/").content.decode()
    assert f'Linked to <a href="/admin/relations/statement/{statement.pk}/change/">' in page
    assert "from_article=" not in page


# --- feeds ---------------------------------------------------------------------------------------


def test_adding_a_feed_asks_only_what_an_editor_knows(editor_client, settings):
    page = editor_client.get("/admin/ingest/feed/add/")
    assert set(page.context["adminform"].form.fields) == {
        "url",
        "title",
        "site_url",
        "language",
        "poll_interval",
    }
    body = page.content.decode()
    for internal in ("etag", "content_hash", "last_modified", "status", "consecutive_failures"):
        assert f"field-{internal}" not in body

    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True
    response = editor_client.post(
        "/admin/ingest/feed/add/",
        {
            "url": "http://127.0.0.1:8000/f.xml",
            "title": "",
            "language": "ru",
            "poll_interval": "01:00:00",
        },
    )
    assert response.status_code == 302
    feed = Feed.objects.get()
    assert (feed.active, feed.status, feed.language) == (True, "ok", "ru")
    assert feed.poll_interval == dt.timedelta(hours=1)


def test_a_feed_page_keeps_its_health_read_only_and_folded(editor_client, db):
    feed = factories.FeedFactory(etag='"abc"', status="failing", last_error="HTTP 500")
    page = editor_client.get(f"/admin/ingest/feed/{feed.pk}/change/").content.decode()
    folded = page[page.index("<details>") : page.index("</details>", page.index("<details>"))]
    assert "Health" in folded
    health = page[page.index("<details>") :]
    for name in ("etag", "status", "last_error", "content_hash"):
        assert f"field-{name}" in health
        assert f'name="{name}"' not in page
    assert 'name="active"' in page


# --- /articles/ --------------------------------------------------------------------------------


def article_ids(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in re.findall(r'data-article-id="(\d+)"', response.content.decode())]


def ids(inbox, *names) -> list[int]:
    return [inbox[name].pk for name in names]


def test_editors_open_the_articles_page_on_new_articles_most_relevant_first(editor_client, inbox):
    response = editor_client.get("/articles/")
    assert article_ids(response) == ids(inbox, "top", "middling", "low")
    assert "3 articles, most relevant first." in response.content.decode()


def test_editors_can_still_choose_every_status_and_the_newest_first(editor_client, inbox):
    # The form's "Any status" sends an empty value, which is no filter at all.
    everything = article_ids(editor_client.get("/articles/?review_status=&order=newest"))
    assert everything[:3] == ids(inbox, "low", "middling", "top")
    assert set(everything) == set(ids(inbox, *inbox))
    dismissed = article_ids(editor_client.get("/articles/?review_status=dismissed"))
    assert dismissed == ids(inbox, "dismissed")


def test_analysts_keep_the_read_only_list_of_every_article_newest_first(analyst_client, inbox):
    response = analyst_client.get("/articles/")
    assert set(article_ids(response)) == set(ids(inbox, *inbox))
    assert article_ids(response)[0] == inbox["low"].pk  # the newest
    body = response.content.decode()
    assert "newest first." in body
    for triage in ('id="triage-form"', "/dismiss/", "/restore/", "from_article=", "Triage</span>"):
        assert triage not in body


def test_the_articles_page_filters_by_the_same_relevance_buckets(client, inbox):
    def listed_ids(bucket: str) -> list[int]:
        return article_ids(client.get("/articles/", {"relevance": bucket}))

    assert listed_ids("high") == ids(inbox, "top", "dismissed", "linked")  # newest first
    assert listed_ids("medium") == ids(inbox, "middling")
    assert listed_ids("low") == ids(inbox, "low")
    response = client.get("/articles/", {"relevance": "3"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    api = client.get("/api/articles/", {"relevance": "medium", "order": "relevance"})
    assert [row["id"] for row in api.json()["results"]] == ids(inbox, "middling")


def test_dismissing_from_the_articles_page_returns_there_with_an_undo(editor, inbox):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    page = browser.get("/articles/?relevance=high").content.decode()
    form = re.search(r'<form id="triage-form" method="post" hidden>.*?</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    assert unescape(fields["next"]) == "/articles/?relevance=high"
    top = inbox["top"]

    fields["next"] = unescape(fields["next"])
    response = browser.post(f"{ARTICLES}{top.pk}/dismiss/", fields, follow=True)

    assert response.redirect_chain == [("/articles/?relevance=high", 302)]
    assert status_of(top) == DISMISSED
    assert top.pk not in article_ids(response)
    body = response.content.decode()
    message = re.search(r'<li class="alert alert-success">(.*?)</li>', body, re.S).group(1)
    assert message.startswith("Dismissed “Top”.")
    undo = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', message))

    undo = {name: unescape(value) for name, value in undo.items()}
    response = browser.post(ARTICLES + "undo-dismiss/", undo, follow=True)

    assert response.redirect_chain == [("/articles/?relevance=high", 302)]
    assert status_of(top) == NEW
    assert top.pk in article_ids(response)
    assert "Restored 1 article(s) to the inbox." in response.content.decode()
