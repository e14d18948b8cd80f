"""Forms of the review queue: the filters of stories and the inputs of the reject and merge
buttons.

``StoryFilter`` is written to serve /api/stories/ as well as /suggestions/ (one filterset per
model; dashboard imports coding, not the other way round): several actors, categories and
kinds may be given, each repeated in a URL."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from coding.models import ReviewStatus, Story
from relations.categories import Category
from relations.models import Actor, Event

REASON_MAX_CHARS = 1000
# A slug as the API schema states it (JSON Schema's regular expressions).
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def _picker(placeholder: str) -> forms.SelectMultiple:
    """A multi-select that static/js/forms.js turns into a searchable picker (the pages load
    select2 from the admin's static files); without the script it stays a select."""
    return forms.SelectMultiple(attrs={"data-picker": "true", "data-placeholder": placeholder})


class StoryFilter(django_filters.FilterSet):
    actor = extend_schema_field({"type": "string", "pattern": SLUG_PATTERN})(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Actor.objects.all(),
            to_field_name="slug",
            method="filter_actors",
            label="Actors",
            help_text="Stories where any of these is the source or the target (in a URL: each "
            "actor's slug, the parameter repeated).",
            widget=_picker("Any actor"),
        )
    )
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices, label="Category", widget=_picker("Any category")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=Event.Kind.choices, label="Kind", widget=_picker("Any kind")
    )
    status = django_filters.ChoiceFilter(
        choices=ReviewStatus.choices, label="Review status", empty_label="Any status"
    )

    class Meta:
        model = Story
        fields: list[str] = []

    def filter_actors(self, queryset, name, actors):
        return involving(queryset, actors)


def involving(queryset, actors):
    """Machine-coded rows (stories or suggestions) where any of ``actors`` acts or is acted
    upon."""
    ids = [actor.pk for actor in actors]
    if not ids:
        return queryset
    return queryset.filter(Q(source_id__in=ids) | Q(target_id__in=ids))


class RejectForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_CHARS,
        label="Reason",
        help_text="Optional: why the machine got it wrong.",
    )


class MergeForm(forms.Form):
    event = forms.ModelChoiceField(
        queryset=Event.objects.all(),
        label="Event id",
        error_messages={"invalid_choice": "There is no event with this id."},
        widget=forms.NumberInput(attrs={"min": 1}),
        help_text="The id of the event the story reports (the list offers the pair's events "
        "around its dates).",
    )
