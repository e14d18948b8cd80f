"""Template filters that show dates, scores and statuses honestly."""

import datetime as dt
from urllib.parse import urlsplit

from django import template

register = template.Library()

# The dashboard is in English (LANGUAGE_CODE en-gb).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@register.filter
def date_with_precision(day: dt.date | None, precision: str = "day") -> str:
    """'26 October 2023', 'October 2023' or '2023': never a day the source did not give."""
    if day is None:
        return ""
    if precision == "year":
        return str(day.year)
    # Built by hand rather than with dateformat: a timeline page formats hundreds of dates.
    month = MONTH_NAMES[day.month - 1]
    if precision == "month":
        return f"{month} {day.year}"
    return f"{day.day} {month} {day.year}"


@register.filter
def event_date(event) -> str:
    """An event's date at the precision its sources give."""
    return date_with_precision(event.date, event.date_precision)


@register.filter
def signed_score(value) -> str:
    """A score with its sign ('+2.1', '−4.0'), or an en dash when there is none."""
    if value is None or value == "":
        return "–"
    number = float(value)
    if abs(number) < 0.05:
        return "0.0"
    # A real minus sign, not a hyphen, reads as a number.
    return f"+{number:.1f}" if number > 0 else f"−{abs(number):.1f}"


@register.filter
def score_class(value) -> str:
    """A CSS class for a score: cooperation, conflict or neutral."""
    if value is None or value == "":
        return "score-none"
    number = float(value)
    if number >= 0.5:
        return "score-coop"
    if number <= -0.5:
        return "score-conflict"
    return "score-neutral"


TREND_LABELS = {"warming": "↗ warming", "cooling": "↘ cooling", "steady": "→ steady"}


@register.filter
def trend_label(trend: str | None) -> str:
    """'↗ warming', '↘ cooling' or '→ steady', as ``net_score()`` reports the trend."""
    return TREND_LABELS.get(trend or "", trend or "")


@register.filter
def external_url(url: str | None) -> str:
    """The URL when it is http(s), else empty: a stored link never runs script when clicked."""
    value = (url or "").strip()
    return value if urlsplit(value).scheme.lower() in ("http", "https") else ""
