"""The editors' triage screen in a real browser at 1280x900: the admin inbox and /articles/
with the longest real headlines of the shared corpus fit the screen (no horizontal
scrolling, every column header in view), and a click on Dismiss, then on the message's Undo,
takes an article out of the inbox and back. Saves screenshots/admin_inbox.png and
screenshots/articles.png."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import feedparser
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from ingest.models import Article
from ingest.roles import ROLE_PERMISSIONS
from tests import factories
from tests.browser.support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REALWORLD = Path(settings.BASE_DIR).parent / "shared" / "corpus" / "realworld"
LONGEST = 6
NOON = dt.datetime(2026, 2, 17, 12, 0, tzinfo=dt.UTC)


def longest_real_entries(count: int) -> list[tuple[str, str, str, str]]:
    """(feed title, headline, summary, link) of the ``count`` longest real headlines."""
    if not REALWORLD.is_dir():
        pytest.skip(f"the shared real-world corpus is not at {REALWORLD}")
    entries = []
    for path in sorted(REALWORLD.iterdir()):
        parsed = feedparser.parse(
            io.BytesIO(path.read_bytes()),
            response_headers={"content-type": "application/xml"},
        )
        outlet = parsed.feed.get("title", path.stem)
        for entry in parsed.entries:
            title = " ".join(entry.get("title", "").split())
            summary = re.sub(r"<[^>]+>", " ", entry.get("summary", ""))
            entries.append((outlet, title, " ".join(summary.split()), entry.get("link", "")))
    entries.sort(key=lambda entry: len(entry[1]), reverse=True)
    return entries[:count]


@pytest.fixture
def editor(transactional_db):
    """An editor. The groups come from a migration, and the flush after each browser test
    empties them, so the group is made again here (the permissions survive a flush)."""
    group, _ = Group.objects.get_or_create(name="editors")
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=f"{action}_{model}")
        for label, actions in ROLE_PERMISSIONS["editors"].items()
        for app, model in [label.split(".")]
        for action in actions
    )
    user = User.objects.create_user("edna", password="editor-pass-123", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def inbox(transactional_db):
    """New articles with the longest real headlines, naming actors with long names."""
    actors = [
        factories.ActorFactory(name=name, slug=slug)
        for name, slug in [
            ("Russia", "russia"),
            ("Hamas", "hamas"),
            ("Palestinian Islamic Jihad", "palestinian-islamic-jihad"),
            ("Ukrainian Defence Intelligence", "ukrainian-defence-intelligence"),
            ("Hossein Amir-Abdollahian", "hossein-amir-abdollahian"),
        ]
    ]
    kinds = ["allegation", "meeting", "statement", "", "meeting", ""]
    relevances = [0.95, 0.89, 0.7, 0.45, 0.33, 0.26]
    articles = []
    for n, (outlet, title, summary, link) in enumerate(longest_real_entries(LONGEST)):
        feed = factories.FeedFactory(title=outlet[:300])
        article = factories.ArticleFactory(
            feed=feed,
            title=title,
            summary=summary,
            url=link,
            relevance=relevances[n],
            candidate_kind=kinds[n],
            published_at=NOON - dt.timedelta(hours=n),
        )
        for position, actor in enumerate(actors[: 5 - n % 3]):
            factories.MentionFactory(article=article, actor=actor, count=1 + position % 3)
        articles.append(article)
    return articles


def log_in(page, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    site = re.match(r"https?://[^/]+", page.url).group(0)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": f"{site}/"}]
    )


def assert_fits_the_screen(page, headers: str) -> None:
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1], f"the page scrolls sideways: {overflow}"
    boxes = page.locator(headers)
    assert boxes.count() >= 5
    width = page.viewport_size["width"]
    for index in range(boxes.count()):
        header = boxes.nth(index)
        assert header.is_visible(), header.inner_text()
        box = header.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (
            header.inner_text(),
            box,
        )


def dismiss_then_undo(page, top, path: str, rows: str, messages: str) -> None:
    """Click the first row's Dismiss, then the Undo in the message; ``top`` is that row's
    article, the most relevant."""
    page.locator(rows).first.get_by_role("button", name="Dismiss").click()
    page.wait_for_url(re.compile(rf"{re.escape(path)}$"))
    assert "Dismissed “" in page.locator(messages).inner_text()
    assert page.locator(rows).count() == LONGEST - 1
    assert Article.objects.get(pk=top.pk).review_status == "dismissed"

    page.locator(messages).get_by_role("button", name="Undo").click()
    page.wait_for_url(re.compile(rf"{re.escape(path)}$"))
    assert "Restored 1 article(s)" in page.locator(messages).inner_text()
    assert page.locator(rows).count() == LONGEST
    assert Article.objects.get(pk=top.pk).review_status == "new"


def test_the_admin_inbox_fits_and_dismisses_then_undoes_by_clicking(page, editor, inbox):
    page.goto("/admin/login/")
    log_in(page, editor)
    page.goto("/admin/ingest/article/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == LONGEST
    # Opens on the most relevant: the longest headline leads.
    assert inbox[0].title in rows.first.inner_text()
    assert_fits_the_screen(page, "#result_list thead th")
    results = page.evaluate(
        "(() => { const el = document.querySelector('.results');"
        " return [el.scrollWidth, el.clientWidth]; })()"
    )
    assert results[0] <= results[1], f"the list scrolls sideways in its box: {results}"
    for header in ("Article (outlet, published)", "Actors", "Relevance", "Candidate kind"):
        assert page.locator("#result_list thead th", has_text=header).count() == 1, header
    screenshot(page, "admin_inbox")

    dismiss_then_undo(
        page, inbox[0], "/admin/ingest/article/", "#result_list tbody tr", ".messagelist"
    )


def test_the_articles_page_fits_and_dismisses_then_undoes_by_clicking(page, editor, inbox):
    page.goto("/articles/")
    log_in(page, editor)
    page.goto("/articles/")
    items = page.locator("#article-list > li")
    assert items.count() == LONGEST
    assert inbox[0].title in items.first.inner_text()
    assert_fits_the_screen(page, ".article-columns > span")
    # Each column's cells start under its header.
    headers = page.locator(".article-columns > span")
    cells = items.first.locator(":scope > div")
    assert cells.count() == headers.count() == 5
    for index in range(5):
        header, cell = headers.nth(index).bounding_box(), cells.nth(index).bounding_box()
        assert abs(header["x"] - cell["x"]) < 2, (index, header, cell)
        assert cell["x"] + cell["width"] <= page.viewport_size["width"]
    screenshot(page, "articles")

    dismiss_then_undo(page, inbox[0], "/articles/", "#article-list > li", ".messages")

    # On a phone the columns stack, and the page still does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.locator(".article-columns").is_hidden()
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], width
