"""Admin for feeds, their fetch log, and the editors' article inbox.

The inbox's actions (dismiss, link to an existing event, create an event from an article) call
the plain functions of ``ingest.triage``. Event admins (in relations) get a list of their
linked articles and the create-from-article prefill through relations' extension point.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from ingest.models import Article, Feed, FetchLog, Mention
from ingest.triage import dismiss_articles, draft_event, kind_for_article, link_article
from relations.admin import (
    EventAdminExtension,
    EventPrefill,
    kind_change_url,
    register_event_admin_extension,
)
from relations.models import Actor, Event

# --- feeds --------------------------------------------------------------------------------


class FeedAdminForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    site_url = forms.URLField(
        label="Site URL", max_length=2000, required=False, assume_scheme="https"
    )

    class Meta:
        model = Feed
        fields = ["url", "title", "site_url", "language", "active", "poll_interval"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk and "url" not in self.changed_data:
            return url
        # Imported here: fetching pulls in the HTTP client, which the admin needs only now.
        from ingest.fetching import UnsafeURL, validate_feed_url

        try:
            return validate_feed_url(url)
        except UnsafeURL as exc:
            raise ValidationError(str(exc), code="unsafe_url") from exc


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    form = FeedAdminForm
    list_display = [
        "__str__",
        "status",
        "active",
        "last_checked_at",
        "next_check_at",
        "consecutive_failures",
        "short_error",
    ]
    list_filter = ["status", "active", "language"]
    search_fields = ["title", "url", "site_url"]
    readonly_fields = [
        "status",
        "consecutive_failures",
        "last_error",
        "last_checked_at",
        "next_check_at",
        "etag",
        "last_modified",
        "content_hash",
        "created_at",
        "fetch_log",
    ]
    actions = ["check_now", "disable", "enable"]

    @admin.display(description="last error")
    def short_error(self, feed):
        return Truncator(feed.last_error).chars(80)

    @admin.display(description="fetch log")
    def fetch_log(self, feed):
        if not feed.pk:
            return "—"
        url = (
            reverse("admin:ingest_fetchlog_changelist")
            + "?"
            + urlencode({"feed__id__exact": feed.pk})
        )
        return format_html('<a href="{}">Every fetch of this feed</a>', url)

    @admin.action(description="Check now", permissions=["change"])
    def check_now(self, request, queryset):
        count = queryset.update(next_check_at=timezone.now())
        self.message_user(request, f"{count} feed(s) will be checked within a minute.")

    @admin.action(description="Disable (stop polling)", permissions=["change"])
    def disable(self, request, queryset):
        count = queryset.update(active=False, status=Feed.Status.DISABLED)
        self.message_user(request, f"Disabled {count} feed(s).")

    @admin.action(description="Enable (poll again from now)", permissions=["change"])
    def enable(self, request, queryset):
        count = queryset.update(
            active=True, status=Feed.Status.OK, consecutive_failures=0, next_check_at=timezone.now()
        )
        self.message_user(request, f"Enabled {count} feed(s).")


@admin.register(FetchLog)
class FetchLogAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "feed",
        "outcome",
        "http_status",
        "duration_ms",
        "entries_seen",
        "entries_new",
        "short_error",
    ]
    list_filter = ["outcome", "feed"]
    list_select_related = ["feed"]
    search_fields = ["feed__title", "feed__url", "error"]
    date_hierarchy = "started_at"

    @admin.display(description="error")
    def short_error(self, log):
        return Truncator(log.error).chars(80)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- articles: the editors' inbox -----------------------------------------------------------

RELEVANCE_BUCKETS: dict[str, tuple[str, Q]] = {
    "high": ("high (3 and more)", Q(relevance__gte=3)),
    "medium": ("medium (1 to 3)", Q(relevance__gte=1, relevance__lt=3)),
    "low": ("low (under 1)", Q(relevance__gt=0, relevance__lt=1)),
    "none": ("none", Q(relevance__lte=0)),
}


class RelevanceFilter(admin.SimpleListFilter):
    title = "relevance"
    parameter_name = "relevance"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in RELEVANCE_BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() in RELEVANCE_BUCKETS:
            return queryset.filter(RELEVANCE_BUCKETS[self.value()][1])
        return queryset


class MentionedActorFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        mentioned = Mention.objects.filter(actor=OuterRef("pk"))
        return Actor.objects.filter(Exists(mentioned)).order_by("name").values_list("slug", "name")

    def queryset(self, request, queryset):
        if self.value():
            mentions = Mention.objects.filter(article=OuterRef("pk"), actor__slug=self.value())
            return queryset.filter(Exists(mentions))
        return queryset


class DuplicateFilter(admin.SimpleListFilter):
    title = "duplicate"
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", "Duplicate of another feed's story"), ("no", "First seen")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(duplicate_of__isnull=self.value() == "no")
        return queryset


def create_event_url(article: Article, kind: str | None = None) -> str:
    """The add form of the event kind ``article`` suggests, prefilled from it."""
    kind = kind or kind_for_article(article)
    return reverse(f"admin:relations_{kind}_add") + "?" + urlencode({"from_article": article.pk})


class LinkToEventForm(forms.Form):
    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # Built here because the admin's autocomplete widget needs the admin site.
        self.fields["event"] = forms.ModelChoiceField(
            queryset=Event.objects.all(),
            widget=AutocompleteSelect(Article._meta.get_field("event"), admin_site),
            help_text="Type to search events by title, summary or source quote.",
        )


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["review_status", "event"]

    def clean(self):
        cleaned = super().clean()
        event, status = cleaned.get("event"), cleaned.get("review_status")
        if event is not None:
            cleaned["review_status"] = Article.ReviewStatus.LINKED
        elif status == Article.ReviewStatus.LINKED:
            self.add_error("event", "Choose the event this article is linked to.")
        return cleaned


class MentionInline(admin.TabularInline):
    model = Mention
    fields = ["actor", "count", "alias"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = [
        "title",
        "feed",
        "published_at",
        "relevance",
        "candidate_kind",
        "review_status",
        "mentioned_actors",
        "linked_event",
        "create_event",
    ]
    list_filter = [
        RelevanceFilter,
        MentionedActorFilter,
        "candidate_kind",
        "review_status",
        DuplicateFilter,
        "feed",
    ]
    list_select_related = ["feed", "event"]
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["event"]
    inlines = [MentionInline]
    actions = ["dismiss", "link_to_event", "create_event_from_article"]
    fields = [
        "title",
        "feed",
        "link",
        "published_at",
        "published_raw",
        "author",
        "language",
        "summary",
        "relevance",
        "candidate_kind",
        "duplicate_of",
        "review_status",
        "event",
        "linked_event",
        "create_event",
        "guid",
        "fetched_at",
        "content_hash",
    ]
    readonly_fields = [
        "title",
        "feed",
        "link",
        "published_at",
        "published_raw",
        "author",
        "language",
        "summary",
        "relevance",
        "candidate_kind",
        "duplicate_of",
        "linked_event",
        "create_event",
        "guid",
        "fetched_at",
        "content_hash",
    ]

    def get_queryset(self, request):
        mentions = Mention.objects.select_related("actor").order_by("-count", "actor__name")
        return (
            super().get_queryset(request).prefetch_related(Prefetch("mentions", queryset=mentions))
        )

    def has_add_permission(self, request):
        return False  # articles come from feeds

    @admin.display(description="actors")
    def mentioned_actors(self, article):
        return ", ".join(mention.actor.name for mention in article.mentions.all())

    @admin.display(description="link")
    def link(self, article):
        if not article.url:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer">{}</a>', article.url, article.url
        )

    @admin.display(description="event", ordering="event__date")
    def linked_event(self, article):
        if article.event is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', kind_change_url(article.event), article.event.title
        )

    @admin.display(description="create event")
    def create_event(self, article):
        if article.pk is None or article.event_id is not None:
            return "—"
        kind = kind_for_article(article)
        return format_html('<a href="{}">Create {}</a>', create_event_url(article), kind)

    def save_model(self, request, obj, form, change):
        if "event" in form.changed_data and obj.event is not None:
            link_article(obj, obj.event, request.user)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Dismiss", permissions=["change"])
    def dismiss(self, request, queryset):
        total = queryset.count()
        dismissed = dismiss_articles(queryset)
        self.message_user(request, f"Dismissed {dismissed} article(s).")
        if dismissed < total:
            self.message_user(
                request,
                f"{total - dismissed} article(s) already linked to an event were left as they are.",
                messages.WARNING,
            )

    @admin.action(description="Link to an existing event…", permissions=["change"])
    def link_to_event(self, request, queryset):
        if "apply" in request.POST:
            form = LinkToEventForm(request.POST, admin_site=self.admin_site)
            if form.is_valid():
                event = form.cleaned_data["event"]
                added = sum(
                    link_article(article, event, request.user) is not None
                    for article in queryset.select_related("feed")
                )
                self.message_user(
                    request,
                    f"Linked {queryset.count()} article(s) to “{event.title}”; "
                    f"added {added} source(s).",
                )
                return None
        else:
            form = LinkToEventForm(admin_site=self.admin_site)
        context = {
            **self.admin_site.each_context(request),
            "title": "Link articles to an existing event",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "articles": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "link_to_event",
        }
        return TemplateResponse(request, "admin/ingest/article/link_to_event.html", context)

    @admin.action(description="Create event from article", permissions=["change"])
    def create_event_from_article(self, request, queryset):
        articles = list(queryset[:2])
        if len(articles) != 1:
            self.message_user(
                request, "Choose exactly one article to create an event from.", messages.WARNING
            )
            return None
        return HttpResponseRedirect(create_event_url(articles[0]))


# --- what events get from ingest -------------------------------------------------------------


class LinkedArticleInline(admin.TabularInline):
    model = Article
    fk_name = "event"
    fields = ["title", "feed", "published_at", "review_status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "linked article"
    verbose_name_plural = "linked articles"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("feed")

    def has_view_permission(self, request, obj=None):
        # A new event has no articles yet; the add form stays uncluttered.
        return obj is not None and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _article_from_request(request: HttpRequest) -> Article | None:
    article_id = request.GET.get("from_article", "")
    if not article_id.isdigit():
        return None
    return Article.objects.select_related("feed").filter(pk=int(article_id)).first()


class ArticleTriage(EventAdminExtension):
    """Prefills an event add form from ``?from_article=ID`` and links the article on save.

    The add form posts back to its own URL, query string included, so the id is there on save.
    """

    inlines = (LinkedArticleInline,)

    def prefill(self, request, model):
        article = _article_from_request(request)
        if article is None:
            return None
        draft = draft_event(article, kind=model.KIND)
        return EventPrefill(
            initial=draft.initial,
            inline_initial={"participants": draft.participants, "sources": draft.sources},
        )

    def event_added(self, request, event):
        article = _article_from_request(request)
        if article is None or not request.user.has_perm("ingest.change_article"):
            return
        link_article(article, event, request.user)
        messages.info(request, f"Linked the article “{article.title}” to this event.")


register_event_admin_extension(ArticleTriage())
