// fleetload HTML report: draws every chart with uPlot (inlined before this script) from the
// run's data in <script id="fleetload-data">. Runs offline. Time charts share the cursor and
// the zoom (drag across one to zoom all, double-click to reset); phases are shaded bands.
// Numbers follow the rules of src/metrics/format.cpp, so they read as in the summary.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fleetload-data").textContent);
  var dpr = window.devicePixelRatio || 1;

  // ---- numbers for people (src/metrics/format.cpp) ----
  function trim(s) {
    if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s === "-0" ? "0" : s;
  }
  function group(s) {
    var neg = s.charAt(0) === "-";
    if (neg) s = s.slice(1);
    var p = s.split(".");
    p[0] = p[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + p.join(".");
  }
  function sig(v, n, maxDec) {
    if (v == null || !isFinite(v)) return "-";
    if (v === 0) return "0";
    var d = n - (Math.floor(Math.log10(Math.abs(v))) + 1);
    d = Math.max(0, Math.min(maxDec, d));
    return group(trim(v.toFixed(d)));
  }
  function num(v) { return sig(v, 3, 9); }
  function scaled(v, factor, units, sep) {
    var k = 0;
    while (k + 1 < units.length && Math.abs(v) >= 999.5) { v /= factor; k++; }
    return sig(v, 3, 9) + sep + units[k];
  }
  function compact(v) {
    if (v == null || !isFinite(v)) return "-";
    if (Math.abs(v) < 999.5) return sig(v, 3, 2);
    return scaled(v, 1000, ["", "k", "M", "G", "T"], "");
  }
  function duration(s) {
    if (s == null || !isFinite(s)) return "-";
    if (s < 0) return "-" + duration(-s);
    if (s === 0) return "0 s";
    if (s < 999.5e-9) return sig(s * 1e9, 3, 1) + " ns";
    if (s < 999.5e-6) return sig(s * 1e6, 3, 2) + " \u00b5s";
    if (s < 0.9995) return sig(s * 1e3, 3, 2) + " ms";
    if (s < 59.95) return sig(s, 3, 2) + " s";
    var t = Math.round(s);
    if (t < 3600) return Math.floor(t / 60) + " min " + ("0" + (t % 60)).slice(-2) + " s";
    var m = Math.round(s / 60);
    return group(String(Math.floor(m / 60))) + " h " + ("0" + (m % 60)).slice(-2) + " min";
  }
  function bytes(b) {
    if (b == null || !isFinite(b)) return "-";
    if (Math.abs(b) < 999.5) return group(String(Math.round(b))) + " B";
    return scaled(b, 1024, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], " ");
  }
  function percent(p) {
    if (p == null || !isFinite(p)) return "-";
    if (p === 0) return "0%";
    if (p < 0) return "-" + percent(-p);
    if (p >= 100) return sig(p, 3, 0) + "%";
    if (p >= 99) {
      for (var d = 1; d <= 3; d++) {
        var s = trim(p.toFixed(d));
        if (parseFloat(s) < 100) return s + "%";
      }
      return ">99.999%";
    }
    if (p < 0.001) return "<0.001%";
    return sig(p, 3, 3) + "%";
  }
  // Legend and hover values: full figures; axis ticks: short ones.
  var VALUE = {
    count: num,
    per_s: function (v) { return num(v) + "/s"; },
    bytes_per_s: function (v) { return bytes(v) + "/s"; },
    bytes: bytes,
    ms: function (v) { return v === 0 ? "0 ms" : duration(v / 1000); },
    seconds: duration,
    cores: function (v) { return percent(v * 100); },
    share: function (v) { return percent(v * 100); }
  };
  // Time ticks short enough to sit side by side: "45 s", "8 min", "8m30s", "2 h", "1h30".
  function tickDuration(s) {
    if (s == null || !isFinite(s)) return "";
    if (s < 60) return duration(s);
    var t = Math.round(s);
    if (t < 3600) return t % 60 ? Math.floor(t / 60) + "m" + ("0" + (t % 60)).slice(-2) + "s" : t / 60 + " min";
    var m = Math.round(t / 60);
    return m % 60 ? Math.floor(m / 60) + "h" + ("0" + (m % 60)).slice(-2) : m / 60 + " h";
  }
  var TICK = {
    count: compact,
    per_s: function (v) { return compact(v) + "/s"; },
    bytes_per_s: function (v) { return bytes(v) + "/s"; },
    bytes: bytes,
    ms: VALUE.ms,
    seconds: tickDuration,
    cores: VALUE.cores,
    share: VALUE.share
  };

  // ---- phases ----
  var PHASE_FILL = {
    ramp: "rgba(44,160,44,0.08)", steady: "rgba(31,119,180,0.05)",
    churn: "rgba(255,127,14,0.10)", storm: "rgba(214,39,40,0.10)"
  };
  function phaseAt(t) {
    for (var i = data.phases.length - 1; i >= 0; i--)
      if (t >= data.phases[i].start) return data.phases[i].name;
    return "";
  }
  // Shaded bands behind the series, one per phase, named where the band is wide enough.
  function phaseBands() {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          ctx.save();
          ctx.beginPath();
          ctx.rect(b.left, b.top, b.width, b.height);
          ctx.clip();
          ctx.font = Math.round(10 * dpr) + "px system-ui, sans-serif";
          var xs = data.phases.map(function (p) {
            return [u.valToPos(p.start, "x", true), u.valToPos(p.end, "x", true)];
          });
          data.phases.forEach(function (p, i) {
            ctx.fillStyle = PHASE_FILL[p.type] || "rgba(0,0,0,0.04)";
            ctx.fillRect(xs[i][0], b.top, xs[i][1] - xs[i][0], b.height);
          });
          ctx.strokeStyle = "rgba(0,0,0,0.25)";
          ctx.lineWidth = dpr;
          ctx.setLineDash([3 * dpr, 3 * dpr]);
          xs.forEach(function (x, i) {
            if (i === 0) return;
            ctx.beginPath();
            ctx.moveTo(x[0], b.top);
            ctx.lineTo(x[0], b.top + b.height);
            ctx.stroke();
          });
          // Names last, so no later band paints over them; only where the band has room.
          ctx.fillStyle = "#666";
          data.phases.forEach(function (p, i) {
            var left = Math.max(xs[i][0], b.left) + 4 * dpr, room = Math.min(xs[i][1], b.left + b.width) - left;
            if (room > ctx.measureText(p.name).width + 4 * dpr) ctx.fillText(p.name, left, b.top + 12 * dpr);
          });
          ctx.restore();
        }]
      }
    };
  }

  // ---- layout ----
  // Axis width from its longest tick label, so "12.3 MiB/s" never runs into the plot.
  function axisSize(u, values, axisIdx) {
    var axis = u.axes[axisIdx];
    var size = axis.ticks.size + axis.gap + 4;
    var longest = (values || []).reduce(function (a, v) { return v.length > a.length ? v : a; }, "");
    if (longest !== "") {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / dpr;
    }
    return Math.ceil(size);
  }
  function plotWidth(el) { return Math.max(240, el.clientWidth - 16); }
  var HEIGHT = 230;

  function hasValues(values, log) {
    for (var i = 0; i < values.length; i++)
      if (values[i] != null && (!log || values[i] > 0)) return true;
    return false;
  }
  function empty(el, title, why) {
    var h = document.createElement("div");
    h.className = "u-title";
    h.textContent = title;
    var p = document.createElement("p");
    p.className = "empty";
    p.textContent = why;
    el.appendChild(h);
    el.appendChild(p);
    el.classList.add("no-data");
  }
  function noteOf(el, text) {
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    el.appendChild(p);
  }

  // Byte axes step in powers of two (64 KiB, 128 KiB, ...), not in decimal steps of bytes.
  var BINARY_INCRS = [];
  for (var e = 0; e < 60; e++) BINARY_INCRS.push(Math.pow(2, e));
  // Time axes step in the units a clock has: ms, s, 15 s, min, 15 min, h, ...
  var TIME_INCRS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
                    900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  var plots = [], timePlots = [], syncing = false;
  // Zoom one time chart, zoom them all.
  function followZoom(u, key) {
    if (key !== "x" || syncing || timePlots.indexOf(u) < 0) return;
    syncing = true;
    var min = u.scales.x.min, max = u.scales.x.max;
    timePlots.forEach(function (o) { if (o !== u) o.setScale("x", { min: min, max: max }); });
    syncing = false;
  }

  function build(spec, x, xUnit, isTime) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    var series = spec.series.filter(function (s) { return hasValues(s.values, spec.log && !s.right); });
    if (!x.length || !series.length) {
      empty(el, spec.title, "no samples: nothing of this was measured in the run");
      noteOf(el, spec.note);
      return;
    }
    var unit = spec.unit, right = spec.right_unit;
    var useRight = series.some(function (s) { return s.right; });
    // Off the plot the legend tells the whole run (the span, each line's peak); on it, the
    // values under the cursor.
    var span = VALUE[xUnit](x[0]) + " \u2013 " + VALUE[xUnit](x[x.length - 1]);
    var uSeries = [{
      label: isTime ? "time" : spec.x_label || "delay",
      value: function (u, v, si, idx) {
        if (idx == null) return isTime ? span : "";
        if (v == null) return "-";
        return isTime ? duration(v) + (data.phases.length ? " \u00b7 " + phaseAt(v) : "") : VALUE[xUnit](v);
      }
    }];
    series.forEach(function (s) {
      var fmt = VALUE[s.right ? right : unit];
      var peak = null;
      s.values.forEach(function (v) { if (v != null && (peak == null || v > peak)) peak = v; });
      var off = isTime && peak != null ? "max " + fmt(peak) : "";
      // A value with gaps on both sides is no line: draw it as a dot.
      var lone = [];
      s.values.forEach(function (v, i) {
        if (v != null && (i === 0 || s.values[i - 1] == null) && (i + 1 === s.values.length || s.values[i + 1] == null))
          lone.push(i);
      });
      uSeries.push({
        label: s.label, stroke: s.color, width: 1.5, scale: s.right ? "y2" : "y",
        dash: s.dash ? [6, 4] : undefined, spanGaps: false,
        points: { show: false, size: 5, fill: s.color, filter: function () { return lone.length ? lone : null; } },
        value: function (u, v, si, idx) { return idx == null ? off : v == null ? "-" : fmt(v); }
      });
    });
    var zeroBased = function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; };
    var scales = { x: { time: false }, y: spec.log ? { distr: 3, log: 10 } : { range: zeroBased } };
    if (useRight) scales.y2 = { range: zeroBased };
    if (unit === "share") scales.y = { range: [0, 1] };
    var grid = { stroke: "#eee", width: 1 };
    function ticks(u, v, tickUnit, log) {
      return v.map(function (y) {
        if (y == null) return "";  // uPlot's log splits leave the unlabelled ticks null
        // A log axis labels its decades only; the ticks between stay unlabelled.
        if (log && Math.abs(Math.log10(y) - Math.round(Math.log10(y))) > 1e-6) return "";
        return TICK[tickUnit](y);
      });
    }
    function axis(scale, tickUnit, log, extra) {
      var a = { scale: scale, grid: grid, size: axisSize,
                values: function (u, v) { return ticks(u, v, tickUnit, log); } };
      if (tickUnit === "bytes" || tickUnit === "bytes_per_s") a.incrs = BINARY_INCRS;
      if (tickUnit === "seconds") {
        a.incrs = TIME_INCRS;
        a.space = 60;  // px between ticks: room for "8m30s"
      }
      for (var k in extra) a[k] = extra[k];
      return a;
    }
    var axes = [axis("x", xUnit, false, {}), axis("y", unit, !!spec.log, {})];
    if (useRight) axes.push(axis("y2", right, false, { side: 1, grid: { show: false } }));
    var columns = [x].concat(series.map(function (s) {
      // A log axis cannot place 0: leave it out of the line rather than draw it at -infinity.
      return spec.log && !s.right ? s.values.map(function (v) { return v > 0 ? v : null; }) : s.values;
    }));
    var opts = {
      title: spec.title, width: plotWidth(el), height: HEIGHT, series: uSeries, scales: scales, axes: axes,
      legend: { live: true },
      cursor: isTime ? { sync: { key: "fleetload-time" }, drag: { x: true, y: false } } : { drag: { x: true, y: false } },
      plugins: isTime && data.phases.length ? [phaseBands()] : [],
      hooks: { setScale: [followZoom] }
    };
    var u = new uPlot(opts, columns, el);
    noteOf(el, spec.note);
    plots.push({ plot: u, el: el });
    if (isTime) timePlots.push(u);
  }

  data.charts.forEach(function (c) { build(c, data.t, "seconds", true); });
  build(data.delays, data.delays.x, data.delays.x_unit, false);
  build(data.search, data.search.x, data.search.x_unit, false);

  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      plots.forEach(function (p) { p.plot.setSize({ width: plotWidth(p.el), height: HEIGHT }); });
    });
  });
  document.documentElement.setAttribute("data-charts", String(plots.length));
})();
