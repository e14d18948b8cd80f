/*
 * Draws every plotly figure on the page from the JSON the server embedded with json_script,
 * and makes each point, bar or cell a link to the events behind it.
 *
 * A chart is <div class="chart" data-figure="ID"></div> next to
 * <script id="ID" type="application/json">{"data": [...], "layout": {...}}</script>.
 * Points carry the URL to open in customdata (a string, or an array whose first item is one).
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function pointUrl(point) {
    var value = point && point.customdata;
    if (Array.isArray(value)) {
      value = value[0];
    }
    // Only same-site paths: a URL from the data must never take the reader elsewhere.
    if (typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/") {
      return value;
    }
    return null;
  }

  // Narrower than this (a phone), a colour bar beside the plot would take a third of its
  // width: it is laid flat above the plot instead (below it when the x axis labels are on
  // top, as on the heatmap, whose slanted labels stand upright).
  var NARROW_PX = 560;

  function fitNarrow(figure) {
    var layout = figure.layout || {};
    var labelsOnTop = Boolean(layout.xaxis && layout.xaxis.side === "top");
    if (labelsOnTop && layout.xaxis.tickangle) {
      // Slanted names on top reach past the last column and squeeze the cells; upright
      // ones need height only.
      layout.xaxis.tickangle = -90;
    }
    (figure.data || []).forEach(function (trace) {
      [trace, trace.marker].forEach(function (holder) {
        if (!holder || !holder.colorbar || holder.showscale === false) {
          return;
        }
        var title = holder.colorbar.title || {};
        holder.colorbar = Object.assign({}, holder.colorbar, {
          orientation: "h",
          x: 0.5,
          xanchor: "center",
          y: labelsOnTop ? -0.02 : 1.02,
          yanchor: labelsOnTop ? "top" : "bottom",
          len: 0.9,
          thickness: 10,
          title: { text: title.text, side: "top" }
        });
      });
    });
  }

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-figure"));
    if (!source) {
      return;
    }
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      box.textContent = "This chart could not be read.";
      return;
    }
    if (box.clientWidth < NARROW_PX) {
      fitNarrow(figure);
    }
    window.Plotly.newPlot(box, figure.data || [], figure.layout || {}, CONFIG).then(function () {
      box.setAttribute("data-drawn", "true");
    });
    box.on("plotly_click", function (event) {
      var url = event && event.points && event.points.length ? pointUrl(event.points[0]) : null;
      if (url) {
        window.location.assign(url);
      }
    });
    // Plotly draws its own drag layer over the plot; the pointer cursor goes there.
    box.on("plotly_hover", function (event) {
      var url = event && event.points && event.points.length ? pointUrl(event.points[0]) : null;
      var layer = box.querySelector(".nsewdrag");
      if (layer) {
        layer.style.cursor = url ? "pointer" : "";
      }
    });
  }

  function drawAll() {
    if (!window.Plotly) {
      return;
    }
    var boxes = document.querySelectorAll(".chart[data-figure]");
    for (var i = 0; i < boxes.length; i += 1) {
      draw(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
