"""Exports: events as CSV and as an Atom feed, both of the timeline's filters (EventFilter,
as the timeline and the API read them), and the pages' links to them."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join

from dashboard.filters import EventFilter, published_events_for
from dashboard.serializers import net_score
from dashboard.templatetags.dashboard_format import event_date, external_url
from relations.models import (
    Event,
    Interaction,
    Participant,
    Source,
    independent_outlets,
)
from relwatch.permissions import login_required_if_configured

# The event's own columns, read as they are and named as the API names them (EventSerializer),
# then its parts, summed up in one cell each.
EVENT_COLUMNS = ("id", "kind", "date", "date_precision", "title", "category", "status")
CSV_COLUMNS = [
    *EVENT_COLUMNS,
    "participants",
    "interactions",
    "net_score",
    "source_count",
    "independent_outlets",
    "sources",
    "url",
]
CSV_CHUNK = 1000
# Several values in one cell (participants, interactions, sources) are joined by this.
CELL_LIST_SEPARATOR = "; "
ATOM_ENTRIES = 50
# A cell starting with one of these is a formula to a spreadsheet: "=HYPERLINK(...)" in a
# title or an actor's name must stay text when an analyst opens the export.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def timeline_query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (parameter, value) pairs the timeline's filters (``EventFilter``) read, in order:
    anything else a page's query holds (its page number, the chart's lanes) and empty values
    are left out, so that a download holds every matching event, not one page of them."""
    return [(name, value) for name, value in pairs if name in EventFilter.base_filters and value]


def query_pairs(query: QueryDict) -> list[tuple[str, str]]:
    """Every (parameter, value) of a request's query, repeated parameters included."""
    return [(name, value) for name, values in query.lists() for value in values]


def download_urls(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The CSV, Atom and API addresses of the events a page lists, carrying its filters."""
    kept = timeline_query(pairs)
    query = f"?{urlencode(kept)}" if kept else ""
    return {
        "csv": reverse("export-events-csv") + query,
        "atom": reverse("events-atom") + query,
        "api": reverse("api-event-list") + query,
    }


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
    for start in range(0, len(ids), CSV_CHUNK):
        batch_ids = ids[start : start + CSV_CHUNK]
        by_id = {
            row[0]: row
            for row in Event.objects.filter(pk__in=batch_ids).values_list(*EVENT_COLUMNS)
        }
        batch = [by_id[event_id] for event_id in batch_ids if event_id in by_id]
        for row in _batch_rows(batch, base_url):
            # Every text cell, not only titles: an actor's name, a source's outlet or URL
            # reach the spreadsheet too.
            yield [safe_cell(cell) if isinstance(cell, str) else cell for cell in row]


def _batch_rows(batch: list[tuple], base_url: str) -> Iterator[list]:
    ids = [row[0] for row in batch]
    participants: dict[int, list[str]] = defaultdict(list)
    for event_id, name, role in (
        Participant.objects.filter(event_id__in=ids)
        .order_by("id")
        .values_list("event_id", "actor__name", "role")
    ):
        participants[event_id].append(f"{name} ({role})")
    interactions: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for event_id, source, target, score in (
        Interaction.objects.filter(event_id__in=ids)
        .order_by("id")
        .values_list("event_id", "source__name", "target__name", "score")
    ):
        interactions[event_id].append((source, target, score))
    sources: dict[int, list[_SourceRef]] = defaultdict(list)
    for event_id, url, outlet in (
        Source.objects.filter(event_id__in=ids)
        .order_by("published_at", "id")
        .values_list("event_id", "url", "outlet")
    ):
        sources[event_id].append(_SourceRef(url, outlet))
    event_path = reverse("dashboard:event", args=[0]).rsplit("0/", 1)[0]
    for event_id, kind, date, precision, title, category, status in batch:
        event_sources = sources.get(event_id, [])
        event_interactions = interactions.get(event_id, [])
        yield [
            event_id,
            kind,
            date.isoformat(),
            precision,
            title,
            category,
            status,
            CELL_LIST_SEPARATOR.join(participants.get(event_id, [])),
            CELL_LIST_SEPARATOR.join(
                f"{source} → {target}: {score:g}" for source, target, score in event_interactions
            ),
            net_score(score for _, _, score in event_interactions),
            len(event_sources),
            independent_outlets(event_sources),
            CELL_LIST_SEPARATOR.join(
                f"{source.outlet}: {source.url}" if source.outlet else source.url
                for source in event_sources
            ),
            f"{base_url}{event_path}{event_id}/",
        ]


def timeline_filters(request, query: QueryDict | None = None, user=None) -> EventFilter:
    """The timeline's filters over the events ``user`` (by default the reader) may see, as
    the timeline and the API read them."""
    return EventFilter(
        request.GET if query is None else query,
        queryset=published_events_for(request.user if user is None else user),
        request=request,
    )


@login_required_if_configured
def events_csv(request):
    filterset = timeline_filters(request)
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


def pair_as_actors(query: QueryDict) -> QueryDict:
    """The timeline's filters of a query, with the Atom feed's older pair parameters
    (``?a=russia&b=hamas``, kept for existing subscriptions) read as the timeline writes a
    pair: both actors, matching all. Raises ValidationError when the pair is unclear."""
    if "a" not in query and "b" not in query:
        return query
    a, b = query.get("a", ""), query.get("b", "")
    if not (a and b):
        raise ValidationError("Give both a and b for a pair, or neither.")
    if query.getlist("actor"):
        raise ValidationError("Follow one pair (a and b) or actors (actor), not both.")
    if a == b:
        raise ValidationError("Choose two different actors.")
    filters = query.copy()
    del filters["a"], filters["b"]
    filters.setlist("actor", [a, b])
    filters["match"] = "all"
    return filters


def _event_datetime(day: dt.date) -> dt.datetime:
    """An event's date as the moment Atom wants: its first minute, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class EventsAtomFeed(Feed):
    """The events of the timeline's filters, most recently changed first (so a subscriber
    sees a newly published event whatever its date); each entry is published on the event's
    date and updated when it last changed. Published events only, whoever fetches it: a feed
    is read by subscribers' software and passed on, never only by the editor who opened it."""

    feed_type = Atom1Feed

    def __init__(self, filterset: EventFilter, query: list[tuple[str, str]]):
        super().__init__()
        self.filterset = filterset
        self.query = query

    def title(self) -> str:
        # In the order the query gives them, as the reader wrote the pair.
        order = {slug: n for n, slug in enumerate(self.filterset.data.getlist("actor"))}
        actors = sorted(
            self.filterset.form.cleaned_data.get("actor") or [],
            key=lambda actor: order.get(actor.slug, 0),
        )
        names = [actor.name for actor in actors]
        if len(names) == 1:
            return f"Relwatch: events involving {names[0]}"
        if names and self.filterset.form.cleaned_data.get("match") == "all":
            return f"Relwatch: events between {_names(names, 'and')}"
        if names:
            return f"Relwatch: events involving {_names(names, 'or')}"
        return "Relwatch: published events"

    def subtitle(self) -> str:
        return (
            "Sourced meetings, statements, allegations and actions matching the timeline's "
            f"filters, the {ATOM_ENTRIES} most recently published or changed."
        )

    def link(self) -> str:
        query = urlencode(self.query)
        return reverse("dashboard:timeline") + (f"?{query}" if query else "")

    def items(self):
        return self.filterset.qs.prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("actor").order_by("id"),
            ),
            Prefetch("sources", queryset=Source.objects.order_by("published_at", "id")),
        ).order_by("-updated_at", "-id")[:ATOM_ENTRIES]

    def item_title(self, item: Event) -> str:
        return item.title

    def item_description(self, item: Event) -> str:
        # Atom marks the summary as HTML: stored text is escaped so markup reaches readers as
        # text, and a source is a link only when it is a web address.
        participants = format_html_join(
            ", ",
            "{} ({})",
            ((p.actor.name, p.get_role_display()) for p in item.participants.all()),
        )
        sources = format_html_join(
            "", "<li>{}</li>", ((_source_html(source),) for source in item.sources.all())
        )
        return format_html(
            "<p>{}</p><p>Date: {} · {} · {}</p><p>Actors: {}</p><p>Sources:</p><ul>{}</ul>",
            item.summary,
            event_date(item),
            item.get_kind_display(),
            item.get_category_display(),
            participants or "none recorded",
            sources or format_html("<li>{}</li>", "none yet"),
        )

    def item_link(self, item: Event) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Event) -> dt.datetime:
        return _event_datetime(item.date)

    def item_updateddate(self, item: Event):
        return item.updated_at

    def item_categories(self, item: Event) -> tuple[str, ...]:
        return (item.kind, item.category, *(p.actor.slug for p in item.participants.all()))


def _names(names: list[str], joiner: str) -> str:
    return f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def _source_html(source: Source) -> str:
    """A source's outlet, linked to it when its address is a web one, and its title."""
    title = format_html(": {}", source.title) if source.title else ""
    if url := external_url(source.url):
        return format_html('<a href="{}">{}</a>{}', url, source.outlet or url, title)
    return format_html("{} {}{}", source.outlet, source.url, title)


@login_required_if_configured
def events_atom(request):
    try:
        query = pair_as_actors(request.GET)
    except ValidationError as error:
        return bad_request({"selection": error.messages})
    filterset = timeline_filters(request, query, user=AnonymousUser())
    if not filterset.is_valid():
        return bad_request(filterset.errors)
    return EventsAtomFeed(filterset, timeline_query(query_pairs(query)))(request)
