/* Frontdesk charts: draws every chart a page describes with the vendored Chart.js (docs/reports.md, "Charts").
 *
 *   <figure data-chart>                 a report chart: a <canvas> and, next to it,
 *     <script type="application/json" data-chart-spec>{"kind", "unit", "labels", "series": [{"name", "values"}]}
 *   <canvas data-sparkline='[1, 2, null, 4]' data-unit="%">   a dashboard tile's trend line
 *
 * The spec is data, not code (the CSP runs scripts from /static only). The numbers are also printed by the
 * server in the table under each chart, which screen readers read and which stays when this script cannot
 * run. A value of null is "no value" (a rate with nothing to divide by): a gap, never a zero.
 */
(function () {
  "use strict";
  var Chart = window.Chart;
  if (!Chart) return; // the tables remain

  // Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies, with its yellow (too
  // faint on white) swapped for grey and a wine red added: 9 series, as a split draws its 8 largest groups and
  // "other". Lines also differ by dash and point shape, so colour is never the only cue.
  var SERIES = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#767676", "#882255"];
  var DASHES = [[], [6, 3], [2, 3], [10, 3, 2, 3], [1, 2], [12, 4]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "star"];
  // Heatmaps: one hue, light to dark (ColorBrewer "Blues"), so more is darker for every reader.
  var BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];
  var EMPTY_CELL = "#eceff3";
  var INK = "#1d2330", MUTED = "#5f6b7a", GRID = "#e3e7ed";

  Chart.defaults.color = INK;
  Chart.defaults.borderColor = GRID;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.font.size = 12;

  var numberFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });
  function isMoney(unit) { return /^[A-Z]{3}$/.test(unit || ""); }
  function format(value, unit) {
    if (value === null || value === undefined) return "—";
    var text = isMoney(unit)
      ? new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)
      : numberFormat.format(value);
    return unit ? text + " " + unit : text;
  }
  function compact(value, unit) { // axis ticks: short, the unit once in the axis title
    if (Math.abs(value) >= 10000) {
      return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(value);
    }
    return numberFormat.format(value);
  }
  function narrow() { return window.matchMedia("(max-width: 600px)").matches; }

  function colour(i) { return SERIES[i % SERIES.length]; }
  function missing(value) { return value === null || value === undefined; }
  // A value between two gaps has no line to sit on: it gets a dot, or it would not show at all.
  function dotAlone(size, otherwise) {
    return function (context) {
      var data = context.dataset.data, i = context.dataIndex;
      if (missing(data[i])) return 0;
      return missing(data[i - 1]) && missing(data[i + 1]) ? size : otherwise;
    };
  }

  function axes(spec, stacked) {
    return {
      x: {
        stacked: stacked,
        grid: { display: false },
        ticks: { autoSkip: true, autoSkipPadding: 8, maxRotation: narrow() ? 60 : 40, minRotation: 0 },
      },
      y: {
        stacked: stacked,
        beginAtZero: true,
        grace: "5%",
        title: { display: !!spec.unit, text: spec.unit, color: MUTED },
        ticks: { callback: function (value) { return compact(value, spec.unit); }, maxTicksLimit: narrow() ? 5 : 8 },
      },
    };
  }

  function legend(spec) {
    return {
      display: spec.series.length > 1,
      position: "bottom",
      labels: { usePointStyle: true, boxWidth: 10, boxHeight: 10, padding: 12 },
    };
  }

  function tooltip(spec) {
    return {
      callbacks: {
        label: function (item) {
          var raw = item.raw && typeof item.raw === "object" ? item.raw.v : item.raw;
          return (item.dataset.label ? item.dataset.label + ": " : "") + format(raw, spec.unit);
        },
      },
    };
  }

  function lineConfig(spec) {
    return {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          return {
            label: series.name,
            data: series.values,
            borderColor: colour(i),
            backgroundColor: colour(i),
            borderDash: DASHES[i % DASHES.length],
            pointStyle: POINTS[i % POINTS.length],
            pointRadius: dotAlone(3, spec.labels.length > 40 ? 0 : 3),
            pointHoverRadius: 5,
            borderWidth: 2,
            spanGaps: false, // a missing value is a gap in the line, not a dip to zero
            tension: 0,
          };
        }),
      },
      options: { scales: axes(spec, false), plugins: { legend: legend(spec), tooltip: tooltip(spec) } },
    };
  }

  function barConfig(spec, stacked) {
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          return {
            label: series.name,
            data: series.values,
            backgroundColor: colour(i),
            borderColor: "#ffffff",
            borderWidth: stacked ? { top: 1 } : 0, // a white seam between stacked parts
            maxBarThickness: 48,
          };
        }),
      },
      options: { scales: axes(spec, stacked), plugins: { legend: legend(spec), tooltip: tooltip(spec) } },
    };
  }

  function shade(value, low, high) {
    if (value === null || value === undefined) return EMPTY_CELL;
    var share = high > low ? (value - low) / (high - low) : 1;
    return BLUES[Math.max(0, Math.min(BLUES.length - 1, Math.round(share * (BLUES.length - 1))))];
  }

  // Prints each heatmap cell's number in it when the cell is wide enough (the table has every number too).
  function cellValues(spec) {
    return { id: "frontdeskCellValues", afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.font = "11px " + Chart.defaults.font.family;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      chart.getDatasetMeta(0).data.forEach(function (cell, i) {
        var raw = chart.data.datasets[0].data[i];
        if (raw.v === null || raw.v === undefined || cell.width < 26 || cell.height < 14) return;
        var text = numberFormat.format(raw.v);
        if (ctx.measureText(text).width > cell.width - 4) return;
        var dark = BLUES.indexOf(shade(raw.v, spec.low, spec.high)) >= 5;
        ctx.fillStyle = dark ? "#ffffff" : INK;
        ctx.fillText(text, cell.x + cell.width / 2, cell.y + cell.height / 2);
      });
      ctx.restore();
    } };
  }

  function heatmapConfig(spec) {
    var cells = [], values = [];
    spec.series.forEach(function (row) {
      row.values.forEach(function (value, column) {
        cells.push({ x: spec.labels[column], y: row.name, v: value });
        if (value !== null && value !== undefined) values.push(value);
      });
    });
    spec.low = Math.min(0, Math.min.apply(null, values.length ? values : [0]));
    spec.high = Math.max.apply(null, values.length ? values : [0]);
    var columns = spec.labels.length || 1, rows = spec.series.length || 1;
    return {
      type: "matrix",
      data: {
        datasets: [{
          label: spec.title || "",
          data: cells,
          backgroundColor: function (context) { return shade(context.raw && context.raw.v, spec.low, spec.high); },
          borderColor: "#ffffff",
          borderWidth: 1,
          width: function (context) { var area = context.chart.chartArea; return area ? area.width / columns - 1 : 0; },
          height: function (context) { var area = context.chart.chartArea; return area ? area.height / rows - 1 : 0; },
        }],
      },
      options: {
        scales: {
          x: { type: "category", labels: spec.labels, offset: true, grid: { display: false },
               ticks: { autoSkip: true, maxRotation: 0 }, position: "top" },
          y: { type: "category", labels: spec.series.map(function (row) { return row.name; }), offset: true,
               reverse: false, grid: { display: false } }, // the first row on top, as in the table (the matrix plugin sets true)
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function () { return ""; },
              label: function (item) { return item.raw.y + ", " + item.raw.x + ": " + format(item.raw.v, spec.unit); },
            },
          },
        },
      },
      plugins: [cellValues(spec)],
    };
  }

  function configFor(spec) {
    if (spec.kind === "heatmap") return heatmapConfig(spec);
    if (spec.kind === "bar") return barConfig(spec, false);
    if (spec.kind === "stacked-bar") return barConfig(spec, true);
    return lineConfig(spec);
  }

  function sizeHeatmap(figure, spec) {
    // Cells stay readable: a wide matrix scrolls sideways inside its own box, never the page.
    var box = figure.querySelector(".chart-box");
    box.style.minWidth = Math.max(0, 90 + spec.labels.length * 30) + "px";
    box.style.height = Math.max(120, 50 + spec.series.length * 26) + "px";
  }

  function draw(figure) {
    var canvas = figure.querySelector("canvas");
    var source = figure.querySelector('script[type="application/json"][data-chart-spec]');
    if (!canvas || !source || figure.hasAttribute("data-drawn")) return;
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    if (spec.kind === "heatmap") sizeHeatmap(figure, spec);
    var config = configFor(spec);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    new Chart(canvas, config);
    figure.setAttribute("data-drawn", spec.kind);
  }

  function sparkline(canvas) {
    if (canvas.hasAttribute("data-drawn")) return;
    var values;
    try { values = JSON.parse(canvas.getAttribute("data-sparkline")); } catch (e) { return; }
    // A trend that stays at 0 would lie on the canvas's bottom edge and not show: give the scale room above it.
    var highest = Math.max.apply(null, values.filter(function (v) { return v !== null; }).concat([0]));
    new Chart(canvas, {
      type: "line",
      data: {
        labels: values.map(function (_, i) { return i; }),
        datasets: [{ data: values, borderColor: SERIES[0], backgroundColor: "rgba(0,114,178,.12)", fill: "origin",
                     borderWidth: 2, pointRadius: dotAlone(2.5, 0), pointBackgroundColor: SERIES[0],
                     spanGaps: false, tension: 0 }],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, events: [],
        scales: { x: { display: false }, y: { display: false, beginAtZero: true, grace: "10%", suggestedMax: highest > 0 ? undefined : 1 } },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
      },
    });
    canvas.setAttribute("data-drawn", "sparkline");
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("figure[data-chart]"), draw);
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-sparkline]"), sparkline);
  }

  // The segment control sends one `segment` value: the list's choice, or the rule typed when the list says
  // "A rule". Without this script both are sent and the server takes a typed rule over the list.
  function segmentControl(form) {
    var choice = form.querySelector("select[data-segment-choice]");
    var ruleField = form.querySelector("[data-rule-field]");
    if (!choice || !ruleField) return;
    var rule = ruleField.querySelector("input");
    function ruleChosen() { var option = choice.selectedOptions[0]; return !!option && option.hasAttribute("data-rule"); }
    function sync() { ruleField.hidden = !ruleChosen(); }
    choice.addEventListener("change", function () { sync(); if (ruleChosen()) rule.focus(); });
    form.addEventListener("submit", function () {
      if (ruleChosen()) { choice.disabled = true; } else { rule.disabled = true; }
      // bfcache: coming back to this page must find the controls usable again
      window.setTimeout(function () { choice.disabled = false; rule.disabled = false; }, 0);
    });
    sync();
  }

  function start() {
    drawAll();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-report-controls]"), segmentControl);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
