"""``{% filter_summary form as summary %}``: the active filters of the page's request, for
``dashboard/includes/active_filters.html`` and the count beside the folded filters."""

from django import template

from dashboard.forms import FilterSummary, filter_summary

register = template.Library()


@register.simple_tag(name="filter_summary", takes_context=True)
def filter_summary_tag(context, form) -> FilterSummary:
    request = context["request"]
    return filter_summary(form, request.GET, request.path)
