"""parse_feed on real bytes: the shared corpus, real-world feeds and hand-made hostile ones."""

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from ingest.parsing import NotAFeed, ParsedFeed, parse_feed

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
REALWORLD = CORPUS / "realworld"
FETCHED_AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
FEED_URL = "https://news.example.com/feed.xml"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not beside checkout")


def parse(body: bytes, content_type="application/rss+xml", **kwargs) -> ParsedFeed:
    options = {"url": FEED_URL, "fetched_at": FETCHED_AT, "max_entries": 200} | kwargs
    return parse_feed(body, content_type=content_type, **options)


def rss(*items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{head}<rss version="2.0"><channel><title>Example</title>'
        f"<link>https://news.example.com/</link><language>en-us</language>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


def item(
    title="Lavrov met a Hamas delegation",
    guid="urn:1",
    link="https://news.example.com/1",
    date="Thu, 26 Oct 2023 10:00:00 +0300",
    description="They met in Moscow.",
    extra="",
) -> str:
    parts = [f"<title>{title}</title>" if title is not None else ""]
    parts.append(f"<guid isPermaLink='false'>{guid}</guid>" if guid is not None else "")
    parts.append(f"<link>{link}</link>" if link is not None else "")
    parts.append(f"<pubDate>{date}</pubDate>" if date is not None else "")
    parts.append(f"<description>{description}</description>" if description is not None else "")
    return f"<item>{''.join(parts)}{extra}</item>"


# --- real feeds ---------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    "name", ["nytimes_world.rss.xml", "dw_english_all.rdf", "npr_world.rss.xml"]
)
def test_it_reads_real_world_feeds_into_plain_trusted_entries(name):
    feed = parse((REALWORLD / name).read_bytes())

    assert feed.entries
    assert feed.title
    for entry in feed.entries:
        assert entry.guid
        assert entry.published_at.tzinfo == dt.UTC
        assert "<" not in entry.title and "  " not in entry.title
        assert "<" not in entry.summary
        assert entry.url.startswith("http")


@needs_corpus
def test_it_decodes_windows_1251_declared_in_the_document_without_a_charset_header():
    feed = parse((REALWORLD / "ibash_org_ru_windows-1251.rss.xml").read_bytes(), "text/xml")

    assert feed.entries[0].title == "Цитата #17703"
    assert feed.title == "iBash.Org.Ru"
    assert feed.language == "ru"


@needs_corpus
@pytest.mark.parametrize("content_type", ["application/rss+xml", "text/xml", ""])
def test_it_decodes_windows_1251_with_neither_declaration_nor_charset(content_type):
    body = (REALWORLD / "ibash_org_ru_windows-1251.rss.xml").read_bytes()
    body = re.sub(rb"^<\?xml[^>]*>", b"", body)

    feed = parse(body, content_type)

    assert feed.entries[0].title == "Цитата #17703"
    assert "есть у кого" in feed.entries[0].summary


def test_it_decodes_a_short_windows_1251_russian_feed_without_declaration():
    body = (
        rss(
            item(
                title="Лавров встретился с делегацией ХАМАС", description="Встреча прошла в Москве."
            ),
            head="",
        )
        .decode()
        .encode("cp1251")
    )

    feed = parse(body, "application/xml")

    assert feed.entries[0].title == "Лавров встретился с делегацией ХАМАС"


@needs_corpus
def test_it_decodes_latin_1_without_declaration():
    feed = parse((REALWORLD / "le_cercle_psy_no_xml_decl_iso-8859-1.rss.xml").read_bytes())

    text = " ".join(entry.title + entry.summary for entry in feed.entries)
    assert "é" in text
    assert "Ã" not in text


def test_an_http_charset_wins_over_detection():
    body = rss(item(title="Израиль")).replace(b'encoding="utf-8"', b"").decode()
    feed = parse(body.encode("koi8_r"), "application/rss+xml; charset=koi8-r")

    assert feed.entries[0].title == "Израиль"


def test_it_parses_windows_1251_served_by_a_real_http_server_without_charset(httpserver):
    body = rss(item(title="Путин принял Нетаньяху"), head="").decode().encode("cp1251")
    httpserver.expect_request("/feed.xml").respond_with_data(
        body, headers={"Content-Type": "application/rss+xml"}
    )
    response = httpx.get(httpserver.url_for("/feed.xml"))

    feed = parse_feed(
        response.content,
        content_type=response.headers["content-type"],
        url=str(response.url),
        fetched_at=FETCHED_AT,
        max_entries=200,
    )

    assert feed.entries[0].title == "Путин принял Нетаньяху"


# --- what is not a feed -------------------------------------------------------------------

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Example News</title>
<link rel="stylesheet" href="/site.css">
<link rel="alternate" type="application/rss+xml" title="World" href="/world/rss.xml">
</head><body><h1>Example News</h1><p>Today's stories.</p></body></html>"""


def test_it_refuses_an_html_page_and_names_the_feed_it_advertises():
    with pytest.raises(NotAFeed) as refused:
        parse(HTML_PAGE, "text/html; charset=utf-8", url="https://news.example.com/world/")

    assert refused.value.feed_link == "https://news.example.com/world/rss.xml"
    assert "not a feed" in str(refused.value)
    assert "https://news.example.com/world/rss.xml" in str(refused.value)


def test_it_refuses_an_html_page_served_as_xml():
    with pytest.raises(NotAFeed, match="advertises the feed"):
        parse(HTML_PAGE, "application/xml")


def test_it_refuses_an_xhtml_page_with_a_bom_and_xml_declaration():
    page = b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE html>\n<html><body>Hi</body></html>'

    with pytest.raises(NotAFeed, match="HTML page"):
        parse(page, "application/xhtml+xml")


def test_it_refuses_an_html_page_without_a_feed_link():
    page = b"<html><head><title>Hi</title></head><body><p>No feed here</p></body></html>"

    with pytest.raises(NotAFeed, match="HTML page and advertises no feed") as refused:
        parse(page, "text/html")

    assert refused.value.feed_link == ""


@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_it_refuses_an_empty_body(body):
    with pytest.raises(NotAFeed, match="empty"):
        parse(body)


def test_it_refuses_truncated_xml_before_the_first_entry():
    body = rss(item())[:120]

    with pytest.raises(NotAFeed, match="broken XML with no entries"):
        parse(body)


def test_it_keeps_the_entries_of_a_feed_truncated_after_them():
    body = rss(item(guid="a"), item(guid="b"), item(guid="c"))
    truncated = body[: body.rindex(b"<item>") + 30]  # cut inside the third item

    feed = parse(truncated)

    assert [entry.guid for entry in feed.entries][:2] == ["a", "b"]
    assert feed.bozo_error


def test_a_valid_feed_without_entries_is_empty_not_an_error():
    feed = parse(rss())

    assert feed.entries == []
    assert feed.title == "Example"


def test_a_file_path_or_url_as_body_is_never_opened():
    with pytest.raises(NotAFeed):
        parse(b"/etc/passwd")
    with pytest.raises(NotAFeed):
        parse(b"http://169.254.169.254/latest/meta-data/")


def test_it_refuses_json_that_is_not_a_feed():
    with pytest.raises(NotAFeed):
        parse(b'{"hello": "world"}', "application/json")


def test_billion_laughs_entities_are_never_expanded():
    declarations = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    declarations = declarations.replace("&lol0;", "&lol;")
    body = rss(item(title="&lol9;")).replace(
        b"<rss ", f"<!DOCTYPE rss [{declarations}]><rss ".encode(), 1
    )

    feed = parse(body)

    assert feed.entries
    assert feed.entries[0].title.count("lol") < 10
    assert "entity" in feed.bozo_error


def test_external_entities_are_never_read():
    body = rss(item(title="x&xxe;y", description="&xxe;")).replace(
        b"<rss ", b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss ', 1
    )

    entry = parse(body).entries[0]

    assert "root:" not in entry.title + entry.summary + entry.content


# --- text, html and script ----------------------------------------------------------------


def test_titles_become_plain_text():
    body = rss(
        item(title="&lt;b&gt;Lavrov&lt;/b&gt;   meets\n  Hamas &amp;amp; &#8220;allies&#8221;")
    )

    assert parse(body).entries[0].title == "Lavrov meets Hamas & “allies”"


def test_script_is_removed_from_titles_summaries_and_authors():
    body = rss(
        item(
            title="&lt;script&gt;alert('t')&lt;/script&gt;Lavrov met Hamas",
            description="<![CDATA[<script>alert('s')</script><p onclick='x()'>They met.</p>]]>",
            extra="<author>&lt;script&gt;alert('a')&lt;/script&gt;Reporter</author>",
        )
    )

    entry = parse(body).entries[0]

    assert entry.title == "Lavrov met Hamas"
    assert entry.summary == "They met."
    assert entry.author == "Reporter"
    assert "script" not in entry.content and "onclick" not in entry.content


def test_content_keeps_allowed_markup_and_loses_the_rest():
    encoded = (
        "<content:encoded><![CDATA[<h2>Talks</h2><p>Read <a href='https://example.com/x' "
        "onmouseover='steal()'>more</a> and <a href='javascript:alert(1)'>this</a>.</p>"
        "<iframe src='https://evil.example/'></iframe><img src='https://t.example/p.gif'>"
        "<style>body{display:none}</style>]]></content:encoded>"
    )
    body = rss(item(extra=encoded)).replace(
        b"<rss ", b'<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    )

    content = parse(body).entries[0].content

    assert "<h2>Talks</h2>" in content
    assert 'href="https://example.com/x"' in content
    assert 'rel="noopener noreferrer nofollow"' in content
    for banned in ("onmouseover", "javascript:", "iframe", "<img", "<style", "display:none"):
        assert banned not in content


def test_relative_links_in_content_are_resolved_against_the_feed_url():
    body = rss(item(description="&lt;p&gt;&lt;a href='/world/2'&gt;next&lt;/a&gt;&lt;/p&gt;"))

    content = parse(body, url="https://news.example.com/world/feed.xml").entries[0].content

    assert 'href="https://news.example.com/world/2"' in content


def test_relative_links_resolve_against_the_entrys_xml_base():
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        b'xml:base="https://base.example.org/section/"><title>Example</title>'
        b"<entry><id>urn:1</id><title>One</title><updated>2023-10-26T10:00:00Z</updated>"
        b'<link href="stories/1"/><content type="html" xml:base="https://cdn.example.net/a/">'
        b"&lt;a href='b/c'&gt;more&lt;/a&gt;</content></entry></feed>"
    )

    entry = parse(body, content_type="application/atom+xml").entries[0]

    assert entry.url == "https://base.example.org/section/stories/1"
    assert 'href="https://cdn.example.net/a/b/c"' in entry.content


def test_entry_links_and_permalink_guids_resolve_against_the_feed_url():
    body = rss(
        item(guid=None, link="/world/3"),
        "<item><title>Two</title><guid>/world/4</guid></item>",
    )

    first, second = parse(body).entries

    assert first.url == "https://news.example.com/world/3"
    assert second.guid == second.url == "https://news.example.com/world/4"


def test_a_guid_that_is_not_a_permalink_is_kept_as_written():
    assert parse(rss(item(guid="story-42"))).entries[0].guid == "story-42"


@pytest.mark.parametrize(
    ("base", "rel"),
    [
        ("https://news.example.com/feed.xml", "https://news.example.com/feed.xml"),
        ("https://news.example.com/feed.xml", "/other/"),
        ("https://news.example.com/a/", "javascript:alert(1)"),
        ("https://news.example.com/a/", None),
        ("", "relative/only"),
        ("javascript:alert(1)", None),
    ],
)
def test_feedparsers_remembered_base_joins_answer_as_it_would(base, rel):
    import feedparser.mixin
    import feedparser.urls

    remembered = feedparser.mixin.make_safe_absolute_uri
    assert remembered.remembers_answers
    for _ in range(2):  # the second answer comes from the memo
        assert remembered(base, rel) == feedparser.urls.make_safe_absolute_uri(base, rel)


def test_summary_is_stored_as_plain_text():
    body = rss(item(description="&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two &amp;amp; three&lt;/p&gt;"))

    assert parse(body).entries[0].summary == "One Two & three"


def test_a_huge_author_is_cut_before_feedparser_sees_it():
    # feedparser's e-mail regex is quadratic in an author without "@": 100k characters would
    # take minutes.
    body = rss(item(extra=f"<author>{'a' * 100_000}</author>"))

    entry = parse(body).entries[0]

    assert 0 < len(entry.author) <= 300
    assert entry.title == "Lavrov met a Hamas delegation"


def test_cutting_a_long_author_keeps_utf8_valid():
    body = rss(item(title="Путин", extra=f"<dc:creator>{'ж' * 5_000}</dc:creator>")).replace(
        b"<rss ", b'<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
    )

    entry = parse(body).entries[0]

    assert entry.title == "Путин"
    assert set(entry.author.rstrip("…")) == {"ж"}


# --- dates --------------------------------------------------------------------------------


def test_dates_are_normalised_to_utc_and_the_raw_string_is_kept():
    entry = parse(rss(item(date="Thu, 26 Oct 2023 10:00:00 +0300"))).entries[0]

    assert entry.published_at == dt.datetime(2023, 10, 26, 7, 0, tzinfo=dt.UTC)
    assert entry.published_raw == "Thu, 26 Oct 2023 10:00:00 +0300"


def test_atom_updated_is_used_when_published_is_missing():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><id>tag:a,2023:1</id><title>x</title><updated>2023-10-26T12:00:00+02:00</updated>
<link href="https://a.example/1"/></entry></feed>"""

    entry = parse(body, "application/atom+xml").entries[0]

    assert entry.published_at == dt.datetime(2023, 10, 26, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("date", "raw"),
    [
        (None, ""),
        ("next Tuesday-ish", "next Tuesday-ish"),
        ("Fri, 01 Mar 2024 14:00:00 +0000", "Fri, 01 Mar 2024 14:00:00 +0000"),  # 2 h ahead
        ("Thu, 01 Jan 1970 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("Sat, 31 Dec 1994 23:00:00 GMT", "Sat, 31 Dec 1994 23:00:00 GMT"),
    ],
)
def test_a_missing_future_ancient_or_unparseable_date_becomes_the_fetch_time(date, raw):
    entry = parse(rss(item(date=date))).entries[0]

    assert entry.published_at == FETCHED_AT
    assert entry.published_raw == raw


def test_a_date_slightly_ahead_of_the_clock_is_believed():
    entry = parse(rss(item(date="Fri, 01 Mar 2024 12:30:00 +0000"))).entries[0]

    assert entry.published_at == dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC)


# --- identity and limits ------------------------------------------------------------------


def test_it_keeps_at_most_max_entries():
    body = rss(*(item(guid=f"g{n}", link=f"https://a.example/{n}") for n in range(250)))

    feed = parse(body, max_entries=200)

    assert len(feed.entries) == 200
    assert feed.entries[0].guid == "g0"


def test_entries_far_beyond_the_limit_are_cut_from_a_still_well_formed_body():
    body = rss(*(item(guid=f"g{n}", link=f"https://a.example/{n}") for n in range(5000)))

    feed = parse(body, max_entries=200)

    assert [entry.guid for entry in feed.entries] == [f"g{n}" for n in range(200)]
    assert feed.bozo_error == ""  # the cut body parsed strictly, not through the loose parser


def test_cutting_rdf_items_keeps_what_follows_them():
    items = "".join(
        f'<item rdf:about="https://a.example/{n}"><title>t{n}</title>'
        f"<link>https://a.example/{n}</link></item>"
        for n in range(1000)
    )
    body = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://a.example/">'
        f"<title>RDF</title></channel>{items}"
        '<textinput rdf:about="https://a.example/s"><title>Search</title></textinput></rdf:RDF>'
    ).encode()

    feed = parse(body, max_entries=10)

    assert len(feed.entries) == 10
    assert feed.bozo_error == ""


def test_thousands_of_categories_are_dropped_before_parsing():
    # feedparser checks each tag against all earlier ones: quadratic in their number.
    categories = "".join(f"<category>c{n}</category>" for n in range(20_000))
    keywords = ",".join(f"k{n}" for n in range(20_000))
    body = rss(item(extra=categories + f"<media:keywords>{keywords}</media:keywords>")).replace(
        b"<rss ", b'<rss xmlns:media="http://search.yahoo.com/mrss/" ', 1
    )

    entry = parse(body).entries[0]

    assert entry.title == "Lavrov met a Hamas delegation"
    assert entry.summary == "They met in Moscow."


def test_an_entry_without_guid_falls_back_to_its_canonical_link():
    body = rss(item(guid=None, link="https://News.example.com/story?utm_source=rss#top"))

    entry = parse(body).entries[0]

    assert entry.guid == "https://news.example.com/story"
    assert entry.url == "https://news.example.com/story"


def test_an_entry_without_guid_or_link_gets_a_stable_hash_of_title_and_date():
    body = rss(item(guid=None, link=None, title="Talks in Moscow"))

    first = parse(body).entries[0]
    second = parse(body, fetched_at=FETCHED_AT + dt.timedelta(hours=5)).entries[0]
    other = parse(rss(item(guid=None, link=None, title="Talks in Doha"))).entries[0]

    assert first.guid.startswith("sha256:")
    assert first.guid == second.guid
    assert first.guid != other.guid
    assert first.url == ""


def test_the_hash_fallback_ignores_the_fetch_time_when_there_is_no_date():
    body = rss(item(guid=None, link=None, date=None, title="Undated"))

    first = parse(body).entries[0]
    later = parse(body, fetched_at=FETCHED_AT + dt.timedelta(days=1)).entries[0]

    assert first.guid == later.guid


def test_a_guid_repeated_in_one_document_is_kept_once_first_copy_wins():
    body = rss(item(guid="same", title="First"), item(guid="same", title="Second"))

    entries = parse(body).entries

    assert [(e.guid, e.title) for e in entries] == [("same", "First")]


def test_an_entry_with_nothing_to_identify_it_is_skipped():
    body = rss(item(guid=None, link=None, title=None, date=None, description=None), item())

    assert [entry.guid for entry in parse(body).entries] == ["urn:1"]


def test_javascript_links_are_not_kept_as_article_urls():
    entry = parse(rss(item(link="javascript:alert(1)"))).entries[0]

    assert entry.url == ""


@pytest.mark.parametrize(
    ("declared", "expected"), [("en-US", "en"), ("iw", "he"), ("ar", "ar"), ("de-DE", "xx")]
)
def test_languages_become_the_projects_two_letter_codes(declared, expected):
    body = rss(item()).replace(
        b"<language>en-us</language>", f"<language>{declared}</language>".encode()
    )

    feed = parse(body)

    assert feed.language == expected
    assert feed.entries[0].language == expected


# --- the whole corpus ---------------------------------------------------------------------

_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)


def corpus_files():
    if not CORPUS.is_dir():
        return []
    return sorted(
        path
        for path in CORPUS.rglob("*")
        if path.is_file() and path.suffix not in {".tsv", ".md"} and path.name != "LICENSE"
    )


@needs_corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_file_parses_or_is_refused_clearly(path):
    body = path.read_bytes()
    headers = {name.decode().lower(): value.decode() for name, value in _HEADER.findall(body)}
    content_type = headers.get("content-type", "application/xml")

    try:
        feed = parse_feed(
            body,
            content_type=content_type,
            url="http://127.0.0.1:8097/" + path.name,
            fetched_at=FETCHED_AT,
            max_entries=200,
        )
    except NotAFeed as refused:
        assert str(refused).startswith("not a feed")
        return
    for entry in feed.entries:
        assert entry.guid and len(entry.guid) <= 1000
        assert entry.published_at.tzinfo is not None
        assert "<script" not in (entry.title + entry.summary + entry.content).lower()
        assert "\x00" not in entry.title + entry.summary + entry.content
