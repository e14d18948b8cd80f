"""The benchmarks still run end to end and check what they measure: bench/pages.py and
bench/load.py on tiny sizes (their figures are meaningless here; that they run, find every
page's content and report every figure is what counts)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

PAGES = (
    "overview",
    "timeline_actor",
    "timeline_search",
    "relations_graph",
    "dyad_page",
    "article_inbox",
    "api_events",
    "api_dyads",
    "api_graph",
)


def run_bench(script: str, *args: str) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return dict(re.findall(r"^([a-z0-9_]+): (.+)$", result.stdout, re.M))


def test_the_pages_benchmark_reports_every_figure_for_every_page():
    figures = run_bench(
        "pages.py", "--full-articles", "20000", "--full-events", "20000", "--runs", "1"
    )
    for page in PAGES:
        for figure in ("scale", "overhead", "overhead_cold", "overhead_warm_sql"):
            assert float(figures[f"{figure}_{page}"]) > 0, (figure, page)
        small, full = figures[f"queries_{page}"].split(" -> ")
        assert small == full, f"{page}: {small} queries at 1%, {full} at full size"


def test_the_load_test_holds_a_rate_with_ingestion_running_and_no_errors():
    figures = run_bench(
        "load.py", "--rate", "4", "--seconds", "8", "--articles", "2000", "--events", "400"
    )
    assert int(figures["requests"]) >= 20
    assert int(figures["errors"]) == 0
    assert int(figures["feed_fetches_during_load"]) > 0
    assert int(figures["articles_ingested_during_load"]) > 0
