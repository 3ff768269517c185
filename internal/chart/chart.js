// chart.js: draws the charts described by the page's JSON blob (the
// element with id "data", see chart.go for its shape) with the uPlot
// inlined before it. Written by hand for hamsasim; it loads
// nothing and leaves no global behind.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var px = uPlot.pxRatio;

  // sig3 shows v with three significant digits, as chart.Num does.
  function sig3(v) {
    var a = Math.abs(v);
    if (a >= 999.5) return Math.round(v).toLocaleString("en-US");
    var s = v.toFixed(a >= 99.95 ? 0 : a >= 9.995 ? 1 : a >= 0.9995 ? 2 : 3);
    if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s === "-0" ? "0" : s;
  }

  // elapsed shows seconds since the start as the report's tables do
  // (chart.Secs): "45s", "1m30s", "2m", "1h5m".
  function elapsed(sec) {
    var sign = sec < 0 ? "-" : "", a = Math.abs(sec);
    if (a < 60) return sign + sig3(a) + "s";
    var t = Math.round(a), h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60), s = t % 60;
    var out = (h ? h + "h" : "") + (m || (h && s) ? m + "m" : "") + (s ? s + "s" : "");
    return sign + out;
  }

  // clock is the UTC wall-clock time sec after the start, if it is known.
  function clock(sec) {
    if (data.startMs == null) return "";
    return new Date(data.startMs + sec * 1000).toISOString().slice(11, 19) + " UTC";
  }

  // fmt shows a value with its unit (see the Unit constants in chart.go).
  function fmt(v, unit) {
    if (v == null || !isFinite(v)) return "—";
    switch (unit) {
      case "ms": return Math.abs(v) >= 999.5 ? sig3(v / 1000) + " s" : sig3(v) + " ms";
      case "/s": return sig3(v) + "/s";
      case "%": return sig3(v) + " %";
      case "elapsed": return elapsed(v);
      default: return sig3(v);
    }
  }

  // The legend's x: elapsed time with the wall clock beside it, a name
  // given per x, or the value with its unit.
  function xLegend(c) {
    return function (u, v, si, idx) {
      if (v == null) return "—";
      if (c.xNames && idx != null && c.xNames[idx]) return c.xNames[idx];
      if (c.x.unit !== "elapsed") return fmt(v, c.x.unit);
      var wall = clock(v);
      return "+" + elapsed(v) + (wall ? " · " + wall : "");
    };
  }

  function tickLabels(axis) {
    return function (u, splits) {
      return splits.map(function (v) {
        if (v == null) return "";
        if (axis.ticks) {
          for (var i = 0; i < axis.ticks.length; i++) {
            if (axis.ticks[i].v === v) return axis.ticks[i].label;
          }
        }
        return fmt(v, axis.unit);
      });
    };
  }

  // yRange reaches every reference line and starts a linear axis at 0.
  function yRange(c) {
    return function (u, lo, hi) {
      (c.lines || []).forEach(function (l) {
        lo = lo == null ? l.y : Math.min(lo, l.y);
        hi = hi == null ? l.y : Math.max(hi, l.y);
      });
      if (c.y.log) {
        if (lo == null || hi == null) return [1, 10];
        return uPlot.rangeLog(lo, Math.max(hi, lo * 1.5), 10, true);
      }
      if (lo == null || hi == null) return [0, 1];
      lo = Math.min(0, lo);
      if (hi <= lo) hi = lo + 1;
      return uPlot.rangeNum(lo, hi, 0.08, true);
    };
  }

  function font(size, weight) {
    return (weight || "") + " " + Math.round(size * px) + "px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
  }

  // label writes text with a white halo, readable over the series.
  function label(ctx, text, x, y) {
    ctx.save();
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.lineWidth = 3 * px;
    ctx.lineJoin = "round";
    ctx.setLineDash([]);
    ctx.strokeText(text, x, y);
    ctx.restore();
    ctx.fillText(text, x, y);
  }

  // logSplits are the ticks of a log axis: each power of ten, and 2 and 5
  // times it when the axis spans two decades or less.
  function logSplits(u, axisIdx, min, max) {
    var out = [], mults = Math.log10(max / min) <= 2 ? [1, 2, 5] : [1];
    for (var e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      mults.forEach(function (m) {
        var v = +(m * Math.pow(10, e)).toPrecision(6);
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      });
    }
    return out;
  }

  // Bands go under the series (drawClear), their labels and the reference
  // lines over them (draw).
  function drawBands(c) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox;
      ctx.save();
      (c.bands || []).forEach(function (band) {
        var x0 = Math.max(u.valToPos(band.from, "x", true), b.left);
        var x1 = Math.min(u.valToPos(band.to, "x", true), b.left + b.width);
        if (!(x1 > x0)) return;
        ctx.fillStyle = band.color;
        ctx.fillRect(x0, b.top, x1 - x0, b.height);
        if (band.edge) {
          ctx.fillStyle = "rgba(60,70,80,0.55)";
          ctx.fillRect(x0, b.top, Math.max(1, px), b.height);
        }
      });
      ctx.restore();
    };
  }

  function drawLabels(c) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox;
      ctx.save();
      ctx.font = font(11);
      // Band labels sit in the strip above the plot (see padding).
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillStyle = "#333";
      (c.bands || []).forEach(function (band) {
        if (!band.label) return;
        var x0 = Math.max(u.valToPos(band.from, "x", true), b.left);
        var x1 = Math.min(u.valToPos(band.to, "x", true), b.left + b.width);
        if (x1 - x0 < ctx.measureText(band.label).width + 6 * px) return; // no room: the stage table has it
        label(ctx, band.label, x0 + 3 * px, b.top - 3 * px);
      });
      // Lines first, then their labels: right-aligned above the line, or
      // below it when the label above left no room, so close lines'
      // labels stack instead of overlapping.
      var shown = (c.lines || []).map(function (l) {
        return { l: l, y: u.valToPos(l.y, "y", true) };
      }).filter(function (p) {
        return p.y >= b.top - 1 && p.y <= b.top + b.height + 1;
      }).sort(function (p, q) { return p.y - q.y; });
      // Lines at the same height (a p99 < 5s threshold on the 5 s budget)
      // share one label.
      var labels = [];
      shown.forEach(function (p) {
        var last = labels[labels.length - 1];
        if (last && p.y - last.y < 2 * px) last.text += " · " + p.l.label;
        else labels.push({ y: p.y, text: p.l.label, color: p.l.color });
      });
      shown.forEach(function (p) {
        ctx.strokeStyle = p.l.color;
        ctx.lineWidth = 1.5 * px;
        ctx.setLineDash(p.l.dash ? [6 * px, 4 * px] : []);
        ctx.beginPath();
        ctx.moveTo(b.left, p.y);
        ctx.lineTo(b.left + b.width, p.y);
        ctx.stroke();
      });
      var h = 12 * px, nextTop = b.top;
      ctx.textAlign = "right";
      ctx.textBaseline = "top";
      labels.forEach(function (p) {
        var top = p.y - 3 * px - h;
        if (top < nextTop) top = Math.max(p.y + 3 * px, nextTop);
        ctx.fillStyle = p.color;
        label(ctx, p.text, b.left + b.width - 4 * px, top);
        nextTop = top + h + px;
      });
      ctx.restore();
    };
  }

  var elapsedIncrs = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function options(c, width) {
    var x = {
      label: c.x.label, values: tickLabels(c.x), size: 44,
      grid: { stroke: "#eceff2" }, ticks: { stroke: "#c8cdd2" },
    };
    if (c.x.unit === "elapsed") x.incrs = elapsedIncrs;
    if (c.x.ticks) x.splits = function () { return c.x.ticks.map(function (t) { return t.v; }); };
    var y = {
      label: c.y.label, values: tickLabels(c.y), size: 72,
      grid: { stroke: "#eceff2" }, ticks: { stroke: "#c8cdd2" },
    };
    if (c.y.log) {
      y.splits = logSplits;
      y.filter = function (u, splits) { return splits; };
    }
    var xScale = { time: false };
    if (c.x.ticks) xScale.range = [c.x.ticks[0].v, c.x.ticks[c.x.ticks.length - 1].v];
    var labelled = (c.bands || []).some(function (b) { return b.label; });
    return {
      width: width,
      padding: [labelled ? 20 : 12, 16, null, null],
      height: c.height || 260,
      scales: { x: xScale, y: { distr: c.y.log ? 3 : 1, range: yRange(c) } },
      axes: [x, y],
      cursor: c.sync ? { sync: { key: "elapsed" } } : {},
      legend: { live: true },
      series: [{ label: c.x.label, value: xLegend(c) }].concat(c.series.map(function (s) {
        var o = {
          label: s.label, stroke: s.color, width: s.width || 1.5, show: !s.hidden, spanGaps: !!s.join,
          dash: s.dash ? [6, 4] : undefined,
          value: function (u, v) { return fmt(v, c.y.unit); },
        };
        if (s.points) {
          o.paths = function () { return null; };
          o.points = { show: true, size: 9, width: 1.5, fill: s.color, stroke: "#fff" };
        }
        return o;
      })),
      hooks: { drawClear: [drawBands(c)], draw: [drawLabels(c)] },
    };
  }

  var plots = [];
  data.charts.forEach(function (c) {
    var fig = document.getElementById("chart-" + c.id);
    var el = fig && fig.querySelector(".plot");
    if (!el) return;
    try {
      var cols = [c.xs].concat(c.series.map(function (s) { return s.y; }));
      plots.push({ el: el, plot: new uPlot(options(c, el.clientWidth || 800), cols, el) });
      el.style.minHeight = "";
    } catch (e) {
      el.textContent = "This chart could not be drawn: " + e;
      el.className += " plot-error";
      fig.setAttribute("data-error", String(e));
    }
  });

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: p.el.clientWidth, height: p.plot.height }); });
    }, 100);
  });
})();
