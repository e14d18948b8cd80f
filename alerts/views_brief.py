"""The monthly brief's pages: /brief/ (the latest complete month) and /brief/YYYY-MM/.

The brief itself is alerts.brief's, published events only and cached; what depends on the
reader is added here: editors also see the month's drafts, which no verdict counts yet.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from alerts import brief as briefs
from relations.models import EARLIEST_EVENT_DATE
from relations.visibility import can_see_drafts
from relwatch.permissions import login_required_if_configured


@login_required_if_configured
def latest_brief(request):
    today = timezone.localdate()
    return _brief_page(request, briefs.latest_complete_month(today), today)


@login_required_if_configured
def month_brief(request, month: str):
    today = timezone.localdate()
    try:
        first = briefs.parse_month(month, today=today)
    except briefs.BadMonth as error:
        context = {"message": str(error), "latest_url": reverse("alerts:brief")}
        return render(request, "alerts/brief_missing.html", context, status=404)
    return _brief_page(request, first, today)


def _brief_page(request, first: dt.date, today: dt.date):
    brief = briefs.monthly_brief(first, today)
    drafts = briefs.month_drafts(first) if can_see_drafts(request.user) else None
    for pair in brief["triangle"] + brief["pairs"]:
        pair["sparkline_svg"] = briefs.sparkline_svg(pair["sparkline"])
        _with_days(pair["drivers"], pair["allegations"])
    _with_days(brief["allegations"], drafts["listed"] if drafts else [])
    previous = briefs.add_months(first, -1)
    following = briefs.add_months(first, 1)
    context = {
        "brief": brief,
        "month_start": first,
        "month_end": briefs.month_end(first),
        "today": today,
        "latest_complete": briefs.latest_complete_month(today),
        "rule": briefs.VERDICT_RULE,
        "previous_url": _month_url(previous) if previous >= EARLIEST_EVENT_DATE else None,
        "next_url": _month_url(following) if following <= today else None,
        "current_url": _month_url(today.replace(day=1)),
        "timeline_url": (
            f"{reverse('dashboard:timeline')}?kind=allegation"
            f"&since={first}&until={briefs.month_end(first)}"
        ),
        "relations_url": (
            f"{reverse('dashboard:relations')}?since={first}"
            f"&until={briefs.month_end(first)}&rollup=1"
        ),
        "drafts": drafts,
    }
    return render(request, "alerts/brief.html", context)


def _month_url(first: dt.date) -> str:
    return reverse("alerts:brief-month", args=[f"{first:%Y-%m}"])


def _with_days(*lists: list[dict]) -> None:
    """Give each listed event its date as a date (the brief holds text), for the template's
    date filters."""
    for items in lists:
        for item in items:
            item["day"] = dt.date.fromisoformat(item["date"])
