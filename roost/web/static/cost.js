/* The add box's cost preview: as names are typed, what tracking them will cost a month (snapshots, plus the
   archive when its box is ticked) and to start, from the per-account figures the server computed from the
   settings (roost/web/cost.py). Names are split the way the server splits them (roost/web/data.py alias_tokens):
   commas, semicolons and new lines, spaces only when every word is a screen name; only valid names are counted,
   as only they are added. */
"use strict";
(function () {
  const out = document.getElementById("add-cost");
  const form = document.getElementById("add-form");
  if (!out || !form) return;
  const box = form.querySelector("textarea[name=aliases]");
  const archive = document.getElementById("add-archive");
  const per = { snapshots: Number(out.dataset.snapshots), archive: Number(out.dataset.archive), start: Number(out.dataset.start) };
  const usd = (v) => "$" + v.toFixed(v < 10 ? 2 : 0);
  function update() {
    const name = /^@?[A-Za-z0-9_]{1,15}$/;
    let items = box.value.split(/[,;\n]+/).map((t) => t.trim()).filter((t) => t.length > 0);
    if (items.length === 1 && !/[,;\n]/.test(box.value.trim())) {
      const words = items[0].split(/\s+/);
      if (words.length > 1 && words.every((w) => name.test(w))) items = words;
    }
    const n = new Set(items.filter((t) => name.test(t)).map((t) => t.replace(/^@/, "").toLowerCase())).size;
    const withArchive = archive && archive.checked;
    const month = n * (per.snapshots + (withArchive ? per.archive : 0));
    if (!n) { out.textContent = "Each account costs about " + usd(per.snapshots) + " a month in hourly snapshots" + (withArchive ? ", " + usd(per.archive) + " more with its archive at 5 posts a day, and " + usd(per.start) + " once to read its recent posts back." : "."); return; }
    out.textContent = n + " account" + (n === 1 ? "" : "s") + ": about " + usd(month) + " a month at X's prices" +
      (withArchive ? " (5 posts a day each), " + usd(n * per.start) + " once to start." : " (snapshots only, no archive).");
  }
  box.addEventListener("input", update);
  if (archive) archive.addEventListener("change", update);
  update();
})();
