"""Tags whose HTML ``dashboard.rows`` renders with Jinja2, for speed: ``{% event_items %}``,
``{% article_items %}`` (with the reader's permissions from the context), ``{% story_items %}``
(the machine-coded layer) and ``|field_html``."""

from django import template

from dashboard import rows

register = template.Library()


@register.simple_tag
def event_items(events):
    return rows.event_items(events)


@register.simple_tag
def story_items(machine):
    """The rows of a page's machine-coded layer (``views._machine_list``)."""
    return rows.story_items(machine["stories"], story_url=machine["story_url"])


@register.simple_tag(takes_context=True)
def article_items(context, articles):
    return rows.article_items(
        articles,
        can_triage=bool(context.get("can_triage")),
        can_see_drafts=context["request"].user.has_perm("relations.change_event"),
    )


@register.filter
def field_html(bound):
    """A form field's HTML: plain selects through ``dashboard.rows.select_html`` (Django's
    rendering of a select of a few hundred actors costs more than the page's queries), other
    widgets as Django renders them."""
    return rows.select_html(bound) or bound.as_widget()
