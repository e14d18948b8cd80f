"""The watchlist form: the saved page is read again (alerts.saved) and the webhook's address
checked by the feeds' guard before anything is stored. Mail goes to the owner's account
address, which the form shows and changes (an analyst has no other page to set it on)."""

from __future__ import annotations

from django import forms

from alerts.models import Watchlist
from alerts.saved import UnreadableFilters, read_saved_url
from alerts.webhooks import validate_webhook_url
from ingest.fetching import UnsafeURL


class WatchlistForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Signed JSON POSTs (see the README); empty for none.",
    )
    address = forms.EmailField(
        label="Your e-mail address",
        required=False,
        help_text="Your account's address: mail of all your watchlists and the brief goes there.",
    )

    class Meta:
        model = Watchlist
        fields = [
            "name",
            "saved_url",
            "on_new_event",
            "on_story",
            "story_min_outlets",
            "on_evidence",
            "on_shift",
            "shift_threshold",
            "email",
            "address",
            "webhook_url",
        ]
        labels = {"saved_url": "Watched page", "email": "E-mail"}
        help_texts = {
            "saved_url": "The page and its filters, as the address bar showed them.",
            "on_shift": "Pair watchlists only: the last 7 days against the usual level.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].initial = self.instance.owner.email
        if not self.instance.is_pair:
            # The page leaves the shift settings out for other scopes: keep what is stored.
            self.fields["shift_threshold"].required = False

    def clean_shift_threshold(self) -> float:
        value = self.cleaned_data["shift_threshold"]
        return self.instance.shift_threshold if value is None else value

    def clean_address(self) -> str:
        # A post without the field (not the page's form) leaves the address as it is.
        if self.add_prefix("address") not in self.data:
            return self.instance.owner.email
        return self.cleaned_data["address"]

    def clean(self) -> dict:
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and email != Watchlist.EmailFrequency.OFF and not cleaned.get("address"):
            self.add_error("address", "Give an address for the mail, or choose “No e-mail”.")
        return cleaned

    def clean_saved_url(self) -> str:
        saved_url = self.cleaned_data["saved_url"].strip()
        try:
            self.saved = read_saved_url(saved_url)
        except UnreadableFilters as exc:
            raise forms.ValidationError(str(exc)) from None
        return saved_url

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"].strip()
        if not url:
            return ""
        try:
            return validate_webhook_url(url)
        except UnsafeURL as exc:
            raise forms.ValidationError(f"Webhooks cannot be sent there: {exc}.") from None

    def save(self, commit: bool = True) -> Watchlist:
        watchlist = super().save(commit=False)
        for name, value in self.saved.columns().items():
            setattr(watchlist, name, value)
        # Readable filters again: a pause the system made for unreadable ones is over.
        if watchlist.paused_reason:
            watchlist.paused = False
            watchlist.paused_reason = ""
        if commit:
            watchlist.save()
            owner = watchlist.owner
            if self.cleaned_data["address"] != owner.email:
                owner.email = self.cleaned_data["address"]
                owner.save(update_fields=["email"])
        return watchlist


def create_watchlist(owner, saved_url: str) -> Watchlist:
    """ "Watch this": a watchlist of the page as it is, named after it, with the defaults.
    Raises UnreadableFilters."""
    saved = read_saved_url(saved_url)
    return Watchlist.objects.create(
        owner=owner,
        name=saved.name[: Watchlist._meta.get_field("name").max_length],
        saved_url=saved_url.strip(),
        on_shift=saved.scope == Watchlist.Scope.PAIR,
        **saved.columns(),
    )
