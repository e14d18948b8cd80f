"""Plotly figures for the dashboard pages, built from server data.

Every builder returns a figure as plotly.js reads it, ``{"data": [traces], "layout": {...}}``;
the page embeds ``figure_json(fig)`` in a JSON script element and ``static/js/charts.js`` draws it.
The figures are built as plain data, not ``plotly.graph_objects``: validating every property
in Python cost a tenth of a second per chart, more than the page's queries. The tests check
each builder's output against plotly's schema instead (``go.Figure(fig)``).

Scores are coloured on one diverging scale (red conflict, grey neutral, blue cooperation), and
every point, bar or cell carries in ``customdata`` the same-site URL of the events behind it (a
string, or a list whose first item is the URL), so a click on the chart leads to them.

Stored text (titles, names) is escaped before it goes into a figure: plotly renders a subset of
HTML in hover labels and tick labels, and no stored string may be read as markup.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import heapq
import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import plotly.io as pio
from django.utils.safestring import mark_safe

from relations.categories import SCORE_MAX

# Red for conflict, blue for cooperation (ColorBrewer RdBu ends), grey rather than white at
# zero so a neutral edge or point stays visible on a white page.
SCORE_COLOURSCALE = [
    [0.0, "#b2182b"],
    [0.25, "#ef8a62"],
    [0.5, "#bdbdbd"],
    [0.75, "#67a9cf"],
    [1.0, "#2166ac"],
]
UNSCORED_COLOUR = "#9e9e9e"
COUNT_BAR_COLOUR = "rgba(120, 130, 145, 0.35)"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 12}

Figure = dict[str, Any]

# The machine-coded layer (pending stories, coding.layer): always its own series, with hollow
# markers and this legend name, never merged into a curated trace.
MACHINE_NAME = "machine-coded (unreviewed)"
MACHINE_HOVER_NOTE = "machine-coded, unreviewed"

_PLAIN_LAYOUT: dict[str, Any] = {
    "font": FONT,
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "hoverlabel": {"font": FONT, "bgcolor": "#ffffff"},
    "hovermode": "closest",
}
_AXIS = {"gridcolor": "#eceff3", "zerolinecolor": "#9aa3af", "linecolor": "#c9ced6"}


# What json_script escapes, so that no string in a figure can close the script element.
_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"))


def figure_json(fig: Figure) -> str:
    """The figure as JSON to place inside ``<script type="application/json">``, escaped as
    ``json_script`` escapes it.

    The builders emit plain data, so the standard library's C encoder writes it (plotly's own
    encoder walks every value in Python, milliseconds per chart), and three ``str.replace``
    escape it (``json_script``'s ``str.translate`` took longer than encoding a large chart);
    dates, decimals and the rare NaN or infinity (null for plotly.js, as plotly's encoder
    makes them) go the slow way.
    """
    try:
        encoded = json.dumps(fig, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        encoded = pio.to_json(fig, validate=False)
    for character, escape in _SCRIPT_ESCAPES:
        encoded = encoded.replace(character, escape)
    return mark_safe(encoded)  # safe: every '<', '>' and '&' in it is escaped


def _trace(kind: str, **properties: Any) -> dict[str, Any]:
    return {"type": kind, **properties}


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> Figure:
    return {"data": data, "layout": {**_PLAIN_LAYOUT, **layout}}


def text(value: object) -> str:
    """Stored text made safe for a plotly label: markup shows as characters."""
    return html.escape(str(value), quote=False)


def _unit_rgb(hex_colour: str) -> tuple[float, float, float]:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return red / 255.0, green / 255.0, blue / 255.0


_SCALE_STOPS = [stop for stop, _ in SCORE_COLOURSCALE]
_SCALE_RGB = [_unit_rgb(colour) for _, colour in SCORE_COLOURSCALE]


def _rgb_255(component: float) -> int:
    # Plotly rounds the shortest decimal form half to even; round() gives the same integer,
    # since a float whose shortest form ends in .5 is exactly that half.
    return round(component * 255.0)


def score_colour(score: float | None, limit: float = SCORE_MAX) -> str:
    """The colour of a score on the diverging scale from −limit to +limit, grey for none.

    The same colour as plotly's ``sample_colorscale(SCORE_COLOURSCALE, [position])``, worked
    out here: plotly validates the scale on every call, which cost milliseconds per
    network chart."""
    if score is None:
        return UNSCORED_COLOUR
    clamped = min(max(float(score), -limit), limit)
    position = (clamped + limit) / (2 * limit)
    high = max(1, bisect.bisect_left(_SCALE_STOPS, position))
    low = high - 1
    share = (position - _SCALE_STOPS[low]) / (_SCALE_STOPS[high] - _SCALE_STOPS[low])
    red, green, blue = (
        _rgb_255(start + share * float(end - start))
        for start, end in zip(_SCALE_RGB[low], _SCALE_RGB[high], strict=True)
    )
    return f"rgb({red}, {green}, {blue})"


def signed(score: float | None) -> str:
    if score is None:
        return "no score"
    return f"{score:+.1f}".replace("-", "−")


def _iso(value: dt.date | dt.datetime | str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def score_range(values: Iterable[float | None]) -> float:
    """Half the width of a symmetric colour range: at least one interaction's full scale,
    wider when sums over many interactions go further, so zero stays in the middle."""
    return max([SCORE_MAX, *(abs(value) for value in values if value is not None)])


def _score_axis_colour_bar(title: str = "score", limit: float = SCORE_MAX) -> dict:
    return {
        "colorscale": SCORE_COLOURSCALE,
        "cmin": -limit,
        "cmax": limit,
        "colorbar": {"title": {"text": title}, "thickness": 12, "len": 0.8},
    }


# --- Timeline ---------------------------------------------------------------------------------

PRECISION_SYMBOL = {"day": "circle", "month": "diamond", "year": "square"}
PRECISION_NOUN = {"day": "day", "month": "month", "year": "year"}
PERIOD_LINE_COLOUR = "rgba(55, 71, 79, 0.4)"
# Pixels per lane when nothing overlaps, and between two stacked markers (a marker is 13).
_LANE_PX = 38
_STACK_PX = 14
_MAX_LANE_PX = 150
# Room above and below the lanes: the date axis, the range slider under it, margins.
_TIMELINE_CHROME_PX = 150


def event_period(day: dt.date | dt.datetime | str, precision: str) -> tuple[dt.date, dt.date]:
    """The first and last day an event may have happened on: the day itself, or the whole
    month or year its date is known to."""
    if isinstance(day, dt.datetime):
        day = day.date()
    elif isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    if precision == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def _stack_rows(spans: Sequence[tuple[dt.date, dt.date]]) -> tuple[list[int], list[int]]:
    """For each event of a lane, its row and the number of rows of the run it is in: events
    that overlap in time never share a row.

    Events are taken in order of their start; a run of events that overlap one another
    (directly or through others) is laid out in rows, each event in the row that came free
    first (a heap of the rows' last days), so a lone event is a run of one row and a busy day
    fans out only its own run.
    """
    order = sorted(range(len(spans)), key=spans.__getitem__)
    rows = [0] * len(spans)
    widths = [1] * len(spans)
    run: list[int] = []
    free: list[tuple[dt.date, int]] = []  # (last day taken, row), one entry per row
    run_end = dt.date.min

    def close_run() -> None:
        for member in run:
            widths[member] = len(free)
        run.clear()
        free.clear()

    for index in order:
        first, last = spans[index]
        if run and first > run_end:
            close_run()
        if free and free[0][0] < first:
            row = free[0][1]
            heapq.heapreplace(free, (last, row))
        else:
            row = len(free)
            heapq.heappush(free, (last, row))
        rows[index] = row
        run_end = max(run_end, last) if run else last
        run.append(index)
    close_run()
    return rows, widths


class MachineEntry(NamedTuple):
    """A pending story as the timeline places it beside the events."""

    pk: int
    title: str
    date: dt.date
    kind_label: str
    mean_score: float
    url: str
    names: tuple[str, str]
    outlets: int
    date_precision: str = "day"

    def get_kind_display(self) -> str:
        return self.kind_label


def machine_entries(
    rows: Iterable[Mapping[str, Any]],
    *,
    kind_labels: Mapping[str, str],
    category_labels: Mapping[str, str],
    story_url: Callable[[int], str],
) -> list[MachineEntry]:
    """``dashboard.summaries.machine_chart_rows`` as the timeline draws them."""
    return [
        MachineEntry(
            pk=row["id"],
            title=f"{row['source']} → {row['target']}: "
            f"{category_labels.get(row['category'], row['category'])}",
            date=dt.date.fromisoformat(row["day"]),
            kind_label=kind_labels.get(row["kind"], row["kind"]),
            mean_score=row["score"],
            url=story_url(row["id"]),
            names=(row["source"], row["target"]),
            outlets=row["outlets"],
        )
        for row in rows
    ]


def timeline_figure(
    events: Iterable[Any],
    *,
    lanes: str = "kind",
    event_url: Callable[[Any], str],
    date_label: Callable[[Any], str],
    actor_names: Mapping[int, Sequence[str]] | None = None,
    machine: Sequence[MachineEntry] = (),
) -> Figure:
    """Events on a time axis, one lane per kind or per actor, coloured by their mean score.

    ``events`` are Event rows with a ``mean_score`` annotation; for lanes per actor,
    ``actor_names`` maps each event's id to its participants' names. ``machine``: pending
    stories (``machine_entries``), placed in the same lanes and fanned out with the events
    so that neither hides the other, but drawn as a series of their own with hollow markers
    (``MACHINE_NAME`` in a legend), each opening its evidence.

    Nothing hides another: events of a lane that overlap in time are fanned out across the
    lane, and the hover label says how many share the day (or month, or year). An event
    dated only to the month or year is drawn as a span over that whole period with its
    marker in the middle, and its hover label says the period, not a day. The chart opens
    on the dates of the events, with a range slider under it to move along them.
    """
    by_lane: dict[str, list[tuple[Any, tuple[dt.date, dt.date]]]] = {}
    for event in [*events, *machine]:
        if isinstance(event, MachineEntry):
            names = list(event.names) if lanes == "actor" else [event.get_kind_display()]
        elif lanes == "actor":
            names = (actor_names or {}).get(event.pk) or ["(no actor)"]
        else:
            names = [event.get_kind_display()]
        span = event_period(event.date, event.date_precision)
        for name in names:
            by_lane.setdefault(text(name), []).append((event, span))
    lane_names = sorted(by_lane, key=str.casefold)
    stacks = {lane: _stack_rows([span for _, span in by_lane[lane]]) for lane in lane_names}
    # The lanes are as tall as the most events stacked in any of them need (up to a limit).
    most = max((max(widths) for _, widths in stacks.values()), default=1)
    lane_px = min(_MAX_LANE_PX, max(_LANE_PX, _STACK_PX * most + 12))
    step = _STACK_PX / lane_px

    scored: dict[str, list] = {"x": [], "y": [], "colour": [], "symbol": [], "custom": []}
    unscored: dict[str, list] = {"x": [], "y": [], "symbol": [], "custom": []}
    coded: dict[str, list] = {"x": [], "y": [], "colour": [], "symbol": [], "custom": []}
    periods: dict[str, list] = {"x": [], "y": []}
    # Many events share a period (a month, a busy day): its dates are written once.
    written: dict[tuple[dt.date, dt.date], tuple[str, str, str]] = {}
    for position, lane in enumerate(lane_names):
        entries = by_lane[lane]
        # The first lane on top.
        centre = len(lane_names) - 1 - position
        rows, widths = stacks[lane]
        offsets = [
            ((width - 1) / 2 - row) * min(step, 0.8 / (width - 1)) if width > 1 else 0.0
            for row, width in zip(rows, widths, strict=True)
        ]
        # Events and stories are counted apart: a story is no event.
        sharing: dict[tuple, int] = {}
        for event, span in entries:
            key = (span, event.date_precision, isinstance(event, MachineEntry))
            sharing[key] = sharing.get(key, 0) + 1
        for (event, span), offset in zip(entries, offsets, strict=True):
            y = round(centre + offset, 4)
            first, last = span
            score = getattr(event, "mean_score", None)
            is_machine = isinstance(event, MachineEntry)
            together = sharing[(span, event.date_precision, is_machine)]
            noun = PRECISION_NOUN.get(event.date_precision, "day")
            custom = [
                event.url if is_machine else event_url(event),
                text(event.title),
                date_label(event),
                signed(score),
                event.get_kind_display(),
                f"<br>{together} events this {noun} in this lane" if together > 1 else "",
            ]
            if is_machine:
                outlets = f"{event.outlets} outlet{'s' if event.outlets != 1 else ''}"
                others = f"<br>{together} stories this day in this lane" if together > 1 else ""
                custom[5] = f"<br>{MACHINE_HOVER_NOTE} · {outlets}{others}"
            if span not in written:
                written[span] = (
                    (first + (last - first) / 2).isoformat(),
                    first.isoformat(),
                    last.isoformat(),
                )
            middle, start, end = written[span]
            bucket = coded if is_machine else unscored if score is None else scored
            bucket["x"].append(middle)
            bucket["y"].append(y)
            symbol = PRECISION_SYMBOL.get(event.date_precision, "circle")
            bucket["symbol"].append(f"{symbol}-open" if is_machine else symbol)
            bucket["custom"].append(custom)
            if score is not None and bucket is not unscored:
                bucket["colour"].append(round(float(score), 2))
            if last > first:
                periods["x"] += [start, end, None]
                periods["y"] += [y, y, None]

    hover = (
        "<b>%{customdata[1]}</b><br>%{customdata[2]} · %{customdata[4]}"
        "<br>average score %{customdata[3]}%{customdata[5]}<extra></extra>"
    )

    def markers(name: str, points: dict[str, list], marker: dict[str, Any]) -> dict[str, Any]:
        return _trace(
            "scatter",
            name=name,
            x=points["x"],
            y=points["y"],
            mode="markers",
            customdata=points["custom"],
            hovertemplate=hover,
            marker={**marker, "symbol": points["symbol"]},
        )

    data = [
        # Under the markers: the month or year each imprecise date stands for.
        _trace(
            "scatter",
            name="periods",
            x=periods["x"],
            y=periods["y"],
            mode="lines",
            line={"color": PERIOD_LINE_COLOUR, "width": 5},
            hoverinfo="skip",
        ),
        markers(
            "scored",
            scored,
            {
                "size": 13,
                "color": scored["colour"],
                "line": {"width": 1.5, "color": "#37474f"},
                **_score_axis_colour_bar("average score"),
            },
        ),
        markers(
            "no interactions",
            unscored,
            {"size": 11, "color": UNSCORED_COLOUR, "line": {"width": 1, "color": "#616161"}},
        ),
    ]
    legend: dict[str, Any] = {"showlegend": False}
    if machine:
        data.append(
            _machine_markers(
                markers(MACHINE_NAME, coded, {}),
                colours=coded["colour"],
                hovertemplate=hover.replace("average score", "score"),
            )
        )
        for trace in data[:-1]:
            trace["showlegend"] = False
        legend = {"showlegend": True, "legend": _MACHINE_LEGEND}
    xaxis: dict[str, Any] = {**_AXIS, "type": "date"}
    spans = [span for entries in by_lane.values() for _, span in entries]
    if spans:
        xaxis["range"] = _timeline_range(
            min(first for first, _ in spans), max(last for _, last in spans)
        )
        xaxis["rangeslider"] = {"visible": True, "thickness": 0.1}
    count = len(lane_names)
    return _figure(
        data,
        {
            "height": max(260, _TIMELINE_CHROME_PX + lane_px * count),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 20},
            **legend,
            "xaxis": xaxis,
            "yaxis": {
                **_AXIS,
                "tickmode": "array",
                "tickvals": list(range(count)),
                "ticktext": list(reversed(lane_names)),
                "range": [-0.5, max(count, 1) - 0.5],
                "zeroline": False,
                "fixedrange": True,
                "automargin": True,
            },
        },
    )


# Above the plot, left: the one entry says which markers are machine-coded.
_MACHINE_LEGEND = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}


def _machine_markers(trace: dict[str, Any], *, colours: list, hovertemplate: str) -> dict:
    """A machine-coded series: hollow markers whose outline takes the score's colour (the
    curated scale, no colour bar of its own), in the legend as ``MACHINE_NAME``."""
    trace["marker"] = {
        "size": 13,
        "symbol": trace.get("marker", {}).get("symbol", "circle-open"),
        "color": colours,
        "colorscale": SCORE_COLOURSCALE,
        "cmin": -SCORE_MAX,
        "cmax": SCORE_MAX,
        "line": {"width": 2},
        "showscale": False,
    }
    trace.update(name=MACHINE_NAME, hovertemplate=hovertemplate, showlegend=True)
    return trace


def _timeline_range(first: dt.date, last: dt.date) -> list[str]:
    """The events' dates with a margin either side (a twentieth of the span, at least two
    weeks), so the first and last markers are not cut in half by the frame."""
    margin = max((last - first) / 20, dt.timedelta(days=14))
    return [(first - margin).isoformat(), (last + margin).isoformat()]


# --- A pair of actors -------------------------------------------------------------------------


def dyad_figure(
    points: Sequence[Mapping[str, Any]],
    *,
    a_name: str,
    b_name: str,
    period_url: Callable[[Any], str],
    bucket: str = "month",
    compact: bool = False,
    machine: Sequence[Mapping[str, Any]] | None = None,
) -> Figure:
    """Net score in each direction per period, and the number of events as bars behind them.

    ``machine``: the pair's pending stories per period (``coding.layer.dyad_series``
    points), drawn as one series of their own with hollow markers (a circle a → b, a
    diamond b → a) named ``MACHINE_NAME``, never added to the curated lines or bars.

    ``points`` are ``dyad_series()["points"]``: a direction's score is the sum of its
    interactions' scores in the period. A period without interactions in a direction leaves
    a gap rather than a zero, which would read as "neutral". Bars and markers sit in the
    middle of their week or month. Every marker and bar carries the URL of the list of the
    period's events (``period_url(period)``).
    """
    periods = [_iso(point["period"]) for point in points]
    urls = [period_url(point["period"]) for point in points]
    a, b = text(a_name), text(b_name)
    directions = []
    for label, key, count_key, dash in (
        (f"{a} → {b}", "a_to_b", "a_to_b_count", "solid"),
        (f"{b} → {a}", "b_to_a", "b_to_a_count", "dot"),
    ):
        counts = [int(point.get(count_key) or 0) for point in points]
        scores = [
            _maybe_float(point.get(key)) if count else None
            for point, count in zip(points, counts, strict=True)
        ]
        directions.append((label, scores, counts, dash))
    coded = _machine_dyad_points(machine or (), a, b, period_url)
    limit = score_range(
        [*(score for _, scores, _, _ in directions for score in scores), *coded["y"]]
    )
    event_counts = [_event_count(point) for point in points]
    period = _PERIODS.get(bucket, _PERIODS["month"])
    labels = [_period_label(day, bucket) for day in periods]

    data: list[dict[str, Any]] = []
    data.append(
        _trace(
            "bar",
            name="events",
            x=periods,
            y=event_counts,
            yaxis="y2",
            customdata=urls,
            hovertext=labels,
            marker={"color": COUNT_BAR_COLOUR},
            hovertemplate="%{hovertext}: %{y} events<br>click to list them<extra></extra>",
            # Plotly guesses a bar's width from the gaps between bars; a lone one needs it.
            width=[_BAR_WIDTHS.get(bucket, _BAR_WIDTHS["month"])] * len(periods),
            **period,
        )
    )
    for label, scores, counts, dash in directions:
        data.append(
            _trace(
                "scatter",
                name=label,
                x=periods,
                y=scores,
                mode="lines+markers",
                connectgaps=False,
                line={"color": "#37474f", "width": 1.5, "dash": dash},
                customdata=[[url, count] for url, count in zip(urls, counts, strict=True)],
                hovertext=labels,
                hovertemplate=(
                    f"{label}<br>%{{hovertext}}: net %{{y:+.1f}} from %{{customdata[1]}} "
                    "interactions<extra></extra>"
                ),
                marker={
                    "size": 7 if compact else 10,
                    "color": [score if score is not None else 0 for score in scores],
                    "line": {"width": 1, "color": "#37474f"},
                    **_score_axis_colour_bar(limit=limit),
                    "showscale": False,
                },
                **period,
            )
        )
    if machine is not None:
        data.append(
            _machine_markers(
                _trace(
                    "scatter",
                    x=coded["x"],
                    y=coded["y"],
                    mode="markers",
                    customdata=coded["custom"],
                    hovertext=[_period_label(day, bucket) for day in coded["x"]],
                    marker={"symbol": coded["symbol"]},
                    **period,
                ),
                colours=coded["y"],
                hovertemplate=(
                    f"%{{customdata[1]}} · {MACHINE_HOVER_NOTE}<br>%{{hovertext}}: net "
                    "%{y:+.1f} from %{customdata[2]} stories<extra></extra>"
                ),
            )
        )
        data[-1]["marker"]["size"] = 8 if compact else 11
    # Scores on top with zero in the middle (above it cooperation, below it conflict); the
    # number of events in a strip of their own underneath, on the same time axis.
    reach = round(limit * 1.1, 1)
    most_events = max(event_counts, default=0)
    layout: dict[str, Any] = {
        **_PLAIN_LAYOUT,
        "xaxis": {
            **_AXIS,
            "type": "date",
            "anchor": "y2",
            "tickformat": _TICK_FORMATS.get(bucket, "%b %Y"),
        },
        "yaxis": {
            **_AXIS,
            "domain": [0.34, 1],
            "zeroline": True,
            "range": [-reach, reach],
            "nticks": 5,
        },
        "yaxis2": {
            **_AXIS,
            "domain": [0, 0.26],
            "anchor": "x",
            "range": [0, max(most_events, 1) * 1.15],
            "dtick": max(1, math.ceil(most_events / 2)),
            "zeroline": False,
        },
    }
    if bucket == "month" and len(periods) <= 18:
        layout["xaxis"]["dtick"] = "M1"
    if len(periods) < 3 and periods:
        # A lone period would otherwise fill the whole width as one slab.
        layout["xaxis"]["range"] = _padded_range(periods[0], periods[-1], bucket)
    if compact:
        # A small chart still reads as a scale: its ends and zero labelled, zero drawn
        # darker, so a point's height can be told at a glance.
        layout.update(height=170, margin={"l": 38, "r": 10, "t": 5, "b": 25}, showlegend=False)
        if machine is not None:
            # The one entry that says which markers are machine-coded.
            for trace in data[:-1]:
                trace["showlegend"] = False
            layout.update(
                showlegend=True,
                legend={**_MACHINE_LEGEND, "font": {"size": 10}},
                margin={**layout["margin"], "t": 22},
                height=185,
            )
        ends = 5 * math.ceil(limit / 5)  # a round number: ±15 rather than ±14.2
        layout["yaxis"].pop("nticks")
        layout["yaxis"]["range"] = [-round(ends * 1.1, 1), round(ends * 1.1, 1)]
        layout["yaxis"].update(
            tickmode="array",
            tickvals=[-ends, 0, ends],
            ticktext=[f"−{ends}", "0", f"+{ends}"],
            tickfont={"size": 10},
            zerolinewidth=1.5,
            zerolinecolor="#607080",
        )
        layout["yaxis2"].update(showticklabels=False, domain=[0, 0.2])
        layout["xaxis"].pop("dtick", None)
        layout["xaxis"].update(nticks=4, tickfont={"size": 10})
    else:
        layout.update(
            height=440,
            margin={"l": 60, "r": 20, "t": 10, "b": 40},
            legend={"orientation": "h", "y": -0.12},
        )
        layout["yaxis"]["title"] = {"text": "net score"}
        layout["yaxis2"]["title"] = {"text": "events"}
    return _figure(data, layout)


def _machine_dyad_points(
    points: Iterable[Mapping[str, Any]], a: str, b: str, period_url: Callable[[Any], str]
) -> dict[str, list]:
    """The machine-coded series of a pair: a hollow marker per period and direction with
    stories, each opening the period's list (events and stories)."""
    coded: dict[str, list] = {"x": [], "y": [], "symbol": [], "custom": []}
    for point in points:
        for label, key, count_key, symbol in (
            (f"{a} → {b}", "a_to_b", "a_to_b_count", "circle-open"),
            (f"{b} → {a}", "b_to_a", "b_to_a_count", "diamond-open"),
        ):
            if point.get(count_key):
                coded["x"].append(_iso(point["period"]))
                coded["y"].append(round(float(point[key]), 2))
                coded["symbol"].append(symbol)
                coded["custom"].append([period_url(point["period"]), label, int(point[count_key])])
    return coded


_DAY_MS = 24 * 3600 * 1000
# Weeks start on Monday (1 January 2018 was one), months on the first.
_PERIODS = {
    "week": {
        "xperiod": 7 * _DAY_MS,
        "xperiod0": "2018-01-01",
        "xperiodalignment": "middle",
    },
    "month": {"xperiod": "M1", "xperiodalignment": "middle"},
}
_BAR_WIDTHS = {"week": 6 * _DAY_MS, "month": 26 * _DAY_MS}
_TICK_FORMATS = {"week": "%-d %b %Y", "month": "%b %Y"}


def _day_range(days: Sequence[dt.date]) -> list[str] | None:
    """The whole window, half a day either side, so an empty month still shows its dates."""
    if not days:
        return None
    half = dt.timedelta(hours=12)
    start = dt.datetime.combine(days[0], dt.time.min) - half
    end = dt.datetime.combine(days[-1], dt.time.min) + half
    return [start.isoformat(sep=" "), end.isoformat(sep=" ")]


def _period_label(day: str, bucket: str) -> str:
    start = dt.date.fromisoformat(day)
    if bucket == "week":
        return f"week of {start.day} {start:%B %Y}"
    return f"{start:%B %Y}"


def _padded_range(first: str, last: str, bucket: str) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    step = dt.timedelta(days=7 if bucket == "week" else 31)
    return [(start - step).isoformat(), (end + 2 * step).isoformat()]


def _event_count(point: Mapping[str, Any]) -> int:
    events = point.get("events")
    if isinstance(events, int):
        return events
    if events is None:
        return int(point.get("a_to_b_count") or 0) + int(point.get("b_to_a_count") or 0)
    return len(events)


def _maybe_float(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


# --- The network of actors --------------------------------------------------------------------


NETWORK_MAX_NODES = 40
NETWORK_MAX_EDGES = 150


def network_figure(
    graph: Mapping[str, Any],
    *,
    actor_url: Callable[[str], str],
    pair_url: Callable[[str, str], str],
    max_nodes: int = NETWORK_MAX_NODES,
    max_edges: int = NETWORK_MAX_EDGES,
    machine_edges: Sequence[Mapping[str, Any]] | None = None,
) -> Figure:
    """Actors sized by activity, joined by edges coloured by net score and as wide as their
    number of interactions (``relations_graph()``'s nodes and edges). A click on a node opens
    the actor; on the diamond in the middle of an edge, the pair.

    Only the ``max_nodes`` most active actors and the ``max_edges`` busiest pairs among them
    are drawn: each edge is a trace, and a year of a large archive would otherwise make a
    figure too heavy to send and too dense to read.

    ``machine_edges``: pairs of pending stories (``coding.layer.graph_edges``) between the
    actors drawn, as dashed lines and a series of hollow diamonds of their own
    (``MACHINE_NAME``) a little off the middle, so a curated diamond is never hidden; the
    nodes' sizes and the curated edges stay as they are.
    """
    nodes = sorted(graph.get("nodes", []), key=lambda n: (-(n.get("activity") or 0), n["name"]))
    nodes = nodes[:max_nodes]
    positions = _circle_positions([node["slug"] for node in nodes])
    names = {node["slug"]: node["name"] for node in nodes}
    edges = sorted(
        (
            edge
            for edge in graph.get("edges", [])
            if edge["source"] in positions and edge["target"] in positions
        ),
        key=lambda edge: -(edge.get("count") or 0),
    )[:max_edges]
    max_count = max((edge.get("count") or 0 for edge in edges), default=1) or 1
    limit = score_range(_maybe_float(edge.get("net_score")) for edge in edges)

    data: list[dict[str, Any]] = []
    mid: dict[str, list] = {"x": [], "y": [], "colour": [], "custom": []}
    # Thin edges first so the strong ones are drawn on top.
    for edge in sorted(edges, key=lambda edge: edge.get("count") or 0):
        source, target = edge["source"], edge["target"]
        (x0, y0), (x1, y1) = positions[source], positions[target]
        net = _maybe_float(edge.get("net_score"))
        count = int(edge.get("count") or 0)
        data.append(
            _trace(
                "scatter",
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                line={"color": score_colour(net, limit), "width": 1.5 + 8.5 * count / max_count},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        mid["x"].append(round((x0 + x1) / 2, 4))
        mid["y"].append(round((y0 + y1) / 2, 4))
        mid["colour"].append(net if net is not None else 0)
        mid["custom"].append(
            [
                pair_url(source, target),
                f"{text(names[source])} – {text(names[target])}",
                signed(net),
                count,
            ]
        )
    data.append(
        _trace(
            "scatter",
            name="pairs",
            x=mid["x"],
            y=mid["y"],
            mode="markers",
            customdata=mid["custom"],
            hovertemplate=(
                "<b>%{customdata[1]}</b><br>net %{customdata[2]} from %{customdata[3]} "
                "interactions<br>click to open the pair<extra></extra>"
            ),
            marker={
                "size": 12,
                "symbol": "diamond",
                "color": mid["colour"],
                "line": {"width": 1, "color": "#37474f"},
                **_score_axis_colour_bar("net score", limit),
            },
            showlegend=False,
        )
    )
    if machine_edges is not None:
        data.extend(_machine_network(machine_edges, positions, names, pair_url))
    activity = [node.get("activity") or 0 for node in nodes]
    top = max(activity, default=1) or 1
    data.append(
        _trace(
            "scatter",
            name="actors",
            x=[positions[node["slug"]][0] for node in nodes],
            y=[positions[node["slug"]][1] for node in nodes],
            mode="markers+text",
            text=[text(node["name"]) for node in nodes],
            textposition="top center",
            # A name wider than the space beside its node (on a phone) runs into the margin.
            cliponaxis=False,
            customdata=[
                [actor_url(node["slug"]), text(node["name"]), node.get("activity") or 0]
                for node in nodes
            ],
            hovertemplate="<b>%{customdata[1]}</b><br>%{customdata[2]} interactions<extra></extra>",
            marker={
                "size": [14 + 34 * math.sqrt(value / top) for value in activity],
                "color": [node.get("colour") or NODE_COLOUR for node in nodes],
                "line": {"width": 1.5, "color": "#ffffff"},
            },
            showlegend=False,
        )
    )
    data.extend(_node_colour_legend(nodes))
    hidden = {"visible": False, "range": [-1.35, 1.35]}
    return _figure(
        data,
        {
            "height": 560,
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "xaxis": hidden,
            "yaxis": {**hidden, "scaleanchor": "x"},
            "dragmode": "pan",
            "showlegend": bool(nodes),
            # The legend explains colours; hiding a legend-only trace would hide nothing.
            "legend": {
                "orientation": "h",
                "x": 0,
                "y": 0,
                "yanchor": "top",
                "itemsizing": "constant",
                "itemclick": False,
                "itemdoubleclick": False,
                "title": {"text": "Node colour:"},
            },
        },
    )


NODE_COLOUR = "#546e7a"
MACHINE_EDGE_COLOUR = "rgba(84, 110, 122, 0.55)"
# Where on a machine-coded edge its diamond sits: off the middle, where a curated one is.
_MACHINE_EDGE_AT = 0.38


def _machine_network(
    edges: Iterable[Mapping[str, Any]],
    positions: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
    pair_url: Callable[[str, str], str],
) -> list[dict[str, Any]]:
    lines: dict[str, list] = {"x": [], "y": []}
    marks: dict[str, list] = {"x": [], "y": [], "colour": [], "custom": []}
    for edge in edges:
        source, target = edge["source"], edge["target"]
        if source not in positions or target not in positions:
            continue
        (x0, y0), (x1, y1) = positions[source], positions[target]
        lines["x"] += [x0, x1, None]
        lines["y"] += [y0, y1, None]
        net = _maybe_float(edge.get("net_score"))
        marks["x"].append(round(x0 + (x1 - x0) * _MACHINE_EDGE_AT, 4))
        marks["y"].append(round(y0 + (y1 - y0) * _MACHINE_EDGE_AT, 4))
        marks["colour"].append(net if net is not None else 0)
        marks["custom"].append(
            [
                pair_url(source, target),
                f"{text(names[source])} – {text(names[target])}",
                signed(net),
                int(edge.get("count") or 0),
            ]
        )
    return [
        _trace(
            "scatter",
            x=lines["x"],
            y=lines["y"],
            mode="lines",
            line={"color": MACHINE_EDGE_COLOUR, "width": 1.5, "dash": "dash"},
            hoverinfo="skip",
            showlegend=False,
        ),
        _machine_markers(
            _trace(
                "scatter",
                x=marks["x"],
                y=marks["y"],
                mode="markers",
                customdata=marks["custom"],
                marker={"symbol": "diamond-open"},
            ),
            colours=marks["colour"],
            hovertemplate=(
                f"<b>%{{customdata[1]}}</b> · {MACHINE_HOVER_NOTE}<br>net %{{customdata[2]}} "
                "from %{customdata[3]} stories<br>click to open the pair<extra></extra>"
            ),
        ),
    ]


def _node_colour_legend(nodes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Legend entries, without points, for what a node's colour means: the chart colour an
    actor has of its own (the core triangle's), named by the actors that have it, and the
    one colour of every other actor."""
    named: dict[str, list[str]] = {}
    others = False
    for node in nodes:
        if node.get("colour"):
            named.setdefault(node["colour"].lower(), []).append(text(node["name"]))
        else:
            others = True
    entries = [(", ".join(names), colour) for colour, names in named.items()]
    if others:
        entries.append(("other actors" if named else "actors", NODE_COLOUR))
    return [
        _trace(
            "scatter",
            name=name,
            x=[None],
            y=[None],
            mode="markers",
            marker={"size": 12, "color": colour},
            hoverinfo="skip",
            showlegend=True,
        )
        for name, colour in entries
    ]


def _circle_positions(slugs: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The most active actor in the middle, the others evenly on a circle around it: a
    layout that is the same on every load and needs no physics."""
    if not slugs:
        return {}
    positions = {slugs[0]: (0.0, 0.0)} if len(slugs) > 2 else {}
    rest = [slug for slug in slugs if slug not in positions]
    for index, slug in enumerate(rest):
        angle = math.pi / 2 - 2 * math.pi * index / len(rest)
        positions[slug] = (round(math.cos(angle), 4), round(math.sin(angle), 4))
    return positions


# --- Actor × actor heatmap --------------------------------------------------------------------


def heatmap_figure(matrix: Mapping[str, Any], *, pair_url: Callable[[str, str], str]) -> Figure:
    """Net score from each row actor to each column actor (``heatmap()``'s ``actors``,
    ``names``, ``scores`` and ``counts``); an empty cell means no interactions. A cell
    opens the pair."""
    slugs = list(matrix.get("actors", []))
    labels = [text(name) for name in matrix.get("names", [])]
    scores = matrix.get("scores", [])
    counts = matrix.get("counts", [])
    z = [[_maybe_float(value) for value in row] for row in scores]
    custom = [
        [
            [
                pair_url(slugs[i], slugs[j]) if z[i][j] is not None else "",
                signed(z[i][j]),
                int(counts[i][j]) if counts else 0,
            ]
            for j in range(len(slugs))
        ]
        for i in range(len(slugs))
    ]
    limit = score_range(value for row in z for value in row)
    data = [
        _trace(
            "heatmap",
            z=z,
            x=labels,
            y=labels,
            customdata=custom,
            zmin=-limit,
            zmax=limit,
            colorscale=SCORE_COLOURSCALE,
            xgap=2,
            ygap=2,
            hoverongaps=False,
            colorbar={"title": {"text": "net score"}, "thickness": 12},
            hovertemplate=(
                "%{y} → %{x}<br>net %{customdata[1]} from %{customdata[2]} interactions"
                "<extra></extra>"
            ),
        )
    ]
    return _figure(
        data,
        {
            "height": max(320, 160 + 34 * len(slugs)),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "xaxis": {
                "side": "top",
                "automargin": True,
                "tickangle": -35,
                "showgrid": False,
                "title": {"text": "to"},
            },
            "yaxis": {
                "automargin": True,
                "autorange": "reversed",
                "showgrid": False,
                "title": {"text": "from"},
            },
        },
    )


# --- Feeds ------------------------------------------------------------------------------------


def articles_per_day_figure(
    rows: Iterable[Mapping[str, Any]],
    *,
    days: Sequence[dt.date],
    feed_url: Callable[[int], str],
) -> Figure:
    """New articles per day, one stacked bar per feed. ``rows`` have ``day``, ``feed_id``,
    ``feed_title`` and ``count``; a bar opens that feed's articles."""
    by_feed: dict[int, dict[str, Any]] = {}
    for row in rows:
        feed = by_feed.setdefault(row["feed_id"], {"title": row["feed_title"], "counts": {}})
        feed["counts"][_iso(row["day"])] = row["count"]
    x = [_iso(day) for day in days]
    data: list[dict[str, Any]] = []
    for feed_id, feed in sorted(by_feed.items(), key=lambda item: item[1]["title"].casefold()):
        data.append(
            _trace(
                "bar",
                name=text(feed["title"]),
                x=x,
                y=[feed["counts"].get(day, 0) for day in x],
                customdata=[feed_url(feed_id)] * len(x),
                hovertemplate=f"{text(feed['title'])}<br>%{{x}}: %{{y}} new<extra></extra>",
            )
        )
    return _figure(
        data,
        {
            "barmode": "stack",
            "height": 300,
            "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
            "xaxis": {**_AXIS, "type": "date", "range": _day_range(days)},
            "yaxis": {**_AXIS, "title": {"text": "new articles"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": -0.2},
            "showlegend": len(by_feed) <= 12,
        },
    )


# --- One event's interactions -----------------------------------------------------------------


def interactions_figure(
    interactions: Sequence[Any], *, pair_url: Callable[[str, str], str]
) -> Figure:
    """One bar per scored interaction of an event (source → target), coloured by its score;
    a bar opens the pair's page."""
    labels = [f"{text(i.source.name)} → {text(i.target.name)}" for i in interactions]
    scores = [round(float(i.score), 2) for i in interactions]
    data = [
        _trace(
            "bar",
            x=scores,
            y=labels,
            orientation="h",
            customdata=[
                [pair_url(i.source.slug, i.target.slug), signed(i.score)] for i in interactions
            ],
            marker={"color": [score_colour(score) for score in scores]},
            hovertemplate="%{y}: %{customdata[1]}<br>click to open the pair<extra></extra>",
        )
    ]
    return _figure(
        data,
        {
            "height": max(160, 70 + 34 * len(labels)),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 30},
            "xaxis": {
                **_AXIS,
                "range": [-SCORE_MAX, SCORE_MAX],
                "zeroline": True,
                "title": {"text": "score"},
            },
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "bargap": 0.35,
        },
    )
