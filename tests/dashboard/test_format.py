"""Template filters: honest dates, signed scores, safe external links."""

import datetime as dt

from dashboard.templatetags.dashboard_format import (
    date_with_precision,
    external_url,
    signed_score,
    trend_label,
)

DAY = dt.date(2023, 10, 26)


def test_a_date_shows_only_as_much_as_its_precision():
    assert date_with_precision(DAY, "day") == "26 October 2023"
    assert date_with_precision(dt.date(2023, 10, 1), "month") == "October 2023"
    assert date_with_precision(dt.date(2023, 1, 1), "year") == "2023"
    assert date_with_precision(None, "day") == ""


def test_scores_are_signed_with_a_real_minus():
    assert signed_score(2.1) == "+2.1"
    assert signed_score(-4) == "−4.0"
    assert signed_score(0.01) == "0.0"
    assert signed_score(None) == "–"


def test_trends_read_as_words():
    assert trend_label("warming") == "↗ warming"
    assert trend_label("cooling") == "↘ cooling"
    assert trend_label("steady") == "→ steady"


def test_only_web_links_are_linked():
    assert external_url("https://example.com/a") == "https://example.com/a"
    assert external_url("javascript:alert(1)") == ""
    assert external_url(" JAVASCRIPT:alert(1)") == ""
    assert external_url("data:text/html,hi") == ""
    assert external_url("") == ""
