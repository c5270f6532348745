/* Seat picker enhancements. The page works without this file: it is a plain
 * form of checkboxes. With it: a running total, the selection limit, seat
 * statuses refreshed every few seconds from the API (ETag / 304, so cheap),
 * arrow keys over the grid (one Tab stop: a roving tabindex over the same
 * checkboxes), zoom buttons and an overview of the whole room with the part
 * in view marked. Row and number come from the DOM (data-row, the <i>), the
 * price from the form's data-prices ("premium=350.00;standard=250.00"). */
(function () {
  "use strict";
  var form = document.getElementById("seat-picker");
  if (!form) return;

  var maxSeats = parseInt(form.dataset.maxSeats, 10) || 10;
  var pollMs = parseInt(form.dataset.pollMs, 10) || 4000;
  var apiUrl = form.dataset.apiUrl;
  var currency = form.dataset.currency || "INR";
  var selectionEl = form.querySelector("[data-selection]");
  var totalEl = form.querySelector("[data-total]");
  var liveEl = form.querySelector("[data-live]");
  var prices = {};
  (form.dataset.prices || "").split(";").forEach(function (pair) {
    var kv = pair.split("=");
    if (kv.length === 2) prices[kv[0]] = parseFloat(kv[1]);
  });
  var TYPES = ["premium", "recliner", "accessible"];
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name=seats]"));
  var byId = {};
  inputs.forEach(function (input) {
    var label = input.parentNode;
    var row = label.parentNode.dataset.row;
    var type = "standard";
    TYPES.forEach(function (t) { if (label.classList.contains("seat--" + t)) type = t; });
    input._name = row + label.querySelector("i").textContent;
    input._price = prices[type] || 0;
    var aria = input.getAttribute("aria-label");
    input._label = aria.slice(0, aria.lastIndexOf(", "));
    byId[input.value] = input;
  });
  var etag = null;

  var money;
  try {
    var fmt = new Intl.NumberFormat("en", { style: "currency", currency: currency, minimumFractionDigits: 0, maximumFractionDigits: 2 });
    money = function (n) { return fmt.format(n); };
  } catch (e) {
    money = function (n) { return currency + " " + n.toFixed(2); };
  }

  function say(text) {
    // Re-set the text so a repeated message is announced again.
    liveEl.textContent = "";
    window.setTimeout(function () { liveEl.textContent = text; }, 50);
  }

  function checked() {
    return inputs.filter(function (i) { return i.checked && !i.disabled; });
  }

  function refreshSummary() {
    var chosen = checked();
    if (!chosen.length) {
      selectionEl.textContent = "No seats chosen yet (up to " + maxSeats + ").";
      totalEl.hidden = true;
      return;
    }
    var total = chosen.reduce(function (sum, i) { return sum + i._price; }, 0);
    selectionEl.textContent = chosen.length + (chosen.length === 1 ? " seat: " : " seats: ") +
      chosen.map(function (i) { return i._name; }).join(", ");
    totalEl.hidden = false;
    totalEl.textContent = "Total " + money(total);
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "seats") return;
    if (input.checked && checked().length > maxSeats) {
      input.checked = false;
      say("You can choose at most " + maxSeats + " seats at a time.");
    }
    refreshSummary();
    drawOverview();
  });

  /* --- keyboard: one Tab stop in the grid, arrows move ------------------- */
  var rows = Array.prototype.slice.call(form.querySelectorAll(".seat-row")).map(function (row) {
    return Array.prototype.slice.call(row.children).filter(function (c) { return !c.classList.contains("row-label"); });
  });
  function cellOf(input) {
    var label = input.parentNode;
    for (var r = 0; r < rows.length; r++) {
      var c = rows[r].indexOf(label);
      if (c >= 0) return [r, c];
    }
    return null;
  }
  function inputAt(r, c) {
    var cell = rows[r] && rows[r][c];
    var input = cell && cell.querySelector && cell.querySelector("input");
    return input && !input.disabled ? input : null;
  }
  function setRoving(target) {
    inputs.forEach(function (i) { i.tabIndex = i === target ? 0 : -1; });
  }
  function initialStop() {
    return checked()[0] || inputs.filter(function (i) { return !i.disabled; })[0] || null;
  }
  function resetRoving() {
    var current = inputs.filter(function (i) { return i.tabIndex === 0 && !i.disabled; })[0];
    setRoving(current || initialStop());
  }
  function findFrom(r, c, dr, dc) {
    // The next enabled seat that way; up/down also look sideways for the nearest.
    if (dc) {
      for (var x = c + dc; x >= 0 && x < rows[r].length; x += dc) {
        var hit = inputAt(r, x);
        if (hit) return hit;
      }
      return null;
    }
    for (var y = r + dr; y >= 0 && y < rows.length; y += dr) {
      for (var d = 0; d < rows[y].length; d++) {
        var near = inputAt(y, c - d) || inputAt(y, c + d);
        if (near) return near;
      }
    }
    return null;
  }
  var KEYS = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (input.name !== "seats") return;
    var pos = cellOf(input);
    if (!pos) return;
    var next = null;
    if (KEYS[event.key]) {
      next = findFrom(pos[0], pos[1], KEYS[event.key][0], KEYS[event.key][1]);
    } else if (event.key === "Home") {
      next = findFrom(pos[0], -1, 0, 1);
    } else if (event.key === "End") {
      next = findFrom(pos[0], rows[pos[0]].length, 0, -1);
    } else {
      return;
    }
    event.preventDefault();
    if (next) {
      setRoving(next);
      next.focus();
      next.parentNode.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  });
  form.addEventListener("focusin", function (event) {
    if (event.target.name === "seats") setRoving(event.target);
  });

  /* --- live statuses -------------------------------------------------------- */
  var WORDS = { AVAILABLE: "available", LOCKED: "held", SOLD: "sold" };
  var CLASSES = ["seat--held", "seat--sold", "seat--mine"];

  function apply(seats) {
    var lost = [];
    seats.forEach(function (seat) {
      var input = byId[String(seat.id)];
      if (!input) return;
      var mine = !!seat.mine;
      var word = mine ? "held by you" : (WORDS[seat.status] || "available");
      var free = mine || seat.status === "AVAILABLE";
      var label = input.parentNode;
      var cls = mine ? "seat--mine" : seat.status === "SOLD" ? "seat--sold" : seat.status === "LOCKED" ? "seat--held" : "";
      CLASSES.forEach(function (c) { if (c !== cls) label.classList.remove(c); });
      if (cls) label.classList.add(cls);
      input.setAttribute("aria-label", input._label + ", " + word);
      if (!free && !input.disabled) {
        if (input.checked) {
          lost.push(input._name);
          input.checked = false;
          label.classList.add("seat--flash");
        }
        input.disabled = true;
      } else if (free && input.disabled) {
        input.disabled = false;
      }
    });
    if (lost.length) {
      say("Sorry, " + lost.join(", ") + (lost.length === 1 ? " was" : " were") + " just taken by someone else. Please choose another seat.");
    }
    resetRoving();
    refreshSummary();
    drawOverview();
  }

  var inflight = false;
  function poll() {
    if (inflight) return;
    inflight = true;
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(apiUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("HTTP " + response.status);
        etag = response.headers.get("ETag") || etag;
        return response.json();
      })
      .then(function (data) {
        if (data) apply(Array.isArray(data) ? data : (data.seats || data.results || []));
      })
      .catch(function () { /* offline or server busy: try again next time */ })
      .then(function () { inflight = false; schedule(); });
  }

  var timer = null;
  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(tick, pollMs);
  }
  function tick() {
    if (document.hidden) { schedule(); return; }
    poll();
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { window.clearTimeout(timer); poll(); } });

  /* --- zoom and the overview of the whole room ---------------------------- */
  var map = form.querySelector(".seat-map");
  var scroller = form.querySelector(".seat-map__scroll");
  var tools = form.querySelector("[data-map-tools]");
  var overview = form.querySelector("[data-overview]");
  var SIZES = [28, 34, 42]; // CSS px per seat: never under the 24 px target size
  var zoom = 0;

  function setZoom(level) {
    if (level === "fit") {
      var cols = parseInt(getComputedStyle(map).getPropertyValue("--cols"), 10) || 20;
      var fit = Math.floor((scroller.clientWidth - 56) / cols) - 2;
      map.dataset.zoom = "fit";
      map.style.setProperty("--zoom-seat", Math.max(8, Math.min(fit, SIZES[0])) + "px");
    } else {
      zoom = Math.max(0, Math.min(SIZES.length - 1, level));
      map.dataset.zoom = String(zoom);
      map.style.setProperty("--zoom-seat", SIZES[zoom] + "px");
    }
    window.requestAnimationFrame(drawOverview);
  }
  if (tools) {
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) return;
      var how = button.dataset.zoom;
      if (how === "fit") setZoom("fit");
      else setZoom(map.dataset.zoom === "fit" ? 0 : zoom + (how === "in" ? 1 : -1));
      say(how === "fit" ? "Showing the whole room." : "Seat size " + SIZES[zoom] + " pixels.");
    });
  }

  function drawOverview() {
    if (!overview || !scroller) return;
    var wide = scroller.scrollWidth > scroller.clientWidth + 2;
    overview.hidden = !wide;
    if (!wide) return;
    var ctx = overview.getContext("2d");
    var cols = rows.reduce(function (m, r) { return Math.max(m, r.length); }, 1);
    var cw = overview.width / cols, ch = overview.height / Math.max(rows.length, 1);
    ctx.clearRect(0, 0, overview.width, overview.height);
    rows.forEach(function (cells, r) {
      cells.forEach(function (cell, c) {
        var input = cell.querySelector && cell.querySelector("input");
        if (!input) return;
        ctx.fillStyle = input.checked ? "#4f46e5" : input.disabled ? "#a8a29e" : "#d6d3d1";
        ctx.fillRect(c * cw + 1, r * ch + 1, Math.max(cw - 2, 1), Math.max(ch - 2, 1));
      });
    });
    // The part of the room in view.
    var x = scroller.scrollLeft / scroller.scrollWidth * overview.width;
    var w = scroller.clientWidth / scroller.scrollWidth * overview.width;
    ctx.strokeStyle = "#b45309";
    ctx.lineWidth = 3;
    ctx.strokeRect(x + 1.5, 1.5, w - 3, overview.height - 3);
  }
  if (overview && scroller) {
    overview.addEventListener("click", function (event) {
      var rect = overview.getBoundingClientRect();
      var at = (event.clientX - rect.left) / rect.width;
      scroller.scrollLeft = at * scroller.scrollWidth - scroller.clientWidth / 2;
    });
    scroller.addEventListener("scroll", function () { window.requestAnimationFrame(drawOverview); }, { passive: true });
    window.addEventListener("resize", function () { window.requestAnimationFrame(drawOverview); });
  }

  // On a narrow screen the map scrolls sideways: start from its middle.
  if (scroller && scroller.scrollWidth > scroller.clientWidth) {
    scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) / 2;
  }

  resetRoving();
  refreshSummary();
  drawOverview();
  if (apiUrl && window.fetch) schedule();
})();
