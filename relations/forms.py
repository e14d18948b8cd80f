"""Admin forms that refuse bad input with a message on the field.

The rules are the models' own (field validators, ``clean()`` and constraints, which a
ModelForm runs); these forms only say which field a constraint's message belongs to, and check
what the database cannot see yet: rows added together in one submission.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Value
from django.db.models.functions import Lower
from django.forms.models import InlineForeignKeyField

from relations.categories import DEFAULT_INTENSITY
from relations.models import PUBLISHED_NEEDS_SOURCE, Affiliation, Alias, Event, Interaction, Source


class ConstraintsOnFields(forms.ModelForm):
    """Puts the errors of the model's check constraints named in ``constraint_fields`` on the
    field they are about instead of above the form. The rule and its message stay the model's.

    Django leaves an inline's foreign key (the actor of an actor's affiliations) out of the
    model's checks, so a constraint on it would never run there; it is checked here with the
    parent the formset set on the instance."""

    constraint_fields: dict[str, str] = {}

    def _post_clean(self):
        super()._post_clean()
        constraints = {c.name: c for c in self._meta.model._meta.constraints}
        mine = {constraints[name].get_violation_error_message() for name in self.constraint_fields}
        # Drop the model's copy above the form; the loop below puts each one on its field.
        for error in self._errors.pop(NON_FIELD_ERRORS, self.error_class()).as_data():
            if error.message not in mine:
                self.add_error(None, error)
        inline = {n for n, field in self.fields.items() if isinstance(field, InlineForeignKeyField)}
        # A field already refused is not checked again (as Django does).
        exclude = (self._get_validation_exclusions() - inline) | set(self._errors)
        for name, field in self.constraint_fields.items():
            try:
                constraints[name].validate(type(self.instance), self.instance, exclude=exclude)
            except ValidationError as error:
                self.add_error(field, error)


class InteractionForm(ConstraintsOnFields):
    # The score's range is the model field's validators; empty is allowed (Interaction.save()
    # fills in the event category's default).
    constraint_fields = {"interaction_distinct_actors": "target"}

    class Meta:
        model = Interaction
        fields = ["source", "target", "score"]


class AffiliationForm(ConstraintsOnFields):
    constraint_fields = {"affiliation_dates_in_order": "end_date", "affiliation_not_self": "parent"}

    class Meta:
        model = Affiliation
        fields = ["actor", "parent", "role", "start_date", "end_date"]


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
            # The constraint alias_unique_text_per_language says only "violated"; this names
            # the actor that holds the alias, comparing as the constraint does: lower(text).
            clash = (
                Alias.objects.alias(key=Lower("text"))
                .filter(key=Lower(Value(text)), language=language)
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


def alias_key(text: str) -> str:
    """What makes two aliases of one language the same: lower(text), as the constraint
    alias_unique_text_per_language compares them."""
    return text.lower()


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
            key = (alias_key(text), language)
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
