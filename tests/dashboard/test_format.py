"""Template filters: honest dates, signed scores, safe external links."""

import datetime as dt

from django import forms
from django.http import QueryDict

from dashboard.templatetags.dashboard_format import (
    date_with_precision,
    external_url,
    signed_score,
    trend_label,
)
from dashboard.templatetags.dashboard_rows import field_html

DAY = dt.date(2023, 10, 26)


def test_a_date_shows_only_as_much_as_its_precision():
    assert date_with_precision(DAY, "day") == "26 October 2023"
    assert date_with_precision(dt.date(2023, 10, 1), "month") == "October 2023"
    assert date_with_precision(dt.date(2023, 1, 1), "year") == "2023"
    assert date_with_precision(None, "day") == ""


def test_scores_are_signed_with_a_real_minus():
    assert signed_score(2.1) == "+2.1"
    assert signed_score(-4) == "−4.0"
    assert signed_score(0.01) == "0.0"
    assert signed_score(None) == "–"


def test_trends_read_as_words():
    assert trend_label("warming") == "↗ warming"
    assert trend_label("cooling") == "↘ cooling"
    assert trend_label("steady") == "→ steady"


def test_only_web_links_are_linked():
    assert external_url("https://example.com/a") == "https://example.com/a"
    assert external_url("javascript:alert(1)") == ""
    assert external_url(" JAVASCRIPT:alert(1)") == ""
    assert external_url("data:text/html,hi") == ""
    assert external_url("") == ""


def test_a_select_is_written_directly_with_its_choice_selected_and_escaped():
    class Form(forms.Form):
        kind = forms.MultipleChoiceField(
            choices=[("meeting", "Meeting"), ("x", "<b>X</b>")],
            widget=forms.SelectMultiple(attrs={"data-autosubmit": "true"}),
        )
        lanes = forms.ChoiceField(choices=[("kind", "Kind"), ("actor", "Actor")])

    form = Form(QueryDict("kind=meeting&lanes=actor"))
    kind = field_html(form["kind"])
    assert kind.startswith("<select ") and kind.endswith("</select>")
    for attribute in ('data-autosubmit="true"', 'name="kind"', 'id="id_kind"', " multiple>"):
        assert attribute in kind
    assert '<option value="meeting" selected>Meeting</option>' in kind
    assert '<option value="x">&lt;b&gt;X&lt;/b&gt;</option>' in kind
    lanes = field_html(form["lanes"])
    assert '<option value="actor" selected>Actor</option>' in lanes
    assert '<option value="kind">Kind</option>' in lanes
    assert "multiple" not in lanes


def test_other_widgets_render_as_django_renders_them():
    class Form(forms.Form):
        q = forms.CharField()

    form = Form(QueryDict("q=<x>"))
    assert field_html(form["q"]) == form["q"].as_widget()
