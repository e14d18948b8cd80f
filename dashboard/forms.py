"""Forms that belong to the pages only: the window of the relationship charts, a pair's
bucket and period, how the timeline is drawn, and which page of a list to show.

The model filters (events, articles, actors) live in ``dashboard.filters`` and serve the API
too; these forms hold what only a page needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict

from dashboard.templatetags.dashboard_format import date_with_precision

ROLLUP_CHOICES = [
    ("1", "Roll people up to their organisation or state"),
    ("0", "Show people as themselves"),
]
BUCKET_CHOICES = [("week", "Weekly"), ("month", "Monthly")]
LANE_CHOICES = [("kind", "One lane per kind"), ("actor", "One lane per actor")]
ISO_DATE = ["%Y-%m-%d"]
WINDOW_PRESETS = [(30, "30 days"), (90, "90 days"), (365, "1 year"), (None, "All time")]


def with_defaults(query: QueryDict, form_class: type[forms.Form]) -> QueryDict:
    """The query with each missing field set to its initial value, so the form shows (and
    the page uses) the default a reader did not choose: "Monthly", "Roll people up"."""
    data = query.copy()
    for name, field in form_class.base_fields.items():
        if name not in data and field.initial not in (None, ""):
            data[name] = field.initial
    return data


def parse_iso_date(value: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None: what every date filter accepts (``ISO_DATE``)."""
    try:
        return dt.datetime.strptime(value, ISO_DATE[0]).date()
    except (TypeError, ValueError):
        return None


class KeepsBadDates:
    """A form mixin that shows a date the reader typed wrong as typed.

    A browser empties an ``<input type="date">`` whose value is not a real date, so the
    field beside the message "Enter a valid date" would look blank. After cleaning, such a
    field is drawn as a text input holding what was sent (for this form only: Django copies
    the fields and their widgets for each form)."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            field = self.fields.get(name)
            widget = getattr(field, "widget", None)
            if not isinstance(widget, forms.DateInput) or widget.input_type != "date":
                continue
            if parse_iso_date(self[name].value() or "") is None:
                widget.input_type = "text"
                widget.attrs["placeholder"] = "YYYY-MM-DD"


MACHINE_LABEL = "Include machine-coded, unreviewed"
MACHINE_CHOICES = [("1", "on"), ("0", "off"), ("true", "on"), ("false", "off")]


class MachineSwitch(forms.CheckboxInput):
    """A checkbox that sends ``machine=1`` and hands its field what was sent: Django's own
    reads any string but "false" as ticked, so a made-up value would pass as "on" where every
    other filter refuses it (400)."""

    # For the active filters' line ("… machine-coded, unreviewed: on"), as a select's options.
    choices = MACHINE_CHOICES

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"data-autosubmit": "true", **(attrs or {})},
            check_test=lambda value: value in ("1", "true"),
        )

    def format_value(self, value):
        return "1"

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class MachineLayerForm(forms.Form):
    """The switch that adds the machine-coded layer (pending stories, coding.layer) to a page,
    drawn apart from the curated events. Off unless asked; kept in the URL as ``machine=1``."""

    machine = forms.TypedChoiceField(
        label=MACHINE_LABEL,
        choices=MACHINE_CHOICES,
        coerce=lambda value: value in ("1", "true"),
        required=False,
        empty_value=False,
        initial="0",
        widget=MachineSwitch,
        help_text="Stories the coder found in the news that no editor has reviewed yet: drawn "
        "apart (hollow markers), never counted in the curated figures.",
    )

    def machine_query(self) -> dict[str, str]:
        """The switch as URL parameters, for the links that carry it (empty when off)."""
        return {"machine": "1"} if self.cleaned_data.get("machine") else {}


class PageForm(forms.Form):
    """Which page of a list: a positive whole number, and not past the last page."""

    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class DateRangeForm(KeepsBadDates, forms.Form):
    """Refuses a range that ends before it starts (and shows a mistyped date as typed)."""

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must not be before the start date.")
        return cleaned


class WindowForm(DateRangeForm):
    """A date window and whether people are rolled up: the relationship pages, and (with the
    API's own roll-up default) the graph, heatmap and dyad endpoints."""

    since = forms.DateField(
        label="From",
        required=False,
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day (empty: from the first event).",
    )
    until = forms.DateField(
        label="Until",
        required=False,
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day (empty: up to today).",
    )
    rollup = forms.TypedChoiceField(
        label="People",
        choices=ROLLUP_CHOICES,
        coerce=lambda value: value == "1",
        required=False,
        empty_value=True,
        initial="1",
        widget=forms.Select(attrs={"data-autosubmit": "true"}),
    )

    def window(self) -> dict:
        """The keyword arguments the analytics functions take."""
        return {
            "since": self.cleaned_data.get("since"),
            "until": self.cleaned_data.get("until"),
            "rollup": self.cleaned_data.get("rollup", True),
        }

    def query(self, **changes) -> dict[str, str]:
        """The window as URL parameters, e.g. for the links a chart's points open."""
        data = {**self.window(), **changes}
        params = {"rollup": "1" if data["rollup"] else "0"}
        for key in ("since", "until"):
            if data.get(key):
                params[key] = data[key].isoformat()
        return params


class RelationsForm(WindowForm, MachineLayerForm):
    """The relations page: a window, the roll-up and the machine-coded layer, which the
    links to other relationship pages carry too."""

    def query(self, **changes) -> dict[str, str]:
        return {**super().query(**changes), **self.machine_query()}


class OverviewForm(MachineLayerForm):
    """The overview has one choice: the machine-coded layer."""


class PairForm(RelationsForm, PageForm):
    """A pair's series: weekly or monthly buckets, and optionally one period to list."""

    # A week's period is no month's: a link that drops the bucket drops the period too.
    dropped_with = {"bucket": ("period",)}

    bucket = forms.ChoiceField(
        label="Series",
        choices=BUCKET_CHOICES,
        required=False,
        initial="month",
        widget=forms.Select(attrs={"data-autosubmit": "true"}),
    )
    period = forms.DateField(
        required=False,
        input_formats=ISO_DATE,
        widget=forms.HiddenInput,
        help_text="First day of the week or month whose events to list.",
    )

    def clean_bucket(self) -> str:
        return self.cleaned_data.get("bucket") or "month"

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period and data.get("bucket") == "month" and period.day != 1:
            self.add_error("period", "A month starts on its first day.")
        elif period:
            try:
                self.period_bounds()
            except OverflowError:
                # The week of 9999-12-27 ends in a year Python's dates do not have.
                self.add_error("period", "That period ends after the last date there can be.")
        return data

    def period_bounds(self) -> tuple[dt.date, dt.date] | None:
        """First and last day of the chosen period, or None when none is chosen."""
        start = self.cleaned_data.get("period")
        if not start:
            return None
        if self.cleaned_data.get("bucket") == "week":
            start = start - dt.timedelta(days=start.weekday())
            return start, start + dt.timedelta(days=6)
        next_month = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return start, next_month - dt.timedelta(days=1)


class TimelineChartForm(PageForm, MachineLayerForm):
    """How the timeline's chart is drawn, and whether the machine-coded layer joins it."""

    lanes = forms.ChoiceField(
        choices=LANE_CHOICES,
        required=False,
        initial="kind",
        widget=forms.Select(attrs={"data-autosubmit": "true"}),
    )

    def clean_lanes(self) -> str:
        return self.cleaned_data.get("lanes") or "kind"


# --- The line that sums up the active filters ---------------------------------------------------


@dataclass(frozen=True)
class ActiveValue:
    text: str
    drop_url: str


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    label: str
    values: tuple[ActiveValue, ...]


@dataclass(frozen=True)
class FilterSummary:
    filters: tuple[ActiveFilter, ...]
    clear_url: str

    def __bool__(self) -> bool:
        return bool(self.filters)

    def __len__(self) -> int:
        return len(self.filters)


def _choice_labels(field: forms.Field) -> dict[str, str]:
    """A choice field's labels by value, from choices already in memory. Model choices that
    the view did not list (``views._listed_choices``) would cost a query: they show as sent."""
    choices = getattr(field.widget, "choices", None)
    if not choices or isinstance(choices, ModelChoiceIterator):
        return {}
    return {str(value): str(label) for value, label in choices}


def _shown(field: forms.Field, value: str, labels: dict[str, str]) -> str:
    """A filter's value as the lists show such values: choices by label, dates as the event
    rows write them ("1 October 2023"), words in quotes; anything unreadable as sent."""
    if value in labels:
        return labels[value]
    if isinstance(field, forms.DateField):
        day = parse_iso_date(value)
        return date_with_precision(day) if day else value
    if isinstance(field, forms.CharField) and not isinstance(field, forms.ChoiceField):
        return f"“{value}”"
    return value


def _url(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def filter_summary(form: forms.Form, query: QueryDict, path: str) -> FilterSummary:
    """The filters a reader chose in ``query``, each value with a link to ``path`` without it.

    Read from the query rather than the cleaned data, so a value the form refused is listed
    too (and can be dropped). Empty values and a field's default (``initial``: "any of these
    actors") are no filter. Every link leaves out the page number: with fewer filters the
    list is longer, and page 3 of the old list means nothing in it. A form's ``dropped_with``
    names the parameters that mean nothing without another one."""
    dropped_with = getattr(form, "dropped_with", {})
    params = [
        (name, value)
        for name, values in query.lists()
        for value in values
        if value != "" and name != "page"
    ]
    filters = []
    for bound in form:
        field = bound.field
        default = "" if field.initial is None else str(field.initial)
        chosen = [value for name, value in params if name == bound.html_name and value != default]
        if not chosen:
            continue
        labels = _choice_labels(field)
        values = []
        for value in dict.fromkeys(chosen):  # each value once, in the order given
            dependent = dropped_with.get(bound.html_name, ())
            rest = [
                (name, v)
                for name, v in params
                if (name, v) != (bound.html_name, value) and name not in dependent
            ]
            values.append(ActiveValue(_shown(field, value, labels), _url(path, rest)))
        filters.append(ActiveFilter(bound.html_name, str(bound.label), tuple(values)))
    names = {bound.html_name for bound in form}
    kept = [(name, value) for name, value in params if name not in names]
    return FilterSummary(tuple(filters), _url(path, kept))
