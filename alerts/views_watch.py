"""The watchlist pages: a user's own list at /watch/, one watchlist (edit, pause, delete,
new secret or feed address), its delivery log, and its private Atom feed.

Every page but the feed asks for a login and finds watchlists among the user's own only:
another user's watchlist, secret or deliveries answer 404, as if they did not exist. The
feed needs no login; its unguessable token is the key, and a new one revokes the old.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_POST

from alerts.delivery import visible_to
from alerts.forms import WatchlistForm, create_watchlist
from alerts.models import BriefSubscription, Delivery, Notification, Watchlist, new_token
from alerts.saved import UnreadableFilters

FEED_ENTRIES = 50
LOG_ENTRIES = 100


def _own(request, pk: int) -> Watchlist:
    return get_object_or_404(Watchlist, pk=pk, owner=request.user)


@login_required
def watchlists(request):
    own = Watchlist.objects.filter(owner=request.user).order_by("name", "id")
    return render(
        request,
        "alerts/watchlists.html",
        {
            "watchlists": own,
            "subscribed": BriefSubscription.objects.filter(owner=request.user).exists(),
            "briefs": Delivery.objects.filter(owner=request.user, channel=Delivery.Channel.BRIEF)[
                :12
            ],
        },
    )


@login_required
@require_POST
def watch_this(request):
    path = request.POST.get("path", "").strip()
    existing = Watchlist.objects.filter(owner=request.user, saved_url=path).first()
    if existing is not None:
        messages.info(request, "You already watch this page.")
        return redirect(existing)
    try:
        watchlist = create_watchlist(request.user, path)
    except UnreadableFilters as exc:
        return render(request, "alerts/cannot_watch.html", {"reason": str(exc)}, status=400)
    messages.success(request, f"Watching “{watchlist.name}”. Choose how you are told below.")
    return redirect(watchlist)


@login_required
def watchlist(request, pk: int):
    watchlist = _own(request, pk)
    form = WatchlistForm(request.POST or None, instance=watchlist)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Saved.")
            return redirect(watchlist)
        status = 400
    else:
        status = 200
    notifications = visible_to(request.user, watchlist.notifications.select_related("event")[:20])
    return render(
        request,
        "alerts/watchlist.html",
        {
            "watchlist": watchlist,
            "form": form,
            "notifications": notifications,
            "feed_url": request.build_absolute_uri(
                reverse("alerts:watchlist_feed", args=[watchlist.atom_token])
            ),
        },
        status=status,
    )


@login_required
@require_POST
def watchlist_pause(request, pk: int):
    watchlist = _own(request, pk)
    watchlist.paused = not watchlist.paused
    watchlist.paused_reason = ""
    watchlist.save(update_fields=["paused", "paused_reason", "updated_at"])
    messages.success(request, "Paused." if watchlist.paused else "Resumed.")
    return redirect(watchlist)


@login_required
def watchlist_delete(request, pk: int):
    watchlist = _own(request, pk)
    if request.method == "POST":
        watchlist.delete()
        messages.success(request, f"Deleted “{watchlist.name}”.")
        return redirect("alerts:watchlists")
    return render(request, "alerts/confirm_delete.html", {"watchlist": watchlist})


ROTATED = {
    "secret": ("webhook_secret", "A new webhook secret: give it to your receiver."),
    "token": ("atom_token", "A new feed address: the old one no longer works."),
}


@login_required
@require_POST
def watchlist_rotate(request, pk: int, what: str):
    watchlist = _own(request, pk)
    if what not in ROTATED:
        raise Http404("Nothing of that name to renew.")
    field, message = ROTATED[what]
    setattr(watchlist, field, new_token())
    watchlist.save(update_fields=[field, "updated_at"])
    messages.success(request, message)
    return redirect(watchlist)


@login_required
def watchlist_deliveries(request, pk: int):
    watchlist = _own(request, pk)
    return render(
        request,
        "alerts/deliveries.html",
        {"watchlist": watchlist, "deliveries": watchlist.deliveries.all()[:LOG_ENTRIES]},
    )


@login_required
@require_POST
def brief_subscription(request):
    if request.POST.get("subscribe") == "1":
        address = request.POST.get("address", "").strip()
        if address:
            try:
                validate_email(address)
            except ValidationError:
                messages.error(request, f"“{address}” is not an e-mail address: not subscribed.")
                return redirect("alerts:watchlists")
            request.user.email = address
            request.user.save(update_fields=["email"])
        BriefSubscription.objects.get_or_create(owner=request.user)
        if request.user.email:
            messages.success(request, "You will get the monthly brief by e-mail.")
        else:
            messages.warning(request, "Your account has no e-mail address to send it to.")
    else:
        BriefSubscription.objects.filter(owner=request.user).delete()
        messages.success(request, "No more monthly brief mails.")
    return redirect("alerts:watchlists")


class WatchlistFeed(Feed):
    """A watchlist's notifications as Atom, for a feed reader holding the secret address."""

    feed_type = Atom1Feed

    def get_object(self, request, token: str):
        watchlist = Watchlist.objects.select_related("owner").filter(atom_token=token).first()
        if watchlist is None:
            raise Http404("No such feed.")
        return watchlist

    def title(self, watchlist):
        return f"Relwatch: {watchlist.name}"

    def link(self, watchlist):
        return watchlist.get_absolute_url()

    def subtitle(self, watchlist):
        return "Alerts of a Relwatch watchlist."

    def items(self, watchlist):
        latest = Notification.objects.filter(watchlist=watchlist).select_related("event")
        return visible_to(watchlist.owner, latest[:FEED_ENTRIES])

    def item_title(self, notification):
        return notification.title

    def item_description(self, notification):
        return notification.body

    def item_link(self, notification):
        return notification.data.get("url") or (
            f"{notification.watchlist.get_absolute_url()}#notification-{notification.pk}"
        )

    def item_guid(self, notification):
        return f"relwatch-notification-{notification.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, notification):
        return notification.created_at

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # A private address: no shared cache keeps it, no search engine lists it.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        return response


watchlist_feed = WatchlistFeed()
