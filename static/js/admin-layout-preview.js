/* Live preview of a screen's seat layout in Django admin, redrawn as you type.
 * Mirrors catalog/layout.py (the server re-validates on save): one line per
 * row, front row first; S standard, P premium, R recliner, A accessible,
 * _ gap; blank lines ignored; seats numbered from 1 skipping gaps. The server
 * renders the same markup (admin/catalog/screen/_layout_preview.html). */
(function () {
  "use strict";

  var TYPES = { S: "standard", P: "premium", R: "recliner", A: "accessible" };
  var ORDER = ["standard", "premium", "recliner", "accessible"];
  var MAX_ROWS = 52;
  var MAX_ROW_WIDTH = 80;

  function rowLabel(index) {
    var letters = "";
    index += 1;
    while (index) {
      var rem = (index - 1) % 26;
      index = Math.floor((index - 1) / 26);
      letters = String.fromCharCode(65 + rem) + letters;
    }
    return letters;
  }

  function parse(text) {
    var rows = text.split(/\r?\n/).map(function (r) { return r.trim().toUpperCase(); })
      .filter(function (r) { return r.length; });
    if (!rows.length) return { error: "", rows: [] };
    if (rows.length > MAX_ROWS) return { error: "A screen can have at most " + MAX_ROWS + " rows." };
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], label = rowLabel(i);
      if (row.length > MAX_ROW_WIDTH) return { error: "Row " + label + " is longer than " + MAX_ROW_WIDTH + " positions." };
      var bad = [];
      for (var j = 0; j < row.length; j++) {
        var ch = row[j];
        if (!TYPES[ch] && ch !== "_" && bad.indexOf(ch) < 0) bad.push(ch);
      }
      if (bad.length) {
        bad.sort();
        return { error: "Row " + label + " has unknown seat letter(s) " +
          bad.map(function (c) { return "'" + c + "'"; }).join(", ") + ": use S, P, R, A for seats and _ for gaps." };
      }
      var cells = [], number = 0;
      for (j = 0; j < row.length; j++) {
        if (row[j] === "_") { cells.push(null); continue; }
        number += 1;
        cells.push({ number: number, type: TYPES[row[j]], name: label + number });
      }
      if (!number) return { error: "Row " + label + " has no seats." };
      out.push({ label: label, cells: cells });
    }
    return { error: "", rows: out };
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function draw(preview, text) {
    var result = parse(text);
    var error = preview.querySelector(".layout-preview__error");
    var summary = preview.querySelector(".layout-preview__summary");
    var grid = preview.querySelector(".layout-preview__grid");
    error.textContent = result.error || "";
    error.hidden = !result.error;
    if (result.error) {
      preview.classList.add("layout-preview--invalid");
      return; // keep the last good drawing while the text is being fixed
    }
    preview.classList.remove("layout-preview--invalid");
    grid.textContent = "";
    var width = 0, counts = {}, total = 0;
    result.rows.forEach(function (r) { width = Math.max(width, r.cells.length); });
    if (result.rows.length) grid.appendChild(el("p", "layout-preview__screen", "Screen this way"));
    result.rows.forEach(function (r) {
      var line = el("div", "layout-preview__row");
      line.appendChild(el("span", "layout-preview__label", r.label));
      for (var i = 0; i < width; i++) {
        var cell = r.cells[i];
        if (!cell) { line.appendChild(el("span", "lp-gap")); continue; }
        var seat = el("span", "lp-seat lp-seat--" + cell.type, String(cell.number));
        seat.title = cell.name + " " + cell.type.charAt(0).toUpperCase() + cell.type.slice(1);
        line.appendChild(seat);
        counts[cell.type] = (counts[cell.type] || 0) + 1;
        total += 1;
      }
      grid.appendChild(line);
    });
    summary.textContent = "";
    if (!total) { summary.textContent = "No seats yet."; return; }
    summary.appendChild(el("strong", "", total + " seat" + (total === 1 ? "" : "s")));
    ORDER.forEach(function (kind) {
      if (counts[kind]) summary.appendChild(document.createTextNode(" · " + counts[kind] + " " + kind));
    });
  }

  function init() {
    var previews = document.querySelectorAll("[data-layout-preview-for]");
    Array.prototype.forEach.call(previews, function (preview) {
      var input = document.getElementById(preview.getAttribute("data-layout-preview-for"));
      if (!input) return;
      input.addEventListener("input", function () { draw(preview, input.value); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
