"""The editors' admin for actors and events.

One admin per event kind (where editing happens) and one read-mostly admin over all events
(for search, autocomplete and bulk publishing). Other apps extend every event admin through
``register_event_admin_extension`` (ingest adds linked articles and the create-from-article
prefill) because relations must not import them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from relations.forms import (
    AffiliationForm,
    AliasForm,
    AliasInlineFormSet,
    EventAdminForm,
    InteractionForm,
    SourceForm,
    SourceInlineFormSet,
)
from relations.lexicon import invalidate_lexicon
from relations.models import (
    Action,
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Cue,
    Event,
    Interaction,
    Meeting,
    Participant,
    Source,
    Statement,
)
from relations.visibility import DraftsHiddenFromReaders

# --- extension point ----------------------------------------------------------------------


@dataclass
class EventPrefill:
    """Initial data for an event add form: the event's fields and rows for its inlines,
    keyed by inline prefix (``participants``, ``interactions``, ``sources``)."""

    initial: dict[str, Any] = field(default_factory=dict)
    inline_initial: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class EventAdminExtension:
    """What another app adds to every event-kind admin. Override what you need."""

    inlines: Sequence[type[InlineModelAdmin]] = ()

    def prefill(self, request: HttpRequest, model: type[Event]) -> EventPrefill | None:
        """Initial data for the add form of ``model``, or None."""
        return None

    def event_added(self, request: HttpRequest, event: Event) -> None:
        """Called once the add form and its inlines are saved."""

    def offers_next(self, request: HttpRequest) -> bool:
        """Whether this add form is one step of a queue ("Save and next" is shown)."""
        return False

    def next_url(self, request: HttpRequest, event: Event) -> str | None:
        """Where "Save and next" goes once ``event`` is added, or None."""
        return None


_extensions: list[EventAdminExtension] = []
logger = logging.getLogger(__name__)


def register_event_admin_extension(extension: EventAdminExtension) -> None:
    _extensions.append(extension)


def event_prefill(request: HttpRequest, model: type[Event]) -> EventPrefill | None:
    """The prefill for a GET of an add form, computed once per request."""
    if request.method != "GET":
        return None
    cache = request.__dict__.setdefault("_relwatch_event_prefill", {})
    if model not in cache:
        cache[model] = None
        for extension in _extensions:
            prefill = extension.prefill(request, model)
            if prefill is not None:
                cache[model] = prefill
                break
    return cache[model]


# --- publishing ---------------------------------------------------------------------------


@dataclass
class PublishResult:
    published: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def publish_events(events: QuerySet) -> PublishResult:
    """Publish every event of ``events`` that has a source; name the ones refused.

    Each is saved through its own kind's model so the change lands in that kind's history."""
    result = PublishResult()
    events = events.annotate(source_total=Count("sources", distinct=True)).order_by("date", "pk")
    if events.model is Event:
        events = events.select_related(*Event.Kind.values)
    for event in events:
        if event.is_published:
            result.already.append(event.title)
        elif not event.source_total:
            result.refused.append(event.title)
        else:
            specific = event.specific()
            specific.status = Event.Status.PUBLISHED
            specific.save(update_fields=["status", "updated_at"])
            result.published.append(event.title)
    return result


def _quoted(titles: Iterable[str]) -> str:
    return ", ".join(f"“{title}”" for title in titles)


@admin.action(
    description="Publish selected events (only those with a source)", permissions=["change"]
)
def publish_selected(modeladmin, request, queryset):
    result = publish_events(queryset)
    if result.published:
        modeladmin.message_user(
            request, f"Published {len(result.published)}: {_quoted(result.published)}."
        )
    if result.already:
        modeladmin.message_user(
            request, f"Already published: {_quoted(result.already)}.", messages.INFO
        )
    if result.refused:
        modeladmin.message_user(
            request,
            f"Not published, no source: {_quoted(result.refused)}. Add a source first.",
            messages.WARNING,
        )


# --- filters ------------------------------------------------------------------------------


class ParticipantActorFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        return (
            Actor.objects.filter(participations__isnull=False)
            .distinct()
            .order_by("name")
            .values_list("slug", "name")
        )

    def queryset(self, request, queryset):
        if self.value():
            # A subquery, not a join: an actor with two roles must not list the event twice.
            return queryset.filter(
                pk__in=Participant.objects.filter(actor__slug=self.value()).values("event_id")
            )
        return queryset


class YearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (
            model_admin.model.objects.annotate(year=ExtractYear("date"))
            .values_list("year", flat=True)
            .distinct()
            .order_by("-year")
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


class EvidenceStatusFilter(admin.SimpleListFilter):
    """Evidence status from the all-events list, where it lives on the allegation row."""

    title = "evidence status"
    parameter_name = "evidence"

    def lookups(self, request, model_admin):
        return Allegation.EvidenceStatus.choices

    def queryset(self, request, queryset):
        if self.value() in Allegation.EvidenceStatus.values:
            return queryset.filter(allegation__evidence_status=self.value())
        return queryset


# --- actors -------------------------------------------------------------------------------


class AliasInline(admin.TabularInline):
    model = Alias
    form = AliasForm
    formset = AliasInlineFormSet
    fields = ["text", "language", "case_sensitive"]
    extra = 1


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    fk_name = "actor"
    form = AffiliationForm
    fields = ["parent", "role", "start_date", "end_date"]
    autocomplete_fields = ["parent"]
    extra = 0
    verbose_name = "affiliation (member of)"
    verbose_name_plural = "affiliations (member of)"


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "country_code", "title", "is_core"]
    list_filter = ["kind", "is_core"]
    search_fields = ["name", "slug", "aliases__text", "title"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AliasInline, AffiliationInline]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Alias)
class AliasAdmin(admin.ModelAdmin):
    form = AliasForm
    list_display = ["text", "language", "actor", "case_sensitive"]
    list_filter = ["language", "case_sensitive"]
    list_select_related = ["actor"]
    search_fields = ["text", "actor__name", "actor__slug"]
    autocomplete_fields = ["actor"]


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    form = AffiliationForm
    list_display = ["actor", "parent", "role", "start_date", "end_date"]
    list_select_related = ["actor", "parent"]
    search_fields = ["actor__name", "parent__name", "role"]
    autocomplete_fields = ["actor", "parent"]


@admin.register(Cue)
class CueAdmin(admin.ModelAdmin):
    """The cue lexicon (seeds/cues-*.yaml, relations.lexicon). The model's own checks refuse an
    unknown category or an empty phrase on the field; a saved change rebuilds the machine
    coder and the event form's guess in every process once it commits."""

    # The list shows polarity and match by their short codes (the filters and the form keep
    # the explanations), so one cue is one line in a lexicon of thousands.
    list_display = [
        "phrase",
        "language",
        "category",
        "polarity_code",
        "match_code",
        "kind_hint",
        "weight",
    ]
    list_filter = ["language", "polarity", "category", "match"]
    search_fields = ["phrase", "note"]
    readonly_fields = ["updated_at"]

    @admin.display(description="polarity", ordering="polarity")
    def polarity_code(self, cue: Cue) -> str:
        return cue.polarity

    @admin.display(description="match", ordering="match")
    def match_code(self, cue: Cue) -> str:
        return cue.match

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate_lexicon()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        invalidate_lexicon()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        invalidate_lexicon()


# --- events -------------------------------------------------------------------------------


class PrefilledInline:
    """An event inline that shows as many rows as the add form's prefill brings."""

    prefill_key: str = ""

    def get_extra(self, request, obj=None, **kwargs):
        extra = super().get_extra(request, obj, **kwargs)
        prefill = event_prefill(request, self.parent_model) if obj is None else None
        if prefill is None:
            return extra
        return max(extra, len(prefill.inline_initial.get(self.prefill_key, [])))


class ParticipantInline(PrefilledInline, admin.TabularInline):
    model = Participant
    prefill_key = "participants"
    fields = ["actor", "role"]
    autocomplete_fields = ["actor"]
    extra = 1


class InteractionInline(PrefilledInline, admin.TabularInline):
    model = Interaction
    prefill_key = "interactions"
    form = InteractionForm
    fields = ["source", "target", "score"]
    autocomplete_fields = ["source", "target"]
    extra = 1


class SourceInline(PrefilledInline, admin.StackedInline):
    model = Source
    prefill_key = "sources"
    form = SourceForm
    formset = SourceInlineFormSet
    extra = 1


def _participant_prefetch() -> Prefetch:
    return Prefetch("participants", queryset=Participant.objects.select_related("actor"))


class EventListColumns:
    """The actors and source count columns of the event lists, read with the list's query."""

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(source_total=Count("sources", distinct=True))
            .prefetch_related(_participant_prefetch())
        )

    @admin.display(description="actors")
    def actors(self, event):
        return ", ".join(p.actor.name for p in event.participants.all())

    @admin.display(description="sources", ordering="source_total")
    def source_count(self, event):
        return event.source_total


class EventKindAdmin(EventListColumns, DraftsHiddenFromReaders, SimpleHistoryAdmin):
    """Shared by the meeting, statement, allegation and action admins."""

    form = EventAdminForm
    inlines = [ParticipantInline, InteractionInline, SourceInline]
    list_display = ["title", "date", "category", "status", "actors", "source_count", "created_by"]
    list_filter = ["status", YearFilter, ParticipantActorFilter, "category"]
    list_select_related = ["created_by"]
    search_fields = ["title", "summary", "sources__quote"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at", "updated_at"]
    actions = [publish_selected]
    save_on_top = True

    def get_inlines(self, request, obj):
        return [*self.inlines, *(i for extension in _extensions for i in extension.inlines)]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history saves this "revert" form on POST for anyone who may merely view
        # the history (an analyst could publish a draft); reverting is a change.
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_changeform_initial_data(self, request):
        prefill = event_prefill(request, self.model)
        initial = super().get_changeform_initial_data(request)
        return {**prefill.initial, **initial} if prefill else initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        prefill = event_prefill(request, self.model) if obj.pk is None else None
        if prefill and prefill.inline_initial.get(prefix):
            kwargs["initial"] = prefill.inline_initial[prefix]
        return kwargs

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            for extension in _extensions:
                extension.event_added(request, form.instance)
        # Foreign keys are checked at commit, after the view has answered; check them now,
        # while a refusal can still be shown on the editor's form (see _changeform_view).
        connections[router.db_for_write(self.model)].check_constraints()

    # --- the submit row: "Save and publish", "Save and next" ---------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and PUBLISH in request.POST:
            # Publishing is saving with the status set; the sources inline still refuses an
            # event without a source, on the form.
            request.POST = request.POST.copy()
            request.POST["status"] = Event.Status.PUBLISHED
        extra_context = {
            **(extra_context or {}),
            "show_save_and_publish": True,
            "show_save_and_next": object_id is None
            and any(extension.offers_next(request) for extension in _extensions),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _next_url(self, request, obj) -> str | None:
        if SAVE_AND_NEXT not in request.POST and PUBLISH not in request.POST:
            return None
        for extension in _extensions:
            url = extension.next_url(request, obj)
            if url:
                return url
        return None

    def _say_published(self, request, obj) -> None:
        if PUBLISH in request.POST and obj.is_published:
            self.message_user(request, f"Published “{obj.title}”.", messages.SUCCESS)

    def response_add(self, request, obj, post_url_continue=None):
        self._say_published(request, obj)
        next_url = self._next_url(request, obj)
        if next_url is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            format_html(
                'Saved the {} “<a href="{}">{}</a>”.',
                obj._meta.verbose_name,
                kind_change_url(obj),
                obj.title,
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(next_url)

    def response_change(self, request, obj):
        self._say_published(request, obj)
        return super().response_change(request, obj)

    # --- a database error during a save keeps the editor's input -----------------------------

    def _changeform_view(self, request, object_id, form_url, extra_context):
        if request.method != "POST":
            return super()._changeform_view(request, object_id, form_url, extra_context)
        queued = len(messages.get_messages(request)._queued_messages)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super()._changeform_view(request, object_id, form_url, extra_context)
        except DatabaseError as exc:
            # The savepoint is rolled back: nothing of this save remains, nor its messages.
            del messages.get_messages(request)._queued_messages[queued:]
            logger.exception(
                "Saving the %s (id %s) failed in the database", self.opts.model_name, object_id
            )
            request.relwatch_save_error = save_failed_message(self.opts.verbose_name, exc)
        # The same view again, with a form that reports the failure: it re-renders with
        # everything the editor typed, as for any invalid input.
        return super()._changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "relwatch_save_error", None)
        if error is None:
            return form_class

        class SaveFailedForm(form_class):
            def clean(self):
                super().clean()
                raise ValidationError(error, code="save_failed")

        return SaveFailedForm


PUBLISH = "_publish"
SAVE_AND_NEXT = "_savenext"


def save_failed_message(what: str, exc: DatabaseError) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"The database refused to save this {what} ({detail[:300]}). Nothing was saved; "
        "what you entered is still below. Correct it and save again, or tell an administrator."
    )


@admin.register(Meeting)
class MeetingAdmin(EventKindAdmin):
    list_display = [*EventKindAdmin.list_display[:3], "format", *EventKindAdmin.list_display[3:]]
    list_filter = [*EventKindAdmin.list_filter, "format"]


@admin.register(Statement)
class StatementAdmin(EventKindAdmin):
    list_display = ["title", "speaker", *EventKindAdmin.list_display[1:]]
    list_filter = [*EventKindAdmin.list_filter, "channel"]
    list_select_related = ["created_by", "speaker"]
    search_fields = [*EventKindAdmin.search_fields, "quote"]
    autocomplete_fields = ["speaker", "responding_to"]


@admin.register(Allegation)
class AllegationAdmin(EventKindAdmin):
    list_display = [
        "title",
        "claimant",
        "accused",
        "evidence_status",
        *EventKindAdmin.list_display[1:],
    ]
    list_filter = ["evidence_status", *EventKindAdmin.list_filter]
    list_select_related = ["created_by", "claimant", "accused"]
    search_fields = [*EventKindAdmin.search_fields, "claim", "evidence_note"]
    autocomplete_fields = ["claimant", "accused", "responses"]


@admin.register(Action)
class ActionAdmin(EventKindAdmin):
    list_display = [*EventKindAdmin.list_display[:3], "means", *EventKindAdmin.list_display[3:]]
    list_filter = [*EventKindAdmin.list_filter, "means"]
    search_fields = [*EventKindAdmin.search_fields, "means_detail", "place", "casualties_note"]


@admin.register(Event)
class EventAdmin(EventListColumns, DraftsHiddenFromReaders, admin.ModelAdmin):
    """Every event in one list. Editing happens in the kind's own admin, which this links to."""

    list_display = ["title_link", "kind", "date", "category", "status", "actors", "source_count"]
    list_display_links = None
    list_filter = [
        "kind",
        "status",
        YearFilter,
        ParticipantActorFilter,
        EvidenceStatusFilter,
        "category",
    ]
    list_select_related = ["created_by"]
    search_fields = ["title", "summary", "sources__quote"]
    date_hierarchy = "date"
    actions = [publish_selected]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        event = self.get_object(request, object_id)
        if event is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponseRedirect(kind_change_url(event))

    @admin.display(description="title", ordering="title")
    def title_link(self, event):
        return format_html('<a href="{}">{}</a>', kind_change_url(event), event.title)


def kind_change_url(event: Event) -> str:
    """The change page of an event in its own kind's admin (the primary keys are shared)."""
    return reverse(f"admin:relations_{event.kind}_change", args=[event.pk])
