"""Forms of the review queue: the filters of /suggestions/ (one filterset for stories, which
the API may reuse: dashboard imports coding, not the other way round) and the inputs of the
reject and merge buttons."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from coding.models import ReviewStatus, Story
from relations.categories import Category
from relations.models import Actor, Event

REASON_MAX_CHARS = 1000


class StoryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=ReviewStatus.choices, empty_label="Any status", label="Status"
    )
    actor = django_filters.ModelChoiceFilter(
        queryset=Actor.objects.all(),
        to_field_name="slug",
        method="filter_actor",
        label="Actor",
        empty_label="Any actor",
        help_text="Either side of the pair (in a URL: the actor's slug).",
    )
    category = django_filters.ChoiceFilter(
        choices=Category.choices, empty_label="Any category", label="Category"
    )
    kind = django_filters.ChoiceFilter(
        choices=Event.Kind.choices, empty_label="Any kind", label="Kind"
    )

    class Meta:
        model = Story
        fields = ["status", "actor", "category", "kind"]

    def filter_actor(self, queryset, name, actor):
        return queryset.filter(Q(source=actor) | Q(target=actor))


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
