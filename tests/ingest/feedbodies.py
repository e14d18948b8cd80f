"""Feed bodies and loopback-server handlers shared by the fetch-path tests."""

from __future__ import annotations

import functools
import time
import zlib
from collections.abc import Iterator
from xml.sax.saxutils import escape

from werkzeug import Response

RSS_TYPE = "application/rss+xml; charset=utf-8"


def rss(
    items: list[dict], *, title: str = "Test feed", link: str = "https://news.example.com/"
) -> bytes:
    """An RSS 2.0 document; each item is a dict with guid, title, link, description, date."""
    parts = []
    for number, item in enumerate(items):
        guid = item.get("guid", f"urn:test:{number}")
        parts.append(
            "<item>"
            f'<guid isPermaLink="false">{escape(guid)}</guid>'
            f"<title>{escape(item.get('title', f'Story {number}'))}</title>"
            f"<link>{escape(item.get('link', f'https://news.example.com/story-{number}'))}</link>"
            f"<description>{escape(item.get('description', 'Officials met.'))}</description>"
            f"<pubDate>{item.get('date', 'Thu, 26 Oct 2023 12:00:00 GMT')}</pubDate>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<rss version="2.0"><channel><title>{escape(title)}</title><link>{escape(link)}</link>'
        f"<language>en</language>{''.join(parts)}</channel></rss>"
    ).encode()


def stories(count: int, *, prefix: str = "story") -> bytes:
    return rss(
        [
            {
                "guid": f"urn:{prefix}:{n}",
                "title": f"{prefix.title()} {n}",
                "link": f"https://news.example.com/{prefix}-{n}",
            }
            for n in range(count)
        ]
    )


def endless_body(total_bytes: int, chunk_size: int = 64 * 1024) -> Response:
    """A streamed response of ``total_bytes`` that never exists in memory at once."""
    chunk = b"<!-- " + b"x" * (chunk_size - 9) + b" -->"

    def generate() -> Iterator[bytes]:
        sent = 0
        while sent < total_bytes:
            yield chunk
            sent += len(chunk)

    return Response(generate(), content_type=RSS_TYPE, direct_passthrough=True)


def trickle(byte_count: int, interval: float = 1.0) -> Response:
    """One byte of a feed per ``interval`` seconds: no single read ever waits long."""
    body = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b" " * byte_count

    def generate() -> Iterator[bytes]:
        for position in range(byte_count):
            yield body[position : position + 1]
            time.sleep(interval)

    return Response(generate(), content_type=RSS_TYPE, direct_passthrough=True)


def gzip_of_zeros(size: int) -> bytes:
    """A gzip body that inflates to ``size`` zero bytes (1 GB → about 1 MB), built in chunks."""
    # Run-length strategy: as small as level 9 for zeros, and several times faster.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9, zlib.Z_RLE)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


@functools.cache
def gzip_bomb() -> bytes:
    """1 GB of zeros as a gzip body of about 1 MB, built once per test run."""
    return gzip_of_zeros(1 << 30)
