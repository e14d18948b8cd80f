"""What reaches the database is safe: feedparser's XSS corpus through parse and store, and the
sanitiser's allow-list on its own."""

import datetime as dt
import re
from pathlib import Path

import pytest

from ingest.models import Article
from ingest.parsing import NotAFeed, parse_feed
from ingest.sanitising import plain_text, sanitise_html, truncate
from ingest.storing import store_entries
from tests.factories import FeedFactory

SANITIZE_DIR = (
    Path(__file__).resolve().parents[3] / "shared/corpus/feedparser/tests/wellformed/sanitize"
)
FETCHED_AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.IGNORECASE)
_HEADER = re.compile(rb"^Header:\s*Content-type:\s*(.*?)\s*$", re.MULTILINE | re.IGNORECASE)


def assert_safe(value: str):
    lowered = value.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert not _HANDLER.search(value), value
    for tag in ("<iframe", "<embed", "<object", "<meta", "<link", "<style", "<frame", "<img"):
        assert tag not in lowered, value


def sanitize_cases():
    return sorted(SANITIZE_DIR.glob("*.xml")) if SANITIZE_DIR.is_dir() else []


@pytest.mark.skipif(not SANITIZE_DIR.is_dir(), reason="shared corpus not beside checkout")
@pytest.mark.django_db
@pytest.mark.parametrize("path", sanitize_cases(), ids=lambda path: path.stem)
def test_feedparser_xss_cases_store_nothing_executable(path):
    body = path.read_bytes()
    content_type = _HEADER.search(body)
    try:
        parsed = parse_feed(
            body,
            content_type=content_type.group(1).decode() if content_type else "application/xml",
            url="http://127.0.0.1:8097/feed.xml",
            fetched_at=FETCHED_AT,
            max_entries=200,
        )
    except NotAFeed:
        return
    assert_safe(parsed.title)
    feed = FeedFactory()

    store_entries(feed, parsed.entries, fetched_at=FETCHED_AT)

    for title, summary, content, author in Article.objects.filter(feed=feed).values_list(
        "title", "summary", "content", "author"
    ):
        for value in (title, summary, content, author):
            assert_safe(value)


def test_the_crazy_html_case_keeps_its_text_and_loses_its_code():
    if not SANITIZE_DIR.is_dir():
        pytest.skip("shared corpus not beside checkout")
    body = (SANITIZE_DIR / "entry_content_crazy.xml").read_bytes()

    entry = parse_feed(
        body,
        content_type="application/xml",
        url="http://127.0.0.1:8097/",
        fetched_at=FETCHED_AT,
        max_entries=1,
    ).entries[0]

    assert "executeMe" not in entry.content
    assert "Did The Javascript Execute?" in entry.content
    assert_safe(entry.content)


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>ok</p><script>alert(1)</script>", "<p>ok</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        (
            '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
            '<a rel="noopener noreferrer nofollow">x</a>',
        ),
        ('<a href="vbscript:msgbox">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<p onclick="steal()" style="color:red" class="x" id="y">t</p>', "<p>t</p>"),
        ("<iframe src='https://evil.example'>fallback</iframe>after", "after"),
        ("<svg><script>alert(1)</script></svg>x", "x"),
        ("<!-- <script>alert(1)</script> -->x", "x"),
        ("<object data='x.swf'><embed src='x.swf'></object>y", "y"),
        ('<img src="https://t.example/pixel.gif" onerror="x()">z', "z"),
        ("<form action='https://evil.example'><input name=q></form>w", "w"),
    ],
)
def test_sanitise_html_drops_what_is_not_allowed(dirty, clean):
    assert sanitise_html(dirty) == clean


def test_sanitise_html_keeps_allowed_markup_and_marks_links():
    html = (
        '<h2>Talks</h2><p>See <a href="https://example.com/a" title="A">this</a>, '
        '<em>that</em> and <a href="mailto:desk@example.com">write</a>.</p>'
        "<ul><li>one</li></ul><blockquote>quote</blockquote>"
    )

    cleaned = sanitise_html(html)

    assert cleaned == (
        '<h2>Talks</h2><p>See <a href="https://example.com/a" title="A" '
        'rel="noopener noreferrer nofollow">this</a>, <em>that</em> and '
        '<a href="mailto:desk@example.com" rel="noopener noreferrer nofollow">write</a>.</p>'
        "<ul><li>one</li></ul><blockquote>quote</blockquote>"
    )


def test_sanitise_html_drops_relative_links_that_would_point_into_this_site():
    assert 'href="/admin/' not in sanitise_html('<a href="/admin/">x</a>')


def test_sanitise_html_resolves_relative_links_against_an_http_base():
    cleaned = sanitise_html(
        '<a href="../b?c=1#d">x</a><a href="//other.example/">y</a>',
        base_url="https://news.example.com/a/feed.xml",
    )

    assert 'href="https://news.example.com/b?c=1#d"' in cleaned
    assert 'href="https://other.example/"' in cleaned


@pytest.mark.parametrize("base", ["javascript:alert(1)//", "/relative/base/", "not a url", ""])
def test_sanitise_html_drops_relative_links_without_an_http_base(base):
    cleaned = sanitise_html(
        '<a href="/admin/">x</a><a href="https://ok.example/">y</a>', base_url=base
    )

    assert "/admin/" not in cleaned
    assert 'href="https://ok.example/"' in cleaned


def test_sanitise_html_removes_nul_bytes_postgresql_refuses():
    assert "\x00" not in sanitise_html("<p>a\x00b</p>")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("<b>Bold</b> &amp; <i>italic</i>", "Bold & italic"),
        ("Line\n\n  break\tand   spaces", "Line break and spaces"),
        ("<script>alert(1)</script>Title", "Title"),
        ("<style>p{}</style>Title", "Title"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
        ("AT&T", "AT&T"),
        ("&#1055;&#1091;&#1090;&#1080;&#1085;", "Путин"),
        ("nul\x00byte", "nulbyte"),
        ("", ""),
    ],
)
def test_plain_text_strips_tags_unescapes_and_collapses_whitespace(value, text):
    assert plain_text(value) == text


def test_plain_text_of_escaped_markup_is_not_unescaped_into_markup():
    # "&lt;script&gt;" written in text is text: it is unescaped once, never executed or stripped
    # as a tag, and templates escape it on output.
    assert plain_text("&amp;lt;script&amp;gt;") == "&lt;script&gt;"


def test_truncate_cuts_at_a_word_boundary_with_an_ellipsis():
    text = "word " * 50

    cut = truncate(text.strip(), 40)

    assert len(cut) <= 40
    assert cut.endswith("word…")
