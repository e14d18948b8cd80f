"""The plotly figure builders: the right points, colours on the diverging scale, and on every
point the URL of the events behind it. No database needed: they take plain data."""

import datetime as dt
import json
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from dashboard import figures


def _data(fig) -> dict:
    # The builders skip plotly's validation for speed; here every figure goes through it, so
    # a misspelt or unknown property fails a test instead of being ignored by the browser.
    go.Figure(fig)
    return json.loads(figures.figure_json(fig))


def _event(pk, title, date, *, kind="meeting", precision="day", score=None):
    return SimpleNamespace(
        pk=pk,
        title=title,
        date=date,
        date_precision=precision,
        kind=kind,
        mean_score=score,
        get_kind_display=lambda: kind.capitalize(),
    )


def _timeline(events, lanes="kind", actor_names=None):
    return _data(
        figures.timeline_figure(
            events,
            lanes=lanes,
            event_url=lambda event: f"/events/{event.pk}/",
            date_label=lambda event: f"label {event.pk}",
            actor_names=actor_names,
        )
    )


def _traces(data) -> dict:
    return {trace["name"]: trace for trace in data["data"]}


def _lane_of(data, y: float) -> str:
    """The lane label a point's height falls in (lanes are one unit apart)."""
    axis = data["layout"]["yaxis"]
    return axis["ticktext"][axis["tickvals"].index(round(y))]


def test_the_timeline_puts_each_event_in_its_kind_lane_with_its_url():
    data = _timeline(
        [
            _event(1, "Talks", dt.date(2023, 10, 26), score=2.1),
            _event(2, "Claim", dt.date(2023, 9, 3), kind="allegation"),
        ]
    )
    traces = _traces(data)
    scored, unscored = traces["scored"], traces["no interactions"]
    assert scored["x"] == ["2023-10-26"]
    assert _lane_of(data, scored["y"][0]) == "Meeting"
    assert scored["customdata"][0][0] == "/events/1/"
    assert scored["marker"]["color"] == [2.1]
    # An event without interactions is drawn grey, not as a neutral zero.
    assert _lane_of(data, unscored["y"][0]) == "Allegation"
    assert unscored["customdata"][0][0] == "/events/2/"
    assert unscored["marker"]["color"] == figures.UNSCORED_COLOUR
    # The first lane in alphabetical order is on top.
    assert data["layout"]["yaxis"]["ticktext"] == ["Meeting", "Allegation"]


def test_events_on_the_same_day_in_a_lane_are_fanned_out_and_counted():
    same_day = dt.date(2023, 10, 26)
    data = _timeline(
        [_event(pk, f"Talks {pk}", same_day, score=2.1) for pk in (1, 2, 3)]
        + [_event(4, "Alone", dt.date(2023, 12, 1), score=1.0)]
    )
    scored = _traces(data)["scored"]
    by_title = dict(zip((row[1] for row in scored["customdata"]), scored["y"], strict=True))
    crowded = [by_title[f"Talks {pk}"] for pk in (1, 2, 3)]
    # Three distinct heights, all within the Meeting lane, centred on it.
    assert len(set(crowded)) == 3
    assert {_lane_of(data, y) for y in crowded} == {"Meeting"}
    assert sum(crowded) / 3 == pytest.approx(0, abs=1e-3)
    assert by_title["Alone"] == 0
    counts = {row[1]: row[5] for row in scored["customdata"]}
    assert counts["Talks 1"] == "<br>3 events this day in this lane"
    assert counts["Alone"] == ""
    assert "%{customdata[5]}" in scored["hovertemplate"]


def test_a_pile_of_events_on_one_day_stays_within_its_lane_each_at_its_own_height():
    day = dt.date(2023, 10, 26)
    data = _timeline(
        [_event(pk, f"T{pk}", day, score=1) for pk in range(200)]
        + [_event(999, "Said", day, kind="statement", score=1)]
    )
    scored = _traces(data)["scored"]
    meetings = [
        y for y, row in zip(scored["y"], scored["customdata"], strict=True) if row[1] != "Said"
    ]
    assert len(set(meetings)) == 200
    # Fanned out within the lane's band, never into the next lane.
    assert max(meetings) - min(meetings) <= 0.8 + 1e-9
    assert all(_lane_of(data, y) == "Meeting" for y in meetings)
    # The lanes grew for the pile, up to a limit.
    assert data["layout"]["height"] > 260


def test_a_busy_day_fans_out_only_the_events_that_overlap_it():
    data = _timeline(
        [
            _event(1, "Month", dt.date(2023, 10, 1), precision="month", score=1),
            _event(2, "In it", dt.date(2023, 10, 20), score=1),
            _event(3, "After it", dt.date(2023, 11, 5), score=1),
        ]
    )
    scored = _traces(data)["scored"]
    heights = {row[1]: y for row, y in zip(scored["customdata"], scored["y"], strict=True)}
    assert heights["Month"] != heights["In it"]
    assert heights["After it"] == 0


def test_the_same_day_in_different_lanes_is_not_stacked():
    day = dt.date(2023, 10, 26)
    data = _timeline(
        [_event(1, "Talks", day, score=2.1), _event(2, "Said", day, kind="statement", score=1)]
    )
    ys = sorted(_traces(data)["scored"]["y"])
    assert ys == [0, 1]


def test_a_month_precision_event_is_a_span_over_its_month_with_an_honest_label():
    data = _timeline(
        [_event(7, "Claim", dt.date(2023, 2, 1), precision="month", score=-2)]
        + [_event(8, "Year", dt.date(2022, 1, 1), precision="year", kind="allegation")]
    )
    traces = _traces(data)
    scored = traces["scored"]
    # The marker sits inside its month, not on the first of it, and says the period.
    assert scored["x"] == ["2023-02-14"]
    assert scored["marker"]["symbol"] == ["diamond"]
    assert scored["customdata"][0][2] == "label 7"
    periods = traces["periods"]
    assert periods["mode"] == "lines"
    spans = {
        (periods["x"][i], periods["x"][i + 1]): periods["y"][i]
        for i in range(0, len(periods["x"]), 3)
    }
    assert spans.keys() == {("2023-02-01", "2023-02-28"), ("2022-01-01", "2022-12-31")}
    # Each span at its marker's height.
    assert spans[("2023-02-01", "2023-02-28")] == scored["y"][0]
    # A day inside the month is not drawn on top of the month's span.
    data = _timeline(
        [
            _event(7, "Claim", dt.date(2023, 2, 1), precision="month", score=-2),
            _event(9, "Talks", dt.date(2023, 2, 14), score=2),
        ]
    )
    assert len(set(_traces(data)["scored"]["y"])) == 2


def test_a_day_precision_event_draws_no_span():
    data = _timeline([_event(1, "Talks", dt.date(2023, 10, 26), score=2.1)])
    assert _traces(data)["periods"]["x"] == []


def test_the_timeline_opens_on_the_events_dates_with_a_range_slider():
    data = _timeline(
        [
            _event(1, "First", dt.date(2021, 3, 10), score=1),
            _event(2, "Last", dt.date(2023, 10, 26), precision="month", score=1),
        ]
    )
    xaxis = data["layout"]["xaxis"]
    start, end = (dt.date.fromisoformat(day) for day in xaxis["range"])
    # From a little before the first event to a little after the end of the last one's
    # month: not from 1900, nor up to today.
    assert dt.date(2021, 1, 1) < start < dt.date(2021, 3, 10)
    assert dt.date(2023, 10, 31) < end < dt.date(2024, 3, 1)
    assert xaxis["rangeslider"]["visible"] is True


def test_a_lone_event_opens_on_a_window_around_it():
    data = _timeline([_event(1, "Talks", dt.date(2023, 10, 26), score=1)])
    start, end = (dt.date.fromisoformat(day) for day in data["layout"]["xaxis"]["range"])
    assert start < dt.date(2023, 10, 26) < end
    assert (end - start).days <= 60


def test_an_empty_timeline_has_no_range_to_open_on():
    data = _timeline([])
    assert "range" not in data["layout"]["xaxis"]


def test_the_timeline_gives_an_event_one_point_per_actor_lane():
    data = _timeline(
        [_event(3, "Talks", dt.date(2023, 10, 26), score=2.1)],
        lanes="actor",
        actor_names={3: ["Hamas", "Russia"]},
    )
    scored = _traces(data)["scored"]
    assert sorted(_lane_of(data, y) for y in scored["y"]) == ["Hamas", "Russia"]
    assert {row[0] for row in scored["customdata"]} == {"/events/3/"}
    assert data["layout"]["yaxis"]["ticktext"] == ["Russia", "Hamas"]


def test_markup_in_stored_text_reaches_the_figure_as_text():
    data = _timeline([_event(4, "<img src=x onerror=alert(1)>", dt.date(2023, 1, 1), score=1)])
    title = _traces(data)["scored"]["customdata"][0][1]
    assert title == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<img" not in json.dumps(data)


POINTS = [
    {
        "period": "2023-10-01",
        "period_end": "2023-10-31",
        "a_to_b": 3.1,
        "b_to_a": 0.0,
        "a_to_b_count": 2,
        "b_to_a_count": 0,
        "events": 2,
    },
    {
        "period": "2023-11-01",
        "period_end": "2023-11-30",
        "a_to_b": -4.0,
        "b_to_a": 5.4,
        "a_to_b_count": 1,
        "b_to_a_count": 2,
        "events": 3,
    },
]


def _dyad(points=POINTS, **kwargs):
    return _data(
        figures.dyad_figure(
            points,
            a_name="Russia",
            b_name="Hamas",
            period_url=lambda period: f"/relations/russia/hamas/?period={period}",
            **kwargs,
        )
    )


def test_the_dyad_figure_has_event_bars_and_a_line_per_direction_all_linking_to_periods():
    bars, a_to_b, b_to_a = _dyad()["data"]
    assert bars["type"] == "bar"
    assert bars["y"] == [2, 3]
    assert bars["customdata"] == [
        "/relations/russia/hamas/?period=2023-10-01",
        "/relations/russia/hamas/?period=2023-11-01",
    ]
    assert a_to_b["name"] == "Russia → Hamas"
    assert a_to_b["y"] == [3.1, -4.0]
    assert [row[0] for row in a_to_b["customdata"]] == bars["customdata"]
    assert b_to_a["name"] == "Hamas → Russia"


def test_a_direction_without_interactions_in_a_period_is_a_gap_not_a_zero():
    _, _, b_to_a = _dyad()["data"]
    assert b_to_a["y"] == [None, 5.4]
    assert b_to_a["connectgaps"] is False


def test_the_dyad_colour_range_stays_symmetric_around_zero_for_large_sums():
    points = [{**POINTS[0], "a_to_b": -25.0, "a_to_b_count": 5}]
    _, a_to_b, _ = _dyad(points)["data"]
    assert a_to_b["marker"]["cmin"] == -25.0
    assert a_to_b["marker"]["cmax"] == 25.0


def test_the_compact_dyad_figure_is_small_and_without_legend():
    layout = _dyad(compact=True)["layout"]
    assert layout["height"] == 170
    assert layout["showlegend"] is False


def test_the_compact_dyad_figure_has_a_labelled_symmetric_scale_with_a_zero_line():
    yaxis = _dyad(compact=True)["layout"]["yaxis"]
    # The scale's ends and zero are labelled, whatever plotly would have picked.
    assert yaxis["tickvals"] == [-10, 0, 10]
    assert yaxis["ticktext"] == ["−10", "0", "+10"]
    low, high = yaxis["range"]
    assert low == -high and high >= 10
    assert yaxis["zeroline"] is True
    # Sums beyond one interaction's scale widen it to a round number, still symmetric,
    # labelled and inside the range drawn.
    points = [{**POINTS[0], "a_to_b": -14.2, "a_to_b_count": 5}]
    yaxis = _dyad(points, compact=True)["layout"]["yaxis"]
    assert yaxis["tickvals"] == [-15, 0, 15]
    assert yaxis["ticktext"] == ["−15", "0", "+15"]
    assert yaxis["range"][0] < -15 and yaxis["range"][1] > 15


GRAPH = {
    "nodes": [
        {"slug": "russia", "name": "Russia", "kind": "state", "colour": "#c62828", "activity": 9},
        {"slug": "hamas", "name": "Hamas", "kind": "armed_group", "colour": "", "activity": 4},
        {"slug": "israel", "name": "Israel", "kind": "state", "colour": "", "activity": 5},
    ],
    "edges": [
        {"source": "hamas", "target": "russia", "net_score": 8.4, "count": 4, "events": 3},
        {"source": "israel", "target": "russia", "net_score": -6.0, "count": 2, "events": 2},
    ],
}


def _network(graph=GRAPH):
    return _data(
        figures.network_figure(
            graph,
            actor_url=lambda slug: f"/actors/{slug}/",
            pair_url=lambda a, b: f"/relations/{a}/{b}/",
        )
    )


def test_the_network_draws_an_edge_per_pair_coloured_by_net_score_and_wide_by_count():
    traces = _network()["data"]
    edges = [trace for trace in traces if trace["mode"] == "lines"]
    assert len(edges) == 2
    by_width = sorted(edges, key=lambda trace: trace["line"]["width"])
    weak, strong = by_width
    assert strong["line"]["width"] > weak["line"]["width"]
    # The busier, friendly pair is blue; the hostile one red.
    assert strong["line"]["color"] == figures.score_colour(8.4)
    assert weak["line"]["color"] == figures.score_colour(-6.0)
    red, _, blue = (int(part) for part in weak["line"]["color"][4:-1].split(","))
    assert red > blue


def test_every_network_edge_and_node_opens_its_pair_or_actor():
    traces = {trace.get("name"): trace for trace in _network()["data"]}
    pairs = traces["pairs"]
    assert {row[0] for row in pairs["customdata"]} == {
        "/relations/hamas/russia/",
        "/relations/israel/russia/",
    }
    actors = traces["actors"]
    assert [row[0] for row in actors["customdata"]] == [
        "/actors/russia/",
        "/actors/israel/",
        "/actors/hamas/",
    ]
    sizes = actors["marker"]["size"]
    assert sizes[0] > sizes[1] > sizes[2]
    assert actors["marker"]["color"][0] == "#c62828"


def test_the_network_legend_says_what_each_node_colour_means():
    data = _network()
    legend = [trace for trace in data["data"] if trace.get("showlegend")]
    assert {trace["name"]: trace["marker"]["color"] for trace in legend} == {
        "Russia": "#c62828",
        "other actors": figures.NODE_COLOUR,
    }
    # Entries only: the legend draws no second copy of any node.
    assert all(trace["x"] == [None] for trace in legend)
    actors = next(trace for trace in data["data"] if trace.get("name") == "actors")
    assert set(actors["marker"]["color"]) == {"#c62828", figures.NODE_COLOUR}
    assert data["layout"]["showlegend"] is True
    assert data["layout"]["legend"]["itemclick"] is False


def test_a_large_graph_draws_only_the_busiest_actors_and_pairs():
    nodes = [
        {"slug": f"a{i}", "name": f"A{i}", "colour": "", "activity": 100 - i} for i in range(60)
    ]
    edges = [
        {"source": f"a{i}", "target": f"a{j}", "net_score": 1.0, "count": 200 - i - j}
        for i in range(60)
        for j in range(i + 1, 60)
    ]
    traces = _data(
        figures.network_figure(
            {"nodes": nodes, "edges": edges},
            actor_url=lambda slug: f"/actors/{slug}/",
            pair_url=lambda a, b: f"/relations/{a}/{b}/",
            max_nodes=10,
            max_edges=20,
        )
    )["data"]
    actors = next(trace for trace in traces if trace.get("name") == "actors")
    assert actors["text"] == [f"A{i}" for i in range(10)]
    assert sum(trace["mode"] == "lines" for trace in traces) == 20
    pairs = next(trace for trace in traces if trace.get("name") == "pairs")
    assert "/relations/a0/a1/" in customdata_urls(pairs)


def customdata_urls(trace: dict) -> list[str]:
    return [row[0] if isinstance(row, list) else row for row in trace.get("customdata", [])]


def test_an_empty_graph_is_an_empty_figure():
    traces = _network({"nodes": [], "edges": []})["data"]
    assert all(not trace.get("x") for trace in traces)


def test_the_heatmap_has_a_cell_per_directed_pair_and_leaves_silent_pairs_empty():
    matrix = {
        "actors": ["russia", "hamas"],
        "names": ["Russia", "Hamas"],
        "scores": [[None, 4.2], [-1.0, None]],
        "counts": [[0, 2], [1, 0]],
    }
    heat = _data(figures.heatmap_figure(matrix, pair_url=lambda a, b: f"/relations/{a}/{b}/"))[
        "data"
    ][0]
    assert heat["z"] == [[None, 4.2], [-1.0, None]]
    assert heat["customdata"][0][1][0] == "/relations/russia/hamas/"
    assert heat["customdata"][1][0][0] == "/relations/hamas/russia/"
    assert heat["customdata"][0][0][0] == ""
    assert heat["zmin"] == -10 and heat["zmax"] == 10


def test_articles_per_day_stack_one_bar_trace_per_feed_over_every_day():
    days = [dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 3)]
    rows = [
        {"day": dt.date(2024, 5, 1), "feed_id": 1, "feed_title": "Wire", "count": 3},
        {"day": dt.date(2024, 5, 3), "feed_id": 1, "feed_title": "Wire", "count": 1},
        {"day": dt.date(2024, 5, 2), "feed_id": 2, "feed_title": "Agency", "count": 5},
    ]
    data = _data(
        figures.articles_per_day_figure(
            rows, days=days, feed_url=lambda pk: f"/articles/?feed={pk}"
        )
    )
    agency, wire = data["data"]
    assert wire["y"] == [3, 0, 1]
    assert agency["y"] == [0, 5, 0]
    assert wire["customdata"] == ["/articles/?feed=1"] * 3
    assert data["layout"]["barmode"] == "stack"


def test_an_events_interactions_are_bars_coloured_by_score_linking_to_the_pair():
    russia = SimpleNamespace(name="Russia", slug="russia")
    israel = SimpleNamespace(name="Israel", slug="israel")
    interactions = [SimpleNamespace(source=israel, target=russia, score=-4.0)]
    bar = _data(
        figures.interactions_figure(interactions, pair_url=lambda a, b: f"/relations/{a}/{b}/")
    )["data"][0]
    assert bar["x"] == [-4.0]
    assert bar["y"] == ["Israel → Russia"]
    assert bar["customdata"][0][0] == "/relations/israel/russia/"
    assert bar["marker"]["color"] == [figures.score_colour(-4.0)]


def test_score_colours_run_from_red_through_grey_to_blue():
    assert figures.score_colour(-10) == "rgb(178, 24, 43)"
    assert figures.score_colour(0) == "rgb(189, 189, 189)"
    assert figures.score_colour(10) == "rgb(33, 102, 172)"
    assert figures.score_colour(-99) == figures.score_colour(-10)
    assert figures.score_colour(None) == figures.UNSCORED_COLOUR


def test_figures_carry_no_plotly_template_bulk():
    assert "template" not in _dyad()["layout"]
    assert len(json.dumps(_dyad())) < 6000
