/* Roost dashboard charts, drawn with the vendored uPlot (no build step). */
"use strict";
window.Roost = (function () {
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
  const charts = [];

  function width(el) { return Math.max(260, el.clientWidth); }

  function make(el, series, data, tz, height) {
    const opts = {
      width: width(el),
      height: height || 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), tz),
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [{}].concat(series),
      axes: [{}, {
        values: (u, vals) => vals.map((v) => v == null ? "" : v.toLocaleString()),
        size: (u, vals) => 16 + 7.5 * Math.max(4, ...(vals || []).map((v) => String(v).length)),
      }],
    };
    const plot = new uPlot(opts, data, el);
    el.dataset.points = String(data[0].length);
    charts.push([plot, el]);
    return plot;
  }

  function empty(el, text) {
    const p = document.createElement("p");
    p.className = "muted empty";
    p.textContent = text;
    el.appendChild(p);
  }

  function trackerCharts(data, tz) {
    for (const card of document.querySelectorAll(".chart[data-metric]")) {
      const metric = card.dataset.metric;
      const el = card.querySelector(".plot");
      if (!data.t.length) { empty(el, "No snapshots in this range."); continue; }
      make(el, [{ label: card.querySelector("h2").textContent, stroke: COLORS[0], width: 2, spanGaps: false }],
           [data.t, data[metric]], tz);
    }
    window.roostChartsDrawn = performance.now();  // read by bench/bench_dashboard.py
  }

  function compareChart(data, tz) {
    const el = document.querySelector("#chart-compare .plot");
    if (!data.t.length || !data.series.length) { empty(el, "No data in this range."); return; }
    const series = data.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }));
    make(el, series, [data.t].concat(data.series.map((s) => s.values)), tz, 320);
  }

  /* Activity rows come from the JSON API (/user-trackers/{id}/activity, in its list envelope): posts by type per
     period; without those fields, every numeric field other than the period bounds is drawn. */
  async function activityChart(url, tz) {
    const el = document.querySelector("#chart-activity .plot");
    const note = document.getElementById("activity-note");
    try {
      const r = await fetch(url, { credentials: "same-origin" });
      if (!r.ok) { note.textContent = "Posting activity is not available for this range."; return; }
      const body = await r.json();
      const rows = Array.isArray(body) ? body : (body.rows || body.data || []);
      if (!rows.length) { note.textContent = "No posts archived in this range."; return; }
      const skip = new Set(["_id", "periodStart", "periodEnd", "start", "end"]);
      const kinds = ["original", "reply", "retweet", "quote"].filter((k) => typeof rows[0][k] === "number");
      const keys = kinds.length ? kinds
        : Object.keys(rows[0]).filter((k) => !skip.has(k) && typeof rows[0][k] === "number").slice(0, 6);
      const t = rows.map((x) => x._id ?? x.periodStart ?? x.start);
      make(el, keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 2 })),
           [t].concat(keys.map((k) => rows.map((x) => x[k]))), tz);
      note.textContent = "";
    } catch (err) {
      note.textContent = "Posting activity could not be loaded.";
    }
  }

  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { for (const [plot, el] of charts) plot.setSize({ width: width(el), height: plot.height }); }, 150);
  });

  return { trackerCharts, compareChart, activityChart };
})();
