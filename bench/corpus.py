"""Run every file of the shared feed corpus through ingestion's parse-and-store path.

The corpus (``../shared/corpus/`` beside the checkout) holds feedparser's own test files,
by category, and captured real-world news feeds. Each file is imported into a throwaway feed
with ``ingest.pipeline.import_snapshot`` — the same parse and store steps as a fetch — on a
freshly migrated database named after DATABASE_URL's (``..._bench_corpus``).

Per category it prints how many files were stored (ok), refused as not a feed (not-a-feed),
or refused with another clear error (error-handled); any other exception is a bug, is listed
with its traceback, and makes the script exit with status 1.

Usage: python bench/corpus.py [--corpus PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

from common import ROOT, report, setup_django

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
# feedparser's test files simulate HTTP headers in a leading comment ("Header: Name: value").
HEADER_LINE = re.compile(rb"^Header:\s*([^:\r\n]+):\s*(.+?)\s*$", re.MULTILINE)
# The content types a server would most likely send for files of each kind.
DEFAULT_TYPES = {".rdf": "application/rdf+xml", ".json": "application/feed+json"}
# The document URI feedparser's base and http tests expect.
FEEDPARSER_BASE = "http://127.0.0.1:8097/"
OUTCOMES = ("ok", "not-a-feed", "error-handled", "unhandled")


def corpus_files(corpus: Path) -> list[tuple[str, Path]]:
    """(category, path) for every file: feedparser's by SELECTION.tsv, then realworld/."""
    files = []
    selection = corpus / "feedparser" / "SELECTION.tsv"
    for line in selection.read_text().splitlines():
        if line.strip():
            category, relative = line.split("\t", 1)
            files.append((category, corpus / "feedparser" / relative.strip()))
    for path in sorted((corpus / "realworld").iterdir()):
        if path.is_file():
            files.append(("realworld", path))
    return files


def content_type_for(path: Path, body: bytes) -> str:
    for name, value in HEADER_LINE.findall(body[:4096]):
        if name.strip().lower() == b"content-type":
            return value.decode("latin-1")
    return DEFAULT_TYPES.get(path.suffix, "application/rss+xml")


def import_file(path: Path, corpus: Path, number: int) -> tuple[str, int, str]:
    """(outcome, articles stored, detail) for one file, on a throwaway feed."""
    from ingest.models import Article, Feed
    from ingest.parsing import NotAFeed
    from ingest.pipeline import import_snapshot

    body = path.read_bytes()
    relative = path.relative_to(corpus).as_posix()
    feed = Feed.objects.create(url=f"{FEEDPARSER_BASE}{number}/{relative}"[:2000])
    try:
        result = import_snapshot(feed, body, content_type_for(path, body))
        stored = Article.objects.filter(feed=feed).count()
        assert stored == result.new + result.duplicates, (stored, result)
        return "ok", stored, ""
    except NotAFeed as exc:
        return "not-a-feed", 0, str(exc)
    except ValueError as exc:
        return "error-handled", 0, f"{type(exc).__name__}: {exc}"
    except Exception:
        return "unhandled", 0, traceback.format_exc()
    finally:
        feed.delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", action="store_true", help="one line per file")
    options = parser.parse_args()
    corpus = options.corpus.resolve()
    if not (corpus / "feedparser" / "SELECTION.tsv").exists():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2

    setup_django("corpus")
    counts: dict[str, Counter] = defaultdict(Counter)
    articles: Counter = Counter()
    unhandled: list[tuple[str, str]] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    for number, (category, path) in enumerate(corpus_files(corpus)):
        began = time.perf_counter()
        outcome, stored, detail = import_file(path, corpus, number)
        took = time.perf_counter() - began
        slowest = max(slowest, (took, path.relative_to(corpus).as_posix()))
        counts[category][outcome] += 1
        articles[category] += stored
        if outcome == "unhandled":
            unhandled.append((str(path), detail))
        if options.verbose:
            print(f"{outcome:13} {stored:4} {path.relative_to(corpus)} {detail[:120]}")

    width = max(len(category) for category in counts)
    print(f"{'category':{width}}  " + "  ".join(f"{o:>13}" for o in OUTCOMES) + "  articles")
    for category in sorted(counts):
        cells = "  ".join(f"{counts[category][o]:>13}" for o in OUTCOMES)
        print(f"{category:{width}}  {cells}  {articles[category]:>8}")
    totals = sum(counts.values(), Counter())
    cells = "  ".join(f"{totals[o]:>13}" for o in OUTCOMES)
    print(f"{'total':{width}}  {cells}  {sum(articles.values()):>8}")
    report("files", sum(totals.values()))
    report("seconds", time.perf_counter() - started)
    report("slowest_file", f"{slowest[1]} ({slowest[0]:.3f} s)")
    for path, detail in unhandled:
        print(f"\nUNHANDLED {path}\n{detail}", file=sys.stderr)
    return 1 if unhandled else 0


if __name__ == "__main__":
    sys.exit(main())
