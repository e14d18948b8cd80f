"""Admin forms that refuse the same bad input as the seed loader, with a message on the field.

The database constraints stay the last line of defence; these checks run first so an editor
sees which field is wrong instead of an IntegrityError.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError

from relations.categories import DEFAULT_INTENSITY, SCORE_MAX, SCORE_MIN
from relations.models import Affiliation, Alias, Event, Interaction, Source

PUBLISHED_NEEDS_SOURCE = "A published event needs at least one source: add one, or keep it a draft."


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["source", "target", "score"]

    def clean_score(self):
        score = self.cleaned_data.get("score")
        # Empty is allowed: Interaction.save() fills in the event category's default.
        if score is not None and not SCORE_MIN <= score <= SCORE_MAX:
            raise ValidationError(
                "The score must lie between −10 (conflict) and +10 (cooperation); got %(score)s.",
                code="score_range",
                params={"score": score},
            )
        return score

    def clean(self):
        cleaned = super().clean()
        source, target = cleaned.get("source"), cleaned.get("target")
        if source is not None and source == target:
            self.add_error("target", "Source and target must be different actors.")
        return cleaned


class AffiliationForm(forms.ModelForm):
    class Meta:
        model = Affiliation
        fields = ["actor", "parent", "role", "start_date", "end_date"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must not be before the start date.")
        # In the actor's inline the actor field is absent; the instance carries it.
        actor = cleaned.get("actor") or getattr(self.instance, "actor", None)
        parent = cleaned.get("parent")
        if actor is not None and parent is not None and actor.pk == parent.pk:
            self.add_error("parent", "An actor cannot be affiliated with itself.")
        return cleaned


class AliasForm(forms.ModelForm):
    class Meta:
        model = Alias
        fields = ["actor", "text", "language", "case_sensitive"]

    def clean_text(self):
        return self.cleaned_data["text"].strip()

    def clean(self):
        cleaned = super().clean()
        text, language = cleaned.get("text"), cleaned.get("language")
        if text and language:
            clash = (
                Alias.objects.filter(text__iexact=text, language=language)
                .exclude(pk=self.instance.pk)
                .select_related("actor")
                .first()
            )
            if clash is not None:
                self.add_error(
                    "text",
                    f"“{clash.text}” ({language}) is already an alias of {clash.actor}; "
                    "aliases are unique per language, ignoring case.",
                )
        return cleaned


def _live_forms(formset):
    """The forms of a bound formset that will be saved: filled in and not marked for deletion."""
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if data and not data.get("DELETE"):
            yield form


class AliasInlineFormSet(forms.BaseInlineFormSet):
    """Two new aliases in one submission never reach the database, so compare them here."""

    def clean(self):
        super().clean()
        seen: dict[tuple[str, str], str] = {}
        for form in _live_forms(self):
            text, language = form.cleaned_data.get("text"), form.cleaned_data.get("language")
            if not text or not language:
                continue
            key = (text.casefold(), language)
            if key in seen:
                form.add_error("text", f"“{text}” ({language}) is listed twice.")
            seen[key] = text


class SourceInlineFormSet(forms.BaseInlineFormSet):
    """A published event needs a source; sources added in the same submission count."""

    def clean(self):
        super().clean()
        if self.instance.status != Event.Status.PUBLISHED:
            return
        if not any(True for _ in _live_forms(self)):
            raise ValidationError(PUBLISHED_NEEDS_SOURCE, code="needs_source")


class EventAdminForm(forms.ModelForm):
    """The model's own check (a published event has a *saved* source) cannot see the sources
    inline, which is saved after this form; SourceInlineFormSet makes that check instead.

    The category select carries the default scores, so that static/js/event_form.js moves
    the interactions' prefilled scores when the category changes."""

    class Media:
        js = ["js/event_form.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].widget.attrs["data-default-scores"] = json.dumps(
                DEFAULT_INTENSITY
            )

    def _post_clean(self):
        publishing = self.cleaned_data.get("status") == Event.Status.PUBLISHED
        if publishing:
            self.cleaned_data["status"] = Event.Status.DRAFT
        super()._post_clean()
        if publishing:
            self.cleaned_data["status"] = Event.Status.PUBLISHED
            self.instance.status = Event.Status.PUBLISHED


class SourceForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, required=False, assume_scheme="https")

    class Meta:
        model = Source
        fields = ["url", "outlet", "title", "published_at", "quote", "language", "reliability"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2})}
