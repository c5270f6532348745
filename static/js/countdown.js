/* Live countdown of the seat hold at checkout. The server renders the time
 * left; this keeps it ticking and says so when the hold runs out. */
(function () {
  "use strict";
  var box = document.querySelector("[data-countdown]");
  if (!box) return;
  var clock = box.querySelector("[data-clock]");
  var live = document.querySelector("[data-countdown-live]");
  var deadline = Date.parse(box.dataset.expires);
  var seconds = parseInt(box.dataset.seconds, 10);
  // Trust the server's "seconds left" over the client's clock, which may be off.
  if (!isNaN(seconds)) deadline = Date.now() + seconds * 1000;
  var warned = false;

  function render() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    clock.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left <= 60) box.classList.add("countdown--low");
    if (left <= 60 && left > 0 && !warned) {
      warned = true;
      live.textContent = "Less than a minute left to confirm your booking.";
    }
    if (left === 0) {
      window.clearInterval(timer);
      released();
    }
  }

  // At expiry the order area is replaced in place: no stale buttons stay.
  function released() {
    var area = box.closest(".checkout") || box.parentNode;
    var section = document.createElement("section");
    section.className = "card";
    var notice = document.createElement("p");
    notice.className = "notice notice--warning";
    notice.setAttribute("role", "alert");
    var strong = document.createElement("strong");
    strong.textContent = "Your seats were released.";
    notice.appendChild(strong);
    notice.appendChild(document.createTextNode(" The time to check out ran out, so they may go to someone else."));
    var again = document.createElement("p");
    var link = document.createElement("a");
    link.className = "btn btn--primary";
    link.href = box.dataset.pickerUrl || "../";
    link.textContent = "Choose seats for this show again";
    again.appendChild(link);
    section.appendChild(notice);
    section.appendChild(again);
    area.replaceWith(section);
    link.focus();
  }
  var timer = window.setInterval(render, 1000);
  render();

  // A seat lost while you looked (released in another tab, its hold ended):
  // the page reloads so the order and total are the server's again, and says
  // which seat went, as an alert.
  var LOST_KEY = "cinema-lost-seats";
  var gone = window.sessionStorage && sessionStorage.getItem(LOST_KEY);
  if (gone) {
    sessionStorage.removeItem(LOST_KEY);
    window.setTimeout(function () {
      var main = document.getElementById("main");
      var p = document.createElement("p");
      p.className = "notice notice--error";
      p.setAttribute("role", "alert");
      p.textContent = gone + " is no longer held for you, so it was taken off your order; the total is updated.";
      main.insertBefore(p, main.querySelector("h1").nextSibling);
    }, 300);
  }
  var names = {};
  (box.dataset.seats || "").split(";").forEach(function (pair) {
    var kv = pair.split("=");
    if (kv.length === 2) names[kv[0]] = kv[1];
  });
  function checkHolds() {
    if (!box.dataset.holdsUrl || !window.fetch || document.hidden) return;
    fetch(box.dataset.holdsUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.seats) return;
        var still = {};
        data.seats.forEach(function (s) { still[String(s.id)] = true; });
        var lost = Object.keys(names).filter(function (id) { return !still[id]; });
        if (lost.length && data.seats.length) {
          window.clearInterval(holdsTimer);
          if (window.sessionStorage) sessionStorage.setItem(LOST_KEY, lost.map(function (id) { return names[id]; }).join(", "));
          window.location.reload();
        }
      })
      .catch(function () { /* try again next time */ });
  }
  var holdsTimer = window.setInterval(checkHolds, parseInt(box.dataset.pollMs, 10) || 5000);
})();
