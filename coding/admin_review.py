"""Admin for stories and suggestions (the review queue).

Stories and suggestions come from the coder, so their fields are read-only here: an editor
reviews a story with the actions (accept as a draft, accept and publish, reject), which call
``coding.review`` as the /suggestions/ page does, or opens the event form prefilled from it
(``?from_story=ID``, answered by ``StoryPrefill`` below through relations' extension point).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from coding import review
from coding.models import ReviewStatus, Story, Suggestion
from relations.admin import (
    EventAdminExtension,
    EventPrefill,
    kind_change_url,
    register_event_admin_extension,
)
from relations.models import Event
from relations.visibility import DraftsHiddenFromReaders


def read_only(model: type[models.Model], *shown) -> list:
    """Every field of ``model`` read-only (the coder and the review actions write them; a field
    added to the model is read-only here by itself), and the computed ``shown`` ones."""
    return [field.name for field in model._meta.fields] + list(shown)


@admin.display(description="evidence")
def highlighted(suggestion: Suggestion):
    return format_html(
        '<span dir="auto">{}</span>', review.highlighted_quote(suggestion.quote, suggestion.spans)
    )


class SuggestionInline(admin.TabularInline):
    model = Suggestion
    fields = ["article", "source_named", "target_named", "category", "confidence", highlighted]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-confidence", "id"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("article__feed", "source_named", "target_named")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Story)
class StoryAdmin(DraftsHiddenFromReaders, SimpleHistoryAdmin):
    list_display = [
        "pair",
        "category",
        "kind",
        "status",
        "outlet_count",
        "article_count",
        "confidence_shown",
        "first_seen",
        "event_link",
    ]
    list_filter = ["status", "kind", "category", "first_seen"]
    list_select_related = ["source", "target", "event"]
    search_fields = ["source__name", "target__name", "suggestions__quote"]
    ordering = ["status", "-confidence"]  # the "story_queue" index serves it
    date_hierarchy = "first_seen"
    inlines = [SuggestionInline]
    actions = ["accept_as_draft", "accept_and_publish", "reject"]
    fields = [
        ("source", "target"),
        ("category", "family", "kind"),
        ("confidence", "outlet_count", "article_count", "languages"),
        ("first_seen", "last_seen"),
        ("status", "event_link", "edit_link"),
        "reason",
        ("reviewed_by", "reviewed_at"),
    ]
    readonly_fields = read_only(Story, "event_link", "edit_link")

    def has_add_permission(self, request):
        return False  # stories come from the coder

    def has_review_permission(self, request) -> bool:
        return review.can_review(request.user)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting a story to "pending" would let it be accepted a second time: its history
        # is read, and reviewed with the actions.
        if request.method == "POST":
            raise PermissionDenied("A story's history is a record; review it with the actions.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(description="pair", ordering="source__name")
    def pair(self, story):
        return f"{story.source} → {story.target}"

    @admin.display(description="confidence", ordering="confidence")
    def confidence_shown(self, story):
        return f"{story.confidence:.2f}"

    @admin.display(description="event")
    def event_link(self, story):
        if story.event is None:
            return "—"
        return format_html('<a href="{}">{}</a>', kind_change_url(story.event), story.event)

    @admin.display(description="edit")
    def edit_link(self, story):
        if story.status != ReviewStatus.PENDING:
            return "—"
        return format_html(
            '<a href="{}">Open the {} form prefilled from this story</a>',
            review.edit_url(story),
            story.get_kind_display().lower(),
        )

    def _accept(self, request, queryset, publish: bool) -> None:
        accepted, refused = [], []
        for story in queryset.order_by("pk"):
            try:
                event = review.accept(story, request.user, publish=publish)
            except (review.ReviewError, ValidationError) as error:
                refused.append(f"#{story.pk}: {' '.join(getattr(error, 'messages', [str(error)]))}")
            else:
                accepted.append(event)
        if accepted:
            self.message_user(
                request,
                f"Accepted {len(accepted)} story(ies) as "
                + ("published" if publish else "draft")
                + " event(s): "
                + ", ".join(f"“{event.title}”" for event in accepted),
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, f"Not accepted: story {reason}", messages.WARNING)

    @admin.action(description="Accept as draft events", permissions=["review"])
    def accept_as_draft(self, request, queryset):
        self._accept(request, queryset, publish=False)

    @admin.action(description="Accept and publish", permissions=["review"])
    def accept_and_publish(self, request, queryset):
        self._accept(request, queryset, publish=True)

    @admin.action(description="Reject", permissions=["review"])
    def reject(self, request, queryset):
        rejected = 0
        for story in queryset.order_by("pk"):
            try:
                review.reject(story, request.user)
            except review.AlreadyReviewed as error:
                self.message_user(request, f"Story #{story.pk}: {error}", messages.WARNING)
            else:
                rejected += 1
        if rejected:
            self.message_user(request, f"Rejected {rejected} story(ies).", messages.SUCCESS)


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """Every coded interaction, read-only: what the coder found, sentence by sentence."""

    list_display = [
        "article",
        "source",
        "target",
        "category",
        "kind",
        "confidence",
        "status",
        "story_link",
    ]
    list_filter = ["status", "kind", "category", "article__language"]
    list_select_related = ["article", "source", "target"]
    search_fields = ["quote", "cue", "article__title"]
    fields = [
        "article",
        ("source", "target"),
        ("source_named", "target_named", "claimant"),
        ("category", "kind", "score", "confidence"),
        highlighted,
        "cue",
        "explanation",
        ("story_link", "status"),
        ("lexicon_version", "coded_at"),
    ]
    readonly_fields = read_only(Suggestion, highlighted, "story_link")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="story")
    def story_link(self, suggestion):
        if suggestion.story_id is None:
            return "—"
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:coding_story_change", args=[suggestion.story_id]),
            suggestion.story_id,
        )


# --- "edit": the event form prefilled from a story ------------------------------------------


def _story_from_request(request: HttpRequest) -> Story | None:
    story_id = request.GET.get("from_story", "")
    if not story_id.isdigit() or not review.can_review(request.user):
        return None
    return Story.objects.filter(pk=int(story_id)).first()


class StoryPrefill(EventAdminExtension):
    """Prefills an event add form from ``?from_story=ID`` (the story's draft, as "accept"
    would save it) and, once saved, finishes the story's review with that event. The add form
    posts back to its own URL, query string included, so the id is there on save."""

    def prefill(self, request, model: type[Event]):
        story = _story_from_request(request)
        if story is None or story.kind != model.KIND or story.status != ReviewStatus.PENDING:
            return None
        try:
            draft = review.story_draft(story)
        except review.ReviewError as error:
            messages.warning(request, str(error))
            return None
        messages.info(
            request,
            f"Prefilled from machine-coded story #{story.pk}: check every field. Its articles "
            "are cited and linked when you save.",
        )
        return EventPrefill(
            initial=draft.initial,
            inline_initial={
                "participants": draft.participants,
                "interactions": draft.interactions,
                "sources": draft.sources[: review.EDIT_FORM_SOURCES],
            },
        )

    def event_added(self, request, event):
        story = _story_from_request(request)
        if story is None:
            return
        try:
            added = review.finish_edit(story, event, request.user)
        except review.AlreadyReviewed as error:
            messages.warning(request, f"Story #{story.pk} was not changed: {error}")
        else:
            messages.info(
                request,
                f"Story #{story.pk} is accepted as this event"
                + (f"; {added} more article(s) cited." if added else "."),
            )


register_event_admin_extension(StoryPrefill())
