/* Seat picker enhancements. The page works without this file: it is a plain
 * form of checkboxes. With it: a running total, the selection limit, and seat
 * statuses refreshed every few seconds from the API (ETag / 304, so cheap). */
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
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name=seats]"));
  var byId = {};
  inputs.forEach(function (input) { byId[input.value] = input; });
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
    var total = chosen.reduce(function (sum, i) { return sum + parseFloat(i.dataset.price); }, 0);
    selectionEl.textContent = chosen.length + (chosen.length === 1 ? " seat: " : " seats: ") +
      chosen.map(function (i) { return i.dataset.name; }).join(", ");
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
  });

  var WORDS = { AVAILABLE: "available", LOCKED: "held", SOLD: "sold" };
  var CLASSES = ["seat--available", "seat--held", "seat--sold", "seat--mine"];

  function apply(seats) {
    var lost = [];
    seats.forEach(function (seat) {
      var input = byId[String(seat.id)];
      if (!input) return;
      var mine = !!seat.mine;
      var word = mine ? "held by you" : (WORDS[seat.status] || "available");
      var free = mine || seat.status === "AVAILABLE";
      var label = input.parentNode;
      var cls = mine ? "seat--mine" : seat.status === "SOLD" ? "seat--sold" : seat.status === "LOCKED" ? "seat--held" : "seat--available";
      if (!label.classList.contains(cls)) {
        CLASSES.forEach(function (c) { label.classList.remove(c); });
        label.classList.add(cls);
      }
      input.setAttribute("aria-label", input.dataset.label + ", " + word);
      if (!free && !input.disabled) {
        if (input.checked) {
          lost.push(input.dataset.name);
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
    refreshSummary();
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

  // On a narrow screen the map scrolls sideways: start from its middle.
  var scroller = form.querySelector(".seat-map__scroll");
  if (scroller && scroller.scrollWidth > scroller.clientWidth) {
    scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) / 2;
  }

  refreshSummary();
  if (apiUrl && window.fetch) schedule();
})();
