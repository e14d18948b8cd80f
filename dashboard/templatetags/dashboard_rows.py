"""Tags whose HTML ``dashboard.rows`` renders with Jinja2, for speed: ``{% event_items %}``,
``{% article_items %}`` (with the reader's permissions from the context) and ``|field_html``."""

from django import forms, template
from django.forms.utils import flatatt

from dashboard import rows

register = template.Library()


@register.simple_tag
def event_items(events):
    return rows.event_items(events)


@register.simple_tag(takes_context=True)
def article_items(context, articles):
    return rows.article_items(
        articles,
        can_triage=bool(context.get("can_triage")),
        can_see_drafts=context["request"].user.has_perm("relations.change_event"),
    )


@register.filter
def field_html(bound):
    """A form field's HTML. Selects of plain choices are written by ``dashboard.rows``: Django
    renders every option through a template, which for a select of a few hundred actors costs
    more than the page's queries. Other widgets render as usual."""
    widget = bound.field.widget
    choices = list(widget.choices) if isinstance(widget, forms.Select) else []
    if not choices or any(isinstance(label, list | tuple) for _, label in choices):
        return bound.as_widget()  # not a select, or one with option groups
    # As Django's own rendering: the widget's attributes with required and disabled, and the
    # chosen options as the widget formats the value (a NullBooleanSelect's True is "true").
    attrs = bound.build_widget_attrs({**widget.attrs}, widget)
    attrs["name"] = bound.html_name
    if bound.auto_id:
        attrs["id"] = bound.auto_id
    if bound.errors:
        attrs["aria-invalid"] = "true"
    chosen = widget.format_value(bound.value())  # a list; one string for NullBooleanSelect
    return rows.select(
        flatatt(attrs),
        choices,
        chosen={chosen} if isinstance(chosen, str) else set(chosen),
        multiple=widget.allow_multiple_selected,
    )
