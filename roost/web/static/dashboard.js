/* Roost dashboard: charts drawn with the vendored uPlot (no build step), table sorting and search, the theme
   toggle and chart export. Everything is wired with addEventListener from this file (no inline handlers), and the
   pages hand their data over in <script type="application/json"> elements, so a strict CSP works. */
"use strict";
window.Roost = (function () {
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
  const KIND_COLORS = { original: "#2563eb", reply: "#16a34a", quote: "#9333ea", retweet: "#f59e0b" };
  const HOUR = 3600;
  const charts = [];  // { plot, el, build } so a resize or a theme change can redraw them
  const fmt = new Intl.NumberFormat("en-US");
  const fmt1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
  const fmt2 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  const pct2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function width(el) { return Math.max(260, el.clientWidth); }
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#6b7280"; }

  /* An x range around the data: a lone snapshot or a few hours get a window of at least `minSpan` centred on them,
     never years with one dot at the edge; `pad` widens both sides (half a bar for bar charts). */
  function xRange(xs, minSpan, pad) {
    let lo = xs[0], hi = xs[xs.length - 1];
    if (hi - lo < minSpan) { const mid = (lo + hi) / 2; lo = mid - minSpan / 2; hi = mid + minSpan / 2; }
    return [lo - (pad || 0), hi + (pad || 0)];
  }

  /* A y range around the data: a little headroom, at least a span of 4 for integer counts (a flat series sits in
     the middle, not on a 0-100 axis), and never below zero for counts. */
  function yRange(floorZero) {
    return (u, min, max) => {
      if (min == null || max == null) return [0, 1];
      let lo = min, hi = max;
      const span = hi - lo;
      const pad = Math.max(span * 0.08, 2);
      lo = Math.floor(lo - pad); hi = Math.ceil(hi + pad);
      if (floorZero && lo < 0 && min >= 0) lo = 0;
      return [lo, hi];
    };
  }

  const INT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 25e3, 5e4, 1e5,
                     2e5, 25e4, 5e5, 1e6, 2e6, 25e5, 5e6, 1e7, 2e7, 5e7, 1e8, 2e8, 5e8, 1e9];

  function axisY(values, opts) {
    return Object.assign({
      stroke: css("--muted"), grid: { stroke: css("--grid") }, ticks: { stroke: css("--grid") },
      values: values || ((u, vals) => vals.map((v) => v == null ? "" : fmt.format(v))),
      size: (u, vals) => 18 + 7.5 * Math.max(3, ...(vals || []).map((v) => String(v).length)),
    }, opts || {});
  }

  /* One date style everywhere (as the server writes it: "Mon 30 Nov 2026", "30 Nov 2026, 11:00", 24-hour clock):
     the x axis ticks, then the date under a tick only where the day (or year) changes. */
  const DAYS = 86400;
  const X_TICKS = [
    [365 * DAYS, "{YYYY}", null, null, null, null, null, null, 1],
    [28 * DAYS, "{MMM}", "\n{YYYY}", null, null, null, null, null, 1],
    [DAYS, "{D} {MMM}", "\n{YYYY}", null, null, null, null, null, 1],
    [HOUR, "{HH}:{mm}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
    [60, "{HH}:{mm}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
  ];
  const MOMENT = "{D} {MMM} {YYYY}, {HH}:{mm}";  // a snapshot's time, as the pages' "30 Nov 2026, 11:00"

  function axisX() {
    return { stroke: css("--muted"), grid: { stroke: css("--grid") }, ticks: { stroke: css("--grid") }, values: X_TICKS };
  }

  /* A period's name from its start, as the server's period_label: "Mon 30 Nov, 11:00", "Mon 30 Nov 2026",
     "Week of 30 Nov 2026", "Nov 2026"; the period length is read off the periods' spacing. */
  function periodNamer(tz, spacing) {
    const tpl = spacing < 2 * HOUR ? "{WWW} {D} {MMM}, {HH}:{mm}" : spacing < 2 * DAYS ? "{WWW} {D} {MMM} {YYYY}"
      : spacing < 14 * DAYS ? "Week of {D} {MMM} {YYYY}" : "{MMMM} {YYYY}";
    const f = uPlot.fmtDate(tpl);
    return (t) => f(uPlot.tzDate(new Date(t * 1e3), tz));
  }

  /* Legends show the newest value until the cursor hovers a point, instead of "--". */
  function latestLegend(u) {
    const n = u.data[0].length;
    if (n && u.cursor.idx == null) u.setLegend({ idx: n - 1 });
  }

  function register(el, build) {
    const entry = { el, build, plot: build() };
    charts.push(entry);
    return entry.plot;
  }

  function make(el, series, data, tz, extra) {
    extra = extra || {};
    const opts = {
      width: width(el),
      height: extra.height || 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), tz),
      scales: Object.assign({ x: { time: true, auto: false, range: extra.range || xRange(data[0], extra.minSpan || 12 * HOUR, extra.pad) } },
                            extra.scales || {}),
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [extra.x || {}].concat(series),
      axes: [axisX(), extra.axisY || axisY()],
      hooks: { ready: [latestLegend], setCursor: [latestLegend], draw: [(u) => describe(el, u)] },
    };
    const plot = new uPlot(opts, data, el);
    el.dataset.points = String(data[0].length);
    return plot;
  }

  function empty(el, text) {
    const p = document.createElement("p");
    p.className = "muted empty";
    p.textContent = text;
    el.appendChild(p);
  }

  /* What a test (and a curious person) can read off a drawn chart: its x and y ranges and the y ticks. */
  function describe(el, plot) {
    const s = plot.scales.y;
    el.dataset.xMin = String(plot.scales.x.min); el.dataset.xMax = String(plot.scales.x.max);
    el.dataset.yMin = String(s.min); el.dataset.yMax = String(s.max);
    const ticks = plot.axes[1]._splits || [];
    el.dataset.yTicks = ticks.join(",");
  }

  function data(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function trackerCharts(d, tz, range) {
    for (const card of document.querySelectorAll(".chart[data-metric]")) {
      const metric = card.dataset.metric;
      const el = card.querySelector(".plot");
      if (!d.t.length) { empty(el, "No snapshots in this range."); continue; }
      const label = card.querySelector("h2").textContent;
      register(el, () => {
        const plot = make(el, [{
          label, stroke: COLORS[0], width: 2, spanGaps: false,
          points: { show: d.t.length < 50, size: 6 },
          value: (u, v) => v == null ? "–" : fmt.format(v),
        }], [d.t, d[metric]], tz, {
          scales: { y: { range: yRange(true) } }, range: range || null, x: { label: "Time", value: MOMENT },
          axisY: axisY(null, { incrs: INT_INCRS }),
        });
        return plot;
      });
    }
    window.roostChartsDrawn = performance.now();  // read by bench/bench_dashboard.py
  }

  const MODES = {
    absolute: { label: "Count", log: false },
    log: { label: "Count (log scale)", log: true },
    change: { label: "Change since start", log: false },
    percent: { label: "% change since start", log: false },
  };

  /* `base`: the value as of the range's start (the server's one change rule), so the last point's change is the
     table's; the first value drawn when the server sent none. */
  function transform(values, mode, base) {
    if (base == null) base = values.find((v) => v != null);
    if (mode === "change") return values.map((v) => v == null || base == null ? null : v - base);
    if (mode === "percent") return values.map((v) => v == null || !base ? null : 100 * (v - base) / base);
    if (mode === "log") return values.map((v) => v == null || v <= 0 ? null : v);
    return values;
  }

  function compareChart(d, tz, mode) {
    const el = document.querySelector("#chart-compare .plot");
    if (!el) return;  // nothing picked yet
    if (!d.t.length || !d.series.length) { empty(el, "No data in this range."); return; }
    const card = document.getElementById("chart-compare");
    const draw = () => {
      const m = MODES[card.dataset.mode] ? card.dataset.mode : "absolute";
      const percent = m === "percent";
      // As the table writes them: "+1.04 %", "0.00 %" (no sign on a change that rounds to nothing), "+2,680".
      const show = (v) => v == null ? "–" : percent ? (Math.abs(v) < 0.005 ? "0.00 %" : (v > 0 ? "+" : "") + pct2.format(v) + " %")
        : m === "change" ? (v >= 0 ? "+" : "") + fmt.format(v) : fmt.format(v);
      const series = d.series.map((s, i) => ({
        label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true,
        points: { show: d.t.length < 40, size: 5 }, value: (u, v) => show(v),
      }));
      const y = MODES[m].log ? { distr: 3, log: 10 } : { range: m === "absolute" ? yRange(true) : yRange(false) };
      if (percent) y.range = (u, min, max) => { const pad = Math.max((max - min) * 0.08, 0.05); return [min - pad, max + pad]; };
      const tick = (u, vals) => vals.map((v) => v == null ? "" : percent ? fmt2.format(v) + "%" : fmt.format(v));
      const labels = d.labels || [];
      const plot = make(el, series, [d.t].concat(d.series.map((s) => transform(s.values, m, s.base))), tz, {
        height: 340, scales: { y }, range: d.range || null,
        x: { label: "Period", value: (u, v, si, idx) => idx == null ? "" : (labels[idx] || "") },
        axisY: axisY(tick, percent || MODES[m].log ? {} : { incrs: INT_INCRS }),
      });
      el.dataset.mode = m;
      return plot;
    };
    card.dataset.mode = MODES[mode] ? mode : "absolute";
    const entry = { el, build: draw, plot: draw() };
    charts.push(entry);
    for (const b of card.querySelectorAll("[data-mode-button]")) {
      b.setAttribute("aria-pressed", String(b.dataset.modeButton === card.dataset.mode));
      b.addEventListener("click", () => {
        card.dataset.mode = b.dataset.modeButton;
        for (const o of card.querySelectorAll("[data-mode-button]")) o.setAttribute("aria-pressed", String(o === b));
        entry.plot.destroy(); el.textContent = ""; entry.plot = draw();
        const form = document.getElementById("compare-form");
        let hidden = form && form.querySelector("input[name=mode]");
        if (form && !hidden) {
          hidden = document.createElement("input"); hidden.type = "hidden"; hidden.name = "mode"; form.appendChild(hidden);
        }
        if (hidden) hidden.value = card.dataset.mode;
        const url = new URL(location.href); url.searchParams.set("mode", card.dataset.mode);
        history.replaceState(null, "", url);
        for (const a of document.querySelectorAll("a[data-keep-mode]")) {
          const h = new URL(a.href); h.searchParams.set("mode", card.dataset.mode); a.href = h.toString();
        }
      });
    }
  }

  /* Posting activity as stacked bars: one bar per period, a segment per post type (never four overlapping lines). */
  async function activityChart(url, tz, range) {
    const el = document.querySelector("#chart-activity .plot");
    const note = document.getElementById("activity-note");
    try {
      const r = await fetch(url, { credentials: "same-origin" });
      if (!r.ok) { note.textContent = "Posting activity is not available for this range."; return; }
      const body = await r.json();
      const rows = body.data || [];
      const total = body.totals ? body.totals.posts : rows.reduce((n, x) => n + x.posts, 0);
      if (!rows.length || !total) { note.textContent = "No posts archived in this range yet."; el.dataset.points = "0"; return; }
      const kinds = ["original", "reply", "quote", "retweet"];
      const t = rows.map((x) => (x._id + x.periodEnd) / 2);
      const raw = kinds.map((k) => rows.map((x) => x[k] || 0));
      // Cumulative sums, drawn widest first so each type shows as its own segment of the bar.
      const stacked = kinds.map((_, i) => rows.map((__, j) => raw.slice(i).reduce((s, a) => s + a[j], 0)));
      const period = rows.length > 1 ? rows[1]._id - rows[0]._id : (rows[0].periodEnd - rows[0]._id);
      const bars = uPlot.paths.bars({ size: [0.7, 60] });
      const name = periodNamer(tz, period), names = rows.map((x) => name(x._id));
      register(el, () => {
        const plot = make(el, kinds.map((k, i) => ({
          label: k, stroke: KIND_COLORS[k], fill: KIND_COLORS[k], width: 0, paths: bars, points: { show: false },
          value: (u, v, si, idx) => idx == null ? "–" : fmt.format(raw[i][idx]),
        })), [t].concat(stacked), tz, {
          minSpan: period * 3, pad: period * 0.6, range: range || null,
          x: { label: "Period", value: (u, v, si, idx) => idx == null ? "" : names[idx] },
          scales: {
            y: { range: (u, min, max) => [0, Math.max(2, Math.ceil((max || 0) * 1.15))] },
          },
          axisY: axisY(null, { incrs: INT_INCRS }),
        });
        return plot;
      });
      note.textContent = fmt.format(total) + " posts in this range.";
    } catch (err) {
      note.textContent = "Posting activity could not be loaded.";
    }
  }

  /* Export a chart as a PNG that stands alone: the title, what it shows (range, time zone, mode: the card's
     data-caption and data-mode) and a legend of its series above the chart, on the card's background. */
  function exportChart(card) {
    const canvas = card.querySelector("canvas");
    if (!canvas) return;
    const title = card.querySelector("h2") ? card.querySelector("h2").textContent : "chart";
    const entry = charts.find((c) => card.contains(c.el));
    const legend = entry ? entry.plot.series.slice(1).map((s) => [s.label, typeof s.stroke === "function" ? s.stroke() : s.stroke]) : [];
    const mode = card.dataset.mode && MODES[card.dataset.mode] ? " · " + MODES[card.dataset.mode].label : "";
    const caption = (card.dataset.caption || "") + mode;
    const head = 76;
    const out = document.createElement("canvas");
    out.width = canvas.width; out.height = canvas.height + head;
    const g = out.getContext("2d");
    g.fillStyle = css("--card"); g.fillRect(0, 0, out.width, out.height);
    g.fillStyle = css("--fg"); g.font = "bold 20px system-ui, sans-serif"; g.fillText(title, 12, 26);
    g.fillStyle = css("--muted"); g.font = "14px system-ui, sans-serif"; g.fillText(caption, 12, 46);
    let x = 12;
    for (const [label, color] of legend) {
      g.fillStyle = color || css("--fg"); g.fillRect(x, 58, 14, 10);
      g.fillStyle = css("--fg"); g.fillText(label, x + 20, 68);
      x += 34 + g.measureText(label).width;
    }
    g.drawImage(canvas, 0, head);
    out.toBlob((blob) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = (card.dataset.filename || card.id || "chart") + ".png";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, "image/png");
  }

  /* Sortable tables (click a header) and a search box that filters rows by their data-search text. */
  function sortable(table) {
    const heads = table.querySelectorAll("thead th[data-sort]");
    heads.forEach((th, col) => {
      th.tabIndex = 0;
      const go = () => {
        const body = table.tBodies[0];
        const index = Array.prototype.indexOf.call(th.parentNode.children, th);
        const desc = th.getAttribute("aria-sort") !== "descending";
        for (const h of heads) h.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        const key = (tr) => {
          const cell = tr.children[index];
          const v = cell ? (cell.dataset.value ?? cell.textContent.trim().toLowerCase()) : "";
          const n = Number(v);
          return v !== "" && !Number.isNaN(n) ? n : v;
        };
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return desc ? -cmp : cmp;
        });
        for (const r of rows) body.appendChild(r);
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
    });
  }

  function searchable(input) {
    const table = document.getElementById(input.dataset.filter);
    if (!table) return;
    const count = document.getElementById(input.dataset.count || "");
    input.addEventListener("input", () => {
      const q = input.value.trim().toLowerCase().replace(/^@/, "");
      let shown = 0;
      for (const tr of table.tBodies[0].rows) {
        const hit = !q || (tr.dataset.search || tr.textContent).toLowerCase().includes(q);
        tr.hidden = !hit; if (hit) shown++;
      }
      if (count) count.textContent = q ? shown + " shown" : "";
    });
  }

  function setTheme(theme) {
    document.documentElement.dataset.theme = theme;
    try { localStorage.setItem("roost-theme", theme); } catch (e) { /* private mode */ }
    for (const c of charts) { c.plot.destroy(); c.el.textContent = ""; c.plot = c.build(); }
  }

  function init() {
    for (const t of document.querySelectorAll("table[data-sortable]")) sortable(t);
    for (const i of document.querySelectorAll("input[data-filter]")) searchable(i);
    for (const b of document.querySelectorAll("[data-export-chart]")) {
      b.addEventListener("click", () => exportChart(document.getElementById(b.dataset.exportChart)));
    }
    for (const b of document.querySelectorAll("[data-print]")) b.addEventListener("click", () => window.print());
    for (const b of document.querySelectorAll("[data-copy]")) {
      b.addEventListener("click", () => {
        const src = document.getElementById(b.dataset.copy);
        if (navigator.clipboard && src) navigator.clipboard.writeText(src.textContent.trim()).then(() => { b.textContent = "Copied"; });
      });
    }
    for (const b of document.querySelectorAll("button[data-confirm]")) {
      b.addEventListener("click", (e) => { if (!window.confirm(b.dataset.confirm)) e.preventDefault(); });
    }
    for (const f of document.querySelectorAll("form[data-confirm]")) {
      f.addEventListener("submit", (e) => { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); });
    }
    const toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.addEventListener("click", () => {
        const dark = document.documentElement.dataset.theme === "dark"
          || (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
        setTheme(dark ? "light" : "dark");
      });
    }
    keepCompareState();
    scrollHints();
    watchBuild();
    const page = data("page-data");
    if (page && page.kind === "tracker") {
      trackerCharts(page.chart, page.tz, page.range);
      if (page.activity) activityChart(page.activity, page.tz, page.range);
    } else if (page && page.kind === "compare") {
      compareChart(page.chart, page.tz, page.mode);
    }
  }

  /* Compare keeps its whole state in the URL: a range button or the custom range form carries what the compare
     form holds now (ticked trackers, tag, metric, mode, zone), so ticking a box and then picking a range keeps it. */
  function keepCompareState() {
    const form = document.getElementById("compare-form");
    if (!form) return;
    const state = (extra) => {
      const q = new URLSearchParams(new FormData(form));
      for (const k of ["range", "start", "end"]) q.delete(k);
      for (const [k, v] of Object.entries(extra)) q.set(k, v);
      return "/dashboard/compare?" + q.toString();
    };
    for (const a of document.querySelectorAll(".ranges a[data-range]")) {
      a.addEventListener("click", (e) => {
        e.preventDefault();
        location.href = state({ range: a.dataset.range, tz: new URL(a.href).searchParams.get("tz") || "UTC" });
      });
    }
    const custom = document.getElementById("custom-range");
    if (custom) {
      custom.addEventListener("submit", (e) => {
        e.preventDefault();
        const f = new FormData(custom);
        location.href = state({ range: "custom", start: f.get("start"), end: f.get("end"), tz: f.get("tz") || "UTC",
                                interval: f.get("interval") || "auto" });
      });
    }
  }

  /* While the demo's history builds, the banner follows /healthz and the page reloads when it is ready. */
  function watchBuild() {
    const banner = document.getElementById("build-banner");
    if (!banner) return;
    const text = document.getElementById("build-progress");
    const bar = document.getElementById("build-bar");
    const tick = async () => {
      try {
        const h = await (await fetch("/healthz", { cache: "no-store" })).json();
        const state = h.demo || "";
        if (!state.startsWith("building")) { location.reload(); return; }
        text.textContent = state;
        const m = state.match(/(\d+)\/(\d+)/);
        if (m) { bar.max = Number(m[2]); bar.value = Number(m[1]); }
      } catch (err) { /* the server is busy building: try again */ }
      setTimeout(tick, 2000);
    };
    setTimeout(tick, 2000);
  }

  /* A table wider than the screen says so (a phone shows its first columns only). */
  function scrollHints() {
    for (const box of document.querySelectorAll(".scroll")) {
      const prev = box.previousElementSibling;
      const has = prev && prev.classList.contains("scroll-hint");
      const wide = box.scrollWidth > box.clientWidth + 2;
      if (wide && !has) {
        const p = document.createElement("p");
        p.className = "scroll-hint muted small";
        p.textContent = box.querySelector("svg") ? "Swipe sideways for more days →" : "Swipe sideways for more columns →";
        box.parentNode.insertBefore(p, box);
      } else if (!wide && has) prev.remove();
    }
  }

  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { for (const c of charts) c.plot.setSize({ width: width(c.el), height: c.plot.height }); scrollHints(); }, 150);
  });
  document.addEventListener("DOMContentLoaded", init);

  return { trackerCharts, compareChart, activityChart, setTheme };
})();
