"""List rows and selects rendered with Jinja2, for speed.

A timeline page lists 25 events, the inbox 50 articles, and the filters offer a few hundred
actors. Through Django's template engine each event or article row cost a third of a
millisecond and each option of a select several microseconds, which made them the slowest
part of those pages, slower than their queries. Jinja2 compiles a template to Python and
escapes with markupsafe's C code: the same markup renders about ten times faster. The
templates are ``templates/dashboard/rows/*.jinja``, loaded by the ``jinja2`` engine of
``settings.TEMPLATES`` (its environment is :func:`environment`); autoescaping is on and what
they return is ``markupsafe.Markup``, which Django's templates insert as it is (it is already
escaped).

The Django templates call these through ``{% event_items %}``, ``{% article_items %}`` and
``|field_html`` (``dashboard.templatetags``).
"""

from __future__ import annotations

from collections.abc import Iterable

import jinja2
from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.forms.utils import flatatt
from django.template import engines
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
from relations.categories import Category
from relations.models import Event


def _allegation(event):
    """An allegation's own row (evidence status), or None: for other kinds, and for an event
    whose row of its kind is missing (Django's templates showed nothing then, too)."""
    if event.kind != "allegation":
        return None
    try:
        return event.allegation
    except ObjectDoesNotExist:
        return None


def _action(event):
    """An action's own row (means, casualties), or None, as ``_allegation``."""
    if event.kind != "action":
        return None
    try:
        return event.action
    except ObjectDoesNotExist:
        return None


def _truncatewords(text: str, count: int) -> str:
    """Django's ``truncatewords``: the first ``count`` words, then ' …'."""
    return Truncator(text).words(count, truncate=" …")


def environment(**options) -> jinja2.Environment:
    """The ``jinja2`` engine's environment (``settings.TEMPLATES``): Django's options (loader,
    autoescape, auto_reload) with a misspelt name failing loudly instead of rendering as empty,
    and the rows' own whitespace control."""
    options.update(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env = jinja2.Environment(**options)
    env.filters.update(
        allegation=_allegation,
        action=_action,
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
    return Markup(engines["jinja2"].get_template(name).render(context))


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


def story_items(stories: Iterable, *, story_url) -> Markup:
    """The ``<li>`` of each pending story of the machine-coded layer, read as
    ``dashboard.summaries.machine_rows`` reads them (actors, ``score`` and ``evidence`` set):
    a "machine-coded, unreviewed" badge that opens its evidence (``story_url(id)``), and its
    best evidence sentence with the article it came from."""
    return _render(
        "dashboard/rows/stories.jinja",
        stories=stories,
        story_url=story_url,
        actor_prefix=url_prefix("dashboard:actor", "a0"),
        kind_labels=dict(Event.Kind.choices),
        category_labels=dict(Category.choices),
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


def select_html(bound) -> Markup | None:
    """A select of options without groups as Django's own widget renders it, written by
    ``select.jinja``: Django renders each option through a template, which for a select of 200
    actors costs about 20 ms with its template engine and 8 ms with its Jinja2 form renderer
    (more than the page's queries), against 1 ms here. This copies the widget's attributes
    (with required, disabled and the aria ones) and chosen options (as the widget formats the
    value: a NullBooleanSelect's True is "true"); test_rows holds it equal to Django's
    rendering for every select on the pages. None for other widgets and option groups: Django
    renders those itself."""
    widget = bound.field.widget
    choices = list(widget.choices) if isinstance(widget, forms.Select) else []
    if not choices or any(isinstance(label, list | tuple) for _, label in choices):
        return None
    # As BoundField.as_widget and Widget.build_attrs put them together.
    attrs = {**widget.attrs, **bound.build_widget_attrs({}, widget), "name": bound.html_name}
    if bound.auto_id and "id" not in widget.attrs:
        attrs["id"] = bound.auto_id
    chosen = widget.format_value(bound.value())  # a list; one string for NullBooleanSelect
    return _render(
        "dashboard/rows/select.jinja",
        attrs=flatatt(attrs),
        choices=choices,
        chosen={chosen} if isinstance(chosen, str) else set(chosen),
        multiple=widget.allow_multiple_selected,
    )
