"""List rows and selects rendered with Jinja2, for speed.

A timeline page lists 25 events, the inbox 50 articles, and the filters offer a few hundred
actors. Through Django's template engine each event or article row cost a third of a
millisecond and each option of a select several microseconds, which made them the slowest
part of those pages, slower than their queries. Jinja2 compiles a template to Python and
escapes with markupsafe's C code: the same markup renders about ten times faster. The
templates are ``templates/dashboard/rows/*.jinja``; autoescaping is on and what they return is
``markupsafe.Markup``, which Django's templates insert as it is (it is already escaped).

The Django templates call these through ``{% event_items %}``, ``{% article_items %}`` and
``|field_html`` (``dashboard.templatetags``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import jinja2
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import Truncator
from markupsafe import Markup

from dashboard.templatetags.dashboard_format import (
    event_date,
    external_url,
    score_class,
    signed_score,
)
from ingest.relevance import CANDIDATE_KIND_HELP, RELEVANCE_HELP, relevance_bucket


def _allegation(event):
    """An allegation's own row (evidence status), or None: for other kinds, and for an event
    whose row of its kind is missing (Django's templates showed nothing then, too)."""
    if event.kind != "allegation":
        return None
    try:
        return event.allegation
    except ObjectDoesNotExist:
        return None


def _truncatewords(text: str, count: int) -> str:
    """Django's ``truncatewords``: the first ``count`` words, then ' …'."""
    return Truncator(text).words(count, truncate=" …")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=settings.DEBUG,
    )
    env.filters.update(
        allegation=_allegation,
        event_date=event_date,
        external_url=external_url,
        score_class=score_class,
        signed_score=signed_score,
        truncatewords=_truncatewords,
        floatformat=floatformat,
        localtime=timezone.localtime,
        dateformat=dateformat.format,
    )
    return env


def _render(name: str, **context) -> Markup:
    return Markup(environment().get_template(name).render(context))


def url_prefix(viewname: str, example: str | int = 0) -> str:
    """A URL pattern's path before its one argument, reversed once for a whole list or chart
    (reverse() per row was the slowest step of drawing hundreds of links)."""
    return reverse(viewname, args=[example]).removesuffix(f"{example}/")


def event_items(events: Iterable) -> Markup:
    """The ``<li>`` of each event, read as the views' ``_for_lists`` reads them (allegation and
    participants' actors prefetched, ``net_score`` annotated)."""
    return _render(
        "dashboard/rows/events.jinja",
        events=events,
        event_prefix=url_prefix("dashboard:event"),
    )


def article_items(articles: Iterable, *, can_triage: bool, can_see_drafts: bool) -> Markup:
    """The inbox's ``<li>`` for each article (feed, event and mentions' actors prefetched, and
    ``create_event_url`` set when the reader may triage). An editor's Dismiss and Restore
    buttons submit the page's ``triage-form`` (CSRF token and ``next``) to the admin's URLs."""
    return _render(
        "dashboard/rows/articles.jinja",
        articles=articles,
        can_triage=can_triage,
        can_see_drafts=can_see_drafts,
        event_prefix=url_prefix("dashboard:event"),
        actor_prefix=url_prefix("dashboard:actor", "a0"),
        change_prefix=reverse("admin:ingest_article_change", args=[0]).removesuffix("0/change/"),
        relevance_bucket=relevance_bucket,
        relevance_help=RELEVANCE_HELP,
        candidate_kind_help=CANDIDATE_KIND_HELP,
    )


def select(attrs: str, choices: Iterable[tuple[object, object]], chosen: set[str], multiple: bool):
    """A ``<select>`` with ``attrs`` (from ``flatatt``) and its options, ``chosen`` selected."""
    return _render(
        "dashboard/rows/select.jinja",
        attrs=attrs,
        choices=choices,
        chosen=chosen,
        multiple=multiple,
    )
