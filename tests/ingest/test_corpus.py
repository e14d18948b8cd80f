"""Every file of the shared corpus (feedparser's test feeds and captured news feeds) goes
through parse and store without an unhandled exception (bench/corpus.py prints the counts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from ingest.models import Article, Feed
from ingest.parsing import NotAFeed
from ingest.pipeline import import_snapshot

CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"
HEADER_LINE = re.compile(rb"^Header:\s*([^:\r\n]+):\s*(.+?)\s*$", re.MULTILINE)


def corpus_files() -> list:
    if not (CORPUS / "feedparser" / "SELECTION.tsv").exists():
        reason = f"the shared feed corpus is not at {CORPUS}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
    paths = [
        CORPUS / "feedparser" / line.split("\t", 1)[1].strip()
        for line in (CORPUS / "feedparser" / "SELECTION.tsv").read_text().splitlines()
        if line.strip()
    ]
    paths += sorted(path for path in (CORPUS / "realworld").iterdir() if path.is_file())
    return [pytest.param(path, id=path.relative_to(CORPUS).as_posix()) for path in paths]


def content_type_for(path: Path, body: bytes) -> str:
    """The Content-Type a feedparser test file simulates in its comment, or a feed type."""
    for name, value in HEADER_LINE.findall(body[:4096]):
        if name.strip().lower() == b"content-type":
            return value.decode("latin-1")
    return "application/rdf+xml" if path.suffix == ".rdf" else "application/rss+xml"


@pytest.mark.django_db
@pytest.mark.parametrize("path", corpus_files())
def test_every_corpus_file_is_stored_or_clearly_refused(path):
    body = path.read_bytes()
    feed = Feed.objects.create(url=f"http://127.0.0.1:8097/{path.relative_to(CORPUS)}")

    try:
        result = import_snapshot(feed, body, content_type_for(path, body))
    except NotAFeed as exc:
        assert str(exc).startswith("not a feed")
        assert not Article.objects.filter(feed=feed).exists()
        return

    articles = list(Article.objects.filter(feed=feed))
    assert len(articles) == result.new + result.duplicates <= result.seen
    for article in articles:
        for text in (article.title, article.summary, article.content):
            assert "<script" not in text.lower()
