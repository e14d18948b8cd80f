"""Forms that belong to the pages only: the window of the relationship charts, a pair's
bucket and period, how the timeline is drawn, and which page of a list to show.

The model filters (events, articles, actors) live in ``dashboard.filters`` and serve the API
too; these forms hold what only a page needs.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import QueryDict

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


class PageForm(forms.Form):
    """Which page of a list: a positive whole number, and not past the last page."""

    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class WindowForm(forms.Form):
    """A date window and whether people are rolled up, for the relationship charts."""

    since = forms.DateField(
        required=False,
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day (empty: from the first event).",
    )
    until = forms.DateField(
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

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The last day must not be before the first day.")
        return data

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


class PairForm(WindowForm, PageForm):
    """A pair's series: weekly or monthly buckets, and optionally one period to list."""

    bucket = forms.ChoiceField(
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
        return data

    def period_bounds(self) -> tuple[dt.date, dt.date] | None:
        """First and last day of the chosen period, or None when none is chosen."""
        start = self.cleaned_data.get("period")
        if not start:
            return None
        if self.cleaned_data["bucket"] == "week":
            start = start - dt.timedelta(days=start.weekday())
            return start, start + dt.timedelta(days=6)
        next_month = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return start, next_month - dt.timedelta(days=1)


class TimelineChartForm(PageForm):
    """How the timeline's chart is drawn."""

    lanes = forms.ChoiceField(
        choices=LANE_CHOICES,
        required=False,
        initial="kind",
        widget=forms.Select(attrs={"data-autosubmit": "true"}),
    )

    def clean_lanes(self) -> str:
        return self.cleaned_data.get("lanes") or "kind"
