"""Template filters that show dates, scores and statuses honestly."""

import datetime as dt
from urllib.parse import urlsplit

from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

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


@register.filter
def field_html(bound):
    """A form field's HTML. Selects are written directly: Django renders every option through
    a template, which for a select of a few hundred actors costs more than the page's
    queries. Other widgets render as usual."""
    widget = bound.field.widget
    choices = list(widget.choices) if isinstance(widget, forms.Select) else []
    if not choices or any(isinstance(label, list | tuple) for _, label in choices):
        return bound.as_widget()  # not a select, or one with option groups
    multiple = widget.allow_multiple_selected
    value = bound.value()
    values = value if multiple and isinstance(value, list | tuple) else [value]
    chosen = {"" if item is None else str(item) for item in values}
    attrs = {**widget.attrs, "name": bound.html_name}
    if bound.auto_id:
        attrs["id"] = bound.auto_id
    if bound.errors:
        attrs["aria-invalid"] = "true"
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (option, " selected" if str(option) in chosen else "", label)
            for option, label in choices
        ),
    )
    return format_html(
        "<select{}{}>{}</select>",
        flatatt(attrs),
        " multiple" if multiple else "",
        options,
    )
