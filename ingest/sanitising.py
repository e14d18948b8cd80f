"""Turning feed text into what we store: plain text for titles and summaries, allow-listed HTML for
content.

Feed HTML is hostile input shown to editors inside the admin, so content goes through nh3 (the
Rust ammonia sanitiser) with a short allow-list rather than a block-list: anything not listed is
dropped. feedparser's own sanitiser and relative-link resolver are switched off in parsing.py
because nh3 does both jobs stricter and faster in one pass, and feedparser never sanitises
text/plain fields such as titles anyway.
"""

from __future__ import annotations

import functools
import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "em",
        "figcaption",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "ul",
    }
)
# No <img>: a remote image in the inbox would load from the publisher as soon as an editor opens
# the article, leaking who reads it (tracking pixels) and breaking the site's img-src policy.
# No style or class: feed CSS has no business in our pages and is a known injection vector.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Elements whose *content* goes too, not only the tags: code, embedded documents and form
# controls are never article text.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "textarea",
        "select",
    }
)

_HTML_OPTIONS = {
    "tags": set(ALLOWED_TAGS),
    "clean_content_tags": set(DROPPED_WITH_CONTENT),
    "attributes": {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    "url_schemes": set(ALLOWED_URL_SCHEMES),
    "link_rel": LINK_REL,
    "strip_comments": True,
}
# Without a base, a link still relative would point into this site: it is dropped.
_HTML_CLEANER = nh3.Cleaner(**_HTML_OPTIONS, url_relative="deny")
MAX_BASE_URL = 2000
_TEXT_CLEANER = nh3.Cleaner(
    tags=set(),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={},
    strip_comments=True,
    link_rel=None,
)

# NUL is refused by PostgreSQL; the other C0 controls (bar tab and newlines) are never text.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP_HINT = re.compile(r"[<&]")
# Block-level ends become spaces, so "<p>One</p><p>Two</p>" reads "One Two", not "OneTwo".
_BLOCK_BREAK = re.compile(
    r"<(?:br|/p|/div|/li|/h[1-6]|/tr|/td|/th|/blockquote|/pre|hr)\b[^>]*>", re.IGNORECASE
)


def plain_text(value: str, *, max_length: int | None = None) -> str:
    """Tags stripped (with the content of script, style and the like), entities unescaped,
    whitespace collapsed to single spaces."""
    if not value:
        return ""
    value = _CONTROL_CHARS.sub("", value)
    if _MARKUP_HINT.search(value):
        value = _BLOCK_BREAK.sub(" ", value)
        value = html.unescape(_TEXT_CLEANER.clean(value))
    text = " ".join(value.split())
    if max_length is not None and len(text) > max_length:
        text = truncate(text, max_length)
    return text


def sanitise_html(value: str, *, base_url: str = "") -> str:
    """HTML reduced to the allow-list: links only to http, https and mailto, with
    rel="noopener noreferrer nofollow"; no scripts, handlers, styles, frames or images.

    Relative links are resolved against ``base_url`` (the entry's xml:base or the feed's URL)
    when it is an http(s) URL, and dropped otherwise. Resolving here, in the same pass,
    replaces feedparser's resolver, which parses every entry's HTML once more in Python."""
    if not value or value.isspace():
        return ""
    cleaner = _cleaner_for(base_url) if base_url else _HTML_CLEANER
    return cleaner.clean(_CONTROL_CHARS.sub("", value)).strip()


@functools.lru_cache(maxsize=64)
def _cleaner_for(base_url: str) -> nh3.Cleaner:
    """A cleaner that resolves relative links against ``base_url``; a feed's entries share
    one base, so building one per base (about 0.1 ms) is paid once per feed."""
    if len(base_url) > MAX_BASE_URL or not base_url.lower().startswith(("http://", "https://")):
        return _HTML_CLEANER
    try:
        return nh3.Cleaner(**_HTML_OPTIONS, url_relative=("rewrite_with_base", base_url))
    except ValueError:  # a base nh3 cannot read as a URL: links stay unresolved, and go
        return _HTML_CLEANER


def text_as_html(value: str) -> str:
    """A text/plain body shown as HTML: escaped, paragraphs kept."""
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", value)]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)


def truncate(text: str, max_length: int) -> str:
    """Cut at a word boundary when there is one near the end, with an ellipsis."""
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    space = cut.rfind(" ")
    if space > max_length * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"
