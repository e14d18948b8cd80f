"""Exports: events as CSV (the timeline's filters) and as an Atom feed for subscribers."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from functools import wraps
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from dashboard.filters import EventFilter, published_events_for
from relations.models import (
    Actor,
    Event,
    Interaction,
    Participant,
    Source,
    independent_outlets,
)

CSV_COLUMNS = [
    "id",
    "kind",
    "date",
    "date_precision",
    "title",
    "category",
    "status",
    "participants",
    "net_score",
    "sources",
    "independent_outlets",
    "url",
]
CSV_CHUNK = 1000
ATOM_ENTRIES = 50
# A cell starting with one of these is a formula to a spreadsheet: "=HYPERLINK(...)" in a
# title must stay text when an analyst opens the export.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def login_required_if_configured(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.DASHBOARD_LOGIN_REQUIRED and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def bad_request(errors) -> HttpResponseBadRequest:
    lines = [f"{field}: {' '.join(messages)}" for field, messages in errors.items()]
    return HttpResponseBadRequest(
        "Invalid parameters.\n" + "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """csv.writer writes into this and gets the line back, so rows stream one by one."""

    def write(self, value: str) -> str:
        return value


class _SourceRef(NamedTuple):
    url: str
    outlet: str


def export_rows(events: QuerySet[Event], base_url: str) -> Iterator[list]:
    """The header, then one row per event, read in batches with their parts.

    Plain values rather than model instances with prefetches: an export may hold every
    event, and building objects costs ten times more than the rows themselves.
    """
    yield CSV_COLUMNS
    # The ids in order first (one query, a few MB for the whole archive), then the rows in
    # batches by primary key: every batch costs the same whatever the filters, where a
    # server-side cursor or keyset pages would re-plan the filtered query each time.
    ids = list(events.order_by("-date", "-id").values_list("id", flat=True))
    columns = ("id", "kind", "date", "date_precision", "title", "category", "status")
    for start in range(0, len(ids), CSV_CHUNK):
        batch_ids = ids[start : start + CSV_CHUNK]
        by_id = {
            row[0]: row for row in Event.objects.filter(pk__in=batch_ids).values_list(*columns)
        }
        batch = [by_id[event_id] for event_id in batch_ids if event_id in by_id]
        yield from _batch_rows(batch, base_url)


def _batch_rows(batch: list[tuple], base_url: str) -> Iterator[list]:
    ids = [row[0] for row in batch]
    participants: dict[int, list[str]] = defaultdict(list)
    for event_id, slug in (
        Participant.objects.filter(event_id__in=ids)
        .order_by("id")
        .values_list("event_id", "actor__slug")
    ):
        participants[event_id].append(slug)
    scores = dict(
        Interaction.objects.filter(event_id__in=ids)
        .order_by()
        .values("event_id")
        .annotate(total=Sum("score"))
        .values_list("event_id", "total")
    )
    sources: dict[int, list[_SourceRef]] = defaultdict(list)
    for event_id, url, outlet in (
        Source.objects.filter(event_id__in=ids)
        .order_by("id")
        .values_list("event_id", "url", "outlet")
    ):
        sources[event_id].append(_SourceRef(url, outlet))
    event_path = reverse("dashboard:event", args=[0]).rsplit("0/", 1)[0]
    for event_id, kind, date, precision, title, category, status in batch:
        event_sources = sources.get(event_id, [])
        yield [
            event_id,
            kind,
            date.isoformat(),
            precision,
            safe_cell(title),
            category,
            status,
            ";".join(participants.get(event_id, [])),
            round(scores.get(event_id) or 0.0, 3),
            len(event_sources),
            independent_outlets(event_sources),
            f"{base_url}{event_path}{event_id}/",
        ]


@login_required_if_configured
def events_csv(request):
    filterset = EventFilter(
        request.GET, queryset=published_events_for(request.user), request=request
    )
    if not filterset.is_valid():
        return bad_request(filterset.errors)
    writer = csv.writer(_Echo())
    base_url = request.build_absolute_uri("/").rstrip("/")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in export_rows(filterset.qs, base_url)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="relwatch-events.csv"'
    return response


class AtomSelectionForm(forms.Form):
    """Which events a subscriber follows: all, one actor's, or one pair's."""

    actor = forms.ModelChoiceField(Actor.objects.all(), to_field_name="slug", required=False)
    a = forms.ModelChoiceField(Actor.objects.all(), to_field_name="slug", required=False)
    b = forms.ModelChoiceField(Actor.objects.all(), to_field_name="slug", required=False)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        a, b = cleaned.get("a"), cleaned.get("b")
        if bool(a) != bool(b):
            raise forms.ValidationError("Give both a and b for a pair, or neither.")
        if a and cleaned.get("actor"):
            raise forms.ValidationError("Follow one actor or one pair, not both.")
        if a and a.pk == b.pk:
            raise forms.ValidationError("Choose two different actors.")
        return cleaned


def _with_participant(events: QuerySet[Event], actor: Actor) -> QuerySet[Event]:
    return events.filter(
        Exists(Participant.objects.filter(event=OuterRef("pk"), actor_id=actor.pk))
    )


class EventsAtomFeed(Feed):
    """Newly published or updated events, newest change first. Drafts never appear."""

    feed_type = Atom1Feed

    def __init__(self, actor: Actor | None = None, a: Actor | None = None, b: Actor | None = None):
        super().__init__()
        self.actor, self.a, self.b = actor, a, b

    def title(self) -> str:
        if self.actor:
            return f"Relwatch: events involving {self.actor.name}"
        if self.a:
            return f"Relwatch: events between {self.a.name} and {self.b.name}"
        return "Relwatch: published events"

    def subtitle(self) -> str:
        return "Sourced meetings, statements and allegations, as editors publish them."

    def link(self) -> str:
        if self.actor:
            return self.actor.get_absolute_url()
        if self.a:
            return f"/relations/{self.a.slug}/{self.b.slug}/"
        return "/timeline/"

    def items(self):
        events = Event.objects.filter(status=Event.Status.PUBLISHED)
        for actor in filter(None, (self.actor, self.a, self.b)):
            events = _with_participant(events, actor)
        return events.order_by("-updated_at", "-id")[:ATOM_ENTRIES]

    def item_title(self, item: Event) -> str:
        return item.title

    def item_description(self, item: Event) -> str:
        # Atom marks the summary as HTML: escape it so stored markup reaches readers as text.
        return escape(item.summary)

    def item_link(self, item: Event) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Event):
        return item.created_at

    def item_updateddate(self, item: Event):
        return item.updated_at

    def item_categories(self, item: Event) -> tuple[str, ...]:
        return (item.kind, item.category)


@login_required_if_configured
def events_atom(request):
    form = AtomSelectionForm(request.GET)
    if not form.is_valid():
        errors = dict(form.errors)
        if "__all__" in errors:
            errors["selection"] = errors.pop("__all__")
        return bad_request(errors)
    return EventsAtomFeed(**form.cleaned_data)(request)
