"""Admin for feeds, their fetch log, and the editors' article inbox.

The inbox's actions (dismiss, link to an existing event, create an event from an article) call
the plain functions of ``ingest.triage``. Event admins (in relations) get a list of their
linked articles and the create-from-article prefill through relations' extension point.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from ingest.models import Article, Feed, FetchLog, Mention
from ingest.relevance import (
    CANDIDATE_KIND_HELP,
    RELEVANCE_BUCKETS,
    RELEVANCE_HELP,
    relevance_bucket,
)
from ingest.triage import (
    create_event_url,
    dismiss_articles,
    draft_event,
    kind_for_article,
    link_article,
    next_article,
    restore_articles,
)
from relations.admin import (
    EventAdminExtension,
    EventPrefill,
    kind_change_url,
    register_event_admin_extension,
)
from relations.models import Actor, Event
from relations.visibility import DraftsHiddenFromReaders

# --- feeds --------------------------------------------------------------------------------


class FeedAdminForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    site_url = forms.URLField(
        label="Site URL",
        max_length=2000,
        required=False,
        assume_scheme="https",
        help_text="Optional: the outlet's home page.",
    )

    class Meta:
        model = Feed
        fields = ["url", "title", "site_url", "language", "active", "poll_interval"]
        help_texts = {
            "title": "The outlet's name, as sources will cite it (read from the feed if empty).",
            "language": "The language of its articles, where the feed does not say.",
            "poll_interval": "How often to check it, as HH:MM:SS (30 minutes: 00:30:00).",
        }

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
    # Adding a feed asks only what an editor knows; the fetcher fills in the rest.
    add_fieldsets = [(None, {"fields": ["url", "title", "language", "poll_interval", "site_url"]})]
    fieldsets = [
        (None, {"fields": ["url", "title", "site_url", "language", "active", "poll_interval"]}),
        ("Health", {"classes": ["collapse"], "fields": readonly_fields}),
    ]
    actions = ["check_now", "disable", "enable"]

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

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

# Undoing a dismissal carries the ids it changed, signed so that it restores only those.
UNDO_DISMISS_SALT = "ingest.article.undo-dismiss"
UNDO_DISMISS_MAX_AGE = 24 * 3600


class ReviewStatusFilter(admin.SimpleListFilter):
    """The review status, "new" when none is chosen: the inbox opens on what is left to triage.

    Django's own field filter cannot have a default: its "All" is the absence of the parameter.
    Here "All" is a value of its own."""

    title = "review status"
    parameter_name = "review_status__exact"  # the name of Django's field filter, kept for links
    ALL = "all"

    def lookups(self, request, model_admin):
        return [(self.ALL, "All"), *Article.ReviewStatus.choices]

    def value(self):
        return super().value() or Article.ReviewStatus.NEW

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value not in Article.ReviewStatus.values:
            raise IncorrectLookupParameters(f"Unknown review status {value!r}.")
        return queryset.filter(review_status=value)

    def choices(self, changelist):
        counts = self.get_facet_queryset(changelist) if changelist.add_facets else {}
        for i, (lookup, title) in enumerate(self.lookup_choices):
            if changelist.add_facets:
                title = f"{title} ({counts.get(f'{i}__c', '-')})"
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
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


def _web_url(url: str) -> str:
    """``url`` if it is a web address; a feed may carry any scheme in a link."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def _next_url(request: HttpRequest) -> str | None:
    """The page a triage button was pressed on, if it is one of this site's."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@admin.register(Article)
class ArticleAdmin(DraftsHiddenFromReaders, admin.ModelAdmin):
    """The editors' inbox: new articles, most relevant first, each with one-click create-event
    and dismiss (undone from the message that reports it).

    The row buttons submit the changelist form (which carries the CSRF token and ``next``) to
    the article's own dismiss or restore URL, so a row needs no form of its own."""

    form = ArticleAdminForm
    list_display = ["article", "mentioned_actors", "relevance_level", "kind", "triage"]
    # The title in the first column links to the change page itself; a link around the whole
    # cell would wrap the outlet's link too.
    list_display_links = None
    list_filter = [
        ReviewStatusFilter,
        RelevanceFilter,
        MentionedActorFilter,
        "candidate_kind",
        DuplicateFilter,
        "feed",
    ]
    list_select_related = ["feed", "event"]
    ordering = ["-relevance", "-published_at"]  # the "article_inbox" index serves it
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["event"]
    inlines = [MentionInline]
    actions = ["dismiss", "restore", "link_to_event", "create_event_from_article"]
    fieldsets = [
        (
            None,
            {"fields": ["title", "feed", "link", "published_at", "author", "language", "summary"]},
        ),
        (
            "Triage",
            {
                "fields": ["relevance_level", "kind", "duplicate_of", "review_status", "event"],
                "description": f"{RELEVANCE_HELP} {CANDIDATE_KIND_HELP}",
            },
        ),
        (
            "Internals",
            {
                "classes": ["collapse"],
                "fields": ["guid", "published_raw", "fetched_at", "content_hash"],
                "description": "How the feed identified and dated the entry, for debugging.",
            },
        ),
    ]
    readonly_fields = [
        "title",
        "feed",
        "link",
        "published_at",
        "author",
        "language",
        "summary",
        "relevance_level",
        "kind",
        "duplicate_of",
        "guid",
        "published_raw",
        "fetched_at",
        "content_hash",
    ]

    class Media:
        css = {"all": ["css/admin_inbox.css"]}

    def get_queryset(self, request):
        mentions = Mention.objects.select_related("actor").order_by("-count", "actor__name")
        return (
            super().get_queryset(request).prefetch_related(Prefetch("mentions", queryset=mentions))
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "relevance_help": RELEVANCE_HELP,
            "candidate_kind_help": CANDIDATE_KIND_HELP,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request):
        if self.has_change_permission(request):
            return self.list_display
        return [*self.list_display[:-1], "review_state"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        event = form.base_fields.get("event")
        if event is not None and obj is not None:
            # The one Event row also says where to go from here.
            if obj.event is not None:
                event.help_text = format_html(
                    'Linked to <a href="{}">{}</a>.', kind_change_url(obj.event), obj.event.title
                )
            else:
                event.help_text = format_html(
                    'Choose an existing event, or create one from this article: <a href="{}">'
                    "new {}</a>.",
                    create_event_url(obj),
                    kind_for_article(obj),
                )
        return form

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(require_POST(function))

        return [
            path("<int:pk>/dismiss/", view(self.dismiss_view), name="ingest_article_dismiss"),
            path("<int:pk>/restore/", view(self.restore_view), name="ingest_article_restore"),
            path("undo-dismiss/", view(self.undo_dismiss_view), name="ingest_article_undo"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False  # articles come from feeds

    # --- columns

    @admin.display(description="article (outlet, published)", ordering="published_at")
    def article(self, article):
        published = timezone.localtime(article.published_at)
        web = _web_url(article.url)
        return format_html(
            '<a class="inbox-title" dir="auto" href="{}">{}</a>'
            '<span class="inbox-meta">{}{} · <time datetime="{}">{}</time>{}</span>',
            reverse("admin:ingest_article_change", args=[article.pk]),
            article.title or article.url or "(untitled)",
            article.feed,
            format_html(' <a href="{}" rel="noopener noreferrer nofollow">↗</a>', web)
            if web
            else "",
            published.isoformat(),
            dateformat.format(published, "j M Y H:i"),
            " · duplicate" if article.duplicate_of_id else "",
        )

    @admin.display(description="actors")
    def mentioned_actors(self, article):
        return ", ".join(mention.actor.name for mention in article.mentions.all())

    @admin.display(description="relevance", ordering="relevance")
    def relevance_level(self, article):
        bucket = relevance_bucket(article.relevance)
        return format_html(
            '<span class="relevance relevance-{}" title="{}">{} <small>{}</small></span>',
            bucket,
            RELEVANCE_HELP,
            f"{article.relevance:.2f}",
            bucket,
        )

    @admin.display(description="candidate kind", ordering="candidate_kind")
    def kind(self, article):
        if not article.candidate_kind:
            return format_html('<span title="{}">—</span>', CANDIDATE_KIND_HELP)
        return format_html(
            '<abbr title="{}">{}?</abbr>',
            CANDIDATE_KIND_HELP,
            article.get_candidate_kind_display(),
        )

    @admin.display(description="triage")
    def triage(self, article):
        """One-click create-event and dismiss for a new article, restore for a dismissed one."""
        if article.event_id is not None:
            return format_html("Linked to {}", self.linked_event(article))
        if article.review_status == Article.ReviewStatus.DISMISSED:
            return format_html(
                'Dismissed <button type="submit" class="button" formaction="{}">Restore</button>',
                reverse("admin:ingest_article_restore", args=[article.pk]),
            )
        return format_html(
            '<span class="inbox-actions"><a class="button" href="{}">Create {}</a>'
            ' <button type="submit" class="button" formaction="{}">Dismiss</button></span>',
            create_event_url(article),
            kind_for_article(article),
            reverse("admin:ingest_article_dismiss", args=[article.pk]),
        )

    @admin.display(description="review status", ordering="review_status")
    def review_state(self, article):
        if article.event_id is not None:
            return format_html("Linked to {}", self.linked_event(article))
        return article.get_review_status_display()

    @admin.display(description="link")
    def link(self, article):
        web = _web_url(article.url)
        if not web:
            return article.url or "—"
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', web, web)

    @admin.display(description="event", ordering="event__date")
    def linked_event(self, article):
        if article.event is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', kind_change_url(article.event), article.event.title
        )

    def save_model(self, request, obj, form, change):
        if "event" in form.changed_data and obj.event is not None:
            link_article(obj, obj.event, request.user)
        else:
            super().save_model(request, obj, form, change)

    # --- dismiss, restore and undo

    def dismiss_with_undo(self, request, queryset) -> None:
        """Dismiss the new articles among ``queryset`` and say so, with an Undo button that
        restores exactly those (not any that were dismissed before)."""
        chosen = list(queryset.values_list("pk", "review_status", "title"))
        new = [pk for pk, status, _ in chosen if status == Article.ReviewStatus.NEW]
        dismissed = dismiss_articles(Article.objects.filter(pk__in=new))
        linked = sum(status == Article.ReviewStatus.LINKED for _, status, _ in chosen)
        if dismissed:
            what = (
                format_html("“{}”", Truncator(chosen[0][2]).chars(120))
                if len(chosen) == 1
                else f"{dismissed} article(s)"
            )
            token = signing.dumps(new, salt=UNDO_DISMISS_SALT, compress=True)
            self.message_user(
                request,
                format_html(
                    "Dismissed {}. "
                    '<form class="undo-form" method="post" action="{}">'
                    '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                    '<input type="hidden" name="token" value="{}">'
                    '<input type="hidden" name="next" value="{}">'
                    '<button type="submit" class="button">Undo</button></form>',
                    what,
                    reverse("admin:ingest_article_undo"),
                    get_token(request),
                    token,
                    _next_url(request) or "",
                ),
                messages.SUCCESS,
            )
        elif not linked:
            self.message_user(request, "Nothing to dismiss: already dismissed.", messages.INFO)
        if linked:
            self.message_user(
                request,
                f"{linked} article(s) already linked to an event were left as they are.",
                messages.WARNING,
            )

    @admin.action(description="Dismiss", permissions=["change"])
    def dismiss(self, request, queryset):
        self.dismiss_with_undo(request, queryset)

    @admin.action(description="Restore (back to new)", permissions=["change"])
    def restore(self, request, queryset):
        restored = restore_articles(queryset)
        self.message_user(
            request, f"Restored {restored} dismissed article(s) to the inbox.", messages.SUCCESS
        )

    def dismiss_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        self.dismiss_with_undo(request, Article.objects.filter(pk=pk))
        return self._back(request)

    def restore_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if restore_articles(Article.objects.filter(pk=pk)):
            self.message_user(request, "Restored the article to the inbox.", messages.SUCCESS)
        return self._back(request)

    def undo_dismiss_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            ids = signing.loads(
                request.POST.get("token", ""),
                salt=UNDO_DISMISS_SALT,
                max_age=UNDO_DISMISS_MAX_AGE,
            )
        except signing.SignatureExpired:
            return HttpResponseBadRequest(
                "This undo has expired: choose the dismissed articles and use “Restore”.",
                content_type="text/plain; charset=utf-8",
            )
        except signing.BadSignature:
            return HttpResponseBadRequest(
                "This undo is not valid.", content_type="text/plain; charset=utf-8"
            )
        restored = restore_articles(Article.objects.filter(pk__in=ids))
        self.message_user(
            request, f"Restored {restored} article(s) to the inbox.", messages.SUCCESS
        )
        return self._back(request)

    def _back(self, request):
        """To the list the button was pressed on (``next``), else the inbox."""
        return HttpResponseRedirect(
            _next_url(request) or reverse("admin:ingest_article_changelist")
        )

    # --- link and create

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
        if draft.category_cue:
            messages.info(
                request,
                f"The category {draft.initial['category']} is a guess from "
                f"“{draft.category_cue}”: check it.",
            )
        return EventPrefill(
            initial=draft.initial,
            inline_initial={
                "participants": draft.participants,
                "interactions": draft.interactions,
                "sources": draft.sources,
            },
        )

    def event_added(self, request, event):
        article = _article_from_request(request)
        if article is None or not request.user.has_perm("ingest.change_article"):
            return
        link_article(article, event, request.user)
        messages.info(request, f"Linked the article “{article.title}” to this event.")

    def offers_next(self, request):
        return request.user.has_perm("ingest.change_article") and (
            _article_from_request(request) is not None
        )

    def next_url(self, request, event):
        article = _article_from_request(request)
        if article is None:
            return None
        following = next_article(after=article)
        if following is None:
            messages.info(request, "No new article is left in the inbox.")
            return reverse("admin:ingest_article_changelist")
        return create_event_url(following)


register_event_admin_extension(ArticleTriage())
