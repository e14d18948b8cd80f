"""Canonical article URLs, so one story reached through different links is stored once.

The canonical form drops what changes between two links to the same page without changing the
page: the fragment, tracking parameters, the case of the scheme and host, and a default port.
Everything else (path case, parameter order, other parameters) is kept, because servers may
care about it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters added by newsletters, ad networks and share buttons. They identify the campaign or
# the reader, never the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "yclid",
        "msclkid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "cmp",
        "ocid",
        "smid",
        "sr_share",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "xtor",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")

DEFAULT_PORTS = {"http": 80, "https": 443}

_WHITESPACE = re.compile(r"\s+")


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the canonical form of an http(s) URL, or "" if it is not a usable web link.

    >>> canonical_url("HTTPS://Example.COM:443/a/b?utm_source=x&id=3#top")
    'https://example.com/a/b?id=3'
    """
    # Feeds wrap links across lines; whitespace is never part of a link.
    url = _WHITESPACE.sub("", url or "")
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unparseable netloc or a port out of range
        return ""
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return ""

    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal: urlsplit removed the brackets
        host = f"[{host}]"
    # Rebuilt from the host alone: credentials in a feed link are never part of the article.
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"

    query = parts.query
    if query:
        kept = [
            (name, value)
            for name, value in parse_qsl(query, keep_blank_values=True)
            if not is_tracking_param(name)
        ]
        # Re-encode only when something was removed, so an untouched query keeps its exact
        # spelling (some servers distinguish %20 from +).
        if len(kept) != query.count("&") + 1:
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))
