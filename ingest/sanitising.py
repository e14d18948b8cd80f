"""Turning feed text into what we store: plain text for titles and summaries, allow-listed HTML for
content.

Feed HTML is hostile input shown to editors inside the admin, so content goes through nh3 (the
Rust ammonia sanitiser) with a short allow-list rather than a block-list: anything not listed is
dropped. feedparser's own sanitiser is switched off in parsing.py because nh3 does the job
stricter and faster, and feedparser never sanitises text/plain fields such as titles anyway.
"""

from __future__ import annotations

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

_HTML_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
    # feedparser has already resolved relative links against the feed's URL and xml:base; one
    # still relative would point into this site.
    url_relative="deny",
)
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


def sanitise_html(value: str) -> str:
    """HTML reduced to the allow-list: links only to http, https and mailto, with
    rel="noopener noreferrer nofollow"; no scripts, handlers, styles, frames or images."""
    if not value or not value.strip():
        return ""
    cleaned = _HTML_CLEANER.clean(_CONTROL_CHARS.sub("", value)).strip()
    return cleaned


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
