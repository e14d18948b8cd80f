"""Feed bytes to plain, trusted values: one ParsedFeed with at most ``max_entries`` entries.

feedparser does the XML work; this module decides what to believe. It gets the body as bytes with
the real Content-Type and the final URL (a ``str`` would make feedparser fetch or open it itself),
keeps the entries of a feed that is broken only at the end, refuses an HTML page with the feed
link the page advertises, and turns every field into what the Article model stores: plain text,
sanitised HTML, a canonical link, a UTC date that is never in the future or before the web.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import charset_normalizer
import feedparser
import feedparser.mixin

from ingest.canonical import canonical_url
from ingest.sanitising import plain_text, sanitise_html, text_as_html, truncate

# Sizes of the Article columns the values go into.
MAX_GUID = 1000
MAX_URL = 2000
MAX_TITLE = 1000
MAX_AUTHOR = 300
MAX_RAW_DATE = 200
MAX_FEED_TITLE = 300
# A summary is a teaser; some feeds put the whole article in <description>. Keep enough for an
# editor to triage and for matching, not a second copy of the content.
MAX_SUMMARY = 4000

# Before the web had news feeds; such a date is a placeholder (1970-01-01) or a typo.
EARLIEST_DATE = dt.datetime(1995, 1, 1, tzinfo=dt.UTC)
# Clocks drift and publishers schedule; beyond this a "future" date is wrong.
FUTURE_SKEW = dt.timedelta(hours=1)

# Languages the project knows (relations.models.Language); other codes become "xx".
KNOWN_LANGUAGES = frozenset({"en", "ru", "he", "ar", "uk", "fa"})
LANGUAGE_ALIASES = {"iw": "he"}  # the pre-1989 ISO code for Hebrew, still in some feeds

# Bozo reasons that say nothing about the document's structure: the entries are complete.
HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)

# Legacy single-byte encodings met in the four languages; the detector chooses only among them,
# because unconstrained it mistakes French latin-1 for cp1250.
LEGACY_ENCODINGS = ["cp1252", "cp1251", "koi8_r", "cp1255", "cp1256", "latin_1"]
DETECTION_SAMPLE = 64 * 1024

_XML_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=", re.IGNORECASE)
_UNICODE_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# An HTML document's start: after an optional BOM, XML declaration and comments.
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype\s+html|html|head|body)\b",
    re.I | re.S,
)
_FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
)
# feedparser's author e-mail regex is quadratic in the length of an author string without an
# "@": 40,000 characters take 9 s. No real byline is that long, so the text of author-like
# elements is cut before parsing. The pattern needs the element name, so it costs one scan of
# the body for "<" followed by one of these names.
_LONG_AUTHOR = re.compile(
    rb"(<(?:[A-Za-z][\w.-]{0,40}:)?"
    rb"(?:author|creator|publisher|contributor|managingeditor|webmaster|name|email)"
    rb"(?:\s[^<>]{0,500}+)?>\s*(?:<!\[CDATA\[)?)([^<\]]{1000})[^<\]]*",
    re.IGNORECASE,
)


# feedparser keeps an entry's tags in a list and checks each new one against all before it, so
# 50,000 <category> elements take 2 s and a 10 MB body of them hours. Relwatch has no use for
# tags: their tags go before parsing (the text left between them is ignored by the parser).
_TAG_ELEMENTS = re.compile(
    rb"</?(?:[A-Za-z][\w.-]{0,40}:)?(?:category|keywords|subject|tags)\b[^<>]*+>", re.IGNORECASE
)
_TAG_NAMES = (b"category", b"keywords", b"subject", b"tags", b"CATEGORY", b"Category")

# feedparser spends ~0.15 ms per entry however many we keep, so a 10 MB body of tiny items costs
# half a minute. Entries past this many times max_entries are cut from the body before parsing
# (with room for the repeated GUIDs and empty entries parsing skips).
ENTRY_SLACK_FACTOR = 2
_ENTRY_ENDS = (b"</item>", b"</entry>")

# Entity declarations live in the DOCTYPE's internal subset. Feeds have no use for them, and
# nested ones ("billion laughs") make expat expand megabytes before its amplification limit
# stops it (a CPU-second per fetch). Dropping the subset leaves such references undefined.
_DOCTYPE_WITH_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL)
PROLOG_SCAN = 64 * 1024


# feedparser re-resolves the current base URI against itself at every element it opens
# (make_safe_absolute_uri(base, base), a urllib.parse.urljoin each): with the feed's URL as the
# base that is a third of its time on a plain feed, always for the same few arguments. The
# function is pure, so its answers are remembered; arguments too long to be a base are not
# kept (a hostile xml:base must not pin megabytes in the cache).
MEMO_ARGUMENT_LENGTH = 4096


def _remember_safe_absolute_uris() -> None:
    original = feedparser.mixin.make_safe_absolute_uri
    if getattr(original, "remembers_answers", False):
        return
    remembered = functools.lru_cache(maxsize=512)(original)

    @functools.wraps(original)
    def make_safe_absolute_uri(base, rel=None):
        if len(base or "") + len(rel or "") > MEMO_ARGUMENT_LENGTH:
            return original(base, rel)
        return remembered(base, rel)

    make_safe_absolute_uri.remembers_answers = True
    feedparser.mixin.make_safe_absolute_uri = make_safe_absolute_uri


_remember_safe_absolute_uris()


class NotAFeed(ValueError):
    """The body is not a feed we can read (HTML page, empty, broken XML with no entries)."""

    def __init__(self, message: str, *, feed_link: str = ""):
        super().__init__(message)
        self.feed_link = feed_link


@dataclass
class ParsedEntry:
    guid: str
    url: str
    title: str
    summary: str
    content: str
    author: str
    published_at: dt.datetime
    published_raw: str
    language: str


@dataclass
class ParsedFeed:
    title: str
    site_url: str
    language: str
    entries: list[ParsedEntry] = field(default_factory=list)
    bozo_error: str = ""


def parse_feed(
    body: bytes, *, content_type: str, url: str, fetched_at: dt.datetime, max_entries: int
) -> ParsedFeed:
    """Parse a fetched body. Raises NotAFeed with a message fit for Feed.last_error."""
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=dt.UTC)
    if not body or body.isspace():  # isspace, not strip: no copy of a 10 MB body
        raise NotAFeed("not a feed: the response body is empty")

    body = _drop_entity_declarations(body)
    body = _keep_first_entries(body, max(max_entries * ENTRY_SLACK_FACTOR, max_entries + 50))
    body = _defuse_long_authors(_drop_tags(body))
    headers = {
        "content-type": _content_type_with_charset(body, content_type),
        "content-location": url,
    }
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        # nh3 sanitises content in sanitising.py, and resolves relative links in the same
        # pass; feedparser's passes (an HTML parser in Python each) would be wasted work.
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    bozo_exception = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.entries:
        _refuse_if_not_a_feed(parsed, body, content_type, url, bozo_exception)

    feed_info = parsed.get("feed", {})
    feed_language = _language(feed_info.get("language", ""))
    entries = _entries(parsed.entries, feed_language, fetched_at, max_entries, url)
    return ParsedFeed(
        title=plain_text(feed_info.get("title", ""), max_length=MAX_FEED_TITLE),
        site_url=_limited_url(feed_info.get("link", "")),
        language=feed_language,
        entries=entries,
        bozo_error=_describe(bozo_exception) if bozo_exception is not None else "",
    )


def _refuse_if_not_a_feed(parsed, body: bytes, content_type: str, url: str, bozo_exception):
    is_html = content_type.split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}
    if not parsed.get("version") or (is_html and _HTML_START.match(body[:4096])):
        link = _advertised_feed_link(parsed, body, url)
        if link:
            raise NotAFeed(
                f"not a feed: {url} is an HTML page; it advertises the feed {link}",
                feed_link=link,
            )
        if is_html or _HTML_START.match(body[:4096]):
            raise NotAFeed(f"not a feed: {url} is an HTML page and advertises no feed")
        reason = f" ({_describe(bozo_exception)})" if bozo_exception is not None else ""
        raise NotAFeed(f"not a feed: no RSS or Atom feed found in the response{reason}")
    if bozo_exception is not None and not isinstance(bozo_exception, HARMLESS_BOZO):
        # A feed element was seen but the XML breaks before the first entry (truncated body).
        raise NotAFeed(f"not a feed: broken XML with no entries ({_describe(bozo_exception)})")


def _entries(
    raw_entries, feed_language: str, fetched_at: dt.datetime, max_entries: int, feed_url: str
):
    entries: list[ParsedEntry] = []
    seen_guids: set[str] = set()
    for raw in raw_entries:
        if len(entries) >= max_entries:
            break
        entry = _entry(raw, feed_language, fetched_at, feed_url)
        # A GUID repeated inside one document is one article; the first copy wins, as feeds
        # list the newest version first.
        if entry is None or entry.guid in seen_guids:
            continue
        seen_guids.add(entry.guid)
        entries.append(entry)
    return entries


def _entry(raw, feed_language: str, fetched_at: dt.datetime, feed_url: str) -> ParsedEntry | None:
    url = _limited_url(raw.get("link", ""))
    title = plain_text(raw.get("title", ""), max_length=MAX_TITLE)
    summary_html = raw.get("summary", "")
    content_html, content_base = _content_html(raw)
    summary = plain_text(summary_html or content_html, max_length=MAX_SUMMARY)
    if content_html:
        content = sanitise_html(content_html, base_url=content_base or feed_url)
    elif "<" in summary_html:
        summary_base = (raw.get("summary_detail") or {}).get("base") or ""
        content = sanitise_html(summary_html, base_url=summary_base or feed_url)
    else:
        content = ""
    published_at, published_raw = _published(raw, fetched_at)
    guid = _guid(raw.get("id", ""), url, title, published_raw, summary)
    if not guid:
        return None  # nothing to identify or show: no id, link, title, date or text
    detail = raw.get("title_detail") or raw.get("summary_detail") or {}
    return ParsedEntry(
        guid=guid,
        url=url,
        title=title,
        summary=summary,
        content=content,
        author=plain_text(raw.get("author", ""), max_length=MAX_AUTHOR),
        published_at=published_at,
        published_raw=published_raw,
        language=_language(detail.get("language") or "") or feed_language,
    )


def _content_html(raw) -> tuple[str, str]:
    """The entry's full content as HTML (the first HTML part, else a text part escaped) and
    the base URL its relative links resolve against (its xml:base, as feedparser tracked it)."""
    parts = raw.get("content") or []
    for part in parts:
        if part.get("type", "text/html") in {"text/html", "application/xhtml+xml"}:
            return part.get("value", ""), part.get("base") or ""
    for part in parts:
        if part.get("value"):
            return text_as_html(part["value"]), ""
    return "", ""


def _guid(raw_id: str, url: str, title: str, published_raw: str, summary: str) -> str:
    """The entry's id; else its canonical link; else a hash of its title and date (of its text
    when it has neither), so the same entry gets the same GUID on every fetch."""
    guid = " ".join(raw_id.split())
    if len(guid) > MAX_GUID:
        return "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    if guid:
        return guid
    if url:
        return url
    basis = f"{title}\n{published_raw}" if title or published_raw else summary
    if not basis:
        return ""
    return "sha256:" + hashlib.sha256(basis.encode()).hexdigest()


def _published(raw, fetched_at: dt.datetime) -> tuple[dt.datetime, str]:
    """The publication time in UTC, or the fetch time when the feed's date is missing, does not
    parse, lies in the future or before 1995; the feed's own string is kept either way."""
    published_raw = ""
    for key in ("published", "updated", "created"):
        value = raw.get(key)
        if value:
            published_raw = " ".join(str(value).split())[:MAX_RAW_DATE]
            parsed = raw.get(f"{key}_parsed")
            if parsed:
                try:
                    # feedparser has already converted the time to UTC.
                    moment = dt.datetime(*parsed[:6], tzinfo=dt.UTC)
                except (TypeError, ValueError):
                    continue
                if EARLIEST_DATE <= moment <= fetched_at + FUTURE_SKEW:
                    return moment, published_raw
            break
    return fetched_at, published_raw


def _limited_url(link: str) -> str:
    url = canonical_url(link)
    return url if len(url) <= MAX_URL else ""


def _language(code: str) -> str:
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    code = LANGUAGE_ALIASES.get(code, code)
    if not code:
        return ""
    return code if code in KNOWN_LANGUAGES else "xx"


def _describe(exception) -> str:
    return truncate(f"{type(exception).__name__}: {exception}", 500)


def _content_type_with_charset(body: bytes, content_type: str) -> str:
    """The Content-Type, completed with the charset when neither the header nor the document
    declares one.

    feedparser then assumes UTF-8 (or US-ASCII for text/xml) and, when that fails, falls back to
    windows-1252, which turns a windows-1251 Russian feed into mojibake. A body that decodes as
    UTF-8 is UTF-8; anything else goes to a detector limited to the legacy encodings of our
    languages.
    """
    content_type = content_type.strip() or "application/xml"
    if "charset=" in content_type.lower():
        return content_type
    if body.startswith(_UNICODE_BOMS) or body[:4] in (b"\x00\x00\x00<", b"<\x00\x00\x00"):
        return content_type
    if body[:2] in (b"\x00<", b"<\x00"):  # UTF-16 without a BOM: feedparser sniffs it
        return content_type
    if _XML_DECLARED_ENCODING.match(body[:300]):
        return content_type
    charset = _detect_charset(body)
    return f"{content_type}; charset={charset}" if charset else content_type


def _detect_charset(body: bytes) -> str:
    if body.isascii():
        return "utf-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = charset_normalizer.from_bytes(
        body[:DETECTION_SAMPLE], cp_isolation=LEGACY_ENCODINGS
    ).best()
    return best.encoding if best is not None else ""


def _drop_entity_declarations(body: bytes) -> bytes:
    head = body[:PROLOG_SCAN]
    if b"<!ENTITY" not in head:
        return body
    # Only the first DOCTYPE counts (XML allows one), and one anchored attempt keeps a head
    # full of "<!DOCTYPE" from costing a scan each.
    match = _DOCTYPE_WITH_SUBSET.match(head, max(head.find(b"<!DOCTYPE"), 0))
    if match is None:
        return body
    return body[: match.start()] + body[match.end() :]


def _keep_first_entries(body: bytes, limit: int) -> bytes:
    """The body without the entries after the first ``limit``, still well-formed: what follows
    the last entry (the closing tags, an RDF textinput) is kept."""
    for end_tag in _ENTRY_ENDS:
        if body.count(end_tag) <= limit:
            continue
        cut = -1
        for _ in range(limit):
            cut = body.find(end_tag, cut + 1)
        last = body.rfind(end_tag)
        return body[: cut + len(end_tag)] + body[last + len(end_tag) :]
    return body


def _drop_tags(body: bytes) -> bytes:
    if not any(name in body for name in _TAG_NAMES):
        return body
    return _TAG_ELEMENTS.sub(b"", body)


def _defuse_long_authors(body: bytes) -> bytes:
    if not _LONG_AUTHOR.search(body):
        return body
    return _LONG_AUTHOR.sub(lambda m: m.group(1) + _cut_utf8(m.group(2)), body)


def _cut_utf8(chunk: bytes) -> bytes:
    """Drop a multi-byte UTF-8 character cut in half at the end: it would make the whole body
    undecodable as UTF-8."""
    start = len(chunk) - 1
    while start > 0 and chunk[start] & 0xC0 == 0x80:
        start -= 1
    lead = chunk[start]
    needed = 4 if lead >= 0xF0 else 3 if lead >= 0xE0 else 2 if lead >= 0xC0 else 1
    return chunk if len(chunk) - start >= needed else chunk[:start]


class _FeedLinkFinder(HTMLParser):
    """Finds <link rel="alternate" type="application/rss+xml" href="..."> in an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.href = ""

    def handle_starttag(self, tag, attrs):
        if tag != "link" or self.href:
            return
        values = {name: (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in _FEED_LINK_TYPES and values.get("href"):
            self.href = values["href"].strip()


def _advertised_feed_link(parsed, body: bytes, url: str) -> str:
    for link in parsed.get("feed", {}).get("links", []):
        if link.get("rel") == "alternate" and link.get("type") in _FEED_LINK_TYPES:
            found = canonical_url(urljoin(url, link.get("href", "")))
            if found:
                return found
    finder = _FeedLinkFinder()
    try:
        finder.feed(body[: 512 * 1024].decode("utf-8", errors="replace"))
        finder.close()
    except Exception:  # noqa: BLE001 - a page too broken to read advertises nothing
        return ""
    return canonical_url(urljoin(url, finder.href)) if finder.href else ""
