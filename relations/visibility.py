"""Who sees drafts: one rule for the dashboard, the API, the exports and the admin.

Editors may change events and see drafts everywhere. Everybody else, analysts included
(they hold view_event, which is not enough), sees published events only: on the dashboard
and in the admin alike, where a draft is neither listed, nor opened, nor offered by an
autocomplete, nor named as the event an article or another event links to.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import Http404

from relations.models import Event

DRAFTS_PERMISSION = "relations.change_event"


def can_see_drafts(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(DRAFTS_PERMISSION))


def events_visible_to(user, events: QuerySet[Event]) -> QuerySet[Event]:
    """``events`` (of any event kind) without the drafts ``user`` may not see."""
    if can_see_drafts(user):
        return events
    return events.filter(status=Event.Status.PUBLISHED)


def hide_draft_links(obj: Model, *, many_to_many: bool = True) -> Model:
    """Drop from ``obj``, in memory only, its links to draft events (a statement's
    "responding to", an allegation's responses, an article's event), so a read-only page
    built from it cannot name them. For readers who may not see drafts; never saved. A list
    leaves out the many-to-many links (a query each), which no list column shows."""
    for field in obj._meta.get_fields():
        if not (field.concrete and field.is_relation and field.related_model):
            continue
        if not issubclass(field.related_model, Event) or field.remote_field.parent_link:
            continue
        if field.many_to_many:
            if not many_to_many:
                continue
            published = getattr(obj, field.name).filter(status=Event.Status.PUBLISHED)
            obj._prefetched_objects_cache = {
                **getattr(obj, "_prefetched_objects_cache", {}),
                field.name: published,
            }
            continue
        linked = getattr(obj, field.name)
        if linked is not None and not linked.is_published:
            setattr(obj, field.name, None)
    return obj


class DraftsHiddenFromReaders:
    """Admin mixin: what a reader who may not see drafts gets from this admin is what the
    dashboard shows them. An event kind's admin lists and opens published events only (its
    autocomplete too, which serves every link to an event); any admin's pages are built
    from objects whose links to drafts are hidden."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if issubclass(self.model, Event):
            queryset = events_visible_to(request.user, queryset)
        return queryset

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and not can_see_drafts(request.user):
            hide_draft_links(obj)
        return obj

    def get_field_queryset(self, db, db_field, request):
        # The choices of a link to an event: a form (a past version's, say) must not offer
        # or show a draft as selected.
        queryset = super().get_field_queryset(db, db_field, request)
        if issubclass(db_field.related_model, Event) and not can_see_drafts(request.user):
            if queryset is None:
                queryset = db_field.related_model._default_manager.using(db).all()
            queryset = events_visible_to(request.user, queryset)
        return queryset

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not can_see_drafts(request.user):
            for obj in changelist.result_list:
                hide_draft_links(obj, many_to_many=False)
        return changelist

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back on the history records of an object get_queryset hides.
        self._refuse_hidden(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_hidden(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _refuse_hidden(self, request, object_id) -> None:
        if can_see_drafts(request.user) or not issubclass(self.model, Event):
            return
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such event.")
