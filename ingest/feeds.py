"""Adding a feed: one function behind the command, the admin and the API, so every door
applies the same address guard."""

from __future__ import annotations

from ingest.fetching import UnsafeURL, validate_feed_url
from ingest.models import Feed

__all__ = ["DuplicateFeed", "UnsafeURL", "add_feed"]


class DuplicateFeed(ValueError):
    def __init__(self, feed: Feed) -> None:
        super().__init__(f"this feed is already being polled (feed #{feed.pk}: {feed})")
        self.feed = feed


def add_feed(url: str, title: str = "", *, resolve: bool = True) -> Feed:
    """Create a feed after checking its URL (UnsafeURL) and that it is new (DuplicateFeed).

    ``resolve=False`` skips the DNS lookup, for loading curated feeds without a network; each
    fetch checks the resolved addresses anyway."""
    url = validate_feed_url(url, resolve=resolve)
    max_length = Feed._meta.get_field("url").max_length
    if len(url) > max_length:
        raise UnsafeURL(f"the URL is longer than {max_length} characters")
    existing = Feed.objects.filter(url=url).first()
    if existing is not None:
        raise DuplicateFeed(existing)
    return Feed.objects.create(url=url, title=title.strip()[:300])
